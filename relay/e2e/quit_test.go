package e2e

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/agent/session"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// quitUI is an end user who quits as soon as the app says it lost its
// connection, once the network is back.
type quitUI struct {
	recordingUI
	lost func()
}

func (u *quitUI) Status(text string) {
	if strings.HasPrefix(text, "Connection lost") {
		u.lost()
	}
}

// TestQuitWhileReconnectingEndsTheSession: an end user who quits while the
// app is between connections (here: waiting to reconnect after its network
// dropped) still ends the session on the relay, so the technician is told
// it ended rather than waiting out the grace period. This was the cause of
// TestAgentNetworkDrop's rare failures: Ctrl+C arrived while the app was
// re-registering, and the app quit without telling the relay.
func TestQuitWhileReconnectingEndsTheSession(t *testing.T) {
	parallel(t)
	if testing.Short() {
		t.Skip("waits for QUIC's idle timeout (15 s)")
	}
	addr, fp, st := inProcessRelay(t)
	px := newUDPProxy(t, addr)
	ctx, quit := context.WithCancel(context.Background())
	defer quit()
	ui := &quitUI{recordingUI: recordingUI{code: make(chan string, 1), joined: make(chan proto.Peer, 1)}}
	ui.lost = func() {
		px.drop.Store(false) // the network is back, and the end user quits
		quit()
	}
	ag := session.New(session.Config{
		Relay: px.addr(), Fingerprint: fp, UI: ui,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	done := make(chan error, 1)
	go func() { done <- ag.Run(ctx) }()
	select {
	case <-ui.code:
	case <-time.After(30 * time.Second):
		t.Fatal("no code")
	}
	id := ag.SessionID()
	px.drop.Store(true)
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run: %v, want the end user's quit", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the app did not notice the lost connection")
	}
	s, err := st.Session(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if s.Status != proto.StatusClosed || s.EndedBy != "end user" {
		t.Fatalf("after quitting: status %s, ended by %q; want Closed by the end user", s.Status, s.EndedBy)
	}
}
