package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/console/client"
	"github.com/relaydesk/relaydesk/console/remote"
	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/transport"
)

// Options configures the console.
type Options struct {
	// DataDir keeps what the console saves: screenshots go to
	// DataDir/sessions/<session ID>/.
	DataDir string
	// Known is the list of trusted relay keys.
	Known *client.KnownRelays
	// SaveLogin keeps a successful sign-in; nil keeps nothing.
	SaveLogin func(client.Login) error
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives diagnostics; nil means slog.Default().
	Logger *slog.Logger
	// StatsLog, when set, receives each session's figures every second.
	StatsLog func(title string, r remote.Report, shownFPS float64)
	// OnSessionEnded, when set, hears how each session ended (UI goroutine).
	OnSessionEnded func(text string)
	// Admin, when set, gives a sign-in's admin API client for the History
	// and Administration screens (admin.go); nil leaves them out.
	Admin func(client.Login) (Admin, error)
	// Do runs f on the UI goroutine; nil means fyne.Do. Tests give a loop
	// of their own, because fyne's test driver runs f on the caller's
	// goroutine, where it would race the test's reads of the widgets.
	Do func(f func())
}

// Console is the technician's main window.
type Console struct {
	app  fyne.App
	win  fyne.Window
	be   Backend
	opts Options
	log  *slog.Logger

	// Sign-in.
	relayEntry, userEntry, pwEntry *widget.Entry
	signInErr                      *widget.Label
	signInBtn                      *widget.Button
	signInBusy                     *widget.ProgressBarInfinite
	trustAnswer                    func(bool) // the pending trust question, if any

	// Queue.
	login       client.Login
	queue       *Queue
	rows        []proto.SessionInfo
	table       *queueTable
	selected    string
	queueStatus *widget.Label
	details     *widget.Label
	connectSel  *widget.Button
	filter      *widget.Select
	code        *CodeEntry
	connectCode *widget.Button
	tabs        *container.DocTabs
	queueItem   *container.TabItem
	sessions    []*sessionTab

	pending *proto.Connect // to open once signed in
	adm     *adminUI       // History and Administration (admin.go)
	dk      deskUI         // the service desk (desk.go)

	stop context.CancelFunc
	wg   sync.WaitGroup

	// While the app quits (Quit) and after it stopped (Shutdown): the UI
	// calls that wait, and whether one is running them (do).
	lateMu   sync.Mutex
	phase    phase
	late     []func()
	lateBusy bool
}

// phase is how Console.do runs UI calls: through Fyne while the app runs;
// held while it quits; one at a time on the callers' goroutines once it
// stopped.
type phase int

const (
	running phase = iota
	quitting
	stopped
)

// Connect opens a session tab for target now, or right after sign-in.
func (c *Console) Connect(target proto.Connect) {
	if c.tabs == nil {
		c.pending = &target
		return
	}
	title := "Session"
	if target.Code != "" {
		title = "Code " + GroupCode(target.Code)
	}
	c.OpenSession(target, title)
}

// New builds the console's window on app.
func New(app fyne.App, be Backend, opts Options) *Console {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Do == nil {
		opts.Do = fyne.Do
	}
	c := &Console{app: app, be: be, opts: opts, log: opts.Logger, win: app.NewWindow("RelayDesk console")}
	c.win.Resize(fyne.NewSize(1280, 800))
	c.win.SetMaster() // closing it quits, even with a playback or screenshot window open
	c.win.SetCloseIntercept(c.closeWindow)
	return c
}

// Window is the console's window.
func (c *Console) Window() fyne.Window { return c.win }

func (c *Console) now() time.Time { return c.opts.Now() }

