package playback

import (
	"context"
	"errors"
	"image"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/console/playback/playbacktest"
)

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// shown records the frames a player hands on.
type shown struct {
	mu    sync.Mutex
	frame int // the recorded frame the last picture shows
	at    time.Duration
	count int
}

func (s *shown) on(img *image.RGBA, at time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.frame, s.at, s.count = playbacktest.FrameOf(img), at, s.count+1
}

func (s *shown) last() (int, time.Duration, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.frame, s.at, s.count
}

func newTestPlayer(t *testing.T) (*Player, *fakeClock, *shown) {
	t.Helper()
	rec, err := Open(playbacktest.WebM(t))
	if err != nil {
		t.Fatal(err)
	}
	clk := &fakeClock{t: time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)}
	s := &shown{frame: -1}
	p, err := NewPlayer(rec, Options{Now: clk.Now, OnFrame: s.on})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p, clk, s
}

func TestOpenIndexesFramesAndKeyframes(t *testing.T) {
	rec, err := Open(playbacktest.WebM(t))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Width != playbacktest.Width || rec.Height != playbacktest.Height || len(rec.Frames) != playbacktest.Frames {
		t.Fatalf("recording %dx%d with %d frames, want %dx%d with %d", rec.Width, rec.Height, len(rec.Frames), playbacktest.Width, playbacktest.Height, playbacktest.Frames)
	}
	if rec.Duration != playbacktest.Frames*playbacktest.Step {
		t.Fatalf("duration %v, want %v", rec.Duration, playbacktest.Frames*playbacktest.Step)
	}
	for i, f := range rec.Frames {
		if f.At != time.Duration(i)*playbacktest.Step {
			t.Errorf("frame %d at %v, want %v", i, f.At, time.Duration(i)*playbacktest.Step)
		}
		if f.Key != (i%playbacktest.KeyEvery == 0) {
			t.Errorf("frame %d keyframe %v, want %v", i, f.Key, i%playbacktest.KeyEvery == 0)
		}
	}
	if k := rec.KeyframeAt(1270 * time.Millisecond); k != 10 {
		t.Errorf("KeyframeAt(1.27s) = %d, want 10", k)
	}
	if i := rec.FrameAt(1270 * time.Millisecond); i != 12 {
		t.Errorf("FrameAt(1.27s) = %d, want 12", i)
	}
}

func TestSeekShowsThePictureAtThePosition(t *testing.T) {
	p, _, s := newTestPlayer(t)
	for _, want := range []int{13, 2, 19, 0, 7, 8, 4} { // forwards, backwards, within a keyframe's run
		at := time.Duration(want)*playbacktest.Step + playbacktest.Step/2
		if err := p.Seek(at); err != nil {
			t.Fatalf("Seek(%v): %v", at, err)
		}
		if got, gotAt, _ := s.last(); got != want || gotAt != at {
			t.Fatalf("after Seek(%v) the picture is frame %d at %v, want frame %d", at, got, gotAt, want)
		}
		if p.Position() != at || p.Playing() {
			t.Fatalf("after Seek(%v): position %v, playing %v", at, p.Position(), p.Playing())
		}
	}
	if err := p.Seek(time.Hour); err != nil || p.Position() != playbacktest.Frames*playbacktest.Step {
		t.Fatalf("Seek past the end: %v, position %v", err, p.Position())
	}
}

