// Package throttle slows down and then locks out a source (an account, an
// address) that keeps failing, so that codes and passwords cannot be guessed
// at speed. It refuses early attempts rather than sleeping, so a flood costs
// the relay nothing. An attempt that is still running (a password being
// hashed) counts as a failure until it ends, so parallel attempts cannot
// slip past the count; and a Throttle opened on a Store keeps its state
// there, so a restart forgives nothing.
package throttle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/relaydesk/relaydesk/relay/store"
)

// ErrThrottled is matched by every *Denied.
var ErrThrottled = errors.New("throttle: too many failed attempts")

// Config sets the policy for one kind of attempt.
type Config struct {
	// Free failures inside Window cost nothing.
	Free int
	// Max failures inside Window lock the key for Lockout. Max 0 never
	// locks: the key only slows down (at most MaxDelay between attempts).
	Max int
	// Window is how long a failure counts.
	Window time.Duration
	// After Free failures, the next attempt must wait BaseDelay, doubling
	// with each further failure, at most MaxDelay, after the last failure
	// (or the last attempt admitted, if it is still running).
	BaseDelay, MaxDelay time.Duration
	Lockout             time.Duration
}

// Defaults for wrong session codes and failed logins.
var (
	// DefaultCodes applies per technician account.
	DefaultCodes = Config{Free: 3, Max: 10, Window: 15 * time.Minute, BaseDelay: time.Second, MaxDelay: 30 * time.Second, Lockout: 15 * time.Minute}
	// DefaultCodeSources applies per source address: wider than one
	// account's, because a service desk's technicians often share one
	// office address, and a success never resets it.
	DefaultCodeSources = Config{Free: 10, Max: 30, Window: 15 * time.Minute, BaseDelay: time.Second, MaxDelay: 10 * time.Second, Lockout: 15 * time.Minute}
	// DefaultCodesDaily is the per-account ceiling that no success resets:
	// 30 wrong codes in a day lock the account out of codes for a day.
	DefaultCodesDaily = Config{Free: 29, Max: 30, Window: 24 * time.Hour, BaseDelay: time.Second, MaxDelay: time.Second, Lockout: 24 * time.Hour}
	// DefaultLogins applies per source address and per user name and
	// address together: it locks.
	DefaultLogins = Config{Free: 3, Max: 8, Window: 15 * time.Minute, BaseDelay: time.Second, MaxDelay: 30 * time.Second, Lockout: 15 * time.Minute}
	// DefaultLoginUser applies per user name from anywhere: it slows down
	// but never locks, so nobody can lock an account out by failing on purpose.
	DefaultLoginUser = Config{Free: 3, Window: 15 * time.Minute, BaseDelay: time.Second, MaxDelay: 30 * time.Second}
)

// Validate names the first setting that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Free < 0 || (c.Max != 0 && c.Max <= c.Free):
		return fmt.Errorf("throttle: Max (%d) must be 0 (never lock) or exceed Free (%d) >= 0", c.Max, c.Free)
	case c.Window <= 0:
		return errors.New("throttle: Window must be positive")
	case c.Max != 0 && c.Lockout <= 0:
		return errors.New("throttle: Lockout must be positive when Max is set")
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

// Store keeps a Throttle's state across restarts (store.Store satisfies it).
type Store interface {
	SaveThrottle(ctx context.Context, scope, key string, e store.ThrottleEntry) error
	ThrottleEntries(ctx context.Context, scope string) (map[string]store.ThrottleEntry, error)
}

type entry struct {
	fails       []time.Time // inside the window, oldest first
	lockedUntil time.Time
	running     int       // attempts admitted by Begin and not yet ended
	lastStart   time.Time // when Begin last admitted one
}

// Throttle tracks failures per key. Safe for concurrent use.
type Throttle struct {
	cfg   Config
	now   func() time.Time
	st    Store // nil: memory only
	scope string
	log   *slog.Logger

	mu    sync.Mutex
	keys  map[string]*entry
	calls int
}

// New returns a Throttle with policy cfg and clock now (nil: time.Now) that
// keeps its state in memory only.
func New(cfg Config, now func() time.Time) *Throttle {
	if now == nil {
		now = time.Now
	}
	return &Throttle{cfg: cfg, now: now, keys: make(map[string]*entry), log: slog.Default()}
}

// Open returns a Throttle that loads the state st kept under scope and
// writes every change back, so failures and lockouts survive a restart. A
// write that fails is logged to log (nil: slog.Default()); the state in
// memory still holds.
func Open(ctx context.Context, cfg Config, now func() time.Time, st Store, scope string, log *slog.Logger) (*Throttle, error) {
	t := New(cfg, now)
	t.st, t.scope = st, scope
	if log != nil {
		t.log = log
	}
	saved, err := st.ThrottleEntries(ctx, scope)
	if err != nil {
		return nil, fmt.Errorf("load %s throttle: %w", scope, err)
	}
	n := t.now()
	for k, s := range saved {
		e := &entry{fails: s.Fails, lockedUntil: s.LockedUntil}
		t.trim(e, n)
		if t.idle(e, n) {
			t.save(k, e) // forget it in the store too
			continue
		}
		t.keys[k] = e
	}
	return t, nil
}

