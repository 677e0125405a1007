package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func TestAccountLifecycle(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	st := open(t, path)
	// A second handle on the same file plays `relay user` in another process.
	cli := open(t, path)
	ann := User{Name: "ann", Role: RoleTechnician, PasswordHash: "h1"}
	bob := User{Name: "bob", Role: RoleAdmin, PasswordHash: "h2"}
	for _, u := range []*User{&ann, &bob} {
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	exp := time.Now().Add(time.Hour)
	for _, h := range []string{"a1", "a2"} {
		if err := st.CreateToken(ctx, []byte(h), ann.ID, exp); err != nil {
			t.Fatal(err)
		}
	}
	st.CreateToken(ctx, []byte("b1"), bob.ID, exp)

	users, err := cli.ListUsers(ctx)
	if err != nil || len(users) != 2 || users[0].Name != "ann" || users[1].Name != "bob" {
		t.Fatalf("list: %+v %v", users, err)
	}
	changes := func() int64 {
		t.Helper()
		n, err := st.AccountChanges(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Each change made through the other handle moves the counter this one reads.
	steps := []struct {
		name string
		do   func() error
	}{
		{"role", func() error { return cli.SetRole(ctx, ann.ID, RoleChannelManager) }},
		{"password", func() error { return cli.SetPassword(ctx, ann.ID, "h3") }},
		{"revoke", func() error { n, err := cli.DeleteTokens(ctx, ann.ID); return errors.Join(err, wantN(n, 2)) }},
		{"disable", func() error { return cli.SetDisabled(ctx, bob.ID, true) }},
		{"enable", func() error { return cli.SetDisabled(ctx, bob.ID, false) }},
		{"logout", func() error { return cli.DeleteToken(ctx, []byte("none")) }}, // nothing deleted: no change
	}
	for _, s := range steps {
		before := changes()
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if moved := changes() > before; moved != (s.name != "logout") {
			t.Errorf("%s: counter moved %v", s.name, moved)
		}
	}
	got, _ := st.UserByID(ctx, ann.ID)
	if got.Role != RoleChannelManager || got.PasswordHash != "h3" || got.Disabled {
		t.Fatalf("ann after changes: %+v", got)
	}
	if _, err := st.TokenUser(ctx, []byte("a1"), time.Now()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoked token still works: %v", err)
	}
	// Disabling deleted bob's token: enabling again does not bring it back.
	if _, err := st.TokenUser(ctx, []byte("b1"), time.Now()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("token of a disabled user survived: %v", err)
	}
	for _, err := range []error{
		cli.SetRole(ctx, 999, RoleAdmin), cli.SetPassword(ctx, 999, "x"), cli.SetDisabled(ctx, 999, true),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown user: %v", err)
		}
	}
}

func wantN(got, want int) error {
	if got != want {
		return errors.New("wrong count")
	}
	return nil
}

func TestAuditSince(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "r.db"))
	for i := range 5 {
		st.Audit(ctx, &AuditEvent{At: t0.Add(time.Duration(i) * time.Hour), Kind: "k", Actor: "a"})
	}
	got, err := st.AuditSince(ctx, t0.Add(3*time.Hour), 0, 10)
	if err != nil || len(got) != 2 || !got[0].At.Equal(t0.Add(3*time.Hour)) {
		t.Fatalf("since: %+v %v", got, err)
	}
	got, _ = st.AuditSince(ctx, t0.Add(time.Hour), got[0].ID, 10)
	if len(got) != 1 || !got[0].At.Equal(t0.Add(4*time.Hour)) {
		t.Fatalf("since after id: %+v", got)
	}
}
