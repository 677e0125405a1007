package share

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
)

// vp8Clock is VP8's RTP clock rate; trackMTU, the size of an RTP packet
// before SRTP, as pion's own sample track packetizes.
const (
	vp8Clock = 90000
	trackMTU = 1200
)

// screenTrack is the screen's video track: one RTP stream that every
// viewer's peer connection sends (pion rewrites SSRC and payload type per
// connection). Each frame is stamped with the time since the first frame.
// pion's TrackLocalStaticSample stamps a frame with the sum of the
// durations of the frames before it, and a frame's duration (the time
// until the next) is not known when it goes out: the loop gave each frame
// the time since the one before, which put every still spell one frame
// late in the timestamps, and the relay's recorder writes its timeline
// from them (a change showed seconds early in the WebM).
type screenTrack struct {
	*webrtc.TrackLocalStaticRTP
	mu      sync.Mutex
	pk      rtp.Packetizer
	elapsed time.Duration // from the first frame to the last one sent
	ticks   uint32        // the RTP time of the last frame, from the first
}

func newScreenTrack() (*screenTrack, error) {
	t, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: vp8Clock}, "screen", "relaydesk")
	if err != nil {
		return nil, fmt.Errorf("share: create track: %w", err)
	}
	pk := rtp.NewPacketizer(trackMTU, 0, 0, &codecs.VP8Payloader{EnablePictureID: true}, rtp.NewRandomSequencer(), vp8Clock)
	return &screenTrack{TrackLocalStaticRTP: t, pk: pk}, nil
}

// write sends one encoded frame, taken gap after the frame before it (the
// first frame's gap does not matter). A gap under one RTP tick would give
// two frames the same timestamp, and a viewer would drop the second as a
// duplicate: the loop never sends one.
func (t *screenTrack) write(frame []byte, gap time.Duration) error {
	var errs []error
	for _, p := range t.packetize(frame, gap) {
		if err := t.WriteRTP(p); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// packetize splits frame into RTP packets stamped gap after the frame before.
func (t *screenTrack) packetize(frame []byte, gap time.Duration) []*rtp.Packet {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.elapsed += gap
	target := uint32(int64(t.elapsed) * vp8Clock / int64(time.Second)) // from the total: no drift
	t.pk.SkipSamples(target - t.ticks)
	t.ticks = target
	return t.pk.Packetize(frame, 0)
}
