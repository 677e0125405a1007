package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/transport"
	"github.com/relaydesk/relaydesk/pkg/transport/transporttest"
	"github.com/relaydesk/relaydesk/relay/auth"
	"github.com/relaydesk/relaydesk/relay/queue"
	"github.com/relaydesk/relaydesk/relay/store"
	"github.com/relaydesk/relaydesk/relay/throttle"
)

// cheap makes test accounts fast to check; the checker counts the hashes.
var cheap = auth.Params{Memory: 64, Time: 1, Threads: 1}

type relay struct {
	t      *testing.T
	dir    string
	st     store.Store
	srv    *Server
	addr   string
	fp     string
	hashes atomic.Int32
	phcs   sync.Map // PHC strings checked
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newServer builds a Server on real SQLite in dir with a counting checker,
// without serving.
func newServer(t *testing.T, dir string, cfg Config) *relay {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, "relay.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	q, err := queue.New(ctx, st, queue.Config{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Logger = quiet()
	r := &relay{t: t, dir: dir, st: st, srv: New(st, q, cfg)}
	r.srv.check = func(phc, pw string) (bool, error) {
		r.hashes.Add(1)
		r.phcs.Store(phc, true)
		return auth.CheckPassword(phc, pw)
	}
	return r
}

// serve runs r's server on a real UDP socket on loopback until the test ends.
func (r *relay) serve() {
	t := r.t
	lb := transporttest.Listen(t)
	ln, pc := lb.Listener, lb.Conn
	r.fp = lb.Fingerprint
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.srv.Serve(ctx, ln, 5*time.Second) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		pc.Close()
	})
	r.addr = pc.LocalAddr().String()
}

func (r *relay) user(name, pw string, disabled bool) {
	h, err := auth.HashPasswordParams(pw, cheap)
	if err != nil {
		r.t.Fatal(err)
	}
	u := store.User{Name: name, Role: store.RoleTechnician, PasswordHash: h, Disabled: disabled}
	if err := r.st.CreateUser(context.Background(), &u); err != nil {
		r.t.Fatal(err)
	}
}

// conn is a client connection that said Hello.
type conn struct {
	peer *transport.Peer
	qc   *quic.Conn
	done chan error
}

func (r *relay) dial(role proto.Role) *conn {
	t := r.t
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	qc, st, err := transport.Dial(ctx, r.addr, r.fp)
	if err != nil {
		t.Fatal(err)
	}
	c := &conn{peer: transport.PeerOn(qc, st), qc: qc, done: make(chan error, 1)}
	go func() { c.done <- c.peer.Run(context.Background(), func(proto.Envelope) {}) }()
	t.Cleanup(func() { c.peer.Close(); <-c.done })
	if err := c.peer.Call(ctx, proto.TypeHello, &proto.Hello{Version: proto.Version, Role: role, Client: "test"}, proto.TypeWelcome, nil); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *conn) login(user, pw string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return c.peer.Call(ctx, proto.TypeLogin, &proto.Login{User: user, Password: pw}, proto.TypeLoginOK, nil)
}

