// Package throttle slows down and then locks out a source (an account, an
// address) that keeps failing, so that codes and passwords cannot be guessed
// at speed. It refuses early attempts rather than sleeping, so a flood costs
// the relay nothing.
package throttle

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrThrottled is matched by every *Denied.
var ErrThrottled = errors.New("throttle: too many failed attempts")

// Config sets the policy for one kind of attempt.
type Config struct {
	// Free failures inside Window cost nothing.
	Free int
	// Max failures inside Window lock the key for Lockout.
	Max int
	// Window is how long a failure counts.
	Window time.Duration
	// After Free failures, the next attempt must wait BaseDelay, doubling
	// with each further failure, at most MaxDelay, after the last failure.
	BaseDelay, MaxDelay time.Duration
	Lockout             time.Duration
}

// Defaults for wrong session codes and failed logins.
var (
	DefaultCodes  = Config{Free: 3, Max: 10, Window: 15 * time.Minute, BaseDelay: time.Second, MaxDelay: 30 * time.Second, Lockout: 15 * time.Minute}
	DefaultLogins = Config{Free: 3, Max: 8, Window: 15 * time.Minute, BaseDelay: time.Second, MaxDelay: 30 * time.Second, Lockout: 15 * time.Minute}
)

// Validate names the first setting that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Free < 0 || c.Max <= c.Free:
		return fmt.Errorf("throttle: Max (%d) must exceed Free (%d) >= 0", c.Max, c.Free)
	case c.Window <= 0 || c.Lockout <= 0:
		return errors.New("throttle: Window and Lockout must be positive")
	case c.BaseDelay <= 0 || c.MaxDelay < c.BaseDelay:
		return errors.New("throttle: BaseDelay must be positive and at most MaxDelay")
	}
	return nil
}

// Denied says why and for how long an attempt is refused.
type Denied struct {
	Locked     bool
	RetryAfter time.Duration
}

func (d *Denied) Error() string {
	if d.Locked {
		return fmt.Sprintf("too many failed attempts; locked for %s", d.RetryAfter.Round(time.Second))
	}
	return fmt.Sprintf("too many failed attempts; retry in %s", d.RetryAfter.Round(time.Second))
}

// Is makes errors.Is(err, ErrThrottled) true.
func (d *Denied) Is(target error) bool { return target == ErrThrottled }

type entry struct {
	fails       []time.Time // inside the window, oldest first
	lockedUntil time.Time
}

// Throttle tracks failures per key. Safe for concurrent use.
type Throttle struct {
	cfg   Config
	now   func() time.Time
	mu    sync.Mutex
	keys  map[string]*entry
	calls int
}

// New returns a Throttle with policy cfg and clock now (nil: time.Now).
func New(cfg Config, now func() time.Time) *Throttle {
	if now == nil {
		now = time.Now
	}
	return &Throttle{cfg: cfg, now: now, keys: make(map[string]*entry)}
}

// trim forgets failures older than the window. Callers hold t.mu.
func (t *Throttle) trim(e *entry, now time.Time) {
	i := 0
	for i < len(e.fails) && now.Sub(e.fails[i]) >= t.cfg.Window {
		i++
	}
	e.fails = e.fails[i:]
}

// Allow reports whether an attempt for key may proceed now: nil, or a *Denied.
func (t *Throttle) Allow(key string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweep()
	e := t.keys[key]
	if e == nil {
		return nil
	}
	now := t.now()
	if now.Before(e.lockedUntil) {
		return &Denied{Locked: true, RetryAfter: e.lockedUntil.Sub(now)}
	}
	t.trim(e, now)
	n := len(e.fails)
	if n <= t.cfg.Free {
		return nil
	}
	delay := t.cfg.BaseDelay << min(n-t.cfg.Free-1, 30)
	if delay > t.cfg.MaxDelay || delay <= 0 {
		delay = t.cfg.MaxDelay
	}
	if wait := e.fails[n-1].Add(delay).Sub(now); wait > 0 {
		return &Denied{RetryAfter: wait}
	}
	return nil
}

// Fail records a failed attempt for key.
func (t *Throttle) Fail(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	e := t.keys[key]
	if e == nil {
		e = &entry{}
		t.keys[key] = e
	}
	t.trim(e, now)
	e.fails = append(e.fails, now)
	if len(e.fails) >= t.cfg.Max {
		e.lockedUntil = now.Add(t.cfg.Lockout)
		e.fails = nil
	}
}

// Reset forgets key (after a success).
func (t *Throttle) Reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.keys, key)
}

// Len is the number of keys remembered.
func (t *Throttle) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.keys)
}

// sweep drops idle keys every 1024 calls, keeping memory bounded. Callers hold t.mu.
func (t *Throttle) sweep() {
	t.calls++
	if t.calls%1024 != 0 {
		return
	}
	now := t.now()
	for k, e := range t.keys {
		t.trim(e, now)
		if len(e.fails) == 0 && !now.Before(e.lockedUntil) {
			delete(t.keys, k)
		}
	}
}
