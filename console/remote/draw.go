package remote

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// ErrNoDrawing means the end user's app opened no drawing channel: the end
// user did not allow this technician control (or the app is too old).
var ErrNoDrawing = errors.New("You cannot draw on the end user's screen: the end user did not allow you to control their computer.")

// drawWait is how long Draw waits for the drawing channel to open and for
// the app's answer.
const drawWait = 5 * time.Second

// drawing is the technician's end of proto.DrawChannel.
type drawing struct {
	mu      sync.Mutex
	dc      *webrtc.DataChannel // nil until open
	opened  chan struct{}       // closed when a channel opened
	answers chan proto.DrawState
	on      func(proto.DrawState)
}

func (d *drawing) init() {
	if d.opened == nil {
		d.opened, d.answers = make(chan struct{}), make(chan proto.DrawState, 16)
	}
}

// drawChannel takes the app's drawing channel.
func (v *Viewer) drawChannel(dc *webrtc.DataChannel) {
	d := &v.draw
	dc.OnOpen(func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		d.init()
		if d.dc == nil {
			close(d.opened)
		}
		d.dc = dc
	})
	dc.OnMessage(func(m webrtc.DataChannelMessage) {
		msg, err := proto.DecodeDraw(m.Data)
		st, ok := msg.(*proto.DrawState)
		if err != nil || !ok {
			v.log.Warn("unreadable drawing message", "err", err)
			return
		}
		d.mu.Lock()
		d.init()
		on := d.on
		for sent := false; !sent; { // never blocks: when full, the oldest news goes
			select {
			case d.answers <- *st:
				sent = true
			default:
				select {
				case <-d.answers:
				default:
				}
			}
		}
		d.mu.Unlock()
		if on != nil {
			on(*st)
		}
	})
}

// OnDrawState sets the function told what the end user's screen shows
// after every drawing change (a refusal has Code set). Called on the
// viewer's goroutines.
func (v *Viewer) OnDrawState(f func(proto.DrawState)) {
	v.draw.mu.Lock()
	v.draw.on = f
	v.draw.mu.Unlock()
}

// Draw draws s on the end user's screen and waits for the app's answer: a
// refusal comes back as a *proto.Failure with the app's sentence.
func (v *Viewer) Draw(ctx context.Context, s proto.DrawShape) (proto.DrawState, error) {
	if err := s.Check(); err != nil {
		return proto.DrawState{}, fmt.Errorf("remote: %w", err)
	}
	return v.sendDraw(ctx, &s)
}

// ClearDrawing removes every drawing from the end user's screen and waits
// for the app's answer.
func (v *Viewer) ClearDrawing(ctx context.Context) error {
	_, err := v.sendDraw(ctx, &proto.DrawClear{})
	return err
}

func (v *Viewer) sendDraw(ctx context.Context, m any) (proto.DrawState, error) {
	b, err := proto.EncodeDraw(m)
	if err != nil {
		return proto.DrawState{}, err
	}
	d := &v.draw
	d.mu.Lock()
	d.init()
	opened, answers := d.opened, d.answers
	d.mu.Unlock()
	timer := time.NewTimer(drawWait)
	defer timer.Stop()
	select {
	case <-opened:
	case <-ctx.Done():
		return proto.DrawState{}, ctx.Err()
	case <-timer.C:
		return proto.DrawState{}, ErrNoDrawing
	}
	d.mu.Lock()
	for len(answers) > 0 { // older news: the answer to this one comes next
		<-answers
	}
	dc := d.dc
	d.mu.Unlock()
	if err := dc.Send(b); err != nil {
		return proto.DrawState{}, fmt.Errorf("remote: send the drawing: %w", err)
	}
	timer.Reset(drawWait)
	select {
	case st := <-answers:
		if st.Code != 0 {
			return st, &proto.Failure{Code: st.Code, Message: st.Message}
		}
		return st, nil
	case <-ctx.Done():
		return proto.DrawState{}, ctx.Err()
	case <-timer.C:
		return proto.DrawState{}, errors.New("remote: the end user's app did not answer the drawing within 5s")
	}
}