// do runs f on the UI goroutine (Options.Do). Once Fyne's loop ended it
// runs such calls at once on the caller's goroutine: two of them (a
// session ending while its drawing channel closes, a frame while the
// figures update) touched the same widgets together, a data race, and
// calls made between the loop's end and Shutdown raced whatever Shutdown
// began. So from the moment the console asks the app to quit (Quit, on the
// UI goroutine) calls are held, and after Shutdown they run one at a time,
// in order, whoever came first running what the others queued meanwhile
// (a call made from inside one waits its turn instead of deadlocking).
func (c *Console) do(f func()) {
	c.lateMu.Lock()
	if c.phase == running {
		c.lateMu.Unlock()
		c.opts.Do(f)
		return
	}
	c.late = append(c.late, f)
	if c.phase == quitting || c.lateBusy {
		c.lateMu.Unlock()
		return
	}
	c.runLate()
}

// runLate runs the held calls one at a time; lateMu is held on entry and
// released on return.
func (c *Console) runLate() {
	c.lateBusy = true
	for len(c.late) > 0 {
		g := c.late[0]
		c.late = c.late[1:]
		c.lateMu.Unlock()
		g()
		c.lateMu.Lock()
	}
	c.lateBusy = false
	c.lateMu.Unlock()
}

// Quit asks the app to stop, from the UI goroutine (closing the window,
// a signal): from now on UI calls wait for Shutdown instead of running on
// the goroutines that make them while Fyne winds down.
func (c *Console) Quit() {
	c.hold()
	c.app.Quit()
}

// hold makes UI calls wait for Shutdown.
func (c *Console) hold() {
	c.lateMu.Lock()
	if c.phase == running {
		c.phase = quitting
	}
	c.lateMu.Unlock()
}

// sentence turns an error into a sentence for the technician.
func sentence(err error) string {
	var f *proto.Failure
	if errors.As(err, &f) {
		return f.Message
	}
	if errors.Is(err, transport.ErrClosed) {
		return "the connection to the relay is down (reconnecting)."
	}
	s := err.Error()
	s = strings.TrimPrefix(s, "remote: ")
	if s != "" && !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// ShowSignIn shows the sign-in form, pre-filled, with an optional message
// (why the technician has to sign in again).
func (c *Console) ShowSignIn(relay, user, message string) {
	c.stopWatch()
	c.tabs = nil
	c.relayEntry = widget.NewEntry()
	c.relayEntry.SetPlaceHolder("relay.example.com:4433")
	c.relayEntry.SetText(relay)
	c.userEntry = widget.NewEntry()
	c.userEntry.SetText(user)
	c.pwEntry = widget.NewPasswordEntry()
	c.pwEntry.OnSubmitted = func(string) { c.signIn() }
	c.signInErr = widget.NewLabel(message)
	c.signInErr.Wrapping = fyne.TextWrapWord
	c.signInErr.Importance = widget.DangerImportance
	c.signInBtn = widget.NewButtonWithIcon("Sign in", theme.LoginIcon(), c.signIn)
	c.signInBtn.Importance = widget.HighImportance
	c.signInBusy = widget.NewProgressBarInfinite()
	c.signInBusy.Hide()
	form := widget.NewForm(
		widget.NewFormItem("Relay", c.relayEntry),
		widget.NewFormItem("User name", c.userEntry),
		widget.NewFormItem("Password", c.pwEntry),
	)
	title := widget.NewLabelWithStyle("Sign in to your relay", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	box := container.NewVBox(title, form, c.signInErr, c.signInBusy, container.NewHBox(layout.NewSpacer(), c.signInBtn))
	c.win.SetContent(container.NewCenter(container.NewGridWrap(fyne.NewSize(460, 300), box)))
	focus := c.relayEntry
	if relay != "" {
		focus = c.userEntry
		if user != "" {
			focus = c.pwEntry
		}
	}
	c.win.Canvas().Focus(focus)
}

// ValidateSignIn checks the sign-in form; the error is a sentence.
func ValidateSignIn(relay, user, password string) error {
	host, port, err := net.SplitHostPort(strings.TrimSpace(relay))
	if err != nil || host == "" {
		return errors.New("Give the relay's address as host:port, for example relay.example.com:4433.")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return errors.New("The relay's port must be a number from 1 to 65535.")
	}
	if strings.TrimSpace(user) == "" {
		return errors.New("Enter your user name.")
	}
	if password == "" {
		return errors.New("Enter your password.")
	}
	return nil
}

func (c *Console) signInFailed(msg string) {
	c.signInBusy.Hide()
	c.signInBtn.Enable()
	c.signInErr.SetText(msg)
}

// signIn checks the relay's key (trust on first use), then signs in.
func (c *Console) signIn() {
	relay, user, pw := strings.TrimSpace(c.relayEntry.Text), strings.TrimSpace(c.userEntry.Text), c.pwEntry.Text
	if err := ValidateSignIn(relay, user, pw); err != nil {
		c.signInErr.SetText(err.Error())
		return
	}
	c.signInErr.SetText("Connecting to " + relay + "…")
	c.signInErr.Importance = widget.MediumImportance
	c.signInBusy.Show()
	c.signInBtn.Disable()
	c.wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		fp, err := c.be.Probe(ctx, relay)
		c.do(func() {
			c.signInErr.Importance = widget.DangerImportance
			if err != nil {
				c.signInFailed(transport.Describe(err, relay))
				return
			}
			known, ok := c.opts.Known.Key(relay)
			switch {
			case ok && known != fp:
				c.signInFailed(fmt.Sprintf("Warning: the relay at %s presented a different key than the one you trusted before. "+
					"It may be an impostor. Signing in is blocked. Ask the relay's operator; if its key was replaced on purpose, "+
					"remove the relay from %s.\nTrusted: %s\nPresented: %s", relay, c.opts.Known.Path(), known, fp))
			case ok:
				c.finishSignIn(relay, fp, user, pw)
			default:
				c.askTrust(relay, fp, func(yes bool) {
					if !yes {
						c.signInFailed("Not signed in: you did not trust the relay's key.")
						return
					}
					if err := c.opts.Known.Trust(relay, fp); err != nil {
						c.signInFailed(sentence(err))
						return
					}
					c.finishSignIn(relay, fp, user, pw)
				})
			}
		})
	})
}

