package share

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"time"

	"github.com/relaydesk/relaydesk/agent/capture"
	"github.com/relaydesk/relaydesk/pkg/codec"
)

// Clock tells the time and waits; the loop's tests inject a fake one.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Encoder is what the loop needs of a video encoder (codec.VP8Encoder).
type Encoder interface {
	// EncodeChanged encodes f, of which only the macroblocks in changed
	// differ from the frame before (nil: all may).
	EncodeChanged(f *codec.Frame, changed *codec.Blocks, key bool, q codec.Quality) ([]byte, bool, error)
	SetBitrate(kbps int) error
	SetKeyframeCap(pct int) error
	// SetFrameRate sets the frame rate each frame's share of the bitrate
	// is planned for.
	SetFrameRate(fps int) error
	Close()
}

// order is what the viewers want of the next frame.
type order struct {
	viewers int       // connected viewers: nothing is grabbed for none
	display int       // which display to capture
	kbps    int       // what the slowest viewer can take
	key     uint64    // the latest keyframe request not yet answered; 0: none
	press   time.Time // when a technician last pressed a button or key; zero: never
	join    bool      // a viewer that just connected waits for its first keyframe
}

// audience is the loop's view of the technicians (the Sharer).
type audience interface {
	order() order
	// keyframeSent says a keyframe answering requests up to key went out.
	keyframeSent(key uint64)
	// noSuchDisplay says the display to capture is gone.
	noSuchDisplay()
	// grabbed says the frame of display has this size.
	grabbed(display int, size image.Point)
	// sent counts a frame that went out.
	sent(f sentFrame)
}

// sentFrame describes one encoded frame, for the statistics and for the
// breakdown of a click's latency (clock times, zero when unknown).
type sentFrame struct {
	bytes, blocks int
	key, refine   bool
	bitrateKbps   int
	// damage: when the loop heard of the first change it carries;
	// grabStart, grabEnd, encoded, sent: when those steps ended.
	damage, grabStart, grabEnd, encoded, sent time.Time
	convert, code                             time.Duration // inside encoding, when the encoder tells
	quantizer                                 int           // libvpx's quantizer (0-63); -1: unknown
}

// timedEncoder is an Encoder that tells how long its last frame's colour
// conversion and coding took, and at which quantizer (codec.VP8Encoder).
type timedEncoder interface {
	Timing() (convert, code time.Duration)
	Quantizer() int
}

// loop is the capture-encode loop: it grabs what changed, encodes only
// those macroblocks, refines what changed once the screen is still, and
// hands the frames to send. One loop feeds every viewer.
type loop struct {
	src         capture.Source
	clock       Clock
	newEncoder  func(w, h, kbps, fps int) (Encoder, error)
	send        func(data []byte, d time.Duration) error
	aud         audience
	wake        <-chan struct{} // keyframe requests, display switches
	maxFPS      int
	bitrate     int // kbit/s ceiling
	stillRefine time.Duration
	log         *slog.Logger

	enc        Encoder
	encW, encH int
	damageSrc  capture.DamageGrabber // nil: grab whole frames and compare
	frame      *codec.Frame          // the last frame grabbed (for a damage source, kept up to date)
	spare      *codec.Frame          // the other buffer when comparing whole frames
	sinceRef   *codec.Blocks         // changed since the last refine
	pace       pacer
	budget     byteBudget
	lastKey    time.Time
	lastSample time.Time
	kbps       int
	keyBytes   int     // size of the last keyframe
	refineCost float64 // bytes per macroblock of the last refine slice; 0: none yet
	grabErrs   int
	display    int
	lastQ      codec.Quality
	// lastDamage: when damage was last heard; pressServed: the press whose
	// change last went past the frame-rate cap.
	lastDamage, pressServed time.Time
	lastChange              time.Time // when the last frame with changes was coded
}

