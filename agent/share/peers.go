package share

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/relaydesk/relaydesk/agent/capture"
	"github.com/relaydesk/relaydesk/agent/input"
	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/rtc"
)

type peer struct {
	est       *rtc.Estimator // nil until known
	link      linkCap        // the target, from what arrives and est's overuse
	kbps      int            // the last estimate logged
	id        int64
	granted   proto.Grant // what the end user allowed this technician
	channels  []string    // labels of the data channels opened for it
	connected bool        // media flows: worth encoding for
	pc        *webrtc.PeerConnection
	input     *input.Handler
	clip      *webrtc.DataChannel
	cursor    *webrtc.DataChannel
	draw      drawSender // nil: no drawing channel
	shapeSent uint32     // serial of the last cursor shape sent to this peer
}

// ErrClosed is returned by Join after Close.
var ErrClosed = errors.New("share: the sharer is closed")

// Join opens a peer connection to technician id and sends the offer. It
// opens only the channels the end user granted: the screen (and pointer)
// for PermView, the input channel (and the drawing channel, with an
// Overlay) for PermControl, the clipboard channel for PermClipboard. A
// grant without PermView opens nothing.
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
	if s.cfg.Overlay != nil && granted.Has(proto.PermControl) {
		dc, err := channel(proto.DrawChannel)
		if err != nil {
			return err
		}
		p.draw = dc
		dc.OnMessage(func(m webrtc.DataChannelMessage) { s.onDraw(p, m.Data) })
	}
	if s.cfg.Files != nil && granted.Has(proto.PermControl) {
		dc, err := channel(proto.FilesChannel)
		if err != nil {
			return err
		}
		s.cfg.Files(id, dc)
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
			s.joined()
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
	if viewOnly {
		s.lostControl(id, drawClearedCtl)
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
	if blocked {
		s.lostControl(id, drawClearedCtl)
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
	s.lostControl(id, drawClearedLeft)
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
	s.keyWant++
	s.mu.Unlock()
	s.poke()
}

// joined asks for a keyframe for a viewer that just connected (a second
// technician, the relay's recorder): it shows nothing until one arrives,
// so the loop sends it without waiting for the gap between keyframes.
func (s *Sharer) joined() {
	s.mu.Lock()
	s.keyWant++
	s.joinWant = s.keyWant
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
	s.keyWant++
	s.mu.Unlock()
	s.poke()
}
