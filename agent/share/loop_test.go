package share

import (
	"cmp"
	"context"
	"errors"
	"image"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/relaydesk/relaydesk/agent/capture"
	"github.com/relaydesk/relaydesk/pkg/codec"
)

// fakeClock is a clock that moves only when the test advances it.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, fakeTimer{c.now.Add(d), ch})
	return ch
}

// Advance lets the loop finish what it is doing, then moves the clock by d
// in steps of 1 ms, firing the timers due and letting the loop run after
// each step.
func (c *fakeClock) Advance(d time.Duration) {
	synctest.Wait()
	for end := c.Now().Add(d); c.Now().Before(end); {
		c.mu.Lock()
		c.now = c.now.Add(time.Millisecond)
		kept := c.timers[:0]
		for _, t := range c.timers {
			if t.at.After(c.now) {
				kept = append(kept, t)
			} else {
				t.ch <- c.now
			}
		}
		c.timers = kept
		c.mu.Unlock()
		synctest.Wait()
	}
}

// encoded is one frame the fake encoder was given.
type encoded struct {
	at      time.Time
	changed *codec.Blocks // nil: the whole frame
	key     bool
	q       codec.Quality
	fps     int // the frame rate it was planned for
}

type fakeEncoder struct {
	clock  *fakeClock
	size   int // bytes a frame; 0: 1
	refine int // bytes of a refine of the whole frame (a slice pays its share); 0: size
	mu     sync.Mutex
	frames []encoded
	fps    int // set by SetFrameRate
}

func (e *fakeEncoder) EncodeChanged(f *codec.Frame, changed *codec.Blocks, key bool, q codec.Quality) ([]byte, bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var c *codec.Blocks
	if changed != nil {
		c = changed.Clone()
	}
	e.frames = append(e.frames, encoded{e.clock.Now(), c, key, q, e.fps})
	n := max(1, e.size)
	if q == codec.Refine && changed != nil {
		n = max(1, cmp.Or(e.refine, n)*changed.Count()/(changed.Cols*changed.Rows)) // in proportion to what it covers
	}
	return make([]byte, n), key, nil
}
func (e *fakeEncoder) SetBitrate(int) error     { return nil }
func (e *fakeEncoder) SetKeyframeCap(int) error { return nil }
func (e *fakeEncoder) SetFrameRate(fps int) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.fps = fps
	return nil
}
func (e *fakeEncoder) Close() {}

// since returns the frames encoded from the n-th on.
func (e *fakeEncoder) since(n int) []encoded {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]encoded(nil), e.frames[n:]...)
}

func (e *fakeEncoder) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.frames)
}

// oneViewer is an audience of one connected viewer that asked for a
// keyframe, on a network that takes kbps (0: the ceiling, 8000).
type oneViewer struct {
	mu    sync.Mutex
	key   uint64
	join  bool // the keyframe request is a viewer's that just connected
	kbps  int
	press time.Time
	wake  chan struct{} // the loop's wake-up; nil: none
}

// joins asks for a keyframe as a viewer that just connected does.
func (a *oneViewer) joins() {
	a.mu.Lock()
	a.key++
	a.join = true
	a.mu.Unlock()
	a.wake <- struct{}{}
}

// pressed says a technician pressed a button or key at t.
func (a *oneViewer) pressed(t time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.press = t
}

// requestKeyframe asks for a keyframe, as a viewer's PLI does.
func (a *oneViewer) requestKeyframe() {
	a.mu.Lock()
	a.key++
	a.mu.Unlock()
	a.wake <- struct{}{}
}

func (a *oneViewer) order() order {
	a.mu.Lock()
	defer a.mu.Unlock()
	return order{viewers: 1, kbps: cmp.Or(a.kbps, 8000), key: a.key, press: a.press, join: a.join}
}
func (a *oneViewer) keyframeSent(k uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.key == k {
		a.key, a.join = 0, false
	}
}
func (a *oneViewer) noSuchDisplay()           {}
func (a *oneViewer) grabbed(int, image.Point) {}
func (a *oneViewer) sent(sentFrame)           {}

