package desk

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/store"
)

// world is a small organisation in a real SQLite store: a Mac channel
// served by group "mac" (tina, theo), managed by carla; a Finance channel
// served by group "finance" (fred), falling back to Mac after its SLA.
type world struct {
	st                                 store.Store
	d                                  *Desk
	admin, tm, carla, tina, theo, fred store.User
	mac, finance                       store.Channel
	macGroup, financeGroup             store.Group
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "relay.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w := &world{st: st}
	user := func(name string, role store.Role) store.User {
		u := store.User{Name: name, Role: role, PasswordHash: "x", CreatedAt: time.Now()}
		if err := st.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		return u
	}
	w.admin = user("ada", store.RoleAdmin)
	w.tm = user("tom", store.RoleTechnicianManager)
	w.carla = user("carla", store.RoleChannelManager)
	w.tina = user("tina", store.RoleTechnician)
	w.theo = user("theo", store.RoleTechnician)
	w.fred = user("fred", store.RoleTechnician)
	w.macGroup = store.Group{Name: "mac", Members: []int64{w.tina.ID, w.theo.ID}}
	w.financeGroup = store.Group{Name: "finance", Members: []int64{w.fred.ID}}
	for _, g := range []*store.Group{&w.macGroup, &w.financeGroup} {
		if err := st.CreateGroup(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	w.mac = store.Channel{Name: "Mac support", Groups: []int64{w.macGroup.ID}, Managers: []int64{w.carla.ID},
		Assign: proto.AssignLeastBusy, Narrow: []proto.Permission{proto.PermClipboard}}
	if err := st.CreateChannel(ctx, &w.mac); err != nil {
		t.Fatal(err)
	}
	w.finance = store.Channel{Name: "Finance", Groups: []int64{w.financeGroup.ID}, SLA: 5 * time.Minute, FallbackID: w.mac.ID,
		Assign: proto.AssignRoundRobin}
	if err := st.CreateChannel(ctx, &w.finance); err != nil {
		t.Fatal(err)
	}
	if w.d, err = New(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	return w
}

// The role defaults, cell by cell for the rows where roles differ.
func TestRoleDefaults(t *testing.T) {
	w := newWorld(t)
	type row struct {
		p                         proto.Permission
		admin, tm, cm, technician bool
	}
	for _, r := range []row{
		{proto.PermView, true, true, true, true},
		{proto.PermControl, true, true, true, true},
		{proto.PermTransferChannel, true, true, true, true},
		{proto.PermInviteOutside, true, true, true, false},
		{proto.PermMonitor, true, true, true, false},
		{proto.PermTakeOver, true, true, true, false},
		{proto.PermEndOthers, true, true, true, false},
		{proto.PermManageChannel, true, true, true, false},
		{proto.PermManageTechnicians, true, true, false, false},
		{proto.PermManageSettings, true, false, false, false},
		{proto.PermReadAudit, true, false, false, false},
	} {
		for _, c := range []struct {
			u    store.User
			want bool
		}{{w.admin, r.admin}, {w.tm, r.tm}, {w.carla, r.cm}, {w.tina, r.technician}} {
			if got := w.d.Allowed(c.u, r.p); got != c.want {
				t.Errorf("%s (%s) %s: %v, want %v", c.u.Name, c.u.Role, r.p, got, c.want)
			}
		}
	}
	for _, p := range Permissions() {
		if !w.d.Allowed(w.admin, p) {
			t.Errorf("admin lacks %s", p)
		}
		if err := w.d.Require(store.User{Name: "x", Role: store.RoleAdmin, Disabled: true}, p); err == nil {
			t.Errorf("a disabled admin has %s", p)
		}
	}
}

func TestOverridesWinOverTheRole(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	if err := w.st.SetOverrides(ctx, w.tina.ID, []store.Override{{Permission: proto.PermMonitor, Allow: true}, {Permission: proto.PermControl, Allow: false}}); err != nil {
		t.Fatal(err)
	}
	if err := w.st.SetOverrides(ctx, w.admin.ID, []store.Override{{Permission: proto.PermReadAudit, Allow: false}}); err != nil {
		t.Fatal(err)
	}
	if changed, err := w.d.Refresh(ctx); err != nil || !changed {
		t.Fatalf("Refresh after overrides: changed %v, %v", changed, err)
	}
	if !w.d.Allowed(w.tina, proto.PermMonitor) || w.d.Allowed(w.tina, proto.PermControl) {
		t.Error("tina's overrides do not apply")
	}
	err := w.d.Require(w.admin, proto.PermReadAudit)
	if err == nil || err.Error() != "You may not read the audit trail." || proto.CodeOf(err) != proto.ErrForbidden {
		t.Errorf("admin denied audit: %v", err)
	}
	if changed, _ := w.d.Refresh(ctx); changed {
		t.Error("Refresh without a change reread the store")
	}
}

func TestRelationsAndSessionChecks(t *testing.T) {
	w := newWorld(t)
	req := &store.Session{ID: "s1", Status: proto.StatusReady, ChannelID: w.mac.ID}
	if r := w.d.Relation(w.tina, req, false); !r.Has(Taker) || r.Has(Owner|Manager) {
		t.Errorf("tina on an unowned Mac request: %b", r)
	}
	if r := w.d.Relation(w.fred, req, false); r != 0 {
		t.Errorf("fred (finance) on a Mac request: %b", r)
	}
	if r := w.d.Relation(w.carla, req, false); !r.Has(Manager) || r.Has(Taker) {
		t.Errorf("carla (manages Mac) on a Mac request: %b", r)
	}
	if !w.d.Sees(w.tina, req, false) || w.d.Sees(w.fred, req, false) || !w.d.Sees(w.tm, req, false) {
		t.Error("visibility of an unowned request")
	}
	owned := *req
	owned.OwnerID = w.tina.ID
	if w.d.Sees(w.theo, &owned, false) {
		t.Error("theo sees tina's session")
	}
	if !w.d.Sees(w.theo, &owned, true) {
		t.Error("theo does not see a session he took part in")
	}

	checks := []struct {
		u    store.User
		p    proto.Permission
		s    *store.Session
		want string // "" allowed, else a part of the refusal
	}{
		{w.tina, proto.PermControl, &owned, ""},
		{w.tina, proto.PermClipboard, &owned, "Channel Mac support does not allow clipboard"},
		{w.tina, proto.PermTransferTech, &owned, ""},
		{w.theo, proto.PermTransferTech, &owned, "Only the session's owner or a manager"},
		{w.carla, proto.PermTransferChannel, &owned, ""},
		{w.carla, proto.PermMonitor, &owned, ""},
		{w.theo, proto.PermMonitor, &owned, "You may not monitor other technicians' sessions."},
		{w.carla, proto.PermMonitor, &store.Session{ID: "s2", Status: proto.StatusActive, ChannelID: w.finance.ID, OwnerID: w.fred.ID}, "not in a channel you manage"},
		{w.tm, proto.PermTakeOver, &store.Session{ID: "s3", Status: proto.StatusActive, ChannelID: w.finance.ID, OwnerID: w.fred.ID}, ""},
		{w.fred, proto.PermView, &owned, "no open session s1"},
		{w.tina, proto.PermEndOthers, &owned, "You may not end other technicians' sessions."},
	}
	for _, c := range checks {
		err := w.d.Can(c.u, c.p, c.s, false)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s %s on %s: refused: %v", c.u.Name, c.p, c.s.ID, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s %s on %s: %v, want a refusal with %q", c.u.Name, c.p, c.s.ID, err, c.want)
		}
	}

	// Invitations: inside the channel with invite.channel, outside only with invite.outside.
	if err := w.d.CanInvite(w.tina, &owned, w.theo); err != nil {
		t.Errorf("tina invites theo (serves Mac): %v", err)
	}
	if err := w.d.CanInvite(w.tina, &owned, w.fred); err == nil || !strings.Contains(err.Error(), "outside the session's channel") {
		t.Errorf("tina invites fred (Finance): %v", err)
	}
	// Transfers: only to someone who can work in the channel.
	if err := w.d.CanTransferTo(w.tina, &owned, w.fred); err == nil || !strings.Contains(err.Error(), "fred does not serve channel Mac support") {
		t.Errorf("transfer to fred: %v", err)
	}
	if err := w.d.CanTransferTo(w.tina, &owned, w.theo); err != nil {
		t.Errorf("transfer to theo: %v", err)
	}
	// Channel administration.
	if err := w.d.CanManageChannel(w.carla, w.mac.ID); err != nil {
		t.Errorf("carla manages Mac: %v", err)
	}
	if err := w.d.CanManageChannel(w.carla, w.finance.ID); err == nil {
		t.Error("carla manages Finance")
	}
	if err := w.d.CanManageChannel(w.carla, 0); err == nil {
		t.Error("a channel manager creates channels")
	}
	if err := w.d.CanManageChannel(w.tm, 0); err != nil {
		t.Errorf("technician manager creates channels: %v", err)
	}
}

func TestAssign(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	loads := map[int64]Load{w.tina.ID: {Online: true, Sessions: 2}, w.theo.ID: {Online: true, Sessions: 1}}
	load := func(id int64) Load { return loads[id] }
	if id, ok := w.d.Assign(w.mac.ID, "", load, nil); !ok || id != w.theo.ID {
		t.Fatalf("least busy: %d %v, want theo", id, ok)
	}
	if id, _ := w.d.Assign(w.mac.ID, "", load, map[int64]bool{w.theo.ID: true}); id != w.tina.ID {
		t.Fatalf("skipping theo: %d, want tina", id)
	}
	// Language first: tina speaks German.
	if err := w.st.SetProfile(ctx, w.tina.ID, store.Profile{Languages: []string{"de", "en"}}); err != nil {
		t.Fatal(err)
	}
	w.d.Refresh(ctx)
	if id, _ := w.d.Assign(w.mac.ID, "de-CH", load, nil); id != w.tina.ID {
		t.Fatalf("a German speaker: %d, want tina", id)
	}
	// Away, offline and at the limit do not count.
	if err := w.st.SetProfile(ctx, w.theo.ID, store.Profile{Availability: proto.Away}); err != nil {
		t.Fatal(err)
	}
	if err := w.st.SetProfile(ctx, w.tina.ID, store.Profile{MaxSessions: 2}); err != nil {
		t.Fatal(err)
	}
	w.d.Refresh(ctx)
	if id, ok := w.d.Assign(w.mac.ID, "", load, nil); ok {
		t.Fatalf("theo away, tina at her limit: assigned %d", id)
	}
	// Round robin in Finance: fred alone, then fred again.
	loads[w.fred.ID] = Load{Online: true}
	if id, _ := w.d.Assign(w.finance.ID, "", load, nil); id != w.fred.ID {
		t.Fatalf("round robin: %d", id)
	}
	loads[w.fred.ID] = Load{}
	if _, ok := w.d.Assign(w.finance.ID, "", load, nil); ok {
		t.Fatal("assigned to an offline technician")
	}
}

func TestRoundRobinTakesTurns(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.mac.Assign = proto.AssignRoundRobin
	if err := w.st.UpdateChannel(ctx, &w.mac); err != nil {
		t.Fatal(err)
	}
	w.d.Refresh(ctx)
	load := func(int64) Load { return Load{Online: true} }
	var got []int64
	for range 4 {
		id, _ := w.d.Assign(w.mac.ID, "", load, nil)
		got = append(got, id)
	}
	want := []int64{w.tina.ID, w.theo.ID, w.tina.ID, w.theo.ID}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("round robin gave %v, want %v", got, want)
		}
	}
}

