package ui

import (
	"context"
	"errors"
	"fmt"
	"image"

	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/console/client"
	"github.com/relaydesk/relaydesk/console/remote"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// fakeBackend records what the console asks of the relay.
type fakeBackend struct {
	fakeDesk // desk_test.go
	mu       sync.Mutex
	fp       string
	signIns  int
	handler  client.QueueHandler
	links    []string
	opened   []proto.Connect
	remotes  []*fakeRemote
	views    []SessionView
	watching chan struct{}

	signOuts   []string // tokens the console asked the relay to revoke
	signOutErr error
}

func (b *fakeBackend) Probe(context.Context, string) (string, error) { return b.fp, nil }

func (b *fakeBackend) SignIn(_ context.Context, relay, fp, user, pw string) (client.Login, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.signIns++
	if pw != "right" {
		return client.Login{}, &proto.Failure{Code: proto.ErrUnauthenticated, Message: "Wrong user name or password."}
	}
	return client.Login{Relay: relay, Fingerprint: fp, User: user, Role: "technician", Token: "t"}, nil
}

func (b *fakeBackend) SignOut(_ context.Context, l client.Login) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.signOuts = append(b.signOuts, l.Token)
	return b.signOutErr
}

func (b *fakeBackend) Watch(ctx context.Context, _ client.Login, h client.QueueHandler) error {
	b.mu.Lock()
	b.handler = h
	b.mu.Unlock()
	close(b.watching)
	<-ctx.Done()
	return nil
}

func (b *fakeBackend) CreateLink(_ context.Context, _ client.Login, name string, exp time.Duration) (proto.LinkCreated, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.links = append(b.links, name)
	return proto.LinkCreated{SessionID: "s-link", URL: "https://relay:4433/s/tok", ExpiresAt: time.Now().Add(exp)}, nil
}

func (b *fakeBackend) Open(_ client.Login, target proto.Connect, v SessionView) Remote {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := &fakeRemote{}
	b.opened = append(b.opened, target)
	b.remotes = append(b.remotes, r)
	b.views = append(b.views, v)
	return r
}

type fakeRemote struct {
	mu       sync.Mutex
	inputs   []proto.Input
	clip     []string
	displays []int
	viewOnly []bool
	chats    []string
	ended    bool
}

func (r *fakeRemote) SendInput(in proto.Input) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inputs = append(r.inputs, in)
	return nil
}
func (r *fakeRemote) SendClipboard(t string) error { r.clip = append(r.clip, t); return nil }
func (r *fakeRemote) ShowDisplay(n int) error      { r.displays = append(r.displays, n); return nil }
func (r *fakeRemote) SetViewOnly(v bool) error     { r.viewOnly = append(r.viewOnly, v); return nil }
func (r *fakeRemote) Chat(t string) error          { r.chats = append(r.chats, t); return nil }
func (r *fakeRemote) Sample() remote.Report        { return remote.Report{FPS: 30, Kbps: 800, Path: "direct"} }
func (r *fakeRemote) End()                         { r.ended = true }

