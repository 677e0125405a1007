package remote

import (
	"image"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/codec"
)

// TestDeliverRecordsTiming: the frame callback sees the timing of the frame
// it is given (received, assembled, decoded, in that order), for the click
// breakdown in screenbench.
func TestDeliverRecordsTiming(t *testing.T) {
	enc, err := codec.NewVP8Encoder(64, 48, 500, 30)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	data, _, err := enc.Encode(codec.NewFrame(64, 48), true, codec.Normal)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := codec.NewVP8Decoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	var seen FrameTiming
	var v *Viewer
	v = NewViewer(nil, func(*image.RGBA) { seen = v.LastTiming() }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	var img *image.RGBA
	needKey := true
	t0 := time.Now()
	at := FrameTiming{Received: t0, Assembled: t0.Add(time.Millisecond)}
	v.deliver(dec, &img, data, &needKey, func() {}, at)
	if img == nil {
		t.Fatal("the keyframe was not delivered")
	}
	if !seen.Received.Equal(at.Received) || !seen.Assembled.Equal(at.Assembled) || seen.Decoded.IsZero() || seen.Decoded.Before(t0) {
		t.Fatalf("the callback saw timing %+v, want the frame's with its decoding time", seen)
	}
}