// save writes e to the store. Callers hold t.mu.
func (t *Throttle) save(key string, e *entry) {
	if t.st == nil {
		return
	}
	s := store.ThrottleEntry{Fails: e.fails}
	if t.now().Before(e.lockedUntil) {
		s.LockedUntil = e.lockedUntil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := t.st.SaveThrottle(ctx, t.scope, key, s); err != nil {
		t.log.Error("throttle state not stored", "scope", t.scope, "key", key, "err", err)
	}
}

// trim forgets failures older than the window. Callers hold t.mu.
func (t *Throttle) trim(e *entry, now time.Time) {
	i := 0
	for i < len(e.fails) && now.Sub(e.fails[i]) >= t.cfg.Window {
		i++
	}
	e.fails = e.fails[i:]
}

func (t *Throttle) idle(e *entry, now time.Time) bool {
	return len(e.fails) == 0 && e.running == 0 && !now.Before(e.lockedUntil)
}

// check refuses an attempt for e now, counting running attempts as
// failures. Callers hold t.mu.
func (t *Throttle) check(e *entry, now time.Time) error {
	if now.Before(e.lockedUntil) {
		return &Denied{Locked: true, RetryAfter: e.lockedUntil.Sub(now)}
	}
	t.trim(e, now)
	n := len(e.fails) + e.running
	if n <= t.cfg.Free {
		return nil
	}
	delay := t.cfg.BaseDelay << min(n-t.cfg.Free-1, 30)
	if delay > t.cfg.MaxDelay || delay <= 0 {
		delay = t.cfg.MaxDelay
	}
	last := e.lastStart
	if len(e.fails) > 0 && e.fails[len(e.fails)-1].After(last) {
		last = e.fails[len(e.fails)-1]
	}
	if wait := last.Add(delay).Sub(now); wait > 0 {
		return &Denied{RetryAfter: wait}
	}
	return nil
}

// get returns key's entry, creating it. Callers hold t.mu.
func (t *Throttle) get(key string) *entry {
	e := t.keys[key]
	if e == nil {
		e = &entry{}
		t.keys[key] = e
	}
	return e
}

// Allow reports whether an attempt for key may proceed now: nil, or a
// *Denied. The caller must record the outcome with Fail before anyone else
// can ask (it holds its own lock); otherwise use Begin.
func (t *Throttle) Allow(key string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweep()
	e := t.keys[key]
	if e == nil {
		return nil
	}
	return t.check(e, t.now())
}

// Fail records a failed attempt for key and reports whether it locked the key.
func (t *Throttle) Fail(key string) (locked bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.fail(key, t.get(key))
}

// fail records a failure on e. Callers hold t.mu.
func (t *Throttle) fail(key string, e *entry) (locked bool) {
	now := t.now()
	t.trim(e, now)
	e.fails = append(e.fails, now)
	if t.cfg.Max > 0 && len(e.fails) >= t.cfg.Max {
		e.lockedUntil = now.Add(t.cfg.Lockout)
		e.fails = nil
		locked = true
	}
	t.save(key, e)
	return locked
}

// Reset forgets key's failures and lockout (after a success). Attempts
// still running keep counting until they end.
func (t *Throttle) Reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reset(key)
}

// reset clears key. Callers hold t.mu.
func (t *Throttle) reset(key string) {
	e := t.keys[key]
	if e == nil {
		return
	}
	e.fails, e.lockedUntil = nil, time.Time{}
	if e.running == 0 {
		delete(t.keys, key)
	}
	t.save(key, &entry{})
}

// Attempt is an attempt admitted by Begin. It counts as a failure of its
// key until it ends with exactly one of Fail, Succeed or Cancel.
type Attempt struct {
	t    *Throttle
	key  string
	once sync.Once
}

// Begin admits an attempt for key now, or refuses it with a *Denied. The
// admitted attempt counts as a failure until it ends, so that attempts
// begun in parallel are throttled as if each had failed already.
func (t *Throttle) Begin(key string) (*Attempt, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweep()
	now := t.now()
	e := t.get(key)
	if err := t.check(e, now); err != nil {
		return nil, err
	}
	e.running++
	e.lastStart = now
	return &Attempt{t: t, key: key}, nil
}

// end stops counting a as running and runs fn on its entry.
func (a *Attempt) end(fn func(e *entry)) {
	a.once.Do(func() {
		t := a.t
		t.mu.Lock()
		defer t.mu.Unlock()
		e := t.get(a.key)
		e.running--
		fn(e)
		if t.idle(e, t.now()) {
			delete(t.keys, a.key)
		}
	})
}

// Fail ends the attempt as a failure and reports whether it locked the key.
func (a *Attempt) Fail() (locked bool) {
	a.end(func(e *entry) { locked = a.t.fail(a.key, e) })
	return locked
}

// Succeed ends the attempt as a success: the key's failures are forgotten.
func (a *Attempt) Succeed() { a.end(func(*entry) { a.t.reset(a.key) }) }

// Cancel ends the attempt as neither: it did not happen (another key
// refused it) or it succeeded but must not reset this key.
func (a *Attempt) Cancel() { a.end(func(*entry) {}) }

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
		if t.idle(e, now) {
			delete(t.keys, k)
			t.save(k, e)
		}
	}
}

// Source is the key part for a remote address: an IPv4 address as is, an
// IPv6 address by its /64 (one subscriber usually holds a whole /64), and
// anything unparsable as given.
func Source(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.WithZone("").Prefix(64)
	return p.String()
}