func newTestConsole(t *testing.T) (*Console, *fakeBackend, fyne.App) {
	t.Helper()
	a := test.NewApp()
	t.Cleanup(a.Quit)
	known, err := client.LoadKnownRelays(filepath.Join(t.TempDir(), "known.json"))
	if err != nil {
		t.Fatal(err)
	}
	be := &fakeBackend{fp: "sha256:" + strings.Repeat("ab", 32), watching: make(chan struct{})}
	loop := &uiLoop{}
	testLoop = loop
	c := New(a, be, Options{DataDir: t.TempDir(), Known: known, Do: loop.do})
	t.Cleanup(func() {
		c.stopWatch()
		done := make(chan struct{})
		go func() { c.wg.Wait(); close(done) }()
		for { // the console's goroutines may wait for the UI goroutine while they stop
			loop.run()
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	})
	c.win.Show()
	return c, be, a
}

// sessionConsole signs a test console in (its queue shown) and connects to
// target: the console, its backend and the new session tab.
func sessionConsole(t *testing.T, target proto.Connect) (*Console, *fakeBackend, *sessionTab) {
	t.Helper()
	c, be, _ := newTestConsole(t)
	c.ShowQueue(client.Login{Relay: "relay:4433", User: "tina", Token: "t"})
	<-be.watching
	c.Connect(target)
	return c, be, c.sessions[0]
}

// uiLoop stands in for Fyne's UI goroutine: the console's goroutines queue
// their UI work (Options.Do) and the test's goroutine runs it, so the
// widgets are only ever touched by one goroutine, as in the real app.
type uiLoop struct {
	mu  sync.Mutex
	fns []func()
}

func (l *uiLoop) do(f func()) {
	l.mu.Lock()
	l.fns = append(l.fns, f)
	l.mu.Unlock()
}

// run runs what was queued, and what that queued, until nothing is left.
func (l *uiLoop) run() {
	for {
		l.mu.Lock()
		fns := l.fns
		l.fns = nil
		l.mu.Unlock()
		if len(fns) == 0 {
			return
		}
		for _, f := range fns {
			f()
		}
	}
}

// testLoop is the running test's UI loop (tests of this package run one at a time).
var testLoop *uiLoop

// eventually waits for cond, which the console's goroutines make true,
// running their UI work meanwhile.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for testLoop.run(); !cond(); testLoop.run() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestValidateSignIn(t *testing.T) {
	for _, c := range []struct{ relay, user, pw, want string }{
		{"relay.example.com:4433", "tina", "pw", ""},
		{"[::1]:4433", "tina", "pw", ""},
		{"relay.example.com", "tina", "pw", "host:port"},
		{":4433", "tina", "pw", "host:port"},
		{"relay:99999", "tina", "pw", "from 1 to 65535"},
		{"relay:http", "tina", "pw", "from 1 to 65535"},
		{"relay:4433", " ", "pw", "user name"},
		{"relay:4433", "tina", "", "password"},
	} {
		err := ValidateSignIn(c.relay, c.user, c.pw)
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("ValidateSignIn(%q, %q, %q) = %v, want %q", c.relay, c.user, c.pw, err, c.want)
		}
	}
}

func TestSignInTrustsOnFirstUseAndBlocksAChangedKey(t *testing.T) {
	c, be, _ := newTestConsole(t)
	c.ShowSignIn("", "", "")
	test.Tap(c.signInBtn) // empty form: a sentence, no network
	if !strings.Contains(c.signInErr.Text, "host:port") || be.signIns != 0 {
		t.Fatalf("empty form: %q, %d sign-ins", c.signInErr.Text, be.signIns)
	}
	test.Type(c.relayEntry, "relay.example.com:4433")
	test.Type(c.userEntry, "tina")
	test.Type(c.pwEntry, "right")
	test.Tap(c.signInBtn)
	// First contact: the key is shown and the technician is asked.
	eventually(t, "the trust question", func() bool { return c.trustAnswer != nil })
	if be.signIns != 0 {
		t.Fatal("signed in before the key was trusted")
	}
	c.trustAnswer(true)
	eventually(t, "the queue", func() bool { return c.tabs != nil })
	if fp, ok := c.opts.Known.Key("relay.example.com:4433"); !ok || fp != be.fp {
		t.Fatalf("trusted key %q %v", fp, ok)
	}
	if c.login.User != "tina" {
		t.Fatalf("login %+v", c.login)
	}

	// The relay's key changes: signing in is blocked with a warning.
	be.fp = "sha256:" + strings.Repeat("cd", 32)
	c.ShowSignIn("relay.example.com:4433", "tina", "")
	test.Type(c.pwEntry, "right")
	test.Tap(c.signInBtn)
	eventually(t, "the warning", func() bool { return strings.Contains(c.signInErr.Text, "different key") })
	if be.signIns != 1 || c.trustAnswer != nil {
		t.Fatalf("a changed key was not blocked: %d sign-ins", be.signIns)
	}
	if !strings.Contains(c.signInErr.Text, be.fp) {
		t.Fatalf("the warning does not show the presented key: %q", c.signInErr.Text)
	}

	// Declining the key of a new relay signs nobody in.
	c.ShowSignIn("other.example.com:4433", "tina", "")
	test.Type(c.pwEntry, "right")
	test.Tap(c.signInBtn)
	eventually(t, "the trust question", func() bool { return c.trustAnswer != nil })
	c.trustAnswer(false)
	if be.signIns != 1 || !strings.Contains(c.signInErr.Text, "did not trust") {
		t.Fatalf("declined key: %d sign-ins, %q", be.signIns, c.signInErr.Text)
	}
}

