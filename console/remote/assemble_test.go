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

// interFrame is a frame's data whose VP8 frame tag says "not a keyframe".
func interFrame(s string) []byte { return append([]byte{0x01}, s...) }

// A frame lost whole (not one of its packets came) is noticed from the
// gap in the sequence numbers: the frame after it waits for the
// retransmission, and both come out in order; never retransmitted, it is
// given up a second after the last frame came out (the decoder needs a
// keyframe: decoded without the lost frame, the picture would stay wrong
// where it changed). A keyframe after a gap needs nothing before it.
func TestAssemblerNoticesAWholeFrameLost(t *testing.T) {
	now := time.Unix(0, 0)
	a := &assembler{now: func() time.Time { return now }}
	f1 := vp8Packets(10, 1000, interFrame("one"), 100)
	f2 := vp8Packets(11, 4000, interFrame("two-in-two-packets"), 10)
	f3 := vp8Packets(13, 7000, interFrame("three"), 100)
	if out := a.push(f1[0]); len(out) != 1 {
		t.Fatalf("first frame: %q", out)
	}
	now = now.Add(30 * time.Millisecond)
	if out := a.push(f3[0]); len(out) != 0 || a.dropped {
		t.Fatalf("a frame after a whole lost one came out at once: %q (dropped %v)", out, a.dropped)
	}
	now = now.Add(100 * time.Millisecond)
	a.push(f2[1])
	out := a.push(f2[0])
	if len(out) != 2 || string(out[0][1:]) != "two-in-two-packets" || string(out[1][1:]) != "three" || a.dropped {
		t.Fatalf("after the retransmission: %q (dropped %v), want the lost frame, then the one behind it", out, a.dropped)
	}

	// Lost for good on a still screen: the tail probe 1.5 s later finds
	// the gap, waits no longer and is let out behind a keyframe request.
	f5 := vp8Packets(17, 13000, interFrame("probe"), 100) // frame 4 (15, 16) lost
	now = now.Add(1500 * time.Millisecond)
	if out := a.push(f5[0]); len(out) != 1 || !a.dropped {
		t.Fatalf("a frame 1.5 s after a whole lost one: %q (dropped %v), want it out and a keyframe asked for", out, a.dropped)
	}
	a.dropped = false

	// In motion: frames behind a lost one wait up to a second.
	f7 := vp8Packets(20, 19000, interFrame("seven"), 100) // frame 6 lost
	f8 := vp8Packets(21, 22000, interFrame("eight"), 100)
	now = now.Add(33 * time.Millisecond)
	a.push(f7[0])
	now = now.Add(900 * time.Millisecond)
	if out := a.push(f8[0]); len(out) != 0 || a.dropped {
		t.Fatalf("0.9 s after the last frame out: %q (dropped %v), want still waiting", out, a.dropped)
	}
	now = now.Add(200 * time.Millisecond)
	f9 := vp8Packets(22, 25000, interFrame("nine"), 100)
	if out := a.push(f9[0]); len(out) != 3 || !a.dropped {
		t.Fatalf("1.1 s after the last frame out: %d frames (dropped %v), want the three waiting and a keyframe asked for", len(out), a.dropped)
	}
	a.dropped = false

	// A keyframe after a gap goes at once.
	key := vp8Packets(30, 28000, []byte{0x00, 'k'}, 100)
	if out := a.push(key[0]); len(out) != 1 || a.dropped {
		t.Fatalf("a keyframe after a gap: %q (dropped %v), want it out at once", out, a.dropped)
	}
}
