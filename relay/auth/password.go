// Package auth hashes and checks technician passwords with argon2id (PHC
// string format) and generates passwords for new accounts.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// ErrBadHash means a stored hash is not an argon2id PHC string this package reads.
var ErrBadHash = errors.New("auth: malformed password hash")

// Params are argon2id's cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultParams follow RFC 9106's second recommendation (64 MiB), with two passes.
var DefaultParams = Params{Memory: 64 * 1024, Time: 2, Threads: 2}

const (
	saltLen = 16
	keyLen  = 32
)

// HashPassword hashes pw with DefaultParams.
func HashPassword(pw string) (string, error) { return HashPasswordParams(pw, DefaultParams) }

// HashPasswordParams hashes pw with p into a PHC string.
func HashPasswordParams(pw string, p Params) (string, error) {
	if p.Memory < 8*uint32(p.Threads) || p.Time == 0 || p.Threads == 0 {
		return "", fmt.Errorf("auth: invalid argon2id parameters %+v", p)
	}
	salt := make([]byte, saltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// maxMemory bounds what a stored hash may ask for, so a tampered row cannot
// make the relay allocate without limit.
const maxMemory = 1 << 20 // KiB (1 GiB)

// CheckPassword reports whether pw matches the encoded hash, using the
// parameters stored in it.
func CheckPassword(encoded, pw string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return false, ErrBadHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false, ErrBadHash
	}
	var p Params
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil || n != 3 ||
		p.Time == 0 || p.Time > 100 || p.Threads == 0 || p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory {
		return false, ErrBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return false, ErrBadHash
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) < 16 || len(want) > 128 {
		return false, ErrBadHash
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// alphabet has no look-alikes (0/O, 1/l/I).
const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// NewPassword returns 20 random characters (about 117 bits).
func NewPassword() string {
	b := make([]byte, 20)
	for i := range b {
		for {
			var r [1]byte
			rand.Read(r[:])
			if int(r[0]) < 256/len(alphabet)*len(alphabet) {
				b[i] = alphabet[int(r[0])%len(alphabet)]
				break
			}
		}
	}
	return string(b)
}
