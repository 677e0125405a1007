package queue

import (
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/store"
)

// newInviteFixture has tina (who serves Mac support with theo) connected
// to a request of Ann's; theo and fred (who serves nothing) are signed in
// to consoles.
func newInviteFixture(t *testing.T) (f *deskFixture, tina, theo, fred *Tech, a *Agent, id string) {
	t.Helper()
	var techs []*Tech
	f, techs = newDeskFixture(t, proto.AssignOff, "tina", "theo")
	tina, theo = techs[0], techs[1]
	fred = f.user("fred", store.RoleTechnician)
	f.restart()
	f.m.Subscribe(theo, false)
	f.m.Subscribe(fred, false)
	a, id = f.request(tina, "")
	if _, err := f.m.Connect(f.ctx, tina, proto.Connect{SessionID: id}, noStage); err != nil {
		t.Fatal(err)
	}
	return f, tina, theo, fred, a, id
}

func TestOwnerRemovesAGuestOrWithdrawsAnInvitation(t *testing.T) {
	f, tina, theo, fred, a, id := newInviteFixture(t)
	if err := f.m.Invite(f.ctx, tina, proto.Invite{SessionID: id, User: "theo"}); err != nil {
		t.Fatal(err)
	}
	if err := f.m.AnswerInvite(f.ctx, theo, proto.InviteAnswer{SessionID: id, Accept: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Connect(f.ctx, theo, proto.Connect{SessionID: id}, noStage); err != nil {
		t.Fatal(err)
	}
	// Only the owner removes, and only a guest.
	for _, c := range []struct {
		who  *Tech
		user string
		want string
	}{
		{fred, "theo", "You are not connected to session"},
		{theo, "theo", "Only the session's owner removes guests; tina owns it."},
		{tina, "fred", "fred is not a guest of this session."},
		{tina, "", "(none) is not a guest of this session."},
	} {
		err := f.m.RemoveGuest(f.ctx, c.who, proto.GuestRemove{SessionID: id, User: c.user})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s removes %q: %v, want %q", c.who.User.Name, c.user, err, c.want)
		}
	}
	if err := f.m.RemoveGuest(f.ctx, tina, proto.GuestRemove{SessionID: id, User: "theo"}); err != nil {
		t.Fatal(err)
	}
	var left proto.PeerLeft
	if !theo.Conn.(*fakeConn).last(proto.TypePeerLeft, &left) || left.Reason != "removed by tina" {
		t.Fatalf("theo heard %+v", left)
	}
	if !a.Conn.(*fakeConn).last(proto.TypePeerLeft, &left) || left.Peer.Name != "theo" {
		t.Fatalf("the app heard %+v", left)
	}
	if ns := notices(theo.Conn, proto.NoticeRemoved); len(ns) != 1 || ns[0].Text != "tina removed you from the session of Ann." {
		t.Fatalf("theo's notices %+v", ns)
	}
	if st := f.status(id); st != proto.StatusActive {
		t.Fatalf("the session is %s after removing the guest", st)
	}
	if s := f.m.Live(tina.User); len(s) != 1 || len(s[0].Guests) != 0 {
		t.Fatalf("guests after the removal: %+v", s)
	}
	// Back without a new invitation: refused.
	if _, err := f.m.Connect(f.ctx, theo, proto.Connect{SessionID: id}, noStage); err == nil {
		t.Fatal("a removed guest joined again")
	}
	// A supervisor who monitors is not a guest to remove.
	if _, err := f.m.Connect(f.ctx, f.carla, proto.Connect{SessionID: id, Monitor: true}, noStage); err != nil {
		t.Fatal(err)
	}
	if err := f.m.RemoveGuest(f.ctx, tina, proto.GuestRemove{SessionID: id, User: "carla"}); err == nil || err.Error() != "carla is not a guest of this session." {
		t.Fatalf("tina removes the monitoring carla: %v", err)
	}
	// A pending invitation is withdrawn.
	if err := f.m.Invite(f.ctx, tina, proto.Invite{SessionID: id, User: "theo"}); err != nil {
		t.Fatal(err)
	}
	if err := f.m.RemoveGuest(f.ctx, tina, proto.GuestRemove{SessionID: id, User: "theo"}); err != nil {
		t.Fatal(err)
	}
	if ns := notices(theo.Conn, proto.NoticeRemoved); len(ns) != 2 || !strings.Contains(ns[1].Text, "withdrew the invitation") {
		t.Fatalf("theo's notices %+v", ns)
	}
	if err := f.m.AnswerInvite(f.ctx, theo, proto.InviteAnswer{SessionID: id, Accept: true}); err == nil || !strings.Contains(err.Error(), "You have no invitation") {
		t.Fatalf("accepting a withdrawn invitation: %v", err)
	}
}
