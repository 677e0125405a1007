// Package limit rate-limits what a source network may do on the relay
// without an account (register an SOS app, chat, present a token) and keeps
// logs of refusals from flooding. Sources are keyed by
// transport.SourceKey: the IPv4 address or the IPv6 /64.
package limit

import (
	"log/slog"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rate allows N events per Per, in bursts of up to N.
type Rate struct {
	N   int
	Per time.Duration
}

// Off reports whether r limits nothing.
func (r Rate) Off() bool { return r.N <= 0 || r.Per <= 0 }

// maxSources bounds the sources tracked at once; beyond it, sources whose
// bucket refilled are forgotten first.
const maxSources = 100_000

// PerSource is a token bucket per source key. Safe for concurrent use.
type PerSource struct {
	r   Rate
	now func() time.Time

	mu sync.Mutex
	m  map[string]*rate.Limiter
}

// NewPerSource returns a limiter of r per source; now nil means time.Now.
func NewPerSource(r Rate, now func() time.Time) *PerSource {
	if now == nil {
		now = time.Now
	}
	return &PerSource{r: r, now: now, m: make(map[string]*rate.Limiter)}
}

func (p *PerSource) limiter(key string, now time.Time) *rate.Limiter {
	l := p.m[key]
	if l == nil {
		if len(p.m) >= maxSources {
			p.prune(now)
		}
		l = rate.NewLimiter(rate.Every(p.r.Per/time.Duration(p.r.N)), p.r.N)
		p.m[key] = l
	}
	return l
}

// prune forgets sources whose bucket is full again (they lose nothing),
// then, if still too many, any.
func (p *PerSource) prune(now time.Time) {
	for k, l := range p.m {
		if l.TokensAt(now) >= float64(p.r.N) {
			delete(p.m, k)
		}
	}
	for k := range p.m {
		if len(p.m) < maxSources {
			break
		}
		delete(p.m, k)
	}
}

// Allow takes one event from key's bucket. When it is empty, Allow takes
// nothing and returns false with the time until the next event is allowed.
func (p *PerSource) Allow(key string) (bool, time.Duration) {
	if p.r.Off() {
		return true, 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	r := p.limiter(key, now).ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// Blocked reports whether key's bucket is empty, without taking from it
// (to refuse before costly work, counting only failures with Allow).
func (p *PerSource) Blocked(key string) (bool, time.Duration) {
	if p.r.Off() {
		return false, 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	l := p.m[key]
	if l == nil || l.TokensAt(now) >= 1 {
		return false, 0
	}
	r := l.ReserveN(now, 1)
	d := r.DelayFrom(now)
	r.CancelAt(now)
	return true, d
}

// Logs lets one record per kind through every interval and counts the
// ones it held back, so that a flood of refusals cannot flood the log.
type Logs struct {
	log   *slog.Logger
	every time.Duration
	now   func() time.Time

	mu   sync.Mutex
	last map[string]time.Time
	held map[string]int
}

// NewLogs returns a gate on log that passes one record per kind every
// interval; now nil means time.Now.
func NewLogs(log *slog.Logger, every time.Duration, now func() time.Time) *Logs {
	if now == nil {
		now = time.Now
	}
	return &Logs{log: log, every: every, now: now, last: make(map[string]time.Time), held: make(map[string]int)}
}

// Info logs msg at Info with args unless a record of the same msg went out
// less than an interval ago; the next one that goes out says how many were
// held back ("suppressed").
func (g *Logs) Info(log *slog.Logger, msg string, args ...any) {
	g.mu.Lock()
	now := g.now()
	if t, ok := g.last[msg]; ok && now.Sub(t) < g.every {
		g.held[msg]++
		g.mu.Unlock()
		return
	}
	g.last[msg] = now
	n := g.held[msg]
	delete(g.held, msg)
	g.mu.Unlock()
	if log == nil {
		log = g.log
	}
	if n > 0 {
		args = append(args, "suppressed", n)
	}
	log.Info(msg, args...)
}
