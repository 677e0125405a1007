package ui

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// Drawer is a Remote that can draw on the end user's screen (the live
// session; a backend without it offers no drawing).
type Drawer interface {
	// DrawShape draws s and returns what the end user's screen shows, or
	// the app's refusal (a *proto.Failure).
	DrawShape(s proto.DrawShape) (proto.DrawState, error)
	// ClearDrawing removes every drawing from the end user's screen.
	ClearDrawing() error
}

// drawShapes are the shapes the Draw tools offer, by label.
var drawShapes = []struct {
	label string
	kind  proto.ShapeKind
}{{"Freehand", proto.ShapeFreehand}, {"Arrow", proto.ShapeArrow}, {"Ellipse", proto.ShapeEllipse}, {"Rectangle", proto.ShapeRect}}

// drawColourNames are the colours offered, in order.
var drawColourNames = []string{"Red", "Orange", "Yellow", "Green", "Blue", "Magenta", "Cyan", "White", "Black"}

// drawTools is the session view's drawing: while Draw is on, dragging on
// the remote screen draws the chosen shape in the chosen colour instead of
// moving the end user's mouse.
type drawTools struct {
	toggle *widget.Check
	shape  *widget.Select
	colour *widget.Select
	clear  *widget.Button

	// The stroke under way (UI goroutine).
	down   bool
	points []float32

	mu      sync.Mutex
	queue   []func() // sends not yet made, in order (a long line's parts must not overtake)
	sending bool     // a goroutine is working through queue
}

// buildDraw makes the drawing tools.
func (t *sessionTab) buildDraw() {
	d := &t.dr
	d.toggle = widget.NewCheck("Draw", func(on bool) {
		d.down, d.points = false, nil
		if on {
			t.setStatus("Drag on the screen to draw on the end user's screen; they and everyone in the session see it.")
		}
	})
	var labels []string
	for _, s := range drawShapes {
		labels = append(labels, s.label)
	}
	d.shape = widget.NewSelect(labels, nil)
	d.shape.SetSelectedIndex(0)
	d.colour = widget.NewSelect(drawColourNames, nil)
	d.colour.SetSelectedIndex(0)
	d.clear = widget.NewButtonWithIcon("Clear drawing", theme.ContentClearIcon(), t.clearDrawing)
}

// drawToolbar lists the drawing tools for the toolbar.
func (t *sessionTab) drawToolbar() []fyne.CanvasObject {
	return []fyne.CanvasObject{t.dr.toggle, t.dr.shape, t.dr.colour, t.dr.clear}
}

// enableDraw enables the tools when the technician may draw: connected,
// with a grant that includes control, to a backend that draws.
func (t *sessionTab) enableDraw(on bool) {
	_, can := t.remote.(Drawer)
	for _, w := range []fyne.Disableable{t.dr.toggle, t.dr.shape, t.dr.colour, t.dr.clear} {
		if on && can {
			w.Enable()
		} else {
			w.Disable()
		}
	}
	if !(on && can) {
		t.dr.toggle.SetChecked(false)
	}
}

// drawInput takes the screen's pointer events while Draw is on and
// reports whether it did: a press starts a stroke, moves extend it, the
// release draws it. Keys and the wheel still go to the end user.
func (t *sessionTab) drawInput(in proto.Input) bool {
	d := &t.dr
	if !d.toggle.Checked {
		return false
	}
	valid := in.X >= 0 && in.Y >= 0 && in.X <= 1 && in.Y <= 1
	switch in.Kind {
	case proto.InputDown:
		if in.Button == "left" && valid {
			d.down, d.points = true, []float32{float32(in.X), float32(in.Y)}
		}
	case proto.InputMove:
		if d.down && valid {
			d.points = append(d.points, float32(in.X), float32(in.Y))
			if d.kind() == proto.ShapeFreehand && len(d.points) >= 2*proto.MaxDrawPoints {
				t.sendStroke() // a long line goes in parts, each from where the last ended
				d.points = slices.Clone(d.points[len(d.points)-2:])
			}
		}
	case proto.InputUp:
		if d.down {
			if valid {
				d.points = append(d.points, float32(in.X), float32(in.Y))
			}
			t.sendStroke()
			d.down, d.points = false, nil
		}
	case proto.InputRelAll:
		d.down, d.points = false, nil
	default:
		return false
	}
	return true
}

func (d *drawTools) kind() proto.ShapeKind {
	for _, s := range drawShapes {
		if s.label == d.shape.Selected {
			return s.kind
		}
	}
	return proto.ShapeFreehand
}

// sendStroke sends the stroke under way as a shape, off the UI goroutine.
func (t *sessionTab) sendStroke() {
	d := &t.dr
	pts := d.points
	if len(pts) < 4 {
		return // a click without a drag draws nothing
	}
	s := proto.DrawShape{Kind: d.kind(), Colour: proto.DrawColours[strings.ToLower(d.colour.Selected)]}
	if s.Kind == proto.ShapeFreehand {
		s.Points = slices.Clone(pts)
	} else { // from where the drag started to where it is
		s.Points = []float32{pts[0], pts[1], pts[len(pts)-2], pts[len(pts)-1]}
		if math.Abs(float64(s.Points[0]-s.Points[2]))+math.Abs(float64(s.Points[1]-s.Points[3])) < 1e-3 {
			return
		}
	}
	dr, ok := t.remote.(Drawer)
	if !ok {
		return
	}
	t.sendDraw(func() {
		st, err := dr.DrawShape(s)
		t.c.do(func() {
			if err != nil {
				t.setStatus("Not drawn: " + sentence(err))
				return
			}
			t.setStatus(fmt.Sprintf("Drawn on the end user's screen (%d shapes).", st.Shapes))
		})
	})
}

// sendDraw runs send off the UI goroutine, after the sends queued before it.
func (t *sessionTab) sendDraw(send func()) {
	d := &t.dr
	d.mu.Lock()
	defer d.mu.Unlock()
	d.queue = append(d.queue, send)
	if d.sending {
		return
	}
	d.sending = true
	t.c.wg.Go(func() {
		for {
			d.mu.Lock()
			if len(d.queue) == 0 {
				d.sending = false
				d.mu.Unlock()
				return
			}
			next := d.queue[0]
			d.queue = d.queue[1:]
			d.mu.Unlock()
			next()
		}
	})
}

// clearDrawing clears the end user's screen of drawings.
func (t *sessionTab) clearDrawing() {
	dr, ok := t.remote.(Drawer)
	if !ok {
		return
	}
	t.sendDraw(func() {
		err := dr.ClearDrawing()
		t.c.do(func() {
			if err != nil {
				t.setStatus("The drawing was not cleared: " + sentence(err))
				return
			}
			t.setStatus("Cleared the drawing on the end user's screen.")
		})
	})
}

// DrawState shows what the end user's app says of the drawing when it
// cleared it by itself (the end user, a control change). Any goroutine.
func (t *sessionTab) DrawState(st proto.DrawState) {
	if st.Code == 0 && st.Message != "" {
		t.c.do(func() { t.setStatus(st.Message) })
	}
}

// DrawShape implements Drawer.
func (s *liveSession) DrawShape(sh proto.DrawShape) (proto.DrawState, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return s.viewer.Draw(ctx, sh)
}

// ClearDrawing implements Drawer.
func (s *liveSession) ClearDrawing() error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return s.viewer.ClearDrawing(ctx)
}
