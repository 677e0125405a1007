package api

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/adminapi"
	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/limit"
	"github.com/relaydesk/relaydesk/relay/store"
)

// testPNG is a w×h PNG, red with a blue first pixel.
func testPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		copy(img.Pix[i:], []byte{200, 30, 30, 255})
	}
	img.Set(0, 0, color.RGBA{0, 0, 255, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func (f *fixture) records(tok, id string) (adminapi.Records, reply) {
	f.t.Helper()
	r := f.do(http.MethodGet, "/api/v1/sessions/"+id+"/screenshots", tok, nil)
	var rec adminapi.Records
	if r.status == http.StatusOK {
		r.decode(f.t, &rec)
	}
	return rec, r
}

// A screenshot the session's owner uploads is kept with who took it and
// when, listed, downloadable byte for byte, and audited; the file is
// under <dir>/<session>/<id>.png.
func TestScreenshotIsKeptListedAndAudited(t *testing.T) {
	f := newFixture(t, limit.Rate{N: -1})
	at := time.Now().UTC().Truncate(time.Millisecond)
	f.h.cfg.Now = func() time.Time { return at }
	f.session("s1", f.mac.ID, "tina", at.Add(-time.Hour), "tina")
	tina := f.signIn("tina")
	shot := testPNG(t, 64, 48)
	r := f.do(http.MethodPost, "/api/v1/sessions/s1/screenshots?marked=true", tina, shot)
	if r.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	var sh adminapi.Screenshot
	r.decode(t, &sh)
	if sh.ID == "" || sh.SessionID != "s1" || sh.TakenBy != "tina" || !sh.TakenAt.Equal(at) || sh.Width != 64 || sh.Height != 48 ||
		sh.Size != int64(len(shot)) || !sh.Marked {
		t.Fatalf("answer %+v", sh)
	}
	onDisk, err := os.ReadFile(store.ScreenshotPath(f.h.cfg.Screenshots, "s1", sh.ID))
	if err != nil || !bytes.Equal(onDisk, shot) {
		t.Fatalf("the file under the data directory: %v (%d bytes)", err, len(onDisk))
	}
	rec, r := f.records(tina, "s1")
	if r.status != http.StatusOK || len(rec.Screenshots) != 1 || rec.Screenshots[0] != sh || rec.Visibility != "public" || !rec.MayChange {
		t.Fatalf("list: %d %+v", r.status, rec)
	}
	// carla manages the channel: she sees it too.
	if rec, r := f.records(f.signIn("carla"), "s1"); r.status != http.StatusOK || len(rec.Screenshots) != 1 {
		t.Fatalf("carla's list: %d %s", r.status, r.body)
	}
	got := f.do(http.MethodGet, "/api/v1/screenshots/"+sh.ID, tina, nil)
	if got.status != http.StatusOK || got.header.Get("Content-Type") != "image/png" || !bytes.Equal(got.body, shot) {
		t.Fatalf("download: %d %s, %d bytes", got.status, got.header.Get("Content-Type"), len(got.body))
	}
	evs := f.audits("screenshot.saved")
	if len(evs) != 1 || evs[0].Actor != "tina" || evs[0].SessionID != "s1" || evs[0].Detail["screenshot"] != sh.ID || evs[0].Detail["marked"] != "true" {
		t.Fatalf("audit %+v", evs)
	}
	if evs := f.audits("screenshot.read"); len(evs) != 1 || evs[0].SessionID != "s1" {
		t.Fatalf("read audit %+v", evs)
	}
	f.h.cfg.Screenshots = ""
	if r := f.do(http.MethodGet, "/api/v1/screenshots/"+sh.ID, tina, nil); r.status != http.StatusServiceUnavailable || !strings.Contains(r.sentence(t), "data directory") {
		t.Fatalf("download without a data directory: %d %s", r.status, r.body)
	}
}

// Who may not: without the permission (an override, a channel that
// narrows it away) 403 with the desk's sentence and api.refused; a
// technician in no relation to the session neither uploads (403) nor
// lists or downloads (404, as for an unknown session).
func TestScreenshotRefusals(t *testing.T) {
	f := newFixture(t, limit.Rate{N: -1})
	f.session("s1", f.mac.ID, "tina", time.Now())
	shot := testPNG(t, 8, 8)
	f.user("sam", store.RoleTechnician)
	tina, sam := f.signIn("tina"), f.signIn("sam")

	up := f.do(http.MethodPost, "/api/v1/sessions/s1/screenshots", tina, shot)
	if up.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", up.status, up.body)
	}
	var sh adminapi.Screenshot
	up.decode(t, &sh)

	if err := f.st.SetOverrides(f.ctx, f.users["tina"].ID, []store.Override{{Permission: proto.PermScreenshot, Allow: false}}); err != nil {
		t.Fatal(err)
	}
	before := len(f.audits("api.refused"))
	if r := f.do(http.MethodPost, "/api/v1/sessions/s1/screenshots", tina, shot); r.status != http.StatusForbidden || r.sentence(t) != "You may not take screenshots." {
		t.Fatalf("without the permission: %d %s", r.status, r.body)
	}
	if n := len(f.audits("api.refused")); n != before+1 {
		t.Fatalf("%d refusals audited, want 1", n-before)
	}
	if err := f.st.SetOverrides(f.ctx, f.users["tina"].ID, nil); err != nil {
		t.Fatal(err)
	}

	narrow := store.Channel{Name: "Kiosk", Groups: []int64{f.group.ID}, Narrow: []proto.Permission{proto.PermScreenshot}}
	if err := f.st.CreateChannel(f.ctx, &narrow); err != nil {
		t.Fatal(err)
	}
	f.session("k1", narrow.ID, "tina", time.Now())
	if r := f.do(http.MethodPost, "/api/v1/sessions/k1/screenshots", tina, shot); r.status != http.StatusForbidden || !strings.Contains(r.sentence(t), "does not allow screenshot") {
		t.Fatalf("a channel without screenshots: %d %s", r.status, r.body)
	}

	waiting := store.Session{ID: "w1", Kind: proto.KindLink, Status: proto.StatusWaiting, OwnerID: f.users["tina"].ID, ChannelID: f.mac.ID, CreatedAt: time.Now()}
	if err := f.st.CreateSession(f.ctx, &waiting, store.StatusEvent{SessionID: "w1", At: time.Now(), Status: proto.StatusWaiting}); err != nil {
		t.Fatal(err)
	}
	if r := f.do(http.MethodPost, "/api/v1/sessions/w1/screenshots", tina, shot); r.status != http.StatusConflict || !strings.Contains(r.sentence(t), "has seen the screen") {
		t.Fatalf("a session nobody joined: %d %s", r.status, r.body)
	}
	if r := f.do(http.MethodPost, "/api/v1/sessions/s1/screenshots", sam, shot); r.status != http.StatusForbidden {
		t.Fatalf("a stranger uploads: %d %s", r.status, r.body)
	}
	if _, r := f.records(sam, "s1"); r.status != http.StatusNotFound {
		t.Fatalf("a stranger lists: %d %s", r.status, r.body)
	}
	if _, r := f.records(sam, "nope"); r.status != http.StatusNotFound {
		t.Fatalf("an unknown session: %d %s", r.status, r.body)
	}
	if r := f.do(http.MethodGet, "/api/v1/screenshots/"+sh.ID, sam, nil); r.status != http.StatusNotFound {
		t.Fatalf("a stranger downloads: %d %s", r.status, r.body)
	}
	if r := f.do(http.MethodGet, "/api/v1/screenshots/a.b", tina, nil); r.status != http.StatusNotFound {
		t.Fatalf("a path for an ID: %d %s", r.status, r.body)
	}
	if rec, _ := f.records(tina, "s1"); len(rec.Screenshots) != 1 {
		t.Fatalf("refused uploads were kept: %+v", rec.Screenshots)
	}
}

// Bad bodies are refused with a sentence and nothing is kept: not a PNG,
// a PNG cut short, an empty body, one over the size limit, one whose
// pixels would be too many.
func TestScreenshotContentIsChecked(t *testing.T) {
	f := newFixture(t, limit.Rate{N: -1})
	f.session("s1", f.mac.ID, "tina", time.Now())
	tina := f.signIn("tina")
	good := testPNG(t, 32, 32)
	huge := make([]byte, adminapi.MaxScreenshot+1)
	copy(huge, good)
	var bomb bytes.Buffer
	png.Encode(&bomb, image.NewGray(image.Rect(0, 0, 8000, 8000)))
	for _, c := range []struct {
		name   string
		body   []byte
		status int
		says   string
	}{
		{"text", []byte("hello, this is not an image"), http.StatusBadRequest, "not a PNG"},
		{"jpeg-ish", []byte{0xff, 0xd8, 0xff, 0xe0, 0, 0x10}, http.StatusBadRequest, "not a PNG"},
		{"cut short", good[:len(good)/2], http.StatusBadRequest, "not a whole PNG"},
		{"empty", []byte{}, http.StatusBadRequest, "PNG"},
		{"too large", huge, http.StatusRequestEntityTooLarge, fmt.Sprintf("at most %d", adminapi.MaxScreenshot)},
		{"too many pixels", bomb.Bytes(), http.StatusBadRequest, "8000×8000"},
	} {
		r := f.do(http.MethodPost, "/api/v1/sessions/s1/screenshots", tina, c.body)
		if r.status != c.status || !strings.Contains(r.sentence(t), c.says) {
			t.Errorf("%s: %d %s; want %d saying %q", c.name, r.status, r.body, c.status, c.says)
		}
	}
	if rec, _ := f.records(tina, "s1"); len(rec.Screenshots) != 0 {
		t.Fatalf("bad uploads were kept: %+v", rec.Screenshots)
	}
	if entries, _ := os.ReadDir(f.h.cfg.Screenshots + "/s1"); len(entries) != 0 {
		t.Fatalf("files left behind: %v", entries)
	}
	f.h.cfg.Screenshots = ""
	if r := f.do(http.MethodPost, "/api/v1/sessions/s1/screenshots", tina, good); r.status != http.StatusServiceUnavailable || !strings.Contains(r.sentence(t), "data directory") {
		t.Fatalf("without a data directory: %d %s", r.status, r.body)
	}
}

// Visibility: public by default; the owner or a manager of the channel
// may make it internal (audited with from and to), a guest who took part
// may not (403, audited), a stranger does not see the session (404); a
// value other than public or internal is a 4xx with a sentence.
func TestVisibilityWhoMayChangeIt(t *testing.T) {
	f := newFixture(t, limit.Rate{N: -1})
	f.session("s1", f.mac.ID, "tina", time.Now(), "tina", "theo")
	f.user("sam", store.RoleTechnician)
	set := func(who, v string) reply {
		return f.do(http.MethodPut, "/api/v1/sessions/s1/visibility", f.signIn(who), map[string]string{"visibility": v})
	}
	if r := set("theo", "internal"); r.status != http.StatusForbidden || !strings.Contains(r.sentence(t), "owner or a manager") {
		t.Fatalf("a guest: %d %s", r.status, r.body)
	}
	if r := set("sam", "internal"); r.status != http.StatusNotFound {
		t.Fatalf("a stranger: %d %s", r.status, r.body)
	}
	if r := set("tina", "secret"); r.status/100 != 4 || r.sentence(t) == "" {
		t.Fatalf("an unknown visibility: %d %s", r.status, r.body)
	}
	if v, _ := f.st.SessionVisibility(f.ctx, "s1"); v != proto.VisibilityPublic {
		t.Fatalf("refused changes changed it: %q", v)
	}
	r := set("tina", "internal")
	var rec adminapi.Records
	if r.decode(t, &rec); r.status != http.StatusOK || rec.Visibility != "internal" {
		t.Fatalf("the owner: %d %s", r.status, r.body)
	}
	if r := set("carla", "public"); r.status != http.StatusOK {
		t.Fatalf("the channel's manager: %d %s", r.status, r.body)
	}
	evs := f.audits("session.visibility.changed")
	if len(evs) != 2 || evs[0].Actor != "tina" || evs[0].SessionID != "s1" || evs[0].Detail["from"] != "public" || evs[0].Detail["to"] != "internal" ||
		evs[1].Actor != "carla" || evs[1].Detail["to"] != "public" {
		t.Fatalf("audit %+v", evs)
	}
	if r := set("carla", "public"); r.status != http.StatusOK || len(f.audits("session.visibility.changed")) != 2 {
		t.Fatalf("setting what it is: %d, or audited a change that was none", r.status)
	}
	if rec, _ := f.records(f.signIn("theo"), "s1"); rec.MayChange || rec.Visibility != "public" {
		t.Fatalf("theo's view %+v", rec)
	}
}
