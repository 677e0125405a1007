package api

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/adminapi"
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

// TestChannelRecordingPolicy: any technician reads a channel's recording
// policy; its manager sets it (audited, the store has it); a technician or
// the manager of another channel is refused; bad values are refused with a
// sentence and change nothing.
func TestChannelRecordingPolicy(t *testing.T) {
	f := newFixture(t, limit.Rate{N: -1})
	path := "/api/v1/channels/Mac%20support/recording"
	var got adminapi.ChannelRecording
	r := f.do(http.MethodGet, path, f.signIn("tina"), nil)
	if r.decode(t, &got); r.status != http.StatusOK || got != (adminapi.ChannelRecording{Policy: "off"}) {
		t.Fatalf("GET before any change: %d %s", r.status, r.body)
	}
	want := adminapi.ChannelRecording{Policy: "required", KeepDays: 30}
	r = f.do(http.MethodPut, path, f.signIn("carla"), want)
	if r.decode(t, &got); r.status != http.StatusOK || got != want {
		t.Fatalf("PUT by the channel's manager: %d %s", r.status, r.body)
	}
	if rs, err := f.st.ChannelRecording(f.ctx, f.mac.ID); err != nil || rs != (store.RecordSettings{Policy: proto.RecordRequired, KeepDays: 30}) {
		t.Fatalf("the store has %+v, %v", rs, err)
	}
	evs := f.audits("api.channel.recording")
	if len(evs) != 1 || evs[0].Actor != "carla" || evs[0].Detail["channel"] != "Mac support" || evs[0].Detail["policy"] != "required" ||
		evs[0].Detail["keep_days"] != "30" || evs[0].Detail["was"] != "off, 0 days" {
		t.Fatalf("audit events %+v", evs)
	}
	r = f.do(http.MethodGet, path, f.signIn("theo"), nil)
	if r.decode(t, &got); r.status != http.StatusOK || got != want {
		t.Fatalf("GET after the change: %d %s", r.status, r.body)
	}
	// Who may not manage the channel.
	other := "/api/v1/channels/" + f.channel("tom") + "/recording"
	for _, c := range []struct{ who, path string }{{"tina", path}, {"carla", other}} {
		refused := len(f.audits("api.refused"))
		r = f.do(http.MethodPut, c.path, f.signIn(c.who), adminapi.ChannelRecording{Policy: "off"})
		if r.status != http.StatusForbidden || r.sentence(t) == "" || len(f.audits("api.refused")) != refused+1 {
			t.Fatalf("PUT %s by %s: %d %s", c.path, c.who, r.status, r.body)
		}
	}
	// Bad values.
	for _, body := range []any{
		map[string]any{"policy": "sometimes", "keep_days": 1},
		map[string]any{"policy": "allowed", "keep_days": -1},
		map[string]any{"policy": "allowed", "keep_days": adminapi.MaxKeepDays + 1},
		map[string]any{"keep_days": 3},
	} {
		r = f.do(http.MethodPut, path, f.signIn("ada"), body)
		if r.status/100 != 4 || !strings.HasPrefix(r.sentence(t), "The request is not valid") {
			t.Fatalf("PUT %v: %d %s", body, r.status, r.body)
		}
	}
	if r = f.do(http.MethodPut, "/api/v1/channels/nope/recording", f.signIn("ada"), want); r.status != http.StatusNotFound ||
		r.sentence(t) != `There is no channel "nope".` {
		t.Fatalf("PUT on no channel: %d %s", r.status, r.body)
	}
	if rs, _ := f.st.ChannelRecording(f.ctx, f.mac.ID); rs != (store.RecordSettings{Policy: proto.RecordRequired, KeepDays: 30}) ||
		len(f.audits("api.channel.recording")) != 1 {
		t.Fatalf("refused changes changed the policy to %+v", rs)
	}
}
