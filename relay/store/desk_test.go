package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// mkUser creates a technician and returns their ID.
func mkUser(t *testing.T, st *SQLite, name string) int64 {
	t.Helper()
	u := User{Name: name, Role: RoleTechnician, PasswordHash: "h", CreatedAt: t0}
	if err := st.CreateUser(context.Background(), &u); err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// wantErr checks err against want: nil, ErrNotFound or ErrExists.
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if want == nil && err != nil || want != nil && !errors.Is(err, want) {
		t.Fatalf("%s: got %v, want %v", what, err, want)
	}
}

func TestGroups(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "r.db"))
	ann, bob, cy := mkUser(t, st, "ann"), mkUser(t, st, "bob"), mkUser(t, st, "cy")

	second := Group{Name: "second level", Description: "escalations", Members: []int64{cy, ann, cy}, CreatedAt: t0}
	if err := st.CreateGroup(ctx, &second); err != nil || second.ID == 0 {
		t.Fatalf("create: %v (id %d)", err, second.ID)
	}
	first := Group{Name: "first level", CreatedAt: t0.Add(time.Second)}
	if err := st.CreateGroup(ctx, &first); err != nil {
		t.Fatal(err)
	}
	// A group that serves a channel stops serving it when deleted.
	gone := Group{Name: "gone", Members: []int64{bob}, CreatedAt: t0}
	if err := st.CreateGroup(ctx, &gone); err != nil {
		t.Fatal(err)
	}
	ch := Channel{Name: "support", Groups: []int64{gone.ID, first.ID}, CreatedAt: t0}
	if err := st.CreateChannel(ctx, &ch); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name string
		do   func() error
		want error
	}{
		{"create taken name", func() error { return st.CreateGroup(ctx, &Group{Name: "first level"}) }, ErrExists},
		{"create unknown member", func() error { return st.CreateGroup(ctx, &Group{Name: "x", Members: []int64{999}}) }, ErrNotFound},
		{"update", func() error {
			return st.UpdateGroup(ctx, &Group{ID: first.ID, Name: "first line", Description: "d", Members: []int64{bob, ann}})
		}, nil},
		{"update unknown", func() error { return st.UpdateGroup(ctx, &Group{ID: 999, Name: "y"}) }, ErrNotFound},
		{"update taken name", func() error { return st.UpdateGroup(ctx, &Group{ID: first.ID, Name: "second level"}) }, ErrExists},
		{"update unknown member", func() error {
			return st.UpdateGroup(ctx, &Group{ID: first.ID, Name: "first line", Members: []int64{999}})
		}, ErrNotFound},
		{"delete", func() error { return st.DeleteGroup(ctx, gone.ID) }, nil},
		{"delete again", func() error { return st.DeleteGroup(ctx, gone.ID) }, ErrNotFound},
	} {
		wantErr(t, c.name, c.do(), c.want)
	}

	got, err := st.Groups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []Group{
		// The failed updates changed nothing.
		{ID: first.ID, Name: "first line", Description: "d", Members: []int64{ann, bob}, CreatedAt: t0.Add(time.Second)},
		{ID: second.ID, Name: "second level", Description: "escalations", Members: []int64{ann, cy}, CreatedAt: t0},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("groups:\n got %+v\nwant %+v", got, want)
	}
	chs, err := st.Channels(ctx)
	if err != nil || len(chs) != 1 || !slices.Equal(chs[0].Groups, []int64{first.ID}) {
		t.Fatalf("channel after its group was deleted: %+v %v", chs, err)
	}
}

