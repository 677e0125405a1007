package remote

import (
	"slices"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// maxWait is how long an incomplete frame waits for retransmitted packets
// (NACK) before it is given up and a keyframe is needed.
const maxWait = time.Second

// Limits of what an agent's stream can make the console hold: the end user
// is anonymous, so a frame that never ends must not grow without bound.
const (
	// maxAlone is how long a frame may keep arriving when no later frame
	// waits behind it: longer than maxWait, since a large keyframe on a
	// slow line takes seconds, but bounded.
	maxAlone = 4 * maxWait
	// maxFramePackets and maxFrameBytes bound one pending frame (a
	// 8192x8192 keyframe stays well under them at any sane bitrate).
	maxFramePackets = 4096
	maxFrameBytes   = 8 << 20
	// maxPending bounds the frames waiting at once.
	maxPending = 64
)

// assembler rebuilds VP8 frames from RTP packets. It releases a frame as
// soon as its last packet (the marker) and every packet before it are in,
// instead of waiting for the next frame as pion's samplebuilder does: on a
// still screen the next frame may come much later. Frames come out in
// order; while one waits for a retransmission, later ones wait behind it,
// up to maxWait. So does a frame after a gap in the sequence numbers (a
// whole frame lost, of which no packet came): decoded without it, the
// picture would go wrong where it changed and stay wrong, since what does
// not change again is never sent again. A keyframe needs nothing before it
// and never waits. A frame over maxFramePackets or maxFrameBytes, or alone
// for longer than maxAlone, is given up, and so are the oldest frames when
// more than maxPending wait.
type assembler struct {
	frames  map[uint32]*pending // by RTP timestamp
	order   []uint32            // timestamps of pending frames, oldest first
	lastOut uint32
	started bool
	dropped bool   // a frame was lost: the decoder needs a keyframe
	why     string // for the log: why the last frame was given up
	now     func() time.Time
	// nextSeq is the sequence number after the last frame out, when known
	// (seqKnown); outAt, when that frame came out or was given up.
	nextSeq  uint16
	seqKnown bool
	outAt    time.Time
}

type pending struct {
	pkts   []*rtp.Packet // in sequence order
	bytes  int
	marker bool // the last packet is in
	first  time.Time
}

func (a *assembler) clock() time.Time {
	if a.now != nil {
		return a.now()
	}
	return time.Now()
}

// seqBefore and tsBefore compare with wrap-around.
func seqBefore(x, y uint16) bool { return int16(x-y) < 0 }
func tsBefore(x, y uint32) bool  { return int32(x-y) < 0 }

// push adds a packet and returns the frames that became deliverable, oldest first.
func (a *assembler) push(p *rtp.Packet) [][]byte {
	if a.frames == nil {
		a.frames = make(map[uint32]*pending)
	}
	if a.started && int32(p.Timestamp-a.lastOut) <= 0 {
		return nil // a late duplicate or a packet of a frame already given up
	}
	now := a.clock()
	f := a.frames[p.Timestamp]
	if f == nil {
		f = &pending{first: now}
		a.frames[p.Timestamp] = f
		i, _ := slices.BinarySearchFunc(a.order, p.Timestamp, func(e, t uint32) int { return cmpBefore(tsBefore(e, t), tsBefore(t, e)) })
		a.order = slices.Insert(a.order, i, p.Timestamp)
	}
	i, _ := slices.BinarySearchFunc(f.pkts, p.SequenceNumber, func(e *rtp.Packet, s uint16) int {
		return cmpBefore(seqBefore(e.SequenceNumber, s), seqBefore(s, e.SequenceNumber))
	})
	f.pkts = slices.Insert(f.pkts, i, p)
	f.bytes += len(p.Payload)
	f.marker = f.marker || p.Marker
	var out [][]byte
	for len(a.order) > 0 {
		ts := a.order[0]
		head := a.frames[ts]
		var data []byte
		var complete, broken bool
		if head.marker {
			data, complete, broken = build(head.pkts)
		}
		age := now.Sub(head.first)
		// A whole frame before this one missing: the packets between the
		// last frame out and this one's first.
		gap := complete && a.seqKnown && head.pkts[0].SequenceNumber != a.nextSeq && (len(data) == 0 || data[0]&0x01 == 1)
		switch {
		case gap && now.Sub(a.outAt) <= maxWait && len(a.order) <= maxPending:
			return out // wait for the missing frame's retransmission
		case complete:
			if gap {
				a.dropped, a.why = true, "a frame lost whole" // the missing frame is given up
			}
			out = append(out, data)
			a.nextSeq, a.seqKnown = head.pkts[len(head.pkts)-1].SequenceNumber+1, true
		case broken, len(head.pkts) > maxFramePackets, head.bytes > maxFrameBytes, len(a.order) > maxPending,
			len(a.order) > 1 && age > maxWait, age > maxAlone:
			a.dropped, a.why = true, "a frame incomplete" // given up: the next frames need a keyframe first
			a.seqKnown = false
		default:
			return out // wait for the missing packets
		}
		delete(a.frames, ts)
		a.order = a.order[1:]
		a.lastOut, a.started, a.outAt = ts, true, now
	}
	return out
}

// cmpBefore turns two "before" answers into a comparison result.
func cmpBefore(before, after bool) int {
	switch {
	case before:
		return -1
	case after:
		return 1
	}
	return 0
}

// build joins a frame's packets (in sequence order) when they are all in.
func build(pkts []*rtp.Packet) (frame []byte, complete, broken bool) {
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
