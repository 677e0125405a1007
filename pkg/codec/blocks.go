package codec

import "image"

// BlockSize is the side of a VP8 macroblock: the unit the encoder skips or
// codes, and so the unit in which changes are tracked.
const BlockSize = 16

// Blocks is a set of the 16x16 macroblocks of a frame, marked when
// something in them changed. The zero value is an empty set of no size.
type Blocks struct {
	Cols, Rows int
	on         []bool
}

// NewBlocks makes an empty set for a w x h frame.
func NewBlocks(w, h int) *Blocks {
	c, r := (w+BlockSize-1)/BlockSize, (h+BlockSize-1)/BlockSize
	return &Blocks{Cols: c, Rows: r, on: make([]bool, c*r)}
}

// Add marks every macroblock r touches (r in frame pixels; clipped).
func (b *Blocks) Add(r image.Rectangle) {
	r = r.Intersect(image.Rect(0, 0, b.Cols*BlockSize, b.Rows*BlockSize))
	if r.Empty() {
		return
	}
	for y := r.Min.Y / BlockSize; y <= (r.Max.Y-1)/BlockSize; y++ {
		for x := r.Min.X / BlockSize; x <= (r.Max.X-1)/BlockSize; x++ {
			b.on[y*b.Cols+x] = true
		}
	}
}

// AddAll marks every macroblock.
func (b *Blocks) AddAll() {
	for i := range b.on {
		b.on[i] = true
	}
}

// Union adds o's macroblocks (o the same size).
func (b *Blocks) Union(o *Blocks) {
	for i, v := range o.on {
		if v {
			b.on[i] = true
		}
	}
}

// Take removes up to n marked macroblocks from b, the first in raster
// order, and returns them as a set of their own: a large change goes out
// in parts that each fit what the network takes.
func (b *Blocks) Take(n int) *Blocks {
	out := &Blocks{Cols: b.Cols, Rows: b.Rows, on: make([]bool, len(b.on))}
	for i, v := range b.on {
		if n <= 0 {
			break
		}
		if v {
			out.on[i], b.on[i] = true, false
			n--
		}
	}
	return out
}

// Clear empties the set.
func (b *Blocks) Clear() { clear(b.on) }

// Has reports whether macroblock (col, row) is marked.
func (b *Blocks) Has(col, row int) bool { return b.on[row*b.Cols+col] }

// Count is the number of marked macroblocks.
func (b *Blocks) Count() int {
	n := 0
	for _, v := range b.on {
		if v {
			n++
		}
	}
	return n
}

// Empty reports whether nothing is marked.
func (b *Blocks) Empty() bool { return b.Count() == 0 }

// Full reports whether every macroblock is marked.
func (b *Blocks) Full() bool { return b.Count() == len(b.on) }

// Equal reports whether both sets mark the same macroblocks.
func (b *Blocks) Equal(o *Blocks) bool {
	if b.Cols != o.Cols || b.Rows != o.Rows {
		return false
	}
	for i := range b.on {
		if b.on[i] != o.on[i] {
			return false
		}
	}
	return true
}

// Clone copies the set.
func (b *Blocks) Clone() *Blocks {
	return &Blocks{Cols: b.Cols, Rows: b.Rows, on: append([]bool(nil), b.on...)}
}

// Rects lists the marked area as rectangles in pixels, clipped to w x h:
// runs of marked macroblocks along each macroblock row, merged with the
// run of the same columns in the row above.
func (b *Blocks) Rects(w, h int) []image.Rectangle {
	var out []image.Rectangle
	open := map[[2]int]int{} // run (first col, end col) of the previous row -> index in out
	for y := 0; y < b.Rows; y++ {
		next := map[[2]int]int{}
		for x := 0; x < b.Cols; {
			if !b.on[y*b.Cols+x] {
				x++
				continue
			}
			x0 := x
			for x < b.Cols && b.on[y*b.Cols+x] {
				x++
			}
			r := image.Rect(x0*BlockSize, y*BlockSize, x*BlockSize, (y+1)*BlockSize).Intersect(image.Rect(0, 0, w, h))
			if i, ok := open[[2]int{x0, x}]; ok {
				out[i].Max.Y = r.Max.Y
				next[[2]int{x0, x}] = i
			} else {
				next[[2]int{x0, x}] = len(out)
				out = append(out, r)
			}
		}
		open = next
	}
	return out
}
