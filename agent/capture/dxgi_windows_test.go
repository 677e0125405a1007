package capture

import (
	"bytes"
	"image"
	"log/slog"
	"strings"
	"testing"
	"time"
)

var procPatBlt = gdi32.NewProc("PatBlt")

// TestOpenSaysWhichCapture, on Windows or under Wine (GOOS=windows go test
// -c, then installers/wine.sh capture.test.exe with a DISPLAY): Open picks
// DXGI Desktop Duplication where it works and GDI otherwise, and logs which
// (with the reason); the source grabs the primary display at its size;
// GrabDamage into the frame it returned reports rectangles inside it.
func TestOpenSaysWhichCapture(t *testing.T) {
	var log bytes.Buffer
	src, err := Open(slog.New(slog.NewTextHandler(&log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	said := log.String()
	switch src.(type) {
	case *DXGI:
		if !strings.Contains(said, "capture: DXGI desktop duplication") {
			t.Fatalf("DXGI captures, the log says %q", said)
		}
	case *GDI:
		if !strings.Contains(said, "capture: GDI (DXGI unavailable: ") {
			t.Fatalf("GDI captures, the log says %q", said)
		}
	default:
		t.Fatalf("Open returned a %T", src)
	}
	t.Log(strings.TrimSpace(said))
	ds, err := src.Displays()
	if err != nil || len(ds) == 0 {
		t.Fatalf("displays %v: %v", ds, err)
	}
	f, err := src.Grab(0, nil)
	if err != nil || f.Rect.Size() != ds[0].Size() {
		t.Fatalf("grab of %v: %v", ds[0], err)
	}
	if dg, ok := src.(DamageGrabber); ok {
		f, rects, err := dg.GrabDamage(0, nil)
		if err != nil || len(rects) != 1 || rects[0] != f.Rect {
			t.Fatalf("first GrabDamage: %v %v", rects, err)
		}
		_, rects, err = dg.GrabDamage(0, f)
		for _, r := range rects {
			if !r.In(f.Rect) {
				t.Fatalf("damage %v outside the frame %v", r, f.Rect)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if cs, ok := src.(CursorSource); ok {
		c, err := cs.Cursor(true)
		if err != nil {
			t.Fatalf("pointer: %v", err)
		}
		t.Logf("pointer at %v, shape %v", image.Pt(c.X, c.Y), c.Shape != nil)
	}
}

// TestDXGIWithGDIStandingIn: the DXGI source grabs whole first, then only
// what changed: with DXGI's rectangles on Windows, or under Wine, where
// duplication fails, with GDI standing in (logged with the reason) and
// its pictures compared. Nothing changes on a still screen; under Wine a
// rectangle painted on the desktop is reported and shown.
func TestDXGIWithGDIStandingIn(t *testing.T) {
	var log bytes.Buffer
	d, err := newDXGI(slog.New(slog.NewTextHandler(&log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	f, rects, err := d.GrabDamage(0, nil)
	if err != nil || len(rects) != 1 || rects[0] != f.Rect {
		t.Fatalf("first grab: %v %v", rects, err)
	}
	t.Logf("%dx%d; %s", f.Rect.Dx(), f.Rect.Dy(), strings.TrimSpace(log.String()))
	if d.dupl == nil && !strings.Contains(log.String(), "capture: GDI until DXGI desktop duplication can be opened again") {
		t.Fatalf("GDI stands in without saying so: %q", log.String())
	}
	for range 3 {
		g, rects, err := d.GrabDamage(0, f)
		if err != nil || g != f {
			t.Fatalf("next grab: %v (into another frame: %v)", err, g != f)
		}
		for _, r := range rects {
			if !r.In(f.Rect) || r == f.Rect {
				t.Fatalf("a still screen reports %v of %v changed", r, f.Rect)
			}
		}
	}
	if d.dupl != nil {
		return // DXGI runs: what follows is about GDI standing in
	}
	// Paint a rectangle on the desktop (Wine: the X root window) in the
	// colour its corner does not have: it is reported, and the frame shows it.
	at := image.Rect(100, 80, 150, 120)
	o := at.Min.Y*f.Stride + at.Min.X*4
	rop := uintptr(0x00000042) // BLACKNESS
	if f.Pix[o]+f.Pix[o+1]+f.Pix[o+2] < 0x80 {
		rop = 0x00FF0062 // WHITENESS
	}
	screen, _, _ := procGetDC.Call(0)
	procPatBlt.Call(screen, uintptr(at.Min.X), uintptr(at.Min.Y), uintptr(at.Dx()), uintptr(at.Dy()), rop)
	procGdiFlush.Call()
	procReleaseDC.Call(0, screen)
	var seen image.Rectangle
	for range 20 {
		_, rects, err := d.GrabDamage(0, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rects {
			seen = seen.Union(r)
		}
		if at.In(seen) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !at.In(seen) || seen == f.Rect {
		t.Fatalf("painted %v, reported %v", at, seen)
	}
	if got := f.Pix[o+4*10+f.Stride*10]; (rop == 0x42) != (got == 0) {
		t.Fatalf("the frame does not show the painted rectangle (blue byte %d)", got)
	}
	t.Logf("painted %v, reported %v", at, seen)
}