const refineAfter = 300 * time.Millisecond

// startLoop runs the loop over src in the test's bubble, until the test ends,
// and lets it send the first keyframe and refine it.
func startLoop(t *testing.T, src capture.Source) (*fakeClock, *fakeEncoder) {
	return startLoopOn(t, src, &oneViewer{key: 1}, 0)
}

// startLoopOn is startLoop for audience aud, with frames of size bytes.
func startLoopOn(t *testing.T, src capture.Source, aud audience, size int) (*fakeClock, *fakeEncoder) {
	return startLoopWith(t, src, aud, &fakeEncoder{size: size})
}

// startLoopWith is startLoop for audience aud and encoder enc.
func startLoopWith(t *testing.T, src capture.Source, aud audience, enc *fakeEncoder) (*fakeClock, *fakeEncoder) {
	clock := &fakeClock{now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	enc.clock = clock
	wake := make(chan struct{}, 1)
	if v, ok := aud.(*oneViewer); ok && v.wake != nil {
		wake = v.wake
	}
	l := &loop{
		src: src, clock: clock, aud: aud, wake: wake,
		newEncoder: func(w, h, kbps, fps int) (Encoder, error) { return enc, nil },
		send: func(_ []byte, d time.Duration) error {
			if d <= 0 {
				t.Errorf("a frame went out with duration %v: the next would carry its RTP timestamp and be dropped", d)
			}
			return nil
		},
		maxFPS: 30, bitrate: 8000, stillRefine: refineAfter,
		log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != context.Canceled {
			t.Errorf("loop ended with %v", err)
		}
	})
	if n, ok := src.(capture.Notifier); ok {
		n.(*capture.Synthetic).Paint(image.Rect(0, 0, 1, 1), 0x000001) // wakes the loop
	}
	clock.Advance(time.Second)
	// Below the ceiling the refine comes in slices, each when the budget
	// allows: wait for the last.
	for i := 0; i < 20 && !refined(enc.since(0)); i++ {
		clock.Advance(500 * time.Millisecond)
	}
	if fs := enc.since(0); !refined(fs) {
		t.Fatalf("start: encoded %+v, want a keyframe, then a refine of the whole screen", fs)
	}
	return clock, enc
}

// refined reports whether fs is a keyframe, then refines that cover the screen.
func refined(fs []encoded) bool {
	if len(fs) < 2 || !fs[0].key {
		return false
	}
	var all *codec.Blocks
	for _, f := range fs[1:] {
		if f.q != codec.Refine || f.changed == nil {
			return false
		}
		if all == nil {
			all = codec.NewBlocks(f.changed.Cols*codec.BlockSize, f.changed.Rows*codec.BlockSize)
		}
		all.Union(f.changed)
	}
	return all.Full()
}

func blocksOf(w, h int, rs ...image.Rectangle) *codec.Blocks {
	b := codec.NewBlocks(w, h)
	for _, r := range rs {
		b.Add(r)
	}
	return b
}

// A change after a quiet spell is encoded at once (not one frame interval
// later), and only its macroblocks.
func TestLoopLoneChangeGoesAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := capture.NewSynthetic(640, 480)
		clock, enc := startLoop(t, src)
		for i, r := range []image.Rectangle{image.Rect(100, 100, 120, 110), image.Rect(400, 300, 401, 301)} {
			n, t0 := enc.count(), clock.Now()
			src.Paint(r, 0xd02020)
			synctest.Wait()
			fs := enc.since(n)
			if len(fs) != 1 {
				t.Fatalf("change %d: %d frames encoded at once, want 1", i, len(fs))
			}
			if !fs[0].at.Equal(t0) {
				t.Fatalf("change %d encoded %v after it happened, want at once", i, fs[0].at.Sub(t0))
			}
			if fs[0].key || fs[0].q != codec.Normal || fs[0].changed == nil || !fs[0].changed.Equal(blocksOf(640, 480, r)) {
				t.Fatalf("change %d: encoded %+v, want only the macroblocks of %v", i, fs[0], r)
			}
			clock.Advance(2 * time.Second) // a quiet spell (and its refine)
		}
	})
}