// H2: 200 wrong logins sent at once on 200 real connections from one source
// are all counted: only the attempts the throttle admitted were hashed,
// every hash was recorded as a failure, and the source is refused after.
func TestParallelWrongLoginsAllCount(t *testing.T) {
	// The relay's clock stands still, so no delay runs out during the test:
	// exactly the free attempts may be admitted, however slow the machine.
	frozen := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	r := newServer(t, t.TempDir(), Config{HelloTimeout: 2 * time.Minute, Now: func() time.Time { return frozen }})
	r.user("admin", "right password", false)
	r.serve()
	const n = 200
	conns := make([]*conn, n)
	for i := range conns {
		conns[i] = r.dial(proto.RoleTechnician)
	}
	var (
		wg               sync.WaitGroup
		wrong, throttled atomic.Int32
		start            = make(chan struct{})
	)
	for i, c := range conns {
		wg.Go(func() {
			<-start
			err := c.login("admin", fmt.Sprintf("guess %d", i))
			switch proto.CodeOf(err) {
			case proto.ErrBadCredentials:
				wrong.Add(1)
			case proto.ErrThrottled:
				throttled.Add(1)
			default:
				t.Errorf("login %d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	t.Logf("%d wrong, %d throttled, %d hashed", wrong.Load(), throttled.Load(), r.hashes.Load())
	if wrong.Load()+throttled.Load() != n {
		t.Fatalf("%d answers, want %d", wrong.Load()+throttled.Load(), n)
	}
	if h := r.hashes.Load(); h != wrong.Load() || h != int32(throttle.DefaultLogins.Free)+1 {
		t.Fatalf("%d hashes for %d wrong answers; want %d", h, wrong.Load(), throttle.DefaultLogins.Free+1)
	}
	// Every hashed attempt is a recorded failure (or, at Max, the lockout).
	saved, err := r.st.ThrottleEntries(context.Background(), "logins")
	if err != nil {
		t.Fatal(err)
	}
	ip := saved["ip:127.0.0.1"]
	if got := int32(len(ip.Fails)); got != wrong.Load() {
		t.Fatalf("source key holds %d failures after %d wrong answers", got, wrong.Load())
	}
	if err := r.dial(proto.RoleTechnician).login("admin", "right password"); proto.CodeOf(err) != proto.ErrThrottled {
		t.Fatalf("right password right after the flood: %v", err)
	}
}

// M4: an unknown or disabled user costs the same argon2id check as a real
// one, against a hash with the real parameters that parses.
func TestUnknownAndDisabledUsersCostTheHash(t *testing.T) {
	r := newServer(t, t.TempDir(), Config{})
	r.user("gone", "old password", true)
	ctx := context.Background()
	if err := r.srv.openThrottles(ctx); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"nobody", "gone"} {
		_, _, err := r.srv.login(ctx, nil, fmt.Sprintf("192.0.2.%d", i+1), proto.Login{User: name, Password: "old password"})
		if proto.CodeOf(err) != proto.ErrBadCredentials || err.Error() != errWrongLogin.Error() {
			t.Fatalf("%s: %v", name, err)
		}
		if r.hashes.Load() != int32(i+1) {
			t.Fatalf("%s: %d hashes, want %d", name, r.hashes.Load(), i+1)
		}
	}
	if _, ok := r.phcs.Load(dummyHash); !ok {
		t.Fatal("the dummy hash was not checked")
	}
	// The audit tells an auditor that someone still tries the disabled account.
	ev, err := r.st.AuditEvents(ctx, 0, 10)
	if err != nil || len(ev) != 2 || ev[0].Detail["account"] != "" || ev[1].Actor != "gone" || ev[1].Detail["account"] != "disabled" {
		t.Fatalf("audit of the two failed sign-ins: %+v %v", ev, err)
	}
	ok, err := auth.CheckPassword(dummyHash, "")
	if err != nil || ok {
		t.Fatalf("the dummy hash must parse and match nothing: %v %v", ok, err)
	}
	p := auth.DefaultParams
	if want := fmt.Sprintf("m=%d,t=%d,p=%d", p.Memory, p.Time, p.Threads); !strings.Contains(dummyHash, want) {
		t.Fatalf("dummy hash %s does not use the default cost %s", dummyHash, want)
	}
}

// M4: failures on a name from many sources slow it down but never lock
// it: after the delay the owner signs in. The pair name+source and the
// source lock, and a restart keeps the lock (L9).
func TestUserKeySlowsDownSourceLocksAndRestartKeeps(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC) // nothing here runs concurrently
	cfg := Config{Now: func() time.Time { return now }}
	advance := func(d time.Duration) { now = now.Add(d) }
	r := newServer(t, dir, cfg)
	r.user("admin", "right password", false)
	ctx := context.Background()
	if err := r.srv.openThrottles(ctx); err != nil {
		t.Fatal(err)
	}
	login := func(s *Server, ip, pw string) error {
		_, _, err := s.login(ctx, nil, ip, proto.Login{User: "admin", Password: pw})
		return err
	}
	for i := range 40 {
		advance(time.Minute)
		if err := login(r.srv, fmt.Sprintf("198.51.100.%d", i), "guess"); proto.CodeOf(err) != proto.ErrBadCredentials {
			t.Fatalf("guess %d from its own source: %v", i, err)
		}
	}
	var fl *proto.Failure
	if err := login(r.srv, "192.0.2.1", "right password"); !errors.As(err, &fl) || fl.Code != proto.ErrThrottled || fl.RetryAfter > 30*time.Second {
		t.Fatalf("right after the guesses the name only waits: %v", err)
	}
	advance(30 * time.Second)
	if err := login(r.srv, "192.0.2.1", "right password"); err != nil {
		t.Fatalf("the owner after the delay: %v", err)
	}
	// One source guessing: locked after Max, the pair and the source both.
	src := "2001:db8:1:2::7"
	locked := false
	for i := range 20 {
		advance(time.Minute)
		err := login(r.srv, src, "guess")
		if proto.CodeOf(err) == proto.ErrThrottled {
			locked = true
			break
		}
		if proto.CodeOf(err) != proto.ErrBadCredentials {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	if !locked {
		t.Fatal("one source was never locked")
	}
	// Another address in the same /64 is the same source.
	if err := login(r.srv, "2001:db8:1:2:ffff::9", "right password"); proto.CodeOf(err) != proto.ErrThrottled {
		t.Fatalf("same /64: %v", err)
	}
	evs, _ := r.st.AuditEvents(ctx, 0, 1000)
	lockedEvents := 0
	for _, e := range evs {
		switch e.Kind {
		case "login.locked":
			lockedEvents++
		case "login.throttled":
			t.Fatal("refusals are audited one by one")
		}
	}
	if lockedEvents != 2 {
		t.Fatalf("%d login.locked events, want 2 (source, name+source)", lockedEvents)
	}
	// A new Server on the same database keeps the lock.
	r2 := newServer(t, dir, cfg)
	if err := r2.srv.openThrottles(ctx); err != nil {
		t.Fatal(err)
	}
	advance(time.Minute)
	if err := login(r2.srv, src, "right password"); !errors.As(err, &fl) || fl.Code != proto.ErrThrottled || fl.RetryAfter < 10*time.Minute {
		t.Fatalf("after a restart: %v", err)
	}
}

// H2: logins queue for the hash with a global cap; beyond it they are
// refused with a sentence and a RetryAfter, and cost no failure.
func TestLoginQueueIsCapped(t *testing.T) {
	r := newServer(t, t.TempDir(), Config{LoginQueue: 1})
	r.user("admin", "right password", false)
	ctx := context.Background()
	if err := r.srv.openThrottles(ctx); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	inside := make(chan struct{}, 3)
	r.srv.check = func(phc, pw string) (bool, error) {
		inside <- struct{}{}
		<-release
		return auth.CheckPassword(phc, pw)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for i := range 3 { // 2 hashing, then 1 queued
		wg.Go(func() {
			_, _, err := r.srv.login(ctx, nil, fmt.Sprintf("192.0.2.%d", i), proto.Login{User: "admin", Password: "right password"})
			errs <- err
		})
		if i < 2 {
			<-inside
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for r.srv.waiting.Load() != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the third login never queued")
		}
		time.Sleep(time.Millisecond)
	}
	_, _, err := r.srv.login(ctx, nil, "192.0.2.9", proto.Login{User: "admin", Password: "right password"})
	var fl *proto.Failure
	if !errors.As(err, &fl) || fl.Code != proto.ErrThrottled || fl.RetryAfter == 0 || fl.Message == "" {
		t.Fatalf("a login beyond the queue: %v", err)
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("queued login: %v", err)
		}
	}
	if saved, _ := r.st.ThrottleEntries(ctx, "logins"); len(saved["ip:192.0.2.9"].Fails) != 0 {
		t.Fatal("a refused login counted as a failure")
	}
}

// A connection must sign in (technician) or register (app) within the
// Hello timeout, or it is closed with a sentence; one that signed in stays.
func TestConnectionMustSignInOrRegister(t *testing.T) {
	r := newServer(t, t.TempDir(), Config{HelloTimeout: 500 * time.Millisecond})
	r.user("ann", "right password", false)
	r.serve()
	tech := r.dial(proto.RoleTechnician)
	app := r.dial(proto.RoleAgent)
	ok := r.dial(proto.RoleTechnician)
	if err := ok.login("ann", "right password"); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*conn{"technician": tech, "app": app} {
		select {
		case <-c.qc.Context().Done():
		case <-time.After(20 * time.Second):
			t.Fatalf("%s connection not closed", name)
		}
		var ae *quic.ApplicationError
		if err := context.Cause(c.qc.Context()); !errors.As(err, &ae) || ae.ErrorCode != quic.ApplicationErrorCode(proto.ErrSignInTimeout) || ae.ErrorMessage == "" {
			t.Fatalf("%s closed with %v", name, err)
		}
		if got := transport.Describe(context.Cause(c.qc.Context()), r.addr); got != "The relay closed the connection: it did not sign in or register within 500ms." {
			t.Fatalf("%s is told %q", name, got)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := ok.peer.Call(ctx, proto.TypeQueueSubscribe, &proto.QueueSubscribe{}, proto.TypeQueueSnapshot, nil); err != nil {
		t.Fatalf("signed-in connection after the deadline: %v", err)
	}
}
