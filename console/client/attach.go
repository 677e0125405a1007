package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/transport"
)

// Handler is what a session reports to whoever shows it.
type Handler interface {
	// Stage reports progress in words: "Asking the end user for permission…",
	// "Connected.", "Connection lost; reconnecting in 1s…".
	Stage(text string)
	// Connected reports a successful connect or resume.
	Connected(c proto.Connected)
	// Event receives every other message for this session (Signal, PeerState...).
	Event(env proto.Envelope)
}

// SessionOptions configures Attach.
type SessionOptions struct {
	Login  Login
	Target proto.Connect // a code or a session ID
	// Reconnect is how long to keep trying after the connection dropped; it
	// should match the relay's grace period.
	Reconnect              time.Duration
	MinBackoff, MaxBackoff time.Duration
	Logger                 *slog.Logger
}

// Session is a session a technician is attached to. The zero value is ready
// for Run.
type Session struct {
	mu   sync.Mutex
	conn *Conn
	id   string
}

// RenewedICE returns the fresh TURN credentials an ICERenewed event
// carries (the relay renews them while the session lives); the viewer
// gathers with the newest for any new peer connection.
func RenewedICE(env proto.Envelope) ([]proto.ICEServer, bool) {
	var r proto.ICERenewed
	if env.Type != proto.TypeICERenewed || env.Decode(&r) != nil || len(r.ICE) == 0 {
		return nil, false
	}
	return r.ICE, true
}

// ErrEnded carries how a session ended when the other side (or the relay) ended it.
type ErrEnded struct{ proto.SessionEnded }

func (e *ErrEnded) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("The session was ended by %s: %s.", e.By, e.Reason)
	}
	return fmt.Sprintf("The session was ended by %s.", e.By)
}

// ErrLeft says the relay took this technician off a session that goes on
// without them: after they transferred it, its new owner joined.
type ErrLeft struct{ proto.PeerLeft }

func (e *ErrLeft) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("You left the session (%s).", e.Reason)
	}
	return "You left the session."
}

// Attach connects to a session and stays with it until it ends, reconnecting
// and resuming after a dropped connection or a relay restart. It returns an
// *ErrEnded when the end user or the relay ended the session, an *ErrLeft
// when the relay took the technician off it (the session goes on, not
// ended from here), nil when ctx was cancelled and the session was ended
// from here, and the reason when the connect failed.
func Attach(ctx context.Context, opts SessionOptions, h Handler) error {
	return new(Session).Run(ctx, opts, h)
}

// Signal sends a signalling message to the session's agent on the current
// connection; transport.ErrClosed while reconnecting.
func (s *Session) Signal(kind string, payload []byte) error {
	c, id, err := s.current()
	if err != nil {
		return err
	}
	return c.Signal(id, kind, payload)
}

// current is the session's connection and ID; transport.ErrClosed while reconnecting.
func (s *Session) current() (*Conn, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil, "", transport.ErrClosed
	}
	return s.conn, s.id, nil
}

