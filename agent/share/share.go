// Package share streams the end user's screen to every attached technician:
// one capture and one VP8 encoder feed a WebRTC track that each technician's
// peer connection carries. A still screen sends nothing; once it has been
// still for a moment it is refined to near-lossless quality so text stays
// sharp; a keyframe goes out when a technician joins or asks for one.
package share

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

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
	// RelayOnly restricts ICE to the relay's TURN server.
	RelayOnly bool
	MaxFPS    int // default 30
	Bitrate   int // kbit/s ceiling, default 8000
	// StillRefine is how long the screen must be still before it is refined.
	StillRefine time.Duration
	Logger      *slog.Logger
}

type peer struct {
	est       cc.BandwidthEstimator // nil until known
	id        int64
	granted   proto.Grant // what the end user allowed this technician
	channels  []string    // labels of the data channels opened for it
	connected bool        // media flows: worth encoding for
	pc        *webrtc.PeerConnection
	input     *input.Handler
	clip      *webrtc.DataChannel
	cursor    *webrtc.DataChannel
	shapeSent uint32 // serial of the last cursor shape sent to this peer
}

// Sharer owns the capture loop and the technicians' peer connections.
type Sharer struct {
	cfg   Config
	log   *slog.Logger
	api   *webrtc.API
	track *webrtc.TrackLocalStaticSample

	joinMu    sync.Mutex            // serialises NewPeerConnection, to catch its estimator
	estimator cc.BandwidthEstimator // set by the API's callback during NewPeerConnection

	mu       sync.Mutex
	peers    map[int64]*peer
	viewOnly map[int64]bool // the technician's own switch (their console's view-only mode)
	blocked  map[int64]bool // the app's decision: not the one who controls (Block)
	display  int
	bounds   image.Rectangle // of the captured display
	ice      []proto.ICEServer
	wake     chan struct{}
	keyReq   bool
	closed   bool           // Close ran: Join adds no more peers
	wg       sync.WaitGroup // RTCP readers and Run's loops; Add only under mu while !closed

	stats Stats
}

// Stats counts what the sharer sent.
type Stats struct {
	Frames, Keyframes, Refines, Bytes int64
	BitrateKbps                       int // the encoder's current target
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
	s := &Sharer{cfg: cfg, log: cfg.Logger, peers: make(map[int64]*peer), viewOnly: make(map[int64]bool), blocked: make(map[int64]bool), wake: make(chan struct{}, 1)}
	api, err := rtc.NewSenderAPI(cfg.Bitrate, func(e cc.BandwidthEstimator) { s.estimator = e })
	if err != nil {
		return nil, err
	}
	s.api = api
	track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "screen", "relaydesk")
	if err != nil {
		return nil, fmt.Errorf("share: create track: %w", err)
	}
	s.track = track
	return s, nil
}

// ErrClosed is returned by Join after Close.
var ErrClosed = errors.New("share: the sharer is closed")