func TestWrongPasswordIsASentence(t *testing.T) {
	c, be, _ := newTestConsole(t)
	c.opts.Known.Trust("relay:4433", be.fp)
	c.ShowSignIn("relay:4433", "tina", "")
	test.Type(c.pwEntry, "wrong")
	test.Tap(c.signInBtn)
	eventually(t, "the error", func() bool { return c.signInErr.Text == "Wrong user name or password." })
	if c.tabs != nil || c.signInBtn.Disabled() {
		t.Fatal("a failed sign-in must leave the form usable")
	}
}

func session(id string, status proto.Status, owner string, created time.Time) proto.SessionInfo {
	return proto.SessionInfo{ID: id, Kind: "link", Status: status, Owner: owner, CreatedAt: created, AgentOnline: status != "Waiting"}
}

func TestQueueIsLiveFilteredSortedAndConnects(t *testing.T) {
	c, be, _ := newTestConsole(t)
	now := time.Now()
	c.opts.Now = func() time.Time { return now }
	c.ShowQueue(client.Login{Relay: "relay:4433", User: "tina", Token: "t"})
	<-be.watching
	be.handler.Snapshot([]proto.SessionInfo{
		session("a", "Waiting", "tina", now.Add(-10*time.Minute)),
		session("b", "Ready", "tina", now.Add(-2*time.Minute)),
		session("c", "Ready", "tina", now.Add(-5*time.Minute)),
		session("d", "Ready", "max", now.Add(-9*time.Minute)),
	})
	testLoop.run()
	be.handler.Online(nil)
	testLoop.run()
	ids := func() string {
		var s []string
		for _, r := range c.rows {
			s = append(s, r.ID)
		}
		return strings.Join(s, ",")
	}
	// All visible at first; Ready first, longest waiting first.
	if got := ids(); got != "d,c,b,a" {
		t.Fatalf("all rows %s", got)
	}
	c.filter.SetSelected(FilterMine)
	if got := ids(); got != "c,b,a" {
		t.Fatalf("mine %s", got)
	}
	c.filter.SetSelected(FilterAll)
	// A pushed update moves a session.
	u := session("c", "Active", "tina", now.Add(-5*time.Minute))
	u.StartedAt, u.Technicians = now, []string{"tina"}
	be.handler.Update(u)
	testLoop.run()
	if got := ids(); got != "d,b,a,c" {
		t.Fatalf("after update %s", got)
	}
	if !strings.Contains(c.queueStatus.Text, "live") {
		t.Fatalf("status %q", c.queueStatus.Text)
	}
	// A Waiting link cannot be connected; a Ready session can, with Enter.
	c.table.Select(widget.TableCellID{Row: 2, Col: 0})
	if !c.connectSel.Disabled() {
		t.Fatal("Connect enabled on a Waiting link")
	}
	c.table.Select(widget.TableCellID{Row: 1, Col: 0})
	if c.connectSel.Disabled() || !strings.Contains(c.details.Text, "Ready") {
		t.Fatalf("Ready session: connect disabled, details %q", c.details.Text)
	}
	c.table.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if len(be.opened) != 1 || be.opened[0].SessionID != "b" {
		t.Fatalf("opened %+v", be.opened)
	}
	// Up moves the selection; a double click connects the row under the pointer.
	c.table.TypedKey(&fyne.KeyEvent{Name: fyne.KeyUp})
	if c.selected != "d" {
		t.Fatalf("selected %q after Up", c.selected)
	}
	// The header row and each row are a label high: the point below lies
	// in the middle of the second row (b).
	rowH := widget.NewLabel("x").MinSize().Height
	// b is open in a tab already: the tab comes to the front, nothing reconnects.
	c.tabs.Select(c.queueItem)
	c.table.DoubleTapped(&fyne.PointEvent{Position: fyne.NewPos(10, rowH*2.5)})
	if len(be.opened) != 1 || c.selected != "b" || c.tabs.Selected() != c.sessions[0].item {
		t.Fatalf("double click on an open session: %+v, selected %q", be.opened, c.selected)
	}
	// d (first row) is not open: a double click connects it.
	c.table.DoubleTapped(&fyne.PointEvent{Position: fyne.NewPos(10, rowH*1.5)})
	if len(be.opened) != 2 || be.opened[1].SessionID != "d" {
		t.Fatalf("double click did not connect the row under the pointer: %+v, selected %q", be.opened, c.selected)
	}
	// Ended sessions leave the live rows and go to the bottom.
	e := session("d", "Closed", "max", now.Add(-9*time.Minute))
	e.EndedAt = now
	be.handler.Update(e)
	testLoop.run()
	if got := ids(); !strings.HasSuffix(got, ",d") {
		t.Fatalf("after close %s", got)
	}
}

