//go:build cgo

package codec

import (
	"image"
	"image/color"
	"testing"
)

// pattern draws colour blocks and thin black-on-white stripes (like text).
func pattern(w, h int, shift int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	cols := []color.RGBA{{220, 40, 40, 255}, {40, 200, 60, 255}, {30, 60, 210, 255}, {240, 240, 240, 255}}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := cols[((x+shift)/64+y/64)%len(cols)]
			if y%64 < 16 && x%4 < 2 && (x/64)%2 == 0 {
				c = color.RGBA{0, 0, 0, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// meanAbsDiff is the mean absolute difference per channel (0..255).
func meanAbsDiff(a, b *image.RGBA) float64 { return meanIn(a, b, a.Rect) }

// codecPair opens an encoder for w x h at kbps and a decoder, closed when the test ends.
func codecPair(t *testing.T, w, h, kbps int) (*VP8Encoder, *VP8Decoder) {
	t.Helper()
	enc, err := NewVP8Encoder(w, h, kbps, 30)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(enc.Close)
	dec, err := NewVP8Decoder()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dec.Close)
	return enc, dec
}

func TestVP8RoundTrip(t *testing.T) {
	const w, h = 640, 480
	enc, dec := codecPair(t, w, h, 4000)
	var out *image.RGBA
	for i := 0; i < 5; i++ {
		src := pattern(w, h, i*8)
		data, key, err := enc.Encode(FrameFromRGBA(src), i == 0, Normal)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 && !key {
			t.Fatal("first frame is not a keyframe")
		}
		if out, err = dec.Decode(data, out); err != nil || out == nil {
			t.Fatalf("decode %d: %v", i, err)
		}
		if d := meanAbsDiff(src, out); d > 12 {
			t.Fatalf("frame %d differs by %.1f per channel", i, d)
		}
	}
	// A refined keyframe of a still screen is close to lossless.
	src := pattern(w, h, 32)
	data, _, err := enc.Encode(FrameFromRGBA(src), true, Refine)
	if err != nil {
		t.Fatal(err)
	}
	if out, err = dec.Decode(data, out); err != nil {
		t.Fatal(err)
	}
	if d := meanAbsDiff(src, out); d > 4 {
		t.Fatalf("refined frame differs by %.1f per channel", d)
	}
	if _, err := dec.Decode([]byte{1, 2, 3}, out); err == nil {
		t.Fatal("garbage decoded")
	}
	if _, err := NewVP8Encoder(641, 480, 1000, 30); err == nil {
		t.Fatal("odd width accepted")
	}
}

func BenchmarkVP8Encode1080p(b *testing.B) {
	enc, err := NewVP8Encoder(1920, 1080, 8000, 30)
	if err != nil {
		b.Fatal(err)
	}
	defer enc.Close()
	frames := []*Frame{FrameFromRGBA(pattern(1920, 1080, 0)), FrameFromRGBA(pattern(1920, 1080, 16))}
	for i := 0; b.Loop(); i++ {
		if _, _, err := enc.Encode(frames[i%2], false, Normal); err != nil {
			b.Fatal(err)
		}
	}
}
