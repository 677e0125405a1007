//go:build unix

package relay

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPrepareDataDir(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "data")
	if err := prepareDataDir(dir); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Fatalf("created %04o", fi.Mode().Perm())
	}
	key := filepath.Join(base, "tls.key") // --key outside the data directory
	os.WriteFile(key, []byte("k"), 0o640)
	for _, c := range []struct {
		name   string
		mode   os.FileMode
		extra  string
		want   string
		isFile bool
	}{
		{"relay.db", 0o644, "", "Run: chmod 600 " + filepath.Join(dir, "relay.db"), true},
		{"relay.db-wal", 0o604, "", "Run: chmod 600 " + filepath.Join(dir, "relay.db-wal"), true},
		{"admin-password", 0o640, "", "Run: chmod 600 " + filepath.Join(dir, "admin-password"), true},
		{".", 0o750, "", "Run: chmod 700 " + dir, false},
		{"", 0, key, "Run: chmod 600 " + key, false},
	} {
		p := filepath.Join(dir, c.name)
		if c.isFile {
			os.WriteFile(p, nil, 0o600)
		}
		if c.name != "" {
			os.Chmod(p, c.mode)
		}
		var extra []string
		if c.extra != "" {
			extra = append(extra, c.extra)
		}
		err := prepareDataDir(dir, extra...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %04o: %v", c.name, c.mode, err)
		}
		if c.name == "." {
			os.Chmod(dir, 0o700)
		} else if c.name != "" {
			os.Chmod(p, 0o600)
		}
	}
	os.Chmod(key, 0o600)
	if err := prepareDataDir(dir, key); err != nil {
		t.Fatalf("private again: %v", err)
	}
}
