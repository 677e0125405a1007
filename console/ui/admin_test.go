package ui

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"

	"github.com/relaydesk/relaydesk/console/client"
	"github.com/relaydesk/relaydesk/pkg/adminapi"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// fakeAdmin is the relay's admin API as the screens see it: it records
// what they send and answers from its fields.
type fakeAdmin struct {
	mu        sync.Mutex
	perms     adminapi.Permissions
	permsRead bool
	permsErrs int // failures before Permissions answers
	channels  []adminapi.Channel
	groups    []adminapi.Group
	techs     []adminapi.Technician
	settings  adminapi.Settings
	pages     map[string]proto.HistoryPage // by cursor
	details   map[string]proto.SessionDetails
	refuse    error // answer to every change, when set
	histErr   error // answer to History, when set

	histReqs   []proto.HistoryRequest
	chanCalls  []adminapi.ChannelPatch
	techCalls  []adminapi.TechnicianPatch
	groupCalls []adminapi.GroupPatch
	setCalls   []adminapi.SettingsPatch
	resets     []string
}

func (f *fakeAdmin) Permissions(context.Context) (adminapi.Permissions, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.permsRead = true
	if f.permsErrs > 0 {
		f.permsErrs--
		return adminapi.Permissions{}, errors.New("connection refused")
	}
	return f.perms, nil
}

func (f *fakeAdmin) History(_ context.Context, req proto.HistoryRequest) (proto.HistoryPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.histReqs = append(f.histReqs, req)
	return f.pages[req.Cursor], f.histErr
}

func (f *fakeAdmin) SessionDetails(_ context.Context, id string) (proto.SessionDetails, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.details[id]
	if !ok {
		return d, &client.AdminError{Status: http.StatusNotFound, Text: "There is no session " + id + "."}
	}
	return d, nil
}

func (f *fakeAdmin) Channels(context.Context) ([]adminapi.Channel, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.channels), nil
}

func (f *fakeAdmin) change(calls *[]adminapi.ChannelPatch, ch adminapi.ChannelPatch) (adminapi.Channel, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	*calls = append(*calls, ch)
	if f.refuse != nil {
		return adminapi.Channel{}, f.refuse
	}
	return adminapi.Channel{Name: *ch.Name}, nil
}

func (f *fakeAdmin) CreateChannel(_ context.Context, ch adminapi.ChannelCreate) (adminapi.Channel, error) {
	return f.change(&f.chanCalls, adminapi.ChannelPatch{Name: &ch.Name, ChannelSettings: ch.ChannelSettings})
}

func (f *fakeAdmin) UpdateChannel(_ context.Context, _ string, ch adminapi.ChannelPatch) (adminapi.Channel, error) {
	return f.change(&f.chanCalls, ch)
}

func (f *fakeAdmin) DeleteChannel(context.Context, string) error { return f.refuse }

func (f *fakeAdmin) Groups(context.Context) ([]adminapi.Group, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.groups), nil
}

func (f *fakeAdmin) CreateGroup(ctx context.Context, g adminapi.GroupCreate) (adminapi.Group, error) {
	return f.UpdateGroup(ctx, g.Name, adminapi.GroupPatch{Name: &g.Name, Description: &g.Description, Members: &g.Members})
}

func (f *fakeAdmin) UpdateGroup(_ context.Context, _ string, g adminapi.GroupPatch) (adminapi.Group, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.groupCalls = append(f.groupCalls, g)
	return adminapi.Group{Name: *g.Name}, f.refuse
}

func (f *fakeAdmin) DeleteGroup(context.Context, string) error { return f.refuse }

func (f *fakeAdmin) Technicians(context.Context) ([]adminapi.Technician, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.techs), nil
}

func (f *fakeAdmin) UpdateTechnician(_ context.Context, name string, t adminapi.TechnicianPatch) (adminapi.Technician, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.techCalls = append(f.techCalls, t)
	return adminapi.Technician{Name: name}, f.refuse
}

func (f *fakeAdmin) ResetPassword(_ context.Context, name, pw string, signOut bool) (adminapi.PasswordReset, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resets = append(f.resets, name+":"+pw)
	if pw == "" {
		return adminapi.PasswordReset{Password: "madeUpByTheRelay42"}, f.refuse
	}
	return adminapi.PasswordReset{}, f.refuse
}

