package remote

import (
	"testing"
	"time"

	"github.com/pion/rtp"
)

// vp8Packets splits a frame into RTP packets as the sender does: a VP8
// payload descriptor (S bit on the first), marker on the last.
func vp8Packets(seq uint16, ts uint32, data []byte, size int) []*rtp.Packet {
	var out []*rtp.Packet
	for i := 0; i < len(data); i += size {
		end := min(i+size, len(data))
		desc := byte(0x00)
		if i == 0 {
			desc = 0x10 // S bit, partition 0
		}
		out = append(out, &rtp.Packet{
			Header:  rtp.Header{SequenceNumber: seq, Timestamp: ts, Marker: end == len(data)},
			Payload: append([]byte{desc}, data[i:end]...),
		})
		seq++
	}
	return out
}

func TestAssemblerReleasesOnMarkerAndWaitsForRetransmissions(t *testing.T) {
	now := time.Unix(0, 0)
	a := &assembler{now: func() time.Time { return now }}
	f1 := vp8Packets(10, 1000, []byte("frame-one-abcdef"), 5)
	f2 := vp8Packets(uint16(10+len(f1)), 4000, []byte("frame-two-ghijkl"), 5)

	// Complete frame: out at once, without waiting for the next one.
	var got [][]byte
	for _, p := range f1 {
		got = append(got, a.push(p)...)
	}
	if len(got) != 1 || string(got[0]) != "frame-one-abcdef" {
		t.Fatalf("got %q", got)
	}
	// Frame 2 loses a packet; frame 3 arrives complete but must wait behind it.
	f3 := vp8Packets(uint16(10+len(f1)+len(f2)), 7000, []byte("frame-three"), 5)
	for i, p := range f2 {
		if i != 1 {
			if out := a.push(p); len(out) != 0 {
				t.Fatalf("incomplete frame released: %q", out)
			}
		}
	}
	for _, p := range f3 {
		if out := a.push(p); len(out) != 0 {
			t.Fatalf("frame released ahead of an older one: %q", out)
		}
	}
	// The retransmission arrives: both come out, in order.
	got = a.push(f2[1])
	if len(got) != 2 || string(got[0]) != "frame-two-ghijkl" || string(got[1]) != "frame-three" || a.dropped {
		t.Fatalf("after retransmission: %q dropped=%v", got, a.dropped)
	}
	// A frame whose hole is never filled is given up after maxWait.
	f4 := vp8Packets(100, 10000, []byte("frame-four-xyz"), 5)
	f5 := vp8Packets(103, 13000, []byte("five"), 5)
	a.push(f4[0])
	a.push(f4[2])
	now = now.Add(maxWait + time.Millisecond)
	got = a.push(f5[0])
	if !a.dropped || len(got) != 1 || string(got[0]) != "five" {
		t.Fatalf("stale frame: %q dropped=%v", got, a.dropped)
	}
	// Late packets of the given-up frame are ignored.
	if out := a.push(f4[1]); len(out) != 0 {
		t.Fatalf("late packet produced %q", out)
	}
}
