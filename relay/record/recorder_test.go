package record

import (
	"encoding/json"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/relaydesk/relaydesk/pkg/rtc"
)

// TestRecorderWritesWhatThePeerSends plays the end user's app: a pion peer
// that offers a VP8 track (as agent/share does) and sends real frames,
// keyframe only when asked. The recorder answers, asks for a keyframe, and
// the WebM holds the stream at its size.
func TestRecorderWritesWhatThePeerSends(t *testing.T) {
	frames := vp8Frames(t, 160, 120, 40)
	r, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	api, err := rtc.NewAPI()
	if err != nil {
		t.Fatal(err)
	}
	app, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	track, _ := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "screen", "relaydesk")
	sender, err := app.AddTrack(track)
	if err != nil {
		t.Fatal(err)
	}
	keyframeAsked := make(chan struct{}, 16)
	go func() {
		for {
			pkts, _, err := sender.ReadRTCP()
			if err != nil {
				return
			}
			for range pkts {
				select {
				case keyframeAsked <- struct{}{}:
				default:
				}
			}
		}
	}()
	answers := make(chan []byte, 1)
	path := filepath.Join(t.TempDir(), "r.webm")
	rec, err := r.Start(path, func(kind string, payload []byte) error {
		if kind == rtc.KindAnswer {
			answers <- payload
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	offer, _ := app.CreateOffer(nil)
	gathered := webrtc.GatheringCompletePromise(app)
	app.SetLocalDescription(offer)
	<-gathered
	b, _ := json.Marshal(app.LocalDescription())
	rec.Signal(rtc.KindOffer, b)
	var ans webrtc.SessionDescription
	select {
	case a := <-answers:
		json.Unmarshal(a, &ans)
	case <-time.After(10 * time.Second):
		t.Fatal("no answer from the recorder")
	}
	if err := app.SetRemoteDescription(ans); err != nil {
		t.Fatal(err)
	}
	// Delta frames until the recorder asks for a keyframe: they are not kept.
	i := 1
	deadline := time.After(15 * time.Second)
	for asked := false; !asked; i = 1 + i%(len(frames)-1) {
		select {
		case <-keyframeAsked:
			asked = true
		case <-deadline:
			t.Fatal("the recorder never asked for a keyframe")
		case <-time.After(33 * time.Millisecond):
			track.WriteSample(media.Sample{Data: frames[i], Duration: time.Second / 30})
		}
	}
	for _, f := range frames { // the keyframe, then 39 delta frames: 1.3 s
		track.WriteSample(media.Sample{Data: f, Duration: time.Second / 30})
		time.Sleep(33 * time.Millisecond)
	}
	for deadline := time.Now().Add(5 * time.Second); !rec.Recording() && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	// The screen stands still for a second (nothing sent), then the stop:
	// the file lasts until the stop and keeps the last frame, which the
	// sample builder held (it releases a frame when the next one starts).
	time.Sleep(time.Second)
	type result struct {
		st  Stats
		err error
	}
	stopped := make(chan result, 1)
	rec.Stop(func(st Stats, err error) { stopped <- result{st, err} })
	var res result
	select {
	case res = <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("Stop did not finish")
	}
	st, err := res.st, res.err
	if err != nil {
		t.Fatal(err)
	}
	if st.Width != 160 || st.Height != 120 || st.Frames != len(frames) {
		t.Fatalf("recorded %+v, want the %d frames of 160x120", st, len(frames))
	}
	if st.Duration < 2200*time.Millisecond || st.Duration > 3*time.Second {
		t.Fatalf("duration %s, want the 1.3 s of frames and the still second until the stop", st.Duration)
	}
	p := ffprobe(t, path)
	d := p.Seconds()
	if len(p.Streams) != 1 || p.Streams[0].CodecName != "vp8" || p.Streams[0].Width != 160 || math.Abs(d-st.Duration.Seconds()) > 0.01 {
		t.Fatalf("ffprobe %+v, want VP8 of %s", p, st.Duration)
	}
}
