package share

import "time"

// pacer caps the frame rate without delaying a lone change: a bucket of
// burst frames that refills at rate frames a second. After a quiet spell
// it is full, so the change goes at once (and a second part of the same
// repaint right after it); under continuous change frames leave at rate.
type pacer struct {
	rate   float64 // frames a second
	burst  float64 // frames that may leave back to back
	tokens float64
	at     time.Time // when tokens was computed
}

func (p *pacer) refill(now time.Time) {
	if p.at.IsZero() {
		p.tokens, p.at = p.burst, now
		return
	}
	p.tokens = min(p.burst, p.tokens+now.Sub(p.at).Seconds()*p.rate)
	p.at = now
}

// wait is how long until a frame may leave (0: now).
func (p *pacer) wait(now time.Time) time.Duration {
	p.refill(now)
	if p.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - p.tokens) / p.rate * float64(time.Second))
}

// take spends a frame.
func (p *pacer) take(now time.Time) {
	p.refill(now)
	p.tokens--
}
