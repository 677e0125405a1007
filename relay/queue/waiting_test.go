package queue

import (
	"slices"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/store"
)

// callFixture is a desk fixture whose Mac channel takes SOS Calls on
// token "calltoken", asking nothing.
func callFixture(t *testing.T, techs ...string) (*deskFixture, []*Tech) {
	t.Helper()
	f, out := newDeskFixture(t, proto.AssignOff, techs...)
	f.mac.SOSCall, f.mac.SOSToken = true, "calltoken"
	if err := f.st.UpdateChannel(f.ctx, &f.mac); err != nil {
		t.Fatal(err)
	}
	f.restart()
	return f, out
}

// call registers an SOS Call from a new app; updates says whether the
// app takes QueuePosition and Participants.
func (f *deskFixture) call(updates bool) (*Agent, proto.AgentRegistered) {
	f.t.Helper()
	a := f.agent(yes())
	r, err := f.m.RegisterAgent(f.ctx, a, proto.AgentRegister{ChannelToken: "calltoken", Updates: updates})
	if err != nil {
		f.t.Fatal(err)
	}
	return a, r
}

// positions lists the QueuePosition messages a's app received, in order.
func positions(a *Agent) []proto.QueuePosition {
	c := a.Conn.(*fakeConn)
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []proto.QueuePosition
	for _, e := range c.sent {
		var p proto.QueuePosition
		if e.Type == proto.TypeQueuePosition && proto.Unmarshal(e.Body, &p) == nil {
			out = append(out, p)
		}
	}
	return out
}

// lastPosition is the newest QueuePosition a's app received.
func lastPosition(t *testing.T, a *Agent) proto.QueuePosition {
	t.Helper()
	ps := positions(a)
	if len(ps) == 0 {
		t.Fatal("the app was never told its position")
	}
	return ps[len(ps)-1]
}

func TestQueuePositionIsPushedWhenItChanges(t *testing.T) {
	f, techs := callFixture(t, "tina")
	tina := techs[0]
	a1, r1 := f.call(true)
	f.clk.Add(time.Minute)
	old, _ := f.call(false) // an app that predates QueuePosition
	f.clk.Add(time.Minute)
	a3, _ := f.call(true)
	f.clk.Add(time.Minute)
	a4, r4 := f.call(true)

	want := func(a *Agent, pos int) {
		t.Helper()
		if p := lastPosition(t, a); p.Position != pos || p.Channel != "Mac support" || p.Estimate != 0 {
			t.Fatalf("the app was told %+v, want position %d in Mac support without an estimate", p, pos)
		}
	}
	want(a1, 1)
	want(a3, 3)
	want(a4, 4)
	// Requests queued behind do not move those ahead: one message each.
	if n := len(positions(a1)); n != 1 {
		t.Fatalf("the first app got %d positions: %+v", n, positions(a1))
	}
	if n := len(positions(old)); n != 0 {
		t.Fatalf("an app without Updates got %d positions", n)
	}

	// Picked: the first hears who took it, everyone behind moves up.
	if _, err := f.m.Pick(f.ctx, tina, r1.SessionID); err != nil {
		t.Fatal(err)
	}
	if p := lastPosition(t, a1); p.Position != 0 || p.Technician != "tina" {
		t.Fatalf("the picked app was told %+v", p)
	}
	want(a3, 2)
	want(a4, 3)

	// Cancelled by its end user: those behind move up; the cancelled app
	// hears nothing more.
	if err := f.m.AgentEnd(f.ctx, a3, ""); err != nil {
		t.Fatal(err)
	}
	want(a4, 2)
	if n := len(positions(a3)); n != 2 {
		t.Fatalf("the cancelled app got %d positions: %+v", n, positions(a3))
	}

	// The app reconnects: the new connection is told again, unasked.
	f.m.AgentGone(a4)
	back := f.agent(yes())
	if _, err := f.m.RegisterAgent(f.ctx, back, proto.AgentRegister{ResumeKey: r4.ResumeKey, Updates: true}); err != nil {
		t.Fatal(err)
	}
	if ps := positions(back); len(ps) != 1 || ps[0].Position != 2 {
		t.Fatalf("the reconnected app was told %+v", ps)
	}

	// The request ahead expires: its app went away and did not come back
	// within the grace period.
	f.m.AgentGone(old)
	f.clk.Add(f.m.cfg.Grace)
	f.m.Sweep(f.ctx)
	if p := lastPosition(t, back); p.Position != 1 {
		t.Fatalf("after the request ahead expired: %+v", p)
	}
}