// askTrust shows the relay's key on first contact.
func (c *Console) askTrust(relay, fp string, answer func(bool)) {
	var d dialog.Dialog
	c.trustAnswer = func(yes bool) {
		c.trustAnswer = nil
		d.Hide()
		answer(yes)
	}
	text := widget.NewLabel(fmt.Sprintf("This is the first connection to the relay at %s. Its key fingerprint is:\n\n%s\n\n"+
		"Compare it with the fingerprint your administrator gave you (relay fingerprint). Trust this relay?", relay, groupHex(fp)))
	text.Wrapping = fyne.TextWrapWord
	d = dialog.NewCustomConfirm("Trust this relay?", "Trust", "Cancel", container.NewGridWrap(fyne.NewSize(520, 220), text), func(yes bool) {
		if c.trustAnswer != nil {
			c.trustAnswer(yes)
		}
	}, c.win)
	d.Show()
}

// groupHex breaks a fingerprint into groups of four for reading aloud.
func groupHex(fp string) string {
	hex := strings.TrimPrefix(fp, "sha256:")
	var parts []string
	for i := 0; i < len(hex); i += 4 {
		parts = append(parts, hex[i:min(i+4, len(hex))])
	}
	var lines []string
	for i := 0; i < len(parts); i += 8 {
		lines = append(lines, strings.Join(parts[i:min(i+8, len(parts))], " "))
	}
	return "sha256:\n" + strings.Join(lines, "\n")
}

func (c *Console) finishSignIn(relay, fp, user, pw string) {
	c.signInErr.SetText("Signing in…")
	c.wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		l, err := c.be.SignIn(ctx, relay, fp, user, pw)
		c.do(func() {
			if err != nil {
				c.signInFailed(transport.Describe(err, relay))
				return
			}
			if c.opts.SaveLogin != nil {
				if err := c.opts.SaveLogin(l); err != nil {
					c.log.Warn("save login", "err", err)
				}
			}
			c.ShowQueue(l)
		})
	})
}

