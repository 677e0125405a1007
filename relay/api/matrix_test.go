package api

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/desk"
	"github.com/relaydesk/relaydesk/relay/limit"
	"github.com/relaydesk/relaydesk/relay/store"
)

// operation is one operation of the served OpenAPI document.
type operation struct {
	Method, Path string
	ID           string                `json:"operationId"`
	Permission   string                `json:"x-permission"`
	Security     []map[string][]string `json:"security"`
	Responses    map[string]any        `json:"responses"`
}

// document fetches /api/v1/openapi.json (without a token: it is public)
// and lists its operations.
func (f *fixture) document() []operation {
	f.t.Helper()
	r := f.do(http.MethodGet, "/api/v1/openapi.json", "", nil)
	if r.status != http.StatusOK {
		f.t.Fatalf("openapi.json: %d %s", r.status, r.body)
	}
	var doc struct {
		OpenAPI string                          `json:"openapi"`
		Paths   map[string]map[string]operation `json:"paths"`
	}
	r.decode(f.t, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		f.t.Fatalf("not an OpenAPI 3 document: %q", doc.OpenAPI)
	}
	var out []operation
	for path, ops := range doc.Paths {
		for method, op := range ops {
			op.Method, op.Path = strings.ToUpper(method), path
			out = append(out, op)
		}
	}
	slices.SortFunc(out, func(a, b operation) int { return strings.Compare(a.Method+a.Path, b.Method+b.Path) })
	return out
}

// permissionCase makes, for one operation that needs a permission, a
// request that succeeds for a caller the desk lets make it, on fresh
// fixtures each time (a delete needs something to delete).
type permissionCase struct {
	build func(f *fixture) (method, path string, body any)
	// more is what relay/desk asks beyond the permission, by role and
	// whether the caller is an API token (which manages no channel);
	// nil: nothing.
	more func(role store.Role, api bool) bool
}

// allChannels: creating and deleting channels is for managers of every channel.
func allChannels(role store.Role, _ bool) bool { return desk.AllChannels(store.User{Role: role}) }

var permissionCases = map[string]permissionCase{
	"create-channel": {func(f *fixture) (string, string, any) {
		f.n++
		return http.MethodPost, "/api/v1/channels", map[string]any{"name": fmt.Sprintf("new%d", f.n), "sla": "15m", "groups": []string{"mac"}}
	}, allChannels},
	// The request's channel is managed by carla (and tina, who lacks the
	// permission): a signed-in channel manager may change it, an API
	// token of that role manages no channel.
	"update-channel": {func(f *fixture) (string, string, any) {
		return http.MethodPatch, "/api/v1/channels/" + url.PathEscape(f.channel("carla", "tina")), map[string]any{"description": "Macs", "sla": "30m"}
	}, func(role store.Role, api bool) bool { return allChannels(role, api) || !api }},
	"set-channel-file-limit": {func(f *fixture) (string, string, any) {
		return http.MethodPut, "/api/v1/channels/" + url.PathEscape(f.channel("carla", "tina")) + "/file-limit", map[string]any{"bytes": 1000}
	}, func(role store.Role, api bool) bool { return allChannels(role, api) || !api }},
	"set-channel-recording": {func(f *fixture) (string, string, any) {
		return http.MethodPut, "/api/v1/channels/" + url.PathEscape(f.channel("carla", "tina")) + "/recording", map[string]any{"policy": "allowed", "keep_days": 7}
	}, func(role store.Role, api bool) bool { return allChannels(role, api) || !api }},
	"delete-channel": {func(f *fixture) (string, string, any) {
		return http.MethodDelete, "/api/v1/channels/" + url.PathEscape(f.channel("carla")), nil
	}, allChannels},
	"create-group": {func(f *fixture) (string, string, any) {
		f.n++
		return http.MethodPost, "/api/v1/groups", map[string]any{"name": fmt.Sprintf("newgroup%d", f.n), "members": []string{"tina"}}
	}, nil},
	"update-group": {func(f *fixture) (string, string, any) {
		return http.MethodPatch, "/api/v1/groups/" + f.groupNamed(), map[string]any{"members": []string{"theo"}}
	}, nil},
	"delete-group": {func(f *fixture) (string, string, any) {
		return http.MethodDelete, "/api/v1/groups/" + f.groupNamed(), nil
	}, nil},
	"update-technician": {func(f *fixture) (string, string, any) {
		f.n++
		u := f.user(fmt.Sprintf("victim%d", f.n), store.RoleTechnician)
		return http.MethodPatch, "/api/v1/technicians/" + u.Name, map[string]any{"profile": map[string]any{"max_sessions": 3, "languages": []string{"de"}}}
	}, nil},
	"reset-password": {func(f *fixture) (string, string, any) {
		f.n++
		u := f.user(fmt.Sprintf("forgetful%d", f.n), store.RoleTechnician)
		return http.MethodPost, "/api/v1/technicians/" + u.Name + "/password", map[string]any{"password": "correct horse"}
	}, nil},
	"update-settings": {func(f *fixture) (string, string, any) {
		f.n++
		return http.MethodPatch, "/api/v1/settings", map[string]any{"organisation": fmt.Sprintf("Org %d", f.n)}
	}, nil},
	"read-audit": {func(f *fixture) (string, string, any) {
		return http.MethodGet, "/api/v1/audit?limit=5", nil
	}, nil},
	// A session of Mac support that tina owns: carla manages the channel,
	// ada and tom all channels; an API token of a lower role is in no
	// session.
	"upload-screenshot": {func(f *fixture) (string, string, any) {
		f.n++
		id := fmt.Sprintf("shot%d", f.n)
		f.session(id, f.mac.ID, "tina", time.Now())
		return http.MethodPost, "/api/v1/sessions/" + id + "/screenshots", testPNG(f.t, 4, 3)
	}, func(role store.Role, api bool) bool { return allChannels(role, api) || !api }},
}

