// Package share streams the end user's screen to every attached technician:
// one capture and one VP8 encoder feed a WebRTC track that each technician's
// peer connection carries. Only what changed is grabbed, converted and
// coded (damage rectangles down to the encoder's active map); a change
// after a quiet spell goes out at once, bursts at most MaxFPS a second. A
// still screen sends nothing; once it has been still for a moment, what
// changed is refined to near-lossless quality so text stays sharp; a
// keyframe goes out when a technician joins or asks for one.
//
// The files follow its jobs: share.go the Sharer and its run, peers.go
// the technicians' peer connections and signals, channels.go their data
// channels (input, clipboard, pointer), draw.go the drawing channel and
// the overlay, loop.go the capture-encode loop
// (testable with capture.Synthetic and an injected Clock), pace.go its
// frame-rate cap, diff.go change detection for sources that report no
// damage, stats.go the counters.
package share

import (
	"context"
	"image"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/relaydesk/relaydesk/agent/capture"
	"github.com/relaydesk/relaydesk/agent/clipboard"
	"github.com/relaydesk/relaydesk/agent/input"
	"github.com/relaydesk/relaydesk/pkg/codec"
	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/rtc"
)

// Config configures a Sharer.
type Config struct {
	Source capture.Source
	// Signal sends a signalling message to technician peer through the relay.
	Signal func(peer int64, kind string, payload []byte) error
	// Injector performs technicians' input; nil means view only.
	Injector input.Injector
	// Clipboard is shared with the technicians; nil means no clipboard transfer.
	Clipboard clipboard.Clipboard
	// Overlay shows what the technician who controls draws (draw.go); nil
	// means no drawing channel.
	Overlay Overlay

	// Files takes each technician's files data channel (agent/files);
	// nil: no file transfer.
	Files func(peer int64, dc *webrtc.DataChannel)
	// RelayOnly restricts ICE to the relay's TURN server.
	RelayOnly bool
	MaxFPS    int // default 30
	Bitrate   int // kbit/s ceiling, default 8000
	// StillRefine is how long the screen must be still before what changed
	// is refined.
	StillRefine time.Duration
	Logger      *slog.Logger
	// Clock is the capture loop's time; nil means the real one.
	Clock Clock
	// NewEncoder opens the video encoder; nil means libvpx VP8.
	NewEncoder func(w, h, kbps, fps int) (Encoder, error)
}

// Sharer owns the capture loop and the technicians' peer connections.
type Sharer struct {
	cfg   Config
	log   *slog.Logger
	api   *webrtc.API
	track *screenTrack

	joinMu    sync.Mutex     // serialises NewPeerConnection, to catch its estimator
	estimator *rtc.Estimator // set by the API's callback during NewPeerConnection

	mu       sync.Mutex
	peers    map[int64]*peer
	viewOnly map[int64]bool // the technician's own switch (their console's view-only mode)
	blocked  map[int64]bool // the app's decision: not the one who controls (Block)
	display  int
	bounds   image.Rectangle // of the captured display
	ice      []proto.ICEServer
	wake     chan struct{}
	keyWant  uint64         // keyframe requests so far
	joinWant uint64         // the request of the viewer that connected last
	keyDone  uint64         // requests a keyframe answered
	boundsOf int            // display whose bounds s.bounds holds
	closed   bool           // Close ran: Join adds no more peers
	wg       sync.WaitGroup // RTCP readers and Run's loops; Add only under mu while !closed

	draw drawing // the technicians' drawing on the screen (draw.go)

	stats     Stats
	lastPress atomic.Int64 // when a technician's button or key press was injected, Unix µs
}