// Run is Attach on s, so that s can send signals while it runs.
func (s *Session) Run(ctx context.Context, opts SessionOptions, h Handler) error {
	if opts.Reconnect == 0 {
		opts.Reconnect = 2 * time.Minute
	}
	if opts.MinBackoff == 0 {
		opts.MinBackoff = 250 * time.Millisecond
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	target := opts.Target
	backoff := opts.MinBackoff
	var lostSince time.Time
	for {
		ended, err := s.once(ctx, opts, target, h, func(c proto.Connected) {
			target = proto.Connect{SessionID: c.Session.ID}
			backoff, lostSince = opts.MinBackoff, time.Time{}
		})
		var left *ErrLeft
		switch {
		case ended != nil:
			return &ErrEnded{*ended}
		case errors.As(err, &left):
			return err // nothing to end or resume: the session goes on without us
		case ctx.Err() != nil:
			return s.end(opts.Login)
		case !Retryable(err):
			return err
		case target.SessionID == "" && target.Code != "":
			return err // never connected: nothing to resume
		}
		if lostSince.IsZero() {
			lostSince = time.Now()
		}
		if time.Since(lostSince) > opts.Reconnect {
			return fmt.Errorf("the relay stayed unreachable for %s: %w", opts.Reconnect, err)
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		h.Stage(fmt.Sprintf("Connection lost (%s). Reconnecting in %s…", transport.Describe(err, opts.Login.Relay), wait.Round(10*time.Millisecond)))
		select {
		case <-ctx.Done():
			return s.end(opts.Login)
		case <-time.After(wait):
		}
		backoff = min(backoff*2, opts.MaxBackoff)
	}
}

// once runs one connection. It returns the SessionEnded message if the
// session ended, otherwise why the connection stopped (an *ErrLeft when
// the relay took this technician off the session).
func (s *Session) once(ctx context.Context, opts SessionOptions, target proto.Connect, h Handler, ok func(proto.Connected)) (*proto.SessionEnded, error) {
	endedCh := make(chan proto.SessionEnded, 1)
	leftCh := make(chan proto.PeerLeft, 1)
	var id string
	var self int64
	var early []proto.PeerLeft // PeerLeft events before Connect returned
	var idMu sync.Mutex
	onEvent := func(env proto.Envelope) {
		switch env.Type {
		case proto.TypeConnectStage:
			var st proto.ConnectStage
			if env.Decode(&st) == nil {
				h.Stage(st.Stage)
			}
		case proto.TypePeerLeft:
			// The relay took this technician off the session (it may
			// say so before Connect returned here: kept until then).
			var l proto.PeerLeft
			if env.Decode(&l) != nil {
				return
			}
			idMu.Lock()
			mine := id != "" && l.SessionID == id && l.Peer.ID == self
			if id == "" {
				early = append(early, l)
			} else if mine {
				select {
				case leftCh <- l:
				default:
				}
			}
			later := id != "" && !mine
			idMu.Unlock()
			if later {
				h.Event(env) // about someone else
			}
		case proto.TypeSessionEnded:
			var e proto.SessionEnded
			idMu.Lock()
			mine := env.Decode(&e) == nil && (id == "" || e.SessionID == id)
			idMu.Unlock()
			if mine {
				select {
				case endedCh <- e:
				default:
				}
			}
		default:
			h.Event(env)
		}
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	c, err := opts.Login.Open(dctx, onEvent)
	cancel()
	if err != nil {
		return nil, err
	}
	defer c.Close()
	// Connect waits for the end user; a cancelled ctx abandons it.
	res, err := c.Connect(ctx, target)
	if err != nil {
		return nil, err
	}
	idMu.Lock()
	id, self = res.Session.ID, res.PeerID
	for _, l := range early {
		if l.SessionID == id && l.Peer.ID == self {
			select {
			case leftCh <- l:
			default:
			}
		}
	}
	early = nil
	idMu.Unlock()
	s.mu.Lock()
	s.conn, s.id = c, res.Session.ID
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.conn = nil
		s.mu.Unlock()
	}()
	ok(res)
	h.Connected(res)
	select {
	case e := <-endedCh:
		return &e, nil
	case l := <-leftCh:
		s.mu.Lock()
		s.id = "" // nothing to end from here
		s.mu.Unlock()
		return nil, &ErrLeft{l}
	case <-c.Done():
		select {
		case e := <-endedCh:
			return &e, nil
		default:
		}
		return nil, c.Err()
	case <-ctx.Done():
		// End on the live connection, so the end user hears it from us
		// rather than seeing us drop.
		ectx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.End(ectx, res.Session.ID, ""); err == nil {
			s.mu.Lock()
			s.id = ""
			s.mu.Unlock()
		}
		return nil, ctx.Err()
	}
}

// end closes the session from here, on a fresh connection if needed.
func (s *Session) end(l Login) error {
	s.mu.Lock()
	c, id := s.conn, s.id
	s.mu.Unlock()
	if id == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if c == nil || c.Err() != nil {
		var err error
		if c, err = l.Open(ctx, nil); err != nil {
			return fmt.Errorf("end session: %w", err)
		}
		defer c.Close()
	}
	if err := c.End(ctx, id, ""); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}