// Frames are planned for the frame-rate cap (they fill the bitrate and
// come out sharp) when a change comes alone and is small (typing), or comes
// alone at the ceiling (a menu opening), and refines at the ceiling; for
// coarseFPS (each frame as small as it can be) when changes follow each
// other (motion), and a large change below the ceiling.
func TestLoopPlansFramesForTheLink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := capture.NewSynthetic(640, 480)
		aud := &oneViewer{key: 1, wake: make(chan struct{}, 1)}
		clock, enc := startLoopOn(t, src, aud, 0)
		for _, kbps := range []int{8000, 7999, 8000} {
			aud.mu.Lock()
			aud.kbps = kbps
			aud.mu.Unlock()
			ceiling := kbps == 8000
			n := enc.count()
			for i := range 5 { // typing: a key each 100 ms
				src.Paint(image.Rect(10*i, 0, 10*i+8, 8), 0x808080)
				clock.Advance(100 * time.Millisecond)
			}
			src.Paint(image.Rect(100, 100, 300, 300), 0x404040) // a dialog
			clock.Advance(time.Second)                          // and its refine
			motion := clock.Now()
			paintBurst(src, clock, 100) // half a second of motion
			clock.Advance(time.Second)  // still: the refine
			fs := enc.since(n)
			var got, want []int
			first := true
			for _, f := range fs {
				got = append(got, f.fps)
				sharp := false
				switch {
				case f.q == codec.Refine:
					sharp = ceiling
				case f.changed.Count() > smallChange: // the dialog
					sharp = ceiling
				case f.at.Before(motion): // a key
					sharp = true
				default: // motion: its first frame comes after a pause
					sharp, first = first, false
				}
				want = append(want, map[bool]int{true: 30, false: coarseFPS}[sharp])
			}
			if normal, _ := normalFrames(fs); len(normal) < 20 || first {
				t.Fatalf("at %d kbit/s: encoded %+v, want 5 keys, a dialog and ~15 frames of motion", kbps, fs)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("at %d kbit/s (ceiling 8000), typing, a dialog, motion and refines were planned for %v frames a second, want %v", kbps, got, want)
			}
		}
	})
}

// A burst of changes is encoded at most 30 times a second (plus the burst
// of two the pacer allows), and nothing painted is lost.
func TestLoopBurstIsCapped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := capture.NewSynthetic(640, 480)
		clock, enc := startLoop(t, src)
		n := enc.count()
		painted := paintBurst(src, clock, 200) // one second
		normal, got := normalFrames(enc.since(n))
		if len(normal) > 30+2 || len(normal) < 25 {
			t.Fatalf("a one-second burst of 200 changes made %d frames, want about 30", len(normal))
		}
		for i := 2; i+1 < len(normal); i++ { // after the first two, which may go back to back
			if gap := normal[i+1].at.Sub(normal[i].at); gap < 30*time.Millisecond {
				t.Fatalf("frames %d and %d of a burst %v apart, want the cap of 1/30 s", i, i+1, gap)
			}
		}
		if want := blocksOf(640, 480, painted...); !got.Equal(want) {
			t.Fatalf("the burst's frames coded %d macroblocks, the paints touched %d", got.Count(), want.Count())
		}
	})
}