// New prepares a Sharer; Run streams.
func New(cfg Config) (*Sharer, error) {
	if cfg.MaxFPS == 0 {
		cfg.MaxFPS = 30
	}
	if cfg.Bitrate == 0 {
		cfg.Bitrate = 8000
	}
	if cfg.StillRefine == 0 {
		cfg.StillRefine = 300 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	if cfg.NewEncoder == nil {
		cfg.NewEncoder = func(w, h, kbps, fps int) (Encoder, error) { return codec.NewVP8Encoder(w, h, kbps, fps) }
	}
	s := &Sharer{cfg: cfg, log: cfg.Logger, boundsOf: -1, peers: make(map[int64]*peer), viewOnly: make(map[int64]bool), blocked: make(map[int64]bool), wake: make(chan struct{}, 1)}
	api, err := rtc.NewSenderAPI(cfg.Bitrate, func(e *rtc.Estimator) { s.estimator = e })
	if err != nil {
		return nil, err
	}
	s.api = api
	track, err := newScreenTrack()
	if err != nil {
		return nil, err
	}
	s.track = track
	return s, nil
}

// Close closes every peer connection and waits for their readers. A Join
// that is still setting up fails with ErrClosed and closes its own.
func (s *Sharer) Close() {
	s.mu.Lock()
	s.closed = true
	peers := s.peers
	s.peers = map[int64]*peer{}
	s.mu.Unlock()
	for _, p := range peers {
		p.pc.Close()
	}
	s.wg.Wait()
	s.clearDrawing("") // the session is over: nothing stays on the end user's screen
}

// Run captures and streams until ctx ends. With a capture.Notifier source
// it grabs only after the source reported damage (at most MaxFPS times a
// second, a lone change at once); otherwise it polls at MaxFPS.
func (s *Sharer) Run(ctx context.Context) error {
	defer s.Close()
	cctx, stop := context.WithCancel(ctx)
	defer stop()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if s.cfg.Clipboard != nil {
		s.wg.Go(func() { s.shareClipboard(cctx) })
	}
	if cs, ok := s.cfg.Source.(capture.CursorSource); ok {
		s.wg.Go(func() { s.shareCursor(cctx, cs) })
	}
	s.mu.Unlock()
	l := &loop{
		src: s.cfg.Source, clock: s.cfg.Clock, newEncoder: s.cfg.NewEncoder, aud: s, wake: s.wake,
		maxFPS: s.cfg.MaxFPS, bitrate: s.cfg.Bitrate, stillRefine: s.cfg.StillRefine, log: s.log,
		send: s.track.write,
	}
	return l.run(ctx)
}

// order implements audience: the slowest connected viewer sets the bitrate.
func (s *Sharer) order() order {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := order{display: s.display, kbps: s.cfg.Bitrate}
	if us := s.lastPress.Load(); us != 0 {
		o.press = time.UnixMicro(us)
	}
	if s.keyWant != s.keyDone {
		o.key = s.keyWant
	}
	o.join = s.joinWant > s.keyDone
	now := s.cfg.Clock.Now()
	for _, p := range s.peers {
		if p.connected {
			o.viewers++
			if p.est != nil {
				k := p.link.target(now, p.est, s.cfg.Bitrate)
				if k != p.kbps {
					p.kbps = k
					s.log.Debug("estimate", "peer", p.id, "kbps", k, "loss", p.link.loss, "arrived_kbps", p.link.arrived,
						"gcc_kbps", p.est.GetTargetBitrate()/1000)
				}
				o.kbps = min(o.kbps, k)
			}
		}
	}
	return o
}

// keyframeSent implements audience.
func (s *Sharer) keyframeSent(key uint64) {
	s.mu.Lock()
	s.keyDone = max(s.keyDone, key)
	s.mu.Unlock()
}

// noSuchDisplay implements audience: back to the first display.
func (s *Sharer) noSuchDisplay() { s.SetDisplay(0) }

// grabbed implements audience: the display's place on the desktop (for
// input and the pointer) is asked again only when the display or its
// size changed.
func (s *Sharer) grabbed(display int, size image.Point) {
	s.mu.Lock()
	stale := display != s.boundsOf || size != s.bounds.Size()
	s.mu.Unlock()
	if !stale {
		return
	}
	if ds, err := s.cfg.Source.Displays(); err == nil && display < len(ds) {
		s.mu.Lock()
		s.bounds, s.boundsOf = ds[display], display
		s.mu.Unlock()
	}
}
