package transport

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// ErrBadFingerprint means a fingerprint string is not of the form sha256:<64 hex digits>.
var ErrBadFingerprint = errors.New("transport: fingerprint must look like sha256:<64 hex digits>")

// Fingerprint is "sha256:<hex>" of the certificate's public key (its
// SubjectPublicKeyInfo), so that a renewed certificate for the same key keeps
// the fingerprint.
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// ParseFingerprint normalises a fingerprint given by a person: case and
// colons between byte pairs are ignored.
func ParseFingerprint(s string) (string, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	rest, ok := strings.CutPrefix(s, "sha256:")
	if !ok {
		return "", ErrBadFingerprint
	}
	rest = strings.ReplaceAll(rest, ":", "")
	b, err := hex.DecodeString(rest)
	if err != nil || len(b) != sha256.Size {
		return "", fmt.Errorf("%w: %q", ErrBadFingerprint, s)
	}
	return "sha256:" + rest, nil
}
