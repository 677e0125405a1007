package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/console/remote"
)

// TestBreakdownMatchesTheFrameThatCarriedTheClick reads the agent's frame
// lines and splits one click into its steps: the frame matched is the one
// encoded after the press and before the viewer got the frame's first
// packet (which comes before the send returns), not the one before the
// press.
func TestBreakdownMatchesTheFrameThatCarriedTheClick(t *testing.T) {
	us := atMs
	log := strings.Join([]string{
		`time=x level=DEBUG msg=peer state=connected`,
		`time=x level=DEBUG msg=frame press=0 damage=` + us(-50) + ` grab=` + us(-49) + ` grabbed=` + us(-48) + ` convert_us=100 code_us=900 encoded=` + us(-47) + ` sent=` + us(-46) + ` bytes=10 blocks=1 key=false refine=false`,
		`time=x level=DEBUG msg=frame press=` + us(1) + ` damage=` + us(3) + ` grab=` + us(3.5) + ` grabbed=` + us(4) + ` convert_us=200 code_us=1800 encoded=` + us(6) + ` sent=` + us(7.2) + ` bytes=10 blocks=4 key=false refine=false`,
	}, "\n")
	stages := breakdownOfOne(t, log, 7, 7.5, 9, 10)
	want := map[string]float64{"inject": 1, "x_and_damage": 2, "wait": 0.5, "grab": 0.5, "convert": 0.2, "encode": 1.8,
		"packetize_send": 1, "receive_assemble": 0.5, "decode": 1.5, "display": 1}
	total := 0.0
	for _, st := range stages {
		if d := st.P50 - want[st.Stage]; d > 1e-9 || d < -1e-9 {
			t.Errorf("%s: %.3f ms, want %.3f", st.Stage, st.P50, want[st.Stage])
		}
		total += st.P50
	}
	if total < 9.999 || total > 10.001 {
		t.Fatalf("the steps add up to %.3f ms, the click took 10", total)
	}
}

// TestBreakdownWhileOtherThingsChange: a frame whose damage was first
// heard before the press (a window moving) counts no negative X-and-damage
// step: the time from the injection to the grab is all wait.
func TestBreakdownWhileOtherThingsChange(t *testing.T) {
	log := `time=x level=DEBUG msg=frame press=` + atMs(1) + ` damage=` + atMs(-5) + ` grab=` + atMs(9) + ` grabbed=` + atMs(10) +
		` convert_us=200 code_us=1800 encoded=` + atMs(12) + ` sent=` + atMs(12.5) + ` bytes=10 blocks=40 key=false refine=false q=56`
	stages := breakdownOfOne(t, log, 13, 13.5, 15, 16)
	for _, st := range stages {
		want := map[string]float64{"inject": 1, "x_and_damage": 0, "wait": 8}[st.Stage]
		if (st.Stage == "inject" || st.Stage == "x_and_damage" || st.Stage == "wait") && st.P50 != want {
			t.Errorf("%s: %.3f ms, want %.3f", st.Stage, st.P50, want)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// clickT0 is when the tests' click is sent.
var clickT0 = time.UnixMicro(1_000_000_000)

// atMs is ms after clickT0 in Unix microseconds, as the agent logs times.
func atMs(ms float64) string { return itoa(clickT0.UnixMicro() + int64(ms*1000)) }

// breakdownOfOne reads the agent's log and breaks down the click sent at
// clickT0 whose frame the viewer received, assembled and decoded at those
// milliseconds after it, and the probe saw at seen; the click must match a
// frame.
func breakdownOfOne(t *testing.T, log string, received, assembled, decoded, seen float64) []stage {
	t.Helper()
	var a agentFrames
	a.read(strings.NewReader(log))
	at := func(ms float64) time.Time { return clickT0.Add(time.Duration(ms * float64(time.Millisecond))) }
	c := click{sent: clickT0, seen: hit{at: at(seen), view: remote.FrameTiming{Received: at(received), Assembled: at(assembled), Decoded: at(decoded)}}}
	stages, n := a.breakdown([]click{c})
	if n != 1 {
		t.Fatalf("%d clicks matched, want 1", n)
	}
	return stages
}

// TestMeanQuantizerCountsNormalFrames averages the quantizer of the frames
// of normal quality in the window: not keyframes, not refines, not frames
// outside it, not frames whose quantizer the agent did not tell.
func TestMeanQuantizerCountsNormalFrames(t *testing.T) {
	t0 := time.UnixMicro(1_000_000_000)
	line := func(ms int64, key, refine bool, q string) string {
		return `time=x level=DEBUG msg=frame press=0 encoded=` + itoa(t0.UnixMicro()+ms*1000) + ` bytes=10 blocks=1 key=` +
			strconv.FormatBool(key) + ` refine=` + strconv.FormatBool(refine) + q
	}
	log := strings.Join([]string{
		line(-5, false, false, " q=60"), // before the window
		line(1, true, false, " q=50"),   // a keyframe
		line(2, false, false, " q=10"),
		line(3, false, true, " q=2"), // a refine
		line(4, false, false, " q=20"),
		line(5, false, false, " q=-1"),  // unknown
		line(6, false, false, ""),       // an agent that does not tell
		line(20, false, false, " q=63"), // after the window
	}, "\n")
	var a agentFrames
	a.read(strings.NewReader(log))
	if got := a.meanQuantizer(t0, t0.Add(10*time.Millisecond)); got != 15 {
		t.Fatalf("mean quantizer %.2f, want 15 (frames at 10 and 20)", got)
	}
	if got := a.meanQuantizer(t0.Add(time.Second), t0.Add(2*time.Second)); got != -1 {
		t.Fatalf("mean quantizer of no frames %.2f, want -1", got)
	}
}
