package e2e

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

var nextDisplay atomic.Int32

// xvfb starts an X server of w x h x 24 and returns its DISPLAY value.
func xvfb(t *testing.T, w, h int) string {
	t.Helper()
	if _, err := exec.LookPath("Xvfb"); err != nil {
		t.Fatal("Xvfb is not installed; run installers/deps.sh")
	}
	for try := 0; try < 20; try++ {
		n := 140 + int(nextDisplay.Add(1)) + os.Getpid()%200
		disp := fmt.Sprintf(":%d", n)
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
			continue
		}
		cmd := exec.Command("Xvfb", disp, "-screen", "0", fmt.Sprintf("%dx%dx24", w, h), "-nolisten", "tcp", "-noreset")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if c, err := xgb.NewConnDisplay(disp); err == nil {
				c.Close()
				return disp
			}
			time.Sleep(50 * time.Millisecond)
		}
		cmd.Process.Kill()
	}
	t.Fatal("could not start Xvfb")
	return ""
}

// painter shows an image full-screen on an X display, in a window it keeps.
type painter struct {
	c   *xgb.Conn
	win xproto.Window
	gc  xproto.Gcontext
	w   int
	h   int
}

func newPainter(t *testing.T, disp string) *painter {
	t.Helper()
	c, err := xgb.NewConnDisplay(disp)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	scr := xproto.Setup(c).DefaultScreen(c)
	win, _ := xproto.NewWindowId(c)
	p := &painter{c: c, win: win, w: int(scr.WidthInPixels), h: int(scr.HeightInPixels)}
	if err := xproto.CreateWindowChecked(c, scr.RootDepth, win, scr.Root, 0, 0, uint16(p.w), uint16(p.h), 0,
		xproto.WindowClassInputOutput, scr.RootVisual, xproto.CwBackPixel|xproto.CwOverrideRedirect, []uint32{0, 1}).Check(); err != nil {
		t.Fatal(err)
	}
	xproto.MapWindow(c, win)
	p.gc, _ = xproto.NewGcontextId(c)
	xproto.CreateGC(c, p.gc, xproto.Drawable(win), 0, nil)
	return p
}

// show paints img (the screen's size) and waits until the server has drawn it.
func (p *painter) show(t *testing.T, img *image.RGBA) {
	t.Helper()
	const band = 16
	row := make([]byte, p.w*4*band)
	for y := 0; y < p.h; y += band {
		bh := min(band, p.h-y)
		for yy := 0; yy < bh; yy++ {
			for x := 0; x < p.w; x++ {
				o := img.PixOffset(x, y+yy)
				i := (yy*p.w + x) * 4
				row[i], row[i+1], row[i+2], row[i+3] = img.Pix[o+2], img.Pix[o+1], img.Pix[o], 0
			}
		}
		xproto.PutImage(p.c, xproto.ImageFormatZPixmap, xproto.Drawable(p.win), p.gc, uint16(p.w), uint16(bh), 0, int16(y), 0, 24, row[:p.w*4*bh])
	}
	// A round trip guarantees every request before it was processed.
	if _, err := xproto.GetInputFocus(p.c).Reply(); err != nil {
		t.Fatal(err)
	}
}

// testImage draws colour blocks with fine black-on-white "text" stripes;
// variant shifts the layout so two variants differ everywhere.
func testImage(w, h, variant int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	cols := []color.RGBA{{200, 30, 30, 255}, {30, 170, 60, 255}, {40, 70, 200, 255}, {245, 245, 245, 255}, {250, 200, 40, 255}}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := cols[(x/120+y/90+variant)%len(cols)]
			// Text-like detail: 1-pixel strokes inside white blocks.
			if c == cols[3] && (y%12 == 5 || (x%7 == 3 && y%12 < 9)) {
				c = color.RGBA{20, 20, 20, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// compare returns the mean absolute difference per channel and the share of
// pixels with any channel off by more than 48.
func compare(t *testing.T, want *image.RGBA, path string) (mean, bad float64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds() != want.Bounds() {
		t.Fatalf("snapshot is %v, screen is %v", img.Bounds(), want.Bounds())
	}
	var sum, n, off float64
	for y := 0; y < want.Rect.Dy(); y++ {
		for x := 0; x < want.Rect.Dx(); x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			w := want.RGBAAt(x, y)
			worst := 0.0
			for i, v := range []float64{float64(r >> 8), float64(g >> 8), float64(b >> 8)} {
				d := v - float64([]uint8{w.R, w.G, w.B}[i])
				if d < 0 {
					d = -d
				}
				sum += d
				worst = max(worst, d)
			}
			if worst > 48 {
				off++
			}
			n++
		}
	}
	return sum / (3 * n), off / n
}

// pointerEvents collects button presses and releases on the painter's window.
type buttonEvent struct {
	press  bool
	button int
	x, y   int
}

func (p *painter) watchButtons(t *testing.T) <-chan buttonEvent {
	t.Helper()
	ch := make(chan buttonEvent, 64)
	if err := xproto.ChangeWindowAttributesChecked(p.c, p.win, xproto.CwEventMask,
		[]uint32{xproto.EventMaskButtonPress | xproto.EventMaskButtonRelease}).Check(); err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			ev, err := p.c.WaitForEvent()
			if ev == nil && err == nil {
				return // connection closed
			}
			switch e := ev.(type) {
			case xproto.ButtonPressEvent:
				ch <- buttonEvent{true, int(e.Detail), int(e.EventX), int(e.EventY)}
			case xproto.ButtonReleaseEvent:
				ch <- buttonEvent{false, int(e.Detail), int(e.EventX), int(e.EventY)}
			}
		}
	}()
	return ch
}
