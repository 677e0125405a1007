package api

import (
	"net/http"
	"testing"

	"github.com/relaydesk/relaydesk/relay/auth"
	"github.com/relaydesk/relaydesk/relay/limit"
)

// A technician manager resets a technician's password: given, or made up
// by the relay and answered once; the sign-ins end when asked; a short
// password, an unknown technician and an admin's account are refused with
// a sentence and change nothing; every reset is audited.
func TestResetPassword(t *testing.T) {
	f := newFixture(t, limit.Rate{N: -1})
	tom := f.signIn("tom")
	checks := func(name, pw string) bool {
		t.Helper()
		u, err := f.st.UserByName(f.ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		ok, _ := auth.CheckPassword(u.PasswordHash, pw)
		return ok
	}

	r := f.do(http.MethodPost, "/api/v1/technicians/tina/password", tom, map[string]any{"password": "short"})
	if r.status != http.StatusBadRequest || r.sentence(t) != "A password has at least 8 characters." {
		t.Fatalf("short password: %d %s", r.status, r.body)
	}
	if u, _ := f.st.UserByName(f.ctx, "tina"); u.PasswordHash != "x" {
		t.Fatal("a refused reset changed the password")
	}

	r = f.do(http.MethodPost, "/api/v1/technicians/tina/password", tom, map[string]any{"password": "correct horse"})
	var got PasswordReset
	r.decode(t, &got)
	if r.status != http.StatusOK || got.Password != "" || !checks("tina", "correct horse") {
		t.Fatalf("given password: %d %s", r.status, r.body)
	}

	tinaTok := f.signIn("tina")
	r = f.do(http.MethodPost, "/api/v1/technicians/tina/password", tom, map[string]any{"sign_out": true})
	got = PasswordReset{}
	r.decode(t, &got)
	if r.status != http.StatusOK || len(got.Password) < 16 || got.SignedOut != 1 || !checks("tina", got.Password) {
		t.Fatalf("made-up password with sign-out: %d %s", r.status, r.body)
	}
	if r := f.do(http.MethodGet, "/api/v1/permissions", tinaTok, nil); r.status != http.StatusUnauthorized {
		t.Fatalf("tina's old sign-in still works: %d", r.status)
	}

	if r := f.do(http.MethodPost, "/api/v1/technicians/nobody/password", tom, map[string]any{}); r.status != http.StatusNotFound || r.sentence(t) != `There is no technician "nobody".` {
		t.Fatalf("unknown technician: %d %s", r.status, r.body)
	}
	if r := f.do(http.MethodPost, "/api/v1/technicians/ada/password", tom, map[string]any{"password": "takeover1"}); r.status != http.StatusForbidden || r.sentence(t) != "Only an admin may reset an admin's password." {
		t.Fatalf("a manager resets the admin's password: %d %s", r.status, r.body)
	}
	if checks("ada", "takeover1") {
		t.Fatal("the refused reset changed the admin's password")
	}
	if evs := f.audits("api.technician.password"); len(evs) != 2 || evs[1].Detail["signed_out"] != "1" || evs[0].Actor != "tom" {
		t.Fatalf("audit events %+v", evs)
	}
}