// run loops until ctx ends or the encoder fails.
func (l *loop) run(ctx context.Context) error {
	var damaged <-chan struct{}
	n, notifier := l.src.(capture.Notifier)
	if notifier {
		damaged = n.Damaged()
	}
	// A notifier that cannot notify (X without the Damage extension) cannot
	// tell damage either: then frames are compared. A damage source that
	// does not notify (DXGI's dirty rectangles) is polled.
	if dg, ok := l.src.(capture.DamageGrabber); ok && (damaged != nil || !notifier) {
		l.damageSrc = dg
	}
	interval := time.Second / time.Duration(l.maxFPS)
	l.pace = pacer{rate: float64(l.maxFPS), burst: 2}
	l.kbps, l.display = l.bitrate, -1
	defer func() {
		if l.enc != nil {
			l.enc.Close()
		}
	}()
	var tick, refineC, keyC, paceC, probeC <-chan time.Time
	refineDue, probeDue := false, false
	probes := 0            // tail probes sent since the last frame
	var damageAt time.Time // first damage heard since the last grab
	for {
		if damaged == nil && tick == nil {
			tick = l.clock.After(interval) // no notifications: poll
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick:
			tick = nil
		case <-damaged:
			l.lastDamage = l.clock.Now()
			if damageAt.IsZero() {
				damageAt = l.lastDamage
			}
		case <-l.wake:
		case <-refineC:
			refineC, refineDue = nil, true
		case <-keyC:
			keyC = nil
		case <-paceC:
			paceC = nil
		case <-probeC:
			probeC, probeDue = nil, true
		}
		o := l.aud.order()
		if o.viewers == 0 {
			continue
		}
		now := l.clock.Now()
		// Below the ceiling the network is the limit.
		congested := o.kbps < l.bitrate
		// Keyframes are big: on a lossy link every loss asks for one, and a
		// stream of nothing but keyframes would never get through. The
		// requests that come meanwhile are answered by one keyframe when
		// the gap is over (the rest of the time, NACK repairs losses).
		// A viewer that just connected sees nothing until its keyframe: not
		// held to the gap.
		key := o.key != 0
		if gap := l.keyGap(o.kbps); key && !o.join && l.enc != nil && now.Sub(l.lastKey) < gap {
			key = false
			if keyC == nil {
				keyC = l.clock.After(gap - now.Sub(l.lastKey))
			}
		}
		// The frame-rate cap: a change after a quiet spell goes at once, a
		// burst of changes at most maxFPS a second. Meanwhile the damage
		// piles up and is grabbed in one go.
		wait := l.pace.wait(now)
		// A technician's press is answered past the cap: the change that
		// follows it goes at once, not in the next slot of a screen that
		// keeps moving (one frame a press, at most one each pressGap).
		press := wait > 0 && o.press.After(l.pressServed) && !l.lastDamage.Before(o.press) &&
			now.Sub(l.pressServed) >= pressGap
		if press {
			wait = 0
		}
		// Below the ceiling a frame the network cannot take yet waits (and
		// carries the changes since) rather than queue; a keyframe too,
		// since one sent into a full queue loses packets and is asked for
		// again. Not the first frame, nor the first of another display or
		// for a viewer that just connected: nothing shows until they
		// arrive; the frames after them pay.
		urgent := l.enc == nil || o.display != l.display || o.join
		if bw := l.budget.wait(now, o.kbps); congested && !urgent {
			wait = max(wait, bw)
		}
		if wait > 0 {
			if paceC == nil {
				paceC = l.clock.After(wait)
			}
			continue
		}
		l.adaptBitrate(o.kbps)
		t0 := l.clock.Now()
		f, changed, err := l.grab(o.display)
		if err != nil {
			if l.grabErrs++; l.grabErrs == 1 || l.grabErrs%100 == 0 {
				l.log.Warn("screen capture failed", "err", err, "times", l.grabErrs)
			}
			if errors.Is(err, capture.ErrBadDisplay) {
				l.aud.noSuchDisplay()
			}
			continue
		}
		l.grabErrs = 0
		t1 := l.clock.Now()
		damage := damageAt
		damageAt = time.Time{}
		l.aud.grabbed(o.display, f.Rect.Size())
		w, h := f.Rect.Dx()&^1, f.Rect.Dy()&^1
		if l.enc == nil || w != l.encW || h != l.encH {
			if err := l.openEncoder(w, h); err != nil {
				return err
			}
			key = true
		}
		q := codec.Normal
		var blocks *codec.Blocks
		probe := false
		alone := now.Sub(l.lastChange) >= 2*interval // (before this change counts)
		switch {
		case key:
			l.sinceRef.AddAll() // a keyframe at Normal quality: all of it wants refining
			refineC, refineDue = l.clock.After(l.stillRefine), false
		case !changed.Empty():
			blocks, l.lastChange = changed, now
			l.sinceRef.Union(changed)
			refineC, refineDue = l.clock.After(l.stillRefine), false
		case refineDue && !l.sinceRef.Empty():
			q, blocks, refineDue = codec.Refine, l.sinceRef, false
			if congested {
				// Near-lossless is big: in slices that each fit the
				// estimate, the next when the budget allows.
				blocks = l.sinceRef.Take(l.refineBlocks(o.kbps))
				if !l.sinceRef.Empty() {
					refineDue = true
					if paceC == nil {
						paceC = l.clock.After(0)
					}
				}
			}
		case probeDue:
			// A tail probe: every macroblock skipped, at the quality of
			// the frame before (so the encoder's settings stay as they are).
			q, blocks, probe = l.lastQ, l.blocksFor(f), true
		default:
			refineDue = false
			continue // still: send nothing
		}
		probeDue = false
		l.pace.take(now)
		if press {
			l.pressServed = o.press
		}
		l.enc.SetFrameRate(l.framePlan(q, key, alone, congested, blocks))
		data, isKey, err := l.enc.EncodeChanged(f, blocks, key, q)
		if err != nil {
			return fmt.Errorf("share: encode: %w", err)
		}
		done := l.clock.Now()
		sf := sentFrame{bytes: len(data), key: isKey, refine: q == codec.Refine && !probe, bitrateKbps: l.kbps,
			damage: damage, grabStart: t0, grabEnd: t1, encoded: done, quantizer: -1}
		if te, ok := l.enc.(timedEncoder); ok {
			sf.convert, sf.code = te.Timing()
			sf.quantizer = te.Quantizer()
		}
		if key {
			l.aud.keyframeSent(o.key)
			l.lastKey, l.keyBytes = now, len(data)
		}
		if q == codec.Refine && blocks.Count() > 0 {
			l.refineCost = float64(len(data)) / float64(blocks.Count())
		}
		sf.blocks = l.sinceRef.Count()
		if blocks != nil {
			sf.blocks = blocks.Count()
		}
		if q == codec.Refine && !congested && !probe {
			l.sinceRef.Clear()
		}
		// The time since the frame before advances the RTP timestamp:
		// never zero, or this frame would carry that one's timestamp and a
		// viewer would drop it as a duplicate.
		d := interval
		if !l.lastSample.IsZero() {
			d = max(done.Sub(l.lastSample), time.Millisecond)
		}
		l.budget.spend(done, o.kbps, len(data))
		if err := l.send(data, d); err != nil {
			l.log.Debug("write sample", "err", err)
		}
		l.lastSample, l.lastQ = done, q
		if probe {
			probes++
		} else {
			probes = 0
		}
		probeC = nil
		if probes < len(tailProbes) {
			wait := tailProbes[probes]
			if probes > 0 {
				wait -= tailProbes[probes-1]
			}
			probeC = l.clock.After(wait)
		}
		sf.sent = l.clock.Now()
		l.aud.sent(sf)
	}
}

