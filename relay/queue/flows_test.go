package queue

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/store"
)

// desk builds a service desk on the fixture: channel Mac support served by
// group mac (the given technicians), managed by carla; then restarts the
// manager so its desk reads them.
type deskFixture struct {
	*fixture
	carla *Tech
	mac   store.Channel
	group store.Group
}

func newDeskFixture(t *testing.T, assign proto.AutoAssign, techs ...string) (*deskFixture, []*Tech) {
	t.Helper()
	f := &deskFixture{fixture: newFixture(t)}
	f.carla = f.user("carla", store.RoleChannelManager)
	var out []*Tech
	f.group = store.Group{Name: "mac"}
	for _, n := range techs {
		tt := f.user(n, store.RoleTechnician)
		out = append(out, tt)
		f.group.Members = append(f.group.Members, tt.User.ID)
	}
	if err := f.st.CreateGroup(f.ctx, &f.group); err != nil {
		t.Fatal(err)
	}
	f.mac = store.Channel{Name: "Mac support", Groups: []int64{f.group.ID}, Managers: []int64{f.carla.User.ID}, Assign: assign}
	if err := f.st.CreateChannel(f.ctx, &f.mac); err != nil {
		t.Fatal(err)
	}
	f.restart()
	return f, out
}

// request creates a link in the Mac channel and has an app join it.
func (f *deskFixture) request(creator *Tech, lang string) (*Agent, string) {
	f.t.Helper()
	lc, err := f.m.CreateLink(f.ctx, creator, proto.LinkCreate{CustomerName: "Ann", Channel: "mac SUPPORT"})
	if err != nil {
		f.t.Fatal(err)
	}
	a := f.agent(yes())
	tok := lc.URL[strings.LastIndex(lc.URL, "/")+1:]
	if _, err := f.m.RegisterAgent(f.ctx, a, proto.AgentRegister{LinkToken: tok, Language: lang}); err != nil {
		f.t.Fatal(err)
	}
	return a, lc.SessionID
}