// The refine after a still moment covers exactly the macroblocks changed
// since the last refine, and a still screen is not refined again.
func TestLoopRefinesOnlyWhatChanged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := capture.NewSynthetic(640, 480)
		clock, enc := startLoop(t, src)
		a, b := image.Rect(10, 10, 50, 30), image.Rect(300, 200, 340, 250)
		n := enc.count()
		src.Paint(a, 0x2040d0)
		clock.Advance(100 * time.Millisecond)
		src.Paint(b, 0x20c040)
		clock.Advance(refineAfter - time.Millisecond)
		if fs := enc.since(n); len(fs) != 2 || fs[0].q != codec.Normal || fs[1].q != codec.Normal {
			t.Fatalf("before the still moment: encoded %+v, want the two changes only", fs)
		}
		clock.Advance(time.Millisecond)
		fs := enc.since(n + 2)
		if len(fs) != 1 || fs[0].q != codec.Refine {
			t.Fatalf("after %v still: encoded %+v, want one refine", refineAfter, fs)
		}
		if want := blocksOf(640, 480, a, b); fs[0].changed == nil || !fs[0].changed.Equal(want) {
			t.Fatalf("the refine covered %v, want %v", fs[0].changed.Rects(640, 480), want.Rects(640, 480))
		}
		clock.Advance(time.Minute)
		for _, f := range enc.since(n + 3) {
			if !isProbe(f) {
				t.Fatalf("a still, refined screen encoded %+v, want nothing but empty probes", f)
			}
		}
	})
}

// isProbe reports whether f is a tail probe: a frame that codes nothing.
func isProbe(f encoded) bool { return !f.key && f.changed != nil && f.changed.Empty() }

// After the last frame a still screen sends two empty frames, 1.5 s and
// 5 s after it, and then nothing: should the last frame have lost a packet
// for good, the viewer learns it from the frame behind it and asks for a
// keyframe. A change in between starts the count again.
func TestLoopProbesTheTailOfAStillSpell(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := capture.NewSynthetic(640, 480)
		clock, enc := startLoop(t, src)
		clock.Advance(time.Minute) // the start's probes
		n := enc.count()
		src.Paint(image.Rect(10, 10, 50, 30), 0x2040d0)
		clock.Advance(time.Minute)
		fs := enc.since(n)
		if len(fs) != 4 || fs[0].q != codec.Normal || fs[1].q != codec.Refine || !isProbe(fs[2]) || !isProbe(fs[3]) {
			t.Fatalf("a change and a still minute: encoded %+v, want the change, its refine and two probes", fs)
		}
		refined := fs[1].at
		if d := fs[2].at.Sub(refined); d != 1500*time.Millisecond {
			t.Fatalf("the first probe came %v after the last frame, want 1.5 s", d)
		}
		if d := fs[3].at.Sub(refined); d != 5*time.Second {
			t.Fatalf("the second probe came %v after the last frame, want 5 s", d)
		}
		if fs[2].q != codec.Refine {
			t.Fatalf("a probe after a refine went at %v: the encoder's quantizers would change twice for nothing", fs[2].q)
		}

		// A change after the first probe: two probes after it again.
		n = enc.count()
		src.Paint(image.Rect(100, 100, 120, 110), 0xd02020)
		clock.Advance(2 * time.Second) // change, refine, first probe
		src.Paint(image.Rect(200, 100, 220, 110), 0xd02020)
		clock.Advance(time.Minute)
		var probes int
		for _, f := range enc.since(n) {
			if isProbe(f) {
				probes++
			}
		}
		if probes != 3 {
			t.Fatalf("two changes 2 s apart, then a still minute: %d probes, want 3 (one between, two after)", probes)
		}
	})
}

// plainSource hides the synthetic screen's damage reports: the loop must
// find the change by comparing frames.
type plainSource struct{ capture.Source }

// Sources that do not notify are polled: one that reports no damage is
// compared frame to frame, one that does (DXGI's dirty rectangles) is
// grabbed where it says; either way only the changed macroblocks are coded.
func TestLoopPollsSourcesThatDoNotNotify(t *testing.T) {
	for name, wrap := range map[string]func(*capture.Synthetic) capture.Source{
		"compared":      func(s *capture.Synthetic) capture.Source { return plainSource{s} },
		"damage polled": func(s *capture.Synthetic) capture.Source { return pollingDamage{s} },
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				src := capture.NewSynthetic(640, 480)
				clock, enc := startLoop(t, wrap(src))
				n := enc.count()
				src.Grabbed()
				r := image.Rect(200, 40, 230, 41)
				src.Paint(r, 0xffffff)
				clock.Advance(40 * time.Millisecond) // the next poll
				fs := enc.since(n)
				if len(fs) != 1 || fs[0].changed == nil || !fs[0].changed.Equal(blocksOf(640, 480, r)) {
					t.Fatalf("encoded %+v, want one frame of the changed macroblocks", fs)
				}
				if g := src.Grabbed(); name == "damage polled" && (len(g) != 1 || g[0] != r) {
					t.Fatalf("grabbed %v, want only %v", g, r)
				}
			})
		})
	}
}