// ShowQueue opens the main screen for a signed-in technician and starts
// watching the queue.
func (c *Console) ShowQueue(l client.Login) {
	c.stopWatch()
	c.login = l
	c.queue = NewQueue(l.User)
	c.selected = ""
	c.rows = nil
	c.queueStatus = widget.NewLabel("Connecting to " + l.Relay + "…")
	c.details = widget.NewLabel("Select a session to see the end user's device.")
	c.details.Wrapping = fyne.TextWrapWord
	c.connectSel = widget.NewButtonWithIcon("Connect", theme.LoginIcon(), c.connectSelected)
	c.connectSel.Importance = widget.HighImportance
	c.connectSel.Disable()
	c.table = newQueueTable(c)
	c.newDeskUI()
	c.filter = widget.NewSelect(c.queue.Filters(), func(s string) {
		c.queue.SetFilter(s)
		c.refreshQueue()
	})
	c.filter.SetSelected(FilterAll) // new requests in every channel served, not only what is already mine
	c.code = NewCodeEntry()
	c.connectCode = widget.NewButtonWithIcon("Connect", theme.LoginIcon(), c.connectWithCode)
	c.connectCode.Disable()
	c.code.OnValid = func(ok bool) {
		if ok {
			c.connectCode.Enable()
		} else {
			c.connectCode.Disable()
		}
	}
	c.code.OnSubmitted = func(string) { c.connectWithCode() }
	link := widget.NewButtonWithIcon("Create support link…", theme.MailSendIcon(), c.createLinkDialog)
	c.dk.link = link
	signOut := widget.NewButtonWithIcon("Sign out", theme.LogoutIcon(), c.signOut)
	who := widget.NewLabel(fmt.Sprintf("%s (%s) on %s", l.User, l.Role, l.Relay))

	newSupport := container.NewHBox(
		widget.NewLabel("Session code"), container.NewGridWrap(fyne.NewSize(150, c.code.MinSize().Height), c.code), c.connectCode,
		widget.NewSeparator(), link,
		layout.NewSpacer(), widget.NewLabel("Show"), c.filter)
	detailsBox := container.NewBorder(nil, nil, nil, container.NewVBox(append([]fyne.CanvasObject{c.connectSel}, c.deskButtons()...)...), c.details)
	queuePane := container.NewBorder(
		container.NewVBox(newSupport, widget.NewSeparator()),
		container.NewVBox(widget.NewSeparator(), detailsBox, container.NewBorder(nil, nil, nil, c.deskStatusBar(), c.queueStatus)),
		nil, nil, c.table)
	c.queueItem = container.NewTabItemWithIcon("Queue", theme.ListIcon(), queuePane)
	c.tabs = container.NewDocTabs(c.queueItem)
	c.tabs.CloseIntercept = func(it *container.TabItem) {
		if it == c.queueItem {
			return // the queue stays
		}
		if c.adm != nil && c.adm.closeTab(it) {
			return
		}
		for _, t := range c.sessions {
			if t.item == it {
				t.endSession()
			}
		}
	}
	c.win.SetContent(container.NewBorder(
		container.NewHBox(c.adminTools(l), layout.NewSpacer(), who, signOut), nil, nil, nil, c.tabs))

	ctx, cancel := context.WithCancel(context.Background())
	c.stop = cancel
	c.wg.Go(func() {
		err := c.be.Watch(ctx, l, queueHandler{c})
		if err == nil || ctx.Err() != nil {
			return
		}
		c.do(func() {
			if ctx.Err() != nil {
				return
			}
			msg := transport.Describe(err, l.Relay)
			var f *proto.Failure
			if errors.As(err, &f) && f.Code == proto.ErrUnauthenticated {
				msg = "Your sign-in has expired or was revoked; sign in again."
			}
			c.ShowSignIn(l.Relay, l.User, msg)
		})
	})
	c.wg.Go(func() { c.tick(ctx) })
	c.loadDirectory(nil)
	if p := c.pending; p != nil {
		c.pending = nil
		c.Connect(*p)
	}
}

