package api

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/limit"
	"github.com/relaydesk/relaydesk/relay/store"
)

// A channel created, changed and deleted through the API: every field
// round-trips, the running desk applies each change at once, and each is
// audited.
func TestChannelLifecycle(t *testing.T) {
	f := newFixture(t, limit.Rate{N: -1})
	tom, tina, carla := f.signIn("tom"), f.signIn("tina"), f.signIn("carla")
	r := f.do(http.MethodPost, "/api/v1/channels", tom, map[string]any{
		"name": "  Windows  ", "description": "PCs", "groups": []string{"MAC"}, "managers": []string{"carla"}, "default": true,
		"link_ttl": "2h", "sos_call": true, "form": map[string]any{"name": "required", "problem": "optional"},
		"assign": "round-robin", "sla": "15m", "fallback": "mac support", "narrow": []string{"control", "clipboard"},
	})
	var ch Channel
	r.decode(t, &ch)
	if r.status != http.StatusCreated || ch.Name != "Windows" || ch.Description != "PCs" || !slices.Equal(ch.Groups, []string{"mac"}) ||
		!slices.Equal(ch.Managers, []string{"carla"}) || !ch.Default || ch.LinkTTL != "2h" || !ch.SOSCall || ch.SOSToken == "" ||
		ch.Form != (IntakeForm{Name: "required", Problem: "optional", Category: "off", Priority: "off"}) || ch.Assign != "round-robin" ||
		ch.SLA != "15m" || ch.Fallback != "Mac support" || !slices.Equal(ch.Narrow, []string{"clipboard", "control"}) || !ch.Manages {
		t.Fatalf("%d %s", r.status, r.body)
	}
	// The running relay's desk has it now.
	d, ok := f.desk.ChannelByName("windows")
	if !ok || d.SLA != 15*time.Minute || !d.Default || d.Assign != proto.AssignRoundRobin || !f.desk.Serves(f.users["tina"].ID, d.ID) || !f.desk.Manages(f.users["carla"].ID, d.ID) {
		t.Fatalf("the desk has %+v", d)
	}
	if def, _ := f.desk.DefaultChannel(); def.ID != d.ID {
		t.Fatalf("default channel %+v", def)
	}
	// A technician sees the channel but not its SOS token.
	r = f.do(http.MethodGet, "/api/v1/channels/WINDOWS", tina, nil)
	ch = Channel{}
	r.decode(t, &ch)
	if r.status != http.StatusOK || ch.SOSToken != "" || ch.Manages || ch.Name != "Windows" {
		t.Fatalf("tina: %d %s", r.status, r.body)
	}
	// Its manager changes it.
	r = f.do(http.MethodPatch, "/api/v1/channels/Windows", carla, map[string]any{"sla": "1h30m", "sos_call": false, "description": "Windows PCs", "fallback": ""})
	ch = Channel{}
	r.decode(t, &ch)
	if r.status != http.StatusOK || ch.SLA != "1h30m" || ch.SOSCall || ch.Fallback != "" || ch.Description != "Windows PCs" {
		t.Fatalf("carla's change: %d %s", r.status, r.body)
	}
	if d, _ := f.desk.ChannelByName("windows"); d.SLA != 90*time.Minute || d.SOSCall {
		t.Fatalf("the desk has %+v", d)
	}
	evs := f.audits("api.channel.updated")
	if len(evs) != 1 || evs[0].Actor != "carla" || evs[0].Detail["changes"] != "description, sla, sos_call, fallback" {
		t.Fatalf("%+v", evs)
	}
	// Nonsense is refused with a sentence, and changes nothing.
	for _, c := range []struct {
		body   map[string]any
		status int
		want   string
	}{
		{map[string]any{"sla": "soon"}, 400, "The SLA (sla) is a duration"},
		{map[string]any{"sla": "-5m"}, 400, "The SLA (sla) is a duration"},
		{map[string]any{"link_ttl": "5s"}, 400, "at least 1m"},
		{map[string]any{"narrow": []string{"monitor"}}, 400, "in-session permissions"},
		{map[string]any{"fallback": "windows"}, 400, "cannot fall back to itself"},
		{map[string]any{"groups": []string{"nobody"}}, 400, `no group "nobody"`},
		{map[string]any{"name": "mac SUPPORT"}, 409, `already a channel named "Mac support"`},
		{map[string]any{"assign": "random"}, 422, "assign"},
		{map[string]any{"colour": "red"}, 422, "colour"},
	} {
		r := f.do(http.MethodPatch, "/api/v1/channels/Windows", tom, c.body)
		if r.status != c.status || !strings.Contains(r.sentence(t), c.want) {
			t.Errorf("%v: %d %s, want %d and %q", c.body, r.status, r.body, c.status, c.want)
		}
	}
	if d, _ := f.desk.ChannelByName("windows"); d.SLA != 90*time.Minute {
		t.Fatalf("a refused change took effect: %+v", d)
	}
	if r := f.do(http.MethodDelete, "/api/v1/channels/windows", tom, nil); r.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if r := f.do(http.MethodGet, "/api/v1/channels/windows", tom, nil); r.status != http.StatusNotFound || r.sentence(t) != `There is no channel "windows".` {
		t.Fatalf("after delete: %d %s", r.status, r.body)
	}
	if _, ok := f.desk.ChannelByName("windows"); ok {
		t.Fatal("the desk still has the deleted channel")
	}
	if len(f.audits("api.channel.created")) != 1 || len(f.audits("api.channel.deleted")) != 1 {
		t.Fatal("create and delete not audited")
	}
}

