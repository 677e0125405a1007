package record

import (
	"encoding/json"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"

	"github.com/relaydesk/relaydesk/pkg/rtc"
	"github.com/relaydesk/relaydesk/relay/record/recordtest"
)

// appPeer plays the end user's app for a recording: a pion peer that
// offers a VP8 track and sends frames numbered as agent/share does (pion's
// VP8 payloader with picture IDs), 1/30 s apart in RTP time.
type appPeer struct {
	rec   *Recording
	path  string
	asked chan struct{} // the recorder asked for a keyframe
	track *webrtc.TrackLocalStaticRTP
	pk    rtp.Packetizer
}

// startApp starts a recorder and a recording, and connects an app to it.
func startApp(t *testing.T) *appPeer {
	t.Helper()
	r, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	api, err := rtc.NewAPI()
	if err != nil {
		t.Fatal(err)
	}
	app, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "screen", "relaydesk")
	if err != nil {
		t.Fatal(err)
	}
	sender, err := app.AddTrack(track)
	if err != nil {
		t.Fatal(err)
	}
	a := &appPeer{
		path:  filepath.Join(t.TempDir(), "r.webm"),
		asked: make(chan struct{}, 16),
		track: track,
		pk:    rtp.NewPacketizer(1200, 0, 0, &codecs.VP8Payloader{EnablePictureID: true}, rtp.NewRandomSequencer(), 90000),
	}
	go func() { // ends when app closes
		for {
			pkts, _, err := sender.ReadRTCP()
			if err != nil {
				return
			}
			for _, p := range pkts {
				if _, ok := p.(*rtcp.PictureLossIndication); ok {
					select {
					case a.asked <- struct{}{}:
					default:
					}
				}
			}
		}
	}()
	answers := make(chan []byte, 1)
	a.rec, err = r.Start(a.path, func(kind string, payload []byte) error {
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
	a.rec.Signal(rtc.KindOffer, b)
	var ans webrtc.SessionDescription
	select {
	case b := <-answers:
		json.Unmarshal(b, &ans)
	case <-time.After(10 * time.Second):
		t.Fatal("no answer from the recorder")
	}
	if err := app.SetRemoteDescription(ans); err != nil {
		t.Fatal(err)
	}
	return a
}

// send sends frame 1/30 s after the one before (in RTP time, and waits as
// long); lost numbers it but sends nothing, as a network that lost it.
func (a *appPeer) send(t *testing.T, frame []byte, lost bool) {
	t.Helper()
	for _, p := range a.pk.Packetize(frame, 3000) {
		if lost {
			continue
		}
		if err := a.track.WriteRTP(p); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(33 * time.Millisecond)
}

// untilAsked sends delta frames (never kept: no keyframe came before them)
// until the recorder asks for a keyframe.
func (a *appPeer) untilAsked(t *testing.T, frames [][]byte) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for i := 1; ; i = 1 + i%(len(frames)-1) {
		select {
		case <-a.asked:
			return
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the recorder never asked for a keyframe")
		}
		a.send(t, frames[i], false)
	}
}

// untilRecording waits until the recording writes frames (its keyframe
// arrived).
func (a *appPeer) untilRecording(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !a.rec.Recording(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the recording has written no frame 5 s after the keyframe")
		}
	}
}

// stop stops the recording and returns what the file holds.
func (a *appPeer) stop(t *testing.T) Stats {
	t.Helper()
	type result struct {
		st  Stats
		err error
	}
	stopped := make(chan result, 1)
	a.rec.Stop(func(st Stats, err error) { stopped <- result{st, err} })
	select {
	case res := <-stopped:
		if res.err != nil {
			t.Fatal(res.err)
		}
		return res.st
	case <-time.After(10 * time.Second):
		t.Fatal("Stop did not finish")
	}
	return Stats{}
}

