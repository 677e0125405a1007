package record

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"

	"github.com/relaydesk/relaydesk/pkg/rtc"
)

// Recorder makes recordings. It owns the goroutines of every recording it
// started: Close stops them all and waits.
type Recorder struct {
	log *slog.Logger
	api *webrtc.API

	mu     sync.Mutex
	wg     sync.WaitGroup
	closed bool
	live   map[*Recording]bool
}

// New returns a Recorder; log nil means slog.Default().
func New(log *slog.Logger) (*Recorder, error) {
	if log == nil {
		log = slog.Default()
	}
	api, err := rtc.NewAPI()
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	return &Recorder{log: log, api: api, live: make(map[*Recording]bool)}, nil
}

// Signaller sends a signalling message of kind (rtc.KindAnswer, ...) to
// the end user's app, addressed from the recorder.
type Signaller func(kind string, payload []byte) error

// Recording is one recording in progress: a peer connection to the end
// user's app and the WebM file it feeds.
type Recording struct {
	r      *Recorder
	signal Signaller
	log    *slog.Logger
	w      *Writer
	pc     *webrtc.PeerConnection

	mu        sync.Mutex
	stopping  bool
	stopped   bool
	keyframe  bool          // the first keyframe arrived
	nextFrame chan struct{} // closed when the next frame is written (nil: nobody waits)
	ssrc      uint32        // of the track, once it arrived
	done      chan struct{}
	stats     Stats
	err       error
}

// ErrClosed is returned by Start after Close.
var ErrClosed = errors.New("record: the recorder is closed")

// Start prepares a recording into path. The end user's app is told to
// join the recorder elsewhere (PeerJoined); its offer arrives through
// Signal, and the answer leaves through signal.
func (r *Recorder) Start(path string, signal Signaller) (*Recording, error) {
	pc, err := r.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, fmt.Errorf("record: peer connection: %w", err)
	}
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		pc.Close()
		return nil, fmt.Errorf("record: video transceiver: %w", err)
	}
	rec := &Recording{r: r, signal: signal, log: r.log.With("recording", path), w: NewWriter(path), pc: pc, done: make(chan struct{})}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		pc.Close()
		return nil, ErrClosed
	}
	r.live[rec] = true
	var once sync.Once
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		once.Do(func() { r.spawn(func() { rec.read(tr) }) })
	})
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		rec.log.Info("recorder peer connection", "state", st.String())
	})
	return rec, nil
}

// spawn runs fn on a goroutine Close waits for, unless Close began (false).
func (r *Recorder) spawn(fn func()) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closed {
		r.wg.Go(fn)
	}
	return !r.closed
}

// Signal takes a signalling message from the end user's app: its offer
// gets the recorder's answer (with every candidate: no trickle).
func (rec *Recording) Signal(kind string, payload []byte) {
	if kind != rtc.KindOffer {
		return
	}
	rec.r.spawn(func() {
		if err := rec.answer(payload); err != nil {
			rec.log.Warn("answer the app's offer", "err", err)
		}
	})
}

func (rec *Recording) answer(payload []byte) error {
	var offer webrtc.SessionDescription
	if err := json.Unmarshal(payload, &offer); err != nil {
		return fmt.Errorf("read offer: %w", err)
	}
	if err := rec.pc.SetRemoteDescription(offer); err != nil {
		return fmt.Errorf("remote description: %w", err)
	}
	ans, err := rec.pc.CreateAnswer(nil)
	if err != nil {
		return fmt.Errorf("answer: %w", err)
	}
	gathered := webrtc.GatheringCompletePromise(rec.pc)
	if err := rec.pc.SetLocalDescription(ans); err != nil {
		return fmt.Errorf("local description: %w", err)
	}
	select {
	case <-gathered:
	case <-time.After(5 * time.Second):
	case <-rec.done:
		return nil
	}
	b, _ := json.Marshal(rec.pc.LocalDescription())
	return rec.signal(rtc.KindAnswer, b)
}