// Groups: created, renamed, their members changed; names are unique in
// any case.
func TestGroups(t *testing.T) {
	f := newFixture(t, limit.Rate{N: -1})
	ada := f.apiToken(store.RoleAdmin)
	r := f.do(http.MethodPost, "/api/v1/groups", ada, map[string]any{"name": "windows", "members": []string{"theo", "tina", "theo"}})
	var g Group
	r.decode(t, &g)
	if r.status != http.StatusCreated || !slices.Equal(g.Members, []string{"tina", "theo"}) || len(g.Channels) != 0 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r := f.do(http.MethodPost, "/api/v1/groups", ada, map[string]any{"name": "MAC"}); r.status != http.StatusConflict {
		t.Fatalf("a second mac: %d %s", r.status, r.body)
	}
	if r := f.do(http.MethodPost, "/api/v1/groups", ada, map[string]any{"name": "x", "members": []string{"nobody"}}); r.status != http.StatusBadRequest {
		t.Fatalf("an unknown member: %d %s", r.status, r.body)
	}
	r = f.do(http.MethodPatch, "/api/v1/groups/mac", ada, map[string]any{"name": "apple", "members": []string{"theo"}})
	r.decode(t, &g)
	if r.status != http.StatusOK || g.Name != "apple" || !slices.Equal(g.Members, []string{"theo"}) || !slices.Equal(g.Channels, []string{"Mac support"}) {
		t.Fatalf("%d %s", r.status, r.body)
	}
	// tina left the group that serves Mac support: the desk knows at once.
	if f.desk.Serves(f.users["tina"].ID, f.mac.ID) || !f.desk.Serves(f.users["theo"].ID, f.mac.ID) {
		t.Fatal("the desk did not apply the new members")
	}
	var list struct{ Groups []Group }
	f.do(http.MethodGet, "/api/v1/groups", f.signIn("tina"), nil).decode(t, &list)
	if len(list.Groups) != 2 || list.Groups[0].Name != "apple" {
		t.Fatalf("%+v", list)
	}
}

