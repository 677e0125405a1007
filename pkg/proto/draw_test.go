package proto

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestDrawShapeRoundTrip(t *testing.T) {
	in := DrawShape{Kind: ShapeFreehand, Colour: 0xe02020, Width: 6, Points: []float32{0, 0, 0.5, 0.25, 1, 1}}
	b, err := EncodeDraw(&in)
	if err != nil {
		t.Fatal(err)
	}
	m, err := DecodeDraw(b)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := m.(*DrawShape)
	if !ok {
		t.Fatalf("decoded %T, want *DrawShape", m)
	}
	if got.Kind != in.Kind || got.Colour != in.Colour || got.Width != in.Width || got.N() != 3 {
		t.Fatalf("got %+v, want %+v", got, in)
	}
	if x, y := got.Point(1); x != 0.5 || y != 0.25 {
		t.Fatalf("point 1 is %v,%v", x, y)
	}
	for _, m := range []any{DrawClear{}, &DrawState{Shapes: 2, Code: ErrDrawUnavailable, Message: "no"}} {
		b, err := EncodeDraw(m)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeDraw(b); err != nil {
			t.Fatalf("%T: %v", m, err)
		}
	}
	if _, err := EncodeDraw(Input{}); err == nil {
		t.Fatal("an Input was encoded as a drawing message")
	}
}

// The largest freehand line fits one message; shapes that break a limit
// are refused with a sentence naming it.
func TestDrawShapeLimits(t *testing.T) {
	long := DrawShape{Kind: ShapeFreehand, Colour: 0xffffff, Width: MaxDrawWidth, Points: make([]float32, 2*MaxDrawPoints)}
	for i := range long.Points {
		long.Points[i] = float32(i%1000) / 999
	}
	b, err := EncodeDraw(long)
	if err != nil {
		t.Fatalf("the longest freehand line does not encode: %v", err)
	}
	if _, err := DecodeDraw(b); err != nil {
		t.Fatalf("the longest freehand line is refused: %v", err)
	}
	cases := []struct {
		s    DrawShape
		want string
	}{
		{DrawShape{Kind: 9, Points: []float32{0, 0, 1, 1}}, "unknown shape"},
		{DrawShape{Kind: ShapeRect, Colour: 0x1000000, Points: []float32{0, 0, 1, 1}}, "colour"},
		{DrawShape{Kind: ShapeRect, Width: MaxDrawWidth + 1, Points: []float32{0, 0, 1, 1}}, "line width"},
		{DrawShape{Kind: ShapeRect, Points: []float32{0, 0, 1}}, "odd number"},
		{DrawShape{Kind: ShapeArrow, Points: []float32{0, 0, 1, 1, 0.5, 0.5}}, "arrow takes 2 points"},
		{DrawShape{Kind: ShapeFreehand, Points: []float32{0, 0}}, "2 to 512 points"},
		{DrawShape{Kind: ShapeFreehand, Points: make([]float32, 2*MaxDrawPoints+2)}, "2 to 512 points"},
		{DrawShape{Kind: ShapeEllipse, Points: []float32{0, 0, 1.5, 1}}, "outside the screen"},
		{DrawShape{Kind: ShapeEllipse, Points: []float32{-0.1, 0, 1, 1}}, "outside the screen"},
		{DrawShape{Kind: ShapeEllipse, Points: []float32{float32(math.NaN()), 0, 1, 1}}, "outside the screen"},
		{DrawShape{Kind: ShapeEllipse, Points: []float32{float32(math.Inf(1)), 0, 1, 1}}, "outside the screen"},
	}
	for _, c := range cases {
		body, err := Marshal(c.s)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Marshal(Envelope{Type: TypeDrawShape, Body: body})
		if err != nil {
			t.Fatal(err)
		}
		_, err = DecodeDraw(b)
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want ErrMalformed saying %q", c.s, err, c.want)
		}
	}
	huge := make([]byte, MaxDrawMessage+1)
	if _, err := DecodeDraw(huge); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("an oversized message: got %v, want ErrFrameTooLarge", err)
	}
	other, _ := Marshal(Envelope{Type: TypeChat})
	if _, err := DecodeDraw(other); !errors.Is(err, ErrMalformed) {
		t.Fatalf("a chat message on the drawing channel: got %v, want ErrMalformed", err)
	}
}

func TestParseDrawWords(t *testing.T) {
	if k, err := ParseShapeKind("Circle"); err != nil || k != ShapeEllipse {
		t.Fatalf("circle: %v %v", k, err)
	}
	if _, err := ParseShapeKind("star"); err == nil || !strings.Contains(err.Error(), "arrow, ellipse, rect or freehand") {
		t.Fatalf("star: %v", err)
	}
	if c, err := ParseColour("#00ff80"); err != nil || c != 0x00ff80 {
		t.Fatalf("#00ff80: %#x %v", c, err)
	}
	if c, err := ParseColour("Red"); err != nil || c != DrawColours["red"] {
		t.Fatalf("Red: %#x %v", c, err)
	}
	for _, bad := range []string{"#12345", "#gggggg", "purple", ""} {
		if _, err := ParseColour(bad); err == nil {
			t.Errorf("%q accepted as a colour", bad)
		}
	}
}

// FuzzDecodeDraw feeds arbitrary drawing-channel messages: no panic, a
// shape that is accepted keeps every limit, and what is accepted encodes again.
func FuzzDecodeDraw(f *testing.F) {
	for _, b := range drawSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeDraw(data)
		if err != nil {
			return
		}
		if s, ok := m.(*DrawShape); ok {
			if s.Check() != nil || s.N() > MaxDrawPoints || s.LineWidth() > MaxDrawWidth {
				t.Fatalf("shape %+v accepted", s)
			}
		}
		if _, err := EncodeDraw(m); err != nil {
			t.Fatalf("%T decoded but does not encode: %v", m, err)
		}
	})
}

// drawSeeds are one message of each drawing type (testdata/fuzz/FuzzDecodeDraw).
func drawSeeds(tb testing.TB) [][]byte {
	var out [][]byte
	for _, m := range []any{
		DrawShape{Kind: ShapeArrow, Colour: 0xff0000, Points: []float32{0.1, 0.1, 0.9, 0.5}},
		DrawShape{Kind: ShapeFreehand, Colour: 0x00ff00, Width: 3, Points: []float32{0, 0, 0.5, 0.5, 1, 0}},
		DrawClear{},
		DrawState{Shapes: 1, Code: ErrDrawUnavailable, Message: "Drawing is not available on this computer."},
	} {
		b, err := EncodeDraw(m)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}
