package client

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/transport"
	"github.com/relaydesk/relaydesk/pkg/transport/transporttest"
)

// handoverRelay is a relay over real QUIC on loopback that connects the
// technician to session s1 as peer 7 and then takes them off it, as the
// relay does once a transfer's new owner joined (early: the PeerLeft
// overtakes the Connected reply). It counts the End requests it gets.
func handoverRelay(t *testing.T, early bool, ends *atomic.Int32) Login {
	t.Helper()
	lb := transporttest.Listen(t)
	ln, pc, fp := lb.Listener, lb.Conn, lb.Fingerprint
	done := make(chan struct{})
	t.Cleanup(func() { ln.CloseTransport(); <-done; pc.Close() })
	go func() {
		defer close(done)
		ln.ServePeers(func(p *transport.Peer) {
			p.Run(context.Background(), func(env proto.Envelope) {
				switch env.Type {
				case proto.TypeHello:
					p.Reply(env.ID, proto.TypeWelcome, &proto.Welcome{Version: proto.Version})
				case proto.TypeAuth:
					p.Reply(env.ID, proto.TypeLoginOK, &proto.LoginOK{User: "tina"})
				case proto.TypeConnect:
					left := func() {
						// Another technician leaving is not news for this one.
						p.Send(proto.TypePeerLeft, &proto.PeerLeft{SessionID: "s1", Peer: proto.Peer{ID: 8, Name: "gina"}, Reason: "left the session"})
						p.Send(proto.TypePeerLeft, &proto.PeerLeft{SessionID: "s1", Peer: proto.Peer{ID: 7, Name: "tina"}, Reason: "handed the session to theo"})
					}
					if early {
						left()
					}
					p.Reply(env.ID, proto.TypeConnected, &proto.Connected{Session: proto.SessionInfo{ID: "s1", Status: proto.StatusActive}, PeerID: 7})
					if !early {
						time.Sleep(50 * time.Millisecond)
						left()
					}
				case proto.TypeEnd:
					ends.Add(1)
					p.Reply(env.ID, proto.TypeOK, &proto.OK{})
				}
			})
		})
	}()
	return Login{Relay: pc.LocalAddr().String(), Fingerprint: fp, Token: "t"}
}

type nopHandler struct{ connected atomic.Int32 }

func (*nopHandler) Stage(string)                {}
func (h *nopHandler) Connected(proto.Connected) { h.connected.Add(1) }
func (*nopHandler) Event(proto.Envelope)        {}

// TestTakenOffTheSession: a PeerLeft naming this technician ends Run with
// *ErrLeft, without ending the session (no End) or reconnecting.
func TestTakenOffTheSession(t *testing.T) {
	for _, early := range []bool{false, true} {
		var ends atomic.Int32
		l := handoverRelay(t, early, &ends)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		h := &nopHandler{}
		err := new(Session).Run(ctx, SessionOptions{Login: l, Target: proto.Connect{SessionID: "s1"}}, h)
		cancel()
		var left *ErrLeft
		if !errors.As(err, &left) || left.Peer.ID != 7 || err.Error() != "You left the session (handed the session to theo)." {
			t.Fatalf("early %v: Run returned %v", early, err)
		}
		if ends.Load() != 0 || h.connected.Load() != 1 {
			t.Fatalf("early %v: %d End requests, %d connects", early, ends.Load(), h.connected.Load())
		}
	}
}
