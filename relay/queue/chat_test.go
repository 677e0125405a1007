package queue

import (
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/store"
)

// all decodes every message of type t that f received.
func (f *fakeConn) all(t proto.Type) []proto.Chat {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []proto.Chat
	for _, e := range f.sent {
		var c proto.Chat
		if e.Type == t && proto.Unmarshal(e.Body, &c) == nil {
			out = append(out, c)
		}
	}
	return out
}

// activeSession registers an agent and connects f.tech to it.
func (f *fixture) activeSession() (*Agent, proto.AgentRegistered) {
	f.t.Helper()
	a := f.agent(yes())
	reg, err := f.m.RegisterAgent(f.ctx, a, proto.AgentRegister{})
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.m.Connect(f.ctx, f.tech, proto.Connect{Code: reg.Code}, noStage); err != nil {
		f.t.Fatal(err)
	}
	return a, reg
}

func TestChatIsStoredAndForwardedToEveryone(t *testing.T) {
	f := newFixture(t)
	a, reg := f.activeSession()
	id := reg.SessionID
	if err := f.m.AgentChat(f.ctx, a, proto.Chat{SessionID: id, Text: "  My printer is broken \n", From: "spoofed", FromPeer: 99}); err != nil {
		t.Fatal(err)
	}
	f.clk.Add(time.Second)
	if err := f.m.TechChat(f.ctx, f.tech, proto.Chat{SessionID: id, Text: "Let me look."}); err != nil {
		t.Fatal(err)
	}
	// The same technician on a second connection (a chat window) may write
	// too; that connection gets its own message back.
	second := &Tech{User: f.tech.User, IP: f.tech.IP, Conn: &fakeConn{}}
	if err := f.m.TechChat(f.ctx, second, proto.Chat{SessionID: id, Text: "Found it."}); err != nil {
		t.Fatal(err)
	}
	want := []proto.Chat{
		{SessionID: id, From: "End user", FromPeer: 0, Text: "My printer is broken", At: f.clk.Now().Add(-time.Second)},
		{SessionID: id, From: "aaron", FromPeer: f.tech.User.ID, Text: "Let me look.", At: f.clk.Now()},
		{SessionID: id, From: "aaron", FromPeer: f.tech.User.ID, Text: "Found it.", At: f.clk.Now()},
	}
	same := func(who string, got []proto.Chat, want []proto.Chat) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s got %d messages, want %d: %+v", who, len(got), len(want), got)
		}
		for i := range got {
			if got[i].From != want[i].From || got[i].FromPeer != want[i].FromPeer || got[i].Text != want[i].Text || !got[i].At.Equal(want[i].At) || got[i].SessionID != id {
				t.Fatalf("%s message %d: %+v, want %+v", who, i, got[i], want[i])
			}
		}
	}
	same("agent", a.Conn.(*fakeConn).all(proto.TypeChat), want)
	same("technician", f.tech.Conn.(*fakeConn).all(proto.TypeChat), want)
	same("second connection", second.Conn.(*fakeConn).all(proto.TypeChat), want[2:])
	stored, err := f.st.ChatMessages(f.ctx, id)
	if err != nil || len(stored) != 3 {
		t.Fatalf("stored %+v %v", stored, err)
	}
	for i, m := range stored {
		if m.Text != want[i].Text || m.From != want[i].From || m.FromUser != want[i].FromPeer || !m.At.Equal(want[i].At) {
			t.Fatalf("stored message %d: %+v", i, m)
		}
	}
}