// tick refreshes waiting times and stream figures every second.
func (c *Console) tick(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	painted := map[*sessionTab]*int64{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.do(func() {
				if ctx.Err() != nil {
					return
				}
				c.refreshQueue()
				for _, s := range c.sessions {
					if painted[s] == nil {
						painted[s] = new(int64)
					}
					s.sampleStats(painted[s], time.Second)
				}
			})
		}
	}
}

func (c *Console) stopWatch() {
	if c.stop != nil {
		c.stop()
		c.stop = nil
	}
	if c.adm != nil {
		c.adm.close() // admin.go
	}
}

// queueHandler brings the queue's events onto the UI goroutine.
type queueHandler struct{ c *Console }

func (h queueHandler) Snapshot(ss []proto.SessionInfo) {
	h.c.do(func() { h.c.queue.Reset(ss); h.c.refreshQueue() })
}

func (h queueHandler) Update(s proto.SessionInfo) {
	h.c.do(func() { h.c.queue.Apply(s); h.c.refreshQueue(); h.c.sessionUpdated(s) })
}

func (h queueHandler) Online(err error) {
	h.c.do(func() {
		if err == nil {
			h.c.queueStatus.SetText("Connected to " + h.c.login.Relay + "; the queue is live.")
			if h.c.dk.loaded {
				h.c.loadDirectory(nil) // after a reconnect: permissions and channels may have changed
			}
			return
		}
		h.c.queueStatus.SetText("Reconnecting… (" + transport.Describe(err, h.c.login.Relay) + ")")
	})
}

// refreshQueue shows the queue's rows again, keeping the selection.
func (c *Console) refreshQueue() {
	if c.queue == nil {
		return
	}
	c.rows = c.queue.Rows(c.now())
	// Keep the highlighted row on the selected session when rows move.
	if r := c.table.row(); r >= 0 && r != c.table.selRow {
		c.table.Select(widget.TableCellID{Row: r, Col: 0})
	} else if r < 0 && c.table.selRow >= 0 {
		c.table.UnselectAll()
		c.table.selRow = -1
	}
	c.table.Refresh()
	c.showDetails()
	if c.dk.super != nil {
		c.dk.super.refresh()
	}
}

func (c *Console) selectedRow() (proto.SessionInfo, bool) {
	for _, s := range c.rows {
		if s.ID == c.selected {
			return s, true
		}
	}
	return proto.SessionInfo{}, false
}

func (c *Console) showDetails() {
	s, ok := c.selectedRow()
	c.deskDetails(s, ok)
	if !ok {
		c.details.SetText("Select a session to see the end user's device. Ready sessions can be connected with Enter or a double click.")
		c.connectSel.Disable()
		return
	}
	c.details.SetText(Details(s, c.now()))
	if s.Status == proto.StatusReady || (s.Status == proto.StatusActive && c.queue.mine(s)) {
		c.connectSel.Enable()
	} else {
		c.connectSel.Disable()
	}
}

