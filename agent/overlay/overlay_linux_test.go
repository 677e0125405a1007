package overlay

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/agent/capture/testscreen"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

const desktop = 0x808080 // the grey of the window under the overlay

func near(c color.RGBA, rgb uint32) bool {
	d := func(a uint8, b uint32) bool { return int(a)-int(b&0xff) < 8 && int(b&0xff)-int(a) < 8 }
	return d(c.R, rgb>>16) && d(c.G, rgb>>8) && d(c.B, rgb)
}

// On a real X server: a shape drawn shows its colour where drawn and the
// desktop elsewhere; a click on the drawing reaches the window below; once
// cleared the desktop shows again.
func TestOverlayOnXvfb(t *testing.T) {
	x, err := testscreen.StartXvfb(320, 240)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	below, err := testscreen.FullScreen(x.Display)
	if err != nil {
		t.Fatal(err)
	}
	defer below.Close()
	if err := below.ToggleOnClick(desktop, desktop); err != nil {
		t.Fatal(err)
	}
	buttons := below.Buttons()

	o := New(Config{Display: x.Display})
	defer o.Close()
	screen := image.Rect(0, 0, 320, 240)
	n, err := o.Draw(screen, proto.DrawShape{Kind: proto.ShapeRect, Colour: 0xe02020, Width: 6, Points: []float32{0.25, 0.25, 0.75, 0.75}})
	if err != nil || n != 1 {
		t.Fatalf("draw: %d shapes, %v", n, err)
	}
	if _, err := o.Draw(screen, proto.DrawShape{Kind: proto.ShapeEllipse, Colour: 0x2060ff, Width: 4, Points: []float32{0, 0, 1, 1}}); err != nil {
		t.Fatal(err)
	}
	img, err := testscreen.Grab(x.Display)
	if err != nil {
		t.Fatal(err)
	}
	left := image.Pt(80, 120) // the rectangle's left edge: 0.25 of 319
	for _, c := range []struct {
		at   image.Point
		want uint32
		what string
	}{
		{left, 0xe02020, "the rectangle's left edge"},
		{image.Pt(160, 180), 0xe02020, "the rectangle's bottom edge"},
		{image.Pt(160, 1), 0x2060ff, "the ellipse's top"},
		{image.Pt(160, 120), desktop, "inside the rectangle"},
		{image.Pt(20, 200), desktop, "outside both shapes"},
	} {
		if got := img.RGBAAt(c.at.X, c.at.Y); !near(got, c.want) {
			t.Errorf("%s (%v) is %v, want %06x", c.what, c.at, got, c.want)
		}
	}

	// A click right on the red line reaches the window below.
	click := exec.Command("xdotool", "mousemove", "--sync", fmt.Sprint(left.X), fmt.Sprint(left.Y), "click", "1")
	click.Env = append(os.Environ(), "DISPLAY="+x.Display)
	if out, err := click.CombinedOutput(); err != nil {
		t.Fatalf("xdotool: %v %s", err, out)
	}
	select {
	case ev := <-buttons:
		if !ev.Press || ev.X != left.X || ev.Y != left.Y {
			t.Fatalf("the window below got %+v, want a press at %v", ev, left)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the click on the drawing did not reach the window below")
	}

	if err := o.Clear(); err != nil {
		t.Fatal(err)
	}
	if o.Shapes() != 0 {
		t.Fatalf("%d shapes after Clear", o.Shapes())
	}
	img, err = testscreen.Grab(x.Display)
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []image.Point{left, {160, 1}} {
		if got := img.RGBAAt(at.X, at.Y); !near(got, desktop) {
			t.Errorf("after Clear %v is %v, want the desktop's %06x", at, got, desktop)
		}
	}
	// Drawing again after a clear shows the new shape only.
	if n, err := o.Draw(screen, proto.DrawShape{Kind: proto.ShapeArrow, Colour: 0x20c040, Width: 5, Points: []float32{0.1, 0.5, 0.9, 0.5}}); err != nil || n != 1 {
		t.Fatalf("draw after clear: %d shapes, %v", n, err)
	}
	img, _ = testscreen.Grab(x.Display)
	if got := img.RGBAAt(160, 120); !near(got, 0x20c040) {
		t.Errorf("the arrow's middle is %v, want green", got)
	}
	if got := img.RGBAAt(left.X, left.Y-20); !near(got, desktop) {
		t.Errorf("the cleared rectangle came back: %v", got)
	}
}

// Without an X display the overlay says drawing is not available.
func TestOverlayWithoutDisplay(t *testing.T) {
	t.Setenv("DISPLAY", "")
	o := New(Config{})
	defer o.Close()
	_, err := o.Draw(image.Rect(0, 0, 10, 10), proto.DrawShape{Kind: proto.ShapeRect, Points: []float32{0, 0, 1, 1}})
	if err == nil || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("got %v, want ErrUnavailable", err)
	}
}

// BenchmarkDrawAndClear measures what a shape costs on a 1920x1080 screen:
// drawn and on the screen, then cleared.
func BenchmarkDrawAndClear(b *testing.B) {
	x, err := testscreen.StartXvfb(1920, 1080)
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	o := New(Config{Display: x.Display})
	defer o.Close()
	screen := image.Rect(0, 0, 1920, 1080)
	s := proto.DrawShape{Kind: proto.ShapeEllipse, Colour: 0xe02020, Points: []float32{0.2, 0.2, 0.8, 0.8}}
	if _, err := o.Draw(screen, s); err != nil { // connects
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := o.Draw(screen, s); err != nil {
			b.Fatal(err)
		}
		if err := o.Clear(); err != nil {
			b.Fatal(err)
		}
	}
}
