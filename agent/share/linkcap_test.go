package share

import (
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/rtc"
)

// feedback adds what a viewer reports over a window: packets of 1000
// bytes, got of them received and lost missing.
func feedback(d rtc.Delivery, got, lost int) rtc.Delivery {
	d.SentBytes += int64(got+lost) * 1000
	d.Received += int64(got)
	d.ReceivedBytes += int64(got) * 1000
	d.Lost += int64(lost)
	return d
}

// capFrom is a cap at kbps that read its first (empty) counts at t0.
func capFrom(kbps int) (c *linkCap, t0 time.Time) {
	c, t0 = &linkCap{kbps: kbps}, time.Unix(1000, 0)
	c.update(t0, rtc.Delivery{}, false, 8000)
	return c, t0
}

// kbpsOf is the rate of n 1000-byte packets over d.
func kbpsOf(n int, d time.Duration) int { return int(float64(n) * 8 / d.Seconds()) }

func TestLinkCapFallsOnLoss(t *testing.T) {
	var c linkCap
	t0 := time.Unix(1000, 0)
	var d rtc.Delivery
	if got := c.update(t0, d, false, 8000); got != 8000 {
		t.Fatalf("before any feedback the cap is %d, want the ceiling 8000", got)
	}
	// 500 ms: 125 packets arrived (2000 kbit/s), 25 lost (17 %).
	d = feedback(d, 125, 25)
	got := c.update(t0.Add(500*time.Millisecond), d, false, 8000)
	if want := int(capBack * float64(kbpsOf(125, 500*time.Millisecond))); got != want {
		t.Fatalf("after 17 %% loss the cap is %d, want %d (%.2f of what arrived)", got, want, capBack)
	}
	// The old rate's losses still come in: no second cut within capHold.
	d = feedback(d, 50, 25)
	if again := c.update(t0.Add(time.Second), d, false, 8000); again != got {
		t.Fatalf("a second loss report %s after the cut moved the cap to %d, want it held at %d", 500*time.Millisecond, again, got)
	}
	// Past capHold, losses cut again.
	d = feedback(d, 50, 25)
	if again := c.update(t0.Add(1600*time.Millisecond), d, false, 8000); again >= got {
		t.Fatalf("loss %s after the first cut left the cap at %d, want below %d", 1100*time.Millisecond, again, got)
	}
}

// Losses come late: when motion stops, the tail of its queue is lost in a
// window where the screen sends little. The cut then counts what arrived
// in the window before (since the last cut) too, not only the little that
// arrived in the quiet one.
func TestLinkCapLateLossCountsTheWindowBefore(t *testing.T) {
	c, t0 := capFrom(1200)
	var d rtc.Delivery
	d = feedback(d, 50, 1) // 400 ms of motion at 1000 kbit/s, clean
	c.update(t0.Add(400*time.Millisecond), d, false, 8000)
	d = feedback(d, 20, 4) // then 400 ms nearly still: 400 kbit/s, 17 % lost
	got := c.update(t0.Add(800*time.Millisecond), d, false, 8000)
	if want := int(capBack * float64(kbpsOf(50, 400*time.Millisecond))); got != want {
		t.Fatalf("loss as the motion stopped cut the target to %d, want %d (%.2f of what arrived while it moved)", got, want, capBack)
	}
	// The next cut counts only what arrived since this one: 400 kbit/s in
	// the window before it, not the motion's 1000.
	d = feedback(d, 20, 4)
	c.update(t0.Add(1200*time.Millisecond), d, false, 8000) // within capHold: held
	d = feedback(d, 20, 4)
	if got, want := c.update(t0.Add(1900*time.Millisecond), d, false, 8000), int(capBack*float64(kbpsOf(20, 400*time.Millisecond))); got != want {
		t.Fatalf("loss going on after the cut set the target to %d, want %d (what arrived since)", got, want)
	}
}

func TestLinkCapRisesSlowlyWhileClean(t *testing.T) {
	c, t0 := capFrom(800)
	var d rtc.Delivery
	// The sender used the whole cap (100 packets in a second) and nothing
	// was lost: the cap grows by capGrowth a second, not more.
	d = feedback(d, 100, 0)
	got := c.update(t0.Add(time.Second), d, false, 8000)
	if want := int(800 * capGrowth); got != want {
		t.Fatalf("after a clean second at the cap it is %d, want %d", got, want)
	}
	// However long it stays clean, never past capAbove what arrives.
	for i := 2; i <= 10; i++ {
		d = feedback(d, 100, 0)
		got = c.update(t0.Add(time.Duration(i)*time.Second), d, false, 8000)
	}
	if limit := int(capAbove*800) + capMargin; got != limit {
		t.Fatalf("after 10 clean seconds at 800 kbit/s the cap is %d, want %d", got, limit)
	}
}

