package throttle

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

var cfg = Config{Free: 2, Max: 5, Window: 10 * time.Minute, BaseDelay: time.Second, MaxDelay: 4 * time.Second, Lockout: 15 * time.Minute}

func denied(t *testing.T, err error) *Denied {
	t.Helper()
	var d *Denied
	if !errors.As(err, &d) || !errors.Is(err, ErrThrottled) {
		t.Fatalf("got %v, want a denial", err)
	}
	return d
}

func TestSlowsDownThenLocks(t *testing.T) {
	c := &clock{now: time.Unix(1000, 0)}
	th := New(cfg, c.Now)
	for i := 0; i < 2; i++ {
		if err := th.Allow("k"); err != nil {
			t.Fatalf("free attempt %d: %v", i, err)
		}
		th.Fail("k")
	}
	if err := th.Allow("k"); err != nil {
		t.Fatalf("third attempt right after two failures: %v", err)
	}
	th.Fail("k") // 3 failures: next waits 1s
	if d := denied(t, th.Allow("k")); d.Locked || d.RetryAfter != time.Second {
		t.Fatalf("%+v", d)
	}
	c.now = c.now.Add(time.Second)
	if err := th.Allow("k"); err != nil {
		t.Fatal(err)
	}
	th.Fail("k") // 4: next waits 2s
	if d := denied(t, th.Allow("k")); d.RetryAfter != 2*time.Second {
		t.Fatalf("%+v", d)
	}
	if err := th.Allow("other"); err != nil {
		t.Fatal("keys are independent")
	}
	c.now = c.now.Add(2 * time.Second)
	th.Fail("k") // 5 = Max: locked
	d := denied(t, th.Allow("k"))
	if !d.Locked || d.RetryAfter != 15*time.Minute {
		t.Fatalf("%+v", d)
	}
	c.now = c.now.Add(15 * time.Minute)
	if err := th.Allow("k"); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}
}

func TestDelayIsCappedAndWindowForgets(t *testing.T) {
	c := &clock{now: time.Unix(1000, 0)}
	th := New(Config{Free: 0, Max: 100, Window: time.Minute, BaseDelay: time.Second, MaxDelay: 4 * time.Second, Lockout: time.Hour}, c.Now)
	for range 10 {
		th.Fail("k")
	}
	if d := denied(t, th.Allow("k")); d.RetryAfter != 4*time.Second {
		t.Fatalf("delay not capped: %+v", d)
	}
	c.now = c.now.Add(time.Minute)
	if err := th.Allow("k"); err != nil {
		t.Fatalf("failures outside the window still count: %v", err)
	}
}

func TestResetAndPrune(t *testing.T) {
	c := &clock{now: time.Unix(1000, 0)}
	th := New(cfg, c.Now)
	for range 3 {
		th.Fail("k")
	}
	th.Reset("k")
	if err := th.Allow("k"); err != nil {
		t.Fatalf("after reset: %v", err)
	}
	for i := range 500 {
		th.Fail(fmt.Sprint("ip", i))
	}
	if th.Len() != 500 {
		t.Fatalf("len %d", th.Len())
	}
	c.now = c.now.Add(cfg.Window)
	for range 2048 {
		th.Allow("x")
	}
	if th.Len() != 0 {
		t.Fatalf("%d idle keys kept", th.Len())
	}
}

func TestValidate(t *testing.T) {
	if DefaultCodes.Validate() != nil || DefaultLogins.Validate() != nil {
		t.Fatal("defaults invalid")
	}
	if (Config{Free: 3, Max: 3, Window: 1, Lockout: 1, BaseDelay: 1, MaxDelay: 1}).Validate() == nil {
		t.Fatal("Max == Free accepted")
	}
}
