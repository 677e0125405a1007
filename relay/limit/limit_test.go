package limit

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestPerSourceAllowsBurstThenRefillRate(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)}
	p := NewPerSource(Rate{N: 3, Per: time.Minute}, c.now)
	for i := range 3 {
		if ok, _ := p.Allow("192.0.2.1"); !ok {
			t.Fatalf("event %d of a burst of 3 refused", i+1)
		}
	}
	ok, wait := p.Allow("192.0.2.1")
	if ok || wait <= 0 || wait > 20*time.Second {
		t.Fatalf("4th event: allowed %v, wait %v; want refused with a wait up to 20s", ok, wait)
	}
	if ok, _ := p.Allow("192.0.2.2"); !ok {
		t.Fatal("another source was refused")
	}
	c.t = c.t.Add(20 * time.Second)
	if ok, _ := p.Allow("192.0.2.1"); !ok {
		t.Fatal("no event allowed after a refill interval")
	}
	if ok, _ := p.Allow("192.0.2.1"); ok {
		t.Fatal("a refusal must not have taken a token, but two events passed after one interval")
	}
}

func TestBlockedCountsOnlyFailures(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)}
	p := NewPerSource(Rate{N: 2, Per: time.Minute}, c.now)
	for range 5 {
		if b, _ := p.Blocked("k"); b {
			t.Fatal("blocked before any failure")
		}
	}
	p.Allow("k")
	p.Allow("k")
	if b, d := p.Blocked("k"); !b || d <= 0 {
		t.Fatalf("after 2 failures: blocked %v, wait %v", b, d)
	}
}

func TestOffLimitsNothing(t *testing.T) {
	p := NewPerSource(Rate{}, nil)
	for range 1000 {
		if ok, _ := p.Allow("k"); !ok {
			t.Fatal("an off rate refused")
		}
	}
}

func TestLogsHoldBackFloods(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)}
	var buf bytes.Buffer
	g := NewLogs(slog.New(slog.NewTextHandler(&buf, nil)), time.Minute, c.now)
	for range 1000 {
		g.Info(nil, "registration refused", "remote", "192.0.2.1")
	}
	g.Info(nil, "protocol violation")
	c.t = c.t.Add(time.Minute)
	g.Info(nil, "registration refused", "remote", "192.0.2.9")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines for 1002 records over two intervals, want 3:\n%s", len(lines), buf.String())
	}
	if !strings.Contains(lines[2], "suppressed=999") {
		t.Fatalf("the line after a flood does not count what was held back: %s", lines[2])
	}
}