func TestCodeFieldGroupsValidatesAndConnects(t *testing.T) {
	c, be, _ := newTestConsole(t)
	c.ShowQueue(client.Login{Relay: "relay:4433", User: "tina", Token: "t"})
	<-be.watching
	test.Type(c.code, "12a3-45")
	if c.code.Text != "123 45" || !c.connectCode.Disabled() {
		t.Fatalf("partial code %q, connect disabled %v", c.code.Text, c.connectCode.Disabled())
	}
	if c.code.Validate() == nil {
		t.Fatal("a partial code validates")
	}
	test.Type(c.code, "6789999")
	if c.code.Text != "123 456 789" || c.connectCode.Disabled() {
		t.Fatalf("full code %q, connect disabled %v", c.code.Text, c.connectCode.Disabled())
	}
	test.Tap(c.connectCode)
	if len(be.opened) != 1 || be.opened[0].Code != "123456789" {
		t.Fatalf("opened %+v", be.opened)
	}
	if c.code.Text != "" || len(c.sessions) != 1 || c.sessions[0].item.Text != "Code 123 456 789" {
		t.Fatalf("after connect: field %q, %d tabs", c.code.Text, len(c.sessions))
	}
}

func TestCreateLinkGoesToTheClipboard(t *testing.T) {
	c, be, a := newTestConsole(t)
	c.ShowQueue(client.Login{Relay: "relay:4433", User: "tina", Token: "t"})
	<-be.watching
	c.CreateLink(" Aaron ", time.Hour)
	eventually(t, "the link", func() bool { return a.Clipboard().Content() == "https://relay:4433/s/tok" })
	if be.links[0] != "Aaron" || !strings.Contains(c.queueStatus.Text, "copied to the clipboard") {
		t.Fatalf("links %q, status %q", be.links, c.queueStatus.Text)
	}
}