// Details describes a session and its device for the details pane.
func Details(s proto.SessionInfo, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %s session", s.Status, s.Kind)
	if s.CustomerName != "" {
		fmt.Fprintf(&b, " for %s", s.CustomerName)
	}
	fmt.Fprintf(&b, ", created %s", s.CreatedAt.Local().Format("15:04:05"))
	if s.Owner != "" {
		fmt.Fprintf(&b, " by %s", s.Owner)
	}
	if !s.ExpiresAt.IsZero() && s.Status == proto.StatusWaiting {
		fmt.Fprintf(&b, "; the link expires in %s", Duration(s.ExpiresAt.Sub(now)))
	}
	if len(s.Technicians) > 0 {
		fmt.Fprintf(&b, "; connected: %s", strings.Join(s.Technicians, ", "))
	}
	if s.EndedBy != "" {
		fmt.Fprintf(&b, "; ended by %s", s.EndedBy)
	}
	if s.Rating > 0 {
		fmt.Fprintf(&b, "; the end user rated it %s (%d of 5)", strings.Repeat("★", s.Rating)+strings.Repeat("☆", 5-s.Rating), s.Rating)
		if s.RatingComment != "" {
			fmt.Fprintf(&b, ": %q", s.RatingComment)
		}
	}
	b.WriteString(".")
	if d := s.Device; d != nil {
		fmt.Fprintf(&b, "\nDevice: %s", strings.Join(nonEmpty(d.Hostname, strings.TrimSpace(d.OS+" "+d.OSVersion), "user "+d.Username), ", "))
		if len(d.LocalIPs) > 0 || d.PublicIP != "" {
			fmt.Fprintf(&b, "; IP %s", strings.Join(nonEmpty(d.PublicIP, strings.Join(d.LocalIPs, ", ")), ", local "))
		}
		var ds []string
		for _, x := range d.Displays {
			v := fmt.Sprintf("%dx%d", x.Width, x.Height)
			if x.Primary {
				v += " (primary)"
			}
			ds = append(ds, v)
		}
		if len(ds) > 0 {
			fmt.Fprintf(&b, "; displays %s", strings.Join(ds, ", "))
		}
		if d.AgentVersion != "" {
			fmt.Fprintf(&b, "; app %s", d.AgentVersion)
		}
		if !s.AgentOnline && s.Status != proto.StatusClosed && s.Status != proto.StatusExpired {
			b.WriteString("; the app is offline right now")
		}
		b.WriteString(".")
	}
	return b.String()
}

func (c *Console) connectSelected() {
	s, ok := c.selectedRow()
	if !ok || c.connectSel.Disabled() {
		return
	}
	c.OpenSession(proto.Connect{SessionID: s.ID}, sessionTitle(s))
}

func (c *Console) connectWithCode() {
	code, ok := c.code.Code()
	if !ok {
		c.queueStatus.SetText("A session code has 9 digits.")
		return
	}
	c.code.SetText("")
	c.Connect(proto.Connect{Code: code})
}

// OpenSession opens a tab and connects it (by code or session ID).
func (c *Console) OpenSession(target proto.Connect, title string) {
	if target.SessionID != "" {
		for _, t := range c.sessions {
			t.mu.Lock()
			same, ended := t.sessionID == target.SessionID, t.ended
			t.mu.Unlock()
			if same && !ended {
				c.tabs.Select(t.item)
				return
			}
		}
	}
	if title == "" {
		title = "Session"
	}
	t := newSessionTab(c, target, title)
	c.win.SetOnDropped(c.dropped) // files dropped on the window go to the selected session (files.go)
	c.sessions = append(c.sessions, t)
	c.tabs.Append(t.item)
	c.tabs.Select(t.item)
	t.remote = c.be.Open(c.login, target, t)
}

func (c *Console) closeTab(t *sessionTab) {
	for i, s := range c.sessions {
		if s == t {
			c.sessions = append(c.sessions[:i], c.sessions[i+1:]...)
		}
	}
	c.tabs.Remove(t.item)
}

// createLinkDialog asks for the link's expiry and the end user's name.
func (c *Console) createLinkDialog() {
	name := widget.NewEntry()
	name.SetPlaceHolder("optional")
	expiry := widget.NewSelect(LinkExpiries(), nil)
	expiry.SetSelected("24 hours")
	form := []*widget.FormItem{
		widget.NewFormItem("End user's name", name),
		widget.NewFormItem("Link valid for", expiry),
	}
	dialog.ShowForm("Create support link", "Create", "Cancel", form, func(ok bool) {
		if ok {
			c.CreateLink(name.Text, linkExpiry[expiry.Selected])
		}
	}, c.win)
}

