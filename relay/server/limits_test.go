package server

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/transport"
	"github.com/relaydesk/relaydesk/pkg/transport/transporttest"
	"github.com/relaydesk/relaydesk/relay/limit"
	"github.com/relaydesk/relaydesk/relay/queue"
	"github.com/relaydesk/relaydesk/relay/store"
)

// syncBuf is a log sink safe for the server's goroutines.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

type limitedRelay struct {
	addr, fp string
	st       store.Store
	q        *queue.Manager
	logs     *syncBuf
}

// startLimitedRelay runs the server with cfg on real QUIC on loopback and real SQLite.
func startLimitedRelay(t *testing.T, cfg Config) *limitedRelay {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	lb := transporttest.Listen(t)
	ln, pc := lb.Listener, lb.Conn
	r := &limitedRelay{logs: &syncBuf{}, fp: lb.Fingerprint}
	var err error
	if r.st, err = store.OpenSQLite(ctx, filepath.Join(dir, "relay.db")); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(r.logs, nil))
	if r.q, err = queue.New(ctx, r.st, queue.Config{Logger: log}); err != nil {
		t.Fatal(err)
	}
	cfg.Logger = log
	srv := New(r.st, r.q, cfg)
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { srv.Serve(sctx, ln, 5*time.Second); close(done) }()
	t.Cleanup(func() { cancel(); <-done; pc.Close(); r.st.Close() })
	r.addr = pc.LocalAddr().String()
	return r
}

// dial opens a connection and says Hello as role with the given client name.
func (r *limitedRelay) dial(t *testing.T, role proto.Role, client string, h transport.Handler) *transport.Peer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, st, err := transport.Dial(ctx, r.addr, r.fp)
	if err != nil {
		t.Fatal(err)
	}
	p := transport.PeerOn(conn, st)
	if h == nil {
		h = func(proto.Envelope) {}
	}
	done := make(chan struct{})
	go func() { p.Run(context.Background(), h); close(done) }()
	t.Cleanup(func() { p.Close(); <-done })
	if err := p.Call(ctx, proto.TypeHello, &proto.Hello{Version: proto.Version, Role: role, Client: client}, proto.TypeWelcome, nil); err != nil {
		t.Fatal(err)
	}
	return p
}

func call(p *transport.Peer, t proto.Type, body any, want proto.Type, reply any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return p.Call(ctx, t, body, want, reply)
}

func wantThrottled(t *testing.T, err error, what string) {
	t.Helper()
	f, ok := err.(*proto.Failure)
	if !ok || f.Code != proto.ErrThrottled || f.RetryAfter <= 0 || !strings.Contains(f.Message, "Try again") {
		t.Fatalf("%s: got %v, want ErrThrottled with RetryAfter and a sentence", what, err)
	}
}

func TestRegistrationsArePerSourceLimited(t *testing.T) {
	r := startLimitedRelay(t, Config{Registrations: limitRate(2)})
	for i := range 2 {
		a := r.dial(t, proto.RoleAgent, "sos", nil)
		if err := call(a, proto.TypeAgentRegister, &proto.AgentRegister{}, proto.TypeAgentRegistered, nil); err != nil {
			t.Fatalf("registration %d: %v", i+1, err)
		}
	}
	a := r.dial(t, proto.RoleAgent, "sos", nil)
	wantThrottled(t, call(a, proto.TypeAgentRegister, &proto.AgentRegister{}, proto.TypeAgentRegistered, nil), "3rd registration")
	for range 50 { // a flood of refusals logs one line
		call(a, proto.TypeAgentRegister, &proto.AgentRegister{}, proto.TypeAgentRegistered, nil)
	}
	if n := strings.Count(r.logs.String(), "registration refused"); n != 1 {
		t.Fatalf("%d log lines for 51 refusals, want 1:\n%s", n, r.logs.String())
	}
}

