// Package token makes the relay's random bearer secrets (login tokens,
// support-link tokens, agent resume keys) and the hashes under which they
// are stored, so that a copy of the database does not hand out live secrets.
package token

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// New returns a token of 256 random bits, URL-safe, and its storage hash.
func New() (tok string, hash []byte) {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	tok = base64.RawURLEncoding.EncodeToString(b[:])
	return tok, Hash(tok)
}

// Hash is the storage hash of a token: sha256 of its text.
func Hash(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}
