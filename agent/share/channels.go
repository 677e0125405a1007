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
// to every technician, at most MaxFPS times a second and only on change.
func (s *Sharer) shareCursor(ctx context.Context, src capture.CursorSource) {
	t := time.NewTicker(time.Second / time.Duration(s.cfg.MaxFPS))
	defer t.Stop()
	var last proto.Cursor
	var lastSerial uint32
	var ticks uint
	var shape *image.RGBA
	var hot image.Point
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
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
			continue
		}
		// The position every tick; the shape (a bigger request) twice a second.
		ticks++
		c, err := src.Cursor(false)
		if ticks%uint(max(1, s.cfg.MaxFPS/2)) == 1 || shape == nil {
			if full, ferr := src.Cursor(true); ferr == nil && full.Shape != nil {
				c, err = full, nil
				if full.Serial != lastSerial {
					shape, hot, lastSerial = full.Shape, full.Hot, full.Serial
				}
			}
		}
		if err != nil {
			continue
		}
		msg := proto.Cursor{
			X: float64(c.X-b.Min.X) / float64(max(1, b.Dx()-1)), Y: float64(c.Y-b.Min.Y) / float64(max(1, b.Dy()-1)),
			Visible: image.Pt(c.X, c.Y).In(b), Serial: lastSerial,
		}
		for _, p := range peers {
			m := msg
			if p.shapeSent != lastSerial && shape != nil {
				m.W, m.H, m.HotX, m.HotY, m.RGBA = shape.Rect.Dx(), shape.Rect.Dy(), hot.X, hot.Y, shape.Pix
			} else if m.X == last.X && m.Y == last.Y && m.Visible == last.Visible && m.Serial == last.Serial {
				continue // nothing new for this peer
			}
			if data, err := proto.Marshal(&m); err == nil && p.cursor.Send(data) == nil && m.RGBA != nil {
				p.shapeSent = lastSerial
			}
		}
		last = msg
	}
}