// Join opens a peer connection to technician id and sends the offer. It
// opens only the channels the end user granted: the screen (and pointer)
// for PermView, the input channel for PermControl, the clipboard channel
// for PermClipboard. A grant without PermView opens nothing.
func (s *Sharer) Join(id int64, granted proto.Grant) error {
	if !granted.Has(proto.PermView) {
		return fmt.Errorf("share: technician %d: %w", id, ErrNotGranted)
	}
	s.mu.Lock()
	conf, closed := rtc.Configuration(s.ice, s.cfg.RelayOnly), s.closed
	s.mu.Unlock()
	if closed {
		return ErrClosed
	}
	s.joinMu.Lock()
	s.estimator = nil
	pc, err := s.api.NewPeerConnection(conf)
	est := s.estimator
	s.joinMu.Unlock()
	if err != nil {
		return fmt.Errorf("share: peer connection: %w", err)
	}
	sender, err := pc.AddTrack(s.track)
	if err != nil {
		pc.Close()
		return fmt.Errorf("share: add track: %w", err)
	}
	p := &peer{id: id, pc: pc, est: est, granted: granted}
	// Reliable, ordered data channels beside the video.
	ordered := true
	channel := func(label string) (*webrtc.DataChannel, error) {
		dc, err := pc.CreateDataChannel(label, &webrtc.DataChannelInit{Ordered: &ordered})
		if err != nil {
			pc.Close()
			return nil, fmt.Errorf("share: %s channel: %w", label, err)
		}
		p.channels = append(p.channels, label)
		return dc, nil
	}
	if s.cfg.Injector != nil && granted.Has(proto.PermControl) {
		p.input = input.NewHandler(s.cfg.Injector)
		dc, err := channel(proto.InputChannel)
		if err != nil {
			return err
		}
		dc.OnMessage(func(m webrtc.DataChannelMessage) { s.onInput(p, m.Data) })
		dc.OnClose(p.input.ReleaseAll)
	}
	if _, ok := s.cfg.Source.(capture.CursorSource); ok {
		if p.cursor, err = channel(proto.CursorChannel); err != nil {
			return err
		}
	}
	if s.cfg.Clipboard != nil && granted.Has(proto.PermClipboard) {
		if p.clip, err = channel(proto.ClipboardChannel); err != nil {
			return err
		}
		p.clip.OnMessage(func(m webrtc.DataChannelMessage) { s.onClipboard(p, m.Data) })
	}
	s.mu.Lock()
	if s.closed { // Close ran while this peer connection was being set up
		s.mu.Unlock()
		pc.Close()
		return ErrClosed
	}
	if old := s.peers[id]; old != nil {
		old.pc.Close()
	}
	s.peers[id] = p
	// Read RTCP for keyframe requests until the sender closes. Added under
	// mu, so it cannot race Close's Wait.
	s.wg.Go(func() {
		for {
			pkts, _, err := sender.ReadRTCP()
			if err != nil {
				return
			}
			for _, pk := range pkts {
				switch pk.(type) {
				case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
					s.RequestKeyframe()
				}
			}
		}
	})
	s.mu.Unlock()
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		s.log.Info("peer connection", "peer", id, "state", st.String())
		s.mu.Lock()
		p.connected = st == webrtc.PeerConnectionStateConnected
		s.mu.Unlock()
		if st == webrtc.PeerConnectionStateConnected {
			s.RequestKeyframe()
		}
	})
	// Close may close pc from here on: then the failure is ErrClosed.
	fail := func(err error) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed {
			return ErrClosed
		}
		return err
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return fail(fmt.Errorf("share: offer: %w", err))
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return fail(fmt.Errorf("share: local description: %w", err))
	}
	select {
	case <-gathered:
	case <-time.After(5 * time.Second):
		s.log.Warn("ICE gathering incomplete after 5s; sending what there is")
	}
	b, _ := json.Marshal(pc.LocalDescription())
	return s.cfg.Signal(id, rtc.KindOffer, b)
}

// onInput applies one input message from p, unless p only views.
func (s *Sharer) onInput(p *peer, data []byte) {
	in, err := proto.DecodeInput(data)
	if err != nil {
		s.log.Warn("unreadable input", "peer", p.id, "err", err)
		return
	}
	s.mu.Lock()
	viewOnly, blocked, bounds := s.viewOnly[p.id], s.blocked[p.id], s.bounds
	s.mu.Unlock()
	if viewOnly {
		s.log.Info("input refused: the technician only views", "peer", p.id)
		return
	}
	if blocked {
		s.log.Info("input refused: another technician has control", "peer", p.id)
		return
	}
	p.input.SetDisplay(bounds)
	if err := p.input.Apply(in); err != nil {
		s.log.Warn("input", "peer", p.id, "err", err)
	}
}

// onClipboard puts a technician's clipboard text on the end user's clipboard.
func (s *Sharer) onClipboard(p *peer, data []byte) {
	c, err := proto.DecodeClipboard(data)
	if err != nil {
		s.log.Warn("unreadable clipboard message", "peer", p.id, "err", err)
		return
	}
	s.mu.Lock()
	viewOnly := s.viewOnly[p.id] || s.blocked[p.id]
	s.mu.Unlock()
	if viewOnly {
		s.log.Info("clipboard refused: the technician only views or has no control", "peer", p.id)
		return
	}
	if err := s.cfg.Clipboard.Write(c.Text); err != nil {
		s.log.Warn("write clipboard", "err", err)
	}
}

