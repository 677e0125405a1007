package capture

import (
	"image"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/agent/capture/testscreen"
)

// x11OnXvfb starts a w x h Xvfb and opens the X11 source on it, both
// closed when the test ends.
func x11OnXvfb(t *testing.T, w, h int) (*testscreen.Xvfb, *X11) {
	t.Helper()
	xv, err := testscreen.StartXvfb(w, h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(xv.Close)
	x, err := OpenX11(xv.Display)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return xv, x
}

// TestX11NotifiesAChangeBesidePendingDamage paints a window on a real Xvfb
// and, without a grab, a second one elsewhere: the second notifies too (a
// click while a moving window's damage is pending must not wait for the
// next grab to be noticed).
func TestX11NotifiesAChangeBesidePendingDamage(t *testing.T) {
	xv, x := x11OnXvfb(t, 640, 480)
	if _, _, err := x.GrabDamage(0, nil); err != nil {
		t.Fatal(err)
	}
	// quiet drains the notifications until none came for 300 ms.
	quiet := func() {
		for {
			select {
			case <-x.Damaged():
			case <-time.After(300 * time.Millisecond):
				return
			}
		}
	}
	quiet()
	show := func(r image.Rectangle, variant int) {
		t.Helper()
		w, err := testscreen.NewWindow(xv.Display, r)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Close)
		if err := w.Show(testscreen.Image(r.Dx(), r.Dy(), variant)); err != nil {
			t.Fatal(err)
		}
	}
	show(image.Rect(20, 20, 120, 80), 0)
	select {
	case <-x.Damaged():
	case <-time.After(10 * time.Second):
		t.Fatal("a new window notified nothing")
	}
	quiet() // its damage is still pending: no grab
	show(image.Rect(400, 300, 480, 360), 1)
	select {
	case <-x.Damaged():
	case <-time.After(10 * time.Second):
		t.Fatal("a window beside pending damage notified nothing until the next grab")
	}
}

// TestX11ReportsDamagedRectangles paints a small window on a real Xvfb:
// the source reports rectangles that cover it and not the whole screen,
// and the frame it returns shows the window's colour there.
func TestX11ReportsDamagedRectangles(t *testing.T) {
	xv, x := x11OnXvfb(t, 640, 480)
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
