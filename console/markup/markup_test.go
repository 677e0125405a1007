package markup

import (
	"image"
	"image/color"
	"testing"
)

var (
	grey = color.RGBA{0x80, 0x80, 0x80, 0xff}
	red  = Colours[0].Colour
)

func canvas(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		copy(img.Pix[i:], []byte{grey.R, grey.G, grey.B, 0xff})
	}
	return img
}

func isRed(img *image.RGBA, x, y int) bool {
	c := img.RGBAAt(x, y)
	return c.R == red.R && c.G == red.G && c.B == red.B
}

func isGrey(img *image.RGBA, x, y int) bool { return img.RGBAAt(x, y) == grey }

// An arrow from (20,100) to (180,100): its shaft and head are red, the
// head is wider than the shaft and points right, and the rest is
// untouched.
func TestArrowPixels(t *testing.T) {
	img := canvas(200, 200)
	Draw(img, Shape{Tool: Arrow, Points: []Point{{20, 100}, {180, 100}}, Colour: red, Width: 4})
	for _, p := range []image.Point{{21, 100}, {60, 100}, {100, 101}, {140, 99}, {176, 100}} {
		if !isRed(img, p.X, p.Y) {
			t.Errorf("shaft or tip pixel %v is %v", p, img.RGBAAt(p.X, p.Y))
		}
	}
	// The shaft is 4 px wide; the head (16 px long, 8 px to each side) is wider near its base.
	if !isGrey(img, 100, 106) || !isGrey(img, 100, 94) {
		t.Errorf("the shaft is wider than 4 px")
	}
	if !isRed(img, 167, 105) || !isRed(img, 167, 95) {
		t.Errorf("the head is not wider than the shaft near its base: %v %v", img.RGBAAt(167, 105), img.RGBAAt(167, 95))
	}
	if !isGrey(img, 183, 100) || !isGrey(img, 175, 108) {
		t.Errorf("the head reaches beyond the tip or spreads behind it")
	}
	for _, p := range []image.Point{{10, 10}, {100, 150}, {19 - 4, 100}, {190, 190}} {
		if !isGrey(img, p.X, p.Y) {
			t.Errorf("pixel %v away from the arrow is %v", p, img.RGBAAt(p.X, p.Y))
		}
	}
}

// A rectangle between (50,40) and (150,120): its four edges are red, the
// inside and outside are not.
func TestRectanglePixels(t *testing.T) {
	img := canvas(200, 200)
	Draw(img, Shape{Tool: Rect, Points: []Point{{150, 120}, {50, 40}}, Colour: red, Width: 4})
	for _, p := range []image.Point{{100, 40}, {100, 120}, {50, 80}, {150, 80}, {50, 40}, {150, 120}} {
		if !isRed(img, p.X, p.Y) {
			t.Errorf("edge pixel %v is %v", p, img.RGBAAt(p.X, p.Y))
		}
	}
	for _, p := range []image.Point{{100, 80}, {60, 50}, {140, 110}, {100, 30}, {40, 80}, {160, 80}, {100, 130}} {
		if !isGrey(img, p.X, p.Y) {
			t.Errorf("pixel %v off the edges is %v", p, img.RGBAAt(p.X, p.Y))
		}
	}
}

// A freehand line follows its points; a single point is a dot.
func TestFreehandPixels(t *testing.T) {
	img := canvas(100, 100)
	Draw(img,
		Shape{Tool: Freehand, Points: []Point{{10, 10}, {50, 50}, {90, 10}}, Colour: red, Width: 3},
		Shape{Tool: Freehand, Points: []Point{{20, 80}}, Colour: red, Width: 6},
	)
	for _, p := range []image.Point{{10, 10}, {30, 30}, {50, 50}, {70, 30}, {90, 10}, {20, 80}} {
		if !isRed(img, p.X, p.Y) {
			t.Errorf("pixel %v of the line is %v", p, img.RGBAAt(p.X, p.Y))
		}
	}
	for _, p := range []image.Point{{50, 10}, {50, 80}, {30, 50}, {27, 80}} {
		if !isGrey(img, p.X, p.Y) {
			t.Errorf("pixel %v off the line is %v", p, img.RGBAAt(p.X, p.Y))
		}
	}
}

// Text lands inside its bounds in its colour and nowhere else; Marked
// leaves its source alone; shapes without their points draw nothing.
func TestTextMarkedAndIncompleteShapes(t *testing.T) {
	src := canvas(300, 100)
	shapes := []Shape{
		{Tool: Text, Points: []Point{{10, 20}}, Text: "Click here\nsecond line", Colour: red, Width: 4},
		{Tool: Arrow, Points: []Point{{5, 5}}, Colour: red},
		{Tool: Rect, Colour: red},
		{Tool: Text, Points: []Point{{200, 50}}, Text: "   ", Colour: red},
	}
	out := Marked(src, shapes)
	for i := 0; i < len(src.Pix); i += 4 {
		if src.Pix[i] != grey.R {
			t.Fatal("Marked drew on its source")
		}
	}
	box := TextBounds(Point{10, 20}, "Click here", 4)
	if box.Dx() < 80 || box.Dy() < 15 {
		t.Fatalf("text bounds %v for 20 px text", box)
	}
	inside, outside := 0, 0
	for y := 0; y < 100; y++ {
		for x := 0; x < 300; x++ {
			if isGrey(out, x, y) {
				continue
			}
			if (image.Point{x, y}).In(box.Inset(-1)) {
				inside++
			} else {
				outside++
			}
		}
	}
	if inside < 100 || outside != 0 {
		t.Fatalf("text: %d pixels drawn inside its bounds %v, %d outside", inside, box, outside)
	}
	full := 0
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			if isRed(out, x, y) {
				full++
			}
		}
	}
	if full < 50 {
		t.Fatalf("only %d pixels of the text in its full colour", full)
	}
}

// Shapes that reach beyond the image are clipped, not a panic.
func TestShapesBeyondTheImage(t *testing.T) {
	img := canvas(50, 50)
	Draw(img,
		Shape{Tool: Arrow, Points: []Point{{-100, -100}, {25, 25}}, Colour: red},
		Shape{Tool: Rect, Points: []Point{{-10, -10}, {500, 500}}, Colour: red},
		Shape{Tool: Freehand, Points: []Point{{1e6, 1e6}, {-1e6, 3}}, Colour: red},
		Shape{Tool: Text, Points: []Point{{45, 45}}, Text: "overflow", Colour: red},
	)
	if !isRed(img, 20, 20) {
		t.Fatal("the arrow's tip inside the image was not drawn")
	}
}