func TestOverdue(t *testing.T) {
	w := newWorld(t)
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	s := &store.Session{ID: "s", Status: proto.StatusReady, ChannelID: w.finance.ID, ReadyAt: t0}
	if over, _ := w.d.Overdue(s, t0.Add(4*time.Minute)); over {
		t.Fatal("overdue before the SLA")
	}
	over, fb := w.d.Overdue(s, t0.Add(5*time.Minute))
	if !over || fb != w.mac.ID {
		t.Fatalf("at the SLA: %v, fallback %d; want true, Mac", over, fb)
	}
	s.EscalatedAt = t0.Add(5 * time.Minute)
	if over, _ := w.d.Overdue(s, t0.Add(time.Hour)); over {
		t.Fatal("escalated twice")
	}
	s2 := &store.Session{ID: "s2", Status: proto.StatusReady, ChannelID: w.mac.ID, ReadyAt: t0}
	if over, _ := w.d.Overdue(s2, t0.Add(time.Hour)); over {
		t.Fatal("Mac has no SLA")
	}
}

func TestClassification(t *testing.T) {
	w := newWorld(t)
	if err := w.d.CheckClassification("network", "high"); err != nil {
		t.Fatal(err)
	}
	err := w.d.CheckClassification("plumbing", "")
	if err == nil || !strings.Contains(err.Error(), `There is no category "plumbing"; the categories are: hardware, software`) {
		t.Fatalf("unknown category: %v", err)
	}
	ctx := context.Background()
	if err := w.st.SetSetting(ctx, store.SettingCategories, `["printers","other"]`); err != nil {
		t.Fatal(err)
	}
	w.d.Refresh(ctx)
	if err := w.d.CheckClassification("printers", ""); err != nil {
		t.Fatalf("edited categories: %v", err)
	}
}