func TestChannels(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "r.db"))
	ann, bob := mkUser(t, st, "ann"), mkUser(t, st, "bob")
	g1, g2 := Group{Name: "g1"}, Group{Name: "g2"}
	st.CreateGroup(ctx, &g1)
	st.CreateGroup(ctx, &g2)

	other := Channel{Name: "other", CreatedAt: t0}
	if err := st.CreateChannel(ctx, &other); err != nil {
		t.Fatal(err)
	}
	sup := Channel{
		Name: "support", Description: "first contact", Groups: []int64{g2.ID, g1.ID, g2.ID}, Managers: []int64{bob, ann},
		Default: true, LinkTTL: 90 * time.Minute, SOSCall: true, SOSToken: "sos-abc",
		Form:   proto.IntakeForm{Name: proto.FieldRequired, Problem: proto.FieldOptional},
		Assign: proto.AssignLeastBusy, SLA: 5 * time.Minute, FallbackID: other.ID,
		Narrow: []proto.Permission{proto.PermControl, proto.PermClipboard}, CreatedAt: t0.Add(time.Second),
	}
	if err := st.CreateChannel(ctx, &sup); err != nil || sup.ID == 0 {
		t.Fatalf("create: %v (id %d)", err, sup.ID)
	}
	got, err := st.Channels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantSup := sup
	wantSup.Groups, wantSup.Managers = []int64{g1.ID, g2.ID}, []int64{ann, bob}
	want := []Channel{{ID: other.ID, Name: "other", CreatedAt: t0}, wantSup}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("channels:\n got %+v\nwant %+v", got, want)
	}

	defaults := func() []string {
		t.Helper()
		chs, err := st.Channels(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range chs {
			if c.Default {
				out = append(out, c.Name)
			}
		}
		return out
	}
	for _, c := range []struct {
		name     string
		do       func() error
		want     error
		defaults []string
	}{
		{"create taken name", func() error { return st.CreateChannel(ctx, &Channel{Name: "support"}) }, ErrExists, []string{"support"}},
		{"create taken sos token", func() error { return st.CreateChannel(ctx, &Channel{Name: "x", SOSToken: "sos-abc"}) }, ErrExists, []string{"support"}},
		{"create unknown group", func() error { return st.CreateChannel(ctx, &Channel{Name: "x", Groups: []int64{999}}) }, ErrNotFound, []string{"support"}},
		{"create unknown manager", func() error { return st.CreateChannel(ctx, &Channel{Name: "x", Managers: []int64{999}}) }, ErrNotFound, []string{"support"}},
		// A failed create rolls back the clearing of the default.
		{"create default, taken name", func() error { return st.CreateChannel(ctx, &Channel{Name: "other", Default: true}) }, ErrExists, []string{"support"}},
		{"create new default", func() error { return st.CreateChannel(ctx, &Channel{Name: "new", Default: true}) }, nil, []string{"new"}},
		{"update to default", func() error {
			o := other
			o.Default = true
			return st.UpdateChannel(ctx, &o)
		}, nil, []string{"other"}},
		{"update unknown", func() error { return st.UpdateChannel(ctx, &Channel{ID: 999, Name: "z", Default: true}) }, ErrNotFound, []string{"other"}},
		{"update taken name", func() error { return st.UpdateChannel(ctx, &Channel{ID: sup.ID, Name: "new", Default: true}) }, ErrExists, []string{"other"}},
		{"update unknown fallback", func() error { return st.UpdateChannel(ctx, &Channel{ID: sup.ID, Name: "support", FallbackID: 999}) }, ErrNotFound, []string{"other"}},
		{"update not default", func() error { return st.UpdateChannel(ctx, &Channel{ID: other.ID, Name: "other"}) }, nil, nil},
		{"delete unknown", func() error { return st.DeleteChannel(ctx, 999) }, ErrNotFound, nil},
	} {
		wantErr(t, c.name, c.do(), c.want)
		if d := defaults(); !slices.Equal(d, c.defaults) {
			t.Fatalf("%s: default channels %v, want %v", c.name, d, c.defaults)
		}
	}
	// The database itself holds at most one default.
	if _, err := st.w.ExecContext(ctx, `UPDATE channels SET is_default = 1`); err == nil {
		t.Fatal("two default channels")
	}

	// UpdateChannel replaces every field.
	upd := Channel{ID: sup.ID, Name: "support desk", Groups: []int64{g2.ID}, Assign: proto.AssignRoundRobin, CreatedAt: sup.CreatedAt}
	if err := st.UpdateChannel(ctx, &upd); err != nil {
		t.Fatal(err)
	}
	got, _ = st.Channels(ctx)
	if len(got) != 3 || !reflect.DeepEqual(got[2], upd) {
		t.Fatalf("updated channel: %+v, want %+v", got, upd)
	}

	// Deleting a channel: channels falling back to it fall back to nothing,
	// its sessions keep their channel ID.
	upd.FallbackID = other.ID
	if err := st.UpdateChannel(ctx, &upd); err != nil {
		t.Fatal(err)
	}
	s := newSession("s", "")
	s.ChannelID = other.ID
	if err := st.CreateSession(ctx, &s, StatusEvent{SessionID: "s", At: t0, Status: proto.StatusReady}); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteChannel(ctx, other.ID); err != nil {
		t.Fatal(err)
	}
	got, _ = st.Channels(ctx)
	if len(got) != 2 || got[0].Name != "new" || got[1].Name != "support desk" || got[1].FallbackID != 0 {
		t.Fatalf("channels after delete: %+v", got)
	}
	if s, err := st.Session(ctx, "s"); err != nil || s.ChannelID != other.ID {
		t.Fatalf("session of the deleted channel: %d %v", s.ChannelID, err)
	}
}

