package share

import (
	"bytes"

	"github.com/relaydesk/relaydesk/pkg/codec"
)

// Changed reports whether two frames of the same size differ anywhere. It
// compares row by row and stops at the first difference, so a changed screen
// costs little and a still one one pass of memcmp.
func Changed(a, b *codec.Frame) bool {
	if a.Rect != b.Rect {
		return true
	}
	w := a.Rect.Dx() * 4
	for y := 0; y < a.Rect.Dy(); y++ {
		if !bytes.Equal(a.Pix[y*a.Stride:y*a.Stride+w], b.Pix[y*b.Stride:y*b.Stride+w]) {
			return true
		}
	}
	return false
}