func TestPlayPauseAndSpeedFollowTheClock(t *testing.T) {
	p, clk, s := newTestPlayer(t)
	p.Play()
	clk.Add(300 * time.Millisecond)
	if _, err := p.Tick(); err != nil {
		t.Fatal(err)
	}
	if f, _, _ := s.last(); f != 3 {
		t.Fatalf("after 0.3 s at 1x the picture is frame %d, want 3", f)
	}
	if err := p.SetSpeed(4); err != nil {
		t.Fatal(err)
	}
	clk.Add(200 * time.Millisecond) // 0.8 s more of the recording
	p.Tick()
	if f, _, _ := s.last(); f != 11 || p.Position() != 1100*time.Millisecond {
		t.Fatalf("after 0.2 s at 4x: frame %d at %v, want 11 at 1.1s", f, p.Position())
	}
	p.Pause()
	_, _, n := s.last()
	clk.Add(time.Second)
	p.Tick()
	if f, _, n2 := s.last(); f != 11 || n2 != n || p.Position() != 1100*time.Millisecond {
		t.Fatalf("paused: frame %d (%d pictures, %d before), position %v; want it still at 11", f, n2, n, p.Position())
	}
	if err := p.SetSpeed(0.5); err != nil {
		t.Fatal(err)
	}
	p.Play()
	clk.Add(400 * time.Millisecond) // 0.2 s of the recording
	p.Tick()
	if f, _, _ := s.last(); f != 13 {
		t.Fatalf("after 0.4 s at 0.5x the picture is frame %d, want 13", f)
	}
	if err := p.SetSpeed(3); !errors.Is(err, ErrSpeed) || p.Speed() != 0.5 {
		t.Fatalf("SetSpeed(3) = %v, speed %g; want ErrSpeed and 0.5 kept", err, p.Speed())
	}
	// The end pauses on the last picture; Play starts again from the start.
	clk.Add(time.Hour)
	playing, err := p.Tick()
	if err != nil || playing || p.Position() != playbacktest.Frames*playbacktest.Step {
		t.Fatalf("at the end: playing %v, err %v, position %v", playing, err, p.Position())
	}
	if f, _, _ := s.last(); f != playbacktest.Frames-1 {
		t.Fatalf("at the end the picture is frame %d, want the last", f)
	}
	p.Play()
	if p.Position() != 0 {
		t.Fatalf("Play after the end starts at %v, want 0", p.Position())
	}
}

func TestRunPlaysUntilCancelled(t *testing.T) {
	rec, err := Open(playbacktest.WebM(t))
	if err != nil {
		t.Fatal(err)
	}
	s := &shown{frame: -1}
	var ticks []bool // playing, as OnTick heard it (Run's goroutine only)
	p, err := NewPlayer(rec, Options{OnFrame: s.on, Interval: 5 * time.Millisecond, OnTick: func(_ time.Duration, playing bool) { ticks = append(ticks, playing) }})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.SetSpeed(4)
	p.Play()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for p.Playing() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if f, _, n := s.last(); f != playbacktest.Frames-1 || n < 2 {
		t.Fatalf("Run showed %d pictures ending at frame %d, want several ending at the last", n, f)
	}
	if len(ticks) < 2 || !ticks[0] || ticks[len(ticks)-1] {
		t.Fatalf("OnTick heard %v, want playing then stopped at the end", ticks)
	}
}

func TestBadFilesAreRefused(t *testing.T) {
	good, err := os.ReadFile(playbacktest.WebM(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		data []byte
		want error
	}{
		{"text", []byte("this is not a video at all"), ErrNotWebM},
		{"empty", nil, ErrNotWebM},
		{"truncated", good[:len(good)*2/3], ErrTruncated},
		{"no VP8", replaceAll(good, []byte("V_VP8"), []byte("V_VP9")), ErrNoVideo},
	} {
		path := filepath.Join(dir, c.name)
		if err := os.WriteFile(path, c.data, 0o600); err != nil {
			t.Fatal(err)
		}
		rec, err := Open(path)
		if !errors.Is(err, c.want) || rec != nil {
			t.Errorf("%s: Open = %v, %v; want %v", c.name, rec, err, c.want)
		}
	}
}

func replaceAll(b, old, new []byte) []byte {
	out := append([]byte(nil), b...)
	for i := 0; i+len(old) <= len(out); i++ {
		if string(out[i:i+len(old)]) == string(old) {
			copy(out[i:], new)
		}
	}
	return out
}

func TestClock(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0:00", 42 * time.Second: "0:42", 190 * time.Second: "3:10", 3723 * time.Second: "1:02:03"} {
		if got := Clock(d); got != want {
			t.Errorf("Clock(%v) = %q, want %q", d, got, want)
		}
	}
}
