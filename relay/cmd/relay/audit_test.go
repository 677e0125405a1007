package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Time
		err  string
	}{
		{"", time.Time{}, ""},
		{"90m", now.Add(-90 * time.Minute), ""},
		{"2026-11-29T08:00:00Z", time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC), ""},
		{"2026-11-29", time.Date(2026, 11, 29, 0, 0, 0, 0, time.Local), ""},
		{"-5m", time.Time{}, "neither a duration"},
		{"last week", time.Time{}, "neither a duration"},
	} {
		got, err := parseSince(c.in, now)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: %v", c.in, err)
			}
			continue
		}
		if err != nil || !got.Equal(c.want) {
			t.Errorf("%q: %v %v, want %v", c.in, got, err, c.want)
		}
	}
}

// A name a client chose cannot drive the terminal or break the table.
func TestPrintableAuditText(t *testing.T) {
	if got := printable("eve\x1b[2J\tx\ny"); got != "eve?[2J?x?y" {
		t.Fatalf("printable: %q", got)
	}
	if got := detailText(map[string]string{"b": "2", "a": "1\r"}); got != "a=1? b=2" {
		t.Fatalf("detail: %q", got)
	}
}