// On a network slower than the ceiling, frames that would overdraw the
// estimated bitrate wait instead of queueing: a burst of changes makes
// only as many frames as the link takes, and together they still carry
// every change.
func TestLoopKeepsWithinTheEstimate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := capture.NewSynthetic(640, 480)
		// 400 kbit/s is 50,000 bytes a second: ten frames of 5,000 bytes.
		clock, enc := startLoopOn(t, src, &oneViewer{key: 1, kbps: 400}, 5000)
		n := enc.count()
		painted := paintBurst(src, clock, 400) // two seconds
		clock.Advance(200 * time.Millisecond)  // what the last frame owes
		normal, got := normalFrames(enc.since(n))
		if frames := len(normal); frames > 22 || frames < 15 {
			t.Fatalf("2 s of changes at 400 kbit/s made %d frames of 5,000 bytes, want about 20", frames)
		}
		if want := blocksOf(640, 480, painted...); !got.Equal(want) {
			t.Fatalf("the frames coded %d macroblocks, the paints touched %d", got.Count(), want.Count())
		}
	})
}

// paintBurst paints n small rectangles on src, one every 5 ms, and returns them.
func paintBurst(src *capture.Synthetic, clock *fakeClock, n int) []image.Rectangle {
	var painted []image.Rectangle
	for i := range n {
		r := image.Rect(i*3%600, i*7%440, i*3%600+20, i*7%440+20)
		painted = append(painted, r)
		src.Paint(r, uint32(0x101010*(i%15+1)))
		clock.Advance(5 * time.Millisecond)
	}
	return painted
}

// normalFrames picks the frames of normal quality (not refines) and the
// macroblocks they coded together.
func normalFrames(fs []encoded) ([]encoded, *codec.Blocks) {
	var normal []encoded
	got := codec.NewBlocks(640, 480)
	for _, f := range fs {
		if f.q == codec.Normal {
			normal = append(normal, f)
			got.Union(f.changed)
		}
	}
	return normal, got
}

// pollingDamage is a damage source that does not notify (as DXGI's dirty
// rectangles): polled, it still codes only what it reports.
type pollingDamage struct{ s *capture.Synthetic }

func (p pollingDamage) Displays() ([]image.Rectangle, error) { return p.s.Displays() }
func (p pollingDamage) Grab(i int, dst *codec.Frame) (*codec.Frame, error) {
	return nil, errors.New("a damage source is not grabbed whole")
}
func (p pollingDamage) GrabDamage(i int, dst *codec.Frame) (*codec.Frame, []image.Rectangle, error) {
	return p.s.GrabDamage(i, dst)
}
func (p pollingDamage) Close() error { return nil }

// On a slow network a keyframe waits for what earlier frames owe (sent
// into a full queue it would lose packets and be asked for again), then
// goes before anything else, carrying the changes that waited.
func TestLoopKeyframeWaitsForTheLink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := capture.NewSynthetic(640, 480)
		aud := &oneViewer{key: 1, kbps: 400, wake: make(chan struct{}, 1)}
		clock, enc := startLoopOn(t, src, aud, 20000) // each frame 0.4 s of the link
		clock.Advance(2 * time.Second)                // the keyframe gap is over, the budget full
		n := enc.count()
		t0 := clock.Now()
		src.Paint(image.Rect(0, 0, 8, 8), 0xffffff)
		synctest.Wait()
		src.Paint(image.Rect(100, 0, 108, 8), 0xffffff)
		aud.requestKeyframe()
		synctest.Wait()
		if fs := enc.since(n); len(fs) != 1 || fs[0].key {
			t.Fatalf("a change, then another and a keyframe request, on a link that takes one frame: encoded %+v, want the first change only", fs)
		}
		clock.Advance(time.Second)
		fs := enc.since(n + 1)
		if len(fs) == 0 || !fs[0].key {
			t.Fatalf("after what the first frame owes: encoded %+v, want a keyframe next (carrying the second change)", fs)
		}
		// 20,000 bytes at 50,000 a second, less the 5,000 that may burst.
		if d := fs[0].at.Sub(t0); d < 250*time.Millisecond || d > 450*time.Millisecond {
			t.Fatalf("the keyframe went %v after the frame before it, want about 300 ms (what that frame owed)", d)
		}
	})
}

