//go:build cgo

package codec

import (
	"image"
	"image/color"
	"testing"
)

// TestActiveMapLeavesTheRestAlone encodes a frame, then the same frame with
// one rectangle repainted, telling the encoder which macroblocks changed:
// every macroblock outside them decodes bit-identical to before, the
// rectangle shows its new colour, and the frame costs a fraction of a
// whole one. The change is coded at Refine quality, so an encoder that
// ignored the map would sharpen (and so alter) the rest of the lossy
// keyframe too: without the map, dozens of macroblocks differ.
func TestActiveMapLeavesTheRestAlone(t *testing.T) {
	const w, h = 640, 480
	enc, dec := codecPair(t, w, h, 4000)
	src := pattern(w, h, 0)
	keyData, _, err := enc.Encode(FrameFromRGBA(src), true, Normal)
	if err != nil {
		t.Fatal(err)
	}
	before, err := dec.Decode(keyData, nil)
	if err != nil || before == nil {
		t.Fatalf("decode the keyframe: %v", err)
	}
	before = cloneRGBA(before)
	rect := image.Rect(200, 136, 260, 190) // not aligned to macroblocks
	for y := rect.Min.Y; y < rect.Max.Y; y++ {
		for x := rect.Min.X; x < rect.Max.X; x++ {
			src.SetRGBA(x, y, color.RGBA{250, 200, 40, 255})
		}
	}
	changed := NewBlocks(w, h)
	changed.Add(rect)
	data, key, err := enc.EncodeChanged(FrameFromRGBA(src), changed, false, Refine)
	if err != nil {
		t.Fatal(err)
	}
	if key {
		t.Fatal("a one-rectangle change became a keyframe")
	}
	after, err := dec.Decode(data, cloneRGBA(before))
	if err != nil || after == nil {
		t.Fatalf("decode the change: %v", err)
	}
	differ := 0
	for row := 0; row < changed.Rows; row++ {
		for col := 0; col < changed.Cols; col++ {
			if changed.Has(col, row) {
				continue
			}
			for y := row * BlockSize; y < min(h, (row+1)*BlockSize); y++ {
				a := before.Pix[before.PixOffset(col*BlockSize, y):before.PixOffset(min(w, (col+1)*BlockSize), y)]
				b := after.Pix[after.PixOffset(col*BlockSize, y):after.PixOffset(min(w, (col+1)*BlockSize), y)]
				if string(a) != string(b) {
					differ++
					break
				}
			}
		}
	}
	if differ != 0 {
		t.Fatalf("%d unchanged macroblocks decode differently after a one-rectangle change", differ)
	}
	c := after.RGBAAt(230, 160)
	if d := int(c.R) - 250 + int(c.G) - 200; d < -30 || d > 30 {
		t.Fatalf("the changed rectangle shows %v, want about {250 200 40}", c)
	}
	if len(data) > len(keyData)/4 {
		t.Fatalf("a %d-macroblock change cost %d bytes, the keyframe %d", changed.Count(), len(data), len(keyData))
	}
	t.Logf("keyframe %d bytes, one-rectangle change (%d of %d macroblocks) %d bytes", len(keyData), changed.Count(), changed.Cols*changed.Rows, len(data))
}

func cloneRGBA(img *image.RGBA) *image.RGBA {
	c := *img
	c.Pix = append([]byte(nil), img.Pix...)
	return &c
}

func TestBlocksRects(t *testing.T) {
	b := NewBlocks(100, 50) // 7 x 4 macroblocks, the last ones partial
	b.Add(image.Rect(20, 5, 40, 30))
	b.Add(image.Rect(99, 49, 120, 60))
	got := b.Rects(100, 50)
	want := []image.Rectangle{image.Rect(16, 0, 48, 32), image.Rect(96, 48, 100, 50)}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("rects %v, want %v", got, want)
	}
	if b.Count() != 5 {
		t.Fatalf("%d macroblocks marked, want 5", b.Count())
	}
	o := b.Clone()
	o.Clear()
	if !o.Empty() || b.Empty() {
		t.Fatal("Clear of a clone touched the original, or did not clear")
	}
}
