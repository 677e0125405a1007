// Package codes makes and reads attended session codes: 9 random decimal
// digits, shown to people as "123 456 789".
package codes

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// ErrMalformed means the input is not 9 digits.
var ErrMalformed = errors.New("codes: a session code has 9 digits")

const space = 1_000_000_000

// New returns a uniformly random code of 9 digits (leading zeros allowed).
func New() string {
	// Rejection sampling over 32-bit values avoids modulo bias.
	const limit = (1 << 32) / space * space
	var b [4]byte
	for {
		rand.Read(b[:])
		if v := binary.BigEndian.Uint32(b[:]); v < limit {
			return fmt.Sprintf("%09d", v%space)
		}
	}
}

// Format groups a code's digits for reading aloud: "123 456 789".
func Format(code string) string {
	if len(code) != 9 {
		return code
	}
	return code[:3] + " " + code[3:6] + " " + code[6:]
}

// Parse accepts a code as people type it, with spaces, dashes or dots
// between digits, and returns its 9 digits.
func Parse(input string) (string, error) {
	var b strings.Builder
	for _, r := range strings.TrimSpace(input) {
		switch {
		case r >= '0' && r <= '9':
			if b.Len() == 9 {
				return "", ErrMalformed
			}
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.':
		default:
			return "", ErrMalformed
		}
	}
	if b.Len() != 9 {
		return "", ErrMalformed
	}
	return b.String(), nil
}