// shareClipboard sends the end user's clipboard changes to every technician.
func (s *Sharer) shareClipboard(ctx context.Context) {
	for text := range s.cfg.Clipboard.Watch(ctx) {
		if len(text) > proto.MaxClipboard {
			s.log.Info("clipboard too large to share", "bytes", len(text))
			continue
		}
		b, err := proto.Marshal(&proto.Clipboard{Text: text})
		if err != nil {
			continue
		}
		s.mu.Lock()
		var chans []*webrtc.DataChannel
		for _, p := range s.peers {
			if p.clip != nil && p.clip.ReadyState() == webrtc.DataChannelStateOpen {
				chans = append(chans, p.clip)
			}
		}
		s.mu.Unlock()
		for _, dc := range chans {
			dc.Send(b)
		}
	}
}

// shareCursor sends the pointer's position (and its shape when it changed)
// to every technician, at most MaxFPS times a second and only on change.
func (s *Sharer) shareCursor(ctx context.Context, src capture.CursorSource) {
	t := time.NewTicker(time.Second / time.Duration(s.cfg.MaxFPS))
	defer t.Stop()
	var last proto.Cursor
	var lastSerial uint32
	var ticks uint
	var shape *image.RGBA
	var hot image.Point
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		var peers []*peer
		for _, p := range s.peers {
			if p.connected && p.cursor != nil && p.cursor.ReadyState() == webrtc.DataChannelStateOpen {
				peers = append(peers, p)
			}
		}
		b := s.bounds
		s.mu.Unlock()
		if len(peers) == 0 || b.Empty() {
			continue
		}
		// The position every tick; the shape (a bigger request) twice a second.
		ticks++
		c, err := src.Cursor(false)
		if ticks%uint(max(1, s.cfg.MaxFPS/2)) == 1 || shape == nil {
			if full, ferr := src.Cursor(true); ferr == nil && full.Shape != nil {
				c, err = full, nil
				if full.Serial != lastSerial {
					shape, hot, lastSerial = full.Shape, full.Hot, full.Serial
				}
			}
		}
		if err != nil {
			continue
		}
		msg := proto.Cursor{
			X: float64(c.X-b.Min.X) / float64(max(1, b.Dx()-1)), Y: float64(c.Y-b.Min.Y) / float64(max(1, b.Dy()-1)),
			Visible: image.Pt(c.X, c.Y).In(b), Serial: lastSerial,
		}
		for _, p := range peers {
			m := msg
			if p.shapeSent != lastSerial && shape != nil {
				m.W, m.H, m.HotX, m.HotY, m.RGBA = shape.Rect.Dx(), shape.Rect.Dy(), hot.X, hot.Y, shape.Pix
			} else if m.X == last.X && m.Y == last.Y && m.Visible == last.Visible && m.Serial == last.Serial {
				continue // nothing new for this peer
			}
			if data, err := proto.Marshal(&m); err == nil && p.cursor.Send(data) == nil && m.RGBA != nil {
				p.shapeSent = lastSerial
			}
		}
		last = msg
	}
}

// SetViewOnly stops (or allows again) input from technician id (the
// technician's own switch). It cannot give more than the end user granted:
// without PermControl the technician has no input channel at all.
func (s *Sharer) SetViewOnly(id int64, viewOnly bool) {
	s.mu.Lock()
	s.viewOnly[id] = viewOnly
	p := s.peers[id]
	s.mu.Unlock()
	if viewOnly && p != nil && p.input != nil {
		p.input.ReleaseAll()
	}
}

// Block stops (or allows again) input and clipboard from technician id,
// whatever they switch themselves: the session blocks everyone but the
// technician who controls (one at a time). Keys they hold are released.
func (s *Sharer) Block(id int64, blocked bool) {
	s.mu.Lock()
	s.blocked[id] = blocked
	p := s.peers[id]
	s.mu.Unlock()
	if blocked && p != nil && p.input != nil {
		p.input.ReleaseAll()
	}
}