func TestLinkCapHoldsWhileTheSenderSendsLess(t *testing.T) {
	c, t0 := capFrom(900)
	var d rtc.Delivery
	// A screen that changes little sends 400 kbit/s, clean: the cap
	// neither rises (nothing says the link takes more) nor falls
	// (nothing says it takes less).
	for i := 1; i <= 20; i++ {
		d = feedback(d, 25, 0)
		if got := c.update(t0.Add(time.Duration(i)*500*time.Millisecond), d, false, 8000); got != 900 {
			t.Fatalf("after %s of a screen that changes little the cap is %d, want 900 held", time.Duration(i)*500*time.Millisecond, got)
		}
	}
	// A long quiet spell, then one lossy burst: the window starts over
	// rather than average the burst over the quiet spell.
	d = feedback(d, 1, 1)
	c.update(t0.Add(time.Minute), d, false, 8000)
	d = feedback(d, 30, 10)
	if got, want := c.update(t0.Add(time.Minute+400*time.Millisecond), d, false, 8000), int(capBack*float64(kbpsOf(30, 400*time.Millisecond))); got != want {
		t.Fatalf("a lossy burst after a quiet minute set the cap to %d, want %d (from the burst alone)", got, want)
	}
}

func TestLinkCapWaitsForEnoughReports(t *testing.T) {
	c, t0 := capFrom(900)
	var d rtc.Delivery
	d = feedback(d, 5, 5) // 50 % loss, but of 10 packets
	if got := c.update(t0.Add(time.Second), d, false, 8000); got != 900 {
		t.Fatalf("10 reports moved the cap to %d, want it held at 900", got)
	}
	d = feedback(d, 5, 5) // with these, enough
	if got := c.update(t0.Add(2*time.Second), d, false, 8000); got >= 900 {
		t.Fatalf("20 reports at 50 %% loss left the cap at %d, want it lower", got)
	}
}

// TestLinkCapFollowsASlowLink runs a sender that sends what the cap allows
// into a 1000 kbit/s link (what exceeds it is lost) from an 8 Mbit/s
// start: within 3 s the cap is at the link, and from then on the sender
// sends neither far above the link nor far below it.
func TestLinkCapFollowsASlowLink(t *testing.T) {
	const link, step = 1000, 100 * time.Millisecond
	var c linkCap
	t0 := time.Unix(1000, 0)
	var d rtc.Delivery
	kbps := c.update(t0, d, false, 8000)
	var sum, n, most int
	for i := 1; i <= 200; i++ {
		sent := kbps * int(step/time.Millisecond) / 8000 // 1000-byte packets this step
		got := min(sent, link*int(step/time.Millisecond)/8000)
		d = feedback(d, got, sent-got)
		kbps = c.update(t0.Add(time.Duration(i)*step), d, false, 8000)
		if i > 30 {
			sum, n, most = sum+kbps, n+1, max(most, kbps)
		}
	}
	if mean := sum / n; mean < 700 || mean > 1100 || most > 1300 {
		t.Fatalf("on a 1000 kbit/s link the cap averaged %d kbit/s, at most %d; want 700-1100, at most 1300", mean, most)
	}
}

// gccSays is a viewer's congestion control with a fixed delay signal.
type gccSays struct {
	overuse bool
	d       rtc.Delivery
}

func (g *gccSays) Overusing() bool        { return g.overuse }
func (g *gccSays) Delivery() rtc.Delivery { return g.d }

// GCC's overuse (the delay on the path grows) cuts like loss does, once
// per capHold, even if it showed only for a moment of the window; and
// while it shows, the target does not rise.
func TestLinkCapTargetCutsOnGCCsOveruse(t *testing.T) {
	var c linkCap
	t0 := time.Unix(1000, 0)
	g := &gccSays{}
	c.target(t0, g, 8000)
	g.d = feedback(g.d, 100, 0)
	if got := c.target(t0.Add(time.Second), g, 8000); got != 8000 {
		t.Fatalf("a clean second at 800 kbit/s moved the target to %d, want the ceiling held", got)
	}
	// Overuse while far less than the target arrives (a quiet screen, a
	// keyframe's burst): delay alone does not cut.
	g.d = feedback(g.d, 25, 0)
	g.overuse = true
	c.target(t0.Add(1100*time.Millisecond), g, 8000)
	g.overuse = false
	g.d = feedback(g.d, 25, 0)
	if got := c.target(t0.Add(1500*time.Millisecond), g, 1000); got != 1000 {
		t.Fatalf("overuse while the sender sends less moved the target to %d, want 1000 held", got)
	}
	// Overuse while the target is nearly filled (800 of 1000 kbit/s arrive):
	// noted within the window, then the cut.
	g.d = feedback(g.d, 25, 0)
	g.overuse = true
	c.target(t0.Add(1600*time.Millisecond), g, 1000) // within the window: noted
	g.overuse = false
	g.d = feedback(g.d, 25, 0)
	if got, want := c.target(t0.Add(2000*time.Millisecond), g, 1000), int(capBack*float64(kbpsOf(50, 500*time.Millisecond))); got != want {
		t.Fatalf("after GCC saw overuse the target is %d, want %d (%.2f of what arrived)", got, want, capBack)
	}
	// Overuse again, clean of loss, after capHold: no rise, a cut.
	low := c.kbps
	g.overuse = true
	g.d = feedback(g.d, 70, 0)
	if got := c.target(t0.Add(3100*time.Millisecond), g, 1000); got >= low {
		t.Fatalf("overuse %s after the cut left the target at %d, want below %d", 1100*time.Millisecond, got, low)
	}
}
