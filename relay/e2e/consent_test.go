package e2e

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/pkg/download"
)

// copyAs copies the binary name to dir under a download's name for t.
func copyAs(t *testing.T, name string, tg download.Target) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(bin, name))
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "Invoice "+download.FileName(tg, "linux"))
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestRenamedAppIsRefusedOrAsks: a release build renamed to point at
// another relay refuses with a sentence and connects nowhere; a dev build
// renamed the same way names the relay and connects only after a yes.
func TestRenamedAppIsRefusedOrAsks(t *testing.T) {
	parallel(t)
	r := startRelay(t)
	evil := download.Target{Host: "evil.example", Port: 443, Fingerprint: "sha256:" + strings.Repeat("ee", 32)}
	rel, err := filepath.Rel(bin, copyAs(t, "sos-release", evil))
	if err != nil {
		t.Fatal(err)
	}
	out, code := run(t, []string{"DISPLAY="}, "", rel, "--no-gui")
	if code != 1 || !strings.Contains(out, "This app only connects to the support server 127.0.0.1; these connection details point at evil.example, so it will not connect.") {
		t.Fatalf("release build renamed for another relay: exit %d\n%s", code, out)
	}

	host, p, _ := net.SplitHostPort(r.addr)
	port, _ := strconv.Atoi(p)
	dev, err := filepath.Rel(bin, copyAs(t, "sos", download.Target{Host: host, Port: port, Fingerprint: r.fp}))
	if err != nil {
		t.Fatal(err)
	}
	out, code = run(t, []string{"DISPLAY="}, "n\n", dev, "--no-gui")
	if code != 1 || !strings.Contains(out, "This app will connect to the support server 127.0.0.1.") || !strings.Contains(out, "You chose not to connect") || strings.Contains(out, "Session code") {
		t.Fatalf("dev build declined: exit %d\n%s", code, out)
	}
	sos := start(t, []string{"DISPLAY="}, dev, "--no-gui")
	sos.expect(`Connect\? \[y/N\]`)
	sos.say("y")
	sos.expect(codeLine)
}
