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
	f.Fuzz(func(t *testing.T, name string) {
		tg, err := ParseFileName(name)
		if err != nil {
			return
		}
		if tg.Port < 1 || tg.Port > 65535 || len(tg.Fingerprint) != 7+64 {
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
