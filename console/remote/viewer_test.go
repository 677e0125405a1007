package remote

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/rtc"
)

// offer makes a real agent-like offer: a VP8 track and an input channel.
func offer(t *testing.T) proto.Signal {
	t.Helper()
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "screen", "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.AddTrack(track); err != nil {
		t.Fatal(err)
	}
	if _, err := pc.CreateDataChannel(proto.InputChannel, nil); err != nil {
		t.Fatal(err)
	}
	return offerOf(t, pc)
}

// offerOf is pc's offer, with its candidates, as the app signals it.
func offerOf(t *testing.T, pc *webrtc.PeerConnection) proto.Signal {
	t.Helper()
	o, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(o); err != nil {
		t.Fatal(err)
	}
	select {
	case <-gathered:
	case <-time.After(5 * time.Second):
	}
	b, _ := json.Marshal(pc.LocalDescription())
	return proto.Signal{Kind: rtc.KindOffer, Payload: b}
}

func quietViewer() (*Viewer, *int) {
	answers := new(int)
	v := NewViewer(func(kind string, _ []byte) error {
		if kind == rtc.KindAnswer {
			*answers++
		}
		return nil
	}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return v, answers
}

// TestOfferAfterCloseIsRefused: a closed viewer opens no new connection.
func TestOfferAfterCloseIsRefused(t *testing.T) {
	sig := offer(t)
	v, answers := quietViewer()
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	if err := v.HandleSignal(sig); !errors.Is(err, ErrClosed) {
		t.Fatalf("offer after Close: %v, want ErrClosed", err)
	}
	if v.pc != nil || *answers != 0 {
		t.Fatalf("a closed viewer answered (%d) or kept a connection (%v)", *answers, v.pc != nil)
	}
}

// TestOfferRacingClose: whichever comes first, no peer connection outlives
// Close (and with -race, no receiver is added while Close waits).
func TestOfferRacingClose(t *testing.T) {
	sig := offer(t)
	for i := range 10 {
		v, _ := quietViewer()
		done := make(chan error, 1)
		go func() { done <- v.HandleSignal(sig) }()
		time.Sleep(time.Duration(i*3) * time.Millisecond)
		v.Close()
		err := <-done
		v.mu.Lock()
		left := v.pc
		v.mu.Unlock()
		if left != nil {
			t.Fatalf("round %d: a peer connection outlived Close (HandleSignal: %v)", i, err)
		}
	}
}
