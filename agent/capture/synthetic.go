package capture

import (
	"fmt"
	"image"
	"sync"

	"github.com/relaydesk/relaydesk/pkg/codec"
)

// Synthetic is one screen in memory, for tests of what consumes a Source:
// Paint changes it, and it reports exactly the painted rectangles as
// damage (DamageGrabber) and signals each change (Notifier).
type Synthetic struct {
	mu      sync.Mutex
	screen  *codec.Frame
	damage  []image.Rectangle
	last    *codec.Frame // what GrabDamage returned last
	grabbed []image.Rectangle
	notify  chan struct{}
}

// NewSynthetic makes a w x h screen, all black.
func NewSynthetic(w, h int) *Synthetic {
	return &Synthetic{screen: codec.NewFrame(w, h), notify: make(chan struct{}, 1)}
}

// Paint fills r with the colour (0xRRGGBB) and notes it as damage.
func (s *Synthetic) Paint(r image.Rectangle, rgb uint32) {
	s.mu.Lock()
	r = r.Intersect(s.screen.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			o := y*s.screen.Stride + x*4
			s.screen.Pix[o], s.screen.Pix[o+1], s.screen.Pix[o+2], s.screen.Pix[o+3] = byte(rgb), byte(rgb>>8), byte(rgb>>16), 0xff
		}
	}
	if !r.Empty() {
		s.damage = append(s.damage, r)
	}
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// Displays implements Source: one display.
func (s *Synthetic) Displays() ([]image.Rectangle, error) {
	return []image.Rectangle{s.screen.Rect}, nil
}

// Grab implements Source: a copy of the whole screen.
func (s *Synthetic) Grab(i int, dst *codec.Frame) (*codec.Frame, error) {
	if i != 0 {
		return nil, fmt.Errorf("%w: %d of 1", ErrBadDisplay, i)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if dst == nil || dst.Rect != s.screen.Rect {
		dst = codec.NewFrame(s.screen.Rect.Dx(), s.screen.Rect.Dy())
	}
	copy(dst.Pix, s.screen.Pix)
	s.damage = nil
	return dst, nil
}

// GrabDamage implements DamageGrabber: it copies only the rectangles
// painted since the last call.
func (s *Synthetic) GrabDamage(i int, dst *codec.Frame) (*codec.Frame, []image.Rectangle, error) {
	if i != 0 {
		return nil, nil, fmt.Errorf("%w: %d of 1", ErrBadDisplay, i)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	damage := s.damage
	if dst == nil || dst != s.last || dst.Rect != s.screen.Rect {
		if dst == nil || dst.Rect != s.screen.Rect {
			dst = codec.NewFrame(s.screen.Rect.Dx(), s.screen.Rect.Dy())
		}
		damage = []image.Rectangle{s.screen.Rect}
	}
	for _, r := range damage {
		for y := r.Min.Y; y < r.Max.Y; y++ {
			o := y*s.screen.Stride + r.Min.X*4
			copy(dst.Pix[o:o+r.Dx()*4], s.screen.Pix[o:])
		}
	}
	s.damage, s.last = nil, dst
	s.grabbed = append(s.grabbed, damage...)
	return dst, damage, nil
}

// Grabbed returns (and forgets) the rectangles GrabDamage copied so far.
func (s *Synthetic) Grabbed() []image.Rectangle {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.grabbed
	s.grabbed = nil
	return g
}

// Damaged implements Notifier.
func (s *Synthetic) Damaged() <-chan struct{} { return s.notify }

// Close implements Source.
func (s *Synthetic) Close() error { return nil }