func TestChatIsValidated(t *testing.T) {
	f := newFixture(t)
	a, reg := f.activeSession()
	id := reg.SessionID
	for _, tc := range []struct {
		text string
		code proto.ErrorCode
	}{
		{"", proto.ErrBadRequest},
		{" \t\n ", proto.ErrBadRequest},
		{strings.Repeat("x", proto.MaxChat+1), proto.ErrBadRequest},
		{"bad \xff byte", proto.ErrBadRequest},
		{"\x1b\x07\x1b ", proto.ErrBadRequest}, // nothing left once the controls are gone
		{strings.Repeat("ä", proto.MaxChat/2), proto.ErrNone},
	} {
		err := f.m.AgentChat(f.ctx, a, proto.Chat{SessionID: id, Text: tc.text})
		if tc.code == proto.ErrNone {
			if err != nil {
				t.Fatalf("%d bytes refused: %v", len(tc.text), err)
			}
			continue
		}
		if proto.CodeOf(err) != tc.code || err.Error() == "" {
			t.Fatalf("%q: %v, want code %d", tc.text, err, tc.code)
		}
	}
	if n := len(a.Conn.(*fakeConn).all(proto.TypeChat)); n != 1 {
		t.Fatalf("%d messages delivered, want only the valid one", n)
	}
	// Terminal escapes are removed; newlines and tabs stay.
	if err := f.m.AgentChat(f.ctx, a, proto.Chat{SessionID: id, Text: "\x1b]52;c;ZXZpbA==\x07hi\u009b2J\n\tthere"}); err != nil {
		t.Fatal(err)
	}
	var got proto.Chat
	if !a.Conn.(*fakeConn).last(proto.TypeChat, &got) || got.Text != "]52;c;ZXZpbA==hi2J\n\tthere" {
		t.Fatalf("delivered %q, want the text without control characters", got.Text)
	}

	// Only participants: not another technician, not a manager who is not
	// attached, not the agent of another session, not for another session ID.
	carol := f.user("carol", store.RoleTechnician)
	for _, tech := range []*Tech{carol, f.admin} {
		if err := f.m.TechChat(f.ctx, tech, proto.Chat{SessionID: id, Text: "hi"}); proto.CodeOf(err) != proto.ErrSessionUnknown {
			t.Fatalf("%s chatted in a foreign session: %v", tech.User.Name, err)
		}
	}
	other := f.agent(yes())
	otherReg, _ := f.m.RegisterAgent(f.ctx, other, proto.AgentRegister{})
	if err := f.m.AgentChat(f.ctx, other, proto.Chat{SessionID: id, Text: "hi"}); proto.CodeOf(err) != proto.ErrSessionUnknown {
		t.Fatalf("agent of another session: %v", err)
	}
	if err := f.m.AgentChat(f.ctx, a, proto.Chat{SessionID: otherReg.SessionID, Text: "hi"}); proto.CodeOf(err) != proto.ErrSessionUnknown {
		t.Fatalf("agent wrote into another session: %v", err)
	}
	// Not after the end.
	f.m.TechEnd(f.ctx, f.tech, proto.End{SessionID: id})
	if err := f.m.TechChat(f.ctx, f.tech, proto.Chat{SessionID: id, Text: "bye"}); proto.CodeOf(err) != proto.ErrSessionUnknown {
		t.Fatalf("chat after the end: %v", err)
	}
	if err := f.m.AgentChat(f.ctx, a, proto.Chat{SessionID: id, Text: "bye"}); proto.CodeOf(err) != proto.ErrSessionUnknown {
		t.Fatalf("agent chat after the end: %v", err)
	}
	if stored, _ := f.st.ChatMessages(f.ctx, id); len(stored) != 2 {
		t.Fatalf("refused messages were stored: %d", len(stored))
	}
}

func TestChatShowsTheLinksCustomerName(t *testing.T) {
	f := newFixture(t)
	f.cfg.LinkBase = "https://relay.test"
	f.restart()
	lc, _ := f.m.CreateLink(f.ctx, f.tech, proto.LinkCreate{CustomerName: "Ann"})
	a := f.agent(yes())
	if _, err := f.m.RegisterAgent(f.ctx, a, proto.AgentRegister{LinkToken: strings.TrimPrefix(lc.URL, "https://relay.test/s/")}); err != nil {
		t.Fatal(err)
	}
	if err := f.m.AgentChat(f.ctx, a, proto.Chat{SessionID: lc.SessionID, Text: "hello"}); err != nil {
		t.Fatal(err)
	}
	if got := a.Conn.(*fakeConn).all(proto.TypeChat); len(got) != 1 || got[0].From != "Ann" {
		t.Fatalf("echo %+v", got)
	}
}

