package remote

import (
	"testing"
	"time"

	"github.com/pion/rtp"
)

func packet(seq uint16, ts uint32, size int, first bool) *rtp.Packet {
	desc := byte(0)
	if first {
		desc = 0x10
	}
	return &rtp.Packet{Header: rtp.Header{SequenceNumber: seq, Timestamp: ts}, Payload: append([]byte{desc}, make([]byte, size)...)}
}

// A frame whose marker never comes is given up at maxFramePackets, even
// when no other frame waits behind it.
func TestAssemblerCapsPacketsOfALoneFrame(t *testing.T) {
	now := time.Unix(0, 0)
	a := &assembler{now: func() time.Time { return now }}
	for i := range maxFramePackets + 10 {
		a.push(packet(uint16(i), 1000, 10, i == 0))
	}
	if !a.dropped || len(a.frames) > 1 {
		t.Fatalf("after %d packets without a marker: dropped=%v, %d frames pending", maxFramePackets+10, a.dropped, len(a.frames))
	}
	if f := a.frames[1000]; f != nil {
		t.Fatal("the endless frame is still pending")
	}
}

func TestAssemblerCapsBytesOfAFrame(t *testing.T) {
	a := &assembler{}
	for i := range 20 {
		a.push(packet(uint16(i), 1000, 1<<20, i == 0))
	}
	if !a.dropped || a.frames[1000] != nil {
		t.Fatalf("a frame of 20 MiB is still pending (dropped=%v)", a.dropped)
	}
}

// A lone frame that keeps trickling in is given up after maxAlone.
func TestAssemblerDropsALoneFrameAfterMaxAlone(t *testing.T) {
	now := time.Unix(0, 0)
	a := &assembler{now: func() time.Time { return now }}
	a.push(packet(1, 1000, 10, true))
	now = now.Add(maxAlone / 2)
	a.push(packet(2, 1000, 10, false))
	if a.dropped {
		t.Fatal("a frame still arriving within maxAlone was given up")
	}
	now = now.Add(maxAlone)
	a.push(packet(3, 1000, 10, false))
	if !a.dropped || a.frames[1000] != nil {
		t.Fatal("a lone frame older than maxAlone is still pending")
	}
}

func TestAssemblerCapsPendingFrames(t *testing.T) {
	now := time.Unix(0, 0)
	a := &assembler{now: func() time.Time { return now }}
	for i := range 1000 {
		a.push(packet(uint16(i*2), uint32(1000+i*3000), 10, false)) // every frame misses its first packet
	}
	if len(a.frames) > maxPending || len(a.order) != len(a.frames) {
		t.Fatalf("%d frames pending (%d in order), want at most %d", len(a.frames), len(a.order), maxPending)
	}
}

// A big frame whose packets arrive in reverse order is still assembled,
// and quickly (no sort of every packet on every push).
func TestAssemblerBigFrameOutOfOrder(t *testing.T) {
	data := make([]byte, 3000*1000)
	for i := range data {
		data[i] = byte(i)
	}
	pkts := vp8Packets(60000, 5000, data, 1000) // sequence numbers wrap
	a := &assembler{}
	start := time.Now()
	var out [][]byte
	for i := len(pkts) - 1; i >= 0; i-- {
		out = append(out, a.push(pkts[i])...)
	}
	if len(out) != 1 || len(out[0]) != len(data) || a.dropped {
		t.Fatalf("%d frames out, dropped=%v", len(out), a.dropped)
	}
	for i := range data {
		if out[0][i] != data[i] {
			t.Fatalf("byte %d differs", i)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("3000 packets took %v", d)
	}
}