func TestSessionToolbar(t *testing.T) {
	c, be, a := newTestConsole(t)
	c.ShowQueue(client.Login{Relay: "relay:4433", User: "tina", Token: "t"})
	<-be.watching
	c.Connect(proto.Connect{Code: "123456789"})
	tab, r := c.sessions[0], be.remotes[0]
	tab.Stage("Asking the end user for permission…")
	testLoop.run()
	if tab.overlay.Text != "Asking the end user for permission…" || !tab.sendClip.Disabled() {
		t.Fatalf("before consent: overlay %q, toolbar enabled", tab.overlay.Text)
	}
	info := proto.SessionInfo{ID: "s1", Status: "Active", CustomerName: "Aaron",
		Device: &proto.DeviceInfo{Displays: []proto.Display{{Width: 1920, Height: 1080}, {Width: 1280, Height: 1024}}}}
	tab.Connected(proto.Connected{Session: info})
	testLoop.run()
	if tab.item.Text != "Aaron" || tab.sendClip.Disabled() || len(tab.display.Options) != 2 {
		t.Fatalf("connected: title %q, displays %v", tab.item.Text, tab.display.Options)
	}
	img := image.NewRGBA(image.Rect(0, 0, 64, 36))
	for i := range img.Pix {
		img.Pix[i] = 0x80
	}
	tab.Frame(img)
	testLoop.run()
	if !tab.overlay.Hidden || tab.screen.Frame() == nil {
		t.Fatal("the first frame did not replace the overlay")
	}

	// Special keys: pressed in order, released in reverse.
	tab.keys.SetSelected("Ctrl+Alt+Del")
	var keys []string
	for _, in := range r.inputs {
		k := map[proto.InputKind]string{proto.InputKeyDn: "+", proto.InputKeyUp: "-"}[in.Kind]
		keys = append(keys, k+in.Key)
	}
	if got := strings.Join(keys, " "); got != "+Control_L +Alt_L +Delete -Delete -Alt_L -Control_L" {
		t.Fatalf("Ctrl+Alt+Del sent %q", got)
	}
	// View only: told to the agent, and the screen sends nothing.
	tab.viewOnly.SetChecked(true)
	n := len(r.inputs)
	tab.keys.SetSelected("Alt+Tab")
	if len(r.viewOnly) != 1 || !r.viewOnly[0] || len(r.inputs) != n {
		t.Fatalf("view only: %v, %d inputs after", r.viewOnly, len(r.inputs)-n)
	}
	tab.viewOnly.SetChecked(false)
	// Display switcher.
	tab.display.SetSelected("Display 2")
	if len(r.displays) != 1 || r.displays[0] != 1 {
		t.Fatalf("displays %v", r.displays)
	}
	// Clipboard both ways.
	a.Clipboard().SetContent("from the technician")
	test.Tap(tab.sendClip)
	tab.RemoteClipboard("from the end user")
	test.Tap(tab.fetchClip)
	if len(r.clip) != 1 || r.clip[0] != "from the technician" || a.Clipboard().Content() != "from the end user" {
		t.Fatalf("clipboard: sent %q, local %q", r.clip, a.Clipboard().Content())
	}
	// Screenshot: the markup editor, then (without the admin API) a PNG
	// kept on this computer with the session.
	test.Tap(tab.shot)
	test.Tap(tab.editor.save)
	eventually(t, "the screenshot", func() bool { tab.mu.Lock(); defer tab.mu.Unlock(); return len(tab.shots) == 1 })
	if fi, err := os.Stat(tab.shots[0]); err != nil || fi.Size() == 0 || !strings.Contains(tab.shots[0], filepath.Join("sessions", "s1")) {
		t.Fatalf("screenshot %v: %v", tab.shots, err)
	}
	// Chat: sending, and an incoming message opens the panel.
	tab.Chat(ChatLine{From: "Aaron", Text: "hello?", At: time.Now()})
	testLoop.run()
	if !tab.chatShown || !strings.Contains(tab.chatLog.Text, "Aaron: hello?") {
		t.Fatalf("chat %v %q", tab.chatShown, tab.chatLog.Text)
	}
	test.Type(tab.chatEntry, "on my way")
	tab.chatEntry.OnSubmitted(tab.chatEntry.Text)
	if len(r.chats) != 1 || r.chats[0] != "on my way" || tab.chatEntry.Text != "" {
		t.Fatalf("chat sent %q", r.chats)
	}
	// Trouble: reconnecting, then the end user ends it.
	tab.Stage("Connection lost (The relay is restarting.). Reconnecting in 250ms…")
	testLoop.run()
	if !strings.HasPrefix(tab.item.Text, "⟳") || !strings.Contains(tab.overlay.Text, "Reconnecting") {
		t.Fatalf("reconnecting: %q %q", tab.item.Text, tab.overlay.Text)
	}
	tab.Connected(proto.Connected{Session: info, Resumed: true})
	testLoop.run()
	tab.Ended(&client.ErrEnded{SessionEnded: proto.SessionEnded{By: "end user"}})
	testLoop.run()
	if tab.status.Text != "The end user ended the session." || !tab.sendClip.Disabled() || tab.end.Text != "Close tab" {
		t.Fatalf("ended: %q", tab.status.Text)
	}
	test.Tap(tab.end)
	if len(c.sessions) != 0 || r.ended {
		t.Fatalf("closing an ended tab: %d tabs, End called %v", len(c.sessions), r.ended)
	}
}

