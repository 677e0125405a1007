package remote

import (
	"sort"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// maxWait is how long an incomplete frame waits for retransmitted packets
// (NACK) before it is given up and a keyframe is needed.
const maxWait = time.Second

// assembler rebuilds VP8 frames from RTP packets. It releases a frame as
// soon as its last packet (the marker) and every packet before it are in,
// instead of waiting for the next frame as pion's samplebuilder does: on a
// still screen the next frame may come much later. Frames come out in
// order; while one waits for a retransmission, later ones wait behind it,
// up to maxWait.
type assembler struct {
	frames  map[uint32]*pending // by RTP timestamp
	order   []uint32            // timestamps in arrival order of their first packet
	lastOut uint32
	started bool
	dropped bool // a frame was lost: the decoder needs a keyframe
	now     func() time.Time
}

type pending struct {
	pkts  []*rtp.Packet
	first time.Time
}

func (a *assembler) clock() time.Time {
	if a.now != nil {
		return a.now()
	}
	return time.Now()
}

// push adds a packet and returns the frames that became deliverable, oldest first.
func (a *assembler) push(p *rtp.Packet) [][]byte {
	if a.frames == nil {
		a.frames = make(map[uint32]*pending)
	}
	if a.started && int32(p.Timestamp-a.lastOut) <= 0 {
		return nil // a late duplicate or a packet of a frame already given up
	}
	f := a.frames[p.Timestamp]
	if f == nil {
		f = &pending{first: a.clock()}
		a.frames[p.Timestamp] = f
		a.order = append(a.order, p.Timestamp)
		sort.Slice(a.order, func(i, j int) bool { return int32(a.order[i]-a.order[j]) < 0 })
	}
	f.pkts = append(f.pkts, p)
	var out [][]byte
	for len(a.order) > 0 {
		ts := a.order[0]
		head := a.frames[ts]
		data, complete, broken := build(head.pkts)
		switch {
		case complete:
			out = append(out, data)
		case broken || (len(a.order) > 1 && a.clock().Sub(head.first) > maxWait):
			a.dropped = true // given up: the next frames need a keyframe first
		default:
			return out // wait for the missing packets
		}
		delete(a.frames, ts)
		a.order = a.order[1:]
		a.lastOut, a.started = ts, true
	}
	return out
}

// build joins a frame's packets when they are all in.
func build(pkts []*rtp.Packet) (frame []byte, complete, broken bool) {
	sort.Slice(pkts, func(i, j int) bool { return int16(pkts[i].SequenceNumber-pkts[j].SequenceNumber) < 0 })
	if !pkts[len(pkts)-1].Marker {
		return nil, false, false
	}
	var vp8 codecs.VP8Packet
	var prev uint16
	for i, pk := range pkts {
		if i > 0 {
			if pk.SequenceNumber == prev {
				continue // duplicate (a retransmission of what we had)
			}
			if pk.SequenceNumber != prev+1 {
				return nil, false, false // a hole: wait for the retransmission
			}
		}
		prev = pk.SequenceNumber
		payload, err := vp8.Unmarshal(pk.Payload)
		if err != nil {
			return nil, false, true
		}
		if i == 0 && (vp8.S != 1 || vp8.PID != 0) {
			return nil, false, false // the first packet is still missing
		}
		frame = append(frame, payload...)
	}
	return frame, true, false
}
