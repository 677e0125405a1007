package script

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// drawRemote is a fakeRemote that draws.
type drawRemote struct {
	fakeRemote
	shapes  []proto.DrawShape
	clears  int
	refusal error
}

func (d *drawRemote) DrawShape(s proto.DrawShape) error {
	if d.refusal != nil {
		return d.refusal
	}
	d.shapes = append(d.shapes, s)
	return nil
}

func (d *drawRemote) ClearDrawing() error { d.clears++; return nil }

// Pixels become screen fractions (the screen is 1921x1081: 1920 is 1.0),
// a rectangle's size its far corner, the colour red unless named.
func TestDrawActions(t *testing.T) {
	acts, err := Parse(strings.NewReader("draw rect 480 270 961 541 green\ndraw circle 0 0 1921 1081\ndraw arrow 1920 0 960 540 #0000ff\ndraw freehand 0 0 960 540 1920 1080\ndraw clear\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := &drawRemote{}
	if err := Run(context.Background(), r, acts); err != nil {
		t.Fatal(err)
	}
	want := []proto.DrawShape{
		{Kind: proto.ShapeRect, Colour: proto.DrawColours["green"], Points: []float32{0.25, 0.25, 0.75, 0.75}},
		{Kind: proto.ShapeEllipse, Colour: proto.DrawColours["red"], Points: []float32{0, 0, 1, 1}},
		{Kind: proto.ShapeArrow, Colour: 0x0000ff, Points: []float32{1, 0, 0.5, 0.5}},
		{Kind: proto.ShapeFreehand, Colour: proto.DrawColours["red"], Points: []float32{0, 0, 0.5, 0.5, 1, 1}},
	}
	if len(r.shapes) != len(want) || r.clears != 1 {
		t.Fatalf("drew %+v and cleared %d times", r.shapes, r.clears)
	}
	for i, w := range want {
		g := r.shapes[i]
		if g.Kind != w.Kind || g.Colour != w.Colour || len(g.Points) != len(w.Points) {
			t.Fatalf("shape %d: %+v, want %+v", i, g, w)
		}
		for j := range w.Points {
			if d := g.Points[j] - w.Points[j]; d > 1e-6 || d < -1e-6 {
				t.Fatalf("shape %d point %d: %v, want %v", i, j, g.Points, w.Points)
			}
		}
		if err := g.Check(); err != nil {
			t.Fatalf("shape %d would be refused: %v", i, err)
		}
	}
	if len(r.sent) != 0 {
		t.Fatalf("drawing sent input %+v", r.sent)
	}
}

func TestDrawActionErrors(t *testing.T) {
	for src, want := range map[string]string{
		"draw\n":                        "draw takes rect",
		"draw star 1 2 3 4\n":           "not a shape",
		"draw rect 1 2 3\n":             "draw takes rect",
		"draw rect 1 2 0 4\n":           "at least 1 pixel",
		"draw arrow 1 2 3 4 purple\n":   "not a colour",
		"draw freehand 1 2\n":           "2 to 512 points",
		"draw freehand 1 2 3 4 5\n":     "2 to 512 points",
		"draw ellipse -1 2 3 4\n":       "non-negative",
		"draw clear now\n":              "nothing more",
		"move 1 1\ndraw rect 1 2 3 x\n": "line 2",
	} {
		_, err := Parse(strings.NewReader(src))
		if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error saying %q", src, err, want)
		}
	}
	acts, _ := Parse(strings.NewReader("draw rect 1900 10 100 10\n"))
	if err := Run(context.Background(), &drawRemote{}, acts); err == nil || !strings.Contains(err.Error(), "outside") {
		t.Fatalf("a rectangle past the screen's edge: %v", err)
	}
	acts, _ = Parse(strings.NewReader("draw rect 1 1 10 10\n"))
	if err := Run(context.Background(), &fakeRemote{}, acts); err == nil || !strings.Contains(err.Error(), "cannot draw") {
		t.Fatalf("a remote that cannot draw: %v", err)
	}
	refused := &proto.Failure{Code: proto.ErrForbidden, Message: "Only the technician who controls the end user's computer can draw on its screen."}
	if err := Run(context.Background(), &drawRemote{refusal: refused}, acts); !errors.Is(err, refused) || !strings.Contains(err.Error(), "line 1 (draw)") {
		t.Fatalf("the app's refusal: %v", err)
	}
}
