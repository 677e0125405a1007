package api

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/relay/limit"
	"github.com/relaydesk/relaydesk/relay/store"
	"github.com/relaydesk/relaydesk/relay/token"
)

// A request without a valid token is 401 with a sentence, and nothing
// else is told: missing, garbage, revoked API tokens, expired and
// disabled users' sign-in tokens.
func TestUnauthenticated(t *testing.T) {
	f := newFixture(t, limit.Rate{N: -1})
	revoked := f.apiToken(store.RoleAdmin)
	if err := f.st.RevokeAPIToken(f.ctx, "script1"); err != nil {
		t.Fatal(err)
	}
	expired, hash := token.New()
	if err := f.st.CreateToken(f.ctx, hash, f.users["ada"].ID, time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	disabled := f.signIn("theo")
	if err := f.st.SetDisabled(f.ctx, f.users["theo"].ID, true); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, header, want string
	}{
		{"no header", "", "Authorization: Bearer"},
		{"another scheme", "Basic YWRhOnB3", "Authorization: Bearer"},
		{"empty bearer", "Bearer ", "Authorization: Bearer"},
		{"garbage", "Bearer garbage", "not valid"},
		{"revoked API token", "Bearer " + revoked, "not valid"},
		{"expired sign-in", "Bearer " + expired, "not valid"},
		{"disabled account", "Bearer " + disabled, "not valid"}, // disabling deleted the token
		{"huge", "Bearer " + strings.Repeat("x", 10000), "not valid"},
	} {
		req := func(method, path string) reply { return f.doHeader(method, path, c.header, nil) }
		for _, path := range []string{"/api/v1/permissions", "/api/v1/channels", "/api/v1/audit"} {
			r := req(http.MethodGet, path)
			if r.status != http.StatusUnauthorized {
				t.Fatalf("%s: GET %s: %d %s", c.name, path, r.status, r.body)
			}
			if s := r.sentence(t); !strings.Contains(s, c.want) {
				t.Errorf("%s: sentence %q, want %q in it", c.name, s, c.want)
			}
			if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s: WWW-Authenticate %q", c.name, r.header.Get("WWW-Authenticate"))
			}
		}
		// A change is refused before its body is looked at.
		if r := req(http.MethodPost, "/api/v1/channels"); r.status != http.StatusUnauthorized {
			t.Errorf("%s: POST without a body: %d", c.name, r.status)
		}
	}
	if n := len(f.audits("api.token.rejected")); n != 5*4 {
		t.Errorf("%d api.token.rejected events, want one per presented bad token (20)", n)
	}
	chans, _ := f.st.Channels(f.ctx)
	if len(chans) != 1 {
		t.Fatalf("channels %+v", chans)
	}
}

// An API token acts as "api:NAME" with its role; its use is recorded. A
// sign-in token acts as its technician.
func TestWhoTheTokensAre(t *testing.T) {
	f := newFixture(t, limit.Rate{N: -1})
	tok := f.apiToken(store.RoleTechnicianManager)
	var p Permissions
	r := f.do(http.MethodGet, "/api/v1/permissions", tok, nil)
	r.decode(t, &p)
	if r.status != http.StatusOK || p.You.Name != "api:script1" || p.You.Role != "technician-manager" || !p.You.API {
		t.Fatalf("%d %+v", r.status, p.You)
	}
	if len(p.Table) == 0 || p.Table[0].Name != "view" || len(p.Table[0].Roles) != 4 {
		t.Fatalf("table %+v", p.Table)
	}
	toks, _ := f.st.APITokens(f.ctx)
	if len(toks) != 1 || toks[0].LastUsed.IsZero() {
		t.Fatalf("the token's use was not recorded: %+v", toks)
	}
	r = f.do(http.MethodGet, "/api/v1/permissions", f.signIn("carla"), nil)
	r.decode(t, &p)
	if p.You.Name != "carla" || p.You.Role != "channel-manager" || p.You.API {
		t.Fatalf("%+v", p.You)
	}
}

