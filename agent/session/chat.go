package session

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/transport"
)

// ErrNothingToRate means there was no session (yet) to rate.
var ErrNothingToRate = errors.New("session: no session to rate")

// Chat sends a chat message to the technicians. It returns once the relay
// stored it; the relay then sends it back through UI.Chat, in the order
// everyone sees. transport.ErrClosed while the app is not connected.
func (a *Agent) Chat(ctx context.Context, text string) error {
	a.mu.Lock()
	p, id := a.peer, a.sessionID
	a.mu.Unlock()
	if p == nil {
		return transport.ErrClosed
	}
	return p.Call(ctx, proto.TypeChat, &proto.Chat{SessionID: id, Text: text}, proto.TypeOK, nil)
}

// Rate sends the end user's rating of the session after it ended. The
// session's connection is gone by then, so it connects once more; the
// session's resume key proves that this app ran the session.
func (a *Agent) Rate(ctx context.Context, stars int, comment string) error {
	return a.callAfter(ctx, func(id, key string) (proto.Type, any) {
		return proto.TypeRate, &proto.Rate{SessionID: id, Stars: stars, Comment: comment, ResumeKey: key}
	}, proto.TypeOK, nil)
}

// callAfter makes one request about the session after it ended, on a
// connection of its own, with the session's resume key as the proof:
// req builds it from the session's ID and key. ErrNothingToRate when no
// session ran.
func (a *Agent) callAfter(ctx context.Context, req func(id, key string) (proto.Type, any), replyType proto.Type, reply any) error {
	a.mu.Lock()
	relay, fp, id, key := a.cfg.Relay, a.cfg.Fingerprint, a.sessionID, a.resumeKey
	a.mu.Unlock()
	if id == "" || key == "" {
		return ErrNothingToRate
	}
	ctx, cancel := context.WithTimeout(ctx, a.cfg.DialTimeout+5*time.Second)
	defer cancel()
	peer, done, err := a.connectOnce(ctx, relay, fp)
	if err != nil {
		return err
	}
	defer done()
	t, body := req(id, key)
	return peer.Call(ctx, t, body, replyType, reply)
}

// connectOnce opens a connection of its own to the relay and says Hello on
// it, for one request after the session's connection is gone (the rating,
// the end after a quit); done closes it and waits for its reader.
func (a *Agent) connectOnce(ctx context.Context, relay, fp string) (peer *transport.Peer, done func(), err error) {
	conn, st, err := transport.Dial(ctx, relay, fp)
	if err != nil {
		return nil, nil, err
	}
	peer = transport.PeerOn(conn, st)
	var wg sync.WaitGroup
	wg.Go(func() { peer.Run(context.Background(), func(proto.Envelope) {}) })
	done = func() { peer.Close(); wg.Wait() }
	if err := a.hello(ctx, peer); err != nil {
		done()
		return nil, nil, err
	}
	return peer, done, nil
}
