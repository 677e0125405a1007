package throttle

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/relay/store"
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
	if DefaultCodesDaily.Validate() != nil || DefaultLoginUser.Validate() != nil {
		t.Fatal("defaults invalid")
	}
	if (Config{Free: 3, Max: 4, Window: 1, BaseDelay: 1, MaxDelay: 1}).Validate() == nil {
		t.Fatal("a lock without a Lockout accepted")
	}
}

func TestParallelAttemptsCountWhileRunning(t *testing.T) {
	c := &clock{now: time.Unix(1000, 0)}
	th := New(cfg, c.Now) // Free 2
	var (
		mu       sync.Mutex
		admitted []*Attempt
		refused  int
		wg       sync.WaitGroup
	)
	for range 200 {
		wg.Go(func() {
			a, err := th.Begin("k")
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				denied(t, err)
				refused++
				return
			}
			admitted = append(admitted, a)
		})
	}
	wg.Wait()
	// Free failures are free; the next one must wait after the last start.
	if len(admitted) != cfg.Free+1 || refused != 200-cfg.Free-1 {
		t.Fatalf("%d admitted, %d refused; want %d admitted", len(admitted), refused, cfg.Free+1)
	}
	for _, a := range admitted {
		a.Fail()
		a.Fail() // a second end is ignored
	}
	th.mu.Lock()
	n := len(th.keys["k"].fails)
	th.mu.Unlock()
	if n != cfg.Free+1 {
		t.Fatalf("%d failures recorded, want %d", n, cfg.Free+1)
	}
	if d := denied(t, th.Allow("k")); d.RetryAfter != cfg.BaseDelay {
		t.Fatalf("%+v", d)
	}
}

func TestAttemptOutcomes(t *testing.T) {
	c := &clock{now: time.Unix(1000, 0)}
	th := New(cfg, c.Now)
	a, _ := th.Begin("k")
	a.Cancel()
	if th.Len() != 0 {
		t.Fatal("a cancelled attempt left a key behind")
	}
	for range 4 {
		th.Fail("k")
	}
	c.now = c.now.Add(time.Hour)
	th.Fail("k")
	th.Fail("k")
	a, err := th.Begin("k")
	if err != nil {
		t.Fatal(err)
	}
	if a.Fail() {
		t.Fatal("3 failures locked")
	}
	c.now = c.now.Add(time.Second)
	a, err = th.Begin("k")
	if err != nil {
		t.Fatal(err)
	}
	a.Succeed()
	if err := th.Allow("k"); err != nil || th.Len() != 0 {
		t.Fatalf("after a success: %v, %d keys", err, th.Len())
	}
	for i := range 4 {
		if th.Fail("k") {
			t.Fatalf("failure %d locked", i+1)
		}
	}
	if !th.Fail("k") {
		t.Fatal("the 5th failure did not report the lock")
	}
}

func TestSlowDownOnlyNeverLocks(t *testing.T) {
	c := &clock{now: time.Unix(1000, 0)}
	th := New(Config{Free: 1, Window: time.Hour, BaseDelay: time.Second, MaxDelay: 8 * time.Second}, c.Now)
	for i := range 100 {
		if th.Fail("user:admin") {
			t.Fatalf("failure %d locked a slow-down-only key", i)
		}
	}
	d := denied(t, th.Allow("user:admin"))
	if d.Locked || d.RetryAfter != 8*time.Second {
		t.Fatalf("%+v", d)
	}
	c.now = c.now.Add(8 * time.Second)
	if err := th.Allow("user:admin"); err != nil {
		t.Fatalf("after the delay: %v", err)
	}
}

func TestOpenRestoresFromSQLite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "relay.db")
	st, err := store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{now: time.Unix(1000, 0)}
	th, err := Open(ctx, cfg, c.Now, st, "logins", nil)
	if err != nil {
		t.Fatal(err)
	}
	for range cfg.Max {
		th.Fail("ip:192.0.2.1")
	}
	th.Fail("ip:192.0.2.2")
	th.Fail("gone")
	th.Reset("gone")
	st.Close()

	st, err = store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c.now = c.now.Add(time.Minute)
	th, err = Open(ctx, cfg, c.Now, st, "logins", nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := denied(t, th.Allow("ip:192.0.2.1")); !d.Locked || d.RetryAfter != cfg.Lockout-time.Minute {
		t.Fatalf("lock after restart: %+v", d)
	}
	th.Fail("ip:192.0.2.2")
	th.Fail("ip:192.0.2.2") // 3 failures: the next waits
	if d := denied(t, th.Allow("ip:192.0.2.2")); d.Locked {
		t.Fatalf("%+v", d)
	}
	if th.Len() != 2 {
		t.Fatalf("%d keys restored, want 2 (a reset key stays forgotten)", th.Len())
	}
	other, err := Open(ctx, cfg, c.Now, st, "codes", nil)
	if err != nil || other.Len() != 0 {
		t.Fatalf("scopes are separate: %v, %d keys", err, other.Len())
	}
}

func TestSourceKeysIPv6ByPrefix(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7":               "192.0.2.7",
		"::ffff:192.0.2.7":        "192.0.2.7",
		"2001:db8:1:2:aaaa::1":    "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff:1:2:3": "2001:db8:1:2::/64",
		"fe80::1%eth0":            "fe80::/64",
		"2001:db8:1:3::1":         "2001:db8:1:3::/64",
		"not an address":          "not an address",
	} {
		if got := Source(in); got != want {
			t.Errorf("Source(%q) = %q, want %q", in, got, want)
		}
	}
}
