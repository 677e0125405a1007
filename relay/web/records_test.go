package web

import (
	"context"
	"html"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/store"
	"github.com/relaydesk/relaydesk/relay/token"
)

// recordsLink stores a closed session of Tina with one screenshot (its
// PNG under the fixture's screenshots folder) and a records link to it.
func (f *fixture) recordsLink(t *testing.T) (tok, sid string, png []byte) {
	t.Helper()
	ctx := context.Background()
	link := f.link(t, proto.StatusClosed)
	s, err := f.st.SessionByLinkHash(ctx, token.Hash(link))
	if err != nil {
		t.Fatal(err)
	}
	f.h.cfg.Screenshots = filepath.Join(t.TempDir(), "screenshots")
	png = []byte("\x89PNG not decoded by the page")
	sh := store.Screenshot{ID: "SHOT1", SessionID: s.ID, TakenBy: "Tina", TakenAt: f.now.Add(-time.Minute), Width: 2, Height: 2, Size: 2048}
	if err := f.st.AddScreenshot(ctx, &sh); err != nil {
		t.Fatal(err)
	}
	path := store.ScreenshotPath(f.h.cfg.Screenshots, s.ID, sh.ID)
	os.MkdirAll(filepath.Dir(path), 0o700)
	if err := os.WriteFile(path, png, 0o600); err != nil {
		t.Fatal(err)
	}
	tok, hash := token.New()
	if err := f.st.AddRecordsLink(ctx, s.ID, hash, f.now, proto.MaxRecordsLinks); err != nil {
		t.Fatal(err)
	}
	return tok, s.ID, png
}

var screenshotHref = regexp.MustCompile(`<a href="(/r/[^"]+/screenshots/[^"]+)" download>([^<]+)</a>`)

// A public session's records page lists its screenshots with who took
// them and a download link, in the visitor's language; the download is
// the PNG and is audited. Once internal, the page says so and lists
// nothing, and the download is refused.
func TestRecordsPageFollowsVisibility(t *testing.T) {
	f := newFixture(t)
	tok, sid, png := f.recordsLink(t)
	res, body := f.get(t, "/r/"+tok, linuxUA, "")
	m := screenshotHref.FindStringSubmatch(body)
	if res.StatusCode != 200 || m == nil || !strings.Contains(body, "Screenshot 1, taken by Tina at 2026-11-22 09:59 UTC.") ||
		m[2] != "Download screenshot 1 (PNG, 2 KB)" || !strings.Contains(body, "Your session with Tina on 2026-11-22.") {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	if _, de := f.get(t, "/r/"+tok, linuxUA, "de-DE,de;q=0.9"); !strings.Contains(de, `<html lang="de">`) || !strings.Contains(html.UnescapeString(de), "Bildschirmfoto 1 herunterladen (PNG, 2 KB)") {
		t.Fatalf("German page: %s", de)
	}
	if _, nl := f.get(t, "/r/"+tok+"?lang=nl", linuxUA, ""); !strings.Contains(nl, "Schermafbeelding 1, gemaakt door Tina") {
		t.Fatalf("Dutch page: %s", nl)
	}
	res, got := f.get(t, m[1], linuxUA, "")
	if res.StatusCode != 200 || got != string(png) || res.Header.Get("Content-Type") != "image/png" ||
		!strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d %q %v", res.StatusCode, got, res.Header)
	}
	evs, _ := f.st.AuditEvents(context.Background(), 0, 100)
	if len(evs) == 0 || evs[len(evs)-1].Kind != "screenshot.downloaded" || evs[len(evs)-1].SessionID != sid || evs[len(evs)-1].Actor != "end user" {
		t.Fatalf("audit %+v", evs)
	}

	if err := f.st.SetSessionVisibility(context.Background(), sid, proto.VisibilityInternal); err != nil {
		t.Fatal(err)
	}
	res, body = f.get(t, "/r/"+tok, linuxUA, "")
	if res.StatusCode != 200 || screenshotHref.MatchString(body) || strings.Contains(body, "SHOT1") || !strings.Contains(body, `id="internal"`) ||
		!strings.Contains(body, "only the support team can open them") {
		t.Fatalf("internal: %d %s", res.StatusCode, body)
	}
	if res, got := f.get(t, m[1], linuxUA, ""); res.StatusCode != 403 || strings.Contains(got, "PNG") {
		t.Fatalf("download of an internal screenshot: %d %q", res.StatusCode, got)
	}
}

// A wrong token, an unknown screenshot, a session without screenshots,
// whose link does not reach another session's screenshot.
func TestRecordsPageRefusals(t *testing.T) {
	f := newFixture(t)
	tok, _, _ := f.recordsLink(t)
	res, body := f.get(t, "/r/not-a-token", linuxUA, "")
	if res.StatusCode != 404 || !strings.Contains(body, `role="alert"`) || !strings.Contains(body, "This link is not valid") {
		t.Fatalf("unknown token: %d %s", res.StatusCode, body)
	}
	if res, _ := f.get(t, "/r/not-a-token/screenshots/SHOT1", linuxUA, ""); res.StatusCode != 404 {
		t.Fatalf("screenshot through an unknown token: %d", res.StatusCode)
	}
	if res, _ := f.get(t, "/r/"+tok+"/screenshots/OTHER", linuxUA, ""); res.StatusCode != 404 {
		t.Fatalf("unknown screenshot: %d", res.StatusCode)
	}
	ctx := context.Background()
	third, hash := token.New()
	s3 := store.Session{ID: "empty", Kind: proto.KindCode, Status: proto.StatusClosed, CreatedAt: f.now}
	f.st.CreateSession(ctx, &s3, store.StatusEvent{SessionID: "empty", At: f.now, Status: proto.StatusClosed})
	f.st.AddRecordsLink(ctx, "empty", hash, f.now, 1)
	if res, body := f.get(t, "/r/"+third, linuxUA, ""); res.StatusCode != 200 || !strings.Contains(body, `id="nothing"`) || !strings.Contains(body, "Your support session on 2026-11-22.") {
		t.Fatalf("no screenshots: %d %s", res.StatusCode, body)
	}
	if res, _ := f.get(t, "/r/"+third+"/screenshots/SHOT1", linuxUA, ""); res.StatusCode != 404 {
		t.Fatalf("another session's screenshot through this link: %d", res.StatusCode)
	}
}

