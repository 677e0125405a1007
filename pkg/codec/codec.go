// Package codec holds the screen frames the agent captures and the video
// codec that carries them: a thin cgo binding to libvpx (VP8, realtime,
// screen-content mode) with libyuv colour conversion, used by the agent to
// encode and by the console to decode. It builds only with cgo; the relay
// never imports it.
package codec

import (
	"errors"
	"fmt"
	"image"
)

// Errors.
var (
	ErrSize    = errors.New("codec: unsupported frame size")
	ErrCorrupt = errors.New("codec: corrupt or undecodable frame")
)

// Frame is a captured screen image in BGRA byte order (X11's 32-bit
// TrueColor layout), Rect starting at 0,0.
type Frame struct {
	Pix    []byte
	Stride int
	Rect   image.Rectangle
}

// NewFrame allocates a w x h frame.
func NewFrame(w, h int) *Frame {
	return &Frame{Pix: make([]byte, w*h*4), Stride: w * 4, Rect: image.Rect(0, 0, w, h)}
}

// RGBA converts the frame to an image.RGBA (for tests and snapshots).
func (f *Frame) RGBA() *image.RGBA {
	img := image.NewRGBA(f.Rect)
	for y := 0; y < f.Rect.Dy(); y++ {
		src := f.Pix[y*f.Stride : y*f.Stride+f.Rect.Dx()*4]
		dst := img.Pix[y*img.Stride:]
		for x := 0; x < len(src); x += 4 {
			dst[x], dst[x+1], dst[x+2], dst[x+3] = src[x+2], src[x+1], src[x], 255
		}
	}
	return img
}

// FrameFromRGBA converts an image to a BGRA frame.
func FrameFromRGBA(img *image.RGBA) *Frame {
	b := img.Rect
	f := NewFrame(b.Dx(), b.Dy())
	for y := 0; y < b.Dy(); y++ {
		src := img.Pix[y*img.Stride : y*img.Stride+b.Dx()*4]
		dst := f.Pix[y*f.Stride:]
		for x := 0; x < len(src); x += 4 {
			dst[x], dst[x+1], dst[x+2], dst[x+3] = src[x+2], src[x+1], src[x], 255
		}
	}
	return f
}

// Quality selects the encoder's quantizer range.
type Quality int

// Qualities.
const (
	Normal Quality = iota // fast, for motion
	Refine                // near-lossless, for a still screen
)

// MaxDimension is the largest frame width or height the decoder accepts:
// VP8 allows 16383x16383 (1 GiB as RGBA), which an anonymous end user's app
// could announce to exhaust the technician's memory.
const MaxDimension = 8192

// VP8KeyframeSize reads the size a VP8 keyframe announces (RFC 6386
// section 9.1); ok is false for an interframe or a frame too short to say.
func VP8KeyframeSize(data []byte) (w, h int, ok bool) {
	if len(data) < 10 || data[0]&1 != 0 || data[3] != 0x9d || data[4] != 0x01 || data[5] != 0x2a {
		return 0, 0, false
	}
	w = int(data[6]) | int(data[7]&0x3f)<<8
	h = int(data[8]) | int(data[9]&0x3f)<<8
	return w, h, true
}

// CheckVP8Size refuses a keyframe larger than MaxDimension in either
// direction before it reaches the decoder.
func CheckVP8Size(data []byte) error {
	if w, h, ok := VP8KeyframeSize(data); ok && (w > MaxDimension || h > MaxDimension) {
		return fmt.Errorf("%w: %dx%d is larger than %dx%d", ErrSize, w, h, MaxDimension, MaxDimension)
	}
	return nil
}