var linkExpiry = map[string]time.Duration{
	"15 minutes": 15 * time.Minute, "1 hour": time.Hour, "4 hours": 4 * time.Hour,
	"24 hours": 24 * time.Hour, "7 days": 7 * 24 * time.Hour, "30 days": 30 * 24 * time.Hour,
}

// LinkExpiries lists the expiry choices, shortest first.
func LinkExpiries() []string {
	return []string{"15 minutes", "1 hour", "4 hours", "24 hours", "7 days", "30 days"}
}

// CreateLink creates a support link and puts it on the clipboard.
func (c *Console) CreateLink(name string, expires time.Duration) {
	c.queueStatus.SetText("Creating a support link…")
	l := c.login
	c.wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		link, err := c.be.CreateLink(ctx, l, strings.TrimSpace(name), expires)
		c.do(func() {
			if err != nil {
				c.queueStatus.SetText("The link was not created: " + transport.Describe(err, l.Relay))
				return
			}
			c.app.Clipboard().SetContent(link.URL)
			c.queueStatus.SetText(fmt.Sprintf("Support link copied to the clipboard (valid until %s): %s",
				link.ExpiresAt.Local().Format("Jan 2 15:04"), link.URL))
		})
	})
}

// signOut ends the sessions, forgets the token on this computer at once and
// asks the relay to revoke it, so that a copy of the saved login is worthless.
func (c *Console) signOut() {
	for _, t := range c.sessions {
		t.mu.Lock()
		ended := t.ended
		t.mu.Unlock()
		if !ended && t.remote != nil {
			t.remote.End()
		}
	}
	c.sessions = nil
	old := c.login
	c.login.Token = ""
	if c.opts.SaveLogin != nil {
		if err := c.opts.SaveLogin(c.login); err != nil {
			c.log.Warn("forget the saved sign-in", "err", err)
		}
	}
	c.ShowSignIn(old.Relay, old.User, "")
	note := c.signInErr
	c.wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := c.be.SignOut(ctx, old); err != nil {
			c.log.Warn("the relay was not told about the sign-out", "err", err)
			c.do(func() {
				note.SetText("Signed out on this computer, but the relay could not be told (" + transport.Describe(err, old.Relay) +
					"); your sign-in stays valid there until it expires.")
			})
		}
	})
}

// closeWindow ends every session before the console quits.
func (c *Console) closeWindow() {
	var live int
	for _, t := range c.sessions {
		t.mu.Lock()
		if !t.ended {
			live++
		}
		t.mu.Unlock()
	}
	if live == 0 {
		c.hold()
		c.win.Close()
		return
	}
	dialog.ShowConfirm("Quit the console?", fmt.Sprintf("%d session(s) are still open; quitting ends them.", live), func(yes bool) {
		if yes {
			c.hold()
			c.win.Close()
		}
	}, c.win)
}

// Shutdown ends every open session and waits for the console's goroutines.
// Call it after the app stopped running.
func (c *Console) Shutdown() {
	c.lateMu.Lock()
	c.phase = stopped
	if c.lateBusy {
		c.lateMu.Unlock()
	} else {
		c.runLate() // what was held while the app quit
	}
	c.stopWatch()
	for _, t := range c.sessions {
		if t.remote != nil {
			t.remote.End()
		}
	}
	c.wg.Wait()
}

// FrameCounts adds up, over the open session tabs, the frames handed to
// their screens and the distinct frames painted (see viewer.Screen.Counts).
// UI goroutine; console/cmd/consolebench reads it through the console's
// test-only frame feeder.
func (c *Console) FrameCounts() (received, painted int64) {
	for _, t := range c.sessions {
		r, p := t.screen.Counts()
		received += r
		painted += p
	}
	return received, painted
}