// Bad tokens are counted per source: past the limit the source is refused
// even with a good token (429 with Retry-After), other sources are not.
func TestBadTokensAreThrottledPerSource(t *testing.T) {
	f := newFixture(t, limit.Rate{N: 3, Per: time.Hour})
	good := f.apiToken(store.RoleAdmin)
	for i := range 3 {
		if r := f.do(http.MethodGet, "/api/v1/settings", "guess"+strings.Repeat("x", i), nil); r.status != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, r.status)
		}
	}
	r := f.do(http.MethodGet, "/api/v1/settings", good, nil)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" || !strings.Contains(r.sentence(t), "Too many failed attempts") {
		t.Fatalf("after 3 bad tokens: %d %v %s", r.status, r.header, r.body)
	}
	// Good tokens do not count: another source works and keeps working.
	f.remote = "198.51.100.9:5555"
	for range 5 {
		if r := f.do(http.MethodGet, "/api/v1/settings", good, nil); r.status != http.StatusOK {
			t.Fatalf("another source: %d %s", r.status, r.body)
		}
	}
	// No header at all is a mistake, not a guess: it does not count.
	f.remote = "203.0.113.5:1"
	for range 5 {
		f.doHeader(http.MethodGet, "/api/v1/settings", "", nil)
	}
	if r := f.do(http.MethodGet, "/api/v1/settings", good, nil); r.status != http.StatusOK {
		t.Fatalf("requests without a token locked the source out: %d", r.status)
	}
}

// Refusals carry the desk's sentence and are audited with actor, source
// and path; changes are audited too.
func TestRefusalsAndChangesAreAudited(t *testing.T) {
	f := newFixture(t, limit.Rate{N: -1})
	tina := f.signIn("tina")
	r := f.do(http.MethodPost, "/api/v1/groups", tina, map[string]any{"name": "x"})
	if r.status != http.StatusForbidden || r.sentence(t) != "You may not manage technicians or groups." {
		t.Fatalf("%d %s", r.status, r.body)
	}
	evs := f.audits("api.refused")
	if len(evs) != 1 || evs[0].Actor != "tina" || evs[0].Source != "192.0.2.1" || evs[0].Detail["path"] != "/api/v1/groups" ||
		evs[0].Detail["method"] != "POST" || evs[0].Detail["reason"] != "You may not manage technicians or groups." {
		t.Fatalf("refusal events %+v", evs)
	}
	// A channel manager may configure only channels they manage, and
	// neither create nor delete channels.
	carla := f.signIn("carla")
	other := f.channel("tina")
	for _, c := range []struct{ method, path, want string }{
		{http.MethodPatch, "/api/v1/channels/" + other, "You do not manage channel " + other + "."},
		{http.MethodPost, "/api/v1/channels", "Only a technician manager may create or delete channels."},
		{http.MethodDelete, "/api/v1/channels/Mac%20support", "Only a technician manager may create or delete channels."},
		{http.MethodPatch, "/api/v1/channels/Mac%20support", "Only a technician manager may change a channel's managers or the default channel."},
	} {
		body := map[string]any{"name": "n", "description": "d"}
		if strings.HasSuffix(c.path, "support") && c.method == http.MethodPatch {
			body = map[string]any{"managers": []string{"carla", "theo"}}
		}
		if c.method == http.MethodDelete {
			body = nil
		}
		r := f.do(c.method, c.path, carla, body)
		if r.status != http.StatusForbidden || r.sentence(t) != c.want {
			t.Errorf("carla %s %s: %d %s, want %q", c.method, c.path, r.status, r.body, c.want)
		}
	}
	if n := len(f.audits("api.refused")); n != 5 {
		t.Errorf("%d refusals audited, want 5", n)
	}

	tom := f.signIn("tom")
	if r := f.do(http.MethodPost, "/api/v1/groups", tom, map[string]any{"name": "windows", "members": []string{"theo"}}); r.status != http.StatusCreated {
		t.Fatalf("%d %s", r.status, r.body)
	}
	evs = f.audits("api.group.created")
	if len(evs) != 1 || evs[0].Actor != "tom" || evs[0].Detail["group"] != "windows" {
		t.Fatalf("%+v", evs)
	}
}