func TestRatingOnlyByTheAgentOnceAfterTheEnd(t *testing.T) {
	f := newFixture(t)
	a, reg := f.activeSession()
	id := reg.SessionID
	rate := func(r proto.Rate) error {
		if r.SessionID == "" {
			r.SessionID = id
		}
		return f.m.Rate(f.ctx, "198.51.100.7", r)
	}
	if err := rate(proto.Rate{Stars: 5, ResumeKey: reg.ResumeKey}); proto.CodeOf(err) != proto.ErrSessionState {
		t.Fatalf("rated while live: %v", err)
	}
	f.m.Subscribe(f.tech, false)
	carol := f.user("carol", store.RoleTechnician)
	f.m.Subscribe(carol, true)
	f.clk.Add(time.Minute)
	if err := f.m.AgentEnd(f.ctx, a, ""); err != nil {
		t.Fatal(err)
	}
	other := f.agent(yes())
	otherReg, _ := f.m.RegisterAgent(f.ctx, other, proto.AgentRegister{})
	for _, tc := range []struct {
		r    proto.Rate
		code proto.ErrorCode
	}{
		{proto.Rate{Stars: 0, ResumeKey: reg.ResumeKey}, proto.ErrBadRequest},
		{proto.Rate{Stars: 6, ResumeKey: reg.ResumeKey}, proto.ErrBadRequest},
		{proto.Rate{Stars: 3, ResumeKey: reg.ResumeKey, Comment: strings.Repeat("x", proto.MaxRatingComment+1)}, proto.ErrBadRequest},
		{proto.Rate{Stars: 3}, proto.ErrSessionUnknown},
		{proto.Rate{Stars: 3, ResumeKey: "guessed"}, proto.ErrSessionUnknown},
		{proto.Rate{Stars: 3, ResumeKey: otherReg.ResumeKey}, proto.ErrSessionUnknown}, // another session's app
	} {
		if err := rate(tc.r); proto.CodeOf(err) != tc.code {
			t.Fatalf("%+v: %v, want code %d", tc.r, err, tc.code)
		}
	}
	if err := rate(proto.Rate{Stars: 4, Comment: " Quick and friendly. ", ResumeKey: reg.ResumeKey}); err != nil {
		t.Fatal(err)
	}
	if err := rate(proto.Rate{Stars: 1, ResumeKey: reg.ResumeKey}); proto.CodeOf(err) != proto.ErrSessionState {
		t.Fatalf("second rating: %v", err)
	}
	s, _ := f.st.Session(f.ctx, id)
	if s.Rating != 4 || s.RatingComment != "Quick and friendly." {
		t.Fatalf("stored %+v", s)
	}
	evs, _ := f.st.SessionEvents(f.ctx, id)
	if last := evs[len(evs)-1]; !strings.Contains(last.Detail, "4 of 5") || last.Actor != "end user" {
		t.Fatalf("rating not in the history: %+v", last)
	}
	// The owner's queue hears of it; a technician who may not see the session does not.
	var up proto.QueueUpdate
	if !f.tech.Conn.(*fakeConn).last(proto.TypeQueueUpdate, &up) || up.Session.ID != id || up.Session.Rating != 4 || up.Session.RatingComment != "Quick and friendly." || up.Session.Status != "Closed" {
		t.Fatalf("owner told %+v", up.Session)
	}
	if carol.Conn.(*fakeConn).last(proto.TypeQueueUpdate, &up) && up.Session.ID == id {
		t.Fatal("a technician outside the session heard of its rating")
	}
}

