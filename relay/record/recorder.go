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

	reading sync.WaitGroup // read, once the track arrived

	mu       sync.Mutex
	stopping bool
	keyframe bool          // the first keyframe arrived
	lastTS   time.Duration // the last frame's time in the file's timeline
	lastAt   time.Time     // when it arrived
	done     chan struct{}
	err      error
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
		once.Do(func() {
			rec.reading.Add(1)
			if !r.spawn(func() { defer rec.reading.Done(); rec.read(tr) }) {
				rec.reading.Done()
			}
		})
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

// read writes the track's frames until the track ends (the stop closes
// the peer connection); then the frames the sample builder still holds
// (it releases a frame when the next one starts) are written too. It asks
// for a keyframe at once and every half second until one arrives.
//
// A frame lost on the way (a packet never came, and the sample builder
// gave up on it) breaks every frame after it up to the next keyframe: a
// player would show them smeared. From a gap in the VP8 picture IDs (the
// app numbers its frames) until a keyframe arrives, frames are left out
// and a keyframe is asked for, every half second: the file holds the last
// good picture meanwhile.
func (rec *Recording) read(tr *webrtc.TrackRemote) {
	pli := func() {
		rec.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(tr.SSRC())}})
	}
	pli()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	clock := time.Duration(tr.Codec().ClockRate)
	// A packet missing for a second of stream time is lost for good (NACKs
	// asked for it again twice meanwhile).
	sb := samplebuilder.New(256, &codecs.VP8Packet{}, uint32(clock), samplebuilder.WithPacketHeadHandler(pictureID),
		samplebuilder.WithMaxTimeDelay(time.Second))
	var have bool   // the first keyframe arrived
	var broken bool // a frame was lost since the last keyframe
	var ids frameIDs
	var ts time.Duration // of the last frame, unwrapped
	var last uint32
	var pktAt time.Time // when the newest packet arrived: a frame is complete by then
	var pktTS uint32    // the newest packet's timestamp
	write := func() {
		for s := sb.Pop(); s != nil; s = sb.Pop() {
			if ids.lost(s.Metadata) && have && !broken {
				broken = true
				rec.log.Info("a frame was lost: frames are left out until the next keyframe")
				pli()
			}
			if !have || broken {
				if !Keyframe(s.Data) {
					continue
				}
				broken = false
				if !have {
					last, have = s.PacketTimestamp, true
				}
			}
			ts += time.Duration(s.PacketTimestamp-last) * time.Second / clock
			last = s.PacketTimestamp
			rec.mu.Lock()
			if err := rec.w.WriteFrame(s.Data, ts); err != nil && rec.err == nil {
				rec.err = err
			}
			// The sample builder lets a frame go when a later one starts,
			// which on a still screen can be seconds later (the app's tail
			// probe): the frame arrived that much earlier than pktAt.
			at := pktAt.Add(-time.Duration(int32(pktTS-s.PacketTimestamp)) * time.Second / clock)
			rec.keyframe, rec.lastTS, rec.lastAt = true, ts, at
			rec.mu.Unlock()
		}
	}
	for {
		pkt, _, err := tr.ReadRTP()
		if err != nil { // the peer connection closed
			sb.Flush()
			write()
			return
		}
		pktAt, pktTS = time.Now(), pkt.Timestamp
		sb.Push(pkt)
		write()
		select {
		case <-tick.C:
			if !have || broken {
				pli()
			}
		default:
		}
	}
}

// pictureID is the sample builder's head handler: the VP8 picture ID of a
// frame's first packet, or -1 when the frame carries none.
func pictureID(head any) any {
	p, ok := head.(*codecs.VP8Packet)
	if !ok || p.I == 0 {
		return -1
	}
	return int(p.PictureID)
}

// frameIDs follows the VP8 picture IDs of the frames that arrive. pion's
// payloader numbers frames 0 to 0x7fff and round again, and leaves the ID
// out when it is 0; a sender that never numbers its frames has nothing to
// follow (and nothing is ever reported lost).
type frameIDs struct {
	numbered bool // a numbered frame arrived
	seen     bool
	last     int
}

// lost takes the next frame's pictureID and reports whether frames are
// missing before it.
func (f *frameIDs) lost(meta any) bool {
	id, _ := meta.(int)
	if id >= 0 {
		f.numbered = true
	} else {
		id = 0
	}
	gap := f.numbered && f.seen && id != (f.last+1)&0x7fff
	f.seen, f.last = true, id
	return gap
}

// Recording reports whether frames are being written (the first keyframe arrived).
func (rec *Recording) Recording() bool {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.keyframe && !rec.stopping
}

// Stop ends the recording at once (nothing the app sends later is kept)
// and calls done, if not nil, with what the file holds once it is
// finished (ErrNoKeyframe: no picture arrived, no file). The file lasts
// until the stop even when the screen stood still since its last frame.
// It returns at once; calls after the first do nothing.
func (rec *Recording) Stop(done func(Stats, error)) {
	rec.mu.Lock()
	if rec.stopping {
		rec.mu.Unlock()
		return
	}
	rec.stopping = true
	rec.mu.Unlock()
	end := time.Now()
	close(rec.done)
	rec.pc.Close() // ends read, which writes what it holds
	if !rec.r.spawn(func() { rec.finish(end, done) }) {
		rec.finish(end, done) // the recorder closes: Close waits for this
	}
}

// finish closes the file once read wrote its last frames; the file's
// duration runs to end.
func (rec *Recording) finish(end time.Time, done func(Stats, error)) {
	rec.reading.Wait()
	rec.mu.Lock()
	if rec.keyframe {
		rec.w.SetEnd(rec.lastTS + max(0, end.Sub(rec.lastAt)))
	}
	rec.mu.Unlock()
	st, err := rec.w.Close()
	rec.mu.Lock()
	if rec.err == nil {
		rec.err = err
	}
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