// read writes the track's frames until the track ends. It asks for a
// keyframe at once and every half second until one arrives.
func (rec *Recording) read(tr *webrtc.TrackRemote) {
	rec.mu.Lock()
	rec.ssrc = uint32(tr.SSRC())
	rec.mu.Unlock()
	pli := func() {
		rec.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(tr.SSRC())}})
	}
	pli()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	sb := samplebuilder.New(256, &codecs.VP8Packet{}, tr.Codec().ClockRate)
	var have bool
	var ts time.Duration // of the last frame, unwrapped
	var last uint32
	for {
		pkt, _, err := tr.ReadRTP()
		if err != nil {
			return // the peer connection closed
		}
		sb.Push(pkt)
		rec.mu.Lock()
		awaited := rec.nextFrame != nil
		rec.mu.Unlock()
		if awaited && pkt.Marker {
			// The stop waits for this frame: the builder would hold it
			// until the next one starts.
			sb.Flush()
		}
		for s := sb.Pop(); s != nil; s = sb.Pop() {
			if !have {
				if !Keyframe(s.Data) {
					continue
				}
				last, have = s.PacketTimestamp, true
			}
			ts += time.Duration(s.PacketTimestamp-last) * time.Second / time.Duration(tr.Codec().ClockRate)
			last = s.PacketTimestamp
			rec.mu.Lock()
			if !rec.stopped {
				if err := rec.w.WriteFrame(s.Data, ts); err != nil && rec.err == nil {
					rec.err = err
				}
				rec.keyframe = true
				if rec.nextFrame != nil {
					close(rec.nextFrame)
					rec.nextFrame = nil
				}
			}
			rec.mu.Unlock()
		}
		select {
		case <-tick.C:
			rec.mu.Lock()
			k := rec.keyframe
			rec.mu.Unlock()
			if !k {
				pli()
			}
		default:
		}
	}
}

// Recording reports whether frames are being written (the first keyframe arrived).
func (rec *Recording) Recording() bool {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.keyframe && !rec.stopped
}

// Stop ends the recording and calls done (if not nil) with what the file
// holds once it is finished (ErrNoKeyframe: no picture arrived, no file).
// It returns at once: a recording that runs first asks the app for one
// more keyframe and waits for it up to a second, so that the file lasts
// until now even when the screen stood still. Calls after the first do
// nothing.
func (rec *Recording) Stop(done func(Stats, error)) {
	rec.mu.Lock()
	if rec.stopping {
		rec.mu.Unlock()
		return
	}
	rec.stopping = true
	running := rec.keyframe
	rec.mu.Unlock()
	if !rec.r.spawn(func() { rec.finish(running, done) }) {
		rec.finish(false, done) // the recorder closes: no waiting
	}
}

// finish waits for a last frame (last), then closes the peer connection
// and the file.
func (rec *Recording) finish(last bool, done func(Stats, error)) {
	if last {
		next := make(chan struct{})
		rec.mu.Lock()
		rec.nextFrame = next
		ssrc := rec.ssrc
		rec.mu.Unlock()
		rec.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}})
		select {
		case <-next:
		case <-time.After(time.Second):
		}
	}
	rec.mu.Lock()
	rec.stopped = true
	rec.mu.Unlock()
	close(rec.done)
	rec.pc.Close() // ends read
	st, err := rec.w.Close()
	rec.mu.Lock()
	if rec.err == nil {
		rec.err = err
	}
	rec.stats = st
	err = rec.err
	rec.mu.Unlock()
	rec.r.mu.Lock()
	delete(rec.r.live, rec)
	rec.r.mu.Unlock()
	if done != nil {
		done(st, err)
	}
}

// Close stops every recording and waits for the recorder's goroutines.
func (r *Recorder) Close() {
	r.mu.Lock()
	r.closed = true
	live := make([]*Recording, 0, len(r.live))
	for rec := range r.live {
		live = append(live, rec)
	}
	r.mu.Unlock()
	for _, rec := range live {
		rec.Stop(nil)
	}
	r.wg.Wait()
}
