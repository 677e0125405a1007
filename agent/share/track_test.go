package share

import (
	"testing"
	"time"
)

// Each frame's RTP timestamp is the time since the first frame: a still
// spell shows between the frames it separates (not one frame later), and
// 100,000 frames a thirtieth of a second apart do not drift.
func TestScreenTrackStampsEachFrameWithItsTime(t *testing.T) {
	tr, err := newScreenTrack()
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]byte, 3000)                                    // three packets
	first := tr.packetize(frame, 33*time.Millisecond)[0].Timestamp // the first frame's gap does not matter
	stamp := func(gap time.Duration) uint32 {
		t.Helper()
		pkts := tr.packetize(frame, gap)
		if len(pkts) < 3 || !pkts[len(pkts)-1].Marker {
			t.Fatalf("a 3000-byte frame made %d packets", len(pkts))
		}
		for _, p := range pkts {
			if p.Timestamp != pkts[0].Timestamp {
				t.Fatal("the packets of one frame carry different timestamps")
			}
		}
		return pkts[0].Timestamp - first
	}
	if got := stamp(0); got != 0 {
		t.Fatalf("a frame with no gap is stamped %d ticks later", got)
	}
	for _, c := range []struct {
		gap  time.Duration
		want uint32 // ticks since the first frame
	}{{300 * time.Millisecond, 27000}, {1500 * time.Millisecond, 162000}, {time.Millisecond, 162090}} {
		if got := stamp(c.gap); got != c.want {
			t.Fatalf("a frame %v after the one before is stamped %d ticks after the first, want %d", c.gap, got, c.want)
		}
	}
	for range 100000 {
		stamp(time.Second / 30)
	}
	// Each gap is 2999.99997 ticks: stamped one by one they would lose
	// 100,000 ticks (1.1 s).
	if got, want := stamp(0), uint32(162090+100000*int64(time.Second/30)*vp8Clock/int64(time.Second)); got != want {
		t.Fatalf("after 100,000 frames at 30 a second: %d ticks, want %d", got, want)
	}
}
