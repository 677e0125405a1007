package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/transport"
	"github.com/relaydesk/relaydesk/pkg/transport/transporttest"
	"github.com/relaydesk/relaydesk/relay/queue"
	"github.com/relaydesk/relaydesk/relay/store"
)

// relayFixture is an in-process relay on real QUIC (loopback) and a real
// SQLite file; admin is a second handle on that file, as `relay user` is.
type relayFixture struct {
	addr, fp string
	st       store.Store
	admin    store.Store
}

func startRelay(t *testing.T, poll time.Duration) *relayFixture {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	path := filepath.Join(dir, "relay.db")
	st, err := store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	lb := transporttest.Listen(t)
	ln, pc, fp := lb.Listener, lb.Conn, lb.Fingerprint
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	qcfg := queue.DefaultConfig()
	qcfg.Logger = log
	q, err := queue.New(ctx, st, qcfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := New(st, q, Config{AccountPoll: poll, Logger: log})
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ctx, ln, 5*time.Second) }()
	t.Cleanup(func() {
		cancel()
		<-done
		pc.Close()
		admin.Close()
		st.Close()
	})
	for _, u := range []struct{ name, role string }{{"ann", "technician"}, {"bob", "technician"}} {
		if _, err := CreateUser(ctx, st, u.name, store.Role(u.role), "password-"+u.name); err != nil {
			t.Fatal(err)
		}
	}
	return &relayFixture{addr: pc.LocalAddr().String(), fp: fp, st: st, admin: admin}
}

// techConn is a technician's connection, spoken to with the raw protocol.
type techConn struct {
	peer *transport.Peer
	done chan struct{}
	err  error
}

func (r *relayFixture) dial(t *testing.T) *techConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, st, err := transport.Dial(ctx, r.addr, r.fp)
	if err != nil {
		t.Fatal(err)
	}
	c := &techConn{peer: transport.PeerOn(conn, st), done: make(chan struct{})}
	go func() { defer close(c.done); c.err = c.peer.Run(context.Background(), func(proto.Envelope) {}) }()
	t.Cleanup(func() { c.peer.Close(); <-c.done })
	if err := c.call(proto.TypeHello, &proto.Hello{Version: proto.Version, Role: proto.RoleTechnician}, proto.TypeWelcome, nil); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *techConn) call(tp proto.Type, body any, want proto.Type, reply any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return c.peer.Call(ctx, tp, body, want, reply)
}

func (c *techConn) login(t *testing.T, user string) proto.LoginOK {
	t.Helper()
	var ok proto.LoginOK
	if err := c.call(proto.TypeLogin, &proto.Login{User: user, Password: "password-" + user}, proto.TypeLoginOK, &ok); err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
	return ok
}

func (c *techConn) subscribe() error {
	return c.call(proto.TypeQueueSubscribe, &proto.QueueSubscribe{}, proto.TypeQueueSnapshot, &proto.QueueSnapshot{})
}

// closedWith waits until the relay closed c and returns the code and sentence.
func (c *techConn) closedWith(t *testing.T, within time.Duration) (proto.ErrorCode, string) {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(within):
		t.Fatalf("the relay did not close the connection within %s", within)
	}
	var ae *quic.ApplicationError
	if !errors.As(c.err, &ae) {
		t.Fatalf("connection ended with %v, not an application close", c.err)
	}
	return proto.ErrorCode(ae.ErrorCode), ae.ErrorMessage
}

func auditKinds(t *testing.T, st store.Store) map[string][]store.AuditEvent {
	t.Helper()
	evs, err := st.AuditEvents(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string][]store.AuditEvent)
	for _, e := range evs {
		out[e.Kind] = append(out[e.Kind], e)
	}
	return out
}

func TestLogoutRevokesTheToken(t *testing.T) {
	r := startRelay(t, time.Hour) // no poll: Logout closes the others itself
	c1 := r.dial(t)
	tok := c1.login(t, "ann").Token
	c2 := r.dial(t)
	if err := c2.call(proto.TypeAuth, &proto.Auth{Token: tok}, proto.TypeLoginOK, &proto.LoginOK{}); err != nil {
		t.Fatalf("token sign-in: %v", err)
	}
	other := r.dial(t) // bob's sign-in is not touched
	other.login(t, "bob")

	if err := c1.call(proto.TypeLogout, &proto.Logout{}, proto.TypeOK, nil); err != nil {
		t.Fatalf("logout: %v", err)
	}
	if code, msg := c2.closedWith(t, 5*time.Second); code != proto.ErrRevoked || !strings.Contains(msg, "revoked") {
		t.Fatalf("second connection closed with %d %q", code, msg)
	}
	// The connection that signed out may not go on either.
	if err := c1.subscribe(); err == nil {
		t.Fatal("a request after logout was served")
	}
	if code, _ := c1.closedWith(t, 5*time.Second); code != proto.ErrRevoked {
		t.Fatalf("the signed-out connection closed with %d", code)
	}
	c3 := r.dial(t)
	if err := c3.call(proto.TypeAuth, &proto.Auth{Token: tok}, proto.TypeLoginOK, nil); proto.CodeOf(err) != proto.ErrUnauthenticated {
		t.Fatalf("token after logout: %v", err)
	}
	if err := other.subscribe(); err != nil {
		t.Fatalf("another user's connection: %v", err)
	}
	kinds := auditKinds(t, r.st)
	if len(kinds["logout"]) != 1 || kinds["logout"][0].Actor != "ann" || kinds["logout"][0].Source != "127.0.0.1" {
		t.Fatalf("logout audit: %+v", kinds["logout"])
	}
	if len(kinds["login.token"]) != 1 || len(kinds["token.rejected"]) != 1 {
		t.Fatalf("token sign-ins audited: %+v", kinds)
	}
}