func TestEndSessionAndErrors(t *testing.T) {
	c, be, _ := newTestConsole(t)
	c.ShowQueue(client.Login{Relay: "relay:4433", User: "tina", Token: "t"})
	<-be.watching
	c.Connect(proto.Connect{SessionID: "s2"})
	tab, r := c.sessions[0], be.remotes[0]
	test.Tap(tab.end)
	if !r.ended || !tab.end.Disabled() {
		t.Fatal("End session did not end it")
	}
	tab.Ended(nil)
	testLoop.run()
	if tab.status.Text != "You ended the session." {
		t.Fatalf("status %q", tab.status.Text)
	}
	c.Connect(proto.Connect{Code: "111222333"})
	tab = c.sessions[1]
	tab.Ended(&proto.Failure{Code: proto.ErrWrongCode, Message: "No session has this code."})
	testLoop.run()
	if !strings.Contains(tab.status.Text, "No session has this code.") {
		t.Fatalf("status %q", tab.status.Text)
	}
	tab.Ended(errors.New("boom"))
	testLoop.run()
	if !strings.HasSuffix(tab.status.Text, "boom.") {
		t.Fatalf("status %q", tab.status.Text)
	}
}

func TestFigures(t *testing.T) {
	if got := Figures(remote.Report{}, 0); got != "no media yet" {
		t.Fatal(got)
	}
	got := Figures(remote.Report{FPS: 29.6, Kbps: 812, RTT: 1500 * time.Microsecond, Path: "relayed"}, 28.4)
	if got != "30 fps received · 28 fps shown · 812 kbit/s · RTT 1.5 ms · relayed" {
		t.Fatal(got)
	}
}

func TestDetailsShowDeviceAndRating(t *testing.T) {
	now := time.Now()
	s := proto.SessionInfo{ID: "x", Kind: "link", Status: "Closed", Owner: "tina", CustomerName: "Aaron", CreatedAt: now, EndedBy: "end user",
		Rating: 4, RatingComment: "quick, thanks",
		Device: &proto.DeviceInfo{OS: "linux", OSVersion: "Debian 12", Hostname: "pc-7", Username: "aaron", PublicIP: "203.0.113.9",
			LocalIPs: []string{"10.0.0.7"}, Displays: []proto.Display{{Width: 1920, Height: 1080, Primary: true}}}}
	got := Details(s, now)
	for _, want := range []string{"for Aaron", "by tina", "ended by end user", "★★★★☆ (4 of 5)", `"quick, thanks"`,
		"pc-7", "linux Debian 12", "user aaron", "IP 203.0.113.9, local 10.0.0.7", "displays 1920x1080 (primary)"} {
		if !strings.Contains(got, want) {
			t.Errorf("details %q lack %q", got, want)
		}
	}
}

// TestViewOnlyGrantIsShown: when the end user allowed view only, the tab
// says so and the control switches stay off.
func TestViewOnlyGrantIsShown(t *testing.T) {
	_, _, tab := sessionConsole(t, proto.Connect{Code: "123456789"})
	tab.Connected(proto.Connected{Session: proto.SessionInfo{ID: "s1", Status: "Active"}, Granted: proto.Grant{proto.PermView}})
	testLoop.run()
	if !tab.viewOnly.Checked || !tab.viewOnly.Disabled() || !tab.keys.Disabled() || !tab.sendClip.Disabled() || !tab.fetchClip.Disabled() || tab.shot.Disabled() {
		t.Fatal("view only: the control switches are not off (or the screenshot is)")
	}
	if !strings.Contains(tab.status.Text, "view only") {
		t.Fatalf("status %q does not say view only", tab.status.Text)
	}
	// A resume without the grant (relay restarted) keeps what was known.
	tab.Connected(proto.Connected{Session: proto.SessionInfo{ID: "s1", Status: "Active"}, Resumed: true})
	testLoop.run()
	if !tab.keys.Disabled() {
		t.Fatal("a resume re-enabled the keys of a view-only session")
	}
}

