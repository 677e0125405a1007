package e2e

import (
	"strings"
	"testing"
)

func TestRelayCommands(t *testing.T) {
	parallel(t)
	dir := t.TempDir()
	out, code := run(t, nil, "", "relay", "fingerprint", "--data", dir)
	if code == 0 || !strings.Contains(out, "No relay identity") {
		t.Fatalf("fingerprint before the first start: %d %q", code, out)
	}
	r := startRelay(t)
	out, code = run(t, nil, "", "relay", "fingerprint", "--data", r.data)
	if code != 0 || strings.TrimSpace(out) != r.fp {
		t.Fatalf("fingerprint %q, relay printed %s", out, r.fp)
	}
	out, code = run(t, nil, "", "relay", "user", "add", "--data", r.data, "--name", "mia", "--role", "channel-manager")
	if code != 0 || !strings.Contains(out, `Created channel-manager "mia"`) || !strings.Contains(out, "Password: ") {
		t.Fatalf("user add: %d %q", code, out)
	}
	pw := strings.TrimSpace(out[strings.Index(out, "Password: ")+len("Password: "):])
	r.login(t, "mia", pw)
	out, code = run(t, nil, "", "relay", "user", "add", "--data", r.data, "--name", "mia", "--role", "technician")
	if code == 0 || strings.TrimSpace(out) != `A user named "mia" already exists.` {
		t.Fatalf("duplicate user: %d %q", code, out)
	}
	out, code = run(t, nil, "", "relay", "user", "add", "--data", r.data, "--name", "zed", "--role", "boss")
	if code == 0 || !strings.Contains(out, `Unknown role "boss"`) {
		t.Fatalf("bad role: %d %q", code, out)
	}
	out, code = run(t, nil, "short\n", "relay", "user", "add", "--data", r.data, "--name", "zed", "--password-stdin")
	if code == 0 || !strings.Contains(out, "at least 8 characters") {
		t.Fatalf("short password: %d %q", code, out)
	}
	// A second relay on the same port says so in a sentence.
	out, code = run(t, nil, "", "relay", "serve", "--data", dataDir(t), "--addr", r.addr)
	if code == 0 || !strings.Contains(out, "Listen on UDP "+r.addr) {
		t.Fatalf("port in use: %d %q", code, out)
	}
	if strings.Contains(out, "goroutine") || strings.Contains(out, "password") {
		t.Fatalf("stack trace: %q", out)
	}
}