// TestRecorderWritesWhatThePeerSends: the recorder answers the app's
// offer, asks for a keyframe, and the WebM holds the stream at its size,
// until the stop.
func TestRecorderWritesWhatThePeerSends(t *testing.T) {
	frames := vp8Frames(t, 160, 120, 40)
	a := startApp(t)
	a.untilAsked(t, frames)
	for _, f := range frames { // the keyframe, then 39 delta frames: 1.3 s
		a.send(t, f, false)
	}
	a.untilRecording(t)
	// The screen stands still for a second (nothing sent), then the stop:
	// the file lasts until the stop and keeps the last frame, which the
	// sample builder held (it releases a frame when the next one starts).
	time.Sleep(time.Second)
	st := a.stop(t)
	if st.Width != 160 || st.Height != 120 || st.Frames != len(frames) {
		t.Fatalf("recorded %+v, want the %d frames of 160x120", st, len(frames))
	}
	if st.Duration < 2200*time.Millisecond || st.Duration > 3*time.Second {
		t.Fatalf("duration %s, want the 1.3 s of frames and the still second until the stop", st.Duration)
	}
	p := recordtest.FFprobe(t, a.path)
	d := p.Seconds()
	if len(p.Streams) != 1 || p.Streams[0].CodecName != "vp8" || p.Streams[0].Width != 160 || math.Abs(d-st.Duration.Seconds()) > 0.01 {
		t.Fatalf("ffprobe %+v, want VP8 of %s", p, st.Duration)
	}
}

// TestRecorderSkipsToTheNextKeyframeAfterALoss: a delta frame lost on the
// way breaks the frames after it; the recorder asks for a keyframe and
// leaves them out until it arrives, then records again.
func TestRecorderSkipsToTheNextKeyframeAfterALoss(t *testing.T) {
	frames := vp8Frames(t, 160, 120, 40)
	a := startApp(t)
	a.untilAsked(t, frames)
	for _, f := range frames[:10] { // kept: the keyframe and 9 delta frames
		a.send(t, f, false)
	}
	a.untilRecording(t)
	time.Sleep(100 * time.Millisecond) // an ask sent before the keyframe arrived
	for len(a.asked) > 0 {
		<-a.asked
	}
	a.send(t, frames[10], true)
	// Delta frames after the lost one: the recorder gives up waiting for
	// it after a second of stream time, then asks for a keyframe.
	for i, n := 11, 0; len(a.asked) == 0; i, n = 11+(i-10)%(len(frames)-11), n+1 {
		if n == 150 {
			t.Fatal("the recorder did not ask for a keyframe after the loss (5 s of frames)")
		}
		a.send(t, frames[i], false)
	}
	<-a.asked
	for _, f := range frames[:10] { // kept: a keyframe and 9 delta frames again
		a.send(t, f, false)
	}
	time.Sleep(200 * time.Millisecond)
	st := a.stop(t)
	if st.Frames != 20 {
		t.Fatalf("recorded %d frames, want 20: 10 before the loss, none of the broken ones after it, 10 from the next keyframe", st.Frames)
	}
	if p := recordtest.FFprobe(t, a.path); len(p.Streams) != 1 || p.Streams[0].CodecName != "vp8" {
		t.Fatalf("ffprobe %+v, want VP8", p)
	}
}

// TestFrameIDsFollowPionsNumbering: picture IDs wrap at 0x7fff and pion
// leaves out ID 0 (-1 here); a sender that numbers nothing loses nothing.
func TestFrameIDsFollowPionsNumbering(t *testing.T) {
	for _, c := range []struct {
		name string
		ids  []int
		lost int // index of the frame reported lost, -1 none
	}{
		{"in order", []int{-1, 1, 2, 3}, -1},
		{"round the wrap", []int{0x7ffe, 0x7fff, -1, 1}, -1},
		{"a gap", []int{5, 6, 8, 9}, 2},
		{"a gap at the wrap", []int{0x7ffe, -1, 1}, 1},
		{"not numbered", []int{-1, -1, -1}, -1},
	} {
		var f frameIDs
		for i, id := range c.ids {
			if got := f.lost(id); got != (i == c.lost) {
				t.Errorf("%s: frame %d (ID %d) lost = %v", c.name, i, id, got)
			}
		}
	}
}