// ErrNotGranted means the end user did not allow the technician to see the screen.
var ErrNotGranted = errors.New("the end user did not allow this technician to see the screen")

// Channels lists the data channels opened for technician id (nil when
// none is connected): what the end user's grant let through.
func (s *Sharer) Channels(id int64) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.peers[id]; p != nil {
		return append([]string(nil), p.channels...)
	}
	return nil
}

// Leave closes technician id's peer connection.
func (s *Sharer) Leave(id int64) {
	s.mu.Lock()
	p := s.peers[id]
	delete(s.peers, id)
	s.mu.Unlock()
	if p != nil {
		p.pc.Close()
		if p.input != nil {
			p.input.ReleaseAll()
		}
	}
}

// OnSignal handles a signalling message from a technician.
func (s *Sharer) OnSignal(sig proto.Signal) {
	s.mu.Lock()
	p := s.peers[sig.Peer]
	s.mu.Unlock()
	if p == nil {
		s.log.Warn("signal for an unknown peer", "peer", sig.Peer, "kind", sig.Kind)
		return
	}
	switch sig.Kind {
	case rtc.KindAnswer:
		var sd webrtc.SessionDescription
		if err := json.Unmarshal(sig.Payload, &sd); err != nil {
			s.log.Warn("unreadable answer", "err", err)
			return
		}
		if err := p.pc.SetRemoteDescription(sd); err != nil {
			s.log.Warn("remote description", "err", err)
		}
	case rtc.KindKeyframe:
		s.RequestKeyframe()
	case rtc.KindControl:
		s.SetViewOnly(sig.Peer, string(sig.Payload) == "view")
	case rtc.KindDisplay:
		n, err := strconv.Atoi(string(sig.Payload))
		ds, derr := s.cfg.Source.Displays()
		if err != nil || derr != nil || n < 0 || n >= len(ds) {
			s.log.Warn("no such display", "display", string(sig.Payload), "displays", len(ds))
			return
		}
		s.log.Info("switching display", "display", n, "bounds", ds[n])
		s.SetDisplay(n)
	}
}

// SetICEServers sets the TURN servers (from the session signalling) for
// the peer connections opened from now on.
func (s *Sharer) SetICEServers(ice []proto.ICEServer) {
	s.mu.Lock()
	s.ice = ice
	s.mu.Unlock()
}

// RequestKeyframe makes the next frame a keyframe.
func (s *Sharer) RequestKeyframe() {
	s.mu.Lock()
	s.keyReq = true
	s.mu.Unlock()
	s.poke()
}

func (s *Sharer) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// SetDisplay switches the captured display.
func (s *Sharer) SetDisplay(i int) {
	s.mu.Lock()
	s.display = i
	s.keyReq = true
	s.mu.Unlock()
	s.poke()
}

// Stats returns the counters.
func (s *Sharer) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
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
}

