package procstat

import (
	"os"
	"testing"
	"time"
)

func TestSelf(t *testing.T) {
	c0, err := CPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(50 * time.Millisecond); time.Now().Before(end); {
	}
	c1, _ := CPU(os.Getpid())
	if c1 <= c0 {
		t.Fatalf("50 ms of busy loop did not count: %v -> %v", c0, c1)
	}
	if kib, err := RSSKiB(os.Getpid()); err != nil || kib < 1000 {
		t.Fatalf("RSS %d KiB, %v", kib, err)
	}
	if _, err := CPU(-1); err == nil {
		t.Fatal("no error for a missing process")
	}
}