func (f *fakeAdmin) Settings(context.Context) (adminapi.Settings, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.settings, nil
}

func (f *fakeAdmin) UpdateSettings(_ context.Context, s adminapi.SettingsPatch) (adminapi.Settings, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.setCalls = append(f.setCalls, s)
	if f.refuse != nil {
		return adminapi.Settings{}, f.refuse
	}
	return adminapi.Settings{Organisation: *s.Organisation, Categories: *s.Categories, Priorities: *s.Priorities}, nil
}

// locked runs fn with the fake's lock held.
func (f *fakeAdmin) locked(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn()
}

func allPerms(ps ...proto.Permission) adminapi.Permissions {
	p := adminapi.Permissions{You: adminapi.Caller{Name: "tom", Role: "technician-manager"}}
	for _, x := range ps {
		p.You.Permissions = append(p.You.Permissions, string(x))
	}
	p.Table = []adminapi.PermissionRow{{Name: "monitor", Doc: "Watch a colleague's session.", Roles: []string{"admin"}},
		{Name: "audit.read", Doc: "Read the audit trail.", Roles: []string{"admin"}}}
	return p
}

// signedInWithAdmin is a console signed in as tom with fa as its admin API.
func signedInWithAdmin(t *testing.T, fa *fakeAdmin) *Console {
	t.Helper()
	return signedInWithAPI(t, fa, fa)
}

// signedInWithAPI is signedInWithAdmin with api as the admin API (fa inside it).
func signedInWithAPI(t *testing.T, fa *fakeAdmin, api Admin) *Console {
	t.Helper()
	c, be, _ := newTestConsole(t)
	c.opts.Admin = func(client.Login) (Admin, error) { return api, nil }
	c.ShowQueue(client.Login{Relay: "relay.example.com:4433", User: "tom", Token: "t"})
	<-be.watching
	// Asked, and applied on the UI loop when the fake answered (the
	// answer is queued after the fake returns).
	eventually(t, "the permissions", func() bool {
		var read, answered bool
		fa.locked(func() { read, answered = fa.permsRead, fa.permsErrs == 0 })
		return read && (!answered || c.adm.perms.You.Name != "")
	})
	return c
}

func tabTexts(tabs *container.AppTabs) []string {
	var out []string
	for _, it := range tabs.Items {
		out = append(out, it.Text)
	}
	return out
}

// Administration is offered only to who the relay says may use it, with
// only the screens of the permissions they have; History is for everyone.
func TestAdministrationFollowsThePermissions(t *testing.T) {
	for _, tc := range []struct {
		perms []proto.Permission
		want  []string
	}{
		{nil, nil},
		{[]proto.Permission{proto.PermReadAudit, proto.PermMonitor}, nil},
		{[]proto.Permission{proto.PermManageSettings}, []string{"Organisation"}},
		{[]proto.Permission{proto.PermManageChannel}, []string{"Channels"}},
		{[]proto.Permission{proto.PermManageChannel, proto.PermManageTechnicians, proto.PermManageSettings}, []string{"Channels", "Groups", "Technicians", "Organisation"}},
	} {
		fa := &fakeAdmin{perms: allPerms(tc.perms...)}
		c := signedInWithAdmin(t, fa)
		if c.adm.history.Hidden {
			t.Errorf("%v: History is hidden", tc.perms)
		}
		if c.adm.admin.Hidden != (tc.want == nil) {
			t.Errorf("%v: Administration hidden %v", tc.perms, c.adm.admin.Hidden)
			continue
		}
		test.Tap(c.adm.admin)
		if tc.want == nil {
			if c.adm.adm != nil {
				t.Errorf("%v: the Administration tab opened", tc.perms)
			}
			continue
		}
		if got := tabTexts(c.adm.adm.tabs); !slices.Equal(got, tc.want) {
			t.Errorf("%v: screens %v, want %v", tc.perms, got, tc.want)
		}
		if c.tabs.Selected() != c.adm.admItem {
			t.Errorf("%v: the Administration tab is not selected", tc.perms)
		}
	}
}