// TestCallFormCountsAsARegistration: CallForm, asked before an SOS Call
// registers, answers an unknown page with ErrLinkUnknown, counts against
// the same per-source limit as AgentRegister, and is refused once the app
// registered.
func TestCallFormCountsAsARegistration(t *testing.T) {
	r := startLimitedRelay(t, Config{Registrations: limitRate(2)})
	a := r.dial(t, proto.RoleAgent, "sos", nil)
	if err := call(a, proto.TypeCallForm, &proto.CallForm{ChannelToken: "no-such-page"}, proto.TypeCallFormInfo, nil); proto.CodeOf(err) != proto.ErrLinkUnknown {
		t.Fatalf("unknown page: %v", err)
	}
	if err := call(a, proto.TypeAgentRegister, &proto.AgentRegister{}, proto.TypeAgentRegistered, nil); err != nil {
		t.Fatalf("registration: %v", err)
	}
	if err := call(a, proto.TypeCallForm, &proto.CallForm{ChannelToken: "no-such-page"}, proto.TypeCallFormInfo, nil); proto.CodeOf(err) != proto.ErrSessionState {
		t.Fatalf("after registering: %v", err)
	}
	b := r.dial(t, proto.RoleAgent, "sos", nil)
	wantThrottled(t, call(b, proto.TypeCallForm, &proto.CallForm{ChannelToken: "no-such-page"}, proto.TypeCallFormInfo, nil), "3rd request")
}

func TestChatIsPerSourceLimited(t *testing.T) {
	r := startLimitedRelay(t, Config{Chat: limitRate(3)})
	a := r.dial(t, proto.RoleAgent, "sos", nil)
	var reg proto.AgentRegistered
	if err := call(a, proto.TypeAgentRegister, &proto.AgentRegister{}, proto.TypeAgentRegistered, &reg); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := call(a, proto.TypeChat, &proto.Chat{SessionID: reg.SessionID, Text: "hello"}, proto.TypeOK, nil); err != nil {
			t.Fatalf("message %d: %v", i+1, err)
		}
	}
	wantThrottled(t, call(a, proto.TypeChat, &proto.Chat{SessionID: reg.SessionID, Text: "spam"}, proto.TypeOK, nil), "4th message")
}

func TestBadTokensArePerSourceLimited(t *testing.T) {
	r := startLimitedRelay(t, Config{BadTokens: limitRate(2)})
	for i := range 2 {
		c := r.dial(t, proto.RoleTechnician, "console", nil)
		err := call(c, proto.TypeAuth, &proto.Auth{Token: "forged"}, proto.TypeLoginOK, nil)
		if proto.CodeOf(err) != proto.ErrUnauthenticated {
			t.Fatalf("bad token %d: %v", i+1, err)
		}
	}
	c := r.dial(t, proto.RoleTechnician, "console", nil)
	wantThrottled(t, call(c, proto.TypeAuth, &proto.Auth{Token: "forged"}, proto.TypeLoginOK, nil), "3rd bad token")
}

// Hello.Client is attacker-chosen and goes on every log line of the
// connection: it is cut to MaxClientName.
func TestClientNameIsTruncatedInLogs(t *testing.T) {
	r := startLimitedRelay(t, Config{})
	long := strings.Repeat("A", 12<<10)
	a := r.dial(t, proto.RoleAgent, long, nil)
	if err := call(a, proto.TypeAgentRegister, &proto.AgentRegister{}, proto.TypeAgentRegistered, nil); err != nil {
		t.Fatal(err)
	}
	logs := r.logs.String()
	if !strings.Contains(logs, "agent registered") {
		t.Fatalf("no registration line:\n%s", logs)
	}
	if strings.Contains(logs, strings.Repeat("A", proto.MaxClientName+1)) || !strings.Contains(logs, "client="+strings.Repeat("A", proto.MaxClientName)) {
		t.Fatalf("the client name is not cut to %d bytes in:\n%.400s", proto.MaxClientName, logs)
	}
}

func limitRate(n int) limit.Rate { return limit.Rate{N: n, Per: time.Hour} }

// nullConn is an agent connection that takes everything and answers nothing.
type nullConn struct{}

