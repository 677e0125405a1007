// Package remote is the technician's side of the media plane: it answers the
// agent's WebRTC offer, receives the screen as VP8, decodes it to RGBA frames
// and asks for a keyframe when the picture is broken. It holds no UI.
package remote

import (
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"log/slog"
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/relaydesk/relaydesk/pkg/codec"
	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/rtc"
)

// Viewer receives one session's screen.
type Viewer struct {
	signal  func(kind string, payload []byte) error
	onFrame func(*image.RGBA)
	log     *slog.Logger

	mu        sync.Mutex
	ice       []proto.ICEServer
	relayOnly bool
	pc        *webrtc.PeerConnection
	input     *webrtc.DataChannel
	clip      *webrtc.DataChannel
	onClip    func(string)
	onFiles   func(*webrtc.DataChannel)
	cursor    Cursor
	size      image.Point    // of the last decoded frame
	closed    bool           // Close ran: no new peer connection
	wg        sync.WaitGroup // receivers; Add only under mu while !closed
	draw      drawing        // the drawing channel (draw.go)

	statsMu      sync.Mutex
	stats        Stats
	timing       FrameTiming // of the last frame delivered
	lastSample   Stats
	lastSampleAt time.Time
}

// FrameTiming tells when the last frame delivered arrived: its first
// packet, the whole frame, and the decoded picture (handed on right after).
type FrameTiming struct {
	Received, Assembled, Decoded time.Time
}

// LastTiming returns the timing of the last frame delivered; called from
// the frame callback, that of the frame it is given.
func (v *Viewer) LastTiming() FrameTiming {
	v.statsMu.Lock()
	defer v.statsMu.Unlock()
	return v.timing
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
	v.mu.Lock()
	conf, closed := rtc.Configuration(v.ice, v.relayOnly), v.closed
	v.mu.Unlock()
	if closed {
		return ErrClosed
	}
	pc, err := api.NewPeerConnection(conf)
	if err != nil {
		return fmt.Errorf("remote: peer connection: %w", err)
	}
	v.mu.Lock()
	if v.closed { // Close ran meanwhile: this connection would outlive the viewer
		v.mu.Unlock()
		pc.Close()
		return ErrClosed
	}
	if v.pc != nil {
		v.pc.Close()
	}
	v.pc = pc
	v.mu.Unlock()
	pc.OnDataChannel(func(dc *webrtc.DataChannel) {
		switch dc.Label() {
		case proto.InputChannel:
			dc.OnOpen(func() {
				v.mu.Lock()
				v.input = dc
				v.mu.Unlock()
			})
		case proto.CursorChannel:
			dc.OnMessage(func(m webrtc.DataChannelMessage) {
				c, err := proto.DecodeCursor(m.Data)
				if err != nil {
					v.log.Warn("unreadable cursor message", "err", err)
					return
				}
				v.mu.Lock()
				v.cursor.X, v.cursor.Y, v.cursor.Visible = c.X, c.Y, c.Visible
				if c.RGBA != nil {
					img := image.NewRGBA(image.Rect(0, 0, c.W, c.H))
					copy(img.Pix, c.RGBA)
					v.cursor.Shape, v.cursor.Hot = img, image.Pt(c.HotX, c.HotY)
				}
				v.mu.Unlock()
			})
		case proto.DrawChannel:
			v.drawChannel(dc)
		case proto.FilesChannel:
			v.mu.Lock()
			cb := v.onFiles
			v.mu.Unlock()
			if cb != nil {
				cb(dc)
			}
		case proto.ClipboardChannel:
			dc.OnOpen(func() {
				v.mu.Lock()
				v.clip = dc
				v.mu.Unlock()
			})
			dc.OnMessage(func(m webrtc.DataChannelMessage) {
				c, err := proto.DecodeClipboard(m.Data)
				v.mu.Lock()
				cb := v.onClip
				v.mu.Unlock()
				if err == nil && cb != nil {
					cb(c.Text)
				}
			})
		}
	})
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if tr.Codec().MimeType != webrtc.MimeTypeVP8 {
			return
		}
		v.mu.Lock()
		defer v.mu.Unlock()
		if !v.closed {
			v.wg.Go(func() { v.receive(pc, tr) })
		}
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
	var asm assembler
	var img *image.RGBA
	needKey := true
	pli := func() {
		pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(tr.SSRC())}})
	}
	var ts uint32
	var first time.Time // when the first packet of timestamp ts came
	for {
		pkt, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		if now := time.Now(); first.IsZero() || pkt.Timestamp != ts {
			ts, first = pkt.Timestamp, now
		}
		frames := asm.push(pkt)
		if asm.dropped {
			asm.dropped = false
			needKey = true
			v.log.Debug("keyframe asked", "why", asm.why)
			pli()
		}
		for _, data := range frames {
			v.deliver(dec, &img, data, &needKey, pli, FrameTiming{Received: first, Assembled: time.Now()})
		}
	}
}