// A relay that cannot say the permissions at first is asked again until
// it can; signing out stops the asking.
func TestPermissionsAreAskedAgainAfterAFailure(t *testing.T) {
	defer func(d time.Duration) { permsRetry = d }(permsRetry)
	permsRetry = 10 * time.Millisecond
	fa := &fakeAdmin{perms: allPerms(proto.PermManageSettings), permsErrs: 2}
	c := signedInWithAdmin(t, fa)
	eventually(t, "Administration", func() bool { return !c.adm.admin.Hidden })
	fa.locked(func() {
		if fa.permsErrs != 0 {
			t.Fatalf("%d failures left", fa.permsErrs)
		}
	})

	never := &fakeAdmin{permsErrs: 1 << 30}
	c = signedInWithAdmin(t, never)
	a := c.adm
	c.signOut()
	if a.ctx.Err() == nil {
		t.Fatal("signing out did not stop the admin screens' requests")
	}
	// The test's cleanup waits for the console's goroutines: the asking has ended.
}

func TestValidateHistory(t *testing.T) {
	loc := time.UTC
	ok := HistoryForm{Channel: " Mac ", Customer: "erika", MinRating: 4, From: "2026-11-01", To: "2026-11-30", Closed: true, Expired: true}
	req, err := ValidateHistory(ok, loc)
	if err != nil || req.Channel != "Mac" || req.MinRating != 4 || !req.Since.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, loc)) ||
		!req.Until.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, loc)) || !slices.Equal(req.Statuses, []proto.Status{proto.StatusClosed, proto.StatusExpired}) ||
		req.Limit != historyPage {
		t.Fatalf("ValidateHistory(%+v) = %+v, %v", ok, req, err)
	}
	for _, c := range []struct {
		f    HistoryForm
		want string
	}{
		{HistoryForm{From: "1.11.2026", Closed: true}, `From is a date such as 2026-11-30, not "1.11.2026".`},
		{HistoryForm{To: "yesterday", Closed: true}, `To is a date such as 2026-11-30, not "yesterday".`},
		{HistoryForm{From: "2026-12-01", To: "2026-11-01", Closed: true}, "The From date is after the To date."},
		{HistoryForm{}, "Choose closed sessions, expired ones, or both."},
	} {
		if _, err := ValidateHistory(c.f, loc); err == nil || err.Error() != c.want {
			t.Errorf("ValidateHistory(%+v) = %v, want %q", c.f, err, c.want)
		}
	}
}