func TestProfilesAndOverrides(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "r.db"))
	ann, bob := mkUser(t, st, "ann"), mkUser(t, st, "bob")

	if p, err := st.Profile(ctx, ann); err != nil || !reflect.DeepEqual(p, Profile{}) {
		t.Fatalf("profile never set: %+v %v", p, err)
	}
	p := Profile{Languages: []string{"de", "en"}, Availability: proto.Busy, MaxSessions: 3}
	if err := st.SetProfile(ctx, ann, p); err != nil {
		t.Fatal(err)
	}
	if got, err := st.Profile(ctx, ann); err != nil || !reflect.DeepEqual(got, p) {
		t.Fatalf("profile: %+v %v", got, err)
	}
	p = Profile{Availability: proto.Away}
	if err := st.SetProfile(ctx, ann, p); err != nil {
		t.Fatal(err)
	}
	if got, err := st.Profile(ctx, ann); err != nil || !reflect.DeepEqual(got, p) {
		t.Fatalf("profile replaced: %+v %v", got, err)
	}

	if o, err := st.Overrides(ctx, ann); err != nil || o != nil {
		t.Fatalf("no overrides: %+v %v", o, err)
	}
	o := []Override{{Permission: proto.PermTakeOver, Allow: true}, {Permission: proto.PermChat, Allow: false}}
	if err := st.SetOverrides(ctx, ann, o); err != nil {
		t.Fatal(err)
	}
	wantO := []Override{{Permission: proto.PermChat, Allow: false}, {Permission: proto.PermTakeOver, Allow: true}}
	if got, err := st.Overrides(ctx, ann); err != nil || !reflect.DeepEqual(got, wantO) {
		t.Fatalf("overrides: %+v %v", got, err)
	}
	if got, _ := st.Overrides(ctx, bob); got != nil {
		t.Fatalf("overrides of another user: %+v", got)
	}

	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"profile of unknown user", func() error { _, err := st.Profile(ctx, 999); return err }(), ErrNotFound},
		{"set profile of unknown user", st.SetProfile(ctx, 999, Profile{}), ErrNotFound},
		{"overrides of unknown user", func() error { _, err := st.Overrides(ctx, 999); return err }(), ErrNotFound},
		{"set overrides of unknown user", st.SetOverrides(ctx, 999, nil), ErrNotFound},
		{"one permission twice", st.SetOverrides(ctx, ann, []Override{{Permission: proto.PermChat}, {Permission: proto.PermChat, Allow: true}}), ErrExists},
	} {
		wantErr(t, c.name, c.err, c.want)
	}
	// The failed replacement left the overrides as they were; an empty list
	// removes them.
	if got, _ := st.Overrides(ctx, ann); !reflect.DeepEqual(got, wantO) {
		t.Fatalf("overrides after a failed replacement: %+v", got)
	}
	if err := st.SetOverrides(ctx, ann, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := st.Overrides(ctx, ann); err != nil || got != nil {
		t.Fatalf("overrides removed: %+v %v", got, err)
	}
}

func TestAPITokens(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "r.db"))
	ci := APIToken{Name: "ci", Role: RoleAdmin, Hash: []byte("h-ci"), CreatedAt: t0, CreatedBy: "ann"}
	if err := st.CreateAPIToken(ctx, &ci); err != nil || ci.ID == 0 {
		t.Fatalf("create: %v (id %d)", err, ci.ID)
	}
	backup := APIToken{Name: "backup", Role: RoleTechnician, Hash: []byte("h-backup"), CreatedAt: t0}
	if err := st.CreateAPIToken(ctx, &backup); err != nil {
		t.Fatal(err)
	}
	ci2 := APIToken{Name: "ci", Role: RoleTechnician, Hash: []byte("h-ci2"), CreatedAt: t0.Add(time.Hour)}
	for _, c := range []struct {
		name string
		do   func() error
		want error
	}{
		{"live name taken", func() error { return st.CreateAPIToken(ctx, &APIToken{Name: "ci", Role: RoleAdmin, Hash: []byte("x")}) }, ErrExists},
		{"hash taken", func() error {
			return st.CreateAPIToken(ctx, &APIToken{Name: "y", Role: RoleAdmin, Hash: []byte("h-ci")})
		}, ErrExists},
		{"touch", func() error { return st.TouchAPIToken(ctx, ci.ID, t0.Add(time.Minute)) }, nil},
		{"touch unknown", func() error { return st.TouchAPIToken(ctx, 999, t0) }, ErrNotFound},
		{"revoke unknown", func() error { return st.RevokeAPIToken(ctx, "nope") }, ErrNotFound},
		{"revoke", func() error { return st.RevokeAPIToken(ctx, "ci") }, nil},
		{"revoke again", func() error { return st.RevokeAPIToken(ctx, "ci") }, ErrNotFound},
		{"by hash revoked", func() error { _, err := st.APITokenByHash(ctx, []byte("h-ci")); return err }, ErrNotFound},
		{"by hash unknown", func() error { _, err := st.APITokenByHash(ctx, []byte("nope")); return err }, ErrNotFound},
		{"name free after revoke", func() error { return st.CreateAPIToken(ctx, &ci2) }, nil},
	} {
		wantErr(t, c.name, c.do(), c.want)
	}
	got, err := st.APITokenByHash(ctx, []byte("h-backup"))
	if err != nil || !reflect.DeepEqual(got, backup) {
		t.Fatalf("by hash: %+v %v", got, err)
	}
	all, err := st.APITokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	revoked := ci
	revoked.Revoked, revoked.LastUsed = true, t0.Add(time.Minute)
	if want := []APIToken{backup, revoked, ci2}; !reflect.DeepEqual(all, want) {
		t.Fatalf("tokens:\n got %+v\nwant %+v", all, want)
	}
}

