package main

import (
	"testing"
	"time"
)

func TestParseBenchFeed(t *testing.T) {
	f, err := parseBenchFeed("1920x1080@30/1s/10s")
	if err != nil || f.w != 1920 || f.h != 1080 || f.fps != 30 || f.warmup != time.Second || f.duration != 10*time.Second {
		t.Fatalf("got %+v, %v", f, err)
	}
	for _, bad := range []string{"", "1", "1920x1080@30/10s", "1920x1080@0/1s/10s", "0x1080@30/1s/10s", "1920x1080@30/1s/0s", "1920x1080@30/x/10s"} {
		if _, err := parseBenchFeed(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
