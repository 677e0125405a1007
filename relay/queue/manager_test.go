package queue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/store"
	"github.com/relaydesk/relaydesk/relay/throttle"
)

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// fakeConn records what the manager sends and answers consent requests.
type fakeConn struct {
	mu     sync.Mutex
	sent   []proto.Envelope
	allow  *bool // nil: never answer
	record *bool // the answer to RecordConsent (nil: never answer)
	grant  proto.Grant
	closed error
}

func (f *fakeConn) Send(t proto.Type, body any) error {
	b, err := proto.Marshal(body)
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.sent = append(f.sent, proto.Envelope{Type: t, Body: b})
	f.mu.Unlock()
	return nil
}

func (f *fakeConn) Request(ctx context.Context, t proto.Type, body any) (proto.Envelope, error) {
	f.Send(t, body)
	if t == proto.TypeRecordConsent { // record_test.go
		if f.record == nil {
			<-ctx.Done()
			return proto.Envelope{}, ctx.Err()
		}
		b, _ := proto.Marshal(&proto.RecordAnswer{Allow: *f.record})
		return proto.Envelope{Type: proto.TypeRecordAnswer, Body: b}, nil
	}
	if f.allow == nil {
		<-ctx.Done()
		return proto.Envelope{}, ctx.Err()
	}
	b, _ := proto.Marshal(&proto.ConsentAnswer{Allow: *f.allow, Granted: f.grant})
	return proto.Envelope{Type: proto.TypeConsentAnswer, Body: b}, nil
}

func (f *fakeConn) CloseWith(err error) { f.mu.Lock(); f.closed = err; f.mu.Unlock() }

// last returns the last message of type t, decoded into v; false if none.
func (f *fakeConn) last(t proto.Type, v any) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.sent) - 1; i >= 0; i-- {
		if f.sent[i].Type == t {
			return proto.Unmarshal(f.sent[i].Body, v) == nil
		}
	}
	return false
}

type fixture struct {
	t     *testing.T
	ctx   context.Context
	st    store.Store
	clk   *clock
	cfg   Config
	m     *Manager
	tech  *Tech
	admin *Tech
}

func yes() *bool { b := true; return &b }
func no() *bool  { b := false; return &b }

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "relay.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{t: t, ctx: ctx, st: st, clk: &clock{now: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)}}
	f.cfg = Config{
		Now: f.clk.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), ConsentTimeout: time.Second,
		CodeThrottle:       throttle.Config{Free: 3, Max: 5, Window: 15 * time.Minute, BaseDelay: time.Second, MaxDelay: 30 * time.Second, Lockout: 15 * time.Minute},
		CodeSourceThrottle: throttle.Config{Free: 3, Max: 5, Window: 15 * time.Minute, BaseDelay: time.Second, MaxDelay: 30 * time.Second, Lockout: 15 * time.Minute},
	}
	f.tech = f.user("aaron", store.RoleTechnician)
	f.admin = f.user("boss", store.RoleAdmin)
	f.restart()
	return f
}

func (f *fixture) user(name string, role store.Role) *Tech {
	u := store.User{Name: name, Role: role, PasswordHash: "x", CreatedAt: f.clk.Now()}
	if err := f.st.CreateUser(f.ctx, &u); err != nil {
		f.t.Fatal(err)
	}
	return &Tech{User: u, IP: "192.0.2.1", Conn: &fakeConn{}}
}

