package client

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/transport"
	"github.com/relaydesk/relaydesk/pkg/transport/transporttest"
)

// pagingRelay is a relay over real QUIC on loopback that answers a queue
// subscription with a snapshot in three pages and slips an update in
// between the pages, as a busy relay may.
func pagingRelay(t *testing.T) Login {
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
				case proto.TypeQueueSubscribe:
					page := func(from int, more bool) *proto.QueueSnapshot {
						s := &proto.QueueSnapshot{More: more}
						for i := from; i < from+100; i++ {
							s.Sessions = append(s.Sessions, proto.SessionInfo{ID: fmt.Sprint(i), Status: "Ready"})
						}
						return s
					}
					p.Reply(env.ID, proto.TypeQueueSnapshot, page(0, true))
					p.Send(proto.TypeQueueUpdate, &proto.QueueUpdate{Session: proto.SessionInfo{ID: "150", Status: "Active"}})
					p.Send(proto.TypeQueueSnapshotPage, page(100, true))
					p.Send(proto.TypeQueueSnapshotPage, page(200, false))
					p.Send(proto.TypeNotice, &proto.Notice{Kind: proto.NoticeInvitation, SessionID: "7", From: "max", Text: "max invites you."})
				}
			})
		})
	}()
	return Login{Relay: pc.LocalAddr().String(), Fingerprint: fp, Token: "t"}
}

// queueState applies what Watch reports, as the console's queue list does.
type queueState struct {
	mu       sync.Mutex
	sessions map[string]string
	online   chan struct{}
}

func (q *queueState) Snapshot(ss []proto.SessionInfo) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.sessions = map[string]string{}
	for _, s := range ss {
		q.sessions[s.ID] = string(s.Status)
	}
}

func (q *queueState) Update(s proto.SessionInfo) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.sessions[s.ID] = string(s.Status)
}

func (q *queueState) Online(err error) {
	if err == nil {
		select {
		case q.online <- struct{}{}:
		default:
		}
	}
}

func TestWatchReadsEveryPageAndAppliesUpdatesAfterThem(t *testing.T) {
	l := pagingRelay(t)
	q := &queueState{online: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Watch(ctx, l, true, q) }()
	select {
	case <-q.online:
	case err := <-done:
		t.Fatalf("Watch stopped: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("Watch never subscribed")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.sessions) != 300 {
		t.Fatalf("%d sessions from a snapshot of 3 pages of 100", len(q.sessions))
	}
	if q.sessions["150"] != "Active" {
		t.Fatalf("session 150 is %q: the update that arrived between pages was lost or applied before the snapshot", q.sessions["150"])
	}
}

// noticeState is a queue that also takes notices.
type noticeState struct {
	*queueState
	notices chan proto.Notice
}

func (n noticeState) Notice(x proto.Notice) { n.notices <- x }

func TestWatchHandsNoticesToAHandlerThatTakesThem(t *testing.T) {
	l := pagingRelay(t)
	h := noticeState{&queueState{online: make(chan struct{}, 1)}, make(chan proto.Notice, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Watch(ctx, l, true, h) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	select {
	case n := <-h.notices:
		if n.Kind != proto.NoticeInvitation || n.SessionID != "7" || n.From != "max" {
			t.Fatalf("notice %+v", n)
		}
	case err := <-done:
		t.Fatalf("Watch stopped: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no notice")
	}
}
