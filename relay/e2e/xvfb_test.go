package e2e

import (
	"image"
	"testing"

	"github.com/relaydesk/relaydesk/agent/capture/testscreen"
)

// xvfb starts an X server of w x h x 24 for the test and returns its DISPLAY.
func xvfb(t *testing.T, w, h int) string {
	t.Helper()
	x, err := testscreen.StartXvfb(w, h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(x.Close)
	return x.Display
}

// painter is a full-screen window of the test's on display.
func newPainter(t *testing.T, disp string) *testscreen.Window {
	t.Helper()
	w, err := testscreen.FullScreen(disp)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return w
}

func show(t *testing.T, w *testscreen.Window, img *image.RGBA) {
	t.Helper()
	if err := w.Show(img); err != nil {
		t.Fatal(err)
	}
}

// testImage is the known image the tests paint.
func testImage(w, h, variant int) *image.RGBA { return testscreen.Image(w, h, variant) }

// compare returns the mean absolute difference per channel and the share of
// pixels with any channel off by more than 48.
func compare(t *testing.T, want *image.RGBA, path string) (mean, bad float64) {
	t.Helper()
	img := readPNG(t, path)
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
