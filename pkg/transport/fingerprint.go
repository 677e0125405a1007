package transport

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/quic-go/quic-go"

	"github.com/relaydesk/relaydesk/pkg/proto"
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

// presentedKey is the fingerprint of the leaf certificate the relay presented.
func presentedKey(raw [][]byte) (string, error) {
	if len(raw) == 0 {
		return "", ErrFingerprintMismatch
	}
	cert, err := x509.ParseCertificate(raw[0])
	if err != nil {
		return "", fmt.Errorf("parse relay certificate: %w", err)
	}
	return Fingerprint(cert), nil
}

// Probe connects to the relay at addr without trusting anything and returns
// the fingerprint of the key it presents, so that a person can compare it
// with the one the relay's operator gave them before trusting it. Nothing is
// sent over the connection.
func Probe(ctx context.Context, addr string) (string, error) {
	var got string
	conf := &tls.Config{
		MinVersion:         tls.VersionTLS13,
		NextProtos:         []string{proto.ALPN},
		InsecureSkipVerify: true, // we only read the key; nothing is trusted here
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			var err error
			got, err = presentedKey(raw)
			return err
		},
	}
	conn, err := quic.DialAddr(ctx, addr, conf, QUICConfig())
	if err != nil {
		return "", err
	}
	conn.CloseWithError(quic.ApplicationErrorCode(proto.ErrNone), "probe")
	return got, nil
}
