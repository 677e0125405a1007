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
	before, keyBytes := keyframe(t, enc, dec, FrameFromRGBA(src), Normal)
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
	if differ := skippedThatDiffer(before, after, changed); len(differ) != 0 {
		t.Fatalf("%d unchanged macroblocks decode differently after a one-rectangle change", len(differ))
	}
	c := after.RGBAAt(230, 160)
	if d := int(c.R) - 250 + int(c.G) - 200; d < -30 || d > 30 {
		t.Fatalf("the changed rectangle shows %v, want about {250 200 40}", c)
	}
	if len(data) > keyBytes/4 {
		t.Fatalf("a %d-macroblock change cost %d bytes, the keyframe %d", changed.Count(), len(data), keyBytes)
	}
	t.Logf("keyframe %d bytes, one-rectangle change (%d of %d macroblocks) %d bytes", keyBytes, changed.Count(), changed.Cols*changed.Rows, len(data))
}

// TestEmptyChangeIsTiny encodes a frame in which nothing changed (the
// screen sharer's tail probe after a still spell): it costs less than a bit
// a macroblock (the skip flags), is not a keyframe, and decodes to exactly
// the picture before.
func TestEmptyChangeIsTiny(t *testing.T) {
	const w, h = 1280, 720
	enc, dec := codecPair(t, w, h, 8000)
	src := FrameFromRGBA(pattern(w, h, 0))
	for _, q := range []Quality{Normal, Refine} {
		t.Run(map[Quality]string{Normal: "normal", Refine: "refine"}[q], func(t *testing.T) {
			before, _ := keyframe(t, enc, dec, src, q)
			data, key, err := enc.EncodeChanged(src, NewBlocks(w, h), false, q)
			if err != nil {
				t.Fatal(err)
			}
			if mbs := (w / BlockSize) * (h / BlockSize); key || len(data)*8 > mbs {
				t.Fatalf("nothing changed: a frame of %d bytes (key %v), want under a bit for each of %d macroblocks", len(data), key, mbs)
			}
			after, err := dec.Decode(data, cloneRGBA(before))
			if err != nil || after == nil {
				t.Fatalf("decode the empty change: %v", err)
			}
			if string(after.Pix) != string(before.Pix) {
				t.Fatalf("an empty change altered the picture (mean difference %.3f)", meanAbsDiff(before, after))
			}
		})
	}
}

// keyframe encodes f whole as a keyframe at q and returns a copy of what
// dec makes of it and the keyframe's size.
func keyframe(t *testing.T, enc *VP8Encoder, dec *VP8Decoder, f *Frame, q Quality) (*image.RGBA, int) {
	t.Helper()
	data, _, err := enc.Encode(f, true, q)
	if err != nil {
		t.Fatal(err)
	}
	img, err := dec.Decode(data, nil)
	if err != nil || img == nil {
		t.Fatalf("decode the keyframe: %v", err)
	}
	return cloneRGBA(img), len(data)
}

// codeChange encodes src at quality q (changed: the macroblocks that
// differ from the frame before) and decodes the frame into into.
func codeChange(t *testing.T, enc *VP8Encoder, dec *VP8Decoder, src *image.RGBA, changed *Blocks, key bool, q Quality, into *image.RGBA) ([]byte, *image.RGBA) {
	t.Helper()
	data, _, err := enc.EncodeChanged(FrameFromRGBA(src), changed, key, q)
	if err != nil {
		t.Fatal(err)
	}
	out, err := dec.Decode(data, into)
	if err != nil || out == nil {
		t.Fatalf("decode: %v", err)
	}
	return data, out
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

// TestBlocksTake takes a large change apart in raster order, each part
// at most n macroblocks, until nothing is left.
func TestBlocksTake(t *testing.T) {
	b := NewBlocks(64, 64)           // 4 x 4
	b.Add(image.Rect(16, 0, 64, 32)) // 3 x 2
	want := b.Clone()
	first := b.Take(4)
	if first.Count() != 4 || !first.Has(1, 0) || !first.Has(3, 0) || !first.Has(1, 1) || first.Has(2, 1) {
		t.Fatalf("the first part marks %d macroblocks (%v), want the 4 first in raster order", first.Count(), first.Rects(64, 64))
	}
	if b.Count() != 2 {
		t.Fatalf("%d macroblocks left, want 2", b.Count())
	}
	rest := b.Take(4)
	if rest.Count() != 2 || !b.Empty() {
		t.Fatalf("the second part marks %d, %d left; want 2 and none", rest.Count(), b.Count())
	}
	first.Union(rest)
	if !first.Equal(want) {
		t.Fatal("the parts together are not the change")
	}
}

// TestRefineSharpensWhatChanged paints pieces of text-like pattern one
// after another at normal quality (blurred), then refines the macroblocks
// they changed: each piece ends as sharp as a refined keyframe shows it.
func TestRefineSharpensWhatChanged(t *testing.T) {
	const w, h = 640, 480
	enc, dec := codecPair(t, w, h, 8000)
	src := pattern(w, h, 0)
	var out *image.RGBA
	step := func(changed *Blocks, key bool, q Quality) {
		t.Helper()
		data, _, err := enc.EncodeChanged(FrameFromRGBA(src), changed, key, q)
		if err != nil {
			t.Fatal(err)
		}
		if out, err = dec.Decode(data, out); err != nil || out == nil {
			t.Fatalf("decode: %v", err)
		}
	}
	step(nil, true, Normal)
	since := NewBlocks(w, h)
	pieces := []image.Rectangle{image.Rect(100, 100, 260, 180), image.Rect(500, 300, 517, 400), image.Rect(0, 460, 640, 480)}
	for i, r := range pieces {
		p := pattern(r.Dx(), r.Dy(), 7*(i+1))
		for y := 0; y < r.Dy(); y++ {
			copy(src.Pix[src.PixOffset(r.Min.X, r.Min.Y+y):], p.Pix[p.PixOffset(0, y):p.PixOffset(r.Dx(), y)])
		}
		b := NewBlocks(w, h)
		b.Add(r)
		since.Union(b)
		step(b, false, Normal)
	}
	step(since, false, Refine)
	refined := cloneRGBA(out)
	step(nil, true, Refine) // the best this codec does: a refined keyframe
	for i, r := range pieces {
		got, best := meanIn(src, refined, r), meanIn(src, out, r)
		t.Logf("piece %d: %.2f after the refine, %.2f in a refined keyframe", i, got, best)
		if got > best+1.5 {
			t.Errorf("piece %d differs by %.2f per channel after the refine, a refined keyframe by %.2f", i, got, best)
		}
	}
}

// meanIn is the mean absolute difference per channel of a and b inside r.
func meanIn(a, b *image.RGBA, r image.Rectangle) float64 {
	var sum, n float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			o := a.PixOffset(x, y)
			for c := 0; c < 3; c++ {
				d := float64(a.Pix[o+c]) - float64(b.Pix[o+c])
				if d < 0 {
					d = -d
				}
				sum += d
				n++
			}
		}
	}
	return sum / n
}

