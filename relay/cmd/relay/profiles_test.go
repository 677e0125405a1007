package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/desk"
	"github.com/relaydesk/relaydesk/relay/store"
)

func TestAPITokens(t *testing.T) {
	dir := newData(t)
	st := openData(t, dir)
	ctx := context.Background()

	code, out, errOut := cli(t, "apitoken", "create", "--data", dir, "--name", "ci", "--role", "technician-manager")
	if code != 0 || !strings.Contains(errOut, "will not be shown again") {
		t.Fatalf("create: %d %q %q", code, out, errOut)
	}
	// Standard output is the token and nothing else.
	if !regexp.MustCompile(`^[A-Za-z0-9_-]{43}\n$`).MatchString(out) {
		t.Fatalf("create printed %q", out)
	}
	tok := strings.TrimSuffix(out, "\n")
	sum := sha256.Sum256([]byte(tok))
	got, err := st.APITokenByHash(ctx, sum[:])
	if err != nil || got.Name != "ci" || got.Role != store.RoleTechnicianManager || got.CreatedBy != cliActor() {
		t.Fatalf("token by hash: %+v %v", got, err)
	}
	all, _ := st.APITokens(ctx)
	if len(all) != 1 || string(all[0].Hash) == tok || strings.Contains(string(all[0].Hash), tok) {
		t.Fatal("the store keeps more than the token's hash")
	}

	failCLI(t, `There is already a live API token named "ci"`, "apitoken", "create", "--data", dir, "--name", "ci", "--role", "admin")
	failCLI(t, `Unknown role "root"`, "apitoken", "create", "--data", dir, "--name", "x", "--role", "root")
	if code, out, _ := cli(t, "apitoken", "create", "--data", dir, "--name", "x"); code != 2 || out != "" {
		t.Fatalf("create without a role: %d %q", code, out)
	}

	out = mustCLI(t, "apitoken", "list", "--data", dir)
	if !strings.Contains(out, "LAST USED") || !regexp.MustCompile(`ci\s+technician-manager\s+\S+ \S+\s+never\s+no`).MatchString(out) || strings.Contains(out, tok) {
		t.Fatalf("list:\n%s", out)
	}

	out = mustCLI(t, "apitoken", "revoke", "--data", dir, "ci")
	if !strings.Contains(out, `Revoked API token "ci"`) {
		t.Fatalf("revoke: %q", out)
	}
	if _, err := st.APITokenByHash(ctx, sum[:]); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a revoked token still authenticates: %v", err)
	}
	if out := mustCLI(t, "apitoken", "list", "--data", dir); !regexp.MustCompile(`ci\s+technician-manager\s+.*\s+yes\s`).MatchString(out) {
		t.Fatalf("list after revoke:\n%s", out)
	}
	failCLI(t, `There is no live API token named "ci"`, "apitoken", "revoke", "--data", dir, "ci")
	// The name is free again.
	mustCLI(t, "apitoken", "create", "--data", dir, "--name", "ci", "--role", "admin")

	created := auditOf(t, st, "apitoken.created")
	if len(created) != 2 || created[0].Detail["token"] != "ci" || created[0].Detail["role"] != "technician-manager" {
		t.Errorf("apitoken.created events: %+v", created)
	}
	for _, e := range created {
		for _, v := range e.Detail {
			if strings.Contains(v, tok) {
				t.Error("the audit trail holds the token")
			}
		}
	}
	if ev := auditOf(t, st, "apitoken.revoked"); len(ev) != 1 || ev[0].Detail["token"] != "ci" {
		t.Errorf("apitoken.revoked events: %+v", ev)
	}
}

// permissionRow finds a permission's row in `relay user permissions`.
func permissionRow(t *testing.T, out string, p proto.Permission) []string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[0] == string(p) {
			return f[1:]
		}
	}
	t.Fatalf("no row of %s in:\n%s", p, out)
	return nil
}