// pickedAfter registers a call, lets wait pass and has tech connect to
// it: one pick-up of that wait in the channel's history.
func (f *deskFixture) pickedAfter(tech *Tech, wait time.Duration) {
	f.t.Helper()
	_, r := f.call(false)
	f.clk.Add(wait)
	if _, err := f.m.Connect(f.ctx, tech, proto.Connect{SessionID: r.SessionID}, noStage); err != nil {
		f.t.Fatal(err)
	}
}

func TestWaitEstimateIsTheMedianPickUpTimeReadOnceAMinute(t *testing.T) {
	f, techs := callFixture(t, "tina")
	tina := techs[0]
	f.pickedAfter(tina, 2*time.Minute)
	f.pickedAfter(tina, 10*time.Minute)
	f.clk.Add(time.Minute)
	a, _ := f.call(true)
	if p := lastPosition(t, a); p.Position != 1 || p.Estimate != 0 {
		t.Fatalf("with two pick-ups in the history: %+v, want no estimate", p)
	}
	if err := f.m.AgentEnd(f.ctx, a, ""); err != nil {
		t.Fatal(err)
	}

	f.pickedAfter(tina, 4*time.Minute)
	f.clk.Add(time.Minute)
	w, _ := f.call(true)
	if p := lastPosition(t, w); p.Position != 1 || p.Estimate != 4*time.Minute {
		t.Fatalf("with pick-ups after 2, 4 and 10 minutes: %+v, want position 1, about 4 minutes", p)
	}

	// A fourth pick-up, after 30 minutes, makes the median 7 minutes; the
	// store is read again only when the estimate is a minute old, and the
	// waiting app is then told without asking.
	now := f.clk.Now()
	done := store.Session{ID: "history4", Kind: proto.KindCall, Status: proto.StatusClosed, ChannelID: f.mac.ID,
		CreatedAt: now.Add(-30 * time.Minute), ReadyAt: now.Add(-30 * time.Minute), StartedAt: now, EndedAt: now}
	if err := f.st.CreateSession(f.ctx, &done, store.StatusEvent{SessionID: done.ID, At: now, Status: proto.StatusClosed}); err != nil {
		t.Fatal(err)
	}
	f.clk.Add(59 * time.Second)
	f.m.Sweep(f.ctx)
	if got := f.m.WaitEstimate(f.mac.ID); got != 4*time.Minute {
		t.Fatalf("estimate within the minute: %s, want the cached 4m", got)
	}
	f.clk.Add(time.Second)
	f.m.Sweep(f.ctx)
	if p := lastPosition(t, w); p.Position != 1 || p.Estimate != 7*time.Minute {
		t.Fatalf("after a minute: %+v, want about 7 minutes", p)
	}
	n := len(positions(w))
	f.clk.Add(time.Minute)
	f.m.Sweep(f.ctx)
	if len(positions(w)) != n {
		t.Fatalf("an unchanged estimate was sent again: %+v", positions(w))
	}

	// Four hours on, the history is too old to say anything.
	f.clk.Add(4 * time.Hour)
	f.m.Sweep(f.ctx)
	if p := lastPosition(t, w); p.Estimate != 0 {
		t.Fatalf("after four hours: %+v, want no estimate", p)
	}
}

