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

// TestVP8RateControlPlansForTheFrameRateCap types a line of text into a
// 1080p screen under 3 Mbit/s: libvpx gives each frame the bitrate divided
// by the frame rate it reads from the timestamps, which must be the cap's
// (30 a second), so the new text gets fine quantizers and decodes close to
// the source. At 1000 frames a second (what one tick per frame told libvpx
// before) it gets the coarsest ones.
func TestVP8RateControlPlansForTheFrameRateCap(t *testing.T) {
	const w, h = 1920, 1080
	typed := func(fps int) float64 {
		enc, err := NewVP8Encoder(w, h, 3000, fps)
		if err != nil {
			t.Fatal(err)
		}
		defer enc.Close()
		dec, err := NewVP8Decoder()
		if err != nil {
			t.Fatal(err)
		}
		defer dec.Close()
		src := pattern(w, h, 0)
		var out *image.RGBA
		var sum float64
		const frames, settle = 30, 20 // the rate control settles after the keyframe
		for i := range frames {
			changed := NewBlocks(w, h)
			r := image.Rect(160, 200+16*i, 480, 216+16*i) // a line of text
			if i > 0 {
				for y := r.Min.Y; y < r.Max.Y; y++ {
					for x := r.Min.X; x < r.Max.X; x++ {
						c := color.RGBA{250, 250, 250, 255}
						if (x*7+y*3+i)%11 < 3 || y%16 == 0 {
							c = color.RGBA{20, 20, 20, 255}
						}
						src.SetRGBA(x, y, c)
					}
				}
				changed.Add(r)
			}
			_, out = codeChange(t, enc, dec, src, changed, i == 0, out)
			if i > settle {
				sum += meanIn(src, out, r)
			}
		}
		return sum / (frames - settle - 1)
	}
	atCap, atThousand := typed(30), typed(1000)
	t.Logf("mean difference per channel in the typed text: %.1f at 30 frames/s, %.1f at 1000", atCap, atThousand)
	if atCap > 4 {
		t.Errorf("text typed under 3 Mbit/s at 30 frames/s differs from the source by %.1f per channel, want at most 4", atCap)
	}
	if atThousand < 3*atCap {
		t.Errorf("the same text at 1000 frames/s differs by %.1f, at 30 by %.1f: the rate control does not follow the frame rate", atThousand, atCap)
	}
}