// Technicians below admin are changed by technician managers; only an
// admin changes admins or makes them; nobody grants what they lack; a
// disabled technician's sign-in stops working.
func TestTechnicians(t *testing.T) {
	f := newFixture(t, limit.Rate{N: -1})
	tom, ada := f.signIn("tom"), f.signIn("ada")
	theo := f.signIn("theo")
	for _, c := range []struct {
		tok, name string
		body      map[string]any
		status    int
		want      string
	}{
		{tom, "ada", map[string]any{"profile": map[string]any{"max_sessions": 2}}, 403, "Only an admin may change an admin's account."},
		{tom, "tina", map[string]any{"role": "admin"}, 403, "Only an admin may make a technician an admin."},
		{tom, "tina", map[string]any{"overrides": []map[string]any{{"permission": "settings.manage", "allow": true}}}, 403, "You may not grant settings.manage, which you do not have yourself."},
		{tom, "tina", map[string]any{"overrides": []map[string]any{{"permission": "fly", "allow": true}}}, 400, `no permission "fly"`},
		{tom, "tom", map[string]any{"disabled": true}, 400, "You cannot disable your own account."},
		{tom, "tom", map[string]any{"role": "technician"}, 400, "You cannot change your own role."},
		{tom, "nobody", map[string]any{"disabled": true}, 404, `There is no technician "nobody".`},
		{tom, "tina", map[string]any{"role": "wizard"}, 422, "role"},
	} {
		r := f.do(http.MethodPatch, "/api/v1/technicians/"+c.name, c.tok, c.body)
		if r.status != c.status || !strings.Contains(r.sentence(t), c.want) {
			t.Errorf("%s %v: %d %s, want %d %q", c.name, c.body, r.status, r.body, c.status, c.want)
		}
	}
	// The last enabled admin stays one, whoever asks.
	for _, body := range []map[string]any{{"disabled": true}, {"role": "technician-manager"}} {
		r := f.do(http.MethodPatch, "/api/v1/technicians/ada", f.apiToken(store.RoleAdmin), body)
		if r.status != http.StatusConflict || r.sentence(t) != `"ada" is the last enabled administrator; make another user admin first.` {
			t.Errorf("%v: %d %s", body, r.status, r.body)
		}
	}
	r := f.do(http.MethodPatch, "/api/v1/technicians/tina", tom, map[string]any{
		"role": "channel-manager", "profile": map[string]any{"languages": []string{"DE", "en"}, "availability": "away", "max_sessions": 3},
		"overrides": []map[string]any{{"permission": "monitor", "allow": false}, {"permission": "transcripts.read", "allow": false}},
	})
	var tt Technician
	r.decode(t, &tt)
	if r.status != http.StatusOK || tt.Role != "channel-manager" || !slices.Equal(tt.Languages, []string{"de", "en"}) || tt.Availability != "away" ||
		tt.MaxSessions != 3 || len(tt.Overrides) != 2 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if u, _ := f.desk.User(f.users["tina"].ID); u.Role != store.RoleChannelManager || f.desk.Allowed(u, proto.PermMonitor) || f.desk.Profile(u.ID).Availability != proto.Away {
		t.Fatalf("the desk has %+v", u)
	}
	if evs := f.audits("api.technician.updated"); len(evs) != 1 || evs[0].Detail["changes"] != "role channel-manager, profile, overrides" {
		t.Fatalf("%+v", evs)
	}
	// An admin changes an admin; a technician account created since the
	// desk last read the store (`relay user add`) is found too.
	f.user("nina", store.RoleTechnician)
	if r := f.do(http.MethodPatch, "/api/v1/technicians/nina", ada, map[string]any{"role": "admin"}); r.status != http.StatusOK {
		t.Fatalf("ada makes nina an admin: %d %s", r.status, r.body)
	}
	// Disabling signs theo out.
	if r := f.do(http.MethodPatch, "/api/v1/technicians/theo", tom, map[string]any{"disabled": true}); r.status != http.StatusOK {
		t.Fatalf("disable theo: %d %s", r.status, r.body)
	}
	if r := f.do(http.MethodGet, "/api/v1/permissions", theo, nil); r.status != http.StatusUnauthorized {
		t.Fatalf("theo after being disabled: %d", r.status)
	}
	// Everyone sees the enabled technicians; overrides and disabled
	// accounts only those who manage technicians.
	var list struct{ Technicians []Technician }
	f.do(http.MethodGet, "/api/v1/technicians", f.signIn("carla"), nil).decode(t, &list)
	for _, x := range list.Technicians {
		if x.Name == "theo" || len(x.Overrides) > 0 || x.MaxSessions != 0 {
			t.Errorf("carla sees %+v", x)
		}
	}
	f.do(http.MethodGet, "/api/v1/technicians", tom, nil).decode(t, &list)
	i := slices.IndexFunc(list.Technicians, func(x Technician) bool { return x.Name == "theo" })
	j := slices.IndexFunc(list.Technicians, func(x Technician) bool { return x.Name == "tina" })
	if i < 0 || !list.Technicians[i].Disabled || j < 0 || len(list.Technicians[j].Overrides) != 2 || len(list.Technicians) != 6 {
		t.Errorf("tom sees %+v", list.Technicians)
	}
}

