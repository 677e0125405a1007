package auth

import (
	"errors"
	"strings"
	"testing"
)

var cheap = Params{Memory: 64, Time: 1, Threads: 1}

func TestHashAndCheck(t *testing.T) {
	h, err := HashPasswordParams("correct horse", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q", h)
	}
	if ok, err := CheckPassword(h, "correct horse"); !ok || err != nil {
		t.Fatalf("right password: %v %v", ok, err)
	}
	if ok, _ := CheckPassword(h, "correct horsf"); ok {
		t.Fatal("wrong password accepted")
	}
	h2, _ := HashPasswordParams("correct horse", cheap)
	if h == h2 {
		t.Fatal("salt is not random")
	}
}

func TestDefaultParams(t *testing.T) {
	h, err := HashPassword("pw")
	if err != nil || !strings.Contains(h, "m=65536,t=2,p=2") {
		t.Fatalf("%q %v", h, err)
	}
	if ok, _ := CheckPassword(h, "pw"); !ok {
		t.Fatal("default hash does not verify")
	}
}

func TestMalformedHashes(t *testing.T) {
	good, _ := HashPasswordParams("x", cheap)
	for _, bad := range []string{
		"", "plain", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		strings.Replace(good, "m=64", "m=99999999", 1),
		strings.Replace(good, "t=1", "t=0", 1),
		strings.Replace(good, "v=19", "v=16", 1),
		good[:len(good)-30],
	} {
		if _, err := CheckPassword(bad, "x"); !errors.Is(err, ErrBadHash) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestNewPassword(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		p := NewPassword()
		if len(p) != 20 || strings.ContainsAny(p, "0O1lI") || seen[p] {
			t.Fatalf("password %q", p)
		}
		seen[p] = true
	}
}

func FuzzCheckPassword(f *testing.F) {
	good, _ := HashPasswordParams("x", cheap)
	f.Add(good, "x")
	f.Add("$argon2id$v=19$m=64,t=1,p=1$$", "")
	f.Add("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "y")
	f.Fuzz(func(t *testing.T, encoded, pw string) {
		// Keep the cost of each run small: the parser bounds memory at 1 GiB,
		// which is fine for the relay but too slow for fuzzing.
		if strings.Contains(encoded, "m=") && !strings.Contains(encoded, "m=64,") && !strings.Contains(encoded, "m=8,") {
			return
		}
		ok, err := CheckPassword(encoded, pw)
		if err != nil && ok {
			t.Fatal("an error and a match")
		}
	})
}