// After Shutdown, Fyne runs UI calls at once on the caller's goroutine:
// the console runs them one at a time, in order, and a call made from
// inside one waits its turn rather than deadlocking. (With -race, two
// running together would be reported: they share the counter unguarded.)
func TestUICallsAfterShutdownRunOneAtATime(t *testing.T) {
	a := test.NewApp()
	t.Cleanup(a.Quit)
	be := &fakeBackend{watching: make(chan struct{})}
	c := New(a, be, Options{DataDir: t.TempDir(), Known: &client.KnownRelays{},
		Do: func(f func()) { f() }}) // as Fyne does once drained
	c.Shutdown()
	var n, running int
	var order []int
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			c.do(func() {
				running++
				if running > 1 {
					t.Errorf("%d UI calls ran at once", running)
				}
				n++
				time.Sleep(time.Millisecond)
				if i == 0 {
					c.do(func() { order = append(order, 100) }) // nested
					order = append(order, 0)
				}
				running--
			})
		})
	}
	wg.Wait()
	if n != 8 {
		t.Fatalf("%d of 8 UI calls ran", n)
	}
	if len(order) != 2 || order[0] != 0 || order[1] != 100 {
		t.Fatalf("a call made inside another ran at %v, want after it", order)
	}
}

// From the moment the console asks the app to quit until Shutdown, Fyne's
// loop winds down and would run UI calls on their callers' goroutines,
// racing Shutdown: they are held, and run in order once Shutdown starts.
func TestUICallsWhileQuittingWaitForShutdown(t *testing.T) {
	a := test.NewApp()
	t.Cleanup(a.Quit)
	be := &fakeBackend{watching: make(chan struct{})}
	var direct int
	c := New(a, be, Options{DataDir: t.TempDir(), Known: &client.KnownRelays{},
		Do: func(f func()) { direct++; f() }})
	var order []int
	c.do(func() { order = append(order, 0) })
	if direct != 1 || len(order) != 1 {
		t.Fatalf("while running: %d calls through Options.Do, %d ran, want 1 and 1", direct, len(order))
	}
	c.hold()
	done := make(chan struct{})
	go func() { // a session's goroutine
		c.do(func() { order = append(order, 1) })
		close(done)
	}()
	<-done
	c.do(func() { order = append(order, 2) })
	if direct != 1 || len(order) != 1 {
		t.Fatalf("while quitting: %d calls through Options.Do, %d ran, want 1 and 1", direct, len(order))
	}
	c.Shutdown()
	if fmt.Sprint(order) != "[0 1 2]" {
		t.Fatalf("after Shutdown the calls ran as %v, want [0 1 2]", order)
	}
	c.do(func() { order = append(order, 3) })
	if len(order) != 4 || direct != 1 {
		t.Fatalf("a call after Shutdown: order %v, %d through Options.Do", order, direct)
	}
}

// The words over the screen (connecting, ended) wrap across the screen's
// width, not one letter per line in a box as narrow as the widest word.
func TestOverlayTextSpansTheScreen(t *testing.T) {
	c, _, tab := sessionConsole(t, proto.Connect{SessionID: "s2"})
	tab.Ended(&proto.Failure{Code: proto.ErrWrongCode, Message: "No session has this code: ask the end user to read it again."})
	testLoop.run()
	c.win.Resize(fyne.NewSize(1280, 800))
	c.win.Canvas().Refresh(c.win.Content())
	line := fyne.MeasureText("No session", theme.TextSize(), fyne.TextStyle{Bold: true}).Height
	size := tab.overlay.Size()
	if size.Width < 400 || size.Height > 4*line {
		t.Fatalf("the overlay is %.0fx%.0f (a line is %.0f high): its text does not span the screen", size.Width, size.Height, line)
	}
}
