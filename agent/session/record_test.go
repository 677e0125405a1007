package session

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// recordUI is grantUI that also answers recording questions with allow
// and keeps the recording states it was shown.
type recordUI struct {
	grantUI
	allow  bool
	asked  []string
	states []proto.RecordState
}

func (u *recordUI) RecordConsent(_ context.Context, req proto.RecordConsent) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.asked = append(u.asked, req.Technician)
	return u.allow
}

func (u *recordUI) Recording(st proto.RecordState) {
	u.mu.Lock()
	u.states = append(u.states, st)
	u.mu.Unlock()
}

// TestAppAdmitsTheRecorderOnlyAfterItsEndUsersYes runs the app against a
// relay that sends the recorder's PeerJoined without asking, then after a
// refused question, then after a yes: only the last gets an offer, view
// only. A recording's end closes the recorder's stream; a new recording
// needs a new yes. A channel's "this session will be recorded" consent
// covers the recorder.
func TestAppAdmitsTheRecorderOnlyAfterItsEndUsersYes(t *testing.T) {
	r := startFakeRelay(t)
	ui := &recordUI{grantUI: grantUI{grants: map[int64]proto.Grant{2: proto.AllPermissions}}}
	ctx, ag, sh := sharingAgent(t, r, ui)
	if !ag.recordable() {
		t.Fatal("an app with a recording UI and a screen says it cannot be recorded")
	}
	conn := next(t, ctx, r.conns)
	recorder := func() {
		t.Helper()
		if err := conn.Send(proto.TypePeerJoined, &proto.PeerJoined{SessionID: "s1", Peer: proto.Peer{ID: proto.RecorderPeer, Name: "Recording", Role: proto.RoleRecorder}}); err != nil {
			t.Fatal(err)
		}
	}
	ask := func(want bool) {
		t.Helper()
		env, err := conn.Request(ctx, proto.TypeRecordConsent, &proto.RecordConsent{SessionID: "s1", Technician: "Tina"})
		var ans proto.RecordAnswer
		if err != nil || env.Type != proto.TypeRecordAnswer || env.Decode(&ans) != nil || ans.Allow != want {
			t.Fatalf("answer %+v %v, want allow %v", ans, err, want)
		}
	}
	noOffer := func(why string) {
		t.Helper()
		select {
		case got := <-r.offers:
			t.Fatalf("%s: an offer for peer %d", why, got)
		case <-time.After(300 * time.Millisecond):
		}
	}

	recorder()
	noOffer("unasked")
	ask(false)
	recorder()
	noOffer("refused")
	ui.mu.Lock()
	ui.allow = true
	ui.mu.Unlock()
	ask(true)
	recorder()
	if got := next(t, ctx, r.offers); got != proto.RecorderPeer {
		t.Fatalf("offer for peer %d, want the recorder", got)
	}
	if ch := sh.Channels(proto.RecorderPeer); len(ch) != 0 {
		t.Fatalf("the recorder got channels %v beside the screen", ch)
	}
	conn.Send(proto.TypeRecordState, &proto.RecordState{SessionID: "s1", On: true, By: "Tina"})
	conn.Send(proto.TypeRecordState, &proto.RecordState{SessionID: "s1", By: "Tina", Reason: "stopped by Tina"})
	waitFor(t, func() bool { return sh.Channels(proto.RecorderPeer) == nil && len(ui.statesCopy()) == 2 })
	recorder()
	noOffer("after the recording ended")
	ui.mu.Lock()
	if len(ui.joined) != 0 {
		t.Fatalf("the recorder was shown as a technician: %v", ui.joined)
	}
	ui.mu.Unlock()

	// The channel records every session: the consent question says so and covers it.
	if q := ConsentQuestion(proto.ConsentRequest{Technician: "Tina", Permissions: proto.AllPermissions, Recorded: true}, "relay.example.com"); !strings.HasSuffix(q, RecordedNotice) {
		t.Fatalf("question %q does not say the session is recorded", q)
	}
	env, err := conn.Request(ctx, proto.TypeConsentRequest, &proto.ConsentRequest{SessionID: "s1", Technician: "Tina", PeerID: 2, Permissions: proto.AllPermissions, Recorded: true})
	var ans proto.ConsentAnswer
	if err != nil || env.Decode(&ans) != nil || !ans.Allow {
		t.Fatalf("consent %+v %v", ans, err)
	}
	recorder()
	if got := next(t, ctx, r.offers); got != proto.RecorderPeer {
		t.Fatalf("offer for peer %d, want the recorder", got)
	}
}

func (u *recordUI) statesCopy() []proto.RecordState {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]proto.RecordState(nil), u.states...)
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the condition never held")
		}
	}
}
