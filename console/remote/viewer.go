// Package remote is the technician's side of the media plane: it answers the
// agent's WebRTC offer, receives the screen as VP8, decodes it to RGBA frames
// and asks for a keyframe when the picture is broken. It holds no UI.
package remote

import (
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"

	"github.com/relaydesk/relaydesk/pkg/codec"
	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/rtc"
)

// Viewer receives one session's screen.
type Viewer struct {
	signal  func(kind string, payload []byte) error
	onFrame func(*image.RGBA)
	log     *slog.Logger

	mu sync.Mutex
	pc *webrtc.PeerConnection
	wg sync.WaitGroup

	statsMu sync.Mutex
	stats   Stats
}

// Stats counts what the viewer received.
type Stats struct {
	Frames, Bytes, Errors int64
	Relayed               bool
}

// NewViewer returns a viewer that answers offers through signal and hands
// every decoded frame to onFrame (on the viewer's goroutine; the image is
// reused, copy it to keep it).
func NewViewer(signal func(kind string, payload []byte) error, onFrame func(*image.RGBA), log *slog.Logger) *Viewer {
	if log == nil {
		log = slog.Default()
	}
	return &Viewer{signal: signal, onFrame: onFrame, log: log}
}

// HandleSignal takes a signalling message from the agent.
func (v *Viewer) HandleSignal(sig proto.Signal) error {
	if sig.Kind != rtc.KindOffer {
		return nil
	}
	var offer webrtc.SessionDescription
	if err := json.Unmarshal(sig.Payload, &offer); err != nil {
		return fmt.Errorf("remote: unreadable offer: %w", err)
	}
	api, err := rtc.NewAPI()
	if err != nil {
		return err
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return fmt.Errorf("remote: peer connection: %w", err)
	}
	v.mu.Lock()
	if v.pc != nil {
		v.pc.Close()
	}
	v.pc = pc
	v.mu.Unlock()
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if tr.Codec().MimeType != webrtc.MimeTypeVP8 {
			return
		}
		v.wg.Go(func() { v.receive(pc, tr) })
	})
	if err := pc.SetRemoteDescription(offer); err != nil {
		return fmt.Errorf("remote: remote description: %w", err)
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return fmt.Errorf("remote: answer: %w", err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return fmt.Errorf("remote: local description: %w", err)
	}
	select {
	case <-gathered:
	case <-time.After(5 * time.Second):
	}
	b, _ := json.Marshal(pc.LocalDescription())
	return v.signal(rtc.KindAnswer, b)
}

// receive reads the track, rebuilds frames, decodes and delivers them.
func (v *Viewer) receive(pc *webrtc.PeerConnection, tr *webrtc.TrackRemote) {
	dec, err := codec.NewVP8Decoder()
	if err != nil {
		v.log.Error("decoder", "err", err)
		return
	}
	defer dec.Close()
	sb := samplebuilder.New(256, &codecs.VP8Packet{}, 90000)
	var img *image.RGBA
	needKey := true
	pli := func() {
		pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(tr.SSRC())}})
	}
	for {
		pkt, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		sb.Push(pkt)
		for s := sb.Pop(); s != nil; s = sb.Pop() {
			key := len(s.Data) > 0 && s.Data[0]&0x01 == 0 // VP8 payload header: P bit 0 = keyframe
			if needKey && !key {
				continue
			}
			out, err := dec.Decode(s.Data, img)
			v.statsMu.Lock()
			v.stats.Bytes += int64(len(s.Data))
			if err != nil {
				v.stats.Errors++
			}
			v.statsMu.Unlock()
			if err != nil {
				needKey = true
				pli()
				continue
			}
			needKey = false
			if out == nil {
				continue
			}
			img = out
			v.statsMu.Lock()
			v.stats.Frames++
			v.statsMu.Unlock()
			v.onFrame(img)
		}
	}
}

// Stats returns the counters.
func (v *Viewer) Stats() Stats {
	v.statsMu.Lock()
	defer v.statsMu.Unlock()
	return v.stats
}

// Close ends the media connection and waits for the receiver.
func (v *Viewer) Close() error {
	v.mu.Lock()
	pc := v.pc
	v.pc = nil
	v.mu.Unlock()
	var err error
	if pc != nil {
		err = pc.Close()
	}
	v.wg.Wait()
	if errors.Is(err, webrtc.ErrConnectionClosed) {
		err = nil
	}
	return err
}
