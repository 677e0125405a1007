package main

import (
	"strings"
	"testing"
)

func TestCallTarget(t *testing.T) {
	tok := "Ab-_cdefghijklmnopqrstuvwxyz0123456789ABCDE"
	fp := "sha256:" + strings.Repeat("ab", 32)
	for _, c := range []struct{ arg, fp, host string }{
		{tok, "", ""},
		{"https://relay.example.com:4433/c/" + tok + "#" + fp, "", "relay.example.com"},
		{"https://relay.example.com:4433/c/" + tok, fp, "relay.example.com"},
	} {
		got, err := callTarget(c.arg, c.fp)
		if err != nil || got.Channel != tok || got.Token != "" || got.Host != c.host {
			t.Errorf("%q: %+v %v", c.arg, got, err)
		}
	}
	for _, bad := range []string{"short", "https://relay.example.com:4433/s/" + tok + "#" + fp, "https://relay.example.com:4433/c/" + tok} {
		if got, err := callTarget(bad, ""); err == nil {
			t.Errorf("%q accepted as %+v", bad, got)
		}
	}
}
