package download

import (
	"errors"
	"strings"
	"testing"
)

func FuzzParseFileName(f *testing.F) {
	f.Add(FileName(Target{Host: "relay.example.com", Port: 4433, Fingerprint: "sha256:" + strings.Repeat("ab", 32), Token: "abcdefghijklmnopqrstuv_-0123"}, "windows"))
	f.Add("RelayDesk-SOS__1.2.3.4__1__" + strings.Repeat("0", 64))
	f.Add("setup.exe")
	f.Add(FileName(Target{Host: "relay.example.com", Port: 4433, Fingerprint: "sha256:" + strings.Repeat("ab", 32), Channel: "Ab-_cdefghijklmnopqrstuvwxyz0123456789ABCDE"}, "linux"))
	f.Fuzz(func(t *testing.T, name string) {
		tg, err := ParseFileName(name)
		if err != nil {
			return
		}
		if tg.Port < 1 || tg.Port > 65535 || len(tg.Fingerprint) != 7+64 || (tg.Token != "" && tg.Channel != "") {
			t.Fatalf("%q parsed to %+v", name, tg)
		}
	})
}

func TestFileNameRoundTrip(t *testing.T) {
	fp := "sha256:" + strings.Repeat("0f", 32)
	for _, tg := range []Target{
		{Host: "relay.example.com", Port: 4433, Fingerprint: fp, Token: "Ab-_cdefghijklmnopqrstuvwxyz0123456789ABCDE"},
		{Host: "127.0.0.1", Port: 443, Fingerprint: fp},
		{Host: "2001:db8::1", Port: 4433, Fingerprint: fp, Token: "x__y_zzzzzzzzzzzzzzzzzzzzzzzzz"},
		{Host: "relay.example.com", Port: 4433, Fingerprint: fp, Channel: "Ab-_cdefghijklmnopqrstuvwxyz0123456789ABCDE"},
		{Host: "2001:db8::1", Port: 443, Fingerprint: fp, Channel: "call_zzzzzzzzzzzzzzzzzzzzzzzzz-1"},
	} {
		for _, goos := range []string{"linux", "windows"} {
			name := FileName(tg, goos)
			for _, variant := range []string{name, "/home/ann/Downloads/" + name, strings.Replace(name, ".exe", " (1).exe", 1), name + " (2)"} {
				got, err := ParseFileName(variant)
				if err != nil || got != tg {
					t.Errorf("%q: %+v %v, want %+v", variant, got, err, tg)
				}
			}
		}
	}
	for _, bad := range []string{"sos", "RelayDesk-SOS__host__0__" + strings.Repeat("0", 64), "RelayDesk-SOS__host__44__short", "RelayDesk-SOS__h o s t__1__" + strings.Repeat("0", 64)} {
		if _, err := ParseFileName(bad); !errors.Is(err, ErrNoTarget) {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestBrowserRenames feeds the names browsers and file managers make of a
// download; every one must give back exactly the target it was made for.
func TestBrowserRenames(t *testing.T) {
	fp := "sha256:" + strings.Repeat("9e", 32)
	tok := "Zx9-_abcdefghijklmnopqrstuvwxyz0123456789-1" // a relay token (43) that itself ends in -1
	if len(tok) != TokenLen {
		t.Fatalf("test token has %d characters", len(tok))
	}
	link := Target{Host: "relay.example.com", Port: 4433, Fingerprint: fp, Token: tok}
	code := Target{Host: "10.0.0.5", Port: 443, Fingerprint: fp}
	call := Target{Host: "relay.example.com", Port: 4433, Fingerprint: fp, Channel: tok}
	cases := map[string]Target{}
	for _, tg := range []Target{link, code, call} {
		n := FileName(tg, "linux")
		w := FileName(tg, "windows")
		for _, v := range []string{
			n + " (1)", n + "(2)", n + "-1", n + "_2", n + " - Copy", n + " copy 3",
			strings.TrimSuffix(w, ".exe") + " (1).exe", strings.TrimSuffix(w, ".exe") + "(12).exe", strings.TrimSuffix(w, ".exe") + "-1.exe",
			strings.TrimSuffix(w, ".exe") + ".EXE", strings.TrimSuffix(w, ".exe") + " - Kopie.exe",
			"Copy of " + w, strings.Replace(n, "RelayDesk-SOS", "relaydesk-sos", 1),
			strings.Replace(n, strings.TrimPrefix(fp, "sha256:"), strings.ToUpper(strings.TrimPrefix(fp, "sha256:")), 1),
			`C:\Users\Ann\Downloads\` + w, "/Users/ann/Downloads/" + n + " 2",
		} {
			cases[v] = tg
		}
	}
	for name, want := range cases {
		got, err := ParseFileName(name)
		if err != nil || got != want {
			t.Errorf("%q: %+v %v, want %+v", name, got, err, want)
		}
	}
	// What cannot be recovered is refused, never half-read: a cut-off token
	// must not turn a link download into an attended one.
	for _, bad := range []string{
		"Unconfirmed 123456.crdownload", "sos-linux-amd64", "download",
		FileName(code, "linux")[:60],
		FileName(link, "linux")[:len(FileName(link, "linux"))-30],
		strings.Replace(FileName(code, "linux"), "9e9e", "9e9", 1),                          // 63 hex digits
		FileName(code, "linux") + "a",                                                       // 65 hex digits
		strings.Replace(FileName(link, "linux"), "__"+tok, "_"+tok, 1) + "__" + "short",     // token too short
		strings.Replace(FileName(link, "linux"), strings.TrimPrefix(fp, "sha256:"), "x", 1), // no fingerprint
	} {
		if got, err := ParseFileName(bad); !errors.Is(err, ErrNoTarget) {
			t.Errorf("%q accepted as %+v", bad, got)
		}
	}
}

// TestChannelTokenIsNoLinkToken: the same token in a link's name and in
// an SOS Call's name reads back as what it was; names made before SOS
// Call (link and attended) read as before; a cut-off marker is refused.
func TestChannelTokenIsNoLinkToken(t *testing.T) {
	fp := "sha256:" + strings.Repeat("0f", 32)
	tok := "Ab-_cdefghijklmnopqrstuvwxyz0123456789ABCDE"
	link := Target{Host: "relay.example.com", Port: 4433, Fingerprint: fp, Token: tok}
	call := Target{Host: "relay.example.com", Port: 4433, Fingerprint: fp, Channel: tok}
	if FileName(link, "linux") == FileName(call, "linux") {
		t.Fatal("a link's and a channel's download have the same name")
	}
	want := map[string]Target{
		"RelayDesk-SOS__relay.example.com__4433__" + strings.Repeat("0f", 32) + "__" + tok:               link,
		"RelayDesk-SOS__relay.example.com__4433__" + strings.Repeat("0f", 32) + "__" + tok + " (1).exe":  link,
		"RelayDesk-SOS__relay.example.com__4433__" + strings.Repeat("0f", 32) + "__call+" + tok + "-1":   call,
		"RelayDesk-SOS__relay.example.com__4433__" + strings.Repeat("0f", 32) + "__CALL+" + tok + ".exe": call,
		"RelayDesk-SOS__relay.example.com__4433__" + strings.Repeat("0f", 32):                            {Host: "relay.example.com", Port: 4433, Fingerprint: fp},
	}
	for name, w := range want {
		if got, err := ParseFileName(name); err != nil || got != w {
			t.Errorf("%q: %+v %v, want %+v", name, got, err, w)
		}
	}
	for _, bad := range []string{
		"RelayDesk-SOS__relay.example.com__4433__" + strings.Repeat("0f", 32) + "__call+",
		"RelayDesk-SOS__relay.example.com__4433__" + strings.Repeat("0f", 32) + "__call+short",
		"RelayDesk-SOS__relay.example.com__4433__" + strings.Repeat("0f", 32) + "__call",
	} {
		if got, err := ParseFileName(bad); !errors.Is(err, ErrNoTarget) {
			t.Errorf("%q accepted as %+v", bad, got)
		}
	}
	line := ConnectionLine(call)
	if line != "https://relay.example.com:4433/c/"+tok+"#"+fp {
		t.Fatalf("connection line %q", line)
	}
	if got, err := ParseConnection(line); err != nil || got != call {
		t.Fatalf("connection line back: %+v %v", got, err)
	}
}

func TestConnectionLine(t *testing.T) {
	fp := "sha256:" + strings.Repeat("ab", 32)
	for _, tg := range []Target{
		{Host: "relay.example.com", Port: 4433, Fingerprint: fp, Token: "Ab-_cdefghijklmnopqrstuvwxyz0123456789ABCDE"},
		{Host: "127.0.0.1", Port: 4433, Fingerprint: fp},
		{Host: "2001:db8::1", Port: 443, Fingerprint: fp, Token: "Ab-_cdefghijklmnopqrstuvwxyz0123456789ABCDE"},
		{Host: "relay.example.com", Port: 4433, Fingerprint: fp, Channel: "Ab-_cdefghijklmnopqrstuvwxyz0123456789ABCDE"},
	} {
		line := ConnectionLine(tg)
		for _, v := range []string{line, "  " + line + "\n", `"` + line + `"`, "<" + line + ">"} {
			got, err := ParseConnection(v)
			if err != nil || got != tg {
				t.Errorf("%q: %+v %v, want %+v", v, got, err, tg)
			}
		}
		// The download's name is accepted too.
		if got, err := ParseConnection(FileName(tg, "windows") + " (1)"); err != nil || got != tg {
			t.Errorf("file name: %+v %v", got, err)
		}
	}
	if !strings.HasPrefix(ConnectionLine(Target{Host: "2001:db8::1", Port: 443, Fingerprint: fp}), "https://[2001:db8::1]:443/sos#sha256:abab") {
		t.Fatalf("IPv6 line %q", ConnectionLine(Target{Host: "2001:db8::1", Port: 443, Fingerprint: fp}))
	}
	// Colons between byte pairs and upper case, as people copy fingerprints.
	got, err := ParseConnection("https://r.example:4433/sos#SHA256:" + strings.TrimSuffix(strings.Repeat("AB:", 32), ":"))
	if err != nil || got.Fingerprint != fp || got.Token != "" {
		t.Fatalf("fingerprint with colons: %+v %v", got, err)
	}
	if got, err := ParseConnection("https://r.example/s/Ab-_cdefghijklmnopqrstuvwxyz0123456789ABCDE#" + fp); err != nil || got.Port != 443 {
		t.Fatalf("default port: %+v %v", got, err)
	}
	if _, err := ParseConnection("https://r.example:4433/s/Ab-_cdefghijklmnopqrstuvwxyz0123456789ABCDE"); !errors.Is(err, ErrNoFingerprint) {
		t.Fatalf("link without fingerprint: %v", err)
	}
	for _, bad := range []string{
		"", "hello", "123 456 789", "http://r.example:4433/sos#" + fp, "https://r.example:4433/other#" + fp,
		"https://r.example:99999/sos#" + fp, "https://r.example:4433/sos#sha256:abcd", "https://r.example:4433/s/short#" + fp,
		"https://user@r.example:4433/sos#" + fp, "https://r.example:4433/s/Ab-_cdefghijklmnopqrstuvwxyz0123456789ABCDE/x#" + fp,
	} {
		if got, err := ParseConnection(bad); !errors.Is(err, ErrNotConnection) {
			t.Errorf("%q: %+v %v, want ErrNotConnection", bad, got, err)
		}
	}
}

func FuzzParseConnection(f *testing.F) {
	fp := "sha256:" + strings.Repeat("ab", 32)
	f.Add(ConnectionLine(Target{Host: "relay.example.com", Port: 4433, Fingerprint: fp, Token: "abcdefghijklmnopqrstuv_-0123"}))
	f.Add(ConnectionLine(Target{Host: "::1", Port: 1, Fingerprint: fp}))
	f.Add("https://x/s/y")
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := ParseConnection(s)
		if err != nil {
			return
		}
		if tg.Port < 1 || tg.Port > 65535 || len(tg.Fingerprint) != 7+64 || tg.Host == "" {
			t.Fatalf("%q parsed to %+v", s, tg)
		}
		// What is accepted survives the way back.
		if again, err := ParseConnection(ConnectionLine(tg)); err != nil || again != tg {
			t.Fatalf("%q: %+v does not round-trip: %+v %v", s, tg, again, err)
		}
	})
}