func (nullConn) Send(proto.Type, any) error { return nil }
func (nullConn) Request(ctx context.Context, _ proto.Type, _ any) (proto.Envelope, error) {
	<-ctx.Done()
	return proto.Envelope{}, ctx.Err()
}
func (nullConn) CloseWith(error) {}

// However many sessions there are, the snapshot arrives in pages that each
// fit a frame, and the pages hold every session once.
func TestQueueSnapshotIsPaged(t *testing.T) {
	r := startLimitedRelay(t, Config{Registrations: limitRate(-1)})
	ctx := context.Background()
	const n = 600
	big := strings.Repeat("h", proto.MaxDeviceString)
	for range n {
		dev := proto.DeviceInfo{OS: big, OSVersion: big, Hostname: big, Username: big, AgentVersion: big, LocalIPs: make([]string, proto.MaxLocalIPs)}
		for i := range dev.LocalIPs {
			dev.LocalIPs[i] = "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff"
		}
		if _, err := r.q.RegisterAgent(ctx, &queue.Agent{IP: "192.0.2.9", Conn: nullConn{}}, proto.AgentRegister{Device: dev}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := CreateUser(ctx, r.st, "boss", store.RoleAdmin, "correct horse"); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var pages []proto.QueueSnapshot
	last := make(chan struct{})
	tech := r.dial(t, proto.RoleTechnician, "console", func(env proto.Envelope) {
		if env.Type != proto.TypeQueueSnapshotPage {
			return
		}
		var p proto.QueueSnapshot
		if err := env.Decode(&p); err != nil {
			t.Error(err)
		}
		mu.Lock()
		pages = append(pages, p)
		mu.Unlock()
		if !p.More {
			close(last)
		}
	})
	if err := call(tech, proto.TypeLogin, &proto.Login{User: "boss", Password: "correct horse"}, proto.TypeLoginOK, nil); err != nil {
		t.Fatal(err)
	}
	var first proto.QueueSnapshot
	if err := call(tech, proto.TypeQueueSubscribe, &proto.QueueSubscribe{All: true}, proto.TypeQueueSnapshot, &first); err != nil {
		t.Fatalf("subscribe to a queue of %d large sessions: %v", n, err)
	}
	if !first.More {
		t.Fatalf("%d sessions of ~4 KiB came in one page of %d", n, len(first.Sessions))
	}
	select {
	case <-last:
	case <-time.After(10 * time.Second):
		t.Fatal("the last page never came")
	}
	seen := map[string]bool{}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range append([]proto.QueueSnapshot{first}, pages...) {
		for _, s := range p.Sessions {
			if seen[s.ID] {
				t.Fatalf("session %s in two pages", s.ID)
			}
			seen[s.ID] = true
		}
	}
	if len(seen) != n {
		t.Fatalf("%d sessions in %d pages, want %d", len(seen), len(pages)+1, n)
	}
}

func TestPageSessions(t *testing.T) {
	if p := pageSessions(nil, 100); len(p) != 1 || len(p[0]) != 0 {
		t.Fatalf("an empty queue gives %d pages", len(p))
	}
	s := []proto.SessionInfo{{ID: strings.Repeat("a", 300)}, {ID: "b"}, {ID: "c"}}
	p := pageSessions(s, 100)
	if len(p) != 2 || len(p[0]) != 1 || len(p[1]) != 2 {
		t.Fatalf("pages %v", p)
	}
}

// Ratings with a wrong resume key count as bad tokens too (each writes an audit record).
func TestBadResumeKeysAreLimited(t *testing.T) {
	r := startLimitedRelay(t, Config{BadTokens: limitRate(2)})
	a := r.dial(t, proto.RoleAgent, "sos", nil)
	rate := &proto.Rate{SessionID: "feedfacefeedface", Stars: 5, ResumeKey: "guess"}
	for i := range 2 {
		if err := call(a, proto.TypeRate, rate, proto.TypeOK, nil); proto.CodeOf(err) != proto.ErrSessionUnknown {
			t.Fatalf("bad key %d: %v", i+1, err)
		}
	}
	wantThrottled(t, call(a, proto.TypeRate, rate, proto.TypeOK, nil), "3rd bad resume key")
}
