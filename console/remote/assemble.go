package remote

import (
	"sort"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// assembler rebuilds VP8 frames from RTP packets and releases a frame as
// soon as its last packet (the marker) is in, instead of waiting for the
// next frame as pion's samplebuilder does: on a still screen the next frame
// may come much later, and the technician must see the change now.
type assembler struct {
	ts      uint32
	pkts    []*rtp.Packet
	marker  bool
	dropped bool // a frame was lost: the decoder needs a keyframe
}

// push adds a packet and returns a complete frame, or nil.
func (a *assembler) push(p *rtp.Packet) []byte {
	if len(a.pkts) > 0 && p.Timestamp != a.ts {
		if int32(p.Timestamp-a.ts) < 0 {
			return nil // a late packet of an older frame
		}
		a.reset()
		a.dropped = true // the previous frame never completed
	}
	a.ts = p.Timestamp
	a.pkts = append(a.pkts, p)
	a.marker = a.marker || p.Marker
	if !a.marker {
		return nil
	}
	sort.Slice(a.pkts, func(i, j int) bool { return int16(a.pkts[i].SequenceNumber-a.pkts[j].SequenceNumber) < 0 })
	for i := 1; i < len(a.pkts); i++ {
		if a.pkts[i].SequenceNumber == a.pkts[i-1].SequenceNumber {
			a.pkts = append(a.pkts[:i], a.pkts[i+1:]...) // duplicate
			i--
		} else if a.pkts[i].SequenceNumber != a.pkts[i-1].SequenceNumber+1 {
			return nil // a hole: wait for the retransmission
		}
	}
	if !a.pkts[len(a.pkts)-1].Marker {
		return nil
	}
	var frame []byte
	var vp8 codecs.VP8Packet
	for i, pk := range a.pkts {
		payload, err := vp8.Unmarshal(pk.Payload)
		if err != nil || (i == 0 && (vp8.S != 1 || vp8.PID != 0)) {
			a.reset()
			a.dropped = true
			return nil
		}
		frame = append(frame, payload...)
	}
	a.reset()
	return frame
}

func (a *assembler) reset() {
	a.pkts = a.pkts[:0]
	a.marker = false
}
