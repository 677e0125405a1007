package capture

import (
	"image"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/agent/capture/testscreen"
)

// TestX11ReportsDamagedRectangles paints a small window on a real Xvfb:
// the source reports rectangles that cover it and not the whole screen,
// and the frame it returns shows the window's colour there.
func TestX11ReportsDamagedRectangles(t *testing.T) {
	xv, err := testscreen.StartXvfb(640, 480)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(xv.Close)
	x, err := OpenX11(xv.Display)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	if x.Damaged() == nil {
		t.Fatal("Xvfb has the Damage extension, but the source does not use it")
	}
	f, rects, err := x.GrabDamage(0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rects) != 1 || rects[0] != image.Rect(0, 0, 640, 480) {
		t.Fatalf("first grab reported %v, want the whole screen", rects)
	}
	select { // what happened before is no part of the test
	case <-x.Damaged():
	default:
	}

	want := image.Rect(300, 200, 380, 250)
	win, err := testscreen.NewWindow(xv.Display, want)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(win.Close)
	if err := win.ToggleOnClick(0x20c040, 0x2040d0); err != nil { // paints it 0x20c040
		t.Fatal(err)
	}
	var got []image.Rectangle
	deadline := time.After(10 * time.Second)
	for !covers(got, want) {
		select {
		case <-x.Damaged():
		case <-deadline:
			t.Fatalf("damage reported %v, which does not cover the window at %v", got, want)
		}
		f2, rects, err := x.GrabDamage(0, f)
		if err != nil {
			t.Fatal(err)
		}
		if f2 != f {
			t.Fatal("a damage grab into the last frame allocated a new one")
		}
		got = append(got, rects...)
	}
	area := 0
	for _, r := range got {
		area += r.Dx() * r.Dy()
	}
	if area >= 640*480/4 {
		t.Fatalf("damage %v covers %d pixels for an 80x50 window", got, area)
	}
	o := 225*f.Stride + 340*4
	if b, g, r := f.Pix[o], f.Pix[o+1], f.Pix[o+2]; r != 0x20 || g != 0xc0 || b != 0x40 {
		t.Fatalf("the frame shows %02x%02x%02x inside the window, want 20c040", r, g, b)
	}
	if _, rects, err := x.GrabDamage(0, f); err != nil || len(rects) != 0 {
		t.Fatalf("a grab with nothing changed reported %v (%v)", rects, err)
	}
}

// covers reports whether the rectangles together cover want (each of its pixels).
func covers(rs []image.Rectangle, want image.Rectangle) bool {
	for y := want.Min.Y; y < want.Max.Y; y++ {
		for x := want.Min.X; x < want.Max.X; x++ {
			in := false
			for _, r := range rs {
				if image.Pt(x, y).In(r) {
					in = true
					break
				}
			}
			if !in {
				return false
			}
		}
	}
	return true
}
