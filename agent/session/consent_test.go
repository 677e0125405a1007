package session

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/agent/share"
	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/rtc"
	"github.com/relaydesk/relaydesk/pkg/transport"
	"github.com/relaydesk/relaydesk/pkg/transport/transporttest"
)

// fakeRelay is a relay in the test process, on real QUIC over loopback,
// that the test drives: it registers the agent, then sends what the test
// asks (a malicious relay may send anything) and records the offers.
type fakeRelay struct {
	addr, fp string
	conns    chan *transport.Peer // one per agent connection
	offers   chan int64           // the peer ID of every offer the agent sent
	mu       sync.Mutex
	peers    []proto.Peer // the resume reply's Peers
}

func startFakeRelay(t *testing.T) *fakeRelay {
	t.Helper()
	r := &fakeRelay{conns: make(chan *transport.Peer, 4), offers: make(chan int64, 16)}
	lb := transporttest.Serve(t, r.handle)
	r.addr, r.fp = lb.Addr, lb.Fingerprint
	return r
}

func (r *fakeRelay) handle(p *transport.Peer, env proto.Envelope) {
	switch env.Type {
	case proto.TypeHello:
		p.Reply(env.ID, proto.TypeWelcome, &proto.Welcome{Version: proto.Version})
	case proto.TypeAgentRegister:
		var req proto.AgentRegister
		env.Decode(&req)
		reg := proto.AgentRegistered{SessionID: "s1", Code: "123456789", CodeExpiresAt: time.Now().Add(time.Hour), ResumeKey: "rk", Status: "Ready"}
		if req.ResumeKey == "rk" {
			r.mu.Lock()
			reg = proto.AgentRegistered{SessionID: "s1", Status: "Active", Resumed: true, Peers: r.peers}
			r.mu.Unlock()
		}
		p.Reply(env.ID, proto.TypeAgentRegistered, &reg)
		r.conns <- p
	case proto.TypeSignal:
		var sig proto.Signal
		if env.Decode(&sig) == nil && sig.Kind == rtc.KindOffer {
			r.offers <- sig.Peer
		}
	case proto.TypeEnd:
		p.Reply(env.ID, proto.TypeOK, &proto.OK{})
	}
}

// grantUI answers consent requests with the grant set for the peer and
// records the relay host it was shown.
type grantUI struct {
	mu     sync.Mutex
	grants map[int64]proto.Grant
	hosts  []string
	joined []int64
}

func (u *grantUI) Consent(_ context.Context, req proto.ConsentRequest, relayHost string) proto.Grant {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.hosts = append(u.hosts, relayHost)
	return u.grants[req.PeerID]
}
func (u *grantUI) Joined(p proto.Peer) {
	u.mu.Lock()
	u.joined = append(u.joined, p.ID)
	u.mu.Unlock()
}
func (*grantUI) Code(string, time.Time)   {}
func (*grantUI) Waiting(string)           {}
func (*grantUI) Status(string)            {}
func (*grantUI) Left(proto.Peer, string)  {}
func (*grantUI) Ended(proto.SessionEnded) {}
func (*grantUI) Chat(proto.Chat)          {}

