package share

import (
	"time"

	"github.com/relaydesk/relaydesk/pkg/rtc"
)

// linkCap is one viewer's target, held near what actually reaches it
// (from the viewer's transport-wide feedback), with Google congestion
// control's overuse detector as the delay signal. pion's GCC alone raises
// its estimate without bound while the sender sends less than it and cuts
// only at 10 % loss: on a slow link the estimate sat far above the link,
// and every keyframe or refine sent at it was lost. Its loss-based half
// judges each 100 ms of feedback alone (on a slow link a lost packet or two
// cut it again and again: 600 to 200 kbit/s in 5 s at 3 % loss), and its
// delay-based half, once it cut, climbs back a few kbit/s at a time. The
// rules, over windows of at least capWindow and capPackets reports:
//
//   - loss of capLoss or more, or GCC seeing the delay grow (overuse) while
//     what arrives is at least capBusy of the target: the target falls to
//     capBack of the rate that arrived in that window or the one before
//     (since the last cut), whichever is more (once per capHold, while the
//     queue of the old rate drains). The window before counts because
//     losses come late: when motion stops, the tail of its queue is lost
//     in a window where the screen sends little, and a cut to what arrived
//     then took the target from 1243 to 211 kbit/s (the refine of the still
//     picture then crawled in slices for 4 s). Delay alone, while the sender sends far less
//     than its target (a still screen, a keyframe's burst after a quiet
//     spell), says nothing about the link: such a cut took a quiet viewer
//     from 8,000 to 170 kbit/s on loopback, and a still screen never brings
//     the target back up (only loss counts then);
//   - loss under capClean and no overuse: it may rise, by capGrowth a
//     second, up to capAbove the rate that arrived plus capMargin; while
//     the sender sends less (a still screen) it holds, neither rising nor
//     falling;
//   - otherwise, or with too few reports: it holds.
type linkCap struct {
	kbps    int // the target; 0: none yet (the ceiling)
	from    rtc.Delivery
	at      time.Time // when from was read; zero: never
	cutAt   time.Time
	overuse bool // GCC saw the delay grow during the window
	// For the log: what the last window saw.
	loss    float64
	arrived int // kbit/s
	// before: what arrived in the window before (kbit/s), if it came after
	// the last cut; 0: none.
	before int
}

const (
	capWindow    = 300 * time.Millisecond
	capMaxWindow = 2 * time.Second // a longer window (a still screen) starts over
	capPackets   = 20
	capLoss      = 0.05
	capClean     = 0.02
	capBack      = 0.85
	capBusy      = 0.5
	capHold      = time.Second
	capGrowth    = 1.25
	capAbove     = 1.2
	capMargin    = 100 // kbit/s
)

// estimate is what a viewer's congestion control tells (rtc.Estimator).
type estimate interface {
	Overusing() bool
	Delivery() rtc.Delivery
}

// target reads e at now and returns the viewer's target (kbit/s).
func (c *linkCap) target(now time.Time, e estimate, ceiling int) int {
	return c.update(now, e.Delivery(), e.Overusing(), ceiling)
}

// update reads the delivery counts d and GCC's delay signal at now and
// returns the target (kbit/s), never above ceiling nor below rtc.MinKbps.
func (c *linkCap) update(now time.Time, d rtc.Delivery, overusing bool, ceiling int) int {
	if c.kbps == 0 {
		c.kbps = ceiling
	}
	c.overuse = c.overuse || overusing
	dt := now.Sub(c.at)
	switch {
	case c.at.IsZero() || dt > capMaxWindow:
		c.from, c.at, c.overuse, c.before = d, now, overusing, 0
		return c.kbps
	case dt < capWindow:
		return c.kbps
	}
	got, lost := d.Received-c.from.Received, d.Lost-c.from.Lost
	if got+lost < capPackets {
		return c.kbps
	}
	loss := float64(lost) / float64(got+lost)
	arrived := float64(d.ReceivedBytes-c.from.ReceivedBytes) * 8 / 1000 / dt.Seconds() // kbit/s
	overuse, before := c.overuse, c.before
	c.from, c.at, c.overuse, c.loss, c.arrived, c.before = d, now, false, loss, int(arrived), int(arrived)
	switch {
	case (loss >= capLoss || overuse && arrived >= capBusy*float64(c.kbps)) && now.Sub(c.cutAt) >= capHold:
		c.kbps, c.cutAt, c.before = min(c.kbps, int(capBack*max(arrived, float64(before)))), now, 0
	case loss < capClean && !overuse:
		limit := int(capAbove*arrived) + capMargin
		if grown := int(float64(c.kbps) * (1 + (capGrowth-1)*dt.Seconds())); c.kbps < limit {
			c.kbps = min(grown, limit)
		}
	}
	c.kbps = max(rtc.MinKbps, min(c.kbps, ceiling))
	return c.kbps
}