// A viewer whose frames keep being given up asks for a keyframe again and
// again: below the ceiling they are answered by one keyframe per gap, a
// gap long enough that keyframes take at most a quarter of the link; and
// the last request is still answered.
func TestLoopKeyframeRequestsDoNotStorm(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := capture.NewSynthetic(640, 480)
		aud := &oneViewer{key: 1, kbps: 400, wake: make(chan struct{}, 1)}
		clock, enc := startLoopOn(t, src, aud, 20000) // a keyframe is 0.4 s of the link: one per 1.6 s
		clock.Advance(2 * time.Second)
		n := enc.count()
		for range 30 { // 3 s of requests
			aud.requestKeyframe()
			clock.Advance(100 * time.Millisecond)
		}
		var keys []time.Time
		for _, f := range enc.since(n) {
			if f.key {
				keys = append(keys, f.at)
			}
		}
		if len(keys) != 2 {
			t.Fatalf("30 requests in 3 s on a link where a keyframe takes 0.4 s: %d keyframes %v, want 2 (one per 1.6 s)", len(keys), keys)
		}
		if gap := keys[1].Sub(keys[0]); gap < 1600*time.Millisecond {
			t.Fatalf("keyframes %v apart, want 1.6 s at least", gap)
		}
		clock.Advance(2 * time.Second)
		if o := aud.order(); o.key != 0 {
			t.Fatalf("the last keyframe request was never answered")
		}
	})
}

// Below the ceiling the refine of what changed goes in slices that each fit a share of the estimate, one after another
// as the budget allows, until all of it is sharp.
func TestLoopRefinesInSlicesOnACongestedLink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := capture.NewSynthetic(640, 480)
		aud := &oneViewer{key: 1, kbps: 400, wake: make(chan struct{}, 1)}
		// 400 kbit/s is 50,000 bytes a second; a refine of the whole screen
		// 120,000 bytes (100 a macroblock): a slice of refineSlice (0.05 s)
		// holds 25.
		clock, enc := startLoopWith(t, src, aud, &fakeEncoder{size: 5000, refine: 120000})
		clock.Advance(2 * time.Second)
		n := enc.count()
		area := image.Rect(0, 0, 320, 240) // 300 macroblocks
		src.Paint(area, 0x336699)
		clock.Advance(3 * time.Second)
		fs := enc.since(n)
		if len(fs) == 0 || fs[0].q != codec.Normal {
			t.Fatalf("a change: encoded %+v, want a frame of normal quality first", fs)
		}
		all := codec.NewBlocks(640, 480)
		var bytes int
		for i, f := range fs[1:] {
			if f.q != codec.Refine {
				t.Fatalf("frame %d after the change: %+v, want refines only", i+1, f)
			}
			if c, most := f.changed.Count(), int(50000*refineSlice/100); c > most {
				t.Fatalf("a refine slice of %d macroblocks (%d bytes), want %d at most (%v s of the link)", c, c*100, most, refineSlice)
			}
			all.Union(f.changed)
			if i < len(fs)-2 {
				bytes += f.changed.Count() * 100
			}
		}
		if want := blocksOf(640, 480, area); !all.Equal(want) {
			t.Fatalf("the refine slices covered %d macroblocks, the change %d", all.Count(), want.Count())
		}
		if want := 300 / int(50000*refineSlice/100); len(fs)-1 < want {
			t.Fatalf("300 macroblocks refined in %d slices, want %d at least", len(fs)-1, want)
		}
		// Not back to back: the link took each slice before the next.
		first, last := fs[1].at, fs[len(fs)-1].at
		if min := time.Duration(float64(bytes-5000) / 50000 * float64(time.Second)); last.Sub(first) < min {
			t.Fatalf("refine slices of %d bytes went within %v, want %v at least", bytes, last.Sub(first), min)
		}
	})
}

