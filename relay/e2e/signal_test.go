package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/agent/session"
	"github.com/relaydesk/relaydesk/console/client"
	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/transport/transporttest"
	relayroot "github.com/relaydesk/relaydesk/relay" // the e2e tests name their relay process relay
	"github.com/relaydesk/relaydesk/relay/server"
	"github.com/relaydesk/relaydesk/relay/store"
)

// inProcessRelay runs a whole relay (relay.New, as `relay serve` builds
// it) in this process on loopback sockets and real SQLite, until the test
// ends.
// Each option may change the configuration before the relay starts.
func inProcessRelay(t *testing.T, options ...func(*relayroot.Config)) (addr, fp string, st store.Store) {
	t.Helper()
	ctx := context.Background()
	udp, tcp := transporttest.ListenShared(t)
	cert := transporttest.SelfSigned(t)
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "relay.db"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := relayroot.Config{
		Store: st, PacketConn: udp, Listener: tcp, Certificate: &cert,
		TURN: relayroot.TURNConfig{AllowLoopback: true}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, o := range options {
		o(&cfg)
	}
	r, err := relayroot.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := r.Shutdown(sctx); err != nil {
			t.Errorf("relay shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("relay: %v", err)
		}
	})
	return r.Addr().String(), r.Fingerprint(), r.Store()
}

// recordingUI answers consent with yes and reports the code.
type recordingUI struct {
	code   chan string
	joined chan proto.Peer
}

func (u *recordingUI) Code(code string, _ time.Time) {
	select {
	case u.code <- code:
	default:
	}
}
func (u *recordingUI) Waiting(string) {}
func (u *recordingUI) Status(string)  {}
func (u *recordingUI) Consent(_ context.Context, req proto.ConsentRequest, _ string) proto.Grant {
	return req.Permissions
}
func (u *recordingUI) Joined(p proto.Peer)      { u.joined <- p }
func (u *recordingUI) Left(proto.Peer, string)  {}
func (u *recordingUI) Ended(proto.SessionEnded) {}
func (u *recordingUI) Chat(proto.Chat)          {}

// techHandler collects signals for the technician.
type techHandler struct {
	connected chan proto.Connected
	signals   chan proto.Signal
}

func (h *techHandler) Stage(string)                {}
func (h *techHandler) Connected(c proto.Connected) { h.connected <- c }
func (h *techHandler) Event(env proto.Envelope) {
	var s proto.Signal
	if env.Type == proto.TypeSignal && env.Decode(&s) == nil {
		h.signals <- s
	}
}

// TestSignallingRoundTrip proves that opaque signalling messages travel in
// order between the agent and an attached technician, both ways, through
// the relay.
func TestSignallingRoundTrip(t *testing.T) {
	parallel(t)
	addr, fp, st := inProcessRelay(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := server.CreateUser(ctx, st, "tess", store.RoleTechnician, "tess-password"); err != nil {
		t.Fatal(err)
	}

	agentSignals := make(chan proto.Signal, 1000)
	ui := &recordingUI{code: make(chan string, 1), joined: make(chan proto.Peer, 1)}
	ag := session.New(session.Config{
		Relay: addr, Fingerprint: fp, UI: ui, Device: proto.DeviceInfo{Hostname: "h"},
		OnSignal: func(s proto.Signal) { agentSignals <- s },
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { ag.Run(ctx) })
	code := <-ui.code

	c, err := client.Dial(ctx, addr, fp, nil)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := c.Login(ctx, "tess", "tess-password")
	c.Close()
	if err != nil {
		t.Fatal(err)
	}
	login := client.Login{Relay: addr, Fingerprint: fp, User: "tess", Token: ok.Token}
	h := &techHandler{connected: make(chan proto.Connected, 1), signals: make(chan proto.Signal, 1000)}
	var sess client.Session
	wg.Go(func() { sess.Run(ctx, client.SessionOptions{Login: login, Target: proto.Connect{Code: code}}, h) })
	conn := <-h.connected
	peer := <-ui.joined
	if peer.Name != "tess" || peer.ID != conn.PeerID {
		t.Fatalf("agent saw %+v, technician is peer %d", peer, conn.PeerID)
	}

	const n = 200
	for i := range n {
		if err := sess.Signal("candidate", []byte(fmt.Sprintf("tech-%03d", i))); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		select {
		case s := <-agentSignals:
			if want := fmt.Sprintf("tech-%03d", i); string(s.Payload) != want || s.Peer != conn.PeerID || s.Kind != "candidate" {
				t.Fatalf("agent got %q from %d, want %q", s.Payload, s.Peer, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("agent got %d of %d signals", i, n)
		}
	}
	for i := range n {
		if err := ag.Signal(conn.PeerID, "answer", []byte(fmt.Sprintf("agent-%03d", i))); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		select {
		case s := <-h.signals:
			if want := fmt.Sprintf("agent-%03d", i); string(s.Payload) != want || s.Kind != "answer" {
				t.Fatalf("technician got %q, want %q", s.Payload, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("technician got %d of %d signals", i, n)
		}
	}
}
