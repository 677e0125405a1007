package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/relay"
	"github.com/relaydesk/relaydesk/relay/store"
)

// cli runs the relay's command line as main does and gives its exit code
// and what it printed. Tests that use it do not run in parallel: it swaps
// os.Stdout and os.Stderr.
func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	dir := t.TempDir()
	outF, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	errF, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	oldOut, oldErr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = outF, errF
	func() {
		defer func() { os.Stdout, os.Stderr = oldOut, oldErr }()
		code = run(args)
	}()
	outF.Close()
	errF.Close()
	o, _ := os.ReadFile(outF.Name())
	e, _ := os.ReadFile(errF.Name())
	return code, string(o), string(e)
}

// mustCLI runs a command that has to succeed.
func mustCLI(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := cli(t, args...)
	if code != 0 {
		t.Fatalf("relay %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// failCLI runs a command that has to fail with exit code 1 and a sentence
// on standard error containing want.
func failCLI(t *testing.T, want string, args ...string) {
	t.Helper()
	code, out, errOut := cli(t, args...)
	if code != 1 || !strings.Contains(errOut, want) {
		t.Fatalf("relay %s: exit %d, want 1 and %q on stderr\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out, errOut)
	}
	if !strings.HasSuffix(strings.TrimSpace(errOut), ".") {
		t.Fatalf("relay %s: stderr is not a sentence: %q", strings.Join(args, " "), errOut)
	}
}

// newData makes a data directory with the users alice and bob
// (technicians), carol (channel manager) and tim (technician manager).
func newData(t *testing.T) string {
	t.Helper()
	restrictUmask() // as main: the data directory's files must be private
	dir := filepath.Join(t.TempDir(), "data")
	for _, u := range [][2]string{{"alice", "technician"}, {"bob", "technician"}, {"carol", "channel-manager"}, {"tim", "technician-manager"}} {
		mustCLI(t, "user", "add", "--data", dir, "--name", u[0], "--role", u[1])
	}
	return dir
}

// openData opens the data directory's store for checks; it closes when the
// test ends.
func openData(t *testing.T, dir string) store.Store {
	t.Helper()
	st, err := relay.OpenStore(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// auditOf gives the CLI's audit events of kind, oldest first.
func auditOf(t *testing.T, st store.Store, kind string) []store.AuditEvent {
	t.Helper()
	evs, err := st.AuditSince(context.Background(), time.Time{}, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.AuditEvent
	for _, e := range evs {
		if e.Kind == kind {
			if e.Actor != cliActor() {
				t.Errorf("%s event by %q, want %q", kind, e.Actor, cliActor())
			}
			out = append(out, e)
		}
	}
	return out
}

// userID gives a user's ID.
func userID(t *testing.T, st store.Store, name string) int64 {
	t.Helper()
	u, err := st.UserByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// An unknown desk subcommand is a usage error, like any unknown command.
func TestDeskUnknownSubcommand(t *testing.T) {
	for _, args := range [][]string{{"group"}, {"channel", "frob"}, {"apitoken", "show"}} {
		if code, _, errOut := cli(t, args...); code != 2 || !strings.Contains(errOut, "Unknown command") || !strings.Contains(errOut, "relay channel add") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
	// A mistyped --data is not a new relay.
	failCLI(t, "There is no relay database in", "group", "list", "--data", filepath.Join(t.TempDir(), "nothing"))
}