// BenchmarkVP8EncodeSmallChange1080p encodes a 1080p screen on which one
// 64x32 rectangle (a few characters) changes each frame.
func BenchmarkVP8EncodeSmallChange1080p(b *testing.B) {
	enc, err := NewVP8Encoder(1920, 1080, 8000, 30)
	if err != nil {
		b.Fatal(err)
	}
	defer enc.Close()
	f := FrameFromRGBA(pattern(1920, 1080, 0))
	if _, _, err := enc.Encode(f, true, Normal); err != nil {
		b.Fatal(err)
	}
	r := image.Rect(640, 480, 704, 512)
	changed := NewBlocks(1920, 1080)
	changed.Add(r)
	for i := 0; b.Loop(); i++ {
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				f.Pix[y*f.Stride+x*4] = byte(i * 40)
			}
		}
		if _, _, err := enc.EncodeChanged(f, changed, false, Normal); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDecodeConvertsOnlyChangedRows decodes a stream of small changes into
// the same image: only the bands that changed are converted again, and the
// picture is bit-identical to one converted whole.
func TestDecodeConvertsOnlyChangedRows(t *testing.T) {
	const w, h = 640, 480
	enc, dec := codecPair(t, w, h, 4000)
	whole, err := NewVP8Decoder()
	if err != nil {
		t.Fatal(err)
	}
	defer whole.Close()
	src := pattern(w, h, 0)
	var out *image.RGBA
	for i := range 6 {
		changed := NewBlocks(w, h)
		if i > 0 {
			r := image.Rect(40*i, 30*i+7, 40*i+50, 30*i+20) // two bands
			for y := r.Min.Y; y < r.Max.Y; y++ {
				for x := r.Min.X; x < r.Max.X; x++ {
					src.SetRGBA(x, y, color.RGBA{uint8(40 * i), 200, 40, 255})
				}
			}
			changed.Add(r)
		}
		var data []byte
		data, out = codeChange(t, enc, dec, src, changed, i == 0, Normal, out)
		ref, err := whole.Decode(data, nil) // a new image: converted whole
		if err != nil {
			t.Fatal(err)
		}
		if string(out.Pix) != string(ref.Pix) {
			t.Fatalf("frame %d: the picture converted in part differs from the one converted whole", i)
		}
		if want := 30; i == 0 && dec.Bands != want {
			t.Fatalf("the keyframe converted %d bands, want all %d", dec.Bands, want)
		}
		if i > 0 && (dec.Bands == 0 || dec.Bands > 3) {
			t.Fatalf("frame %d: a change in two bands converted %d", i, dec.Bands)
		}
	}
}