func TestMedian(t *testing.T) {
	m := time.Minute
	for _, c := range []struct {
		in   []time.Duration
		want time.Duration
	}{
		{nil, 0}, {[]time.Duration{m, 2 * m}, 0}, {[]time.Duration{9 * m, m, 3 * m}, 3 * m}, {[]time.Duration{m, 9 * m, 3 * m, 5 * m}, 4 * m},
	} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %s, want %s", c.in, got, c.want)
		}
	}
}

// lastParticipants is the newest Participants a's app received.
func lastParticipants(t *testing.T, a *Agent) []proto.Participant {
	t.Helper()
	var p proto.Participants
	if !a.Conn.(*fakeConn).last(proto.TypeParticipants, &p) {
		t.Fatal("the app was never told who is connected")
	}
	return p.List
}

func wantParticipants(t *testing.T, a *Agent, want ...string) {
	t.Helper()
	var got []string
	for _, p := range lastParticipants(t, a) {
		s := p.Peer.Name + " " + p.Peer.Role
		if p.Controls {
			s += " controls"
		}
		got = append(got, s)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("the app lists %q, want %q", got, want)
	}
}

func TestParticipantsFollowRolesAndControl(t *testing.T) {
	f, techs := callFixture(t, "tina", "theo")
	tina, theo := techs[0], techs[1]
	f.m.Subscribe(theo, false)
	a, r := f.call(true)
	old, rOld := f.call(false)
	id := r.SessionID
	if _, err := f.m.Connect(f.ctx, tina, proto.Connect{SessionID: id}, noStage); err != nil {
		t.Fatal(err)
	}
	wantParticipants(t, a, "tina owner controls")
	if err := f.m.Invite(f.ctx, tina, proto.Invite{SessionID: id, User: "theo"}); err != nil {
		t.Fatal(err)
	}
	if err := f.m.AnswerInvite(f.ctx, theo, proto.InviteAnswer{SessionID: id, Accept: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Connect(f.ctx, theo, proto.Connect{SessionID: id}, noStage); err != nil {
		t.Fatal(err)
	}
	wantParticipants(t, a, "tina owner controls", "theo guest")
	if _, err := f.m.Connect(f.ctx, f.carla, proto.Connect{SessionID: id, Monitor: true}, noStage); err != nil {
		t.Fatal(err)
	}
	wantParticipants(t, a, "tina owner controls", "theo guest", "carla supervisor")
	if err := f.m.Control(f.ctx, tina, proto.Control{SessionID: id, Action: proto.ControlGive, To: "theo"}); err != nil {
		t.Fatal(err)
	}
	wantParticipants(t, a, "tina owner", "theo guest controls", "carla supervisor")
	// A transfer to the guest: theo owns it, tina stays as a guest until
	// she leaves.
	if _, err := f.m.Transfer(f.ctx, tina, proto.Transfer{SessionID: id, ToUser: "theo"}); err != nil {
		t.Fatal(err)
	}
	wantParticipants(t, a, "theo owner controls", "tina guest", "carla supervisor")
	if err := f.m.TechEnd(f.ctx, tina, proto.End{SessionID: id}); err != nil {
		t.Fatal(err)
	}
	wantParticipants(t, a, "theo owner controls", "carla supervisor")
	if err := f.m.TechEnd(f.ctx, f.carla, proto.End{SessionID: id}); err != nil {
		t.Fatal(err)
	}
	wantParticipants(t, a, "theo owner controls")

	// An app without Updates hears only the older events.
	if _, err := f.m.Connect(f.ctx, tina, proto.Connect{SessionID: rOld.SessionID}, noStage); err != nil {
		t.Fatal(err)
	}
	var p proto.Participants
	if old.Conn.(*fakeConn).last(proto.TypeParticipants, &p) {
		t.Fatalf("an app without Updates was sent %+v", p)
	}
}