// sharingAgent runs an app with a screen sharer (no capture) against r
// until the test ends.
func sharingAgent(t *testing.T, r *fakeRelay, ui UI) (context.Context, *Agent, *share.Sharer) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var ag *Agent
	sh, err := share.New(share.Config{
		Injector: nopInjector{}, Clipboard: nopClipboard{}, Logger: log,
		Signal: func(peer int64, kind string, payload []byte) error { return ag.Signal(peer, kind, payload) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sh.Close)
	ag = New(Config{Relay: r.addr, Fingerprint: r.fp, UI: ui, Media: sh, OnSignal: sh.OnSignal, Logger: log, MinBackoff: 10 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- ag.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done; cancel() })
	return ctx, ag, sh
}

type nopInjector struct{}

func (nopInjector) Move(int, int) error       { return nil }
func (nopInjector) Button(string, bool) error { return nil }
func (nopInjector) Wheel(int, int) error      { return nil }
func (nopInjector) Key(string, bool) error    { return nil }
func (nopInjector) Type(string) error         { return nil }

type nopClipboard struct{}

func (nopClipboard) Write(string) error                  { return nil }
func (nopClipboard) Watch(context.Context) <-chan string { return make(chan string) }

// TestAppEnforcesConsentItself runs the app against a relay that does not
// respect consent: a PeerJoined without a consent, or for another peer
// than the one allowed, or such a peer in a resume reply gets no offer and
// no channels; a view-only grant gets an offer without the input channel,
// and a "control" signal does not add it; a full grant gets its channels.
func TestAppEnforcesConsentItself(t *testing.T) {
	r := startFakeRelay(t)
	ui := &grantUI{grants: map[int64]proto.Grant{2: {proto.PermView}, 4: proto.AllPermissions}}
	ctx, _, sh := sharingAgent(t, r, ui)
	conn := next(t, ctx, r.conns)
	send := func(typ proto.Type, body any) {
		t.Helper()
		if err := conn.Send(typ, body); err != nil {
			t.Fatal(err)
		}
	}
	consent := func(peer int64, want proto.Grant) {
		t.Helper()
		env, err := conn.Request(ctx, proto.TypeConsentRequest, &proto.ConsentRequest{SessionID: "s1", Technician: "Tina", PeerID: peer, Permissions: proto.AllPermissions})
		var ans proto.ConsentAnswer
		if err != nil || env.Decode(&ans) != nil || !ans.Allow || ans.Granted.String() != want.String() {
			t.Fatalf("answer for peer %d: %+v, %v; want allowed with %v", peer, ans, err, want)
		}
	}
	joined := func(peer int64) {
		send(proto.TypePeerJoined, &proto.PeerJoined{SessionID: "s1", Peer: proto.Peer{ID: peer, Name: "x"}})
	}

	joined(9) // no consent at all
	consent(2, proto.Grant{proto.PermView})
	joined(3) // another peer than the one allowed
	joined(2)
	if got := next(t, ctx, r.offers); got != 2 {
		t.Fatalf("offer for peer %d, want 2", got)
	}
	if ch := sh.Channels(2); len(ch) != 0 {
		t.Fatalf("a view-only grant opened %v", ch)
	}
	send(proto.TypeSignal, &proto.Signal{SessionID: "s1", Peer: 2, Kind: rtc.KindControl, Payload: []byte("control")})
	consent(4, proto.AllPermissions)
	joined(4)
	if got := next(t, ctx, r.offers); got != 4 {
		t.Fatalf("offer for peer %d, want 4", got)
	}
	if ch := sh.Channels(4); !slices.Equal(ch, []string{proto.InputChannel, proto.ClipboardChannel}) {
		t.Fatalf("full grant opened %v", ch)
	}
	if ch := sh.Channels(2); len(ch) != 0 {
		t.Fatalf("the control signal opened %v for the view-only peer", ch)
	}

	// The connection drops; the resume reply names an allowed peer and a stranger.
	r.mu.Lock()
	r.peers = []proto.Peer{{ID: 9, Name: "stranger"}, {ID: 2, Name: "Tina"}}
	r.mu.Unlock()
	conn.Close()
	conn = next(t, ctx, r.conns)
	if got := next(t, ctx, r.offers); got != 2 {
		t.Fatalf("offer after the resume for peer %d, want 2 (the grant survives a resume)", got)
	}
	select {
	case got := <-r.offers:
		t.Fatalf("unexpected offer for peer %d", got)
	case <-time.After(300 * time.Millisecond):
	}
	for _, id := range []int64{9, 3} {
		if sh.Channels(id) != nil {
			t.Fatalf("peer %d the end user did not allow got a connection", id)
		}
	}
	// A technician who left needs a new consent to come back.
	send(proto.TypePeerLeft, &proto.PeerLeft{SessionID: "s1", Peer: proto.Peer{ID: 4}, Reason: "left"})
	joined(4)
	joined(2) // still allowed: its offer comes after 4's would have
	if got := next(t, ctx, r.offers); got != 2 {
		t.Fatalf("offer for peer %d after it left, want 2", got)
	}
	if sh.Channels(4) != nil {
		t.Fatal("a technician who left came back without consent")
	}
	ui.mu.Lock()
	defer ui.mu.Unlock()
	if !slices.Equal(ui.joined, []int64{2, 4, 2, 2}) || ui.hosts[0] != "127.0.0.1" {
		t.Fatalf("UI saw joins %v and relay hosts %v", ui.joined, ui.hosts)
	}
}

func next[T any](t *testing.T, ctx context.Context, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-ctx.Done():
		t.Fatal("timed out")
	}
	var zero T
	return zero
}

// TestConsentQuestion: the question names who asks and what they will be
// able to do; an invited guest who asks to see the screen only is named as
// a guest who wants to watch, and a relay that marks a request as a
// guest's but asks for more gets the full question.
func TestConsentQuestion(t *testing.T) {
	for _, c := range []struct {
		req  proto.ConsentRequest
		want string
	}{
		{proto.ConsentRequest{Technician: "tina", Permissions: proto.AllPermissions},
			"tina wants to connect to this computer through the support server relay.example. They will be able to see your screen, use your mouse and keyboard and copy text to and from your clipboard."},
		{proto.ConsentRequest{Technician: "theo", Permissions: []proto.Permission{proto.PermView}, Guest: true},
			"theo (invited by the technician) wants to watch your screen through the support server relay.example. They will be able to see your screen, not use your mouse, keyboard or clipboard."},
		{proto.ConsentRequest{Technician: "theo", Organisation: "Acme IT", Permissions: []proto.Permission{proto.PermView}, Guest: true},
			"theo (Acme IT, invited by the technician) wants to watch your screen through the support server relay.example. They will be able to see your screen, not use your mouse, keyboard or clipboard."},
		{proto.ConsentRequest{Technician: "theo", Permissions: []proto.Permission{proto.PermView, proto.PermControl}, Guest: true},
			"theo (invited by the technician) wants to see your screen through the support server relay.example. Your technician can hand them control of your mouse and keyboard; only one person controls at a time."},
		{proto.ConsentRequest{Technician: "carla", Organisation: "Acme IT", Permissions: []proto.Permission{proto.PermView}, Supervisor: true},
			"carla (Acme IT, supervisor) wants to watch your screen through the support server relay.example. They will be able to see your screen, not use your mouse, keyboard or clipboard."},
		{proto.ConsentRequest{Technician: "t\x1b[2Jina", Permissions: []proto.Permission{proto.PermView}},
			"t[2Jina wants to connect to this computer through the support server relay.example. They will be able to see your screen."},
	} {
		if got := ConsentQuestion(c.req, "relay.example"); got != c.want {
			t.Errorf("ConsentQuestion(%+v)\n got %q\nwant %q", c.req, got, c.want)
		}
	}
}
