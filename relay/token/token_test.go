package token

import (
	"bytes"
	"encoding/base64"
	"testing"
)

func TestNew(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		tok, h := New()
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(raw) != 32 {
			t.Fatalf("token %q: %v", tok, err)
		}
		if seen[tok] {
			t.Fatal("duplicate token")
		}
		seen[tok] = true
		if !bytes.Equal(h, Hash(tok)) || len(h) != 32 {
			t.Fatal("hash does not match")
		}
	}
	if bytes.Equal(Hash("a"), Hash("b")) {
		t.Fatal("different tokens share a hash")
	}
}
