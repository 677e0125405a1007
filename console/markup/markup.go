// Package markup draws a technician's marks onto a screenshot: arrows,
// rectangles, freehand lines and text, in a colour, as the console's
// screenshot editor lets them mark a screenshot up before it is kept with
// the session. It holds no UI: the editor collects Shapes in image
// pixels, and Draw rasterises them (anti-aliased, golang.org/x/image's
// vector rasteriser and Go font).
package markup

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"strings"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// Tool is what a shape is.
type Tool int

// The tools.
const (
	Arrow    Tool = iota // a line from its first point with a head at its last
	Rect                 // the outline of the rectangle between two corners
	Freehand             // a line through all its points
	Text                 // a line of text whose top-left corner is its first point
)

// String names the tool as the editor shows it.
func (t Tool) String() string {
	switch t {
	case Arrow:
		return "Arrow"
	case Rect:
		return "Rectangle"
	case Freehand:
		return "Freehand"
	case Text:
		return "Text"
	}
	return "?"
}

// Point is a position in image pixels.
type Point struct{ X, Y float32 }

// DefaultWidth is the stroke width of a shape that sets none, in pixels.
const DefaultWidth = 4

// MaxText is the longest text a shape draws, in bytes.
const MaxText = 200

// Shape is one mark.
type Shape struct {
	Tool   Tool
	Points []Point
	Text   string
	Colour color.NRGBA
	// Width is the stroke width in pixels (0: DefaultWidth); text is
	// drawn 5 times as high.
	Width float32
}

// Named is a colour the editor offers.
type Named struct {
	Name   string
	Colour color.NRGBA
}

// Colours are the editor's colours, the first the default: strong ones
// that stand out on a desktop.
var Colours = []Named{
	{"Red", color.NRGBA{0xe5, 0x1c, 0x23, 0xff}},
	{"Yellow", color.NRGBA{0xff, 0xd6, 0x00, 0xff}},
	{"Green", color.NRGBA{0x00, 0xa6, 0x3c, 0xff}},
	{"Blue", color.NRGBA{0x1e, 0x5b, 0xff, 0xff}},
	{"Black", color.NRGBA{0x00, 0x00, 0x00, 0xff}},
	{"White", color.NRGBA{0xff, 0xff, 0xff, 0xff}},
}

// Marked returns a copy of src with shapes drawn on it.
func Marked(src *image.RGBA, shapes []Shape) *image.RGBA {
	dst := image.NewRGBA(src.Rect)
	copy(dst.Pix, src.Pix)
	Draw(dst, shapes...)
	return dst
}

// Draw draws shapes onto dst in order; a shape without enough points (an
// arrow or rectangle needs two, a line or text one) is left out.
func Draw(dst *image.RGBA, shapes ...Shape) {
	for _, s := range shapes {
		w := s.Width
		if w <= 0 {
			w = DefaultWidth
		}
		src := image.NewUniform(s.Colour)
		switch {
		case s.Tool == Arrow && len(s.Points) >= 2:
			arrow(dst, src, s.Points[0], s.Points[len(s.Points)-1], w)
		case s.Tool == Rect && len(s.Points) >= 2:
			a, b := s.Points[0], s.Points[len(s.Points)-1]
			corners := []Point{a, {b.X, a.Y}, b, {a.X, b.Y}, a}
			polyline(dst, src, corners, w)
		case s.Tool == Freehand && len(s.Points) >= 1:
			polyline(dst, src, s.Points, w)
		case s.Tool == Text && len(s.Points) >= 1:
			text(dst, src, s.Points[0], s.Text, 5*w)
		}
	}
}

// arrow draws a line from a to b with a filled head at b.
func arrow(dst *image.RGBA, src image.Image, a, b Point, w float32) {
	dx, dy := b.X-a.X, b.Y-a.Y
	n := float32(math.Hypot(float64(dx), float64(dy)))
	if n < 0.5 {
		disc(dst, src, b, w/2)
		return
	}
	ux, uy := dx/n, dy/n
	head := min(max(4*w, 12), n) // the head's length; short arrows are all head
	half := head * 0.5           // its half width
	base := Point{b.X - ux*head, b.Y - uy*head}
	if n > head {
		// The shaft ends inside the head, so no seam shows.
		polyline(dst, src, []Point{a, {base.X + ux*head/4, base.Y + uy*head/4}}, w)
	}
	fill(dst, src, []Point{b, {base.X - uy*half, base.Y + ux*half}, {base.X + uy*half, base.Y - ux*half}})
}