// Run captures and streams until ctx ends. With a capture.Notifier source
// it grabs only after the X server reported damage (at most MaxFPS times a
// second); otherwise it polls at MaxFPS.
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
	interval := time.Second / time.Duration(s.cfg.MaxFPS)
	var damaged <-chan struct{}
	if n, ok := s.cfg.Source.(capture.Notifier); ok {
		damaged = n.Damaged()
	}
	var tick <-chan time.Time
	if damaged == nil {
		t := time.NewTicker(interval)
		defer t.Stop()
		tick = t.C
	}
	var (
		enc        *codec.VP8Encoder
		cur, prev  *codec.Frame
		lastSample = time.Now()
		lastGrab   time.Time
		refineC    <-chan time.Time
		refineDue  bool
		grabErrs   int
		bitrate    = s.cfg.Bitrate
		lastKey    time.Time
		keyTimer   <-chan time.Time
		boundsOf   = -1 // display whose bounds s.bounds holds
	)
	defer func() {
		if enc != nil {
			enc.Close()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick:
		case <-damaged:
		case <-s.wake:
		case <-refineC:
			refineC, refineDue = nil, true
		case <-keyTimer:
			keyTimer = nil
		}
		s.mu.Lock()
		n := 0
		for _, p := range s.peers {
			if p.connected {
				n++
			}
		}
		display, key := s.display, s.keyReq
		// Keyframes are big: on a lossy link every loss asks for one, and a
		// stream of nothing but keyframes would never get through. At most
		// one a second (the rest of the time, NACK repairs losses).
		if key && time.Since(lastKey) < time.Second && enc != nil {
			key = false
			if keyTimer == nil {
				keyTimer = time.After(time.Second - time.Since(lastKey))
			}
		}
		target := s.cfg.Bitrate
		for _, p := range s.peers {
			if p.connected && p.est != nil {
				target = min(target, p.est.GetTargetBitrate()/1000)
			}
		}
		s.mu.Unlock()
		if n == 0 {
			continue
		}
		// The slowest connected viewer sets the bitrate (one encoder feeds all).
		if enc != nil && target != bitrate {
			// Below the ceiling the network is the limit: cap keyframes too.
			capPct := 0
			if target < s.cfg.Bitrate {
				capPct = 600
			}
			enc.SetKeyframeCap(capPct)
			if err := enc.SetBitrate(target); err == nil {
				s.log.Debug("bitrate", "kbps", target)
				bitrate = target
				s.mu.Lock()
				s.stats.BitrateKbps = target
				s.mu.Unlock()
			}
		}
		// Bound the frame rate: under continuous change, wait out the interval.
		if wait := interval - time.Since(lastGrab); wait > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
		}
		lastGrab = time.Now()
		f, err := s.cfg.Source.Grab(display, cur)
		if err != nil {
			if grabErrs++; grabErrs == 1 || grabErrs%100 == 0 {
				s.log.Warn("screen capture failed", "err", err, "times", grabErrs)
			}
			if errors.Is(err, capture.ErrBadDisplay) {
				s.SetDisplay(0)
			}
			continue
		}
		grabErrs = 0
		// The display's place on the desktop (for input and the pointer):
		// asked again only when the display or its size changed.
		s.mu.Lock()
		stale := display != boundsOf || f.Rect.Size() != s.bounds.Size()
		s.mu.Unlock()
		if stale {
			if ds, err := s.cfg.Source.Displays(); err == nil && display < len(ds) {
				s.mu.Lock()
				s.bounds, boundsOf = ds[display], display
				s.mu.Unlock()
			}
		}
		w, h := f.Rect.Dx()&^1, f.Rect.Dy()&^1
		if enc == nil || func() bool { ew, eh := enc.Size(); return ew != w || eh != h }() {
			if enc != nil {
				enc.Close()
			}
			if enc, err = codec.NewVP8Encoder(w, h, bitrate, s.cfg.MaxFPS); err != nil {
				return err
			}
			key, prev = true, nil
		}
		changed := prev == nil || Changed(prev, f)
		now := time.Now()
		q := codec.Normal
		switch {
		case key || changed:
			refineC, refineDue = time.After(s.cfg.StillRefine), false
		case refineDue:
			q, refineDue = codec.Refine, false
		default:
			cur = f
			continue // still: send nothing
		}
		data, isKey, err := enc.Encode(cropEven(f, w, h), key, q)
		if err != nil {
			return err
		}
		if key {
			s.mu.Lock()
			s.keyReq = false
			s.mu.Unlock()
			lastKey = now
		}
		if err := s.track.WriteSample(media.Sample{Data: data, Duration: now.Sub(lastSample)}); err != nil {
			s.log.Debug("write sample", "err", err)
		}
		lastSample = now
		s.mu.Lock()
		s.stats.Frames++
		s.stats.Bytes += int64(len(data))
		if isKey {
			s.stats.Keyframes++
		}
		if q == codec.Refine {
			s.stats.Refines++
		}
		s.mu.Unlock()
		// Swap buffers: the frame just sent becomes the reference.
		cur, prev = prev, f
	}
}

// cropEven views f as w x h (the encoder needs even sizes).
func cropEven(f *codec.Frame, w, h int) *codec.Frame {
	if f.Rect.Dx() == w && f.Rect.Dy() == h {
		return f
	}
	return &codec.Frame{Pix: f.Pix, Stride: f.Stride, Rect: image.Rect(0, 0, w, h)}
}