// History: the search sends the fields, pages as the relay pages, and a
// chosen session shows its details, notes, chat and history; a bad date
// is a sentence and asks nothing.
func TestHistorySearchPagesAndOpensASession(t *testing.T) {
	at := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	s1 := proto.SessionInfo{ID: "s1", Status: proto.StatusClosed, Kind: proto.KindLink, CustomerName: "Erika Muster", Channel: "Mac support",
		Owner: "tina", CreatedAt: at, StartedAt: at.Add(time.Minute), EndedAt: at.Add(20 * time.Minute), Rating: 4, Category: "Hardware",
		Device: &proto.DeviceInfo{Hostname: "erika-mbp"}}
	s2 := proto.SessionInfo{ID: "s2", Status: proto.StatusExpired, Kind: proto.KindLink, CreatedAt: at.Add(-time.Hour)}
	s3 := proto.SessionInfo{ID: "s3", Status: proto.StatusClosed, Kind: proto.KindCode, CreatedAt: at.Add(-2 * time.Hour)}
	fa := &fakeAdmin{perms: allPerms(),
		pages: map[string]proto.HistoryPage{"": {Sessions: []proto.SessionInfo{s1, s2}, Next: "page2"}, "page2": {Sessions: []proto.SessionInfo{s3}}},
		details: map[string]proto.SessionDetails{"s1": {Session: s1,
			Notes:   []proto.Note{{At: at, Author: "tina", Text: "Printer driver reinstalled."}},
			Chat:    []proto.Chat{{From: "Erika", Text: "It prints again!", At: at}, {From: "tina", FromPeer: 7, Text: "Great.", At: at}},
			History: []proto.SessionEvent{{At: at, Status: proto.StatusReady}, {At: at.Add(20 * time.Minute), Status: proto.StatusClosed, Actor: "tina", Detail: "ended"}}}},
	}
	c := signedInWithAdmin(t, fa)
	test.Tap(c.adm.history)
	h := c.adm.hist
	if h == nil || c.tabs.Selected() != c.adm.histItem {
		t.Fatal("the History tab did not open")
	}

	test.Type(h.from, "30.11.")
	test.Tap(h.search)
	testLoop.run()
	if h.status.Text != `From is a date such as 2026-11-30, not "30.11.".` || len(fa.histReqs) != 0 {
		t.Fatalf("bad date: %q, %d searches", h.status.Text, len(fa.histReqs))
	}
	h.from.SetText("2026-11-01")
	test.Type(h.channel, "Mac support")
	test.Type(h.customer, "erika")
	h.rating.SetSelectedIndex(3)
	h.expired.SetChecked(false)
	test.Tap(h.search)
	eventually(t, "the first page", func() bool { return len(h.sessions) == 2 })
	var req proto.HistoryRequest
	fa.locked(func() { req = fa.histReqs[0] })
	if req.Channel != "Mac support" || req.Customer != "erika" || req.MinRating != 3 || req.Since.IsZero() || req.Cursor != "" ||
		!slices.Equal(req.Statuses, []proto.Status{proto.StatusClosed}) {
		t.Fatalf("search sent %+v", req)
	}
	if h.more.Hidden || h.status.Text != "2 sessions shown; there are more." {
		t.Fatalf("after page 1: more hidden %v, status %q", h.more.Hidden, h.status.Text)
	}
	if row := HistoryRow(s1); !strings.Contains(row, "Mac support") || !strings.Contains(row, "erika-mbp") || !strings.Contains(row, "★★★★☆") {
		t.Fatalf("row %q", row)
	}

	test.Tap(h.more)
	eventually(t, "the second page", func() bool { return len(h.sessions) == 3 })
	fa.locked(func() { req = fa.histReqs[1] })
	if req.Cursor != "page2" || req.Channel != "Mac support" {
		t.Fatalf("next page sent %+v", req)
	}
	if !h.more.Hidden || h.status.Text != "3 session(s) found." {
		t.Fatalf("after the last page: more hidden %v, status %q", h.more.Hidden, h.status.Text)
	}

	h.list.Select(0)
	eventually(t, "the record", func() bool { return strings.Contains(h.record.Text, "Notes:") })
	for _, want := range []string{"for Erika Muster", "Channel: Mac support", "Category: Hardware", "tina: Printer driver reinstalled.",
		"Erika: It prints again!", "tina: Great.", "Closed by tina: ended", "after 19m"} {
		if !strings.Contains(h.record.Text, want) {
			t.Errorf("the record lacks %q:\n%s", want, h.record.Text)
		}
	}
	h.list.Select(1) // s2 has no record: the relay's sentence
	eventually(t, "the refusal", func() bool { return h.status.Text == "There is no session s2." })
}