func (f *deskFixture) session(id string) store.Session {
	f.t.Helper()
	s, err := f.st.Session(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

func notices(c Conn, kind string) []proto.Notice {
	f := c.(*fakeConn)
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []proto.Notice
	for _, e := range f.sent {
		var n proto.Notice
		if e.Type == proto.TypeNotice && proto.Unmarshal(e.Body, &n) == nil && n.Kind == kind {
			out = append(out, n)
		}
	}
	return out
}

func TestTwentyTechniciansRaceForOneRequest(t *testing.T) {
	var names []string
	for i := range 20 {
		names = append(names, fmt.Sprintf("tech%02d", i))
	}
	f, techs := newDeskFixture(t, proto.AssignOff, names...)
	for _, tt := range techs {
		if snap := f.m.Subscribe(tt, false); len(snap.Sessions) != 0 {
			t.Fatalf("queue before the request: %v", snap.Sessions)
		}
	}
	_, id := f.request(f.carla, "")
	// Every technician of the channel was offered it.
	for _, tt := range techs {
		var u proto.QueueUpdate
		if !tt.Conn.(*fakeConn).last(proto.TypeQueueUpdate, &u) || u.Session.ID != id || u.Session.Channel != "Mac support" || u.Session.Owner != "" {
			t.Fatalf("%s was not offered the request: %+v", tt.User.Name, u.Session)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, len(techs))
	for i, tt := range techs {
		wg.Go(func() { _, errs[i] = f.m.Pick(f.ctx, tt, id) })
	}
	wg.Wait()
	var winner *Tech
	for i, err := range errs {
		switch {
		case err == nil && winner != nil:
			t.Fatalf("two winners: %s and %s", winner.User.Name, techs[i].User.Name)
		case err == nil:
			winner = techs[i]
		case proto.CodeOf(err) != proto.ErrTaken:
			t.Fatalf("%s: %v, want ErrTaken", techs[i].User.Name, err)
		}
	}
	if winner == nil {
		t.Fatal("nobody won")
	}
	if got := f.session(id).OwnerID; got != winner.User.ID {
		t.Fatalf("stored owner %d, winner %d", got, winner.User.ID)
	}
	for i, tt := range techs {
		if tt == winner {
			continue
		}
		if !strings.Contains(errs[i].Error(), winner.User.Name) && !strings.Contains(errs[i].Error(), "Another technician") {
			t.Errorf("%s was told %q", tt.User.Name, errs[i])
		}
		ns := notices(tt.Conn, proto.NoticeTaken)
		if len(ns) != 1 || ns[0].From != winner.User.Name {
			t.Errorf("%s got taken notices %+v, want one from %s", tt.User.Name, ns, winner.User.Name)
		}
	}
	// The winner connects without a second race.
	if _, err := f.m.Connect(f.ctx, winner, proto.Connect{SessionID: id}, noStage); err != nil {
		t.Fatal(err)
	}
}

func TestConnectingToARequestPicksItUp(t *testing.T) {
	f, techs := newDeskFixture(t, proto.AssignOff, "tina", "theo")
	tina, theo := techs[0], techs[1]
	_, id := f.request(tina, "")
	c, err := f.m.Connect(f.ctx, tina, proto.Connect{SessionID: id}, noStage)
	if err != nil {
		t.Fatal(err)
	}
	if c.Session.Owner != "tina" || !slices.Equal(c.Granted, proto.Grant{proto.PermView, proto.PermControl, proto.PermClipboard}) {
		t.Fatalf("connected: owner %q, granted %v", c.Session.Owner, c.Granted)
	}
	_, err = f.m.Connect(f.ctx, theo, proto.Connect{SessionID: id}, noStage)
	if proto.CodeOf(err) != proto.ErrTaken || err.Error() != "tina already picked this request up." {
		t.Fatalf("theo connects to tina's session: %v", err)
	}
	// An outsider never sees the channel's requests.
	fred := f.user("fred", store.RoleTechnician)
	_, id2 := f.request(tina, "")
	if _, err := f.m.Pick(f.ctx, fred, id2); proto.CodeOf(err) != proto.ErrSessionUnknown {
		t.Fatalf("fred picks a Mac request: %v", err)
	}
}

func TestChannelNarrowsWhatIsAsked(t *testing.T) {
	f, techs := newDeskFixture(t, proto.AssignOff, "tina")
	f.mac.Narrow = []proto.Permission{proto.PermControl, proto.PermClipboard}
	if err := f.st.UpdateChannel(f.ctx, &f.mac); err != nil {
		t.Fatal(err)
	}
	f.restart()
	a, id := f.request(techs[0], "")
	c, err := f.m.Connect(f.ctx, techs[0], proto.Connect{SessionID: id}, noStage)
	if err != nil {
		t.Fatal(err)
	}
	var req proto.ConsentRequest
	a.Conn.(*fakeConn).last(proto.TypeConsentRequest, &req)
	if !slices.Equal(req.Permissions, []proto.Permission{proto.PermView}) || !c.Granted.ViewOnly() {
		t.Fatalf("a view-only channel asked %v and granted %v", req.Permissions, c.Granted)
	}
}

func TestTransferToATechnicianKeepsTheEndUser(t *testing.T) {
	f, techs := newDeskFixture(t, proto.AssignOff, "tina", "theo")
	tina, theo := techs[0], techs[1]
	f.m.Subscribe(theo, false)
	a, id := f.request(tina, "")
	if _, err := f.m.Connect(f.ctx, tina, proto.Connect{SessionID: id}, noStage); err != nil {
		t.Fatal(err)
	}
	s, err := f.m.Transfer(f.ctx, tina, proto.Transfer{SessionID: id, ToUser: "theo", Note: "printer driver, see ticket"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Owner != "theo" || s.Status != proto.StatusActive {
		t.Fatalf("after the transfer: owner %q, %s", s.Owner, s.Status)
	}
	var h proto.Handover
	if !a.Conn.(*fakeConn).last(proto.TypeHandover, &h) || h.From != "tina" || h.To != "theo" {
		t.Fatalf("the end user was told %+v", h)
	}
	if ns := notices(theo.Conn, proto.NoticeAssigned); len(ns) != 1 || !strings.Contains(ns[0].Text, "printer driver") {
		t.Fatalf("theo's notices: %+v", ns)
	}
	// tina still sees the screen until theo joins; then she is detached.
	f.m.mu.Lock()
	still := f.m.sessions[id].techs[tina.User.ID] != nil
	f.m.mu.Unlock()
	if !still {
		t.Fatal("tina was detached before theo joined")
	}
	if _, err := f.m.Connect(f.ctx, theo, proto.Connect{SessionID: id}, noStage); err != nil {
		t.Fatal(err)
	}
	var left proto.PeerLeft
	if !a.Conn.(*fakeConn).last(proto.TypePeerLeft, &left) || left.Peer.Name != "tina" || !strings.Contains(left.Reason, "handed the session to theo") {
		t.Fatalf("the app heard %+v", left)
	}
	// tina's console hears it too, about herself, and the session goes on.
	left = proto.PeerLeft{}
	if !tina.Conn.(*fakeConn).last(proto.TypePeerLeft, &left) || left.Peer.ID != tina.User.ID || left.SessionID != id || !strings.Contains(left.Reason, "handed the session to theo") {
		t.Fatalf("tina's console heard %+v", left)
	}
	if theo.Conn.(*fakeConn).last(proto.TypePeerLeft, &left) {
		t.Fatalf("theo's console heard %+v", left)
	}
	d, err := f.m.Details(f.ctx, theo, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Notes) != 1 || !strings.Contains(d.Notes[0].Text, "printer driver") {
		t.Fatalf("theo reads notes %+v", d.Notes)
	}
	// A technician who does not own it may not hand it on.
	if _, err := f.m.Transfer(f.ctx, tina, proto.Transfer{SessionID: id, ToUser: "tina"}); err == nil {
		t.Fatal("tina transferred theo's session")
	}
	if got := f.auditOf(id); !slices.Contains(got, "session.transferred tina ") {
		t.Fatalf("audit %q", got)
	}
}

func TestTransferToAChannelAndRefusals(t *testing.T) {
	f, techs := newDeskFixture(t, proto.AssignOff, "tina")
	tina := techs[0]
	fred := f.user("fred", store.RoleTechnician)
	fin := store.Group{Name: "finance", Members: []int64{fred.User.ID}}
	if err := f.st.CreateGroup(f.ctx, &fin); err != nil {
		t.Fatal(err)
	}
	finance := store.Channel{Name: "Finance", Groups: []int64{fin.ID}}
	if err := f.st.CreateChannel(f.ctx, &finance); err != nil {
		t.Fatal(err)
	}
	f.restart()
	f.m.Subscribe(fred, false)
	_, id := f.request(tina, "")
	if _, err := f.m.Pick(f.ctx, tina, id); err != nil {
		t.Fatal(err)
	}
	// fred serves Finance only: not a transfer target for a Mac session.
	_, err := f.m.Transfer(f.ctx, tina, proto.Transfer{SessionID: id, ToUser: "fred"})
	if err == nil || !strings.Contains(err.Error(), "fred does not serve channel Mac support") {
		t.Fatalf("transfer to fred: %v", err)
	}
	s, err := f.m.Transfer(f.ctx, tina, proto.Transfer{SessionID: id, ToChannel: "Finance"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Channel != "Finance" || s.Owner != "" {
		t.Fatalf("after the transfer: %+v", s)
	}
	var u proto.QueueUpdate
	if !fred.Conn.(*fakeConn).last(proto.TypeQueueUpdate, &u) || u.Session.ID != id {
		t.Fatal("Finance's technician was not offered the request")
	}
	// The refusal was audited with its sentence.
	evs, _ := f.st.AuditEvents(f.ctx, 0, 1000)
	found := false
	for _, e := range evs {
		if e.Kind == "desk.refused" && e.Actor == "tina" && strings.Contains(e.Detail["reason"], "does not serve") {
			found = true
		}
	}
	if !found {
		t.Fatal("the refused transfer was not audited")
	}
	// Denied by an override: the sentence names what is missing.
	if err := f.st.SetOverrides(f.ctx, fred.User.ID, []store.Override{{Permission: proto.PermTransferChannel, Allow: false}}); err != nil {
		t.Fatal(err)
	}
	f.m.desk.Reload(f.ctx)
	if _, err := f.m.Pick(f.ctx, fred, id); err != nil {
		t.Fatal(err)
	}
	_, err = f.m.Transfer(f.ctx, fred, proto.Transfer{SessionID: id, ToChannel: "Mac support"})
	if err == nil || err.Error() != "You may not transfer sessions to other channels." {
		t.Fatalf("fred without transfer.channel: %v", err)
	}
}

func TestInvitedGuestJoinsToWatch(t *testing.T) {
	f, tina, theo, _, a, id := newInviteFixture(t)
	// Not invited: theo may not join.
	if _, err := f.m.Connect(f.ctx, theo, proto.Connect{SessionID: id}, noStage); err == nil {
		t.Fatal("theo joined without an invitation")
	}
	if err := f.m.Invite(f.ctx, tina, proto.Invite{SessionID: id, User: "fred"}); err == nil || !strings.Contains(err.Error(), "outside the session's channel") {
		t.Fatalf("tina invites fred: %v", err)
	}
	if err := f.m.Invite(f.ctx, tina, proto.Invite{SessionID: id, User: "theo"}); err != nil {
		t.Fatal(err)
	}
	if ns := notices(theo.Conn, proto.NoticeInvitation); len(ns) != 1 || ns[0].From != "tina" {
		t.Fatalf("theo's invitations: %+v", ns)
	}
	if _, err := f.m.Connect(f.ctx, theo, proto.Connect{SessionID: id}, noStage); err == nil || !strings.Contains(err.Error(), "Accept the invitation") {
		t.Fatalf("connect before accepting: %v", err)
	}
	if err := f.m.AnswerInvite(f.ctx, theo, proto.InviteAnswer{SessionID: id, Accept: true}); err != nil {
		t.Fatal(err)
	}
	c, err := f.m.Connect(f.ctx, theo, proto.Connect{SessionID: id}, noStage)
	if err != nil {
		t.Fatal(err)
	}
	var req proto.ConsentRequest
	a.Conn.(*fakeConn).last(proto.TypeConsentRequest, &req)
	// A guest asks to see the screen and, once handed control, to use
	// mouse and keyboard; never the clipboard.
	if !req.Guest || !slices.Equal(req.Permissions, []proto.Permission{proto.PermView, proto.PermControl}) || !slices.Equal(c.Granted, proto.Grant{proto.PermView, proto.PermControl}) {
		t.Fatalf("guest consent %+v, granted %v", req, c.Granted)
	}
	if c.Session.Owner != "tina" || !slices.Equal(c.Session.Guests, []string{"theo"}) || c.Session.Controller != "tina" {
		t.Fatalf("session after the guest joined: owner %q guests %v controller %q", c.Session.Owner, c.Session.Guests, c.Session.Controller)
	}
	var pj proto.PeerJoined
	a.Conn.(*fakeConn).last(proto.TypePeerJoined, &pj)
	if pj.Peer.Name != "theo" || pj.Peer.Role != "guest" {
		t.Fatalf("the app heard %+v", pj.Peer)
	}
	controller := func() proto.ControlChanged {
		var cc proto.ControlChanged
		if !a.Conn.(*fakeConn).last(proto.TypeControlChanged, &cc) {
			t.Fatal("the app never heard who controls")
		}
		return cc
	}
	if cc := controller(); cc.Controller.Name != "tina" {
		t.Fatalf("the app heard %+v after the owner joined", cc)
	}
	// Control: the guest asks, only the owner gives and takes.
	if err := f.m.Control(f.ctx, theo, proto.Control{SessionID: id, Action: proto.ControlGive, To: "theo"}); err == nil || !strings.Contains(err.Error(), "Only the session's owner hands control over") {
		t.Fatalf("the guest gives himself control: %v", err)
	}
	f.m.Subscribe(tina, false)
	if err := f.m.Control(f.ctx, theo, proto.Control{SessionID: id, Action: proto.ControlRequest}); err != nil {
		t.Fatal(err)
	}
	if ns := notices(tina.Conn, proto.NoticeControl); len(ns) != 1 || ns[0].From != "theo" {
		t.Fatalf("tina's control requests %+v", ns)
	}
	if err := f.m.Control(f.ctx, tina, proto.Control{SessionID: id, Action: proto.ControlGive, To: "theo"}); err != nil {
		t.Fatal(err)
	}
	if cc := controller(); cc.Controller.Name != "theo" || cc.By != "tina" {
		t.Fatalf("after giving: %+v", cc)
	}
	var tc proto.ControlChanged
	if !theo.Conn.(*fakeConn).last(proto.TypeControlChanged, &tc) || tc.Controller.Name != "theo" {
		t.Fatalf("theo heard %+v", tc)
	}
	if err := f.m.Control(f.ctx, tina, proto.Control{SessionID: id, Action: proto.ControlTake}); err != nil {
		t.Fatal(err)
	}
	if cc := controller(); cc.Controller.Name != "tina" {
		t.Fatalf("after taking back: %+v", cc)
	}
	// Control goes back to the owner when the controlling guest leaves.
	if err := f.m.Control(f.ctx, tina, proto.Control{SessionID: id, Action: proto.ControlGive, To: "theo"}); err != nil {
		t.Fatal(err)
	}
	// The guest leaving does not end the session.
	if err := f.m.TechEnd(f.ctx, theo, proto.End{SessionID: id}); err != nil {
		t.Fatal(err)
	}
	if st := f.status(id); st != proto.StatusActive {
		t.Fatalf("after the guest left: %s", st)
	}
	if cc := controller(); cc.Controller.Name != "tina" || cc.By != "relay" {
		t.Fatalf("after the controlling guest left: %+v", cc)
	}
}

func TestAutoAssignLeastBusyThenMovesOn(t *testing.T) {
	f, techs := newDeskFixture(t, proto.AssignLeastBusy, "tina", "theo")
	tina, theo := techs[0], techs[1]
	f.m.Subscribe(tina, false)
	f.m.Subscribe(theo, false)
	// tina already owns a session: theo is the least busy.
	_, first := f.request(tina, "")
	if got := f.session(first).OwnerID; got != tina.User.ID {
		t.Fatalf("first request assigned to %d, want tina (lowest ID on a tie)", got)
	}
	_, id := f.request(tina, "")
	if got := f.session(id).OwnerID; got != theo.User.ID {
		t.Fatalf("second request assigned to %d, want theo", got)
	}
	if ns := notices(theo.Conn, proto.NoticeAssigned); len(ns) != 1 || ns[0].SessionID != id {
		t.Fatalf("theo's notices %+v", ns)
	}
	// theo does not connect in time: the request goes to tina.
	f.clk.Add(f.m.cfg.AssignTimeout)
	f.m.Sweep(f.ctx)
	if got := f.session(id).OwnerID; got != tina.User.ID {
		t.Fatalf("after the timeout assigned to %d, want tina", got)
	}
	evs, _ := f.st.SessionEvents(f.ctx, id)
	if !slices.ContainsFunc(evs, func(e store.StatusEvent) bool {
		return strings.Contains(e.Detail, "theo did not connect within 1 minutes")
	}) {
		t.Fatalf("history %+v", evs)
	}
}

func TestAutoAssignPrefersTheEndUsersLanguage(t *testing.T) {
	f, techs := newDeskFixture(t, proto.AssignLeastBusy, "tina", "theo")
	if err := f.st.SetProfile(f.ctx, techs[1].User.ID, store.Profile{Languages: []string{"nl", "en"}}); err != nil {
		t.Fatal(err)
	}
	f.restart()
	f.m.Subscribe(techs[0], false)
	f.m.Subscribe(techs[1], false)
	_, id := f.request(techs[0], "nl-BE")
	if got := f.session(id).OwnerID; got != techs[1].User.ID {
		t.Fatalf("a Dutch-speaking end user was assigned to %d, want theo", got)
	}
	// Away technicians get nothing.
	if err := f.m.SetAvailability(f.ctx, techs[0], proto.Away); err != nil {
		t.Fatal(err)
	}
	_, id2 := f.request(techs[0], "")
	if got := f.session(id2).OwnerID; got != techs[1].User.ID {
		t.Fatalf("with tina away assigned to %d", got)
	}
}

func TestSLAEscalatesAndFallsBack(t *testing.T) {
	f, techs := newDeskFixture(t, proto.AssignOff, "tina")
	fred := f.user("fred", store.RoleTechnician)
	fin := store.Group{Name: "finance", Members: []int64{fred.User.ID}}
	if err := f.st.CreateGroup(f.ctx, &fin); err != nil {
		t.Fatal(err)
	}
	f.mac.SLA = 5 * time.Minute
	if err := f.st.UpdateChannel(f.ctx, &f.mac); err != nil {
		t.Fatal(err)
	}
	finance := store.Channel{Name: "Finance", Groups: []int64{fin.ID}}
	if err := f.st.CreateChannel(f.ctx, &finance); err != nil {
		t.Fatal(err)
	}
	f.restart()
	f.m.Subscribe(f.carla, true)
	f.m.Subscribe(fred, false)
	_, id := f.request(techs[0], "")
	f.clk.Add(4 * time.Minute)
	f.m.Sweep(f.ctx)
	if s := f.session(id); !s.EscalatedAt.IsZero() {
		t.Fatal("escalated before the SLA")
	}
	f.clk.Add(time.Minute)
	f.m.Sweep(f.ctx)
	s := f.session(id)
	if s.EscalatedAt.IsZero() || s.ChannelID != f.mac.ID {
		t.Fatalf("at the SLA without a fallback: escalated %v, channel %d", s.EscalatedAt, s.ChannelID)
	}
	if ns := notices(f.carla.Conn, proto.NoticeEscalated); len(ns) != 1 || ns[0].SessionID != id {
		t.Fatalf("carla's escalations %+v", ns)
	}
	// With a fallback, the next request moves on once escalated.
	f.mac.FallbackID = finance.ID
	if err := f.st.UpdateChannel(f.ctx, &f.mac); err != nil {
		t.Fatal(err)
	}
	f.m.desk.Reload(f.ctx)
	_, id2 := f.request(techs[0], "")
	f.clk.Add(5 * time.Minute)
	f.m.Sweep(f.ctx)
	s2 := f.session(id2)
	if s2.ChannelID != finance.ID || !s2.EscalatedAt.IsZero() {
		t.Fatalf("after the SLA with a fallback: channel %d escalated %v", s2.ChannelID, s2.EscalatedAt)
	}
	var u proto.QueueUpdate
	if !fred.Conn.(*fakeConn).last(proto.TypeQueueUpdate, &u) || u.Session.ID != id2 || u.Session.Channel != "Finance" {
		t.Fatalf("fred was not offered the fallen-back request: %+v", u.Session)
	}
	evs, _ := f.st.SessionEvents(f.ctx, id2)
	if !slices.ContainsFunc(evs, func(e store.StatusEvent) bool { return strings.Contains(e.Detail, "moved to channel Finance") }) {
		t.Fatalf("history %+v", evs)
	}
}

func TestHistoryFollowsVisibility(t *testing.T) {
	f, techs := newDeskFixture(t, proto.AssignOff, "tina", "theo")
	tina, theo := techs[0], techs[1]
	tm := f.user("tom", store.RoleTechnicianManager)
	f.restart()
	var ids []string
	for i := range 3 {
		_, id := f.request(tina, "")
		if _, err := f.m.Connect(f.ctx, tina, proto.Connect{SessionID: id}, noStage); err != nil {
			t.Fatal(err)
		}
		f.clk.Add(time.Minute)
		if err := f.m.TechEnd(f.ctx, tina, proto.End{SessionID: id}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		_ = i
	}
	own, _ := f.m.CreateLink(f.ctx, theo, proto.LinkCreate{CustomerName: "Bob"}) // theo's own, no channel
	count := func(tt *Tech, req proto.HistoryRequest) []string {
		t.Helper()
		var out []string
		for {
			p, err := f.m.History(f.ctx, tt, req)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range p.Sessions {
				out = append(out, s.ID)
			}
			if p.Next == "" {
				return out
			}
			req.Cursor = p.Next
		}
	}
	if got := count(tina, proto.HistoryRequest{Limit: 2}); len(got) != 3 || got[0] != ids[2] {
		t.Fatalf("tina's history %v, want her three, newest first", got)
	}
	if got := count(theo, proto.HistoryRequest{}); len(got) != 1 || got[0] != own.SessionID {
		t.Fatalf("theo's history %v, want only his link", got)
	}
	if got := count(f.carla, proto.HistoryRequest{Channel: "Mac support"}); len(got) != 3 {
		t.Fatalf("carla (manages Mac) sees %v", got)
	}
	if got := count(tm, proto.HistoryRequest{Statuses: []proto.Status{proto.StatusClosed}}); len(got) != 3 {
		t.Fatalf("tom sees closed %v", got)
	}
	if got := count(tm, proto.HistoryRequest{}); len(got) != 4 {
		t.Fatalf("tom sees %v", got)
	}
	if _, err := f.m.History(f.ctx, tina, proto.HistoryRequest{Cursor: "garbage!"}); proto.CodeOf(err) != proto.ErrBadRequest {
		t.Fatalf("bad cursor: %v", err)
	}
}

func TestNotesAndClassification(t *testing.T) {
	f, techs := newDeskFixture(t, proto.AssignOff, "tina", "theo")
	tina, theo := techs[0], techs[1]
	_, id := f.request(tina, "")
	if err := f.m.AddNote(f.ctx, tina, proto.NoteAdd{SessionID: id, Text: "x"}); err == nil || !strings.Contains(err.Error(), "Pick the request up") {
		t.Fatalf("a note before the pick-up: %v", err)
	}
	if _, err := f.m.Pick(f.ctx, tina, id); err != nil {
		t.Fatal(err)
	}
	if err := f.m.AddNote(f.ctx, tina, proto.NoteAdd{SessionID: id, Text: "  Reset the spooler. "}); err != nil {
		t.Fatal(err)
	}
	if err := f.m.AddNote(f.ctx, theo, proto.NoteAdd{SessionID: id, Text: "me too"}); proto.CodeOf(err) != proto.ErrSessionUnknown {
		t.Fatalf("theo annotates tina's session: %v", err)
	}
	cat, prio := "hardware", "urgent"
	if _, err := f.m.UpdateSession(f.ctx, tina, proto.SessionUpdate{SessionID: id, Category: &cat, Priority: &prio}); err == nil || !strings.Contains(err.Error(), `no priority "urgent"`) {
		t.Fatalf("unknown priority: %v", err)
	}
	prio = "high"
	s, err := f.m.UpdateSession(f.ctx, tina, proto.SessionUpdate{SessionID: id, Category: &cat, Priority: &prio,
		Ticket: &proto.Ticket{System: "Jira", Key: "IT-7", URL: "https://jira.example.com/browse/IT-7"}})
	if err != nil {
		t.Fatal(err)
	}
	if s.Category != "hardware" || s.Priority != "high" || s.Ticket.Key != "IT-7" {
		t.Fatalf("classified: %+v", s)
	}
	if _, err := f.m.UpdateSession(f.ctx, tina, proto.SessionUpdate{SessionID: id, Ticket: &proto.Ticket{URL: "javascript:alert(1)"}}); proto.CodeOf(err) != proto.ErrBadRequest {
		t.Fatalf("a javascript: ticket URL: %v", err)
	}
	d, err := f.m.Details(f.ctx, tina, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Notes) != 1 || d.Notes[0].Text != "Reset the spooler." || d.Notes[0].Author != "tina" {
		t.Fatalf("notes %+v", d.Notes)
	}
	// Without transcripts.read the details come without chat and notes, saying why.
	if err := f.st.SetOverrides(f.ctx, tina.User.ID, []store.Override{{Permission: proto.PermReadTranscripts, Allow: false}}); err != nil {
		t.Fatal(err)
	}
	f.m.desk.Reload(f.ctx)
	d, err = f.m.Details(f.ctx, tina, id)
	if err != nil || len(d.Notes) != 0 || d.Withheld != "You may not read chat transcripts." {
		t.Fatalf("withheld details: %v %+v", err, d)
	}
}

func TestManagerMonitorsViewOnly(t *testing.T) {
	f, techs := newDeskFixture(t, proto.AssignOff, "tina", "theo")
	tina, theo := techs[0], techs[1]
	a, id := f.request(tina, "")
	if _, err := f.m.Connect(f.ctx, tina, proto.Connect{SessionID: id}, noStage); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Connect(f.ctx, theo, proto.Connect{SessionID: id, Monitor: true}, noStage); err == nil || err.Error() != "You may not monitor other technicians' sessions." {
		t.Fatalf("theo monitors: %v", err)
	}
	c, err := f.m.Connect(f.ctx, f.carla, proto.Connect{SessionID: id, Monitor: true}, noStage)
	if err != nil {
		t.Fatal(err)
	}
	var req proto.ConsentRequest
	a.Conn.(*fakeConn).last(proto.TypeConsentRequest, &req)
	if !req.Supervisor || req.Guest || !slices.Equal(req.Permissions, []proto.Permission{proto.PermView}) || !c.Granted.ViewOnly() {
		t.Fatalf("monitor consent %+v, granted %v", req, c.Granted)
	}
	if c.Session.Owner != "tina" {
		t.Fatalf("monitoring changed the owner to %q", c.Session.Owner)
	}
	var pj proto.PeerJoined
	a.Conn.(*fakeConn).last(proto.TypePeerJoined, &pj)
	if pj.Peer.Role != "supervisor" {
		t.Fatalf("the app heard %+v", pj.Peer)
	}
	if got := f.auditOf(id); !slices.Contains(got, "session.monitor carla ") {
		t.Fatalf("audit %q", got)
	}
}

// Live lists what the queue shows with all: takers see the requests of
// their channels while unowned, managers every session of theirs, others
// nothing; a disabled account nothing.
func TestLiveFollowsTheQueuesRule(t *testing.T) {
	f, techs := newDeskFixture(t, proto.AssignOff, "tina", "theo")
	tina, theo := techs[0], techs[1]
	olga := f.user("olga", store.RoleTechnician)
	tom := f.user("tom", store.RoleTechnicianManager)
	f.restart()
	_, id := f.request(f.carla, "")
	f.clk.Add(time.Minute)
	_, other := f.request(f.carla, "")
	ids := func(tt *Tech) []string {
		var out []string
		for _, s := range f.m.Live(tt.User) {
			out = append(out, s.ID)
		}
		return out
	}
	both := []string{id, other}
	for _, c := range []struct {
		tt   *Tech
		want []string
	}{{tina, both}, {theo, both}, {f.carla, both}, {tom, both}, {olga, nil}} {
		if got := ids(c.tt); !slices.Equal(got, c.want) {
			t.Errorf("%s sees %v, want %v (oldest first)", c.tt.User.Name, got, c.want)
		}
	}
	if _, err := f.m.Pick(f.ctx, tina, id); err != nil {
		t.Fatal(err)
	}
	if got := ids(theo); !slices.Equal(got, []string{other}) {
		t.Errorf("theo still sees tina's session: %v", got)
	}
	if got := f.m.Live(tina.User); len(got) != 2 || got[0].ID != id || got[0].Owner != "tina" {
		t.Errorf("tina sees %+v", got)
	}
	u := tina.User
	u.Disabled = true
	if got := f.m.Live(u); len(got) != 0 {
		t.Errorf("a disabled account sees %v", got)
	}
}

// An Active session handed to a channel waits there with the end user
// still connected and its previous owner watching; a technician of the
// channel connects (the end user is asked), and the previous owner's
// view ends then.
func TestActiveSessionTransferredToAChannel(t *testing.T) {
	f, techs := newDeskFixture(t, proto.AssignOff, "tina", "theo")
	tina, theo := techs[0], techs[1]
	a, id := f.request(tina, "")
	if _, err := f.m.Connect(f.ctx, tina, proto.Connect{SessionID: id}, noStage); err != nil {
		t.Fatal(err)
	}
	s, err := f.m.Transfer(f.ctx, tina, proto.Transfer{SessionID: id, ToChannel: "Mac support"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Owner != "" || s.Status != proto.StatusActive {
		t.Fatalf("after the transfer: %+v", s)
	}
	c, err := f.m.Connect(f.ctx, theo, proto.Connect{SessionID: id}, noStage)
	if err != nil {
		t.Fatalf("theo connects to the transferred session: %v", err)
	}
	if c.Session.Owner != "theo" || slices.Contains(c.Session.Technicians, "tina") {
		t.Fatalf("after theo joined: owner %q, technicians %v", c.Session.Owner, c.Session.Technicians)
	}
	var left proto.PeerLeft
	if !a.Conn.(*fakeConn).last(proto.TypePeerLeft, &left) || left.Peer.Name != "tina" {
		t.Fatalf("the app heard %+v", left)
	}
	var cc proto.ControlChanged
	if !a.Conn.(*fakeConn).last(proto.TypeControlChanged, &cc) || cc.Controller.Name != "theo" {
		t.Fatalf("control after the new owner joined: %+v", cc)
	}
}

// The organisation name the admin sets applies to the next consent
// question without a restart; unset, the relay's own applies.
func TestOrganisationSettingApplies(t *testing.T) {
	f, techs := newDeskFixture(t, proto.AssignOff, "tina")
	f.cfg.Organisation = "From the flag"
	f.restart()
	if got := f.m.Organisation(); got != "From the flag" {
		t.Fatalf("unset: %q", got)
	}
	if err := f.st.SetSetting(f.ctx, store.SettingOrganisation, "Acme IT"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.desk.Refresh(f.ctx); err != nil {
		t.Fatal(err)
	}
	a, id := f.request(techs[0], "")
	if _, err := f.m.Connect(f.ctx, techs[0], proto.Connect{SessionID: id}, noStage); err != nil {
		t.Fatal(err)
	}
	var req proto.ConsentRequest
	a.Conn.(*fakeConn).last(proto.TypeConsentRequest, &req)
	if req.Organisation != "Acme IT" {
		t.Fatalf("the consent question names %q", req.Organisation)
	}
}

// SOS Call: an app registering with a channel's token enters the
// channel's queue Ready with what its end user filled in, checked against
// the channel's intake form.
// TestCallFormTellsTheChannelsForm: the app learns the form of the
// channel whose page carries the token (fields not asked read as off) and
// the lists to choose from; an unknown token or SOS Call off gets the same
// ErrLinkUnknown sentence as registering.
func TestCallFormTellsTheChannelsForm(t *testing.T) {
	f, _ := newDeskFixture(t, proto.AssignOff, "tina")
	f.mac.SOSCall, f.mac.SOSToken = true, "calltoken"
	f.mac.Form = proto.IntakeForm{Name: proto.FieldOptional, Category: proto.FieldRequired, Priority: proto.FieldOff}
	if err := f.st.UpdateChannel(f.ctx, &f.mac); err != nil {
		t.Fatal(err)
	}
	f.restart()
	info, err := f.m.CallForm("calltoken")
	if err != nil {
		t.Fatal(err)
	}
	want := proto.IntakeForm{Name: proto.FieldOptional, Problem: proto.FieldOff, Category: proto.FieldRequired, Priority: proto.FieldOff}
	if info.Channel != "Mac support" || info.Form != want ||
		!slices.Equal(info.Categories, proto.DefaultCategories) || !slices.Equal(info.Priorities, proto.DefaultPriorities) {
		t.Fatalf("form info %+v", info)
	}
	_, regErr := f.m.RegisterAgent(f.ctx, f.agent(yes()), proto.AgentRegister{ChannelToken: "wrong"})
	if _, err := f.m.CallForm("wrong"); proto.CodeOf(err) != proto.ErrLinkUnknown || err.Error() != regErr.Error() {
		t.Fatalf("an unknown token: %v (registering: %v)", err, regErr)
	}
	if _, err := f.m.CallForm(""); proto.CodeOf(err) != proto.ErrLinkUnknown {
		t.Fatalf("no token: %v", err)
	}
	f.mac.SOSCall = false
	if err := f.st.UpdateChannel(f.ctx, &f.mac); err != nil {
		t.Fatal(err)
	}
	f.m.desk.Reload(f.ctx)
	if _, err := f.m.CallForm("calltoken"); proto.CodeOf(err) != proto.ErrLinkUnknown {
		t.Fatalf("SOS Call off: %v", err)
	}
}

func TestSOSCallRegistersARequest(t *testing.T) {
	f, techs := newDeskFixture(t, proto.AssignOff, "tina")
	f.mac.SOSCall, f.mac.SOSToken = true, "calltoken"
	f.mac.Form = proto.IntakeForm{Name: proto.FieldRequired, Problem: proto.FieldRequired, Category: proto.FieldOptional}
	if err := f.st.UpdateChannel(f.ctx, &f.mac); err != nil {
		t.Fatal(err)
	}
	f.restart()
	f.m.Subscribe(techs[0], false)
	reg := func(tok string, in *proto.Intake) (proto.AgentRegistered, error) {
		return f.m.RegisterAgent(f.ctx, f.agent(yes()), proto.AgentRegister{ChannelToken: tok, Intake: in, Language: "de-CH"})
	}
	if _, err := reg("wrong", &proto.Intake{Name: "Ann", Problem: "x"}); proto.CodeOf(err) != proto.ErrLinkUnknown {
		t.Fatalf("an unknown token: %v", err)
	}
	if _, err := reg("calltoken", &proto.Intake{Name: "Ann"}); err == nil || err.Error() != "Please describe your problem." {
		t.Fatalf("a missing required field: %v", err)
	}
	if _, err := reg("calltoken", &proto.Intake{Name: "Ann", Problem: "x", Category: "plumbing"}); proto.CodeOf(err) != proto.ErrBadRequest {
		t.Fatalf("an unknown category: %v", err)
	}
	r, err := reg("calltoken", &proto.Intake{Name: " Ann ", Problem: "The printer\nis jammed", Category: "hardware", Priority: "critical"})
	if err != nil {
		t.Fatal(err)
	}
	s := f.session(r.SessionID)
	if s.Kind != proto.KindCall || s.Status != proto.StatusReady || s.ChannelID != f.mac.ID || s.CustomerName != "Ann" ||
		s.Problem != "The printer\nis jammed" || s.Category != "hardware" || s.Priority != "" || s.Language != "de-CH" || s.Code != "" {
		t.Fatalf("the request: %+v", s)
	}
	var u proto.QueueUpdate
	if !techs[0].Conn.(*fakeConn).last(proto.TypeQueueUpdate, &u) || u.Session.ID != r.SessionID || u.Session.Problem == "" {
		t.Fatalf("tina was not offered the call: %+v", u.Session)
	}
	// SOS Call off: the token no longer works.
	f.mac.SOSCall = false
	if err := f.st.UpdateChannel(f.ctx, &f.mac); err != nil {
		t.Fatal(err)
	}
	f.m.desk.Reload(f.ctx)
	if _, err := reg("calltoken", &proto.Intake{Name: "Ann", Problem: "x"}); proto.CodeOf(err) != proto.ErrLinkUnknown {
		t.Fatalf("SOS Call off: %v", err)
	}
}
