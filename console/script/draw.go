package script

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// Drawer is a Remote that can draw on the end user's screen.
type Drawer interface {
	// DrawShape draws s and returns once the end user's app drew it, or
	// the app's refusal.
	DrawShape(s proto.DrawShape) error
	// ClearDrawing removes every shape.
	ClearDrawing() error
}

// drawUsage is the draw action's syntax.
const drawUsage = "draw takes rect|ellipse X Y W H, arrow X1 Y1 X2 Y2, freehand X1 Y1 X2 Y2 …, each with an optional colour at the end (red, #00ff00, …), or clear"

// parseDraw reads a draw action: draw rect|ellipse X Y W H [COLOUR],
// draw arrow X1 Y1 X2 Y2 [COLOUR], draw freehand X1 Y1 … [COLOUR], draw clear.
func parseDraw(a *Action, f []string) error {
	if len(f) == 0 {
		return errors.New(drawUsage)
	}
	if f[0] == "clear" {
		if len(f) != 1 {
			return errors.New("draw clear takes nothing more")
		}
		return nil
	}
	kind, err := proto.ParseShapeKind(f[0])
	if err != nil {
		return err
	}
	a.Shape = proto.DrawShape{Kind: kind, Colour: proto.DrawColours["red"]}
	nums := f[1:]
	if n := len(nums); n > 0 {
		if _, err := strconv.Atoi(nums[n-1]); err != nil {
			if a.Shape.Colour, err = proto.ParseColour(nums[n-1]); err != nil {
				return err
			}
			nums = nums[:n-1]
		}
	}
	for _, s := range nums {
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 {
			return fmt.Errorf("%s takes non-negative whole pixels, not %q", kind, s)
		}
		a.Pixels = append(a.Pixels, v)
	}
	switch n := len(a.Pixels); {
	case kind == proto.ShapeFreehand && (n%2 != 0 || n < 4 || n > 2*proto.MaxDrawPoints):
		return fmt.Errorf("freehand takes 2 to %d points (X Y pairs), not %d numbers", proto.MaxDrawPoints, n)
	case kind != proto.ShapeFreehand && n != 4:
		return errors.New(drawUsage)
	case (kind == proto.ShapeRect || kind == proto.ShapeEllipse) && (a.Pixels[2] == 0 || a.Pixels[3] == 0):
		return fmt.Errorf("%s needs a width and height of at least 1 pixel", kind)
	}
	return nil
}

// draw performs a draw action; norm turns pixels into screen fractions.
func draw(r Remote, a Action, norm func(px, py int) (float64, float64, error)) error {
	d, ok := r.(Drawer)
	if !ok {
		return errors.New("this console cannot draw on the end user's screen")
	}
	if a.Pixels == nil {
		return d.ClearDrawing()
	}
	px := a.Pixels
	if a.Shape.Kind == proto.ShapeRect || a.Shape.Kind == proto.ShapeEllipse { // X Y W H: the far corner
		px = []int{px[0], px[1], px[0] + px[2] - 1, px[1] + px[3] - 1}
	}
	s := a.Shape
	for i := 0; i < len(px); i += 2 {
		x, y, err := norm(px[i], px[i+1])
		if err != nil {
			return err
		}
		s.Points = append(s.Points, float32(x), float32(y))
	}
	return d.DrawShape(s)
}
