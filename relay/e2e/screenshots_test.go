package e2e

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/adminapi"
)

// TestScreenshotKeptAndShownToTheEndUser: the real relay, sos --no-gui on
// a painted Xvfb and the console CLI. A screenshot taken with `console
// connect --screenshot` is kept with the session: `console screenshots`
// lists it with who took it, and the PNG `console screenshots get`
// downloads shows the painted screen (colour statistics, as the snapshot
// test). The link the app shows at the end lists it and serves the same
// PNG; once a technician made the session internal, the page no longer
// lists it and the download is refused.
func TestScreenshotKeptAndShownToTheEndUser(t *testing.T) {
	parallel(t)
	disp := xvfb(t, 1280, 720)
	paint := newPainter(t, disp)
	want := testImage(1280, 720, 1)
	show(t, paint, want)
	r := startRelay(t)
	tech := r.login(t, "admin", r.adminPW)

	sos := start(t, []string{"DISPLAY=" + disp}, "sos", "--relay", r.addr, "--fingerprint", r.fp, "--no-gui")
	code := strings.ReplaceAll(sos.expect(codeLine)[1], " ", "")
	con := start(t, tech.env, "console", "connect", code, "--screenshot")
	sos.expect(`Allow\?`)
	sos.say("y")
	m := con.expect(`Kept screenshot (\S+) \(1280x720, \d+ bytes\) with session (\S+)\.`)
	shotID, sid := m[1], m[2]
	if c := con.wait(); c != 0 {
		t.Fatalf("console exit %d", c)
	}
	sos.expect(`Session ended by admin`)
	link := sos.expect(`The screenshots and recordings of this session, to open in your browser: (https://\S+/r/\S+)`)[1]
	if c := sos.wait(); c != 0 {
		t.Fatalf("sos exit %d", c)
	}

	// Listed with who took it.
	out, c := run(t, tech.env, "", "console", "screenshots", sid, "--json")
	var rec adminapi.Records
	if c != 0 || json.Unmarshal([]byte(out), &rec) != nil {
		t.Fatalf("console screenshots (%d): %s", c, out)
	}
	if len(rec.Screenshots) != 1 || rec.Screenshots[0].ID != shotID || rec.Screenshots[0].TakenBy != "admin" || rec.Visibility != "public" ||
		time.Since(rec.Screenshots[0].TakenAt) > 5*time.Minute {
		t.Fatalf("records %+v", rec)
	}
	if out, _ := run(t, tech.env, "", "console", "screenshots", sid); !regexp.MustCompile(shotID + `\s+\S+ \S+\s+admin\s+1280x720\s+no`).MatchString(out) {
		t.Fatalf("console screenshots: %s", out)
	}

	// The PNG shows the painted screen, and not another picture.
	file := filepath.Join(t.TempDir(), "shot.png")
	if out, c := run(t, tech.env, "", "console", "screenshots", "get", shotID, "--out", file); c != 0 {
		t.Fatalf("console screenshots get (%d): %s", c, out)
	}
	mean, bad := compare(t, want, file)
	t.Logf("screenshot: mean difference %.2f per channel, %.3f%% of pixels off by more than 48", mean, bad*100)
	if mean > maxMeanDiff || bad > maxBadShare {
		t.Fatalf("the screenshot does not show the screen: mean difference %.2f, %.2f%% pixels off", mean, bad*100)
	}
	if m, _ := compare(t, testImage(1280, 720, 2), file); m < 3*maxMeanDiff {
		t.Fatalf("the screenshot also matches another image (mean difference %.2f): the check is blind", m)
	}

	// The end user's page lists it and serves the same PNG.
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: pinned(t, r.fp)}}
	get := func(url string) (int, []byte) {
		t.Helper()
		res, err := hc.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	status, page := get(link)
	href := regexp.MustCompile(`<a href="(/r/[^"]+/screenshots/` + shotID + `)" download>`).FindSubmatch(page)
	if status != 200 || href == nil || !strings.Contains(string(page), "Screenshot 1, taken by admin") {
		t.Fatalf("records page %d: %s", status, page)
	}
	pngURL := "https://" + r.addr + html.UnescapeString(string(href[1]))
	stored, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if status, b := get(pngURL); status != 200 || string(b) != string(stored) {
		t.Fatalf("download from the page: %d, %d bytes (want %d)", status, len(b), len(stored))
	}

	// Internal: the page says so and lists nothing; the download is refused.
	if out, c := run(t, tech.env, "", "console", "visibility", sid, "internal"); c != 0 || !strings.Contains(out, "is internal") {
		t.Fatalf("console visibility (%d): %s", c, out)
	}
	status, page = get(link)
	if status != 200 || strings.Contains(string(page), shotID) || !strings.Contains(string(page), `id="internal"`) {
		t.Fatalf("records page of an internal session %d: %s", status, page)
	}
	if status, _ := get(pngURL); status != http.StatusForbidden {
		t.Fatalf("download of an internal screenshot: %d", status)
	}
}