// signedIn is the fixture's user of each role.
var signedIn = map[store.Role]string{
	store.RoleAdmin: "ada", store.RoleTechnicianManager: "tom", store.RoleChannelManager: "carla", store.RoleTechnician: "tina",
}

// Every operation that names a permission in the document, for every role,
// with an API token of the role and with the sign-in token of a user of
// the role: 2xx exactly when desk.RoleHas says the role has it (and the
// desk's further rule, where the operation has one, holds); otherwise
// 403 with the desk's sentence and an api.refused audit event.
func TestPermissionMatrix(t *testing.T) {
	f := newFixture(t, limit.Rate{N: -1})
	var covered []string
	for _, op := range f.document() {
		if op.Permission == "" {
			continue
		}
		perm := proto.Permission(op.Permission)
		if !desk.Known(perm) {
			t.Fatalf("%s names permission %q, which is not in desk.Table", op.ID, perm)
		}
		if _, ok := op.Responses["403"]; !ok {
			t.Errorf("%s needs %s but documents no 403", op.ID, perm)
		}
		pc, ok := permissionCases[op.ID]
		if !ok {
			t.Fatalf("operation %s (%s %s) needs %s and has no case in permissionCases", op.ID, op.Method, op.Path, perm)
		}
		covered = append(covered, op.ID)
		for _, role := range store.Roles {
			for _, api := range []bool{true, false} {
				tok, who := "", signedIn[role]
				if api {
					tok, who = f.apiToken(role), "an API token of role "+string(role)
				} else {
					tok = f.signIn(who)
				}
				want := desk.RoleHas(role, perm) && (pc.more == nil || pc.more(role, api))
				method, path, body := pc.build(f)
				if method != op.Method {
					t.Fatalf("case %s sends %s, the document says %s", op.ID, method, op.Method)
				}
				refusedBefore := len(f.audits("api.refused"))
				r := f.do(method, path, tok, body)
				ok := r.status >= 200 && r.status < 300
				if ok != want {
					t.Errorf("%s %s by %s: %d %s; want success %v (RoleHas %v)", method, path, who, r.status, r.body, want, desk.RoleHas(role, perm))
					continue
				}
				if ok {
					continue
				}
				if r.status != http.StatusForbidden {
					t.Errorf("%s %s by %s: %d, want 403", method, path, who, r.status)
					continue
				}
				got := r.sentence(t)
				if !desk.RoleHas(role, perm) {
					if wantSentence := f.desk.Require(store.User{Role: role}, perm).Error(); got != wantSentence {
						t.Errorf("%s by %s: refusal %q, want the desk's %q", op.ID, who, got, wantSentence)
					}
				}
				evs := f.audits("api.refused")
				if len(evs) != refusedBefore+1 {
					t.Errorf("%s by %s: %d new api.refused events, want 1", op.ID, who, len(evs)-refusedBefore)
					continue
				}
				e := evs[len(evs)-1]
				wantActor := who
				if api {
					wantActor = "api:"
				}
				if !strings.HasPrefix(e.Actor, wantActor) || e.Source != "192.0.2.1" || e.Detail["path"] != strings.SplitN(path, "?", 2)[0] || e.Detail["reason"] != got {
					t.Errorf("%s by %s: audit event %+v", op.ID, who, e)
				}
			}
		}
	}
	for id := range permissionCases {
		if !slices.Contains(covered, id) {
			t.Errorf("permissionCases has %s, which the document does not list with a permission", id)
		}
	}
	// Every permission of the table that no session needs (the
	// configuration's) is asked by some operation.
	for _, r := range desk.Table {
		switch r.Permission {
		case proto.PermManageChannel, proto.PermManageTechnicians, proto.PermManageSettings, proto.PermReadAudit:
			found := false
			for id := range permissionCases {
				for _, op := range f.document() {
					found = found || (op.ID == id && op.Permission == string(r.Permission))
				}
			}
			if !found {
				t.Errorf("no operation needs %s", r.Permission)
			}
		}
	}
}

