package record

import (
	"errors"
	"image"
	"image/color"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/codec"
	"github.com/relaydesk/relaydesk/relay/record/recordtest"
)

// vp8Frames encodes n frames of a w x h picture whose colour changes, 30
// per second: real VP8 as the SOS app sends it.
func vp8Frames(t *testing.T, w, h, n int) [][]byte {
	t.Helper()
	enc, err := codec.NewVP8Encoder(w, h, 1000, 30)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	var out [][]byte
	for i := range n {
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				img.Set(x, y, color.RGBA{uint8(8 * i), uint8(x), uint8(y), 255})
			}
		}
		data, _, err := enc.Encode(codec.FrameFromRGBA(img), i == 0, codec.Quality(0))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, append([]byte(nil), data...))
	}
	return out
}

// TestWriterMakesAWebMThatFFprobeReads writes two seconds of VP8 frames
// (after two delta frames that come before any keyframe and must be
// dropped) and checks the file as ffprobe sees it: WebM, VP8, the frame
// size from the keyframe, the duration of the frames.
func TestWriterMakesAWebMThatFFprobeReads(t *testing.T) {
	frames := vp8Frames(t, 320, 240, 61)
	path := filepath.Join(t.TempDir(), "rec.webm")
	w := NewWriter(path)
	start := 5 * time.Second // any origin
	for i, f := range append([][]byte{frames[1], frames[2]}, frames...) {
		if err := w.WriteFrame(f, start+time.Duration(i)*time.Second/30); err != nil {
			t.Fatal(err)
		}
	}
	st, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	if st.Frames != 61 || st.Width != 320 || st.Height != 240 || st.Duration != 2*time.Second || st.Bytes == 0 {
		t.Fatalf("stats %+v, want 61 frames of 320x240 over 2s", st)
	}
	p := recordtest.FFprobe(t, path)
	if len(p.Streams) != 1 || p.Streams[0].CodecName != "vp8" || p.Streams[0].Width != 320 || p.Streams[0].Height != 240 {
		t.Fatalf("ffprobe streams %+v, want one 320x240 VP8 stream", p.Streams)
	}
	d := p.Seconds()
	if p.Format.FormatName != "matroska,webm" || d < 1.9 || d > 2.2 {
		t.Fatalf("ffprobe format %q duration %q, want matroska,webm of about 2s", p.Format.FormatName, p.Format.Duration)
	}
	// Every frame decodes.
	out, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-f", "null", "-").CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Fatalf("ffmpeg decode: %v %s", err, out)
	}
}

func TestWriterWithoutKeyframeKeepsNoFile(t *testing.T) {
	frames := vp8Frames(t, 64, 48, 3)
	path := filepath.Join(t.TempDir(), "rec.webm")
	w := NewWriter(path)
	for _, f := range frames[1:] {
		if err := w.WriteFrame(f, 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Close(); !errors.Is(err, ErrNoKeyframe) {
		t.Fatalf("Close = %v, want ErrNoKeyframe", err)
	}
	if out, err := exec.Command("ls", path).CombinedOutput(); err == nil {
		t.Fatalf("a file was left: %s", out)
	}
}