// The records page keeps the pages' conventions: no JavaScript, a skip
// link, landmarks, link texts, every language's wording complete.
func TestRecordsPageAccessibility(t *testing.T) {
	f := newFixture(t)
	tok, _, _ := f.recordsLink(t)
	for _, lang := range langOrder {
		rt := recordsCatalog[lang]
		v := reflect.ValueOf(rt)
		for i := range v.NumField() {
			if v.Field(i).String() == "" {
				t.Errorf("%s: %s has no wording", lang, v.Type().Field(i).Name)
			}
		}
		_, body := f.get(t, "/r/"+tok+"?lang="+lang, linuxUA, "")
		for _, want := range []string{`<html lang="` + lang + `">`, `<title>` + html.EscapeString(rt.Title), `<h1>`, `<h2>`, `class="skip" href="#main"`, `<main id="main">`, `<nav aria-label="`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: missing %s", lang, want)
			}
		}
		if strings.Contains(body, "<script") || strings.Contains(body, "onclick") {
			t.Errorf("%s: uses JavaScript", lang)
		}
	}
}

var recordingHref = regexp.MustCompile(`<a href="(/r/[^"]+/recordings/[^"]+)" download>([^<]+)</a>`)

// A public session's finished recordings are listed beside its
// screenshots and download as WebM (a player may ask for ranges); one
// still running or deleted by the retention sweep is not offered; once
// the session is internal, none is.
func TestRecordsPageOffersRecordings(t *testing.T) {
	f := newFixture(t)
	tok, sid, _ := f.recordsLink(t)
	ctx := context.Background()
	f.h.cfg.Recordings = filepath.Join(t.TempDir(), "recordings")
	webm := []byte("\x1a\x45\xdf\xa3 a WebM file, not decoded by the page")
	for _, r := range []store.Recording{
		{ID: "REC1", Started: f.now.Add(-3 * time.Minute), Ended: f.now.Add(-time.Minute), Duration: 95 * time.Second, Bytes: int64(len(webm))},
		{ID: "RUNNING", Started: f.now.Add(-30 * time.Second)},
		{ID: "SWEPT", Started: f.now.Add(-9 * time.Minute), Ended: f.now.Add(-8 * time.Minute), Duration: time.Minute, Deleted: f.now},
	} {
		r.SessionID, r.AskedBy, r.Path = sid, "Tina", filepath.Join(sid, r.ID+".webm")
		if err := f.st.CreateRecording(ctx, &r); err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(f.h.cfg.Recordings, sid), 0o700)
		os.WriteFile(filepath.Join(f.h.cfg.Recordings, r.Path), webm, 0o600)
	}
	res, body := f.get(t, "/r/"+tok, linuxUA, "")
	all := recordingHref.FindAllStringSubmatch(body, -1)
	if res.StatusCode != 200 || len(all) != 1 || !strings.HasSuffix(all[0][1], "/recordings/REC1") ||
		all[0][2] != "Download recording 1 (WebM video, 41 B)" || !strings.Contains(body, "Recording 1, 1m35s long, asked for by Tina.") ||
		!screenshotHref.MatchString(body) {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	res, got := f.get(t, all[0][1], linuxUA, "")
	if res.StatusCode != 200 || got != string(webm) || res.Header.Get("Content-Type") != "video/webm" ||
		!strings.Contains(res.Header.Get("Content-Disposition"), "attachment") || res.Header.Get("Accept-Ranges") != "bytes" {
		t.Fatalf("download: %d %q %v", res.StatusCode, got, res.Header)
	}
	evs, _ := f.st.AuditEvents(ctx, 0, 100)
	if len(evs) == 0 || evs[len(evs)-1].Kind != "recording.downloaded" || evs[len(evs)-1].Detail["recording"] != "REC1" {
		t.Fatalf("audit %+v", evs)
	}
	for _, id := range []string{"RUNNING", "SWEPT", "OTHER"} {
		if res, _ := f.get(t, "/r/"+tok+"/recordings/"+id, linuxUA, ""); res.StatusCode != 404 {
			t.Fatalf("recording %s: %d", id, res.StatusCode)
		}
	}
	if err := f.st.SetSessionVisibility(ctx, sid, proto.VisibilityInternal); err != nil {
		t.Fatal(err)
	}
	if res, body := f.get(t, "/r/"+tok, linuxUA, ""); recordingHref.MatchString(body) || !strings.Contains(body, `id="internal"`) {
		t.Fatalf("internal: %d %s", res.StatusCode, body)
	}
	if res, got := f.get(t, all[0][1], linuxUA, ""); res.StatusCode != 403 || strings.Contains(got, "WebM") {
		t.Fatalf("download of an internal recording: %d %q", res.StatusCode, got)
	}
}