// deliver decodes one frame and hands it on.
func (v *Viewer) deliver(dec *codec.VP8Decoder, img **image.RGBA, data []byte, needKey *bool, pli func(), at FrameTiming) {
	key := data[0]&0x01 == 0 // VP8 frame tag: bit 0 clear = keyframe
	if *needKey && !key {
		return
	}
	out, err := dec.Decode(data, *img)
	v.statsMu.Lock()
	v.stats.Bytes += int64(len(data))
	if err != nil {
		v.stats.Errors++
	}
	v.statsMu.Unlock()
	if err != nil {
		*needKey = true
		pli()
		return
	}
	*needKey = false
	if out == nil {
		return
	}
	*img = out
	v.mu.Lock()
	v.size = out.Rect.Size()
	v.mu.Unlock()
	at.Decoded = time.Now()
	v.statsMu.Lock()
	v.stats.Frames++
	v.timing = at
	v.statsMu.Unlock()
	v.onFrame(out)
}

// SetICE sets the session's ICE servers (from Connected); relayOnly
// restricts ICE to them.
func (v *Viewer) SetICE(ice []proto.ICEServer, relayOnly bool) {
	v.mu.Lock()
	v.ice, v.relayOnly = ice, relayOnly
	v.mu.Unlock()
}

// Path is "direct" or "relayed" once the media connection is up, else "".
func (v *Viewer) Path() string {
	v.mu.Lock()
	pc := v.pc
	v.mu.Unlock()
	if pc == nil {
		return ""
	}
	return rtc.Path(pc)
}

// Report is what the technician sees about the stream.
type Report struct {
	FPS  float64
	Kbps float64
	RTT  time.Duration
	Path string // direct, relayed or "" (not connected)
}

// Sample reports the rates since the previous call.
func (v *Viewer) Sample() Report {
	v.mu.Lock()
	pc := v.pc
	v.mu.Unlock()
	v.statsMu.Lock()
	now, st := time.Now(), v.stats
	prev, at := v.lastSample, v.lastSampleAt
	v.lastSample, v.lastSampleAt = st, now
	v.statsMu.Unlock()
	var r Report
	if secs := now.Sub(at).Seconds(); !at.IsZero() && secs > 0 {
		r.FPS = float64(st.Frames-prev.Frames) / secs
		r.Kbps = float64(st.Bytes-prev.Bytes) * 8 / 1000 / secs
	}
	if pc != nil {
		r.Path, r.RTT = rtc.PathRTT(pc)
	}
	return r
}

// ErrNoControl means the input channel is not open (yet), or the agent
// offers none (view only).
var ErrNoControl = errors.New("remote: no input channel to the end user's computer")

// SendInput sends one input event to the agent.
func (v *Viewer) SendInput(in proto.Input) error {
	v.mu.Lock()
	dc := v.input
	v.mu.Unlock()
	if dc == nil {
		return ErrNoControl
	}
	b, err := proto.Marshal(&in)
	if err != nil {
		return err
	}
	return dc.Send(b)
}

// Cursor is the end user's pointer as the technician should draw it.
type Cursor struct {
	X, Y    float64 // normalised to the screen
	Visible bool
	Shape   *image.RGBA // nil until known
	Hot     image.Point
}

// Cursor returns the pointer's latest position and shape.
func (v *Viewer) Cursor() Cursor {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.cursor
}

// DrawCursor draws the pointer onto img (the remote screen's size).
func DrawCursor(img *image.RGBA, c Cursor) {
	if !c.Visible || c.Shape == nil {
		return
	}
	b := img.Rect
	x := int(c.X*float64(b.Dx()-1)+0.5) - c.Hot.X
	y := int(c.Y*float64(b.Dy()-1)+0.5) - c.Hot.Y
	draw.Draw(img, c.Shape.Rect.Add(image.Pt(x, y)), c.Shape, image.Point{}, draw.Over)
}

// OnClipboard sets the function that receives the end user's clipboard text.
func (v *Viewer) OnClipboard(f func(string)) {
	v.mu.Lock()
	v.onClip = f
	v.mu.Unlock()
}

// OnFilesChannel sets the function that takes each files channel the
// end user's app opens (console/client.Files.Attach); set it before the
// session connects.
func (v *Viewer) OnFilesChannel(f func(*webrtc.DataChannel)) {
	v.mu.Lock()
	v.onFiles = f
	v.mu.Unlock()
}

// SendClipboard puts text on the end user's clipboard.
func (v *Viewer) SendClipboard(text string) error {
	if len(text) > proto.MaxClipboard {
		return fmt.Errorf("remote: clipboard text of %d bytes is over the %d-byte limit", len(text), proto.MaxClipboard)
	}
	v.mu.Lock()
	dc := v.clip
	v.mu.Unlock()
	if dc == nil {
		return errors.New("remote: no clipboard channel to the end user's computer")
	}
	b, err := proto.Marshal(&proto.Clipboard{Text: text})
	if err != nil {
		return err
	}
	return dc.Send(b)
}

// ScreenSize is the remote display's size, from the last decoded frame;
// zero before the first.
func (v *Viewer) ScreenSize() image.Point {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.size
}

// Stats returns the counters.
func (v *Viewer) Stats() Stats {
	v.statsMu.Lock()
	defer v.statsMu.Unlock()
	return v.stats
}

// ErrClosed is returned by HandleSignal after Close.
var ErrClosed = errors.New("remote: the viewer is closed")

// Close ends the media connection and waits for the receiver. An offer
// arriving afterwards is refused with ErrClosed.
func (v *Viewer) Close() error {
	v.mu.Lock()
	v.closed = true
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
