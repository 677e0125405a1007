package share

import (
	"time"

	"github.com/relaydesk/relaydesk/pkg/rtc"
)

// linkCap holds one viewer's target near what actually reaches it, from
// the viewer's transport-wide feedback. Google congestion control alone
// raises its estimate without bound while the sender sends less than it
// and cuts only at 10 % loss: on a slow link the estimate then sits far
// above the link, and every keyframe or refine sent at it is lost. The
// rules, over windows of at least capWindow and capPackets reports:
//
//   - loss of capLoss or more: the cap falls to capBack of the rate that
//     arrived (once per capHold, while the losses of the old rate drain);
//   - loss under capClean: the cap may rise, by capGrowth a second, up to
//     capAbove the rate that arrived plus capMargin; while the sender
//     sends less (a still screen) it holds, neither rising nor falling;
//   - in between, or with too few reports: it holds.
type linkCap struct {
	kbps  int // the cap; 0: none yet (the ceiling)
	from  rtc.Delivery
	at    time.Time // when from was read; zero: never
	cutAt time.Time
	// For the log: what the last window saw, GCC's last estimate.
	loss         float64
	arrived, gcc int // kbit/s
}

const (
	capWindow    = 300 * time.Millisecond
	capMaxWindow = 2 * time.Second // a longer window (a still screen) starts over
	capPackets   = 20
	capLoss      = 0.05
	capClean     = 0.02
	capBack      = 0.85
	capHold      = time.Second
	capGrowth    = 1.25
	capAbove     = 1.5
	capMargin    = 100 // kbit/s
)

// estimate is what a viewer's congestion control tells (rtc.Estimator).
type estimate interface {
	DelayTarget() int      // bit/s; 0: none yet
	GetTargetBitrate() int // bit/s
	Delivery() rtc.Delivery
}

// target is the viewer's target at now (kbit/s): Google congestion
// control's delay-based estimate, held by the cap near what arrives. GCC's
// loss-based half is left out: it judges each 100 ms of feedback alone,
// and on a slow link (a few packets each) a lost packet or two cut it
// again and again (seen at 1 Mbit/s: from 600 to 200 kbit/s in 5 s at
// 3 % loss); the cap judges loss over longer windows instead.
func (c *linkCap) target(now time.Time, e estimate, ceiling int) int {
	c.gcc = e.DelayTarget() / 1000
	if c.gcc == 0 {
		c.gcc = e.GetTargetBitrate() / 1000
	}
	return min(c.gcc, c.update(now, e.Delivery(), ceiling))
}

// update reads the delivery counts d at now and returns the cap (kbit/s),
// never above ceiling nor below rtc.MinKbps.
func (c *linkCap) update(now time.Time, d rtc.Delivery, ceiling int) int {
	if c.kbps == 0 {
		c.kbps = ceiling
	}
	dt := now.Sub(c.at)
	switch {
	case c.at.IsZero() || dt > capMaxWindow:
		c.from, c.at = d, now
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
	c.from, c.at, c.loss, c.arrived = d, now, loss, int(arrived)
	switch {
	case loss >= capLoss && now.Sub(c.cutAt) >= capHold:
		c.kbps, c.cutAt = min(c.kbps, int(capBack*arrived)), now
	case loss < capClean:
		limit := int(capAbove*arrived) + capMargin
		if grown := int(float64(c.kbps) * (1 + (capGrowth-1)*dt.Seconds())); c.kbps < limit {
			c.kbps = min(grown, limit)
		}
	}
	c.kbps = max(rtc.MinKbps, min(c.kbps, ceiling))
	return c.kbps
}
