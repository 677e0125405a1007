package rtc

import (
	"testing"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// innerBWE stands in for Google congestion control: it passes packets on
// and keeps the feedback it was handed.
type innerBWE struct {
	fed   []rtcp.Packet
	usage string
}

func (b *innerBWE) AddStream(_ *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	return w
}
func (b *innerBWE) WriteRTCP(p []rtcp.Packet, _ interceptor.Attributes) error {
	b.fed = append(b.fed, p...)
	return nil
}
func (b *innerBWE) GetTargetBitrate() int           { return 1_000_000 }
func (b *innerBWE) OnTargetBitrateChange(func(int)) {}
func (b *innerBWE) GetStats() map[string]any {
	return map[string]any{"delayTargetBitrate": 640_000, "usage": b.usage}
}
func (b *innerBWE) Close() error { return nil }

// TestEstimatorCountsWhatArrives sends packets of known sizes with
// transport-wide sequence numbers, then feeds the viewer's feedback in
// both chunk kinds: the counts say what arrived and what was lost, a
// packet reported twice counts once, and the feedback reaches GCC.
func TestEstimatorCountsWhatArrives(t *testing.T) {
	inner := &innerBWE{}
	e := newEstimator(inner)
	info := &interceptor.StreamInfo{RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: transportCCURI, ID: 5}}}
	var wrote int
	w := e.AddStream(info, interceptor.RTPWriterFunc(func(*rtp.Header, []byte, interceptor.Attributes) (int, error) {
		wrote++
		return 0, nil
	}))
	var sent int64
	for seq := uint16(65534); seq != 4; seq++ { // 65534 .. 3: the numbers wrap
		h := &rtp.Header{Version: 2, SequenceNumber: seq}
		b, _ := (&rtp.TransportCCExtension{TransportSequence: seq}).Marshal()
		if err := h.SetExtension(5, b); err != nil {
			t.Fatal(err)
		}
		payload := make([]byte, 1000+int(seq%7))
		sent += int64(h.MarshalSize() + len(payload))
		if _, err := w.Write(h, payload, nil); err != nil {
			t.Fatal(err)
		}
	}
	if wrote != 6 || e.Delivery().SentBytes != sent {
		t.Fatalf("wrote %d packets, %d bytes counted; want 6, %d", wrote, e.Delivery().SentBytes, sent)
	}
	// 65534, 65535 received (run length); 0 lost, 1 received, 2 lost (vector).
	fb := &rtcp.TransportLayerCC{BaseSequenceNumber: 65534, PacketStatusCount: 5, PacketChunks: []rtcp.PacketStatusChunk{
		&rtcp.RunLengthChunk{PacketStatusSymbol: rtcp.TypeTCCPacketReceivedSmallDelta, RunLength: 2},
		&rtcp.StatusVectorChunk{SymbolSize: rtcp.TypeTCCSymbolSizeTwoBit, SymbolList: []uint16{
			rtcp.TypeTCCPacketNotReceived, rtcp.TypeTCCPacketReceivedLargeDelta, rtcp.TypeTCCPacketNotReceived,
			rtcp.TypeTCCPacketReceivedSmallDelta, rtcp.TypeTCCPacketReceivedSmallDelta, rtcp.TypeTCCPacketReceivedSmallDelta, rtcp.TypeTCCPacketReceivedSmallDelta,
		}},
	}}
	if err := e.WriteRTCP([]rtcp.Packet{fb, fb}, nil); err != nil {
		t.Fatal(err)
	}
	size := func(seq uint16) int64 { return int64(12 + 8 + 1000 + int(seq%7)) } // header with one extension
	d := e.Delivery()
	want := Delivery{SentBytes: sent, Received: 3, Lost: 2, ReceivedBytes: size(65534) + size(65535) + size(1)}
	if d != want {
		t.Fatalf("after the feedback: %+v, want %+v", d, want)
	}
	if len(inner.fed) != 2 {
		t.Fatalf("GCC got %d feedback packets, want 2", len(inner.fed))
	}
}

func TestEstimatorOverusing(t *testing.T) {
	inner := &innerBWE{usage: "normal"}
	e := newEstimator(inner)
	if e.Overusing() {
		t.Fatalf("Overusing with GCC's usage normal")
	}
	inner.usage = "overuse"
	if !e.Overusing() {
		t.Fatalf("not Overusing with GCC's usage overuse")
	}
}