func TestNotesAndSettings(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "r.db"))
	ann := mkUser(t, st, "ann")
	for _, id := range []string{"a", "b"} {
		s := newSession(id, "")
		if err := st.CreateSession(ctx, &s, StatusEvent{SessionID: id, At: t0, Status: proto.StatusReady}); err != nil {
			t.Fatal(err)
		}
	}
	notes := []Note{
		{SessionID: "a", At: t0.Add(time.Minute), UserID: ann, Author: "ann", Text: "printer driver 3.2"},
		{SessionID: "a", At: t0, Author: "relay", Text: "earlier time, later note"},
	}
	for i := range notes {
		if err := st.AddNote(ctx, &notes[i]); err != nil || notes[i].ID == 0 {
			t.Fatalf("add note %d: %v (id %d)", i, err, notes[i].ID)
		}
	}
	wantErr(t, "note on unknown session", st.AddNote(ctx, &Note{SessionID: "nope", At: t0, Author: "x", Text: "x"}), ErrNotFound)
	wantErr(t, "note by unknown user", st.AddNote(ctx, &Note{SessionID: "a", At: t0, UserID: 999, Author: "x", Text: "x"}), ErrNotFound)
	if got, err := st.Notes(ctx, "a"); err != nil || !reflect.DeepEqual(got, notes) {
		t.Fatalf("notes:\n got %+v %v\nwant %+v", got, err, notes)
	}
	if got, err := st.Notes(ctx, "b"); err != nil || got != nil {
		t.Fatalf("notes of a session without: %+v %v", got, err)
	}
	if _, err := st.Notes(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("notes of an unknown session: %v", err)
	}

	if v, err := st.Setting(ctx, SettingOrganisation); err != nil || v != "" {
		t.Fatalf("unset setting: %q %v", v, err)
	}
	for _, v := range []string{"Acme IT", "Acme IT GmbH"} {
		if err := st.SetSetting(ctx, SettingOrganisation, v); err != nil {
			t.Fatal(err)
		}
		if got, err := st.Setting(ctx, SettingOrganisation); err != nil || got != v {
			t.Fatalf("setting: %q %v, want %q", got, err, v)
		}
	}
	st.SetSetting(ctx, SettingCategories, `["hardware"]`)
	if got, _ := st.Setting(ctx, SettingOrganisation); got != "Acme IT GmbH" {
		t.Fatalf("another key overwrote it: %q", got)
	}
}

// A session with a note is a record: the purge of unattended sessions
// keeps it (and the note does not block the purge of others).
func TestPurgeKeepsSessionsWithNotes(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "r.db"))
	for _, id := range []string{"noted", "plain"} {
		s := Session{ID: id, Kind: proto.KindCode, Status: proto.StatusClosed, CreatedAt: t0, EndedAt: t0.Add(time.Minute)}
		if err := st.CreateSession(ctx, &s, StatusEvent{SessionID: id, At: t0, Status: proto.StatusClosed}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.AddNote(ctx, &Note{SessionID: "noted", At: t0, Author: "ann", Text: "called back"}); err != nil {
		t.Fatal(err)
	}
	if n, err := st.PurgeUnattended(ctx, t0.Add(time.Hour), 10); err != nil || n != 1 {
		t.Fatalf("purged %d, %v; want 1", n, err)
	}
	if _, err := st.Session(ctx, "noted"); err != nil {
		t.Fatalf("noted session: %v", err)
	}
	if _, err := st.Session(ctx, "plain"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("plain session: %v", err)
	}
}

func TestSessionDeskFields(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "r.db"))
	s := newSession("a", "123456789")
	s.ChannelID, s.Category, s.Priority, s.Problem, s.Language = 7, "hardware", "high", "Drucker druckt nicht", "de"
	s.Ticket = proto.Ticket{System: "Jira", Key: "IT-1234", URL: "https://jira.example/browse/IT-1234"}
	s.EscalatedAt = t0.Add(5 * time.Minute)
	if err := st.CreateSession(ctx, &s, StatusEvent{SessionID: "a", At: t0, Status: proto.StatusReady}); err != nil {
		t.Fatal(err)
	}
	check := func(what string, got Session, err error) {
		t.Helper()
		if err != nil || !reflect.DeepEqual(got, s) {
			t.Fatalf("%s:\n got %+v %v\nwant %+v", what, got, err, s)
		}
	}
	got, err := st.Session(ctx, "a")
	check("session", got, err)
	got, err = st.SessionByCode(ctx, "123456789")
	check("by code", got, err)
	got, err = st.SessionByAgentKey(ctx, []byte("key-a"))
	check("by agent key", got, err)
	live, err := st.LiveSessions(ctx)
	if len(live) != 1 {
		t.Fatalf("live: %d %v", len(live), err)
	}
	check("live", live[0], err)
	found, err := st.SearchSessions(ctx, SessionFilter{All: true})
	if len(found) != 1 {
		t.Fatalf("search: %d %v", len(found), err)
	}
	check("search", found[0], err)

	s.ChannelID, s.Category, s.Priority, s.Problem, s.Language = 8, "network", "low", "", "en"
	s.Ticket, s.EscalatedAt = proto.Ticket{}, time.Time{}
	s.Device.Hostname = "Renamed"
	if err := st.UpdateSession(ctx, &s, nil); err != nil {
		t.Fatal(err)
	}
	got, err = st.Session(ctx, "a")
	check("updated", got, err)
	if found, _ := st.SearchSessions(ctx, SessionFilter{All: true, Hostname: "renamed"}); len(found) != 1 {
		t.Fatalf("search by the updated host name: %d", len(found))
	}
	if found, _ := st.SearchSessions(ctx, SessionFilter{All: true, Hostname: "pc-a"}); len(found) != 0 {
		t.Fatalf("search by the old host name: %d", len(found))
	}
}