func TestRatingNeedsATechnicianAndTime(t *testing.T) {
	f := newFixture(t)
	// Nobody joined: nothing to rate.
	a := f.agent(yes())
	reg, _ := f.m.RegisterAgent(f.ctx, a, proto.AgentRegister{})
	f.m.AgentEnd(f.ctx, a, "")
	if err := f.m.Rate(f.ctx, "", proto.Rate{SessionID: reg.SessionID, Stars: 5, ResumeKey: reg.ResumeKey}); proto.CodeOf(err) != proto.ErrSessionState || !strings.Contains(err.Error(), "nothing to rate") {
		t.Fatalf("session without technician: %v", err)
	}
	// Too late.
	b, reg2 := f.activeSession()
	f.m.AgentEnd(f.ctx, b, "")
	f.clk.Add(10*time.Minute + time.Second)
	if err := f.m.Rate(f.ctx, "", proto.Rate{SessionID: reg2.SessionID, Stars: 5, ResumeKey: reg2.ResumeKey}); proto.CodeOf(err) != proto.ErrSessionState || !strings.Contains(err.Error(), "10 minutes") {
		t.Fatalf("late rating: %v", err)
	}
}

func TestDetailsFollowTheQueuesVisibility(t *testing.T) {
	f := newFixture(t)
	a, reg := f.activeSession()
	id := reg.SessionID
	f.m.AgentChat(f.ctx, a, proto.Chat{SessionID: id, Text: "hello"})
	f.m.TechChat(f.ctx, f.tech, proto.Chat{SessionID: id, Text: "hi"})

	live, err := f.m.Details(f.ctx, f.tech, id)
	if err != nil || live.Session.Status != "Active" || !live.Session.AgentOnline || len(live.Session.Technicians) != 1 || len(live.Chat) != 2 {
		t.Fatalf("live details %+v %v", live, err)
	}
	f.m.TechEnd(f.ctx, f.tech, proto.End{SessionID: id})
	f.m.Rate(f.ctx, "", proto.Rate{SessionID: id, Stars: 2, Comment: "slow", ResumeKey: reg.ResumeKey})

	d, err := f.m.Details(f.ctx, f.tech, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Session.Status != "Closed" || d.Session.Rating != 2 || d.Session.RatingComment != "slow" || d.Session.Owner != "aaron" ||
		len(d.Session.Technicians) != 1 || d.Session.Technicians[0] != "aaron" || d.Session.AgentOnline {
		t.Fatalf("session %+v", d.Session)
	}
	if len(d.Chat) != 2 || d.Chat[0].Text != "hello" || d.Chat[0].FromPeer != 0 || d.Chat[1].From != "aaron" {
		t.Fatalf("chat %+v", d.Chat)
	}
	var statuses []string
	for _, e := range d.History {
		statuses = append(statuses, string(e.Status))
	}
	if strings.Join(statuses, ">") != "Ready>Active>Closed>Closed" || !strings.Contains(d.History[3].Detail, "2 of 5") {
		t.Fatalf("history %+v", d.History)
	}
	// A manager sees it; another technician does not, with the same sentence
	// as for a session that does not exist.
	if _, err := f.m.Details(f.ctx, f.admin, id); err != nil {
		t.Fatalf("manager: %v", err)
	}
	carol := f.user("carol", store.RoleTechnician)
	_, errForeign := f.m.Details(f.ctx, carol, id)
	_, errMissing := f.m.Details(f.ctx, carol, "feedfacefeedface")
	if proto.CodeOf(errForeign) != proto.ErrSessionUnknown || proto.CodeOf(errMissing) != proto.ErrSessionUnknown ||
		strings.ReplaceAll(errForeign.Error(), id, "X") != strings.ReplaceAll(errMissing.Error(), "feedfacefeedface", "X") {
		t.Fatalf("foreign %v, missing %v", errForeign, errMissing)
	}
	// Someone who was attached once sees it, though they do not own it.
	f.st.Attach(f.ctx, id, carol.User.ID, f.clk.Now())
	f.st.Detach(f.ctx, id, carol.User.ID, f.clk.Now())
	if _, err := f.m.Details(f.ctx, carol, id); err != nil {
		t.Fatalf("former participant: %v", err)
	}
	if _, err := f.m.Details(f.ctx, carol, ""); proto.CodeOf(err) != proto.ErrBadRequest {
		t.Fatalf("no ID: %v", err)
	}
}
