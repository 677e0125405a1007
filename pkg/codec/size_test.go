//go:build cgo

package codec

import (
	"errors"
	"testing"
)

// A keyframe that announces more than MaxDimension is refused before the
// decoder allocates for it; the header parser reads real keyframes right.
func TestDecoderRefusesHugeFrames(t *testing.T) {
	enc, dec := codecPair(t, 320, 240, 1000)
	key, isKey, err := enc.Encode(FrameFromRGBA(pattern(320, 240, 0)), true, Normal)
	if err != nil || !isKey {
		t.Fatalf("encode a keyframe: %v (key %v)", err, isKey)
	}
	if w, h, ok := VP8KeyframeSize(key); !ok || w != 320 || h != 240 {
		t.Fatalf("the header says %dx%d (ok %v), want 320x240", w, h, ok)
	}
	huge := append([]byte(nil), key...)
	huge[6], huge[7] = 0xff, 0x3f // width 16383
	huge[8], huge[9] = 0xff, 0x3f // height 16383
	if _, err := dec.Decode(huge, nil); !errors.Is(err, ErrSize) {
		t.Fatalf("a 16383x16383 keyframe: %v, want ErrSize", err)
	}
	if img, err := dec.Decode(key, nil); err != nil || img.Rect.Dx() != 320 {
		t.Fatalf("the honest keyframe after a refused one: %v", err)
	}
	edge := append([]byte(nil), key...)
	edge[6], edge[7] = byte(MaxDimension&0xff), byte(MaxDimension>>8) // 8192 wide: allowed
	if err := CheckVP8Size(edge); err != nil {
		t.Fatalf("a %d-wide keyframe was refused: %v", MaxDimension, err)
	}
	if _, _, ok := VP8KeyframeSize([]byte{1, 0, 0, 0x9d, 1, 0x2a, 0xff, 0xff, 0xff, 0xff}); ok {
		t.Fatal("an interframe was read as a keyframe")
	}
}
