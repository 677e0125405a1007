package download

import (
	"errors"
	"strings"
	"testing"
)

func TestPinRefusesOtherRelays(t *testing.T) {
	key := "sha256:" + strings.Repeat("ab", 32)
	other := "sha256:" + strings.Repeat("cd", 32)
	if p := ParsePin("", ""); p.Release() || p.Check("evil.example:443", other) != nil {
		t.Fatal("a dev build refused a relay")
	}
	p := ParsePin("Relay.Example.com, 192.0.2.7", strings.ToUpper(key))
	for _, ok := range []struct{ addr, fp string }{{"relay.example.com:4433", key}, {"RELAY.example.com:443", strings.ToUpper(key)}, {"192.0.2.7:4433", key}} {
		if err := p.Check(ok.addr, ok.fp); err != nil {
			t.Errorf("%s refused: %v", ok.addr, err)
		}
	}
	for _, bad := range []struct{ addr, fp, say string }{
		{"evil.example:443", key, "only connects to the support server relay.example.com or 192.0.2.7; these connection details point at evil.example"},
		{"relay.example.com.evil.example:4433", key, "point at relay.example.com.evil.example"},
		{"relay.example.com:4433", other, "carry a key for relay.example.com that this app was not built for"},
	} {
		err := p.Check(bad.addr, bad.fp)
		if !errors.Is(err, ErrOtherRelay) || !strings.Contains(err.Error(), bad.say) {
			t.Errorf("%s %s: %v, want a refusal saying %q", bad.addr, bad.fp[:10], err, bad.say)
		}
	}
	// The name of a renamed download is checked like any other details.
	name := FileName(Target{Host: "evil.example", Port: 443, Fingerprint: key}, "windows")
	tg, err := ParseFileName("Invoice " + name)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Check(tg.Addr(), tg.Fingerprint); !errors.Is(err, ErrOtherRelay) {
		t.Fatalf("renamed download accepted: %v", err)
	}
}
