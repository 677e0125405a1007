package e2e

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/agent/session"
	"github.com/relaydesk/relaydesk/console/client"
	"github.com/relaydesk/relaydesk/pkg/download"
	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/transport"
	"github.com/relaydesk/relaydesk/relay/server"
	"github.com/relaydesk/relaydesk/relay/store"
)

// chatUI is an end user who allows every connection and collects the chat.
type chatUI struct {
	recordingUI
	chat  chan proto.Chat
	ended chan proto.SessionEnded
}

func (u *chatUI) Chat(c proto.Chat)          { u.chat <- c }
func (u *chatUI) Ended(e proto.SessionEnded) { u.ended <- e }
func newChatUI() *chatUI {
	return &chatUI{
		recordingUI: recordingUI{code: make(chan string, 1), joined: make(chan proto.Peer, 1)},
		chat:        make(chan proto.Chat, 16), ended: make(chan proto.SessionEnded, 2),
	}
}

// chatHandler is a technician's session handler that collects the chat.
type chatHandler struct {
	techHandler
	chat chan proto.Chat
}

func (h *chatHandler) Event(env proto.Envelope) {
	var c proto.Chat
	if env.Type == proto.TypeChat && env.Decode(&c) == nil {
		h.chat <- c
	}
}

func next[T any](t *testing.T, ch chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s", what)
		panic("unreachable")
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// signIn creates a technician and returns a saved-login equivalent.
func signIn(t *testing.T, ctx context.Context, addr, fp string, st store.Store, name string) client.Login {
	t.Helper()
	if _, err := server.CreateUser(ctx, st, name, store.RoleTechnician, name+"-password"); err != nil {
		t.Fatal(err)
	}
	c, err := client.Dial(ctx, addr, fp, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ok, err := c.Login(ctx, name, name+"-password")
	if err != nil {
		t.Fatal(err)
	}
	return client.Login{Relay: addr, Fingerprint: fp, User: name, Token: ok.Token}
}

// TestChatAndRatingThroughTheClients drives the agent's session package and
// the console's client package against an in-process relay: chat both
// ways in one order for everyone, then the end user's rating, visible in
// the session's details.
func TestChatAndRatingThroughTheClients(t *testing.T) {
	parallel(t)
	addr, fp, st := inProcessRelay(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	login := signIn(t, ctx, addr, fp, st, "tess")

	ui := newChatUI()
	ag := session.New(session.Config{Relay: addr, Fingerprint: fp, UI: ui, Logger: quiet()})
	if err := ag.Chat(ctx, "too early"); !errors.Is(err, transport.ErrClosed) {
		t.Fatalf("chat before the session: %v", err)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	agentDone := make(chan error, 1)
	wg.Go(func() { agentDone <- ag.Run(ctx) })
	code := next(t, ui.code, "code")

	h := &chatHandler{techHandler: techHandler{connected: make(chan proto.Connected, 1)}, chat: make(chan proto.Chat, 16)}
	var sess client.Session
	if err := sess.Chat(ctx, "not yet"); !errors.Is(err, transport.ErrClosed) {
		t.Fatalf("technician chat before connecting: %v", err)
	}
	techCtx, endTech := context.WithCancel(ctx)
	defer endTech()
	wg.Go(func() { sess.Run(techCtx, client.SessionOptions{Login: login, Target: proto.Connect{Code: code}}, h) })
	conn := next(t, h.connected, "connect")
	next(t, ui.joined, "join")

	if err := sess.Chat(ctx, "Hello, I am Tess."); err != nil {
		t.Fatal(err)
	}
	if err := ag.Chat(ctx, "  My printer is broken.  "); err != nil {
		t.Fatal(err)
	}
	if err := ag.Chat(ctx, " "); proto.CodeOf(err) != proto.ErrBadRequest {
		t.Fatalf("empty message: %v", err)
	}
	for _, who := range []struct {
		name string
		ch   chan proto.Chat
	}{{"end user", ui.chat}, {"technician", h.chat}} {
		a, b := next(t, who.ch, "first message"), next(t, who.ch, "second message")
		if a.From != "tess" || a.FromPeer != conn.PeerID || a.Text != "Hello, I am Tess." ||
			b.From != "End user" || b.FromPeer != 0 || b.Text != "My printer is broken." || b.At.Before(a.At) {
			t.Fatalf("%s saw %+v then %+v", who.name, a, b)
		}
	}

	if err := ag.Rate(ctx, 5, "too early"); proto.CodeOf(err) != proto.ErrSessionState {
		t.Fatalf("rating a live session: %v", err)
	}
	endTech() // the technician ends the session
	if e := next(t, ui.ended, "end"); e.By != "tess" {
		t.Fatalf("ended by %q", e.By)
	}
	if err := next(t, agentDone, "agent's end"); err != nil {
		t.Fatalf("agent: %v", err)
	}
	if err := ag.Rate(ctx, 4, "Quick and friendly."); err != nil {
		t.Fatalf("rating: %v", err)
	}
	if err := ag.Rate(ctx, 1, "changed my mind"); proto.CodeOf(err) != proto.ErrSessionState {
		t.Fatalf("second rating: %v", err)
	}

	c, err := login.Open(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	d, err := c.SessionDetails(ctx, ag.SessionID())
	if err != nil {
		t.Fatal(err)
	}
	if d.Session.Status != "Closed" || d.Session.Rating != 4 || d.Session.RatingComment != "Quick and friendly." ||
		len(d.Chat) != 2 || d.Chat[0].From != "tess" || d.Chat[1].Text != "My printer is broken." || len(d.History) < 3 {
		t.Fatalf("details %+v", d)
	}
	if _, err := c.SessionDetails(ctx, "0000"); proto.CodeOf(err) != proto.ErrSessionUnknown {
		t.Fatalf("unknown session: %v", err)
	}
}

// prompter answers Serve's questions from a script and records them.
type prompter struct {
	mu       sync.Mutex
	asked    []string // AskConnection problems
	problems []string // Problem texts, with "(retry)" when offered
	lines    []string // answers to AskConnection; none left: give up
	retries  int      // how many Problems to answer with Retry
}

func (p *prompter) AskConnection(ctx context.Context, problem string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asked = append(p.asked, problem)
	if len(p.lines) == 0 {
		return "", false
	}
	l := p.lines[0]
	p.lines = p.lines[1:]
	return l, true
}

// ConfirmRelay accepts the relay (a dev build asks once before connecting).
func (p *prompter) ConfirmRelay(ctx context.Context, host string) bool { return true }

func (p *prompter) Problem(ctx context.Context, text string, retry bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if retry {
		text += " (retry)"
	}
	p.problems = append(p.problems, text)
	if retry && p.retries > 0 {
		p.retries--
		return true
	}
	return false
}

func target(t *testing.T, addr, fp, tok string) download.Target {
	host, port, _ := net.SplitHostPort(addr)
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	return download.Target{Host: host, Port: n, Fingerprint: fp, Token: tok}
}

// TestServeAsksForTheConnectionDetails: an app that knows no relay asks
// for the download page's line until it gets one that works, with a
// sentence for every wrong one.
func TestServeAsksForTheConnectionDetails(t *testing.T) {
	parallel(t)
	addr, fp, _ := inProcessRelay(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ui := newChatUI()
	ag := session.New(session.Config{UI: ui, Logger: quiet()})
	other := "sha256:" + strings.Repeat("ab", 32)
	p := &prompter{lines: []string{
		"hello",
		"https://" + addr + "/s/Abcdefghijklmnopqrstuvwxyz0123456789-_ABCD",
		download.ConnectionLine(target(t, addr, other, "")),
		download.ConnectionLine(target(t, addr, fp, "Abcdefghijklmnopqrstuvwxyz0123456789-_ABCD")),
		download.ConnectionLine(target(t, addr, fp, "")),
	}}
	done := make(chan error, 1)
	go func() { done <- ag.Serve(ctx, p) }()
	next(t, ui.code, "code") // registered with the last line
	cancel()
	if err := next(t, done, "end"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Serve: %v", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	want := []string{"does not know which support server", "not the line from the download page", "also has the server's key", "could not prove it is the right one", "support link is not valid"}
	if len(p.asked) != len(want) {
		t.Fatalf("asked %d times: %q", len(p.asked), p.asked)
	}
	for i, w := range want {
		if !strings.Contains(p.asked[i], w) {
			t.Errorf("question %d: %q lacks %q", i, p.asked[i], w)
		}
	}
}

// TestServeOffersRetry: an unreachable relay is a problem with Retry; a
// used link is one without.
func TestServeOffersRetry(t *testing.T) {
	parallel(t)
	pc, _ := net.ListenPacket("udp", "127.0.0.1:0")
	dead := pc.LocalAddr().String()
	pc.Close() // nothing answers there
	fp := "sha256:" + strings.Repeat("cd", 32)
	ui := newChatUI()
	ag := session.New(session.Config{Relay: dead, Fingerprint: fp, UI: ui, Logger: quiet(),
		StartGiveUp: 300 * time.Millisecond, DialTimeout: 300 * time.Millisecond, MinBackoff: 50 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
	p := &prompter{retries: 1}
	err := ag.Serve(context.Background(), p)
	if !errors.Is(err, session.ErrGaveUp) || len(p.problems) != 2 || !strings.Contains(p.problems[0], "cannot be reached") || !strings.HasSuffix(p.problems[1], "(retry)") {
		t.Fatalf("Serve: %v, problems %q", err, p.problems)
	}

	addr, fp, st := inProcessRelay(t)
	ctx := context.Background()
	login := signIn(t, ctx, addr, fp, st, "tina")
	c, err := login.Open(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	link, err := c.CreateLink(ctx, proto.LinkCreate{CustomerName: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	tok := link.URL[strings.LastIndex(link.URL, "/")+1:]
	first := newChatUI()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	firstAg := session.New(session.Config{Relay: addr, Fingerprint: fp, LinkToken: tok, UI: first, Logger: quiet()})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer stop()
	wg.Go(func() { firstAg.Run(runCtx) })
	waitQueue(t, c, link.SessionID, "Ready")

	p = &prompter{retries: 5}
	err = session.New(session.Config{Relay: addr, Fingerprint: fp, LinkToken: tok, UI: newChatUI(), Logger: quiet()}).Serve(ctx, p)
	if proto.CodeOf(err) != proto.ErrLinkUsed || len(p.problems) != 1 || strings.HasSuffix(p.problems[0], "(retry)") || !strings.Contains(p.problems[0], "already used") {
		t.Fatalf("used link: %v, problems %q", err, p.problems)
	}
}

// waitQueue waits until session id has status want in the technician's queue.
func waitQueue(t *testing.T, c *client.Conn, id string, want proto.Status) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, err := c.SessionDetails(context.Background(), id)
		if err == nil && d.Session.Status == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("session %s is not %s: %+v %v", id, want, d.Session, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