// Changes made in the database by another process take effect on the next
// request at once, and close idle connections within a poll.
func TestAccountChangesReachLiveConnections(t *testing.T) {
	ctx := context.Background()
	changes := []struct {
		name string
		do   func(st store.Store, id int64) error
		want string
	}{
		{"disable", func(st store.Store, id int64) error { return st.SetDisabled(ctx, id, true) }, "disabled"},
		{"revoke", func(st store.Store, id int64) error { _, err := st.DeleteTokens(ctx, id); return err }, "revoked"},
		{"role", func(st store.Store, id int64) error { return st.SetRole(ctx, id, store.RoleAdmin) }, "role changed from technician to admin"},
	}
	for _, ch := range changes {
		t.Run(ch.name+"/next request", func(t *testing.T) {
			r := startRelay(t, time.Hour)
			c := r.dial(t)
			id := c.login(t, "ann").UserID
			if err := c.subscribe(); err != nil {
				t.Fatal(err)
			}
			if err := ch.do(r.admin, id); err != nil {
				t.Fatal(err)
			}
			// The answer is the Error, or the close that follows it at once.
			err := c.subscribe()
			if code, _ := c.closedWith(t, 5*time.Second); code != proto.ErrRevoked || err == nil || !strings.Contains(err.Error(), ch.want) {
				t.Fatalf("request after %s: %v (closed with %d)", ch.name, err, code)
			}
		})
		t.Run(ch.name+"/idle", func(t *testing.T) {
			r := startRelay(t, 100*time.Millisecond)
			c := r.dial(t)
			id := c.login(t, "ann").UserID
			bob := r.dial(t)
			bob.login(t, "bob")
			if err := ch.do(r.admin, id); err != nil {
				t.Fatal(err)
			}
			if code, msg := c.closedWith(t, 5*time.Second); code != proto.ErrRevoked || !strings.Contains(msg, ch.want) {
				t.Fatalf("closed with %d %q", code, msg)
			}
			if err := bob.subscribe(); err != nil {
				t.Fatalf("bob's connection after ann's %s: %v", ch.name, err)
			}
			if ev := auditKinds(t, r.st)["connection.revoked"]; len(ev) != 1 || ev[0].Actor != "ann" {
				t.Fatalf("audit: %+v", ev)
			}
		})
	}
}

func TestFailedLoginNameIsClipped(t *testing.T) {
	r := startRelay(t, time.Hour)
	c := r.dial(t)
	long := strings.Repeat("é", 600) // 1200 bytes, perhaps a password in the wrong field
	if err := c.call(proto.TypeLogin, &proto.Login{User: long, Password: "x"}, proto.TypeLoginOK, nil); proto.CodeOf(err) != proto.ErrBadCredentials {
		t.Fatalf("login: %v", err)
	}
	ev := auditKinds(t, r.st)["login.failed"]
	if len(ev) != 1 || len(ev[0].Actor) != store.MaxAuditActor || ev[0].Actor != long[:store.MaxAuditActor] {
		t.Fatalf("failed login audited as %+v", ev)
	}
}

// BenchmarkRequestCheck is what every technician request pays to re-check
// its sign-in: one indexed read of the token and its user.
func BenchmarkRequestCheck(b *testing.B) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(b.TempDir(), "relay.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	u := store.User{Name: "ann", Role: store.RoleTechnician, PasswordHash: "x"}
	if err := st.CreateUser(ctx, &u); err != nil {
		b.Fatal(err)
	}
	hash := []byte("0123456789abcdef0123456789abcdef")
	if err := st.CreateToken(ctx, hash, u.ID, time.Now().Add(time.Hour)); err != nil {
		b.Fatal(err)
	}
	s := New(st, nil, Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	t := &queue.Tech{User: u}
	for b.Loop() {
		if f, err := s.revoked(ctx, t, hash); f != nil || err != nil {
			b.Fatal(f, err)
		}
	}
}

// Asking for every session visible to the role (the managers' queue) is an
// audit event; one's own queue is not.
func TestQueueOfEverySessionIsAudited(t *testing.T) {
	r := startRelay(t, time.Hour)
	c := r.dial(t)
	c.login(t, "ann")
	if err := c.subscribe(); err != nil {
		t.Fatal(err)
	}
	if err := c.call(proto.TypeQueueSubscribe, &proto.QueueSubscribe{All: true}, proto.TypeQueueSnapshot, &proto.QueueSnapshot{}); err != nil {
		t.Fatal(err)
	}
	if ev := auditKinds(t, r.st)["queue.all"]; len(ev) != 1 || ev[0].Actor != "ann" || ev[0].Detail["role"] != "technician" {
		t.Fatalf("audit of the queue reads: %+v", ev)
	}
}
