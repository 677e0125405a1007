package queue

import (
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/store"
	"github.com/relaydesk/relaydesk/relay/token"
)

// The records link goes only to the app that ran the session, after its
// end, within the rating window, a bounded number of times; its token is
// stored as a hash that leads to the session, and it says whether the
// session is internal.
func TestRecordsLinkOnlyForTheAppAfterTheEnd(t *testing.T) {
	f := newFixture(t)
	a, reg := f.activeSession()
	ask := func(key string) (proto.RecordsLink, error) {
		return f.m.RecordsLink(f.ctx, "198.51.100.7", proto.RecordsLinkRequest{SessionID: reg.SessionID, ResumeKey: key})
	}
	if _, err := ask(reg.ResumeKey); proto.CodeOf(err) != proto.ErrSessionState {
		t.Fatalf("while live: %v", err)
	}
	if err := f.m.AgentEnd(f.ctx, a, ""); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"", "guessed"} {
		if _, err := ask(key); proto.CodeOf(err) != proto.ErrSessionUnknown {
			t.Fatalf("key %q: %v", key, err)
		}
	}
	link, err := ask(reg.ResumeKey)
	if err != nil || link.Internal {
		t.Fatalf("%+v %v", link, err)
	}
	tok, ok := strings.CutPrefix(link.URL, f.m.cfg.LinkBase+proto.RecordsPath)
	if !ok || len(tok) < 22 { // 128 bits in base64
		t.Fatalf("URL %q", link.URL)
	}
	if id, err := f.st.RecordsLinkSession(f.ctx, token.Hash(tok)); err != nil || id != reg.SessionID {
		t.Fatalf("the token leads to %q %v", id, err)
	}
	if err := f.st.SetSessionVisibility(f.ctx, reg.SessionID, proto.VisibilityInternal); err != nil {
		t.Fatal(err)
	}
	if again, err := ask(reg.ResumeKey); err != nil || !again.Internal || again.URL == link.URL {
		t.Fatalf("asked again: %+v %v", again, err)
	}
	for range proto.MaxRecordsLinks - 2 {
		if _, err := ask(reg.ResumeKey); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ask(reg.ResumeKey); proto.CodeOf(err) != proto.ErrSessionState {
		t.Fatalf("beyond the limit: %v", err)
	}
	evs := f.auditKinds("session.records.link")
	if len(evs) != proto.MaxRecordsLinks || evs[0].Actor != actorEndUser || evs[0].SessionID != reg.SessionID {
		t.Fatalf("audit %+v", evs)
	}
	if len(f.auditKinds("session.records.refused")) != 1 { // the guessed key; the empty one names no session
		t.Fatalf("refusals %+v", f.auditKinds("session.records.refused"))
	}

	b, reg2 := f.activeSession()
	f.m.AgentEnd(f.ctx, b, "")
	f.clk.Add(10*time.Minute + time.Second)
	if _, err := f.m.RecordsLink(f.ctx, "", proto.RecordsLinkRequest{SessionID: reg2.SessionID, ResumeKey: reg2.ResumeKey}); proto.CodeOf(err) != proto.ErrSessionState || !strings.Contains(err.Error(), "10 minutes") {
		t.Fatalf("late: %v", err)
	}
}

// auditKinds lists the stored audit events of kind.
func (f *fixture) auditKinds(kind string) []store.AuditEvent {
	f.t.Helper()
	evs, err := f.st.AuditEvents(f.ctx, 0, 10000)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []store.AuditEvent
	for _, e := range evs {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}
