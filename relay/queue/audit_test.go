package queue

import (
	"context"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// auditOf lists the audit events of one session as "kind actor by" lines.
func (f *fixture) auditOf(id string) []string {
	f.t.Helper()
	evs, err := f.st.AuditEvents(f.ctx, 0, 1000)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		if e.SessionID == id {
			out = append(out, e.Kind+" "+e.Actor+" "+e.Detail["by"])
		}
	}
	return out
}

func wantAudit(t *testing.T, got []string, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("audit:\n got %q\nwant %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("audit:\n got %q\nwant %q", got, want)
		}
	}
}

func TestAuditConsentReattachAndEnds(t *testing.T) {
	f := newFixture(t)

	// Refused, then timed out (the relay withdraws the request), then given;
	// a reattach asks nobody; the end user ends it.
	no := f.agent(no())
	reg, _ := f.m.RegisterAgent(f.ctx, no, proto.AgentRegister{})
	if _, err := f.m.Connect(f.ctx, f.tech, proto.Connect{Code: reg.Code}, noStage); proto.CodeOf(err) != proto.ErrConsentDenied {
		t.Fatal(err)
	}
	no.Conn.(*fakeConn).allow = nil
	if _, err := f.m.Connect(f.ctx, f.tech, proto.Connect{Code: reg.Code}, noStage); proto.CodeOf(err) != proto.ErrConsentTimeout {
		t.Fatal(err)
	}
	no.Conn.(*fakeConn).allow = yes()
	if _, err := f.m.Connect(f.ctx, f.tech, proto.Connect{Code: reg.Code}, noStage); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Connect(f.ctx, f.tech, proto.Connect{SessionID: reg.SessionID}, noStage); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Details(f.ctx, f.admin, reg.SessionID); err != nil {
		t.Fatal(err)
	}
	if err := f.m.AgentEnd(f.ctx, no, ""); err != nil {
		t.Fatal(err)
	}
	wantAudit(t, f.auditOf(reg.SessionID),
		"session.consent.asked aaron ", "session.consent.refused aaron ",
		"session.consent.asked aaron ", "session.consent.withdrawn aaron ", "session.consent.refused aaron ",
		"session.consent.asked aaron ", "session.consent.given aaron ", "session.connected aaron ",
		"session.reattached aaron ", "session.details.read boss ", "session.ended end user end user")

	// The relay: a technician who does not come back is detached, an app
	// that does not come back ends the session, a link nobody used expires.
	a := f.agent(yes())
	reg, _ = f.m.RegisterAgent(f.ctx, a, proto.AgentRegister{})
	f.m.Connect(f.ctx, f.tech, proto.Connect{Code: reg.Code}, noStage)
	f.m.TechGone(f.tech)
	f.clk.Add(3 * time.Minute)
	f.m.Sweep(f.ctx)
	f.m.AgentGone(a)
	f.clk.Add(3 * time.Minute)
	f.m.Sweep(f.ctx)
	got := f.auditOf(reg.SessionID)
	wantAudit(t, got[len(got)-2:], "session.detached relay ", "session.ended relay relay")

	link, err := f.m.CreateLink(f.ctx, f.tech, proto.LinkCreate{Expires: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	f.clk.Add(2 * time.Minute)
	f.m.Sweep(f.ctx)
	wantAudit(t, f.auditOf(link.SessionID), "link.created aaron ", "session.expired relay relay")
	if f.status(link.SessionID) != proto.StatusExpired {
		t.Fatal("link not expired")
	}
}

// An audit event is stored even when the request that caused it was
// cancelled (the technician gave up while the end user was asked).
func TestAuditSurvivesCancel(t *testing.T) {
	f := newFixture(t)
	a := f.agent(nil)
	reg, _ := f.m.RegisterAgent(f.ctx, a, proto.AgentRegister{})
	ctx, cancel := context.WithCancel(f.ctx)
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := f.m.Connect(ctx, f.tech, proto.Connect{Code: reg.Code}, noStage); err == nil {
		t.Fatal("connected without an answer")
	}
	wantAudit(t, f.auditOf(reg.SessionID), "session.consent.asked aaron ", "session.consent.withdrawn aaron ", "session.consent.refused aaron ")
}