// A per-user override changes what a technician's sign-in token may do,
// from the next request on.
func TestOverridesChangeTheOutcome(t *testing.T) {
	f := newFixture(t, limit.Rate{N: -1})
	tina, carla := f.signIn("tina"), f.signIn("carla")
	if r := f.do(http.MethodGet, "/api/v1/audit", tina, nil); r.status != http.StatusForbidden || r.sentence(t) != "You may not read the audit trail." {
		t.Fatalf("tina reads the audit trail: %d %s", r.status, r.body)
	}
	if err := f.st.SetOverrides(f.ctx, f.users["tina"].ID, []store.Override{{Permission: proto.PermReadAudit, Allow: true}}); err != nil {
		t.Fatal(err)
	}
	if r := f.do(http.MethodGet, "/api/v1/audit", tina, nil); r.status != http.StatusOK {
		t.Fatalf("tina with audit.read granted: %d %s", r.status, r.body)
	}
	var p Permissions
	f.do(http.MethodGet, "/api/v1/permissions", tina, nil).decode(t, &p)
	if !slices.Contains(p.You.Permissions, string(proto.PermReadAudit)) || p.You.Name != "tina" || p.You.API {
		t.Fatalf("tina's permissions %+v", p.You)
	}

	if r := f.do(http.MethodPatch, "/api/v1/channels/Mac%20support", carla, map[string]any{"sla": "10m"}); r.status != http.StatusOK {
		t.Fatalf("carla changes her channel: %d %s", r.status, r.body)
	}
	if err := f.st.SetOverrides(f.ctx, f.users["carla"].ID, []store.Override{{Permission: proto.PermManageChannel, Allow: false}}); err != nil {
		t.Fatal(err)
	}
	if r := f.do(http.MethodPatch, "/api/v1/channels/Mac%20support", carla, map[string]any{"sla": "20m"}); r.status != http.StatusForbidden || r.sentence(t) != "You may not manage this channel." {
		t.Fatalf("carla with channels.manage denied: %d %s", r.status, r.body)
	}
	if ch, _ := f.desk.ChannelByName("Mac support"); ch.SLA.String() != "10m0s" {
		t.Fatalf("the refused change took effect: SLA %v", ch.SLA)
	}
}