// TestMigrationFromVersion4 opens a database of a relay that knew the first
// four migrations: its sessions read back with empty desk fields, and the
// history search finds them by host name and customer.
func TestMigrationFromVersion4(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`}
	for i := range 4 {
		stmts = append(stmts, migrations[i], fmt.Sprintf(`INSERT INTO schema_migrations(version, applied_at) VALUES (%d, 0)`, i+1))
	}
	stmts = append(stmts,
		`INSERT INTO users(name, role, password_hash, created_at) VALUES ('tina', 'technician', 'h', 1)`,
		`UPDATE users SET role = 'admin'`, // account_changes: 1
		`INSERT INTO sessions(id, kind, status, owner_id, customer_name, device, created_at, ended_at, ended_by, rating)
			VALUES ('old', 'code', 'Closed', 1, 'Ärztehaus Süd', '{"os":"windows","hostname":"RECEPTION-PC"}', 10, 20, 'tina', 4)`,
		`INSERT INTO sessions(id, kind, status, created_at) VALUES ('bare', 'link', 'Expired', 5)`,
		`INSERT INTO sessions(id, kind, status, device, created_at) VALUES ('broken', 'code', 'Closed', 'not json', 1)`,
		`INSERT INTO attachments(session_id, user_id, attached_at) VALUES ('old', 1, 11)`,
	)
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	st := open(t, path)
	var version int
	if err := st.r.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&version); err != nil || version != len(migrations) {
		t.Fatalf("schema version %d %v", version, err)
	}
	if n, err := st.AccountChanges(ctx); err != nil || n != 1 {
		t.Fatalf("account changes %d %v, want the old 1", n, err)
	}
	old, err := st.Session(ctx, "old")
	if err != nil {
		t.Fatal(err)
	}
	want := Session{ID: "old", Kind: proto.KindCode, Status: proto.StatusClosed, OwnerID: 1, CustomerName: "Ärztehaus Süd",
		Device: &proto.DeviceInfo{OS: "windows", Hostname: "RECEPTION-PC"}, CreatedAt: fromNano(10), EndedAt: fromNano(20),
		EndedBy: "tina", Rating: 4}
	if !reflect.DeepEqual(old, want) {
		t.Fatalf("old session:\n got %+v\nwant %+v", old, want)
	}
	if bare, err := st.Session(ctx, "bare"); err != nil || bare.ChannelID != 0 || bare.Category != "" || bare.Ticket != (proto.Ticket{}) ||
		!bare.EscalatedAt.IsZero() || bare.Device != nil {
		t.Fatalf("bare session: %+v %v", bare, err)
	}
	var host, customer string
	if err := st.r.QueryRowContext(ctx, `SELECT hostname, customer_fold FROM sessions WHERE id = 'old'`).Scan(&host, &customer); err != nil ||
		host != "reception-pc" || customer != "ärztehaus süd" {
		t.Fatalf("backfilled keys %q %q %v", host, customer, err)
	}
	for _, f := range []SessionFilter{
		{All: true, Hostname: "Reception"},
		{All: true, Customer: "ÄRZTE"},
		{VisibleTo: 1, Statuses: []proto.Status{proto.StatusClosed}, MinRating: 4},
		{All: true, TechnicianID: 1},
	} {
		got, err := st.SearchSessions(ctx, f)
		if err != nil || len(got) != 1 || got[0].ID != "old" {
			t.Fatalf("search %+v: %d sessions, %v", f, len(got), err)
		}
	}
	// The new tables work on the old database.
	if err := st.SetProfile(ctx, 1, Profile{Languages: []string{"de"}}); err != nil {
		t.Fatal(err)
	}
	if err := st.ClaimSession(ctx, "bare", 0, 1); err != nil {
		t.Fatal(err)
	}
}

// searchFixture makes users, channels and five sessions with everything the
// search filters on. It returns the store and the users' and channels' IDs.
func searchFixture(t *testing.T) (st *SQLite, ann, bob, cy, ch1, ch2 int64) {
	t.Helper()
	ctx := context.Background()
	st = open(t, filepath.Join(t.TempDir(), "r.db"))
	ann, bob, cy = mkUser(t, st, "ann"), mkUser(t, st, "bob"), mkUser(t, st, "cy")
	c1, c2 := Channel{Name: "support"}, Channel{Name: "billing"}
	if err := errors.Join(st.CreateChannel(ctx, &c1), st.CreateChannel(ctx, &c2)); err != nil {
		t.Fatal(err)
	}
	ch1, ch2 = c1.ID, c2.ID
	type row struct {
		id       string
		owner    int64
		channel  int64
		customer string
		host     string // "": no device
		status   proto.Status
		category string
		priority string
		rating   int
		attached []int64
	}
	for i, r := range []row{
		{"s01", ann, ch1, "Özdemir GmbH", "PC-Sales-01", proto.StatusClosed, "hardware", "high", 5, nil},
		{"s02", bob, ch1, "Müller", "laptop-7", proto.StatusClosed, "software", "low", 2, []int64{ann}},
		{"s03", 0, ch2, "ACME 100%_done", "srv_db", proto.StatusReady, "network", "critical", 0, nil},
		{"s04", cy, 0, "Bob's Shop", "", proto.StatusExpired, "", "", 0, []int64{bob}},
		{"s05", cy, ch2, "müller & söhne", "PC-HOME", proto.StatusClosed, "hardware", "high", 4, nil},
	} {
		s := Session{ID: r.id, Kind: proto.KindLink, Status: r.status, OwnerID: r.owner, ChannelID: r.channel, CustomerName: r.customer,
			Category: r.category, Priority: r.priority, CreatedAt: t0.Add(time.Duration(i+1) * time.Minute)}
		if r.host != "" {
			s.Device = &proto.DeviceInfo{OS: "windows", Hostname: r.host}
		}
		if err := st.CreateSession(ctx, &s, StatusEvent{SessionID: r.id, At: s.CreatedAt, Status: r.status}); err != nil {
			t.Fatal(err)
		}
		if r.rating > 0 {
			if err := st.RateSession(ctx, r.id, r.rating, "", s.CreatedAt); err != nil {
				t.Fatal(err)
			}
		}
		for _, u := range r.attached {
			if err := errors.Join(st.Attach(ctx, r.id, u, s.CreatedAt), st.Detach(ctx, r.id, u, s.CreatedAt)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return st, ann, bob, cy, ch1, ch2
}

func sessionIDs(ss []Session) string {
	ids := make([]string, len(ss))
	for i, s := range ss {
		ids[i] = s.ID
	}
	return strings.Join(ids, ",")
}

func TestSearchSessions(t *testing.T) {
	ctx := context.Background()
	st, ann, bob, cy, ch1, ch2 := searchFixture(t)
	for _, c := range []struct {
		name string
		f    SessionFilter
		want string
	}{
		{"everything", SessionFilter{All: true}, "s05,s04,s03,s02,s01"},
		{"channel", SessionFilter{All: true, ChannelID: ch1}, "s02,s01"},
		{"technician: owner or participant", SessionFilter{All: true, TechnicianID: ann}, "s02,s01"},
		{"technician: participant only", SessionFilter{All: true, TechnicianID: bob}, "s04,s02"},
		{"customer, folded", SessionFilter{All: true, Customer: "MÜLLER"}, "s05,s02"},
		{"customer, non-ASCII capital", SessionFilter{All: true, Customer: "özdem"}, "s01"},
		{"customer, underscore is literal", SessionFilter{All: true, Customer: "_"}, "s03"},
		{"customer, percent is literal", SessionFilter{All: true, Customer: "0%"}, "s03"},
		{"customer, apostrophe", SessionFilter{All: true, Customer: "bob's"}, "s04"},
		{"customer, no match", SessionFilter{All: true, Customer: "zzz"}, ""},
		{"hostname", SessionFilter{All: true, Hostname: "pc-"}, "s05,s01"},
		{"hostname, underscore is literal", SessionFilter{All: true, Hostname: "_"}, "s03"},
		{"hostname, backslash is literal", SessionFilter{All: true, Hostname: `\`}, ""},
		{"one status", SessionFilter{All: true, Statuses: []proto.Status{proto.StatusClosed}}, "s05,s02,s01"},
		{"two statuses", SessionFilter{All: true, Statuses: []proto.Status{proto.StatusReady, proto.StatusExpired}}, "s04,s03"},
		{"category", SessionFilter{All: true, Category: "hardware"}, "s05,s01"},
		{"priority", SessionFilter{All: true, Priority: "critical"}, "s03"},
		{"min rating", SessionFilter{All: true, MinRating: 4}, "s05,s01"},
		{"since included, until not", SessionFilter{All: true, Since: t0.Add(2 * time.Minute), Until: t0.Add(4 * time.Minute)}, "s03,s02"},
		{"since only", SessionFilter{All: true, Since: t0.Add(4 * time.Minute)}, "s05,s04"},
		{"filters combine", SessionFilter{All: true, ChannelID: ch2, Category: "hardware", Statuses: []proto.Status{proto.StatusClosed}}, "s05"},
		{"visible: own and participant", SessionFilter{VisibleTo: ann}, "s02,s01"},
		{"visible: participant", SessionFilter{VisibleTo: bob}, "s04,s02"},
		{"visible: own", SessionFilter{VisibleTo: cy}, "s05,s04"},
		{"visible: own and channels", SessionFilter{VisibleTo: ann, Channels: []int64{ch2}}, "s05,s03,s02,s01"},
		{"visible: channels only", SessionFilter{Channels: []int64{ch1, ch2}}, "s05,s03,s02,s01"},
		{"visible: channel 0 is no queue", SessionFilter{Channels: []int64{0}}, ""},
		{"visible: nothing", SessionFilter{}, ""},
		{"visible: all ignores VisibleTo", SessionFilter{All: true, VisibleTo: ann}, "s05,s04,s03,s02,s01"},
		{"visible and filtered", SessionFilter{VisibleTo: bob, TechnicianID: ann}, "s02"},
		{"before", SessionFilter{All: true, Before: &Session{ID: "s03", CreatedAt: t0.Add(3 * time.Minute)}}, "s02,s01"},
		{"limit", SessionFilter{All: true, Limit: 2}, "s05,s04"},
	} {
		got, err := st.SearchSessions(ctx, c.f)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if ids := sessionIDs(got); ids != c.want {
			t.Errorf("%s: got %q, want %q", c.name, ids, c.want)
		}
	}
}

// Paging walks every session once, newest first, with sessions created at
// the same time ordered by ID.
func TestSearchSessionsPaging(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "r.db"))
	var want []string
	// Created out of order; four at a time share their creation time.
	for _, i := range []int{7, 3, 24, 0, 12, 18, 1, 9, 22, 5, 14, 2, 20, 11, 4, 16, 23, 8, 6, 13, 19, 10, 21, 15, 17} {
		id := fmt.Sprintf("p%02d", i)
		s := Session{ID: id, Kind: proto.KindCode, Status: proto.StatusClosed, CreatedAt: t0.Add(time.Duration(i/4) * time.Second)}
		if err := st.CreateSession(ctx, &s, StatusEvent{SessionID: id, At: t0, Status: proto.StatusClosed}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 24; i >= 0; i-- {
		want = append(want, fmt.Sprintf("p%02d", i))
	}
	// The second filter makes SQLite read another index, whose ties are
	// in insertion order.
	for _, f := range []SessionFilter{
		{All: true, Limit: 7},
		{All: true, Limit: 7, Statuses: []proto.Status{proto.StatusClosed}},
	} {
		var got []string
		var sizes []int
		for range 10 {
			page, err := st.SearchSessions(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, len(page))
			if len(page) == 0 {
				break
			}
			for _, s := range page {
				got = append(got, s.ID)
			}
			f.Before = &page[len(page)-1]
		}
		if !slices.Equal(sizes, []int{7, 7, 7, 4, 0}) {
			t.Fatalf("%+v: page sizes %v", f, sizes)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%+v: pages:\n got %v\nwant %v", f, got, want)
		}
	}
}

func TestSearchSessionsLimit(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "r.db"))
	for i := range 510 {
		id := fmt.Sprintf("s%03d", i)
		s := Session{ID: id, Kind: proto.KindCode, Status: proto.StatusClosed, CreatedAt: t0}
		if err := st.CreateSession(ctx, &s, StatusEvent{SessionID: id, At: t0, Status: proto.StatusClosed}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ limit, want int }{{0, 100}, {-1, 100}, {1, 1}, {500, 500}, {501, 500}, {10000, 500}} {
		got, err := st.SearchSessions(ctx, SessionFilter{All: true, Limit: c.limit})
		if err != nil || len(got) != c.want {
			t.Errorf("limit %d: %d sessions, %v; want %d", c.limit, len(got), err, c.want)
		}
	}
}

func TestClaimSession(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "r.db"))
	ann, bob := mkUser(t, st, "ann"), mkUser(t, st, "bob")
	s := newSession("s", "")
	if err := st.CreateSession(ctx, &s, StatusEvent{SessionID: "s", At: t0, Status: proto.StatusReady}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name       string
		id         string
		prev, user int64
		want       error
		owner      int64
	}{
		{"unknown session", "nope", 0, ann, ErrNotFound, 0},
		{"unknown user", "s", 0, 999, ErrNotFound, 0},
		{"unowned", "s", 0, ann, nil, ann},
		{"owned, no prev", "s", 0, bob, ErrExists, ann},
		{"owned, again by the owner without prev", "s", 0, ann, ErrExists, ann},
		{"transfer, wrong prev", "s", bob, bob, ErrExists, ann},
		{"transfer", "s", ann, bob, nil, bob},
	} {
		wantErr(t, c.name, st.ClaimSession(ctx, c.id, c.prev, c.user), c.want)
		if got, err := st.Session(ctx, "s"); err != nil || got.OwnerID != c.owner {
			t.Fatalf("%s: owner %d %v, want %d", c.name, got.OwnerID, err, c.owner)
		}
	}
}

// Twenty technicians pick one request up at once, through two handles on
// the store as two relays would: exactly one gets it.
func TestClaimSessionRace(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	st, other := open(t, path), open(t, path)
	users := make([]int64, 20)
	for i := range users {
		users[i] = mkUser(t, st, fmt.Sprint("tech", i))
	}
	s := newSession("q", "")
	if err := st.CreateSession(ctx, &s, StatusEvent{SessionID: "q", At: t0, Status: proto.StatusReady}); err != nil {
		t.Fatal(err)
	}
	errs := make([]error, len(users))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, u := range users {
		h := st
		if i%2 == 1 {
			h = other
		}
		wg.Go(func() {
			<-start
			errs[i] = h.ClaimSession(ctx, "q", 0, u)
		})
	}
	close(start)
	wg.Wait()
	winner := int64(0)
	for i, err := range errs {
		switch {
		case err == nil:
			if winner != 0 {
				t.Fatalf("two winners: %d and %d", winner, users[i])
			}
			winner = users[i]
		case !errors.Is(err, ErrExists):
			t.Fatalf("tech%d: %v", i, err)
		}
	}
	if winner == 0 {
		t.Fatal("nobody got the session")
	}
	if got, err := st.Session(ctx, "q"); err != nil || got.OwnerID != winner {
		t.Fatalf("owner %d %v, want %d", got.OwnerID, err, winner)
	}
}

// Changes of the desk's configuration through one handle move the counter
// another handle reads; using an API token, notes and sessions do not.
func TestDeskChangesMoveAccountChanges(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	st, cli := open(t, path), open(t, path)
	ann := mkUser(t, cli, "ann")
	s := newSession("s", "")
	if err := cli.CreateSession(ctx, &s, StatusEvent{SessionID: "s", At: t0, Status: proto.StatusReady}); err != nil {
		t.Fatal(err)
	}
	g := Group{Name: "g"}
	c := Channel{Name: "c"}
	tok := APIToken{Name: "ci", Role: RoleAdmin, Hash: []byte("h")}
	steps := []struct {
		name  string
		do    func() error
		moves bool
	}{
		{"create user", func() error { mkUser(t, cli, "bob"); return nil }, true},
		{"create group", func() error { return cli.CreateGroup(ctx, &g) }, true},
		{"update group", func() error { g.Members = []int64{ann}; return cli.UpdateGroup(ctx, &g) }, true},
		{"create channel", func() error { return cli.CreateChannel(ctx, &c) }, true},
		{"update channel", func() error { c.Groups = []int64{g.ID}; return cli.UpdateChannel(ctx, &c) }, true},
		{"delete group", func() error { return cli.DeleteGroup(ctx, g.ID) }, true},
		{"delete channel", func() error { return cli.DeleteChannel(ctx, c.ID) }, true},
		{"set profile", func() error { return cli.SetProfile(ctx, ann, Profile{Availability: proto.Away}) }, true},
		{"set overrides", func() error { return cli.SetOverrides(ctx, ann, []Override{{Permission: proto.PermChat}}) }, true},
		{"set setting", func() error { return cli.SetSetting(ctx, SettingOrganisation, "Acme") }, true},
		{"create api token", func() error { return cli.CreateAPIToken(ctx, &tok) }, true},
		{"touch api token", func() error { return cli.TouchAPIToken(ctx, tok.ID, t0) }, false},
		{"revoke api token", func() error { return cli.RevokeAPIToken(ctx, "ci") }, true},
		{"add note", func() error { return cli.AddNote(ctx, &Note{SessionID: "s", At: t0, Author: "ann", Text: "x"}) }, false},
		{"claim session", func() error { return cli.ClaimSession(ctx, "s", 0, ann) }, false},
		{"failed update", func() error {
			if err := cli.UpdateGroup(ctx, &Group{ID: 999, Name: "x"}); !errors.Is(err, ErrNotFound) {
				return fmt.Errorf("got %v", err)
			}
			return nil
		}, false},
	}
	for _, step := range steps {
		before, err := st.AccountChanges(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		after, err := st.AccountChanges(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if moved := after > before; moved != step.moves {
			t.Errorf("%s: counter %d -> %d, want moved %v", step.name, before, after, step.moves)
		}
	}
}
