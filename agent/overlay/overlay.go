// Package overlay shows what a technician draws (arrows, ellipses,
// rectangles, freehand lines) on the end user's desktop, in a window above
// every other that never receives the end user's input: clicks and keys go
// to the windows below. On X11 it is an override-redirect window shaped to
// the strokes (no compositor is needed: the shape, not transparency, makes
// the rest of the screen show through) with an empty input shape; on
// Windows a layered, transparent (click-through), topmost window painted
// in a key colour. Other systems answer ErrUnavailable.
//
// Because the overlay is on the screen, the captured picture every
// technician sees shows the drawing too.
package overlay

import (
	"errors"
	"image"
	"log/slog"
	"math"
	"sync"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// ErrUnavailable means this computer cannot show drawings.
var ErrUnavailable = errors.New("overlay: drawing is not available on this computer")

// Config configures an Overlay.
type Config struct {
	// Display is the X display ("" means $DISPLAY); unused elsewhere.
	Display string
	Logger  *slog.Logger
}

// drawn is what an overlay shows; both systems' Overlay embed it.
type drawn struct {
	mu      sync.Mutex
	strokes []stroke
}

// Shapes is the number of shapes on the screen.
func (d *drawn) Shapes() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.strokes)
}

func (c Config) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.Default()
	}
	return c.Logger
}

// keep appends st to strokes and drops the oldest past
// proto.MaxDrawnShapes (trimmed: some went, the rest is to be redrawn).
func keep(strokes []stroke, st stroke) (out []stroke, trimmed bool) {
	out = append(strokes, st)
	if len(out) > proto.MaxDrawnShapes {
		return out[len(out)-proto.MaxDrawnShapes:], true
	}
	return out, false
}

// stroke is a shape in pixels of the desktop: polylines and an ellipse's
// bounding box (empty for other shapes).
type stroke struct {
	colour  uint32
	width   int
	lines   [][]image.Point
	ellipse image.Rectangle
}

// outline turns s, normalised to area (the captured display's place on the
// desktop), into pixels.
func outline(s proto.DrawShape, area image.Rectangle) stroke {
	px := func(i int) image.Point {
		x, y := s.Point(i)
		return image.Pt(area.Min.X+int(math.Round(x*float64(max(0, area.Dx()-1)))), area.Min.Y+int(math.Round(y*float64(max(0, area.Dy()-1)))))
	}
	st := stroke{colour: s.Colour, width: s.LineWidth()}
	switch s.Kind {
	case proto.ShapeRect:
		a, b := px(0), px(1)
		st.lines = [][]image.Point{{a, image.Pt(b.X, a.Y), b, image.Pt(a.X, b.Y), a}}
	case proto.ShapeEllipse:
		st.ellipse = image.Rectangle{px(0), px(1)}.Canon()
	case proto.ShapeArrow:
		from, to := px(0), px(1)
		st.lines = [][]image.Point{{from, to}}
		dx, dy := float64(from.X-to.X), float64(from.Y-to.Y)
		if l := math.Hypot(dx, dy); l > 0 {
			head := math.Min(l, float64(max(14, 4*st.width)))
			ang := math.Atan2(dy, dx)
			wing := func(a float64) image.Point {
				return image.Pt(to.X+int(math.Round(head*math.Cos(a))), to.Y+int(math.Round(head*math.Sin(a))))
			}
			st.lines = append(st.lines, []image.Point{wing(ang + math.Pi/6), to, wing(ang - math.Pi/6)})
		}
	case proto.ShapeFreehand:
		line := make([]image.Point, s.N())
		for i := range line {
			line[i] = px(i)
		}
		st.lines = [][]image.Point{line}
	}
	return st
}
