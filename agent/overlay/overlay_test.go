package overlay

import (
	"image"
	"testing"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// Shapes land on the captured display's place on the desktop (here the
// second of two side by side), corner to corner.
func TestOutlineOnASecondDisplay(t *testing.T) {
	area := image.Rect(1920, 0, 1920+1280, 1024)
	r := outline(proto.DrawShape{Kind: proto.ShapeRect, Points: []float32{0, 0, 1, 1}}, area)
	want := []image.Point{{1920, 0}, {3199, 0}, {3199, 1023}, {1920, 1023}, {1920, 0}}
	if len(r.lines) != 1 || len(r.lines[0]) != 5 {
		t.Fatalf("rect lines %v", r.lines)
	}
	for i, p := range want {
		if r.lines[0][i] != p {
			t.Fatalf("corner %d is %v, want %v", i, r.lines[0][i], p)
		}
	}
	if r.width != proto.DefaultDrawWidth {
		t.Fatalf("width %d, want the default %d", r.width, proto.DefaultDrawWidth)
	}
	e := outline(proto.DrawShape{Kind: proto.ShapeEllipse, Points: []float32{1, 1, 0.5, 0.5}}, area)
	if e.ellipse != image.Rect(2560, 512, 3199, 1023) || e.lines != nil {
		t.Fatalf("ellipse %v lines %v", e.ellipse, e.lines)
	}
}

// An arrow is its shaft and a head of two wings meeting at the point it
// points to, on the side it comes from.
func TestOutlineArrowHead(t *testing.T) {
	a := outline(proto.DrawShape{Kind: proto.ShapeArrow, Width: 2, Points: []float32{0, 0.5, 1, 0.5}}, image.Rect(0, 0, 101, 101))
	if len(a.lines) != 2 {
		t.Fatalf("arrow lines %v", a.lines)
	}
	head := a.lines[1]
	tip := image.Pt(100, 50)
	if a.lines[0][1] != tip || head[1] != tip {
		t.Fatalf("the head %v does not meet the shaft's end %v", head, a.lines[0])
	}
	for _, w := range []image.Point{head[0], head[2]} {
		if w.X >= tip.X || w.X < tip.X-14 {
			t.Fatalf("wing %v is not behind the tip %v", w, tip)
		}
	}
	if head[0].Y == head[2].Y || (head[0].Y-50)*(head[2].Y-50) >= 0 {
		t.Fatalf("the wings %v and %v are not on both sides of the shaft", head[0], head[2])
	}
	// A zero-length arrow is a dot, with no head to divide by zero.
	if d := outline(proto.DrawShape{Kind: proto.ShapeArrow, Points: []float32{0.5, 0.5, 0.5, 0.5}}, image.Rect(0, 0, 10, 10)); len(d.lines) != 1 {
		t.Fatalf("zero-length arrow: %v", d.lines)
	}
}

// Past proto.MaxDrawnShapes the oldest shapes go, and the caller hears it
// must redraw.
func TestKeepDropsTheOldest(t *testing.T) {
	var strokes []stroke
	for i := range proto.MaxDrawnShapes {
		var trimmed bool
		if strokes, trimmed = keep(strokes, stroke{width: i}); trimmed {
			t.Fatalf("trimmed at %d shapes", i+1)
		}
	}
	strokes, trimmed := keep(strokes, stroke{width: -1})
	if !trimmed || len(strokes) != proto.MaxDrawnShapes || strokes[0].width != 1 || strokes[len(strokes)-1].width != -1 {
		t.Fatalf("after one too many: trimmed %v, %d shapes, first %d, last %d", trimmed, len(strokes), strokes[0].width, strokes[len(strokes)-1].width)
	}
}
