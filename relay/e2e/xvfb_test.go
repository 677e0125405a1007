package e2e

import (
	"image"
	"image/draw"
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
// pixels with any channel off by more than 48. It reads the pixels in
// place: through image.At, with the race detector, it took 8 s a 720p
// picture.
func compare(t *testing.T, want *image.RGBA, path string) (mean, bad float64) {
	t.Helper()
	img := rgba(readPNG(t, path))
	if img.Bounds() != want.Bounds() {
		t.Fatalf("snapshot is %v, screen is %v", img.Bounds(), want.Bounds())
	}
	var sum, off int64
	w, h := want.Rect.Dx(), want.Rect.Dy()
	for y := 0; y < h; y++ {
		a := img.Pix[y*img.Stride : y*img.Stride+4*w]
		b := want.Pix[y*want.Stride : y*want.Stride+4*w]
		for i := 0; i < len(a); i += 4 {
			worst := 0
			for c := range 3 {
				d := int(a[i+c]) - int(b[i+c])
				if d < 0 {
					d = -d
				}
				sum += int64(d)
				worst = max(worst, d)
			}
			if worst > 48 {
				off++
			}
		}
	}
	n := float64(w * h)
	return float64(sum) / (3 * n), float64(off) / n
}

// rgba is img as an *image.RGBA at the origin (a copy unless it is one).
func rgba(img image.Image) *image.RGBA {
	if r, ok := img.(*image.RGBA); ok && r.Rect.Min == (image.Point{}) {
		return r
	}
	r := image.NewRGBA(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
	draw.Draw(r, r.Rect, img, img.Bounds().Min, draw.Src)
	return r
}