func TestUserPermit(t *testing.T) {
	dir := newData(t)
	st := openData(t, dir)
	ctx := context.Background()
	alice := userID(t, st, "alice")

	out := mustCLI(t, "user", "permissions", "--data", dir, "alice")
	for _, r := range desk.Table {
		want := allowText(slices.Contains(r.Roles, store.RoleTechnician))
		if row := permissionRow(t, out, r.Permission); !slices.Equal(row, []string{want, "-", want}) {
			t.Errorf("%s: %v, want %s - %s", r.Permission, row, want, want)
		}
	}

	out = mustCLI(t, "user", "permit", "alice", "chat", "deny", "--data", dir)
	if !strings.Contains(out, `chat is now denied for "alice" (an override).`) {
		t.Fatalf("deny: %q", out)
	}
	mustCLI(t, "user", "permit", "--data", dir, "alice", "monitor", "allow")
	ovs, err := st.Overrides(ctx, alice)
	if err != nil || !slices.Equal(ovs, []store.Override{{Permission: proto.PermChat, Allow: false}, {Permission: proto.PermMonitor, Allow: true}}) {
		t.Fatalf("overrides: %+v %v", ovs, err)
	}
	out = mustCLI(t, "user", "permissions", "--data", dir, "alice")
	if row := permissionRow(t, out, proto.PermChat); !slices.Equal(row, []string{"allow", "deny", "deny"}) {
		t.Errorf("chat: %v", row)
	}
	if row := permissionRow(t, out, proto.PermMonitor); !slices.Equal(row, []string{"deny", "allow", "allow"}) {
		t.Errorf("monitor: %v", row)
	}

	// The same again changes nothing and audits nothing.
	if out := mustCLI(t, "user", "permit", "--data", dir, "alice", "chat", "deny"); !strings.Contains(out, "Nothing to change") {
		t.Fatalf("repeat: %q", out)
	}
	mustCLI(t, "user", "permit", "--data", dir, "alice", "chat", "inherit")
	ovs, _ = st.Overrides(ctx, alice)
	if !slices.Equal(ovs, []store.Override{{Permission: proto.PermMonitor, Allow: true}}) {
		t.Fatalf("overrides after inherit: %+v", ovs)
	}
	out = mustCLI(t, "user", "permissions", "--data", dir, "alice")
	if row := permissionRow(t, out, proto.PermChat); !slices.Equal(row, []string{"allow", "-", "allow"}) {
		t.Errorf("chat after inherit: %v", row)
	}

	failCLI(t, `Unknown permission "fly"; the permissions are: view, control,`, "user", "permit", "--data", dir, "alice", "fly", "allow")
	failCLI(t, "Give allow, deny or inherit", "user", "permit", "--data", dir, "alice", "chat", "maybe")
	failCLI(t, `There is no user named "zed"`, "user", "permit", "--data", dir, "zed", "chat", "allow")
	failCLI(t, `There is no user named "zed"`, "user", "permissions", "--data", dir, "zed")
	if code, _, _ := cli(t, "user", "permit", "--data", dir, "alice", "chat"); code != 2 {
		t.Fatalf("permit without a value: exit %d", code)
	}

	ev := auditOf(t, st, "user.permission")
	if len(ev) != 3 {
		t.Fatalf("%d user.permission events, want 3: %+v", len(ev), ev)
	}
	if d := ev[0].Detail; d["user"] != "alice" || d["permission"] != "chat" || d["from"] != "inherit" || d["to"] != "deny" {
		t.Errorf("first event: %v", d)
	}
	if d := ev[2].Detail; d["from"] != "deny" || d["to"] != "inherit" {
		t.Errorf("inherit event: %v", d)
	}
}

func TestUserProfile(t *testing.T) {
	dir := newData(t)
	st := openData(t, dir)
	alice := userID(t, st, "alice")

	out := mustCLI(t, "user", "profile", "--data", dir, "alice")
	if !strings.Contains(out, "available (the default)") || !strings.Contains(out, "5 (the relay's default)") {
		t.Fatalf("profile:\n%s", out)
	}
	out = mustCLI(t, "user", "profile", "alice", "--data", dir, "--languages", "de-CH, EN,de", "--max-sessions", "3", "--availability", "away")
	if !strings.Contains(out, `Changed the profile of "alice".`) || !strings.Contains(out, "de, en") {
		t.Fatalf("set profile:\n%s", out)
	}
	p, err := st.Profile(context.Background(), alice)
	if err != nil || !slices.Equal(p.Languages, []string{"de", "en"}) || p.MaxSessions != 3 || p.Availability != proto.Away {
		t.Fatalf("stored profile: %+v %v", p, err)
	}
	mustCLI(t, "user", "profile", "alice", "--data", dir, "--availability", "busy")
	p, _ = st.Profile(context.Background(), alice)
	if p.Availability != proto.Busy || p.MaxSessions != 3 || len(p.Languages) != 2 {
		t.Fatalf("profile after one change: %+v", p)
	}
	failCLI(t, "give available, busy or away", "user", "profile", "alice", "--data", dir, "--availability", "asleep")
	failCLI(t, "is negative", "user", "profile", "alice", "--data", dir, "--max-sessions", "-1")
	failCLI(t, `"e1" is not one`, "user", "profile", "alice", "--data", dir, "--languages", "e1")

	ev := auditOf(t, st, "user.profile")
	if len(ev) != 2 || ev[0].Detail["languages"] != "de,en" || ev[0].Detail["max_sessions"] != "3" || ev[1].Detail["availability"] != "busy" {
		t.Errorf("user.profile events: %+v", ev)
	}
	// The existing user commands still work beside the new ones.
	if out := mustCLI(t, "user", "list", "--data", dir); !strings.Contains(out, "alice") {
		t.Fatalf("user list: %q", out)
	}
}