func TestValidateChannel(t *testing.T) {
	good := ChannelForm{Name: " Mac support ", SLA: "15m", LinkTTL: "24h", Assign: "least-busy", Fallback: "Escalations",
		Form: adminapi.IntakeForm{Name: "required", Problem: "optional", Category: "off", Priority: "off"}, SOSCall: true, Narrow: []string{"control"}}
	ch, err := ValidateChannel(good)
	if err != nil || *ch.Name != "Mac support" || *ch.SLA != "15m0s" || *ch.Fallback != "Escalations" || !*ch.SOSCall || ch.Form.Name != "required" ||
		len(*ch.Groups) != 0 || (*ch.Narrow)[0] != "control" {
		t.Fatalf("ValidateChannel(good) = %+v, %v", ch, err)
	}
	if ch, err := ValidateChannel(ChannelForm{Name: "x", Fallback: noFallback, Assign: "off"}); err != nil || *ch.Fallback != "" {
		t.Fatalf("no fallback: %+v %v", ch, err)
	}
	for _, c := range []struct {
		mod  func(*ChannelForm)
		want string
	}{
		{func(f *ChannelForm) { f.Name = "  " }, "Give the channel a name."},
		{func(f *ChannelForm) { f.Name = strings.Repeat("n", 101) }, "A channel's name has at most 100 characters."},
		{func(f *ChannelForm) { f.Description = strings.Repeat("d", 1001) }, "A description has at most 1000 characters."},
		{func(f *ChannelForm) { f.SLA = "soon" }, `The SLA is a duration such as 15m or 24h, from 0s to 720h, not "soon".`},
		{func(f *ChannelForm) { f.SLA = "800h" }, `The SLA is a duration such as 15m or 24h, from 0s to 720h, not "800h".`},
		{func(f *ChannelForm) { f.LinkTTL = "30s" }, "The link lifetime is at least 1m, or 0s for the relay's default."},
		{func(f *ChannelForm) { f.Fallback = "mac SUPPORT" }, "A channel cannot fall back to itself."},
		{func(f *ChannelForm) { f.Form.Problem = "maybe" }, `A form field is off, optional or required, not "maybe".`},
		{func(f *ChannelForm) { f.Assign = "random" }, `Auto-assign is off, least-busy or round-robin, not "random".`},
	} {
		f := good
		c.mod(&f)
		if _, err := ValidateChannel(f); err == nil || err.Error() != c.want {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
}

// The channel screen: a form error is a sentence and sends nothing; a
// channel the user does not manage is read only; a save sends the form;
// the relay's refusal is shown.
func TestChannelScreen(t *testing.T) {
	fa := &fakeAdmin{perms: allPerms(proto.PermManageChannel),
		channels: []adminapi.Channel{
			{Name: "Mac support", Manages: true, SOSCall: true, SOSToken: "tok123", SLA: "15m", LinkTTL: "0s", Assign: "off", Groups: []string{"mac"}},
			{Name: "Windows", Manages: false, SLA: "0s", LinkTTL: "0s", Assign: "off"},
		},
		groups: []adminapi.Group{{Name: "mac"}, {Name: "win"}}, techs: []adminapi.Technician{{Name: "tina"}, {Name: "carla"}}}
	c := signedInWithAdmin(t, fa)
	test.Tap(c.adm.admin)
	v := c.adm.adm.channels
	eventually(t, "the channels", func() bool { return len(v.channels) == 2 })
	if !v.add.Disabled() {
		t.Error("New channel is offered to a manager of some channels only")
	}
	v.list.Select(1)
	if !v.save.Disabled() || !v.sla.Disabled() {
		t.Error("a channel the user does not manage is editable")
	}
	v.list.Select(0)
	if v.save.Disabled() || !v.managers.Disabled() || v.sosLink.Text != "https://relay.example.com:4433/c/tok123" || v.copyLink.Hidden {
		t.Fatalf("Mac support: save disabled %v, managers disabled %v, link %q", v.save.Disabled(), v.managers.Disabled(), v.sosLink.Text)
	}
	if !slices.Equal(v.groupsCheck.Options, []string{"mac", "win"}) || !slices.Equal(v.groupsCheck.Selected, []string{"mac"}) {
		t.Fatalf("groups %v selected %v", v.groupsCheck.Options, v.groupsCheck.Selected)
	}

	v.sla.SetText("soon")
	test.Tap(v.save)
	testLoop.run()
	if v.status.Text != `The SLA is a duration such as 15m or 24h, from 0s to 720h, not "soon".` || len(fa.chanCalls) != 0 {
		t.Fatalf("bad SLA: %q, %d calls", v.status.Text, len(fa.chanCalls))
	}
	v.sla.SetText("30m")
	v.formName.SetSelected("required")
	if !slices.Equal(v.narrow.Options, []string{"view", "control", "clipboard", "chat", "screenshot", "files"}) {
		t.Fatalf("a channel can withhold %q", v.narrow.Options)
	}
	v.narrow.SetSelected([]string{"clipboard"})
	fa.locked(func() {
		fa.refuse = &client.AdminError{Status: http.StatusForbidden, Text: "You do not manage channel Mac support."}
	})
	test.Tap(v.save)
	eventually(t, "the refusal", func() bool { return v.status.Text == "You do not manage channel Mac support." })
	var sent adminapi.ChannelPatch
	fa.locked(func() { sent = fa.chanCalls[0] })
	if *sent.SLA != "30m0s" || sent.Form.Name != "required" || !slices.Equal(*sent.Narrow, []string{"clipboard"}) || sent.Managers != nil || sent.Default != nil {
		t.Fatalf("sent %+v", sent)
	}
	fa.locked(func() { fa.refuse = nil })
	test.Tap(v.save)
	eventually(t, "the save", func() bool { return v.status.Text == "Channel Mac support saved." })

	// Delete (what the confirmation runs): the relay's refusal, then a success.
	fa.locked(func() {
		fa.refuse = &client.AdminError{Status: http.StatusForbidden, Text: "Only a technician manager may create or delete channels."}
	})
	c.adm.deleteNamed(v.status, v.list, "channel", "Mac support", fa.DeleteChannel, v.reload)
	eventually(t, "the refused delete", func() bool { return v.status.Text == "Only a technician manager may create or delete channels." })
	fa.locked(func() { fa.refuse = nil })
	c.adm.deleteNamed(v.status, v.list, "channel", "Mac support", fa.DeleteChannel, v.reload)
	eventually(t, "the delete", func() bool { return v.status.Text == "Channel Mac support deleted." })
}

func TestValidateGroupTechnicianPasswordSettings(t *testing.T) {
	if g, err := ValidateGroup(" mac ", "", nil); err != nil || *g.Name != "mac" || *g.Members == nil {
		t.Fatalf("group: %+v %v", g, err)
	}
	if _, err := ValidateGroup("", "", nil); err == nil || err.Error() != "Give the group a name." {
		t.Errorf("group without a name: %v", err)
	}

	tc, err := ValidateTechnician(TechnicianForm{Role: "technician", Enabled: true, Languages: "DE, en, de-CH, de", MaxSessions: "3",
		Overrides: map[string]string{"monitor": overrideAllow, "chat": overrideDeny}})
	if err != nil || *tc.Disabled || !slices.Equal(*tc.Profile.Languages, []string{"de", "en", "de-ch"}) || *tc.Profile.MaxSessions != 3 ||
		!slices.Equal(*tc.Overrides, []adminapi.Override{{Permission: "chat"}, {Permission: "monitor", Allow: true}}) {
		t.Fatalf("technician: %+v %v", tc, err)
	}
	for _, c := range []struct {
		f    TechnicianForm
		want string
	}{
		{TechnicianForm{Role: "boss"}, "Choose a role: technician, channel-manager, technician-manager, admin."},
		{TechnicianForm{Role: "technician", Languages: "english please"}, `A language is a tag such as en or de-CH, not "english please".`},
		{TechnicianForm{Role: "technician", Languages: "e"}, `A language is a tag such as en or de-CH, not "e".`},
		{TechnicianForm{Role: "technician", MaxSessions: "101"}, "The limit of concurrent sessions is a number from 0 (the relay's default) to 100."},
		{TechnicianForm{Role: "technician", MaxSessions: "many"}, "The limit of concurrent sessions is a number from 0 (the relay's default) to 100."},
	} {
		if _, err := ValidateTechnician(c.f); err == nil || err.Error() != c.want {
			t.Errorf("ValidateTechnician(%+v) = %v, want %q", c.f, err, c.want)
		}
	}

	for _, c := range []struct{ pw, again, want string }{
		{"", "", ""}, {"longenough", "longenough", ""},
		{"short", "short", "A password has at least 8 characters; leave both fields empty to let the relay make one up."},
		{"longenough", "longenougH", "The two passwords differ."},
	} {
		err := ValidatePassword(c.pw, c.again)
		if (c.want == "") != (err == nil) || (err != nil && err.Error() != c.want) {
			t.Errorf("ValidatePassword(%q, %q) = %v, want %q", c.pw, c.again, err, c.want)
		}
	}

	s, err := ValidateSettings(" Example Corp ", "Hardware\n\n Software \n", "High\nLow")
	if err != nil || *s.Organisation != "Example Corp" || !slices.Equal(*s.Categories, []string{"Hardware", "Software"}) {
		t.Fatalf("settings: %+v %v", s, err)
	}
	for _, c := range []struct{ org, cats, prios, want string }{
		{strings.Repeat("o", 201), "a", "b", "The organisation's name has at most 200 characters."},
		{"", " \n", "b", "The categories cannot be empty: give one per line."},
		{"", "a\na", "b", `"a" is twice in the categories.`},
		{"", "a", strings.Repeat("p\n", 1) + strings.Repeat("x", 201), "Each of the priorities has at most 200 characters."},
		{"", "a", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n21", "There are at most 20 priorities."},
	} {
		if _, err := ValidateSettings(c.org, c.cats, c.prios); err == nil || err.Error() != c.want {
			t.Errorf("ValidateSettings(%q, %q, %q) = %v, want %q", c.org, c.cats, c.prios, err, c.want)
		}
	}
}

// Technicians: a save sends role, account, languages, limit and
// overrides; a password reset validates, and a made-up password is shown.
func TestTechnicianScreen(t *testing.T) {
	fa := &fakeAdmin{perms: allPerms(proto.PermManageTechnicians),
		techs: []adminapi.Technician{{Name: "tina", Role: "technician", Availability: "available", Languages: []string{"en"},
			Overrides: []adminapi.Override{{Permission: "audit.read", Allow: true}}}}}
	c := signedInWithAdmin(t, fa)
	test.Tap(c.adm.admin)
	v := c.adm.adm.techs
	eventually(t, "the technicians", func() bool { return len(v.techs) == 1 })
	v.list.Select(0)
	if v.overrides["audit.read"].Selected != overrideAllow || v.overrides["monitor"].Selected != overrideDefault || !v.enabled.Checked {
		t.Fatalf("tina's form: %q %q enabled %v", v.overrides["audit.read"].Selected, v.overrides["monitor"].Selected, v.enabled.Checked)
	}
	v.maxSess.SetText("-1")
	test.Tap(v.save)
	testLoop.run()
	if !strings.HasPrefix(v.status.Text, "The limit of concurrent sessions") || len(fa.techCalls) != 0 {
		t.Fatalf("bad limit: %q, %d calls", v.status.Text, len(fa.techCalls))
	}
	v.maxSess.SetText("2")
	v.role.SetSelected("channel-manager")
	v.enabled.SetChecked(false)
	v.overrides["monitor"].SetSelected(overrideDeny)
	test.Tap(v.save)
	eventually(t, "the save", func() bool { return v.status.Text == "tina saved." })
	var sent adminapi.TechnicianPatch
	fa.locked(func() { sent = fa.techCalls[0] })
	if *sent.Role != "channel-manager" || !*sent.Disabled || *sent.Profile.MaxSessions != 2 || sent.Profile.Languages != nil ||
		!slices.Equal(*sent.Overrides, []adminapi.Override{{Permission: "audit.read", Allow: true}, {Permission: "monitor"}}) {
		t.Fatalf("sent %+v (only what changed)", sent)
	}
	// The form shows tina as the relay has her again: a save without a
	// change sends nothing.
	v.list.Select(0)
	test.Tap(v.save)
	testLoop.run()
	if v.status.Text != "Nothing changed." || len(fa.techCalls) != 1 {
		t.Fatalf("a save without a change: %q, %d calls", v.status.Text, len(fa.techCalls))
	}

	v.list.Select(0)
	test.Tap(v.resetPW)
	test.Type(v.pwEntry, "short")
	test.Type(v.pwAgain, "short")
	v.submitReset()
	if !strings.HasPrefix(v.pwErr.Text, "A password has at least 8 characters") || len(fa.resets) != 0 {
		t.Fatalf("short password: %q %v", v.pwErr.Text, fa.resets)
	}
	v.pwEntry.SetText("")
	v.pwAgain.SetText("")
	v.pwSignOut.SetChecked(true)
	v.submitReset()
	eventually(t, "the reset", func() bool { return v.lastReset.Password == "madeUpByTheRelay42" })
	if !slices.Equal(fa.resets, []string{"tina:"}) || v.status.Text != "The password of tina is changed." {
		t.Fatalf("resets %v, status %q", fa.resets, v.status.Text)
	}
}

// Organisation: a save sends the lists; the relay's refusal is shown.
func TestSettingsScreenShowsTheRelaysRefusal(t *testing.T) {
	fa := &fakeAdmin{perms: allPerms(proto.PermManageSettings),
		settings: adminapi.Settings{Organisation: "Example Corp", Categories: []string{"Hardware"}, Priorities: []string{"High", "Low"}}}
	c := signedInWithAdmin(t, fa)
	test.Tap(c.adm.admin)
	v := c.adm.adm.settings
	eventually(t, "the settings", func() bool { return v.org.Text == "Example Corp" })
	if v.priorities.Text != "High\nLow" {
		t.Fatalf("priorities %q", v.priorities.Text)
	}
	v.categories.SetText("")
	test.Tap(v.save)
	testLoop.run()
	if v.status.Text != "The categories cannot be empty: give one per line." || len(fa.setCalls) != 0 {
		t.Fatalf("empty categories: %q", v.status.Text)
	}
	v.categories.SetText("Hardware\nNetwork")
	fa.locked(func() {
		fa.refuse = &client.AdminError{Status: http.StatusForbidden, Text: "You may not change the organisation's settings."}
	})
	test.Tap(v.save)
	eventually(t, "the refusal", func() bool { return v.status.Text == "You may not change the organisation's settings." })
	if v.categories.Text != "Hardware\nNetwork" {
		t.Fatal("the refused form lost what was typed")
	}
	fa.locked(func() { fa.refuse = nil })
	test.Tap(v.save)
	eventually(t, "the save", func() bool { return v.status.Text == "Settings saved; they apply at once." })
	if !slices.Equal(*fa.setCalls[1].Categories, []string{"Hardware", "Network"}) {
		t.Fatalf("sent %+v", fa.setCalls[1])
	}
}

// Groups: a new group with members goes to the relay; the relay's refusal
// of a change is shown; an unreachable relay is a sentence too.
func TestGroupScreenAndAnUnreachableRelay(t *testing.T) {
	fa := &fakeAdmin{perms: allPerms(proto.PermManageTechnicians),
		groups: []adminapi.Group{{Name: "mac", Members: []string{"tina"}, Channels: []string{"Mac support"}}},
		techs:  []adminapi.Technician{{Name: "tina"}, {Name: "theo"}}}
	c := signedInWithAdmin(t, fa)
	test.Tap(c.adm.admin)
	v := c.adm.adm.groups
	eventually(t, "the groups", func() bool { return len(v.groups) == 1 })
	if !slices.Equal(v.members.Options, []string{"tina", "theo"}) || !v.remove.Disabled() {
		t.Fatalf("members %v, delete enabled for a new group", v.members.Options)
	}
	test.Tap(v.save)
	testLoop.run()
	if v.status.Text != "Give the group a name." || len(fa.groupCalls) != 0 {
		t.Fatalf("no name: %q", v.status.Text)
	}
	test.Type(v.name, "windows")
	v.members.SetSelected([]string{"theo"})
	test.Tap(v.save)
	eventually(t, "the new group", func() bool { return v.status.Text == "Group windows created." })
	var sent adminapi.GroupPatch
	fa.locked(func() { sent = fa.groupCalls[0] })
	if *sent.Name != "windows" || !slices.Equal(*sent.Members, []string{"theo"}) {
		t.Fatalf("sent %+v", sent)
	}

	v.list.Select(0)
	if v.channels.Text != "Mac support" || !slices.Equal(v.members.Selected, []string{"tina"}) || v.remove.Disabled() {
		t.Fatalf("mac: serves %q, members %v", v.channels.Text, v.members.Selected)
	}
	fa.locked(func() {
		fa.refuse = &client.AdminError{Status: http.StatusBadRequest, Text: `There is no technician "tina".`}
	})
	test.Tap(v.save)
	eventually(t, "the refusal", func() bool { return v.status.Text == `There is no technician "tina".` })

	fa.locked(func() { fa.histErr = errors.New("dial tcp 192.0.2.1:4433: connect: connection refused") })
	test.Tap(c.adm.history)
	test.Tap(c.adm.hist.search)
	want := "Could not reach the relay at relay.example.com:4433: dial tcp 192.0.2.1:4433: connect: connection refused."
	eventually(t, "the sentence", func() bool { return c.adm.hist.status.Text == want })
	if c.adm.hist.search.Disabled() {
		t.Fatal("Search stays disabled after a failure")
	}
}
