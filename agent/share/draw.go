package share

import (
	"errors"
	"image"
	"sync"

	"github.com/relaydesk/relaydesk/agent/overlay"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// Overlay shows the technicians' drawings on the end user's screen
// (agent/overlay.Overlay). Draw returns the number of shapes shown, or an
// error wrapping overlay.ErrUnavailable where nothing can be drawn.
type Overlay interface {
	Draw(area image.Rectangle, s proto.DrawShape) (int, error)
	Clear() error
}

// drawSender is a peer's drawing channel (a *webrtc.DataChannel).
type drawSender interface {
	Send([]byte) error
}

// drawing is what the overlay shows and who drew it.
type drawing struct {
	mu       sync.Mutex     // serialises the overlay's changes
	by       map[int64]bool // technicians whose shapes are on the screen
	shapes   int
	observer func(shapes int)
}

// Sentences for the technicians.
const (
	drawNoControl   = "Only the technician who controls the end user's computer can draw on its screen."
	drawUnavailable = "Drawing is not available on the end user's computer."
	drawNoScreen    = "The end user's screen is not shared yet; draw once it shows."
	drawClearedUser = "The end user cleared the drawing."
	drawClearedCtl  = "The drawing was cleared because control of the end user's computer changed."
	drawClearedLeft = "The drawing was cleared because the technician who drew left the session."
	drawClearedEnd  = "The drawing was cleared because the session ended."
)

// OnDrawing sets the function told how many shapes the end user's screen
// shows after every change (the SOS window's "Clear drawing" button). It
// is called on the Sharer's goroutines.
func (s *Sharer) OnDrawing(f func(shapes int)) {
	s.draw.mu.Lock()
	s.draw.observer = f
	s.draw.mu.Unlock()
}

// onDraw draws or clears for technician p, if p holds control now, and
// answers with what the screen shows.
func (s *Sharer) onDraw(p *peer, data []byte) {
	msg, err := proto.DecodeDraw(data)
	if err != nil {
		s.log.Warn("unreadable drawing message", "peer", p.id, "err", err)
		s.answerDraw(p, proto.DrawState{Code: proto.ErrBadRequest, Message: "The drawing could not be read: " + err.Error()})
		return
	}
	s.mu.Lock()
	refused := s.viewOnly[p.id] || s.blocked[p.id] || !p.granted.Has(proto.PermControl)
	bounds := s.bounds
	s.mu.Unlock()
	switch m := msg.(type) {
	case *proto.DrawShape:
		if refused {
			s.log.Info("drawing refused: the technician has no control", "peer", p.id)
			s.answerDraw(p, proto.DrawState{Code: proto.ErrForbidden, Message: drawNoControl})
			return
		}
		if bounds.Empty() {
			s.answerDraw(p, proto.DrawState{Code: proto.ErrSessionState, Message: drawNoScreen})
			return
		}
		s.draw.mu.Lock()
		n, err := s.cfg.Overlay.Draw(bounds, *m)
		if err == nil {
			if s.draw.by == nil {
				s.draw.by = map[int64]bool{}
			}
			s.draw.by[p.id] = true
			s.draw.shapes = n
		}
		obs := s.draw.observer
		s.draw.mu.Unlock()
		switch {
		case errors.Is(err, overlay.ErrUnavailable):
			s.log.Info("drawing refused", "peer", p.id, "err", err)
			s.answerDraw(p, proto.DrawState{Code: proto.ErrDrawUnavailable, Message: drawUnavailable})
		case err != nil:
			s.log.Warn("draw", "peer", p.id, "err", err)
			s.answerDraw(p, proto.DrawState{Code: proto.ErrInternal, Message: "The drawing could not be shown on the end user's screen."})
		default:
			s.log.Info("drawing shown", "peer", p.id, "shape", m.Kind.String(), "shapes", n)
			s.tellDrawing(proto.DrawState{Shapes: n})
			if obs != nil {
				obs(n)
			}
		}
	case *proto.DrawClear:
		if refused {
			s.answerDraw(p, proto.DrawState{Code: proto.ErrForbidden, Shapes: s.drawnShapes(), Message: drawNoControl})
			return
		}
		s.clearDrawing("")
	}
}

// ClearDrawing removes every technician's drawing (the end user's "Clear
// drawing" button) and tells the technicians.
func (s *Sharer) ClearDrawing() { s.clearDrawing(drawClearedUser) }

// SessionEnded removes the drawing when the session is over (the app may
// stay open, for the rating).
func (s *Sharer) SessionEnded() { s.clearDrawing(drawClearedEnd) }

// clearDrawing clears the overlay and tells every technician why (an empty
// why: the technician asked).
func (s *Sharer) clearDrawing(why string) {
	if s.cfg.Overlay == nil {
		return
	}
	s.draw.mu.Lock()
	err := s.cfg.Overlay.Clear()
	s.draw.by, s.draw.shapes = nil, 0
	obs := s.draw.observer
	s.draw.mu.Unlock()
	if err != nil {
		s.log.Warn("clear drawing", "err", err)
	}
	s.log.Info("drawing cleared", "why", why)
	s.tellDrawing(proto.DrawState{Message: why})
	if obs != nil {
		obs(0)
	}
}

// lostControl clears the drawing when technician id, who drew part of
// it, no longer controls or left.
func (s *Sharer) lostControl(id int64, why string) {
	s.draw.mu.Lock()
	drew := s.draw.by[id]
	s.draw.mu.Unlock()
	if drew {
		s.clearDrawing(why)
	}
}

func (s *Sharer) drawnShapes() int {
	s.draw.mu.Lock()
	defer s.draw.mu.Unlock()
	return s.draw.shapes
}

// answerDraw tells technician p alone (a refusal).
func (s *Sharer) answerDraw(p *peer, st proto.DrawState) {
	if st.Code != 0 && st.Shapes == 0 {
		st.Shapes = s.drawnShapes()
	}
	if b, err := proto.EncodeDraw(&st); err == nil && p.draw != nil {
		p.draw.Send(b)
	}
}

// tellDrawing tells every technician with a drawing channel what the
// screen shows now.
func (s *Sharer) tellDrawing(st proto.DrawState) {
	b, err := proto.EncodeDraw(&st)
	if err != nil {
		return
	}
	s.mu.Lock()
	var out []drawSender
	for _, p := range s.peers {
		if p.draw != nil {
			out = append(out, p.draw)
		}
	}
	s.mu.Unlock()
	for _, d := range out {
		d.Send(b)
	}
}
