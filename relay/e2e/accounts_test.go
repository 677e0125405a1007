package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/console/client"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// watchQueue keeps a technician's connection open, as a console does.
func (r *relay) watchQueue(t *testing.T, tech technician) *proc {
	t.Helper()
	p := start(t, tech.env, "console", "queue", "--watch")
	p.expect(`The queue is empty\.`)
	return p
}

// closedWith waits for a watching console to be closed by the relay with a
// sentence containing want.
func closedWith(t *testing.T, p *proc, want string) {
	t.Helper()
	p.expect(want)
	if code := p.wait(); code == 0 {
		t.Fatalf("console exited 0 after: %s", want)
	}
}

func TestUserLifecycleCommands(t *testing.T) {
	parallel(t)
	r := startRelay(t)
	userCmd := func(stdin string, args ...string) (string, int) {
		t.Helper()
		return run(t, nil, stdin, "relay", append(append([]string{"user"}, args...), "--data", r.data)...)
	}
	r.addUser(t, "ann", "technician", "first-password")
	ann := r.login(t, "ann", "first-password")

	out, code := userCmd("", "list")
	if code != 0 || !regexpMatch(`(?m)^ann\s+technician\s+enabled`, out) || !regexpMatch(`(?m)^admin\s+admin\s+enabled`, out) {
		t.Fatalf("list: %d\n%s", code, out)
	}

	// A role change closes the live connection; the token still signs in.
	w := r.watchQueue(t, ann)
	if out, code = userCmd("", "role", "ann", "channel-manager"); code != 0 {
		t.Fatalf("role: %d %s", code, out)
	}
	closedWith(t, w, "role changed from technician to channel-manager")
	if out, code = run(t, ann.env, "", "console", "queue"); code != 0 {
		t.Fatalf("queue after the role change: %d %s", code, out)
	}

	// Revoke ends the sign-in: live connection closed, token refused.
	w = r.watchQueue(t, ann)
	if out, code = userCmd("", "revoke", "ann"); code != 0 || !strings.Contains(out, "Revoked 1 sign-in(s)") {
		t.Fatalf("revoke: %d %s", code, out)
	}
	closedWith(t, w, "sign-in was revoked")
	if out, code = run(t, ann.env, "", "console", "queue"); code == 0 {
		t.Fatalf("queue with a revoked token: %s", out)
	}

	// Disable: closed, refused even with the right password; enable: back.
	ann = r.login(t, "ann", "first-password")
	w = r.watchQueue(t, ann)
	if out, code = userCmd("", "disable", "ann"); code != 0 {
		t.Fatalf("disable: %d %s", code, out)
	}
	closedWith(t, w, "account was disabled")
	if out, code = run(t, nil, "first-password\n", "console", "login", "--relay", r.addr, "--fingerprint", r.fp, "--user", "ann"); code == 0 {
		t.Fatalf("a disabled user signed in: %s", out)
	}
	if out, code = userCmd("", "enable", "ann"); code != 0 {
		t.Fatalf("enable: %d %s", code, out)
	}
	r.login(t, "ann", "first-password")

	// passwd: generated and printed, or from stdin; the old one stops working.
	out, code = userCmd("", "passwd", "ann")
	i := strings.Index(out, "Password: ")
	if code != 0 || i < 0 {
		t.Fatalf("passwd: %d %s", code, out)
	}
	r.login(t, "ann", strings.TrimSpace(out[i+len("Password: "):]))
	if out, code = userCmd("second-password\n", "passwd", "--password-stdin", "ann"); code != 0 || strings.Contains(out, "second-password") {
		t.Fatalf("passwd from stdin: %d %s", code, out)
	}
	r.login(t, "ann", "second-password")
	if out, code = run(t, nil, "first-password\n", "console", "login", "--relay", r.addr, "--fingerprint", r.fp, "--user", "ann"); code == 0 {
		t.Fatalf("the old password still works: %s", out)
	}

	// Mistakes get a sentence and change nothing.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"disable", "admin"}, `"admin" is the last enabled administrator; make another user admin first.`},
		{[]string{"role", "admin", "technician"}, `"admin" is the last enabled administrator; make another user admin first.`},
		{[]string{"disable", "nobody"}, `There is no user named "nobody" (relay user list shows them).`},
		{[]string{"role", "ann", "boss"}, `Unknown role "boss" (roles: admin, technician-manager, channel-manager, technician).`},
	} {
		if out, code = userCmd("", c.args...); code != 1 || strings.TrimSpace(out) != c.want {
			t.Errorf("%v: %d %q", c.args, code, out)
		}
	}
	typo := filepath.Join(t.TempDir(), "relay-dat")
	out, code = run(t, nil, "", "relay", "user", "list", "--data", typo)
	if code != 1 || strings.TrimSpace(out) != "There is no relay database in "+typo+"; give the relay's data directory with --data." {
		t.Errorf("mistyped --data: %d %q", code, out)
	}
	if _, err := os.Stat(typo); !os.IsNotExist(err) {
		t.Errorf("a mistyped --data was created: %v", err)
	}
	r.login(t, "admin", r.adminPW)

	// Every change is in the audit trail, as JSON lines and as a table.
	out, code = run(t, nil, "", "relay", "audit", "--data", r.data, "--json")
	if code != 0 {
		t.Fatalf("audit: %d %s", code, out)
	}
	kinds := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var e struct {
			Kind, Actor string
			Detail      map[string]string
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		kinds[e.Kind]++
		if strings.HasPrefix(e.Kind, "user.") && e.Kind != "user.created" && (!strings.HasPrefix(e.Actor, "relay user") || e.Detail["user"] != "ann") {
			t.Errorf("account change without actor or user: %s", line)
		}
	}
	for _, k := range []string{"user.role", "user.revoked", "user.disabled", "user.enabled", "user.password", "login.ok", "login.token", "login.failed", "connection.revoked", "token.rejected"} {
		if kinds[k] == 0 {
			t.Errorf("no %s event in the audit trail: %v", k, kinds)
		}
	}
	if kinds["user.password"] != 2 || kinds["connection.revoked"] != 3 {
		t.Errorf("audit counts: %v", kinds)
	}
	out, code = run(t, nil, "", "relay", "audit", "--data", r.data, "--since", "1h")
	if code != 0 || !regexpMatch(`(?m)^\S+ \S+\s+user\.disabled\s+relay user`, out) || !strings.HasPrefix(out, "TIME") {
		t.Fatalf("audit table: %d\n%s", code, out)
	}
	out, code = run(t, nil, "", "relay", "audit", "--data", r.data, "--since", "2200-01-01", "--json")
	if code != 0 || out != "" {
		t.Fatalf("audit of the future: %d %q", code, out)
	}
	out, code = run(t, nil, "", "relay", "audit", "--data", r.data, "--since", "yesterday")
	if code != 1 || !strings.Contains(out, `--since "yesterday" is neither a duration`) {
		t.Fatalf("bad --since: %d %q", code, out)
	}
}

