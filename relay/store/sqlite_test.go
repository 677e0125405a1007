package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

func open(t testing.TB, path string) *SQLite {
	t.Helper()
	st, err := OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

var t0 = time.Date(2026, 11, 22, 9, 0, 0, 123, time.UTC)

func TestUsersAndTokens(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "r.db"))
	u := User{Name: "ann", Role: RoleTechnician, PasswordHash: "h", CreatedAt: t0}
	if err := st.CreateUser(ctx, &u); err != nil || u.ID == 0 {
		t.Fatalf("create: %v %d", err, u.ID)
	}
	if err := st.CreateUser(ctx, &User{Name: "ann", Role: RoleAdmin, PasswordHash: "h"}); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate: %v", err)
	}
	got, err := st.UserByName(ctx, "ann")
	if err != nil || got.ID != u.ID || got.Role != RoleTechnician || !got.CreatedAt.Equal(t0) {
		t.Fatalf("by name: %+v %v", got, err)
	}
	if _, err := st.UserByID(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
	if n, _ := st.CountUsers(ctx); n != 1 {
		t.Fatalf("count %d", n)
	}
	h := []byte("token-hash")
	if err := st.CreateToken(ctx, h, u.ID, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, err := st.TokenUser(ctx, h, t0); err != nil || got.Name != "ann" {
		t.Fatalf("token: %+v %v", got, err)
	}
	if _, err := st.TokenUser(ctx, h, t0.Add(time.Hour)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("expired token: %v", err)
	}
	st.DeleteToken(ctx, h)
	if _, err := st.TokenUser(ctx, h, t0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted token: %v", err)
	}
}

func newSession(id, code string) Session {
	return Session{ID: id, Kind: proto.KindCode, Status: proto.StatusReady, Code: code, CodeExpiresAt: t0.Add(10 * time.Minute),
		AgentKeyHash: []byte("key-" + id), CreatedAt: t0, ReadyAt: t0,
		Device: &proto.DeviceInfo{OS: "linux", Hostname: "pc-" + id, LocalIPs: []string{"10.0.0.1"}, Displays: []proto.Display{{Width: 1920, Height: 1080}}}}
}

func TestSessionsPersistAcrossReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	st := open(t, path)
	u := User{Name: "tom", Role: RoleTechnician, PasswordHash: "h"}
	st.CreateUser(ctx, &u)

	a := newSession("a", "123456789")
	if err := st.CreateSession(ctx, &a, StatusEvent{SessionID: "a", At: t0, Status: proto.StatusReady, Actor: "end user"}); err != nil {
		t.Fatal(err)
	}
	// A live code is unique.
	b := newSession("b", "123456789")
	if err := st.CreateSession(ctx, &b, StatusEvent{SessionID: "b", At: t0, Status: proto.StatusReady}); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate code: %v", err)
	}
	// Clearing the code frees it.
	a.Code, a.Status, a.OwnerID, a.StartedAt = "", proto.StatusActive, u.ID, t0.Add(time.Minute)
	if err := st.UpdateSession(ctx, &a, &StatusEvent{SessionID: "a", At: t0.Add(time.Minute), Status: proto.StatusActive, Actor: "tom"}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateSession(ctx, &b, StatusEvent{SessionID: "b", At: t0, Status: proto.StatusReady}); err != nil {
		t.Fatalf("code reuse after clearing: %v", err)
	}
	link := Session{ID: "c", Kind: proto.KindLink, Status: proto.StatusWaiting, OwnerID: u.ID, CustomerName: "Ann", LinkTokenHash: []byte("link"), LinkExpiresAt: t0.Add(24 * time.Hour), CreatedAt: t0.Add(time.Second)}
	if err := st.CreateSession(ctx, &link, StatusEvent{SessionID: "c", At: t0, Status: proto.StatusWaiting}); err != nil {
		t.Fatal(err)
	}
	closed := newSession("d", "")
	closed.Status = proto.StatusClosed
	st.CreateSession(ctx, &closed, StatusEvent{SessionID: "d", At: t0, Status: proto.StatusClosed})
	if err := st.Attach(ctx, "a", u.ID, t0); err != nil {
		t.Fatal(err)
	}
	st.Attach(ctx, "a", u.ID, t0) // idempotent
	st.Audit(ctx, &AuditEvent{At: t0, Kind: "login.ok", Actor: "tom", Source: "127.0.0.1", Detail: map[string]string{"k": "v"}})
	if err := st.UpdateSession(ctx, &Session{ID: "nope"}, nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("update unknown: %v", err)
	}
	st.Close()

	st = open(t, path)
	live, err := st.LiveSessions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range live {
		ids = append(ids, s.ID)
	}
	if strings.Join(ids, ",") != "a,b,c" {
		t.Fatalf("live sessions %v", ids)
	}
	got, err := st.Session(ctx, "a")
	if err != nil || got.Status != proto.StatusActive || got.OwnerID != u.ID || got.Code != "" || !got.StartedAt.Equal(t0.Add(time.Minute)) ||
		got.Device == nil || got.Device.Hostname != "pc-a" || got.Device.Displays[0].Width != 1920 || !got.EndedAt.IsZero() {
		t.Fatalf("session a: %+v %v", got, err)
	}
	if s, err := st.SessionByCode(ctx, "123456789"); err != nil || s.ID != "b" {
		t.Fatalf("by code: %v %v", s.ID, err)
	}
	if s, err := st.SessionByLinkHash(ctx, []byte("link")); err != nil || s.CustomerName != "Ann" || s.Device != nil {
		t.Fatalf("by link: %+v %v", s, err)
	}
	if s, err := st.SessionByAgentKey(ctx, []byte("key-a")); err != nil || s.ID != "a" {
		t.Fatalf("by agent key: %v %v", s.ID, err)
	}
	if _, err := st.SessionByCode(ctx, "000000000"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown code: %v", err)
	}
	evs, _ := st.SessionEvents(ctx, "a")
	if len(evs) != 2 || evs[0].Status != proto.StatusReady || evs[1].Actor != "tom" || !evs[1].At.Equal(t0.Add(time.Minute)) {
		t.Fatalf("events %+v", evs)
	}
	if ids, _ := st.Attached(ctx, "a"); len(ids) != 1 || ids[0] != u.ID {
		t.Fatalf("attached %v", ids)
	}
	st.Detach(ctx, "a", 0, t0)
	if ids, _ := st.Attached(ctx, "a"); len(ids) != 0 {
		t.Fatalf("still attached %v", ids)
	}
	au, _ := st.AuditEvents(ctx, 0, 10)
	if len(au) != 1 || au[0].Detail["k"] != "v" || au[0].Source != "127.0.0.1" {
		t.Fatalf("audit %+v", au)
	}
}

