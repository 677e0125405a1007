package rtc

import (
	"sync"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// Delivery is what one viewer's transport-wide feedback (TWCC) says of the
// media sent to it. The counts only grow: a reader takes differences
// between two readings.
type Delivery struct {
	SentBytes     int64 // media bytes (RTP header and payload) sent; retransmissions are not counted
	ReceivedBytes int64 // of those, the bytes of packets the viewer reported received
	Received      int64 // packets the viewer reported received
	Lost          int64 // packets the viewer reported missing
}

// Estimator is the sender's bandwidth estimator for one peer connection
// (Google congestion control) with the delivery counts beside it, so the
// sender can hold its target near what actually arrives.
type Estimator struct {
	cc.BandwidthEstimator

	mu    sync.Mutex
	sizes [1 << 16]uint16 // bytes of each packet not yet reported, by transport-wide sequence number
	d     Delivery
}

// transportCCURI names the transport-wide sequence number header extension.
const transportCCURI = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

func newEstimator(e cc.BandwidthEstimator) *Estimator { return &Estimator{BandwidthEstimator: e} }

// Delivery returns the counts so far.
func (e *Estimator) Delivery() Delivery {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.d
}

// Overusing says Google congestion control's delay detector sees the
// queue on the path grow (its "overuse"). A sender that sets its rate
// itself from the delivery counts takes this as its delay signal.
func (e *Estimator) Overusing() bool {
	u, _ := e.GetStats()["usage"].(string)
	return u == "overuse"
}

// AddStream implements cc.BandwidthEstimator: it notes the size of every
// packet under its transport-wide sequence number on the way out.
func (e *Estimator) AddStream(info *interceptor.StreamInfo, writer interceptor.RTPWriter) interceptor.RTPWriter {
	var id uint8
	for _, x := range info.RTPHeaderExtensions {
		if x.URI == transportCCURI {
			id = uint8(x.ID) //nolint:gosec // header extension IDs are 1-255
		}
	}
	return e.BandwidthEstimator.AddStream(info, interceptor.RTPWriterFunc(
		func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
			var ext rtp.TransportCCExtension
			if b := h.GetExtension(id); id != 0 && b != nil && ext.Unmarshal(b) == nil {
				n := min(h.MarshalSize()+len(payload), 1<<16-1)
				e.mu.Lock()
				e.sizes[ext.TransportSequence] = uint16(n) //nolint:gosec // bounded above
				e.d.SentBytes += int64(n)
				e.mu.Unlock()
			}
			return writer.Write(h, payload, a)
		}))
}

// WriteRTCP implements cc.BandwidthEstimator: it counts what the viewer's
// transport-wide feedback reports received and missing, then hands the
// feedback on. A packet counts once, at its first report.
func (e *Estimator) WriteRTCP(pkts []rtcp.Packet, a interceptor.Attributes) error {
	e.mu.Lock()
	for _, p := range pkts {
		if fb, ok := p.(*rtcp.TransportLayerCC); ok {
			eachStatus(fb, func(seq uint16, received bool) {
				n := e.sizes[seq]
				if n == 0 {
					return // not ours, or reported before
				}
				e.sizes[seq] = 0
				if received {
					e.d.Received++
					e.d.ReceivedBytes += int64(n)
				} else {
					e.d.Lost++
				}
			})
		}
	}
	e.mu.Unlock()
	return e.BandwidthEstimator.WriteRTCP(pkts, a)
}

// eachStatus calls f for every packet a feedback reports, in order.
func eachStatus(fb *rtcp.TransportLayerCC, f func(seq uint16, received bool)) {
	seq, left := fb.BaseSequenceNumber, int(fb.PacketStatusCount)
	for _, c := range fb.PacketChunks {
		switch c := c.(type) {
		case *rtcp.RunLengthChunk:
			for i := 0; i < int(c.RunLength) && left > 0; i++ {
				f(seq, c.PacketStatusSymbol != rtcp.TypeTCCPacketNotReceived)
				seq, left = seq+1, left-1
			}
		case *rtcp.StatusVectorChunk:
			for _, s := range c.SymbolList {
				if left == 0 {
					break
				}
				f(seq, s != rtcp.TypeTCCPacketNotReceived)
				seq, left = seq+1, left-1
			}
		}
	}
}