// grab brings the frame up to date with display and returns the
// macroblocks that changed.
func (l *loop) grab(display int) (*codec.Frame, *codec.Blocks, error) {
	if display != l.display {
		l.frame, l.spare, l.display = nil, nil, display
	}
	if l.damageSrc != nil {
		f, rects, err := l.damageSrc.GrabDamage(display, l.frame)
		if err != nil {
			l.frame = nil
			return nil, nil, err
		}
		l.frame = f
		changed := l.blocksFor(f)
		for _, r := range rects {
			changed.Add(r)
		}
		return f, changed, nil
	}
	f, err := l.src.Grab(display, l.spare)
	if err != nil {
		return nil, nil, err
	}
	changed := l.blocksFor(f)
	if l.frame == nil || l.frame.Rect != f.Rect {
		changed.AddAll()
	} else {
		diffBlocks(l.frame, f, changed)
	}
	if !changed.Empty() {
		l.frame, l.spare = f, l.frame // the frame just grabbed becomes the reference
	} else {
		l.spare = f
	}
	return l.frame, changed, nil
}

// blocksFor returns an empty change set for frames of f's size.
func (l *loop) blocksFor(f *codec.Frame) *codec.Blocks {
	return codec.NewBlocks(f.Rect.Dx()&^1, f.Rect.Dy()&^1)
}

func (l *loop) openEncoder(w, h int) error {
	if l.enc != nil {
		l.enc.Close()
		l.enc = nil
	}
	enc, err := l.newEncoder(w, h, l.kbps, l.maxFPS)
	if err != nil {
		return fmt.Errorf("share: open the encoder for %dx%d: %w", w, h, err)
	}
	l.enc, l.encW, l.encH = enc, w, h
	l.sinceRef = codec.NewBlocks(w, h)
	l.capKeyframes()
	return nil
}

