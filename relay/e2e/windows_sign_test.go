package e2e

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/download"
)

// TestSignedDownloadSurvivesRenaming signs a Windows program with
// installers/sign.sh and a throwaway code-signing certificate, renames it
// as the download pages and a browser do (connection details and token in
// the name, " (1)" added), and checks that the signature still verifies and
// the name still carries the details; a changed byte breaks the signature.
func TestSignedDownloadSurvivesRenaming(t *testing.T) {
	parallel(t)
	dir := t.TempDir()
	exe := filepath.Join(dir, "sos-windows-amd64.exe")
	src := filepath.Join(dir, "main.go")
	os.WriteFile(src, []byte("package main\n\nfunc main() { println(\"RelayDesk\") }\n"), 0o644)
	build := exec.Command("go", "build", "-o", exe, src)
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build a Windows program: %v\n%s", err, out)
	}
	cert, key := throwawayCodeSigningCert(t, dir)

	out, err := exec.Command("../../installers/sign.sh", exe, cert, key).CombinedOutput()
	if err != nil {
		t.Fatalf("sign.sh: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "signed and verified") {
		t.Fatalf("sign.sh said: %s", out)
	}

	target := download.Target{Host: "support.example.com", Port: 4433, Fingerprint: "sha256:" + strings.Repeat("ab", 32), Token: strings.Repeat("Zq9_", 10) + "xyz"}
	name := strings.TrimSuffix(download.FileName(target, "windows"), ".exe") + " (1).exe"
	renamed := filepath.Join(dir, name)
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(renamed, b, 0o644)
	verify := func(path string) (string, error) {
		out, err := exec.Command("osslsigncode", "verify", "-CAfile", cert, "-in", path).CombinedOutput()
		return string(out), err
	}
	if out, err := verify(renamed); err != nil || !strings.Contains(out, "Succeeded") {
		t.Fatalf("the renamed signed file does not verify: %v\n%s", err, out)
	}
	got, err := download.ParseFileName(renamed)
	if err != nil || got != target {
		t.Fatalf("the renamed file carries %+v (%v), want %+v", got, err, target)
	}

	// The check can fail: one changed byte in the code breaks the signature.
	b[len(b)/2] ^= 0xff
	tampered := filepath.Join(dir, "tampered.exe")
	os.WriteFile(tampered, b, 0o644)
	if out, err := verify(tampered); err == nil {
		t.Fatalf("a changed file still verifies:\n%s", out)
	}
}

// throwawayCodeSigningCert writes a self-signed code-signing certificate
// and its key as PEM files.
func throwawayCodeSigningCert(t *testing.T, dir string) (cert, key string) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "RelayDesk test organisation", Organization: []string{"Acme IT"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}), 0o600)
	return cert, key
}
