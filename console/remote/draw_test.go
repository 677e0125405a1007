package remote

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// TestDrawOverARealChannel: over a real WebRTC connection on loopback the
// viewer takes the app's drawing channel, returns the app's answer to a
// shape, turns a refusal into a Failure with the app's sentence, and hands
// news the app sends by itself (the end user cleared) to OnDrawState.
func TestDrawOverARealChannel(t *testing.T) {
	app, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	dc, err := app.CreateDataChannel(proto.DrawChannel, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan any, 4)
	shapes := 0
	dc.OnMessage(func(m webrtc.DataChannelMessage) { // the app: draws rects, refuses arrows
		msg, err := proto.DecodeDraw(m.Data)
		if err != nil {
			t.Error(err)
			return
		}
		got <- msg
		st := proto.DrawState{}
		switch s := msg.(type) {
		case *proto.DrawShape:
			if s.Kind == proto.ShapeArrow {
				st = proto.DrawState{Shapes: shapes, Code: proto.ErrForbidden, Message: "Only the technician who controls the end user's computer can draw on its screen."}
			} else {
				shapes++
				st.Shapes = shapes
			}
		case *proto.DrawClear:
			shapes = 0
		}
		b, _ := proto.EncodeDraw(&st)
		dc.Send(b)
	})
	news := make(chan proto.DrawState, 8)
	v := NewViewer(func(kind string, payload []byte) error {
		var sd webrtc.SessionDescription
		if err := json.Unmarshal(payload, &sd); err != nil {
			return err
		}
		return app.SetRemoteDescription(sd)
	}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer v.Close()
	v.OnDrawState(func(st proto.DrawState) { news <- st })
	if err := v.HandleSignal(offerOf(t, app)); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := v.Draw(ctx, proto.DrawShape{Kind: proto.ShapeRect, Colour: 0xff0000, Points: []float32{0.1, 0.1, 0.2, 0.2}})
	if err != nil || st.Shapes != 1 {
		t.Fatalf("draw: %+v, %v", st, err)
	}
	if s, ok := (<-got).(*proto.DrawShape); !ok || s.Kind != proto.ShapeRect || s.Colour != 0xff0000 {
		t.Fatalf("the app got %+v", s)
	}
	_, err = v.Draw(ctx, proto.DrawShape{Kind: proto.ShapeArrow, Points: []float32{0, 0, 1, 1}})
	var f *proto.Failure
	if !errors.As(err, &f) || f.Code != proto.ErrForbidden || f.Message != "Only the technician who controls the end user's computer can draw on its screen." {
		t.Fatalf("a refused shape: %v", err)
	}
	if _, err := v.Draw(ctx, proto.DrawShape{Kind: proto.ShapeArrow, Points: []float32{0, 0, 2, 1}}); !errors.Is(err, proto.ErrMalformed) {
		t.Fatalf("a shape off the screen was sent: %v", err)
	}
	if err := v.ClearDrawing(ctx); err != nil {
		t.Fatal(err)
	}
	// The end user clears: the app says so unasked.
	b, _ := proto.EncodeDraw(&proto.DrawState{Message: "The end user cleared the drawing."})
	dc.Send(b)
	deadline := time.After(10 * time.Second)
	for {
		select {
		case st := <-news:
			if st.Message == "The end user cleared the drawing." {
				return
			}
		case <-deadline:
			t.Fatal("the app's news did not reach OnDrawState")
		}
	}
}