// TestSkippedMacroblocksStayBitIdentical sends changes of every size at
// Normal quality after a keyframe, now bursts, now small ones: after each
// frame, every macroblock outside that frame's change map decodes exactly
// as before. (VP8's loop filter, which the encoder's profile turns off,
// filtered the edges of skipped macroblocks again whenever the quantizer
// rose, as from the keyframe to the coarser frames after it: unchanged
// text went soft. TestActiveMapLeavesTheRestAlone's change is a refine,
// finer than its keyframe.)
func TestSkippedMacroblocksStayBitIdentical(t *testing.T) {
	const w, h = 640, 480
	enc, dec := codecPair(t, w, h, 2000)
	src := pattern(w, h, 0)
	prev, _ := keyframe(t, enc, dec, FrameFromRGBA(src), Normal)
	for i := range 24 {
		r := image.Rect(37*i%500, 23*i%400, 37*i%500+40, 23*i%400+30) // a small change
		if i%6 < 3 {
			r = image.Rect(0, 16*(i%6), 600, 16*(i%6)+300) // a burst
		}
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				src.SetRGBA(x, y, color.RGBA{uint8(x*5 + i*40), uint8(y*3 + i), uint8((x ^ y) + i*7), 255})
			}
		}
		changed := NewBlocks(w, h)
		changed.Add(r)
		_, after := codeChange(t, enc, dec, src, changed, false, Normal, cloneRGBA(prev))
		if differ := skippedThatDiffer(prev, after, changed); len(differ) != 0 {
			t.Fatalf("frame %d: %d skipped macroblocks decode differently than before (the first at %v)", i, len(differ), differ[0])
		}
		prev = after
	}
}

// skippedThatDiffer lists the macroblocks outside changed (column, row)
// whose pixels differ between before and after.
func skippedThatDiffer(before, after *image.RGBA, changed *Blocks) []image.Point {
	w, h := before.Rect.Dx(), before.Rect.Dy()
	var differ []image.Point
	for row := 0; row < changed.Rows; row++ {
		for col := 0; col < changed.Cols; col++ {
			if changed.Has(col, row) {
				continue
			}
			for y := row * BlockSize; y < min(h, (row+1)*BlockSize); y++ {
				a := before.Pix[before.PixOffset(col*BlockSize, y):before.PixOffset(min(w, (col+1)*BlockSize), y)]
				b := after.Pix[after.PixOffset(col*BlockSize, y):after.PixOffset(min(w, (col+1)*BlockSize), y)]
				if string(a) != string(b) {
					differ = append(differ, image.Pt(col, row))
					break
				}
			}
		}
	}
	return differ
}

// TestFrameRatePlansTheQuantizer types 30 text-like characters, one a
// frame, on a refined 720p screen at 8 Mbit/s. Planned for 30 frames a
// second, each frame's share of the bitrate soon pays back the refine's
// bytes and the characters come out at a fine quantizer; planned for 1000
// (how the screen sharer codes for a congested link), each gets a sliver,
// the refine is not paid back, and they come out at the coarsest quantizer
// Normal allows, blurred and smaller.
func TestFrameRatePlansTheQuantizer(t *testing.T) {
	const w, h, n = 1280, 720, 30
	type typing struct {
		q, diff float64 // means over the characters
		bytes   int
	}
	typed := func(fps int) (got typing) {
		enc, dec := codecPair(t, w, h, 8000)
		if err := enc.SetFrameRate(fps); err != nil {
			t.Fatal(err)
		}
		src := pattern(w, h, 0)
		prev, _ := keyframe(t, enc, dec, FrameFromRGBA(src), Normal)
		all := NewBlocks(w, h)
		all.AddAll()
		_, prev = codeChange(t, enc, dec, src, all, false, Refine, prev)
		for i := range n {
			r := image.Rect(96+16*i, 304, 96+16*i+10, 320) // a character, in a macroblock of its own
			p := pattern(r.Dx(), r.Dy(), 5*i+3)
			for y := 0; y < r.Dy(); y++ {
				copy(src.Pix[src.PixOffset(r.Min.X, r.Min.Y+y):], p.Pix[p.PixOffset(0, y):p.PixOffset(r.Dx(), y)])
			}
			changed := NewBlocks(w, h)
			changed.Add(r)
			data, after := codeChange(t, enc, dec, src, changed, false, Normal, prev)
			got.q += float64(enc.Quantizer()) / n
			got.diff += meanIn(src, after, r) / n
			got.bytes += len(data)
			prev = after
		}
		return got
	}
	fine, coarse := typed(30), typed(1000)
	t.Logf("%d characters typed after a refine, planned for 30 frames a second: %+v; for 1000: %+v", n, fine, coarse)
	if fine.q > 16 || coarse.q < 30 {
		t.Errorf("mean quantizer of the characters: %.1f planned for 30 frames a second (want 16 or less), %.1f for 1000 (want 30 or more)", fine.q, coarse.q)
	}
	// (Here 1.1 against 8.5 per channel, in 11.3 KB against 9.8.)
	if fine.diff*3 > coarse.diff || fine.bytes <= coarse.bytes {
		t.Errorf("planned for 30 frames a second the characters are %.2f off per channel in %d bytes, for 1000 %.2f in %d: want a third of the difference at most, in more bytes", fine.diff, fine.bytes, coarse.diff, coarse.bytes)
	}
}
