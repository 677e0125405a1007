package queue

import (
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
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
	var links, refused int
	for _, e := range f.auditOf(reg.SessionID) {
		switch e {
		case "session.records.link end user ":
			links++
		case "session.records.refused end user ":
			refused++
		}
	}
	if links != proto.MaxRecordsLinks || refused != 1 { // the guessed key; the empty one is refused unheard
		t.Fatalf("audit: %d links, %d refusals\n%q", links, refused, f.auditOf(reg.SessionID))
	}

	b, reg2 := f.activeSession()
	f.m.AgentEnd(f.ctx, b, "")
	f.clk.Add(10*time.Minute + time.Second)
	if _, err := f.m.RecordsLink(f.ctx, "", proto.RecordsLinkRequest{SessionID: reg2.SessionID, ResumeKey: reg2.ResumeKey}); proto.CodeOf(err) != proto.ErrSessionState || !strings.Contains(err.Error(), "10 minutes") {
		t.Fatalf("late: %v", err)
	}
}