// polyline draws a line of width w through pts, with round joins and ends.
func polyline(dst *image.RGBA, src image.Image, pts []Point, w float32) {
	r := w / 2
	for i, p := range pts {
		disc(dst, src, p, r)
		if i == 0 {
			continue
		}
		q := pts[i-1]
		dx, dy := p.X-q.X, p.Y-q.Y
		n := float32(math.Hypot(float64(dx), float64(dy)))
		if n < 0.01 {
			continue
		}
		nx, ny := -dy/n*r, dx/n*r
		fill(dst, src, []Point{{q.X + nx, q.Y + ny}, {p.X + nx, p.Y + ny}, {p.X - nx, p.Y - ny}, {q.X - nx, q.Y - ny}})
	}
}

// disc fills a circle of radius r around c.
func disc(dst *image.RGBA, src image.Image, c Point, r float32) {
	const steps = 24
	pts := make([]Point, steps)
	for i := range pts {
		a := 2 * math.Pi * float64(i) / steps
		pts[i] = Point{c.X + r*float32(math.Cos(a)), c.Y + r*float32(math.Sin(a))}
	}
	fill(dst, src, pts)
}

// fill fills the polygon pts, rasterising only its bounding box.
func fill(dst *image.RGBA, src image.Image, pts []Point) {
	minX, minY := float32(math.Inf(1)), float32(math.Inf(1))
	maxX, maxY := float32(math.Inf(-1)), float32(math.Inf(-1))
	for _, p := range pts {
		minX, minY, maxX, maxY = min(minX, p.X), min(minY, p.Y), max(maxX, p.X), max(maxY, p.Y)
	}
	box := image.Rect(int(math.Floor(float64(minX))), int(math.Floor(float64(minY))),
		int(math.Ceil(float64(maxX)))+1, int(math.Ceil(float64(maxY)))+1).Intersect(dst.Rect)
	if box.Empty() {
		return
	}
	var z vector.Rasterizer
	z.Reset(box.Dx(), box.Dy())
	ox, oy := float32(box.Min.X), float32(box.Min.Y)
	z.MoveTo(pts[0].X-ox, pts[0].Y-oy)
	for _, p := range pts[1:] {
		z.LineTo(p.X-ox, p.Y-oy)
	}
	z.ClosePath()
	z.DrawOp = draw.Over
	z.Draw(dst, box, src, image.Point{})
}

var (
	fontOnce sync.Once
	fontData *opentype.Font
	faces    sync.Map // float32 size -> font.Face
)

// face is Go Bold at size pixels.
func face(size float32) font.Face {
	fontOnce.Do(func() {
		f, err := opentype.Parse(gobold.TTF)
		if err != nil {
			panic("markup: the embedded Go font does not parse: " + err.Error())
		}
		fontData = f
	})
	if f, ok := faces.Load(size); ok {
		return f.(font.Face)
	}
	f, err := opentype.NewFace(fontData, &opentype.FaceOptions{Size: float64(size), DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		panic("markup: a face of the embedded Go font: " + err.Error())
	}
	faces.Store(size, f)
	return f
}

// text draws s (its first line, at most MaxText bytes) with its top-left
// corner at p, size pixels high.
func text(dst *image.RGBA, src image.Image, p Point, s string, size float32) {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > MaxText {
		s = s[:MaxText]
	}
	if strings.TrimSpace(s) == "" {
		return
	}
	f := face(size)
	d := font.Drawer{Dst: dst, Src: src, Face: f,
		Dot: fixed.Point26_6{X: fixed.Int26_6(p.X * 64), Y: fixed.Int26_6(p.Y*64) + f.Metrics().Ascent}}
	d.DrawString(s)
}

// TextBounds is the rectangle text s of a shape of width w at p covers,
// for the editor and tests.
func TextBounds(p Point, s string, w float32) image.Rectangle {
	if w <= 0 {
		w = DefaultWidth
	}
	f := face(5 * w)
	adv := font.MeasureString(f, s)
	m := f.Metrics()
	return image.Rect(int(p.X), int(p.Y), int(p.X)+adv.Ceil(), int(p.Y)+(m.Ascent+m.Descent).Ceil())
}
