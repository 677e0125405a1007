package share

import (
	"testing"
	"time"
)

// TestCursorPace polls at the frame rate while the pointer moves and for a
// second after, then slowly until it moves again.
func TestCursorPace(t *testing.T) {
	p := cursorPace{fast: 33 * time.Millisecond, slow: 100 * time.Millisecond}
	t0 := time.Unix(1000, 0)
	steps := []struct {
		at    time.Duration
		moved bool
		want  time.Duration
	}{
		{0, false, 100 * time.Millisecond},                     // never moved: slow
		{100 * time.Millisecond, true, 33 * time.Millisecond},  // moves: fast
		{133 * time.Millisecond, false, 33 * time.Millisecond}, // still, but just now moved
		{1099 * time.Millisecond, false, 33 * time.Millisecond},
		{1100 * time.Millisecond, false, 100 * time.Millisecond}, // a second still: slow
		{5 * time.Second, false, 100 * time.Millisecond},
		{5100 * time.Millisecond, true, 33 * time.Millisecond}, // moves again
	}
	for _, s := range steps {
		if got := p.next(t0.Add(s.at), s.moved); got != s.want {
			t.Errorf("at %v (moved %v): next poll in %v, want %v", s.at, s.moved, got, s.want)
		}
	}
}
