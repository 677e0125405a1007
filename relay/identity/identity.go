// Package identity keeps the relay's TLS identity: a key and self-signed
// certificate generated on first start in the data directory and never
// silently replaced, or an operator's own certificate.
package identity

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/relaydesk/relaydesk/pkg/transport"
)

// File names inside the data directory.
const (
	CertFile = "relay.crt"
	KeyFile  = "relay.key"
)

// LoadOrCreate loads dir's identity, or creates one when dir has none
// (created reports which). A half-present or unreadable identity is an
// error: replacing it would change the fingerprint every client pinned.
func LoadOrCreate(dir string) (cert tls.Certificate, created bool, err error) {
	cp, kp := filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	_, cerr := os.Stat(cp)
	_, kerr := os.Stat(kp)
	switch {
	case cerr == nil && kerr == nil:
		c, err := Load(cp, kp)
		return c, false, err
	case cerr == nil && errors.Is(kerr, os.ErrNotExist):
		return cert, false, fmt.Errorf("%s exists but its key %s is missing; restore the key (the relay will not replace its identity)", cp, kp)
	case kerr == nil && errors.Is(cerr, os.ErrNotExist):
		return cert, false, fmt.Errorf("%s exists but its certificate %s is missing; restore it (the relay will not replace its identity)", kp, cp)
	case !errors.Is(cerr, os.ErrNotExist):
		return cert, false, fmt.Errorf("read %s: %w", cp, cerr)
	case !errors.Is(kerr, os.ErrNotExist):
		return cert, false, fmt.Errorf("read %s: %w", kp, kerr)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return cert, false, fmt.Errorf("create %s: %w", dir, err)
	}
	certPEM, keyPEM, err := generate()
	if err != nil {
		return cert, false, err
	}
	if err := writeNew(kp, keyPEM, 0o600); err != nil {
		return cert, false, err
	}
	if err := writeNew(cp, certPEM, 0o644); err != nil {
		os.Remove(kp)
		return cert, false, err
	}
	c, err := Load(cp, kp)
	return c, true, err
}

// writeNew writes a file atomically, refusing to replace one that exists.
func writeNew(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp.Close()
	// Link fails if path exists, unlike Rename: never replace an identity.
	if err := os.Link(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func generate() (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key: %w", err)
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "RelayDesk relay"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if h, err := os.Hostname(); err == nil && h != "" && h != "localhost" {
		tmpl.DNSNames = append(tmpl.DNSNames, h)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create certificate: %w", err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("encode key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), nil
}

// Load reads a PEM certificate (chain) and key, e.g. from --cert/--key.
func Load(certFile, keyFile string) (tls.Certificate, error) {
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return c, fmt.Errorf("load TLS identity from %s and %s: %w", certFile, keyFile, err)
	}
	return c, nil
}

// Fingerprint is transport.Fingerprint of the identity's leaf certificate.
func Fingerprint(cert tls.Certificate) (string, error) {
	leaf := cert.Leaf
	if leaf == nil {
		if len(cert.Certificate) == 0 {
			return "", errors.New("identity: no certificate")
		}
		var err error
		if leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return "", fmt.Errorf("identity: parse certificate: %w", err)
		}
	}
	return transport.Fingerprint(leaf), nil
}
