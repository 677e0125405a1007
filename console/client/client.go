// Package client is the technician's relay client: sign-in, the live queue,
// support links, connecting to a session (with consent and resume after a
// dropped connection) and signalling. It holds no UI: the headless commands
// and the Fyne console both use it.
package client

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/transport"
)

// Conn is one connection to the relay.
type Conn struct {
	addr    string
	peer    *transport.Peer
	onEvent func(proto.Envelope)
	wg      sync.WaitGroup
	runErr  error
	done    chan struct{}

	// pages of a queue snapshot that arrive after its first page (the reply)
	pageMu sync.Mutex
	pages  []proto.QueueSnapshot
	pageIn chan struct{}
}

// Dial connects to the relay at addr, pinning its key fingerprint, and says
// Hello. onEvent receives every message that is not a reply (queue updates,
// connect stages, signals, session ends); it runs on the reading goroutine
// and must not block. It may be nil.
func Dial(ctx context.Context, addr, fingerprint string, onEvent func(proto.Envelope)) (*Conn, error) {
	conn, st, err := transport.Dial(ctx, addr, fingerprint)
	if err != nil {
		return nil, err
	}
	if onEvent == nil {
		onEvent = func(proto.Envelope) {}
	}
	c := &Conn{addr: addr, peer: transport.PeerOn(conn, st), onEvent: onEvent, done: make(chan struct{}), pageIn: make(chan struct{}, 1)}
	c.wg.Go(func() {
		c.runErr = c.peer.Run(context.Background(), c.event)
		close(c.done)
	})
	hello := &proto.Hello{Version: proto.Version, Role: proto.RoleTechnician, Client: "console"}
	if err := c.peer.Call(ctx, proto.TypeHello, hello, proto.TypeWelcome, nil); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// event keeps snapshot pages for Subscribe and hands the rest to onEvent.
func (c *Conn) event(env proto.Envelope) {
	if env.Type != proto.TypeQueueSnapshotPage {
		c.onEvent(env)
		return
	}
	var p proto.QueueSnapshot
	if err := env.Decode(&p); err != nil {
		c.peer.CloseWith(&proto.Failure{Code: proto.ErrProtocol, Message: err.Error()})
		return
	}
	c.pageMu.Lock()
	c.pages = append(c.pages, p)
	c.pageMu.Unlock()
	select {
	case c.pageIn <- struct{}{}:
	default:
	}
}

// nextPage waits for the next snapshot page.
func (c *Conn) nextPage(ctx context.Context) (proto.QueueSnapshot, error) {
	for {
		c.pageMu.Lock()
		if len(c.pages) > 0 {
			p := c.pages[0]
			c.pages = c.pages[1:]
			c.pageMu.Unlock()
			return p, nil
		}
		c.pageMu.Unlock()
		select {
		case <-c.pageIn:
		case <-ctx.Done():
			return proto.QueueSnapshot{}, ctx.Err()
		case <-c.done:
			return proto.QueueSnapshot{}, c.runErr
		}
	}
}

// Close ends the connection and waits for its goroutine.
func (c *Conn) Close() {
	c.peer.Close()
	c.wg.Wait()
}

// Done is closed when the connection ended; Err then says why.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err is why the connection ended.
func (c *Conn) Err() error {
	select {
	case <-c.done:
		return c.runErr
	default:
		return nil
	}
}

// Login signs in with a password and returns the token to keep.
func (c *Conn) Login(ctx context.Context, user, password string) (proto.LoginOK, error) {
	var ok proto.LoginOK
	err := c.peer.Call(ctx, proto.TypeLogin, &proto.Login{User: user, Password: password}, proto.TypeLoginOK, &ok)
	return ok, err
}

// Auth signs in with a token from an earlier Login.
func (c *Conn) Auth(ctx context.Context, token string) (proto.LoginOK, error) {
	var ok proto.LoginOK
	err := c.peer.Call(ctx, proto.TypeAuth, &proto.Auth{Token: token}, proto.TypeLoginOK, &ok)
	return ok, err
}

// Logout asks the relay to revoke the token this connection signed in
// with: every connection that used it is closed (this one too), and it no
// longer signs in.
func (c *Conn) Logout(ctx context.Context) error {
	return c.peer.Call(ctx, proto.TypeLogout, &proto.Logout{}, proto.TypeOK, nil)
}

// Subscribe returns the queue, gathered from all its pages; later changes
// arrive as TypeQueueUpdate events (some may arrive before Subscribe
// returns: they are newer than the snapshot).
func (c *Conn) Subscribe(ctx context.Context, all bool) (proto.QueueSnapshot, error) {
	c.pageMu.Lock()
	c.pages = nil
	c.pageMu.Unlock()
	var snap proto.QueueSnapshot
	if err := c.peer.Call(ctx, proto.TypeQueueSubscribe, &proto.QueueSubscribe{All: all}, proto.TypeQueueSnapshot, &snap); err != nil {
		return snap, err
	}
	for snap.More {
		p, err := c.nextPage(ctx)
		if err != nil {
			return proto.QueueSnapshot{}, fmt.Errorf("read the queue's next page: %w", err)
		}
		snap.Sessions, snap.More = append(snap.Sessions, p.Sessions...), p.More
	}
	return snap, nil
}

// CreateLink creates a support link; Expires 0 takes the channel's or the
// relay's default, no Channel keeps it the technician's own.
func (c *Conn) CreateLink(ctx context.Context, req proto.LinkCreate) (proto.LinkCreated, error) {
	var l proto.LinkCreated
	err := c.peer.Call(ctx, proto.TypeLinkCreate, &req, proto.TypeLinkCreated, &l)
	return l, err
}

// Connect attaches to a session by code or ID; progress arrives as
// TypeConnectStage events. It returns once the end user answered.
func (c *Conn) Connect(ctx context.Context, req proto.Connect) (proto.Connected, error) {
	var r proto.Connected
	err := c.peer.Call(ctx, proto.TypeConnect, &req, proto.TypeConnected, &r)
	return r, err
}

// End closes a session.
func (c *Conn) End(ctx context.Context, sessionID, reason string) error {
	return c.peer.Call(ctx, proto.TypeEnd, &proto.End{SessionID: sessionID, Reason: reason}, proto.TypeOK, nil)
}

// Signal sends a signalling message to the session's agent.
func (c *Conn) Signal(sessionID, kind string, payload []byte) error {
	return c.peer.Send(proto.TypeSignal, &proto.Signal{SessionID: sessionID, Kind: kind, Payload: payload})
}

// Retryable reports whether err is worth retrying on a new connection (the
// network or the relay went away) rather than final (the relay said no).
func Retryable(err error) bool {
	var f *proto.Failure
	if errors.As(err, &f) {
		return f.Code == proto.ErrShuttingDown || f.Code == proto.ErrInternal
	}
	return !errors.Is(err, transport.ErrFingerprintMismatch) && !errors.Is(err, transport.ErrBadFingerprint) &&
		!errors.Is(err, context.Canceled)
}
