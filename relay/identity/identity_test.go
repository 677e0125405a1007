package identity

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCreateThenReload(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	c1, created, err := LoadOrCreate(dir)
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	fp1, _ := Fingerprint(c1)
	c2, created, err := LoadOrCreate(dir)
	if err != nil || created {
		t.Fatalf("reload: %v %v", created, err)
	}
	fp2, _ := Fingerprint(c2)
	if fp1 != fp2 || !strings.HasPrefix(fp1, "sha256:") || len(fp1) != 7+64 {
		t.Fatalf("fingerprints %s %s", fp1, fp2)
	}
	if fi, _ := os.Stat(filepath.Join(dir, KeyFile)); fi.Mode().Perm() != 0o600 {
		t.Fatalf("key mode %v", fi.Mode())
	}
}

func TestHalfIdentityIsNotReplaced(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := LoadOrCreate(dir); err != nil {
		t.Fatal(err)
	}
	key, _ := os.ReadFile(filepath.Join(dir, KeyFile))
	os.Remove(filepath.Join(dir, CertFile))
	_, _, err := LoadOrCreate(dir)
	if err == nil || !strings.Contains(err.Error(), CertFile) {
		t.Fatalf("lone key: %v", err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, KeyFile))
	if string(after) != string(key) {
		t.Fatal("the key was replaced")
	}
}

func TestGarbageIsAnError(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, CertFile), []byte("garbage"), 0o644)
	os.WriteFile(filepath.Join(dir, KeyFile), []byte("garbage"), 0o600)
	if _, _, err := LoadOrCreate(dir); err == nil {
		t.Fatal("garbage identity accepted")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, CertFile)); string(b) != "garbage" {
		t.Fatal("garbage was overwritten")
	}
}