func TestAuditPaging(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "r.db"))
	for i := range 25 {
		st.Audit(ctx, &AuditEvent{At: t0, Kind: fmt.Sprint("k", i)})
	}
	page1, _ := st.AuditEvents(ctx, 0, 10)
	page3, _ := st.AuditEvents(ctx, page1[9].ID+10, 10)
	if len(page1) != 10 || page1[0].Kind != "k0" || len(page3) != 5 || page3[4].Kind != "k24" {
		t.Fatalf("pages %d %d", len(page1), len(page3))
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	st := open(t, path)
	st.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	db.Exec(`INSERT INTO schema_migrations(version, applied_at) VALUES (99, 0)`)
	db.Close()
	_, err = OpenSQLite(ctx, path)
	if err == nil || !strings.Contains(err.Error(), "schema version 99 is newer") {
		t.Fatalf("got %v", err)
	}
}

func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "r.db"))
	var wg sync.WaitGroup
	errs := make(chan error, 16*50)
	for g := range 16 {
		wg.Go(func() {
			for i := range 50 {
				s := newSession(fmt.Sprintf("s%d-%d", g, i), fmt.Sprintf("%03d%06d", g, i))
				if err := st.CreateSession(ctx, &s, StatusEvent{SessionID: s.ID, At: t0, Status: proto.StatusReady}); err != nil {
					errs <- err
				}
				if _, err := st.Session(ctx, s.ID); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	live, _ := st.LiveSessions(ctx)
	if len(live) != 800 {
		t.Fatalf("%d sessions", len(live))
	}
}

func BenchmarkCreateSession(b *testing.B) {
	ctx := context.Background()
	st := open(b, filepath.Join(b.TempDir(), "r.db"))
	var n sync.Mutex
	i := 0
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n.Lock()
			i++
			id := i
			n.Unlock()
			s := newSession(fmt.Sprint("s", id), fmt.Sprintf("%09d", id))
			if err := st.CreateSession(ctx, &s, StatusEvent{SessionID: s.ID, At: t0, Status: proto.StatusReady}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestChatTranscriptAndRating(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "r.db"))
	u := User{Name: "tina", Role: RoleTechnician, PasswordHash: "h"}
	st.CreateUser(ctx, &u)
	s := newSession("a", "")
	if err := st.CreateSession(ctx, &s, StatusEvent{SessionID: "a", At: t0, Status: proto.StatusReady}); err != nil {
		t.Fatal(err)
	}
	msgs := []ChatMessage{
		{SessionID: "a", At: t0.Add(time.Second), From: "Ann", Text: "Hallo, mein Drucker ✓"},
		{SessionID: "a", At: t0.Add(time.Second), FromUser: u.ID, From: "tina", Text: "Ich schaue es mir an."},
		{SessionID: "a", At: t0.Add(2 * time.Second), From: "Ann", Text: "Danke"},
	}
	for i := range msgs {
		if err := st.AddChat(ctx, &msgs[i]); err != nil || msgs[i].ID == 0 {
			t.Fatalf("add chat %d: %v (id %d)", i, err, msgs[i].ID)
		}
	}
	if err := st.AddChat(ctx, &ChatMessage{SessionID: "nope", At: t0, From: "x", Text: "x"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("chat of an unknown session: %v", err)
	}
	got, err := st.ChatMessages(ctx, "a")
	if err != nil || len(got) != 3 {
		t.Fatalf("chat %+v %v", got, err)
	}
	for i := range got {
		if got[i] != msgs[i] {
			t.Fatalf("message %d: %+v, want %+v", i, got[i], msgs[i])
		}
	}
	if got, _ := st.ChatMessages(ctx, "other"); len(got) != 0 {
		t.Fatalf("chat of another session: %+v", got)
	}

	if err := st.RateSession(ctx, "a", 4, "Schnell geholfen", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := st.RateSession(ctx, "a", 1, "again", t0.Add(time.Hour)); !errors.Is(err, ErrExists) {
		t.Fatalf("second rating: %v", err)
	}
	if err := st.RateSession(ctx, "nope", 5, "", t0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("rating an unknown session: %v", err)
	}
	// Later updates of the session keep the rating.
	s.Status = proto.StatusClosed
	if err := st.UpdateSession(ctx, &s, nil); err != nil {
		t.Fatal(err)
	}
	r, err := st.Session(ctx, "a")
	if err != nil || r.Rating != 4 || r.RatingComment != "Schnell geholfen" || !r.RatedAt.Equal(t0.Add(time.Hour)) || r.Status != proto.StatusClosed {
		t.Fatalf("rated session %+v %v", r, err)
	}
}

func TestParticipantsIncludeDetached(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "r.db"))
	a, b := User{Name: "a", Role: RoleTechnician, PasswordHash: "h"}, User{Name: "b", Role: RoleTechnician, PasswordHash: "h"}
	st.CreateUser(ctx, &a)
	st.CreateUser(ctx, &b)
	s := newSession("s", "")
	st.CreateSession(ctx, &s, StatusEvent{SessionID: "s", At: t0, Status: proto.StatusReady})
	st.Attach(ctx, "s", a.ID, t0)
	st.Attach(ctx, "s", b.ID, t0)
	st.Detach(ctx, "s", a.ID, t0.Add(time.Minute))
	st.Attach(ctx, "s", b.ID, t0) // idempotent
	if ids, _ := st.Attached(ctx, "s"); len(ids) != 1 || ids[0] != b.ID {
		t.Fatalf("attached %v", ids)
	}
	if ids, err := st.Participants(ctx, "s"); err != nil || len(ids) != 2 || ids[0] != a.ID || ids[1] != b.ID {
		t.Fatalf("participants %v %v", ids, err)
	}
}

// TestMigrationKeepsVersion1Data opens a database made by a relay that knew
// only the first migration: its sessions survive and gain the new columns.
func TestMigrationKeepsVersion1Data(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`,
		migrations[0],
		`INSERT INTO schema_migrations(version, applied_at) VALUES (1, 0)`,
		`INSERT INTO sessions(id, kind, status, created_at, ended_by) VALUES ('old', 'code', 'Closed', 1, 'tina')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	st := open(t, path)
	s, err := st.Session(ctx, "old")
	if err != nil || s.EndedBy != "tina" || s.Rating != 0 {
		t.Fatalf("old session %+v %v", s, err)
	}
	if err := st.RateSession(ctx, "old", 5, "", t0); err != nil {
		t.Fatal(err)
	}
	if err := st.AddChat(ctx, &ChatMessage{SessionID: "old", At: t0, From: "x", Text: "y"}); err != nil {
		t.Fatal(err)
	}
}

func TestThrottleStateAndRetiredCodesSurviveReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	st := open(t, path)
	e := ThrottleEntry{Fails: []time.Time{t0, t0.Add(time.Second)}, LockedUntil: t0.Add(time.Hour)}
	if err := st.SaveThrottle(ctx, "logins", "ip:192.0.2.1", e); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveThrottle(ctx, "logins", "user:ann", ThrottleEntry{Fails: []time.Time{t0}}); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveThrottle(ctx, "codes", "user:1", ThrottleEntry{Fails: []time.Time{t0}}); err != nil {
		t.Fatal(err)
	}
	// An update replaces the row; an empty entry deletes it.
	e.Fails = append(e.Fails, t0.Add(2*time.Second))
	if err := st.SaveThrottle(ctx, "logins", "ip:192.0.2.1", e); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveThrottle(ctx, "logins", "user:ann", ThrottleEntry{}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []RetiredCode{{Code: "111111111", At: t0}, {Code: "222222222", Expired: true, At: t0.Add(2 * time.Hour)}} {
		if err := st.RetireCode(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	st = open(t, path)
	got, err := st.ThrottleEntries(ctx, "logins")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("logins scope holds %d keys, want 1: %+v", len(got), got)
	}
	g := got["ip:192.0.2.1"]
	if len(g.Fails) != 3 || !g.Fails[2].Equal(t0.Add(2*time.Second)) || !g.LockedUntil.Equal(e.LockedUntil) {
		t.Fatalf("entry after reopen: %+v", g)
	}
	if codes, _ := st.ThrottleEntries(ctx, "codes"); len(codes["user:1"].Fails) != 1 {
		t.Fatalf("codes scope: %+v", codes)
	}
	rc, err := st.RetiredCodes(ctx, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(rc) != 1 || rc[0].Code != "222222222" || !rc[0].Expired || !rc[0].At.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("retired codes since an hour: %+v", rc)
	}
	if rc, _ := st.RetiredCodes(ctx, t0); len(rc) != 1 {
		t.Fatalf("a code older than since was not forgotten: %+v", rc)
	}
}

// Sessions no technician ever joined are purged after a while, with their
// history and chat; sessions a technician worked on, live sessions and the
// audit trail stay.
func TestPurgeUnattended(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "relay.db"))
	u := User{Name: "tina", Role: RoleTechnician, PasswordHash: "x", CreatedAt: t0}
	if err := st.CreateUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	mk := func(id string, status proto.Status, ended, started time.Time, attach bool) {
		t.Helper()
		s := Session{ID: id, Kind: proto.KindCode, Status: status, CreatedAt: t0, EndedAt: ended, StartedAt: started}
		if err := st.CreateSession(ctx, &s, StatusEvent{SessionID: id, At: t0, Status: status, Actor: "test"}); err != nil {
			t.Fatal(err)
		}
		if err := st.AddChat(ctx, &ChatMessage{SessionID: id, At: t0, From: "End user", Text: "hello?"}); err != nil {
			t.Fatal(err)
		}
		if attach {
			if err := st.Attach(ctx, id, u.ID, t0); err != nil {
				t.Fatal(err)
			}
		}
	}
	old, recent := t0.Add(time.Hour), t0.Add(10*24*time.Hour)
	mk("anon-old", proto.StatusClosed, old, time.Time{}, false)
	mk("link-expired", proto.StatusExpired, old, time.Time{}, false)
	mk("anon-recent", proto.StatusClosed, recent, time.Time{}, false)
	mk("worked-on", proto.StatusClosed, old, t0, true)
	mk("attached-not-started", proto.StatusClosed, old, time.Time{}, true)
	mk("live", proto.StatusReady, time.Time{}, time.Time{}, false)
	if err := st.Audit(ctx, &AuditEvent{At: t0, Kind: "session.ended", SessionID: "anon-old"}); err != nil {
		t.Fatal(err)
	}
	before := t0.Add(7 * 24 * time.Hour)
	n, err := st.PurgeUnattended(ctx, before, 1)
	if err != nil || n != 1 {
		t.Fatalf("first batch of 1: %d, %v", n, err)
	}
	if n, err = st.PurgeUnattended(ctx, before, 100); err != nil || n != 1 {
		t.Fatalf("second batch: %d, %v; want the one left", n, err)
	}
	for id, want := range map[string]bool{"anon-old": false, "link-expired": false, "anon-recent": true, "worked-on": true, "attached-not-started": true, "live": true} {
		_, err := st.Session(ctx, id)
		if kept := err == nil; kept != want {
			t.Errorf("%s kept %v, want %v (%v)", id, kept, want, err)
		}
		chat, _ := st.ChatMessages(ctx, id)
		if kept := len(chat) > 0; kept != want {
			t.Errorf("%s chat kept %v, want %v", id, kept, want)
		}
	}
	if ev, _ := st.AuditEvents(ctx, 0, 10); len(ev) != 1 {
		t.Errorf("audit events %d, want the one kept", len(ev))
	}
}