// restart builds a new Manager on the same store, as a relay restart does.
func (f *fixture) restart() {
	m, err := New(f.ctx, f.st, f.cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	f.m = m
}

func (f *fixture) agent(allow *bool) *Agent {
	return &Agent{IP: "198.51.100.7", Conn: &fakeConn{allow: allow}}
}

func (f *fixture) status(id string) proto.Status {
	s, err := f.st.Session(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return s.Status
}

func noStage(string) {}

func TestCodeSessionConsentAndEnd(t *testing.T) {
	f := newFixture(t)
	a := f.agent(yes())
	reg, err := f.m.RegisterAgent(f.ctx, a, proto.AgentRegister{Device: proto.DeviceInfo{Hostname: "pc1", PublicIP: "spoofed"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(reg.Code) != 9 || reg.ResumeKey == "" || reg.Status != "Ready" {
		t.Fatalf("registration %+v", reg)
	}
	s, _ := f.st.Session(f.ctx, reg.SessionID)
	if s.Device.PublicIP != "198.51.100.7" {
		t.Fatalf("public IP %q, want the one the relay saw", s.Device.PublicIP)
	}
	var stages []string
	c, err := f.m.Connect(f.ctx, f.tech, proto.Connect{Code: reg.Code[:3] + " " + reg.Code[3:]}, func(s string) { stages = append(stages, s) })
	if err != nil {
		t.Fatal(err)
	}
	if c.Session.Status != "Active" || c.Session.Owner != "aaron" || len(stages) == 0 {
		t.Fatalf("connected %+v stages %v", c, stages)
	}
	var req proto.ConsentRequest
	if !a.Conn.(*fakeConn).last(proto.TypeConsentRequest, &req) || req.Technician != "aaron" {
		t.Fatalf("consent request %+v", req)
	}
	var joined proto.PeerJoined
	if !a.Conn.(*fakeConn).last(proto.TypePeerJoined, &joined) || joined.Peer.Name != "aaron" {
		t.Fatal("agent was not told who joined")
	}
	// The code is single use.
	if _, err := f.m.Connect(f.ctx, f.admin, proto.Connect{Code: reg.Code}, noStage); proto.CodeOf(err) != proto.ErrCodeExpired {
		t.Fatalf("reused code: %v", err)
	}
	f.clk.Add(90 * time.Second)
	if err := f.m.TechEnd(f.ctx, f.tech, proto.End{SessionID: reg.SessionID}); err != nil {
		t.Fatal(err)
	}
	var ended proto.SessionEnded
	if !a.Conn.(*fakeConn).last(proto.TypeSessionEnded, &ended) || ended.By != "aaron" || ended.Duration != 90*time.Second {
		t.Fatalf("agent told %+v", ended)
	}
	s, _ = f.st.Session(f.ctx, reg.SessionID)
	if s.Status != proto.StatusClosed || s.EndedBy != "aaron" || s.Code != "" {
		t.Fatalf("stored %+v", s)
	}
	evs, _ := f.st.SessionEvents(f.ctx, reg.SessionID)
	var got []proto.Status
	for _, e := range evs {
		got = append(got, e.Status)
	}
	if len(got) != 3 || got[0] != proto.StatusReady || got[1] != proto.StatusActive || got[2] != proto.StatusClosed {
		t.Fatalf("history %v", got)
	}
}

func TestConsentNamesThePeerAndKeepsTheGrant(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		answer, want proto.Grant
		refused      bool
	}{
		{answer: nil, want: proto.AllPermissions}, // allowed without a list: what was asked
		{answer: proto.Grant{proto.PermView}, want: proto.Grant{proto.PermView}},
		{answer: proto.Grant{proto.PermClipboard, proto.PermView, "files"}, want: proto.Grant{proto.PermView, proto.PermClipboard}},
		{answer: proto.Grant{proto.PermControl}, refused: true}, // nothing without the screen
	} {
		a := f.agent(yes())
		a.Conn.(*fakeConn).grant = tc.answer
		reg, err := f.m.RegisterAgent(f.ctx, a, proto.AgentRegister{})
		if err != nil {
			t.Fatal(err)
		}
		c, err := f.m.Connect(f.ctx, f.tech, proto.Connect{Code: reg.Code}, noStage)
		var req proto.ConsentRequest
		if !a.Conn.(*fakeConn).last(proto.TypeConsentRequest, &req) || req.PeerID != f.tech.User.ID || len(req.Permissions) != 3 {
			t.Fatalf("consent request %+v does not name peer %d and the three permissions", req, f.tech.User.ID)
		}
		if tc.refused {
			if proto.CodeOf(err) != proto.ErrConsentDenied {
				t.Fatalf("grant %v: %v, want a refusal", tc.answer, err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if c.Granted.String() != tc.want.String() {
			t.Fatalf("answer %v: connected with %v, want %v", tc.answer, c.Granted, tc.want)
		}
		// A reconnecting technician is told the same grant.
		again, err := f.m.Connect(f.ctx, f.tech, proto.Connect{SessionID: reg.SessionID}, noStage)
		if err != nil || !again.Resumed || again.Granted.String() != tc.want.String() {
			t.Fatalf("reattach: %+v, %v", again, err)
		}
		f.m.TechEnd(f.ctx, f.tech, proto.End{SessionID: reg.SessionID})
	}
}

func TestConsentDeniedAndTimeout(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		allow *bool
		code  proto.ErrorCode
	}{{no(), proto.ErrConsentDenied}, {nil, proto.ErrConsentTimeout}} {
		a := f.agent(tc.allow)
		reg, err := f.m.RegisterAgent(f.ctx, a, proto.AgentRegister{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.m.Connect(f.ctx, f.tech, proto.Connect{Code: reg.Code}, noStage)
		if proto.CodeOf(err) != tc.code {
			t.Fatalf("got %v, want code %d", err, tc.code)
		}
		if f.status(reg.SessionID) != proto.StatusReady {
			t.Fatal("a refused connect changed the session")
		}
		evs, _ := f.st.SessionEvents(f.ctx, reg.SessionID)
		if last := evs[len(evs)-1]; last.Actor != "aaron" || last.Detail == "" {
			t.Fatalf("refusal not recorded: %+v", last)
		}
		var gone proto.ConsentGone
		if withdrawn := a.Conn.(*fakeConn).last(proto.TypeConsentGone, &gone); withdrawn != (tc.allow == nil) {
			t.Fatalf("consent question withdrawn: %v (answer %v)", withdrawn, tc.allow)
		}
	}
}

func TestLinkLifecycleAndExpiry(t *testing.T) {
	f := newFixture(t)
	f.cfg.LinkBase = "https://relay.test:4433"
	f.restart()
	lc, err := f.m.CreateLink(f.ctx, f.tech, proto.LinkCreate{CustomerName: "Ann", Expires: 30 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	tok := lc.URL[len("https://relay.test:4433/s/"):]
	if len(tok) < 22 {
		t.Fatalf("token %q is too short for 128 bits", tok)
	}
	if f.status(lc.SessionID) != proto.StatusWaiting {
		t.Fatal("a new link must be Waiting")
	}
	snap := f.m.Subscribe(f.tech, false)
	if len(snap.Sessions) != 1 || snap.Sessions[0].Status != "Waiting" {
		t.Fatalf("queue %+v", snap)
	}
	a := f.agent(yes())
	reg, err := f.m.RegisterAgent(f.ctx, a, proto.AgentRegister{LinkToken: tok, Device: proto.DeviceInfo{Hostname: "ann-pc"}})
	if err != nil {
		t.Fatal(err)
	}
	if reg.Technician != "aaron" || reg.Code != "" {
		t.Fatalf("registration %+v", reg)
	}
	var up proto.QueueUpdate
	if !f.tech.Conn.(*fakeConn).last(proto.TypeQueueUpdate, &up) || up.Session.Status != "Ready" || up.Session.Device.Hostname != "ann-pc" {
		t.Fatalf("technician not told: %+v", up)
	}
	// A second device with the same link is refused.
	if _, err := f.m.RegisterAgent(f.ctx, f.agent(yes()), proto.AgentRegister{LinkToken: tok}); proto.CodeOf(err) != proto.ErrLinkUsed {
		t.Fatalf("second device: %v", err)
	}
	// Another technician cannot see or connect it; the owner can.
	other := f.user("carol", store.RoleTechnician)
	if _, err := f.m.Connect(f.ctx, other, proto.Connect{SessionID: lc.SessionID}, noStage); proto.CodeOf(err) != proto.ErrSessionUnknown {
		t.Fatalf("foreign technician: %v", err)
	}
	if _, err := f.m.Connect(f.ctx, f.tech, proto.Connect{SessionID: lc.SessionID}, noStage); err != nil {
		t.Fatal(err)
	}
	if err := f.m.AgentEnd(f.ctx, a, ""); err != nil {
		t.Fatal(err)
	}
	var ended proto.SessionEnded
	if !f.tech.Conn.(*fakeConn).last(proto.TypeSessionEnded, &ended) || ended.By != "Ann (end user)" {
		t.Fatalf("technician told %+v", ended)
	}

	// An unused link expires.
	lc2, _ := f.m.CreateLink(f.ctx, f.tech, proto.LinkCreate{Expires: 10 * time.Minute})
	f.clk.Add(10 * time.Minute)
	f.m.Sweep(f.ctx)
	if f.status(lc2.SessionID) != proto.StatusExpired {
		t.Fatal("link did not expire")
	}
	tok2 := lc2.URL[len("https://relay.test:4433/s/"):]
	if _, err := f.m.RegisterAgent(f.ctx, f.agent(yes()), proto.AgentRegister{LinkToken: tok2}); proto.CodeOf(err) != proto.ErrLinkExpired {
		t.Fatalf("expired link: %v", err)
	}
	if _, err := f.m.RegisterAgent(f.ctx, f.agent(yes()), proto.AgentRegister{LinkToken: "nope"}); proto.CodeOf(err) != proto.ErrLinkUnknown {
		t.Fatalf("unknown link: %v", err)
	}
	if _, err := f.m.CreateLink(f.ctx, f.tech, proto.LinkCreate{Expires: time.Second}); proto.CodeOf(err) != proto.ErrBadRequest {
		t.Fatalf("too short a link: %v", err)
	}
}

func TestCodeExpiresAndIsRenewed(t *testing.T) {
	f := newFixture(t)
	a := f.agent(yes())
	reg, _ := f.m.RegisterAgent(f.ctx, a, proto.AgentRegister{})
	f.clk.Add(10 * time.Minute)
	f.m.Sweep(f.ctx)
	if _, err := f.m.Connect(f.ctx, f.tech, proto.Connect{Code: reg.Code}, noStage); proto.CodeOf(err) != proto.ErrCodeExpired {
		t.Fatalf("expired code: %v", err)
	}
	var renewed proto.AgentRegistered
	if !a.Conn.(*fakeConn).last(proto.TypeCodeRenewed, &renewed) || renewed.Code == reg.Code || len(renewed.Code) != 9 {
		t.Fatalf("agent not given a new code: %+v", renewed)
	}
	if _, err := f.m.Connect(f.ctx, f.tech, proto.Connect{Code: renewed.Code}, noStage); err != nil {
		t.Fatalf("new code: %v", err)
	}
}

func TestWrongCodesSlowDownThenLockOut(t *testing.T) {
	f := newFixture(t)
	wrong := func() error {
		_, err := f.m.Connect(f.ctx, f.tech, proto.Connect{Code: "000000001"}, noStage)
		return err
	}
	// Three failures are free, the fourth is answered too, and then the next
	// attempt must wait.
	for i := 0; i < 4; i++ {
		if err := wrong(); proto.CodeOf(err) != proto.ErrWrongCode {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	err := wrong()
	var fl *proto.Failure
	if !errors.As(err, &fl) || fl.Code != proto.ErrThrottled || fl.RetryAfter != time.Second {
		t.Fatalf("fifth attempt: %v", err)
	}
	// Even the right code is refused while throttled.
	reg, _ := f.m.RegisterAgent(f.ctx, f.agent(yes()), proto.AgentRegister{})
	if _, err := f.m.Connect(f.ctx, f.tech, proto.Connect{Code: reg.Code}, noStage); proto.CodeOf(err) != proto.ErrThrottled {
		t.Fatalf("right code while throttled: %v", err)
	}
	f.clk.Add(time.Second)
	wrong() // fifth failure (Max): locked out
	f.clk.Add(time.Minute)
	if err := wrong(); !errors.As(err, &fl) || fl.Code != proto.ErrThrottled || fl.RetryAfter < 10*time.Minute {
		t.Fatalf("after lockout: %v", err)
	}
	// Another technician from another address is not affected.
	other := f.user("dora", store.RoleTechnician)
	other.IP = "192.0.2.99"
	if _, err := f.m.Connect(f.ctx, other, proto.Connect{Code: "000000002"}, noStage); proto.CodeOf(err) != proto.ErrWrongCode {
		t.Fatalf("other technician: %v", err)
	}
	evs, _ := f.st.AuditEvents(f.ctx, 0, 100)
	kinds := map[string]int{}
	for _, e := range evs {
		kinds[e.Kind]++
	}
	// The lockout transitions are audited (account and source), not every refusal.
	if kinds["code.wrong"] != 6 || kinds["code.locked"] != 2 || kinds["code.throttled"] != 0 {
		t.Fatalf("audit %v", kinds)
	}
}

// H1: entering a live code of one's own (here the end user never agrees)
// does not reset the count, so wrong guesses in between still lock out.
func TestAlternatingOwnLiveCodeStillLocksOut(t *testing.T) {
	f := newFixture(t)
	own, _ := f.m.RegisterAgent(f.ctx, f.agent(no()), proto.AgentRegister{})
	wrongs := 0
	for i := range 20 {
		f.clk.Add(time.Minute) // past every delay: only the count matters
		_, err := f.m.Connect(f.ctx, f.tech, proto.Connect{Code: fmt.Sprintf("00000%04d", i)}, noStage)
		if proto.CodeOf(err) == proto.ErrThrottled {
			break
		}
		if proto.CodeOf(err) != proto.ErrWrongCode {
			t.Fatalf("guess %d: %v", i, err)
		}
		wrongs++
		f.clk.Add(time.Minute)
		_, err = f.m.Connect(f.ctx, f.tech, proto.Connect{Code: own.Code}, noStage)
		if proto.CodeOf(err) == proto.ErrThrottled {
			break
		}
		if proto.CodeOf(err) != proto.ErrConsentDenied {
			t.Fatalf("own code %d: %v", i, err)
		}
	}
	if wrongs != f.cfg.CodeThrottle.Max {
		t.Fatalf("%d wrong codes answered before the lockout, want %d", wrongs, f.cfg.CodeThrottle.Max)
	}
	if _, err := f.m.Connect(f.ctx, f.tech, proto.Connect{Code: own.Code}, noStage); proto.CodeOf(err) != proto.ErrThrottled {
		t.Fatalf("own code while locked: %v", err)
	}
}

// H1: a consented success forgives the technician's own count only; the
// source address keeps its count, so a colleague behind it is locked out
// too, and so is the guesser, whatever its successes.
func TestConsentedSuccessNeverResetsTheSource(t *testing.T) {
	f := newFixture(t)
	for i := range f.cfg.CodeThrottle.Max - 1 {
		f.clk.Add(time.Minute)
		if _, err := f.m.Connect(f.ctx, f.tech, proto.Connect{Code: fmt.Sprintf("00000%04d", i)}, noStage); proto.CodeOf(err) != proto.ErrWrongCode {
			t.Fatalf("guess %d: %v", i, err)
		}
		own, _ := f.m.RegisterAgent(f.ctx, f.agent(yes()), proto.AgentRegister{})
		f.clk.Add(time.Minute)
		if _, err := f.m.Connect(f.ctx, f.tech, proto.Connect{Code: own.Code}, noStage); err != nil {
			t.Fatalf("own code %d: %v", i, err)
		}
	}
	f.clk.Add(time.Minute)
	colleague := f.user("dora", store.RoleTechnician) // same address
	if _, err := f.m.Connect(f.ctx, colleague, proto.Connect{Code: "000000999"}, noStage); proto.CodeOf(err) != proto.ErrWrongCode {
		t.Fatalf("colleague's first guess: %v", err)
	}
	if _, err := f.m.Connect(f.ctx, f.tech, proto.Connect{Code: "000000998"}, noStage); proto.CodeOf(err) != proto.ErrThrottled {
		t.Fatalf("the source should be locked: %v", err)
	}
}

// H1: the daily ceiling per account holds across successes and addresses.
func TestDailyCeilingIgnoresSuccesses(t *testing.T) {
	f := newFixture(t)
	f.cfg.CodeDailyThrottle = throttle.Config{Free: 5, Max: 6, Window: 24 * time.Hour, BaseDelay: time.Second, MaxDelay: time.Second, Lockout: 24 * time.Hour}
	f.restart()
	for i := range 6 {
		f.tech.IP = fmt.Sprintf("192.0.2.%d", 10+i) // a fresh source each time
		if _, err := f.m.Connect(f.ctx, f.tech, proto.Connect{Code: fmt.Sprintf("00000%04d", i)}, noStage); proto.CodeOf(err) != proto.ErrWrongCode {
			t.Fatalf("guess %d: %v", i, err)
		}
		own, _ := f.m.RegisterAgent(f.ctx, f.agent(yes()), proto.AgentRegister{})
		_, err := f.m.Connect(f.ctx, f.tech, proto.Connect{Code: own.Code}, noStage)
		if i < 5 && err != nil {
			t.Fatalf("own code %d: %v", i, err)
		}
		if i == 5 && proto.CodeOf(err) != proto.ErrThrottled {
			t.Fatalf("after the daily ceiling: %v", err)
		}
	}
	f.clk.Add(23 * time.Hour)
	var fl *proto.Failure
	if _, err := f.m.Connect(f.ctx, f.tech, proto.Connect{Code: "000000999"}, noStage); !errors.As(err, &fl) || fl.RetryAfter < 30*time.Minute {
		t.Fatalf("a day's ceiling should still hold: %v", err)
	}
}

// L9: failures, lockouts and retired codes survive a restart, and a
// retired code costs a failure.
func TestCountersAndRetiredCodesSurviveRestart(t *testing.T) {
	f := newFixture(t)
	a := f.agent(yes())
	used, _ := f.m.RegisterAgent(f.ctx, a, proto.AgentRegister{})
	if _, err := f.m.Connect(f.ctx, f.tech, proto.Connect{Code: used.Code}, noStage); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := f.m.Connect(f.ctx, f.tech, proto.Connect{Code: fmt.Sprintf("00000%04d", i)}, noStage); proto.CodeOf(err) != proto.ErrWrongCode {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	f.restart()
	// The used code is remembered, and typing it is the 4th failure.
	if _, err := f.m.Connect(f.ctx, f.tech, proto.Connect{Code: used.Code}, noStage); proto.CodeOf(err) != proto.ErrCodeExpired {
		t.Fatalf("used code after a restart: %v", err)
	}
	if _, err := f.m.Connect(f.ctx, f.tech, proto.Connect{Code: "000000100"}, noStage); proto.CodeOf(err) != proto.ErrThrottled {
		t.Fatalf("4 failures before the restart should throttle: %v", err)
	}
	f.clk.Add(time.Second)
	if _, err := f.m.Connect(f.ctx, f.tech, proto.Connect{Code: "000000101"}, noStage); proto.CodeOf(err) != proto.ErrWrongCode {
		t.Fatalf("5th guess: %v", err)
	}
	f.restart()
	f.clk.Add(time.Minute)
	var fl *proto.Failure
	if _, err := f.m.Connect(f.ctx, f.tech, proto.Connect{Code: "000000102"}, noStage); !errors.As(err, &fl) || fl.Code != proto.ErrThrottled || fl.RetryAfter < 10*time.Minute {
		t.Fatalf("the lockout should survive a restart: %v", err)
	}
}

func TestRestartKeepsSessionsAndGraceCloses(t *testing.T) {
	f := newFixture(t)
	a := f.agent(yes())
	reg, _ := f.m.RegisterAgent(f.ctx, a, proto.AgentRegister{})
	if _, err := f.m.Connect(f.ctx, f.tech, proto.Connect{Code: reg.Code}, noStage); err != nil {
		t.Fatal(err)
	}
	waiting, _ := f.m.CreateLink(f.ctx, f.tech, proto.LinkCreate{})
	ready, _ := f.m.RegisterAgent(f.ctx, f.agent(yes()), proto.AgentRegister{})

	f.restart()
	byStatus, online := f.m.Stats()
	if byStatus[proto.StatusActive] != 1 || byStatus[proto.StatusWaiting] != 1 || byStatus[proto.StatusReady] != 1 || online != 0 {
		t.Fatalf("after restart: %v online %d", byStatus, online)
	}
	// The code of the Ready session still works after the restart once its agent is back.
	a2 := f.agent(yes())
	if _, err := f.m.RegisterAgent(f.ctx, a2, proto.AgentRegister{ResumeKey: ready.ResumeKey}); err != nil {
		t.Fatal(err)
	}
	// The technician resumes the Active session without a new consent.
	t2 := &Tech{User: f.tech.User, IP: f.tech.IP, Conn: &fakeConn{}}
	c, err := f.m.Connect(f.ctx, t2, proto.Connect{SessionID: reg.SessionID}, noStage)
	if err != nil || !c.Resumed {
		t.Fatalf("resume: %+v %v", c, err)
	}
	// The agent of the Active session comes back too.
	a3 := f.agent(nil)
	back, err := f.m.RegisterAgent(f.ctx, a3, proto.AgentRegister{ResumeKey: reg.ResumeKey})
	if err != nil || !back.Resumed || back.SessionID != reg.SessionID || len(back.Peers) != 1 {
		t.Fatalf("agent resume: %+v %v", back, err)
	}
	// Signalling flows both ways after the restart.
	if err := f.m.TechSignal(t2, proto.Signal{SessionID: reg.SessionID, Kind: "offer", Payload: []byte("sdp")}); err != nil {
		t.Fatal(err)
	}
	var sig proto.Signal
	if !a3.Conn.(*fakeConn).last(proto.TypeSignal, &sig) || sig.Peer != f.tech.User.ID || string(sig.Payload) != "sdp" {
		t.Fatalf("agent got %+v", sig)
	}
	if err := f.m.AgentSignal(a3, proto.Signal{SessionID: reg.SessionID, Peer: f.tech.User.ID, Kind: "answer"}); err != nil {
		t.Fatal(err)
	}
	if !t2.Conn.(*fakeConn).last(proto.TypeSignal, &sig) || sig.Kind != "answer" {
		t.Fatalf("technician got %+v", sig)
	}
	if f.status(waiting.SessionID) != proto.StatusWaiting {
		t.Fatal("the link was lost")
	}

	// The agent drops; within the grace period nothing happens, after it the session closes.
	f.m.AgentGone(a3)
	var ps proto.PeerState
	if !t2.Conn.(*fakeConn).last(proto.TypePeerState, &ps) || ps.Online {
		t.Fatal("technician not told the agent dropped")
	}
	f.clk.Add(time.Minute)
	f.m.Sweep(f.ctx)
	if f.status(reg.SessionID) != proto.StatusActive {
		t.Fatal("closed within the grace period")
	}
	f.clk.Add(61 * time.Second)
	f.m.Sweep(f.ctx)
	if f.status(reg.SessionID) != proto.StatusClosed {
		t.Fatal("not closed after the grace period")
	}
	var ended proto.SessionEnded
	if !t2.Conn.(*fakeConn).last(proto.TypeSessionEnded, &ended) || ended.By != "relay" {
		t.Fatalf("technician told %+v", ended)
	}
}

func TestTechnicianGraceReturnsSessionToReady(t *testing.T) {
	f := newFixture(t)
	a := f.agent(yes())
	reg, _ := f.m.RegisterAgent(f.ctx, a, proto.AgentRegister{})
	f.m.Connect(f.ctx, f.tech, proto.Connect{Code: reg.Code}, noStage)
	f.m.TechGone(f.tech)
	f.clk.Add(2*time.Minute + time.Second)
	f.m.Sweep(f.ctx)
	if f.status(reg.SessionID) != proto.StatusReady {
		t.Fatalf("status %s, want Ready", f.status(reg.SessionID))
	}
	var left proto.PeerLeft
	if !a.Conn.(*fakeConn).last(proto.TypePeerLeft, &left) || left.Peer.Name != "aaron" {
		t.Fatal("agent not told the technician left")
	}
	ids, _ := f.st.Attached(f.ctx, reg.SessionID)
	if len(ids) != 0 {
		t.Fatalf("still attached: %v", ids)
	}
}

// A technician whose sign-in was revoked (account disabled, role changed)
// leaves their sessions at once, not after the grace period: the app hears
// PeerLeft (and closes their media), TURN ends their allocations, and the
// session returns to Ready.
func TestRevokedTechnicianLeavesAtOnce(t *testing.T) {
	f := newFixture(t)
	var turnLeft []int64
	f.cfg.PeerLeft = func(_ string, peer int64) { turnLeft = append(turnLeft, peer) }
	f.restart()
	a := f.agent(yes())
	reg, _ := f.m.RegisterAgent(f.ctx, a, proto.AgentRegister{})
	if _, err := f.m.Connect(f.ctx, f.tech, proto.Connect{Code: reg.Code}, noStage); err != nil {
		t.Fatal(err)
	}
	f.m.TechRevoked(f.ctx, f.tech, "was signed out by the relay")
	var left proto.PeerLeft
	if !a.Conn.(*fakeConn).last(proto.TypePeerLeft, &left) || left.Peer.ID != f.tech.User.ID || left.Reason != "was signed out by the relay" {
		t.Fatalf("agent told %+v, want PeerLeft for aaron at once", left)
	}
	if f.status(reg.SessionID) != proto.StatusReady {
		t.Fatalf("status %s, want Ready", f.status(reg.SessionID))
	}
	if ids, _ := f.st.Attached(f.ctx, reg.SessionID); len(ids) != 0 {
		t.Fatalf("still attached: %v", ids)
	}
	if len(turnLeft) != 2 || turnLeft[0] != f.tech.User.ID || turnLeft[1] != AgentPeer {
		t.Fatalf("TURN told %v, want the technician then the app", turnLeft)
	}
}

// The hourly sweep purges sessions no technician joined once they are a
// week old; a session a technician worked on stays.
func TestSweepPurgesUnattendedSessions(t *testing.T) {
	f := newFixture(t)
	anon, _ := f.m.RegisterAgent(f.ctx, f.agent(no()), proto.AgentRegister{})
	worked := f.agent(yes())
	reg, _ := f.m.RegisterAgent(f.ctx, worked, proto.AgentRegister{})
	if _, err := f.m.Connect(f.ctx, f.tech, proto.Connect{Code: reg.Code}, noStage); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{anon.SessionID, reg.SessionID} {
		if err := f.m.TechEnd(f.ctx, f.admin, proto.End{SessionID: id}); err != nil {
			t.Fatal(err)
		}
	}
	f.clk.Add(6 * 24 * time.Hour)
	f.m.Sweep(f.ctx)
	if _, err := f.st.Session(f.ctx, anon.SessionID); err != nil {
		t.Fatalf("purged after 6 days: %v", err)
	}
	f.clk.Add(2 * 24 * time.Hour)
	f.m.Sweep(f.ctx)
	if _, err := f.st.Session(f.ctx, anon.SessionID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an unattended session 8 days after its end: %v, want purged", err)
	}
	if _, err := f.st.Session(f.ctx, reg.SessionID); err != nil {
		t.Fatalf("the session a technician worked on: %v, want kept", err)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (Config{}).Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if err := (Config{Grace: time.Millisecond}).Validate(); err == nil {
		t.Fatal("a 1ms grace period was accepted")
	}
	if err := (Config{CodeTTL: time.Second}).Validate(); err == nil {
		t.Fatal("a 1s code TTL was accepted")
	}
}

// An IPv6 source is its /64: another address in it shares the lockout.
func TestCodeSourceIsTheIPv6Slash64(t *testing.T) {
	f := newFixture(t)
	f.tech.IP = "2001:db8:5:6::1"
	for i := range f.cfg.CodeThrottle.Max {
		f.clk.Add(time.Minute)
		if _, err := f.m.Connect(f.ctx, f.tech, proto.Connect{Code: fmt.Sprintf("00000%04d", i)}, noStage); proto.CodeOf(err) != proto.ErrWrongCode {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	same := f.user("dora", store.RoleTechnician)
	same.IP = "2001:db8:5:6:ffff:1:2:3"
	if _, err := f.m.Connect(f.ctx, same, proto.Connect{Code: "000000999"}, noStage); proto.CodeOf(err) != proto.ErrThrottled {
		t.Fatalf("same /64: %v", err)
	}
	next := f.user("erik", store.RoleTechnician)
	next.IP = "2001:db8:5:7::1"
	if _, err := f.m.Connect(f.ctx, next, proto.Connect{Code: "000000999"}, noStage); proto.CodeOf(err) != proto.ErrWrongCode {
		t.Fatalf("next /64: %v", err)
	}
}

// A service desk's technicians often share one office address: one of them
// locked out by wrong codes does not lock out a colleague behind the same
// address, until the source's own, wider limit is reached.
func TestColleagueBehindTheSameAddressIsNotLockedOut(t *testing.T) {
	f := newFixture(t)
	f.cfg.CodeSourceThrottle = throttle.DefaultCodeSources
	f.restart()
	colleague := f.user("carla", store.RoleTechnician)
	guess := 0
	wrong := func(tech *Tech) error {
		// Past every delay (30 s per account, 10 s per source), and all
		// inside the source's 15-minute window: only the counts matter.
		if tech == f.tech {
			f.clk.Add(31 * time.Second)
		} else {
			f.clk.Add(11 * time.Second)
		}
		guess++
		_, err := f.m.Connect(f.ctx, tech, proto.Connect{Code: fmt.Sprintf("00000%04d", guess)}, noStage)
		return err
	}
	for range f.cfg.CodeThrottle.Max {
		if err := wrong(f.tech); proto.CodeOf(err) != proto.ErrWrongCode {
			t.Fatalf("aaron's guess %d: %v", guess, err)
		}
	}
	if err := wrong(f.tech); proto.CodeOf(err) != proto.ErrThrottled {
		t.Fatalf("aaron after %d wrong codes: %v, want locked out", f.cfg.CodeThrottle.Max, err)
	}
	if err := wrong(colleague); proto.CodeOf(err) != proto.ErrWrongCode {
		t.Fatalf("colleague on the same address: %v, want an answer", err)
	}
	// The address itself still has a ceiling: more accounts do not buy more guesses.
	for i := 0; ; i++ {
		u := f.user(fmt.Sprintf("extra%d", i), store.RoleTechnician)
		err := wrong(u)
		if proto.CodeOf(err) == proto.ErrThrottled {
			break
		}
		if proto.CodeOf(err) != proto.ErrWrongCode || guess > throttle.DefaultCodeSources.Max+1 {
			t.Fatalf("source not locked after %d wrong codes: %v", guess, err)
		}
	}
	// Every guess but two was answered "wrong" and counted against the
	// address: aaron's refused 11th and the last one are not.
	if counted := guess - 2; counted != throttle.DefaultCodeSources.Max {
		t.Fatalf("the address was locked after %d wrong codes, want %d", counted, throttle.DefaultCodeSources.Max)
	}
}
