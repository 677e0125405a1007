package api

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/limit"
	"github.com/relaydesk/relaydesk/relay/store"
)

// TestRecordingDownloadFollowsWhoSeesTheSession: the owner and a manager
// of the channel get the file; a technician outside the session gets the
// same 404 as for an unknown recording; a deleted one is gone.
func TestRecordingDownloadFollowsWhoSeesTheSession(t *testing.T) {
	f := newFixture(t, limit.Rate{N: -1})
	now := time.Now()
	s := store.Session{ID: "s1", Kind: proto.KindLink, Status: proto.StatusClosed, OwnerID: f.users["tina"].ID,
		ChannelID: f.mac.ID, CreatedAt: now, EndedAt: now}
	if err := f.st.CreateSession(f.ctx, &s, store.StatusEvent{SessionID: "s1", At: now, Status: s.Status, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	webm := filepath.Join(t.TempDir(), "r1.webm")
	os.WriteFile(webm, []byte("\x1a\x45\xdf\xa3 webm bytes"), 0o600)
	for _, r := range []store.Recording{
		{ID: "r1", SessionID: "s1", Started: now, Ended: now.Add(time.Minute), Path: webm, AskedBy: "tina", Bytes: 16},
		{ID: "r2", SessionID: "s1", Started: now, Ended: now.Add(time.Minute), Path: webm, AskedBy: "tina", Deleted: now},
	} {
		if err := f.st.CreateRecording(f.ctx, &r); err != nil {
			t.Fatal(err)
		}
	}
	for _, who := range []string{"tina", "carla", "ada"} {
		r := f.do(http.MethodGet, "/api/v1/recordings/r1", f.signIn(who), nil)
		if r.status != http.StatusOK || string(r.body) != "\x1a\x45\xdf\xa3 webm bytes" || r.header.Get("Content-Type") != "video/webm" {
			t.Fatalf("%s: %d %q %v", who, r.status, r.body, r.header)
		}
	}
	for _, c := range []struct{ who, id string }{{"theo", "r1"}, {"tina", "r2"}, {"tina", "nope"}} {
		r := f.do(http.MethodGet, "/api/v1/recordings/"+c.id, f.signIn(c.who), nil)
		if r.status != http.StatusNotFound || r.sentence(t) != "There is no recording "+c.id+" that you may see." {
			t.Fatalf("%s %s: %d %s", c.who, c.id, r.status, r.body)
		}
	}
	evs, _ := f.st.AuditEvents(f.ctx, 0, 100)
	n := 0
	for _, e := range evs {
		if e.Kind == "recording.downloaded" && e.Detail["recording"] == "r1" {
			n++
		}
	}
	if n != 3 {
		t.Fatalf("%d downloads audited, want 3", n)
	}
}