// M6: the first password is in a private file, never in the output; the
// relay creates its files private and refuses a data directory others can read.
func TestDataDirectoryIsPrivate(t *testing.T) {
	parallel(t)
	r := startRelay(t)
	if strings.Contains(r.output(), r.adminPW) {
		t.Fatal("the admin password is in the relay's output")
	}
	for name, want := range map[string]os.FileMode{".": 0o700, "relay.db": 0o600, "relay.key": 0o600, "admin-password": 0o600} {
		fi, err := os.Stat(filepath.Join(r.data, name))
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v %v, want %04o", name, fi.Mode().Perm(), err, want)
		}
	}
	r.kill()

	db := filepath.Join(r.data, "relay.db")
	os.Chmod(db, 0o644)
	out, code := run(t, nil, "", "relay", "serve", "--data", r.data, "--addr", r.addr)
	if code != 1 || !strings.Contains(out, "Run: chmod 600 "+db) {
		t.Fatalf("group-readable database: %d %q", code, out)
	}
	out, code = run(t, nil, "", "relay", "user", "list", "--data", r.data)
	if code != 1 || !strings.Contains(out, "Run: chmod 600 "+db) {
		t.Fatalf("user list on a group-readable database: %d %q", code, out)
	}
	os.Chmod(db, 0o600)
	os.Chmod(r.data, 0o755)
	out, code = run(t, nil, "", "relay", "serve", "--data", r.data, "--addr", r.addr)
	if code != 1 || !strings.Contains(out, "Run: chmod 700 "+r.data) {
		t.Fatalf("open data directory: %d %q", code, out)
	}
	os.Chmod(r.data, 0o700)
	r.launch(t) // the password file stays; a restart prints no new one
	if strings.Contains(r.output(), "administrator account") {
		t.Fatalf("second start: %s", r.output())
	}
}

func regexpMatch(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }

// The console's sign-out (console/client Logout) revokes the token on the
// relay: its other connections close and the saved token stops working.
func TestConsoleLogoutRevokesToken(t *testing.T) {
	parallel(t)
	r := startRelay(t)
	r.addUser(t, "ann", "technician", "first-password")
	ann := r.login(t, "ann", "first-password")
	w := r.watchQueue(t, ann)

	l, err := client.ReadLogin(filepath.Join(strings.TrimPrefix(ann.env[0], "XDG_CONFIG_HOME="), "relaydesk", "console.json"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := l.Open(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Logout(ctx); err != nil {
		t.Fatalf("logout: %v", err)
	}
	closedWith(t, w, "sign-in was revoked")
	if _, err := l.Open(ctx, nil); proto.CodeOf(err) != proto.ErrUnauthenticated {
		t.Fatalf("the token after logout: %v", err)
	}
	out, _ := run(t, nil, "", "relay", "audit", "--data", r.data)
	if !regexpMatch(`(?m)^\S+ \S+\s+logout\s+ann\s+127\.0\.0\.1`, out) {
		t.Fatalf("no logout in the audit:\n%s", out)
	}
}

// TestConsoleLogoutCommand: `console logout` revokes the saved sign-in on
// the relay (a live watch with the same token is closed) and forgets it
// here, keeping the relay and user name for the next sign-in.
func TestConsoleLogoutCommand(t *testing.T) {
	parallel(t)
	r := startRelay(t)
	r.addUser(t, "ann", "technician", "first-password")
	ann := r.login(t, "ann", "first-password")
	w := r.watchQueue(t, ann)
	out, code := run(t, ann.env, "", "console", "logout")
	if code != 0 || !strings.Contains(out, "the relay revoked this sign-in") {
		t.Fatalf("console logout: %d %s", code, out)
	}
	closedWith(t, w, "sign-in was revoked")
	out, code = run(t, ann.env, "", "console", "queue")
	if code == 0 || !strings.Contains(out, "not signed in") {
		t.Fatalf("queue after logout: %d %s", code, out)
	}
	if out, code = run(t, ann.env, "", "console", "logout"); code != 0 || !strings.Contains(out, "not signed in") {
		t.Fatalf("a second logout: %d %s", code, out)
	}
}
