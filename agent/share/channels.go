package share

import (
	"context"
	"image"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/relaydesk/relaydesk/agent/capture"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// onInput applies one input message from p, unless p only views.
func (s *Sharer) onInput(p *peer, data []byte) {
	in, err := proto.DecodeInput(data)
	if err != nil {
		s.log.Warn("unreadable input", "peer", p.id, "err", err)
		return
	}
	s.mu.Lock()
	viewOnly, blocked, bounds := s.viewOnly[p.id], s.blocked[p.id], s.bounds
	s.mu.Unlock()
	if viewOnly {
		s.log.Info("input refused: the technician only views", "peer", p.id)
		return
	}
	if blocked {
		s.log.Info("input refused: another technician has control", "peer", p.id)
		return
	}
	p.input.SetDisplay(bounds)
	if in.Kind == proto.InputDown || in.Kind == proto.InputKeyDn || in.Kind == proto.InputText {
		// Before injecting: the frame that shows the press may be grabbed
		// before Apply returns.
		s.lastPress.Store(s.cfg.Clock.Now().UnixMicro())
	}
	if err := p.input.Apply(in); err != nil {
		s.log.Warn("input", "peer", p.id, "err", err)
	}
}

// onClipboard puts a technician's clipboard text on the end user's clipboard.
func (s *Sharer) onClipboard(p *peer, data []byte) {
	c, err := proto.DecodeClipboard(data)
	if err != nil {
		s.log.Warn("unreadable clipboard message", "peer", p.id, "err", err)
		return
	}
	s.mu.Lock()
	viewOnly := s.viewOnly[p.id] || s.blocked[p.id]
	s.mu.Unlock()
	if viewOnly {
		s.log.Info("clipboard refused: the technician only views or has no control", "peer", p.id)
		return
	}
	if err := s.cfg.Clipboard.Write(c.Text); err != nil {
		s.log.Warn("write clipboard", "err", err)
	}
}

// shareClipboard sends the end user's clipboard changes to every technician.
func (s *Sharer) shareClipboard(ctx context.Context) {
	for text := range s.cfg.Clipboard.Watch(ctx) {
		if len(text) > proto.MaxClipboard {
			s.log.Info("clipboard too large to share", "bytes", len(text))
			continue
		}
		b, err := proto.Marshal(&proto.Clipboard{Text: text})
		if err != nil {
			continue
		}
		s.mu.Lock()
		var chans []*webrtc.DataChannel
		for _, p := range s.peers {
			if p.clip != nil && p.clip.ReadyState() == webrtc.DataChannelStateOpen {
				chans = append(chans, p.clip)
			}
		}
		s.mu.Unlock()
		for _, dc := range chans {
			dc.Send(b)
		}
	}
}

// shareCursor sends the pointer's position (and its shape when it changed)
// to every technician, only on change: polled MaxFPS times a second while
// it moves, less often once it is still (cursorPace).
func (s *Sharer) shareCursor(ctx context.Context, src capture.CursorSource) {
	fast := time.Second / time.Duration(s.cfg.MaxFPS)
	pace := cursorPace{fast: fast, slow: max(fast, cursorStillEvery)}
	t := time.NewTimer(fast)
	defer t.Stop()
	var last proto.Cursor
	var lastSerial uint32
	var shape *image.RGBA
	var hot image.Point
	var shapeAt time.Time // when the shape was last asked for
	// poll sends what changed and says whether anything did.
	poll := func(now time.Time) bool {
		s.mu.Lock()
		var peers []*peer
		for _, p := range s.peers {
			if p.connected && p.cursor != nil && p.cursor.ReadyState() == webrtc.DataChannelStateOpen {
				peers = append(peers, p)
			}
		}
		b := s.bounds
		s.mu.Unlock()
		if len(peers) == 0 || b.Empty() {
			return false
		}
		// The position every poll; the shape (a bigger request) twice a second.
		c, err := src.Cursor(false)
		if now.Sub(shapeAt) >= cursorShapeEvery || shape == nil {
			shapeAt = now
			if full, ferr := src.Cursor(true); ferr == nil && full.Shape != nil {
				c, err = full, nil
				if full.Serial != lastSerial {
					shape, hot, lastSerial = full.Shape, full.Hot, full.Serial
				}
			}
		}
		if err != nil {
			return false
		}
		msg := proto.Cursor{
			X: float64(c.X-b.Min.X) / float64(max(1, b.Dx()-1)), Y: float64(c.Y-b.Min.Y) / float64(max(1, b.Dy()-1)),
			Visible: image.Pt(c.X, c.Y).In(b), Serial: lastSerial,
		}
		changed := msg.X != last.X || msg.Y != last.Y || msg.Visible != last.Visible || msg.Serial != last.Serial
		for _, p := range peers {
			m := msg
			if p.shapeSent != lastSerial && shape != nil {
				m.W, m.H, m.HotX, m.HotY, m.RGBA = shape.Rect.Dx(), shape.Rect.Dy(), hot.X, hot.Y, shape.Pix
			} else if !changed {
				continue // nothing new for this peer
			}
			if data, err := proto.Marshal(&m); err == nil && p.cursor.Send(data) == nil && m.RGBA != nil {
				p.shapeSent = lastSerial
			}
		}
		last = msg
		return changed
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now()
		t.Reset(pace.next(now, poll(now)))
	}
}

// The cursor's polls: every cursorStillEvery once the pointer has been
// still for cursorSettle (a still desktop cost the SOS app 1.5 % of a core
// polling at 30 a second, 0.3 % without the cursor); its shape every
// cursorShapeEvery.
const (
	cursorStillEvery = 100 * time.Millisecond
	cursorSettle     = time.Second
	cursorShapeEvery = 500 * time.Millisecond
)

// cursorPace paces the cursor's polls: every fast while the pointer moved
// in the last cursorSettle, every slow after.
type cursorPace struct {
	fast, slow time.Duration
	moved      time.Time // when the pointer last moved; zero: not yet
}

// next records whether the pointer moved at now and returns the wait
// until the next poll.
func (c *cursorPace) next(now time.Time, moved bool) time.Duration {
	if moved {
		c.moved = now
	}
	if !c.moved.IsZero() && now.Sub(c.moved) < cursorSettle {
		return c.fast
	}
	return c.slow
}