// Settings: everyone reads them, settings.manage changes them, and the
// desk's lists follow at once.
func TestSettings(t *testing.T) {
	f := newFixture(t, limit.Rate{N: -1})
	var s Settings
	f.do(http.MethodGet, "/api/v1/settings", f.signIn("tina"), nil).decode(t, &s)
	if s.Organisation != "Example Corp" || !slices.Equal(s.Priorities, proto.DefaultPriorities) {
		t.Fatalf("%+v", s)
	}
	ada := f.signIn("ada")
	r := f.do(http.MethodPatch, "/api/v1/settings", ada, map[string]any{"organisation": "Acme", "categories": []string{"printers", " network "}})
	r.decode(t, &s)
	if r.status != http.StatusOK || s.Organisation != "Acme" || !slices.Equal(s.Categories, []string{"printers", "network"}) {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if err := f.desk.CheckClassification("printers", ""); err != nil {
		t.Fatalf("the desk does not know the new category: %v", err)
	}
	for _, body := range []map[string]any{{"categories": []string{"a", "a"}}, {"priorities": []string{""}}} {
		if r := f.do(http.MethodPatch, "/api/v1/settings", ada, body); r.status != http.StatusBadRequest {
			t.Errorf("%v: %d %s", body, r.status, r.body)
		}
	}
	if r := f.do(http.MethodPatch, "/api/v1/settings", ada, map[string]any{"categories": []string{}}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("empty categories: %d %s", r.status, r.body)
	}
	if evs := f.audits("api.settings.updated"); len(evs) != 1 || evs[0].Detail["changes"] != "organisation, categories" {
		t.Fatalf("%+v", evs)
	}
}

// The audit trail pages by ID and filters by time.
func TestAuditPaging(t *testing.T) {
	f := newFixture(t, limit.Rate{N: -1})
	ada := f.apiToken(store.RoleAdmin)
	for range 3 {
		f.do(http.MethodPost, "/api/v1/groups", f.signIn("tina"), map[string]any{"name": "x"}) // refused: audited
	}
	var seen []int64
	after := "0"
	for range 10 {
		var page struct {
			Events []AuditEvent `json:"events"`
			Next   int64        `json:"next"`
		}
		f.do(http.MethodGet, "/api/v1/audit?limit=2&after="+after, ada, nil).decode(t, &page)
		for _, e := range page.Events {
			seen = append(seen, e.ID)
		}
		if page.Next == 0 {
			break
		}
		after = strconv.FormatInt(page.Next, 10)
	}
	if len(seen) != 3 || !slices.IsSorted(seen) {
		t.Fatalf("events %v", seen)
	}
	var page struct{ Events []AuditEvent }
	f.do(http.MethodGet, "/api/v1/audit?since="+time.Now().Add(time.Hour).UTC().Format(time.RFC3339), ada, nil).decode(t, &page)
	if len(page.Events) != 0 {
		t.Fatalf("events from the future: %+v", page.Events)
	}
}
