package ui

import (
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/console/client"
	"github.com/relaydesk/relaydesk/console/remote"
	"github.com/relaydesk/relaydesk/console/viewer"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// sessionTab is one session: the remote screen, its toolbar, chat and
// status bar. Its SessionView methods may run on any goroutine; everything
// else runs on the UI goroutine.
type sessionTab struct {
	c      *Console
	target proto.Connect
	item   *container.TabItem
	remote Remote // set right after Open

	screen   *viewer.Screen
	scroller *container.Scroll
	overlay  *widget.Label // "Asking the end user for permission…" over the screen
	status   *widget.Label
	stats    *widget.Label

	viewOnly    *widget.Check
	granted     proto.Grant // what the end user allowed (guarded by mu)
	fit         *widget.Check
	display     *widget.Select
	keys        *widget.Select
	sendClip    *widget.Button
	fetchClip   *widget.Button
	shot        *widget.Button
	sendFile    *widget.Button // files.go
	fetchFile   *widget.Button
	cancelFile  *widget.Button
	runningFile string // the transfer whose progress the status bar shows (UI goroutine)
	chatToggle  *widget.Button
	end         *widget.Button
	record      *widget.Check // record.go

	chatBox    *fyne.Container
	chatLog    *widget.Label
	chatEntry  *widget.Entry
	split      *container.Split
	screenArea *fyne.Container
	body       *fyne.Container
	chatShown  bool
	chatLines  []ChatLine
	dk         sessionDesk // the service desk's actions (sessiondesk.go)
	dr         drawTools   // drawing on the end user's screen (draw.go)

	mu          sync.Mutex
	sessionID   string
	title       string
	remoteClip  string
	ended       bool
	online      bool
	info        proto.SessionInfo
	recordQuiet bool          // the Record switch is set from the relay's word, not clicked
	shots       []string      // screenshots saved on this computer, newest last
	editor      *markupEditor // the last screenshot's markup editor (screenshot.go)

	visibility recordsToggle // public or internal records (screenshot.go)

	held map[string]bool // keys the technician holds (ctrlaltdel.go)
}

func newSessionTab(c *Console, target proto.Connect, title string) *sessionTab {
	t := &sessionTab{c: c, target: target, title: title, sessionID: target.SessionID}
	t.screen = viewer.NewScreen(inputFunc(t.sendInput), c.do)
	t.screen.OnInputError = func(err error) {
		if errors.Is(err, errCtrlAltDel) {
			t.setStatus(proto.CtrlAltDelUnavailable)
			return
		}
		t.setStatus("Input was not delivered: " + sentence(err))
	}
	t.scroller = container.NewScroll(t.screen)
	t.overlay = widget.NewLabelWithStyle("Connecting…", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	t.overlay.Wrapping = fyne.TextWrapWord
	t.status = widget.NewLabel("Connecting…")
	t.status.Truncation = fyne.TextTruncateEllipsis
	t.stats = widget.NewLabel("")

	t.viewOnly = widget.NewCheck("View only", func(on bool) {
		t.screen.SetViewOnly(on)
		if t.remote == nil {
			return
		}
		if err := t.remote.SetViewOnly(on); err != nil {
			t.setStatus("Could not switch to " + map[bool]string{true: "view only", false: "control"}[on] + ": " + sentence(err))
		}
	})
	t.fit = widget.NewCheck("Scale to fit", func(on bool) { t.setFit(on) })
	t.fit.SetChecked(true)
	t.display = widget.NewSelect([]string{"Display 1"}, func(s string) {
		n, err := strconv.Atoi(strings.TrimPrefix(s, "Display "))
		if err != nil || t.remote == nil {
			return
		}
		if err := t.remote.ShowDisplay(n - 1); err != nil {
			t.setStatus("Could not switch the display: " + sentence(err))
		}
	})
	t.display.SetSelectedIndex(0)
	t.keys = widget.NewSelect(specialKeyLabels(false), func(s string) {
		if s == "" {
			return // ClearSelected below
		}
		if s == ctrlAltDelOff {
			t.setStatus(proto.CtrlAltDelUnavailable)
		}
		for _, k := range viewer.SpecialKeys {
			if k.Label == s {
				t.screen.SendKeys(k.Keys)
				t.setStatus("Sent " + s + ".")
			}
		}
		t.keys.ClearSelected()
	})
	t.keys.PlaceHolder = "Send keys…"
	t.sendClip = widget.NewButtonWithIcon("Send clipboard", theme.ContentPasteIcon(), t.sendClipboard)
	t.fetchClip = widget.NewButtonWithIcon("Fetch clipboard", theme.ContentCopyIcon(), t.fetchClipboard)
	t.shot = widget.NewButtonWithIcon("Screenshot", theme.MediaPhotoIcon(), t.screenshot)
	t.visibility.build(c, func() string { t.mu.Lock(); defer t.mu.Unlock(); return t.sessionID }, t.setStatus)
	t.chatToggle = widget.NewButtonWithIcon("Chat", theme.MailComposeIcon(), func() { t.showChat(!t.chatShown) })
	t.end = widget.NewButtonWithIcon("End session", theme.LogoutIcon(), t.endSession)
	t.end.Importance = widget.DangerImportance

	t.chatLog = widget.NewLabel("")
	t.chatLog.Wrapping = fyne.TextWrapWord
	t.chatEntry = widget.NewEntry()
	t.chatEntry.SetPlaceHolder("Message to the end user")
	t.chatEntry.OnSubmitted = func(string) { t.sendChat() }
	send := widget.NewButtonWithIcon("", theme.MailSendIcon(), t.sendChat)
	t.chatBox = container.NewBorder(
		widget.NewLabelWithStyle("Chat", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewBorder(nil, nil, nil, send, t.chatEntry), nil, nil,
		container.NewVScroll(t.chatLog))

	t.newDesk()
	t.buildDraw()
	tools := append([]fyne.CanvasObject{t.viewOnly, t.fit, t.display, t.keys, t.sendClip, t.fetchClip, t.shot, t.recordToggle(), t.visibility.check, t.chatToggle}, t.deskTools()...)
	tools = append(tools, t.drawToolbar()...)
	tools = append(tools, t.fileTools()...)
	toolbar := container.NewHBox(append(tools, layout.NewSpacer(), t.end)...)
	// The overlay spans the screen's width (centred text, wrapped across
	// it) and sits in the middle: in a Center container a wrapping label is
	// as narrow as its widest letter.
	over := container.NewVBox(layout.NewSpacer(), t.overlay, layout.NewSpacer())
	t.screenArea = container.NewStack(t.dk.frame.box, container.NewPadded(over))
	t.split = container.NewHSplit(t.screenArea, t.chatBox)
	t.split.Offset = 0.75
	t.body = container.NewStack(t.screenArea)
	t.item = container.NewTabItem(title, container.NewBorder(
		container.NewHScroll(toolbar),
		container.NewBorder(nil, nil, nil, container.NewHBox(t.dk.controller, t.stats), t.status),
		nil, nil, t.body))
	t.setControls(false)
	return t
}

// inputFunc adapts a function to viewer.Input.
type inputFunc func(proto.Input) error

func (f inputFunc) SendInput(in proto.Input) error { return f(in) }

func (t *sessionTab) sendInput(in proto.Input) error {
	if t.remote == nil {
		return errors.New("not connected yet")
	}
	if t.drawInput(in) { // Draw is on: the pointer draws
		return nil
	}
	if t.refusesCtrlAltDel(in) {
		return errCtrlAltDel
	}
	return t.remote.SendInput(in)
}

// setControls enables the toolbar while connected; after a view-only
// grant the control switches stay off (the end user's app has no input or
// clipboard channel for this technician anyway).
func (t *sessionTab) setControls(on bool) {
	t.mu.Lock()
	granted := t.granted
	t.mu.Unlock()
	t.enableDraw(on && !granted.ViewOnly())
	if m := t.mover(); m != nil && on {
		m.WatchFiles(t.fileProgress) // files.go
	}
	for _, w := range []fyne.Disableable{t.viewOnly, t.display, t.keys, t.sendClip, t.fetchClip, t.shot, t.sendFile, t.fetchFile, t.record} {
		files := w == t.sendFile || w == t.fetchFile // moving files needs control too, and a backend that moves them
		if on && ((granted.ViewOnly() && (w == t.viewOnly || w == t.keys || w == t.sendClip || w == t.fetchClip || files)) || (files && t.mover() == nil)) {
			w.Disable()
			continue
		}
		if on {
			w.Enable()
		} else {
			w.Disable()
		}
	}
}

func (t *sessionTab) setFit(on bool) {
	t.screen.SetFit(on)
	if on {
		t.scroller.Direction = container.ScrollNone
	} else {
		t.scroller.Direction = container.ScrollBoth
	}
	t.scroller.Refresh()
}

func (t *sessionTab) showChat(on bool) {
	t.chatShown = on
	t.layoutSide()
	if on {
		t.c.win.Canvas().Focus(t.chatEntry)
	}
}

func (t *sessionTab) sendChat() {
	text := strings.TrimSpace(t.chatEntry.Text)
	if text == "" || t.remote == nil {
		return
	}
	if err := t.remote.Chat(text); err != nil {
		t.setStatus("The message was not sent: " + sentence(err))
		return
	}
	t.chatEntry.SetText("")
}

func (t *sessionTab) sendClipboard() {
	text := t.c.app.Clipboard().Content()
	if text == "" {
		t.setStatus("Your clipboard holds no text to send.")
		return
	}
	if err := t.remote.SendClipboard(text); err != nil {
		t.setStatus("Could not send the clipboard: " + sentence(err))
		return
	}
	t.setStatus(fmt.Sprintf("Sent %d characters to the end user's clipboard.", len([]rune(text))))
}

func (t *sessionTab) fetchClipboard() {
	t.mu.Lock()
	text := t.remoteClip
	t.mu.Unlock()
	if text == "" {
		t.setStatus("The end user's clipboard holds no text (yet).")
		return
	}
	t.c.app.Clipboard().SetContent(text)
	t.setStatus(fmt.Sprintf("Copied the end user's clipboard (%d characters) to yours.", len([]rune(text))))
}

// writeFile saves data atomically, creating the directory.
func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

func (t *sessionTab) endSession() {
	t.mu.Lock()
	ended := t.ended
	t.mu.Unlock()
	if ended || t.remote == nil {
		t.c.closeTab(t)
		return
	}
	t.setStatus("Ending the session…")
	t.end.Disable()
	t.remote.End()
}

func (t *sessionTab) setStatus(s string) {
	t.status.SetText(s)
}

func (t *sessionTab) setTitle(prefix string) {
	t.mu.Lock()
	title := t.title
	t.mu.Unlock()
	t.item.Text = prefix + title
	t.c.tabs.Refresh()
}

// SessionView, from any goroutine.

func (t *sessionTab) Stage(text string) {
	t.c.do(func() {
		t.setStatus(text)
		if strings.HasPrefix(text, "Connection lost") {
			t.overlay.SetText("Reconnecting…\n" + text)
			t.overlay.Show()
			t.setTitle("⟳ ")
			return
		}
		if t.screen.Frame() == nil {
			t.overlay.SetText(text)
		}
	})
}

func (t *sessionTab) Connected(c proto.Connected) {
	t.mu.Lock()
	t.sessionID, t.info, t.online = c.Session.ID, c.Session, true
	if len(c.Granted) > 0 { // empty after a relay restart: keep what we knew
		t.granted = c.Granted
	}
	viewOnly := t.granted.ViewOnly()
	if name := sessionTitle(c.Session); name != "" {
		t.title = name
	}
	t.mu.Unlock()
	t.visibility.load(c.Session.ID)
	t.c.do(func() {
		t.setTitle("")
		t.refreshDesk()
		if viewOnly {
			t.viewOnly.SetChecked(true)
		}
		t.setControls(true)
		switch {
		case t.target.Monitor:
			t.setStatus("Watching " + c.Session.Owner + "'s session as a supervisor, view only; the end user sees you watching.")
		case viewOnly:
			t.setStatus("Connected, view only: the end user allowed you to see the screen, not to use the mouse, keyboard or clipboard.")
		case c.Resumed:
			t.setStatus("Connected again; the session resumed.")
		case c.Session.Owner != "" && c.Session.Owner != t.c.login.User:
			t.setStatus("Connected as a guest of " + c.Session.Owner + "; ask for control to use the mouse and keyboard.")
		default:
			t.setStatus("Connected. Click into the screen to control it; the end user sees who is connected.")
		}
		t.showCtrlAltDel()
		if t.screen.Frame() == nil {
			t.overlay.SetText("Waiting for the end user's screen…")
		} else {
			t.overlay.Hide()
		}
		var opts []string
		if d := c.Session.Device; d != nil {
			for i := range d.Displays {
				opts = append(opts, "Display "+strconv.Itoa(i+1))
			}
		}
		if len(opts) > 1 {
			sel := t.display.Selected
			t.display.SetOptions(opts)
			t.display.Selected = sel
			t.display.Refresh()
		}
	})
}

func (t *sessionTab) Frame(img *image.RGBA) {
	first := t.screen.Frame() == nil
	t.screen.SetFrame(img)
	if first {
		t.c.do(t.overlay.Hide)
	}
}

func (t *sessionTab) RemoteClipboard(text string) {
	t.mu.Lock()
	t.remoteClip = text
	t.mu.Unlock()
	t.c.do(func() {
		t.setStatus(fmt.Sprintf("The end user copied %d characters; Fetch clipboard takes them.", len([]rune(text))))
	})
}

func (t *sessionTab) Chat(m ChatLine) {
	t.c.do(func() {
		t.chatLines = append(t.chatLines, m)
		var b strings.Builder
		for _, l := range t.chatLines {
			fmt.Fprintf(&b, "%s  %s: %s\n", l.At.Local().Format("15:04"), l.From, l.Text)
		}
		t.chatLog.SetText(strings.TrimRight(b.String(), "\n"))
		if !m.Mine {
			if !t.chatShown {
				t.showChat(true)
			}
			t.setStatus("New message from " + m.From + ".")
		}
	})
}

func (t *sessionTab) AgentOnline(online bool) {
	t.mu.Lock()
	t.online = online
	t.mu.Unlock()
	t.c.do(func() {
		if online {
			t.setStatus("The end user's app is back.")
			t.overlay.Hide()
			t.setTitle("")
			return
		}
		t.setStatus("The end user's app lost its connection; waiting for it to come back…")
		t.overlay.SetText("Reconnecting…\nThe end user's app lost its connection.")
		t.overlay.Show()
		t.setTitle("⟳ ")
	})
}

func (t *sessionTab) Ended(err error) {
	t.mu.Lock()
	t.ended = true
	t.mu.Unlock()
	var text string
	var ended *client.ErrEnded
	var left *client.ErrLeft
	switch {
	case err == nil:
		text = "You ended the session."
	case errors.As(err, &left):
		text = left.Error()
	case errors.As(err, &ended):
		if ended.By == "end user" || ended.By == "agent" {
			text = "The end user ended the session."
		} else {
			text = ended.Error()
		}
	default:
		text = "The session could not continue: " + sentence(err)
	}
	t.c.do(func() {
		t.setControls(false)
		t.screen.SetViewOnly(true)
		t.setStatus(text)
		t.overlay.SetText(text)
		t.overlay.Show()
		t.end.SetText("Close tab")
		t.end.Importance = widget.MediumImportance
		t.end.Enable()
		t.end.Refresh()
		t.setTitle("✕ ")
		t.refreshDesk()
		if t.c.opts.OnSessionEnded != nil {
			t.c.opts.OnSessionEnded(text)
		}
		if then := t.dk.then; then != nil { // take over after monitoring
			t.dk.then = nil
			then()
		}
	})
}

// sampleStats updates the status bar's figures (UI goroutine, every second).
func (t *sessionTab) sampleStats(prevPainted *int64, every time.Duration) {
	if t.remote == nil {
		return
	}
	r := t.remote.Sample()
	_, painted := t.screen.Counts()
	shown := float64(painted-*prevPainted) / every.Seconds()
	*prevPainted = painted
	t.stats.SetText(Figures(r, shown))
	if t.c.opts.StatsLog != nil && r.Path != "" {
		t.c.opts.StatsLog(t.title, r, shown)
	}
}

// Figures writes the status bar's stream figures.
func Figures(r remote.Report, shownFPS float64) string {
	if r.Path == "" {
		return "no media yet"
	}
	return fmt.Sprintf("%.0f fps received · %.0f fps shown · %.0f kbit/s · RTT %.1f ms · %s",
		r.FPS, shownFPS, r.Kbps, float64(r.RTT.Microseconds())/1000, r.Path)
}

func sessionTitle(s proto.SessionInfo) string {
	if s.CustomerName != "" {
		return s.CustomerName
	}
	if d := s.Device; d != nil {
		if d.Username != "" && d.Hostname != "" {
			return d.Username + "@" + d.Hostname
		}
		if d.Hostname != "" {
			return d.Hostname
		}
	}
	return ""
}