// tailProbes are when, after the last frame, a still screen sends an empty
// frame (every macroblock skipped: under a bit each, ~300 bytes at 720p).
// If the last frame before the stillness lost a packet for good, nothing
// would follow it: the viewer would wait for a retransmission that never
// comes and never learn that it needs a keyframe, and the picture would
// stay unsharp until the screen changed. A frame behind it tells (console/remote's assembler gives
// a frame up when it waited over a second with a later one behind it), as
// a tail-loss probe does for TCP: the first probe comes after that second,
// the second in case the first was lost too.
var tailProbes = [...]time.Duration{1500 * time.Millisecond, 5 * time.Second}

// pressGap is the least time between two frames that a technician's
// presses send past the frame-rate cap (a held key repeats).
const pressGap = 50 * time.Millisecond

// keyShare is the most of a congested link's estimate keyframes may take;
// refineSlice, how much of a second's estimate one refine slice may take
// (0.15 s slices, two back to back as the motion's queue drained, were lost
// on a 1 Mbit/s link with 200 ms of buffer in 4 of 12 runs, and the frame
// given up meant a keyframe and the whole screen refined again; 0.05 s
// slices: 10 of 10 sharp in 1.1-1.3 s); refineCostGuess, the bytes of a
// refined macroblock before one was measured.
const (
	keyShare        = 0.25
	refineSlice     = 0.05
	refineCostGuess = 400
)

// keyGap is the least time between two keyframes at kbps: a second, or
// longer when the last keyframe would otherwise take more than keyShare
// of the link.
func (l *loop) keyGap(kbps int) time.Duration {
	gap := time.Second
	if kbps < l.bitrate && l.keyBytes > 0 {
		send := time.Duration(float64(l.keyBytes) / (float64(max(kbps, 1)) * 125) * float64(time.Second))
		gap = max(gap, time.Duration(float64(send)/keyShare))
	}
	return gap
}

// refineBlocks is how many macroblocks one refine slice may hold at kbps.
func (l *loop) refineBlocks(kbps int) int {
	cost := l.refineCost
	if cost <= 0 {
		cost = refineCostGuess
	}
	return max(1, int(float64(kbps)*125*refineSlice/cost))
}

// coarseFPS is the frame rate motion, and below the ceiling all but small
// changes, are planned for: far above any real one, so each frame gets a
// sliver of the bitrate and comes out as small as the quantizer range
// allows (the refine sharpens what stops moving). Frames planned for the
// cap fill the bitrate: on a congested link they lose packets, and motion
// at the ceiling would take all of it (a moving window ~985 KB/s against
// ~600).
const coarseFPS = 1000

// smallChange is the most macroblocks a change planned for the cap below
// the ceiling may hold (a typed character takes 1-4): at the cap's share
// of the estimate, the ~10 such frames a second of typing take a third of it
// at most.
const smallChange = 64

// framePlan is the frame rate a frame of quality q coding blocks is
// planned for. A change that comes alone, two frame intervals or more after
// the last (a key typed, a click, a menu opening), is planned for the
// frame-rate cap at the ceiling, and a small one (typing) below it too: it
// comes out sharp at once. So is a refine at the ceiling. Changes that
// follow each other (motion), keyframes, and below the ceiling everything
// else are planned for coarseFPS.
func (l *loop) framePlan(q codec.Quality, key, alone, congested bool, blocks *codec.Blocks) int {
	small := blocks != nil && blocks.Count() <= smallChange
	if alone && q == codec.Normal && !key && (small || !congested) || q == codec.Refine && !congested {
		return l.maxFPS
	}
	return coarseFPS
}

// adaptBitrate follows the slowest viewer (one encoder feeds all).
func (l *loop) adaptBitrate(target int) {
	if l.enc == nil || target == l.kbps {
		return
	}
	if err := l.enc.SetBitrate(target); err == nil {
		l.log.Debug("bitrate", "kbps", target)
		l.kbps = target
		l.capKeyframes()
	}
}

// capKeyframes limits keyframes below the ceiling, where the network is the
// limit.
func (l *loop) capKeyframes() {
	capPct := 0
	if l.kbps < l.bitrate {
		capPct = 600
	}
	l.enc.SetKeyframeCap(capPct)
}
