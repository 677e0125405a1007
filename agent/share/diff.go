package share

import (
	"bytes"
	"image"

	"github.com/relaydesk/relaydesk/pkg/codec"
)

// diffBlocks marks in changed the macroblocks where two frames of the same
// size differ. Equal rows cost one memcmp; only a row that differs is
// compared macroblock by macroblock.
func diffBlocks(a, b *codec.Frame, changed *codec.Blocks) {
	w := min(a.Rect.Dx(), changed.Cols*codec.BlockSize)
	h := min(a.Rect.Dy(), changed.Rows*codec.BlockSize)
	for y := 0; y < h; y++ {
		ra, rb := a.Pix[y*a.Stride:y*a.Stride+w*4], b.Pix[y*b.Stride:y*b.Stride+w*4]
		if bytes.Equal(ra, rb) {
			continue
		}
		row := y / codec.BlockSize
		for col := 0; col < changed.Cols; col++ {
			x0, x1 := col*codec.BlockSize*4, min(len(ra), (col+1)*codec.BlockSize*4)
			if x0 < x1 && !changed.Has(col, row) && !bytes.Equal(ra[x0:x1], rb[x0:x1]) {
				changed.Add(imageRect(col, row))
			}
		}
	}
}

// imageRect is macroblock (col, row) in pixels.
func imageRect(col, row int) image.Rectangle {
	return image.Rect(col*codec.BlockSize, row*codec.BlockSize, (col+1)*codec.BlockSize, (row+1)*codec.BlockSize)
}
