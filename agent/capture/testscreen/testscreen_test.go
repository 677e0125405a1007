package testscreen

import (
	"os"
	"sync"
	"testing"
)

func socket(x *Xvfb) string { return "/tmp/.X11-unix/X" + x.Display[1:] }

// A server killed without cleaning up leaves its socket file in /tmp; the
// next start must still find a display, and Close must leave nothing.
func TestStartXvfbAfterAKilledServer(t *testing.T) {
	killed, err := StartXvfb(64, 48)
	if err != nil {
		t.Fatal(err)
	}
	killed.cmd.Process.Kill()
	killed.cmd.Wait()
	if _, err := os.Stat(socket(killed)); err != nil {
		t.Fatalf("a killed Xvfb left no socket file (%v): the test shows nothing", err)
	}

	x, err := StartXvfb(64, 48)
	if err != nil {
		t.Fatal(err)
	}
	x.Close()
	if _, err := os.Stat(socket(x)); !os.IsNotExist(err) {
		t.Fatalf("Close left the socket of %s behind (%v)", x.Display, err)
	}
}

// Servers started at the same moment (parallel tests and test processes)
// get different displays.
func TestStartXvfbInParallel(t *testing.T) {
	const n = 4
	xs := make([]*Xvfb, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { xs[i], errs[i] = StartXvfb(64, 48) })
	}
	wg.Wait()
	seen := map[string]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		t.Cleanup(xs[i].Close)
		if seen[xs[i].Display] {
			t.Fatalf("two servers on display %s", xs[i].Display)
		}
		seen[xs[i].Display] = true
	}
}
