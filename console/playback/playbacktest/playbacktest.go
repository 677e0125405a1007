// Package playbacktest makes small recordings for the tests of
// console/playback and console/ui: real VP8 from pkg/codec muxed by the
// relay's own WebM writer, one solid colour a frame.
package playbacktest

import (
	"image"
	"image/color"
	"path/filepath"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/codec"
	"github.com/relaydesk/relaydesk/relay/record"
)

// The recordings WebM makes.
const (
	Width, Height = 64, 48
	Frames        = 20
	KeyEvery      = 5                      // a keyframe every KeyEvery frames
	Step          = 100 * time.Millisecond // 10 frames a second
	Duration      = Frames * Step
)

// Colour is frame i's solid colour: every frame differs from the others.
func Colour(i int) color.RGBA {
	return color.RGBA{uint8(i * 12), uint8(255 - i*12), uint8(i % 2 * 255), 255}
}

// WebM records Frames frames of Colour(i), a keyframe every KeyEvery, and
// returns the file's path (in a test's temporary folder).
func WebM(t testing.TB) string {
	t.Helper()
	enc, err := codec.NewVP8Encoder(Width, Height, 1000, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	path := filepath.Join(t.TempDir(), "rec.webm")
	w := record.NewWriter(path)
	for i := range Frames {
		img := image.NewRGBA(image.Rect(0, 0, Width, Height))
		c := Colour(i)
		for p := 0; p < len(img.Pix); p += 4 {
			img.Pix[p], img.Pix[p+1], img.Pix[p+2], img.Pix[p+3] = c.R, c.G, c.B, 255
		}
		data, _, err := enc.Encode(codec.FrameFromRGBA(img), i%KeyEvery == 0, codec.Refine)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteFrame(append([]byte(nil), data...), time.Duration(i)*Step); err != nil {
			t.Fatal(err)
		}
	}
	w.SetEnd(Duration)
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// FrameOf is the recorded frame whose colour is nearest to img's mean.
func FrameOf(img image.Image) int {
	var r, g, b, n int
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			r, g, b, n = r+int(c.R), g+int(c.G), b+int(c.B), n+1
		}
	}
	if n == 0 {
		return -1
	}
	best, bestD := -1, 1<<30
	for i := range Frames {
		c := Colour(i)
		dr, dg, db := r/n-int(c.R), g/n-int(c.G), b/n-int(c.B)
		if d := dr*dr + dg*dg + db*db; d < bestD {
			best, bestD = i, d
		}
	}
	return best
}
