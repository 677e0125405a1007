package main

import (
	"testing"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

func TestParseOpenURL(t *testing.T) {
	for raw, want := range map[string]proto.Connect{
		"sosconsole://connect/123456789":       {Code: "123456789"},
		"sosconsole://connect/123-456-789":     {Code: "123456789"},
		"sosconsole://connect/123%20456%20789": {Code: "123456789"},
		"sosconsole://session/ab12cd":          {SessionID: "ab12cd"},
	} {
		got, err := parseOpenURL(raw)
		if err != nil || got != want {
			t.Errorf("parseOpenURL(%q) = %+v, %v; want %+v", raw, got, err, want)
		}
	}
	for _, raw := range []string{
		"sosconsole://connect/12345678", "sosconsole://connect/12345678a", "https://connect/123456789",
		"sosconsole://delete/123456789", "sosconsole://session/", "sosconsole://session/a/b", "not a url",
	} {
		if _, err := parseOpenURL(raw); err == nil {
			t.Errorf("parseOpenURL(%q) accepted", raw)
		}
	}
}