// While the screen keeps changing, the change after a technician's press
// goes at once, past the frame-rate cap (a click while a window moves does
// not wait for the next slot); a change right after a frame without a
// press waits for its slot, and so does a second press within pressGap.
func TestLoopPressGoesPastTheCap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := capture.NewSynthetic(640, 480)
		aud := &oneViewer{key: 1}
		clock, enc := startLoopOn(t, src, aud, 0)
		i := 0
		// justSent keeps the screen moving (a change every 5 ms) for 200 ms
		// and until a frame was encoded in the last millisecond: the pacer
		// is empty.
		justSent := func() {
			t.Helper()
			for j := range 1000 {
				n := enc.count()
				if i%5 == 0 {
					src.Paint(image.Rect(i%600, 0, i%600+20, 20), uint32(0x101010*(i%15+1)))
				}
				i++
				clock.Advance(time.Millisecond)
				if enc.count() > n && j >= 200 {
					return
				}
			}
			t.Fatal("no frame while the screen moved")
		}
		change := func(r image.Rectangle) (time.Duration, bool) {
			t.Helper()
			n, t0 := enc.count(), clock.Now()
			src.Paint(r, 0xd02020)
			for range 100 {
				for _, f := range enc.since(n) {
					if f.changed != nil && f.changed.Has(r.Min.X/codec.BlockSize, r.Min.Y/codec.BlockSize) {
						return f.at.Sub(t0), true
					}
				}
				clock.Advance(time.Millisecond)
			}
			return 0, false
		}
		justSent()
		if d, ok := change(image.Rect(600, 400, 610, 410)); !ok || d < 20*time.Millisecond {
			t.Fatalf("a change right after a frame, no press: encoded after %v (%v), want in the next slot (~33 ms)", d, ok)
		}
		justSent()
		aud.pressed(clock.Now())
		if d, ok := change(image.Rect(600, 440, 610, 450)); !ok || d != 0 {
			t.Fatalf("the change after a press: encoded after %v (%v), want at once", d, ok)
		}
		clock.Advance(10 * time.Millisecond)
		aud.pressed(clock.Now()) // within pressGap of the last
		if d, ok := change(image.Rect(500, 400, 510, 410)); !ok || d == 0 {
			t.Fatalf("a second press %v after the first: its change went at once, want its slot", pressGap)
		}
	})
}

// A viewer that just connected (a second technician, the relay's
// recorder) gets its keyframe at once, even right after another keyframe
// on a link below the ceiling, where a request waits for the gap.
func TestLoopKeyframeForAViewerThatJoins(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := capture.NewSynthetic(640, 480)
		aud := &oneViewer{key: 1, kbps: 400, wake: make(chan struct{}, 1)}
		clock, enc := startLoopOn(t, src, aud, 20000) // a keyframe is 0.4 s of the link: one per 1.6 s
		clock.Advance(2 * time.Second)
		aud.requestKeyframe()
		clock.Advance(100 * time.Millisecond)
		n := enc.count()
		t0 := clock.Now()
		aud.requestKeyframe() // within the gap: waits
		clock.Advance(100 * time.Millisecond)
		if fs := enc.since(n); len(fs) != 0 {
			t.Fatalf("a request 0.1 s after a keyframe: encoded %+v, want it to wait for the gap", fs)
		}
		aud.joins()
		synctest.Wait()
		fs := enc.since(n)
		if len(fs) != 1 || !fs[0].key || fs[0].at.Sub(t0) != 100*time.Millisecond {
			t.Fatalf("a viewer joined 0.2 s after a keyframe: encoded %+v, want a keyframe at once", fs)
		}
	})
}
