package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// Peer errors.
var (
	ErrClosed       = errors.New("transport: connection closed")
	ErrSlowConsumer = errors.New("transport: peer does not read fast enough")
)

// sendQueue is how many outgoing frames may wait for a slow peer before the
// connection is dropped rather than blocking the sender.
const sendQueue = 256

// Handler receives every frame that is not a reply to one of our requests:
// events and the peer's requests. It runs on the reading goroutine, so it
// must not block; work that waits (for a person, another peer) belongs in a
// goroutine the handler's owner waits for.
type Handler func(proto.Envelope)

// Peer speaks the framed protocol on one control stream: it matches replies
// to requests and queues outgoing frames so that a sender never blocks on a
// slow peer. Run owns the reading and writing goroutines.
type Peer struct {
	rw      io.ReadWriter
	onClose func(error)
	nextID  atomic.Uint64
	out     chan []byte
	done    chan struct{}
	once    sync.Once
	err     error // set before done is closed
	mu      sync.Mutex
	pending map[uint64]chan proto.Envelope
	// FrameTimeout, when set before Run, replaces proto.FrameTimeout: how
	// long a frame that started may take to arrive whole.
	FrameTimeout time.Duration
}

// NewPeer returns a Peer on the stream rw. Nothing is read or written until
// Run. onClose, when not nil, is called once when the peer stops, with the
// reason; it must make rw's Read return (for QUIC: close the connection).
func NewPeer(rw io.ReadWriter, onClose func(error)) *Peer {
	return &Peer{
		rw:      rw,
		onClose: onClose,
		out:     make(chan []byte, sendQueue),
		done:    make(chan struct{}),
		pending: make(map[uint64]chan proto.Envelope),
	}
}

// Run reads frames until the stream fails, ctx ends or Close is called,
// handing everything but replies to h. It writes queued frames on a goroutine
// it waits for before returning. The returned error is why it stopped.
func (p *Peer) Run(ctx context.Context, h Handler) error {
	var wg sync.WaitGroup
	wg.Go(func() { p.writeLoop() })
	stop := context.AfterFunc(ctx, func() { p.shut(ctx.Err()) })
	defer stop()

	r := proto.NewReader(p.rw)
	if p.FrameTimeout > 0 {
		r.Timeout = p.FrameTimeout
	}
	for {
		env, err := r.Read()
		if err != nil {
			switch {
			case errors.Is(err, proto.ErrMalformed) || errors.Is(err, proto.ErrFrameTooLarge):
				err = &proto.Failure{Code: proto.ErrProtocol, Message: err.Error()}
			case errors.Is(err, proto.ErrFrameTimeout):
				err = &proto.Failure{Code: proto.ErrSlowFrame, Message: err.Error()}
			}
			p.shut(err)
			break
		}
		if env.ReplyTo != 0 {
			p.mu.Lock()
			ch, ok := p.pending[env.ReplyTo]
			delete(p.pending, env.ReplyTo)
			p.mu.Unlock()
			if ok {
				ch <- env // buffered, one reply per request
			}
			continue
		}
		h(env)
	}
	wg.Wait()
	return p.Err()
}

func (p *Peer) writeLoop() {
	for {
		select {
		case <-p.done:
			return
		case frame := <-p.out:
			if _, err := p.rw.Write(frame); err != nil {
				p.shut(fmt.Errorf("write: %w", err))
				return
			}
		}
	}
}

// shut records why the peer stopped and wakes everyone waiting.
func (p *Peer) shut(err error) {
	p.once.Do(func() {
		if err == nil {
			err = ErrClosed
		}
		p.err = err
		close(p.done)
		if p.onClose != nil {
			p.onClose(err)
		}
	})
}

// Close stops the peer; Run returns.
func (p *Peer) Close() { p.shut(ErrClosed) }

// CloseWith stops the peer for the given reason, which onClose receives
// (a *proto.Failure becomes the QUIC application error code).
func (p *Peer) CloseWith(err error) { p.shut(err) }

// Done is closed when the peer stopped.
func (p *Peer) Done() <-chan struct{} { return p.done }

// Err is why the peer stopped, or nil while it runs.
func (p *Peer) Err() error {
	select {
	case <-p.done:
		return p.err
	default:
		return nil
	}
}

func (p *Peer) enqueue(t proto.Type, id, replyTo uint64, body any) error {
	frame, err := proto.AppendFrame(nil, t, id, replyTo, body)
	if err != nil {
		return err
	}
	select {
	case <-p.done:
		return ErrClosed
	default:
	}
	select {
	case p.out <- frame:
		return nil
	case <-p.done:
		return ErrClosed
	default:
		p.shut(ErrSlowConsumer)
		return ErrSlowConsumer
	}
}

// Send queues a one-way message.
func (p *Peer) Send(t proto.Type, body any) error { return p.enqueue(t, 0, 0, body) }

// Reply answers the request with the given ID.
func (p *Peer) Reply(id uint64, t proto.Type, body any) error { return p.enqueue(t, 0, id, body) }

// ReplyError answers the request with the given ID with an Error. A
// *proto.Failure keeps its code and sentence; anything else becomes
// ErrInternal with a generic sentence, so internals never leak to a peer.
func (p *Peer) ReplyError(id uint64, err error) error {
	var f *proto.Failure
	if !errors.As(err, &f) {
		f = &proto.Failure{Code: proto.ErrInternal, Message: "The relay could not complete the request; please try again."}
	}
	return p.enqueue(proto.TypeError, 0, id, &proto.Error{Code: f.Code, Message: f.Message, RetryAfter: f.RetryAfter})
}

// Request sends a request and waits for its reply. An Error reply is
// returned as a *proto.Failure.
func (p *Peer) Request(ctx context.Context, t proto.Type, body any) (proto.Envelope, error) {
	id := p.nextID.Add(1)
	ch := make(chan proto.Envelope, 1)
	p.mu.Lock()
	p.pending[id] = ch
	p.mu.Unlock()
	forget := func() {
		p.mu.Lock()
		delete(p.pending, id)
		p.mu.Unlock()
	}
	if err := p.enqueue(t, id, 0, body); err != nil {
		forget()
		return proto.Envelope{}, err
	}
	select {
	case env := <-ch:
		if env.Type == proto.TypeError {
			return env, env.AsFailure()
		}
		return env, nil
	case <-ctx.Done():
		forget()
		return proto.Envelope{}, ctx.Err()
	case <-p.done:
		forget()
		return proto.Envelope{}, p.err
	}
}

// Call sends a request, checks that the reply has type want and decodes it into reply.
func (p *Peer) Call(ctx context.Context, t proto.Type, body any, want proto.Type, reply any) error {
	env, err := p.Request(ctx, t, body)
	if err != nil {
		return err
	}
	if env.Type != want {
		return fmt.Errorf("%w: reply of type %d to a request of type %d", proto.ErrMalformed, env.Type, t)
	}
	if reply == nil {
		return nil
	}
	return env.Decode(reply)
}
