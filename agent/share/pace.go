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

// byteBudget keeps the frames within what the network takes: a bucket of
// bytes that refills at the estimated bitrate. When a frame (a keyframe,
// say) overdraws it, the next frames wait instead of queueing in the
// network; the changes meanwhile pile up as damage and go in one frame.
type byteBudget struct {
	level float64   // bytes that may go now; negative: owed
	at    time.Time // when level was computed
}

// budgetBurst is how much of a second's bitrate may leave back to back;
// budgetDebt bounds what is owed (a keyframe at a sudden fall).
const budgetBurst, budgetDebt = 0.1, 1.0

func (b *byteBudget) refill(now time.Time, kbps int) {
	rate := float64(max(kbps, 1)) * 125 // bytes a second
	if b.at.IsZero() {
		b.level, b.at = rate*budgetBurst, now
		return
	}
	b.level = max(-rate*budgetDebt, min(rate*budgetBurst, b.level+now.Sub(b.at).Seconds()*rate))
	b.at = now
}

// wait is how long until a frame may leave at kbps (0: now).
func (b *byteBudget) wait(now time.Time, kbps int) time.Duration {
	b.refill(now, kbps)
	if b.level >= 0 {
		return 0
	}
	return time.Duration(-b.level / (float64(max(kbps, 1)) * 125) * float64(time.Second))
}

// spend counts a frame of n bytes.
func (b *byteBudget) spend(now time.Time, kbps, n int) {
	b.refill(now, kbps)
	b.level -= float64(n)
}
