package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/queue"
	"github.com/relaydesk/relaydesk/relay/record/recordtest"
	"github.com/relaydesk/relaydesk/relay/store"
)

// recordedSession starts a relay, an SOS app (--no-gui) on a w x h Xvfb
// showing variant 0 of the test image, and a console that connects with
// --record; the end user allows the connection. It returns them and the
// painter.
func recordedSession(t *testing.T, w, h int) (r *relay, tech technician, sos, con *proc, id string, paint func(variant int)) {
	t.Helper()
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Fatal("ffprobe is missing: installers/deps.sh installs ffmpeg")
	}
	disp := xvfb(t, w, h)
	painter := newPainter(t, disp)
	show(t, painter, testImage(w, h, 0))
	r = startRelay(t)
	tech = r.login(t, "admin", r.adminPW)
	sos = start(t, []string{"DISPLAY=" + disp}, "sos", "--relay", r.addr, "--fingerprint", r.fp, "--no-gui")
	code := strings.ReplaceAll(sos.expect(codeLine)[1], " ", "")
	con = start(t, tech.env, "console", "connect", code, "--record")
	sos.expect(`admin wants to connect to this computer.* Allow\?`)
	sos.say("y")
	id = con.expect(`Connected to session (\w+)`)[1]
	con.expect(`Asking the end user to allow a recording`)
	return r, tech, sos, con, id, func(v int) { show(t, painter, testImage(w, h, v)) }
}

// TestRecordingRefusedByTheEndUser: the end user says no; nothing is
// recorded, the technician reads why, and the session goes on.
func TestRecordingRefusedByTheEndUser(t *testing.T) {
	parallel(t)
	r, _, sos, con, id, _ := recordedSession(t, 640, 480)
	sos.expect(`admin wants to record this session \(your screen and the chat\)\. Allow\? \[y/N\]`)
	sos.say("n")
	sos.expect(`You did not allow the recording\.`)
	con.expect(`^Not recording: The end user did not allow the recording\.$`)
	sos.say("still here")
	con.expect(`^Chat from End user: still here$`)
	con.signal(syscall.SIGTERM)
	sos.expect(`Session ended by admin`)
	sos.wait()
	con.wait()
	if strings.Contains(sos.output(), "● Recording") {
		t.Fatalf("the app showed a recording:\n%s", sos.output())
	}
	st := r.openStore(t)
	if recs, err := st.SessionRecordings(context.Background(), id); err != nil || len(recs) != 0 {
		t.Fatalf("recordings after a refusal: %+v %v", recs, err)
	}
	if entries, _ := os.ReadDir(queue.RecordingsDir(r.data)); len(entries) != 0 {
		t.Fatalf("recordings folder holds %d entries after a refusal", len(entries))
	}
	evs, err := st.SessionEvents(context.Background(), id)
	if err != nil || !slices.ContainsFunc(evs, func(e store.StatusEvent) bool {
		return e.Detail == "recording refused: The end user did not allow the recording."
	}) {
		t.Fatalf("session history %+v %v lacks the refusal", evs, err)
	}
}

// TestRecordingWithConsentPlaysInAStandardPlayer records a session the
// end user agreed to, with the screen changing half way, then the end
// user stops it. The WebM is what ffprobe reads as VP8 at the screen's
// size, lasts as long as the recording ran, and its first and last
// frames (decoded by ffmpeg) show what was painted then; the chat of
// its time is in the sidecar.
func TestRecordingWithConsentPlaysInAStandardPlayer(t *testing.T) {
	const w, h = 1280, 720
	r, tech, sos, con, id, paint := recordedSession(t, w, h)
	sos.expect(`admin wants to record this session .* Allow\? \[y/N\]`)
	sos.say("y")
	sos.expect(`● Recording: admin is recording this session\. Type "stop recording" to stop it\.`)
	con.expect(`^Recording: on \(asked by admin\)\.$`)
	started := time.Now()
	time.Sleep(2 * time.Second) // recorded time, not a wait for something
	paint(2)
	sos.say("Recording test chat")
	con.expect(`^Chat from End user: Recording test chat$`)
	time.Sleep(2 * time.Second)
	sos.say("stop recording")
	recID := con.expect(`^Recording: off \(stopped by the end user\); recording (\w+)\.$`)[1]
	wall := time.Since(started)
	sos.expect(`Recording stopped \(stopped by the end user\)\.`)

	st := r.openStore(t)
	var rec store.Recording
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if recs, err := st.SessionRecordings(context.Background(), id); err == nil && len(recs) == 1 && !recs[0].Ended.IsZero() {
			rec = recs[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the recording was not finished in the store")
		}
	}
	con.signal(syscall.SIGTERM)
	sos.expect(`Session ended by admin`)
	link := sos.expect(`The screenshots and recordings of this session, to open in your browser: (https://\S+/r/\S+)`)[1]
	sos.wait()
	con.wait()

	kept := filepath.Join(queue.RecordingsDir(r.data), rec.Path)
	fi, err := os.Stat(kept)
	if err != nil || fi.Size() != rec.Bytes || rec.AskedBy != "admin" || rec.ID != recID {
		t.Fatalf("file %v %v, row %+v", fi, err, rec)
	}
	// The end user's records page offers the same file (the session is public).
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: pinned(t, r.fp)}}
	res, err := hc.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	records, _ := io.ReadAll(res.Body)
	res.Body.Close()
	href := regexp.MustCompile(`<a href="(/r/[^"]+/recordings/` + rec.ID + `)" download>`).FindSubmatch(records)
	if res.StatusCode != 200 || href == nil || !strings.Contains(string(records), "Recording 1, ") {
		t.Fatalf("records page %d: %s", res.StatusCode, records)
	}
	if res, err = hc.Get("https://" + r.addr + html.UnescapeString(string(href[1]))); err != nil {
		t.Fatal(err)
	}
	fromPage, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if want, _ := os.ReadFile(kept); res.StatusCode != 200 || string(fromPage) != string(want) {
		t.Fatalf("the recording from the records page: %d, %d bytes (want %d)", res.StatusCode, len(fromPage), len(want))
	}
	// The technician downloads it over the admin API; the history marks
	// the session.
	path := filepath.Join(t.TempDir(), "download.webm")
	out, code := run(t, tech.env, "", "console", "recording", "get", recID, "--out", path)
	if code != 0 || !strings.Contains(out, "Saved recording "+recID) {
		t.Fatalf("console recording get: %d %s", code, out)
	}
	if got, _ := os.ReadFile(path); len(got) != int(rec.Bytes) {
		t.Fatalf("downloaded %d bytes, the relay keeps %d", len(got), rec.Bytes)
	}
	if out, code := run(t, tech.env, "", "console", "recording", "get", recID, "--out", path); code != 1 || !strings.Contains(out, "exists already") {
		t.Fatalf("download over an existing file: %d %s", code, out)
	}
	out, code = run(t, tech.env, "", "console", "history", "--json")
	var page proto.HistoryPage
	if err := json.Unmarshal([]byte(out), &page); code != 0 || err != nil {
		t.Fatalf("console history --json: %d %v %s", code, err, out)
	}
	if i := slices.IndexFunc(page.Sessions, func(s proto.SessionInfo) bool { return s.ID == id }); i < 0 || page.Sessions[i].Recordings != 1 || page.Sessions[i].RecordedBytes != rec.Bytes {
		t.Fatalf("history does not mark the recorded session: %s", out)
	}
	p := recordtest.FFprobe(t, path)
	d := p.Seconds()
	t.Logf("recorded %s (wall %s): %d bytes, ffprobe duration %.3f s, row %s", rec.Duration, wall, rec.Bytes, d, rec.Duration)
	if len(p.Streams) != 1 || p.Streams[0].CodecName != "vp8" || p.Streams[0].Width != w || p.Streams[0].Height != h || p.Format.FormatName != "matroska,webm" {
		t.Fatalf("ffprobe: %+v", p)
	}
	if math.Abs(d-wall.Seconds()) > 1.5 || math.Abs(d-rec.Duration.Seconds()) > 0.1 {
		t.Fatalf("duration %.2f s, recorded for %.2f s (row %s)", d, wall.Seconds(), rec.Duration)
	}
	dir := t.TempDir()
	first, last := filepath.Join(dir, "first.png"), filepath.Join(dir, "last.png")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-frames:v", "1", first).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg first frame: %v %s", err, out)
	}
	// passthrough: by default ffmpeg fills the WebM's millisecond time
	// base with copies, a thousand pictures a second (a minute of CPU).
	if out, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-fps_mode", "passthrough", "-update", "1", last).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg last frame: %v %s", err, out)
	}
	// The timeline: 1 s in, the picture before the paint (2 s in); 0.5 s
	// before the end, the one after it (RTP timestamps put a still
	// spell one frame late once, and the paint showed seconds early).
	before, after := filepath.Join(dir, "at-1s.png"), filepath.Join(dir, "near-end.png")
	for _, c := range []struct {
		at   float64
		file string
	}{{1, before}, {d - 0.5, after}} {
		// The picture shown at c.at: the last frame up to then (-ss
		// would give the first frame after it, a paint half done).
		sel := fmt.Sprintf("select='lte(t,%.3f)'", c.at)
		if out, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-vf", sel, "-fps_mode", "passthrough", "-update", "1", c.file).CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg frame at %.1f s: %v %s", c.at, err, out)
		}
	}
	for _, c := range []struct {
		file           string
		variant, other int
	}{{first, 0, 2}, {last, 2, 0}, {before, 0, 2}, {after, 2, 0}} {
		mean, bad := compare(t, testImage(w, h, c.variant), c.file)
		t.Logf("%s: mean difference %.2f per channel, %.3f%% of pixels off by more than 48", filepath.Base(c.file), mean, bad*100)
		if mean > maxMeanDiff || bad > maxBadShare {
			keepPicture(t, "recording-"+filepath.Base(c.file), readPNG(t, c.file))
			t.Fatalf("%s does not show the painted screen: mean difference %.2f, %.2f%% pixels off", c.file, mean, bad*100)
		}
		if m, _ := compare(t, testImage(w, h, c.other), c.file); m < 3*maxMeanDiff {
			t.Fatalf("%s also matches the other picture (mean difference %.2f): the check is blind", c.file, m)
		}
	}
	side, err := os.ReadFile(strings.TrimSuffix(kept, ".webm") + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var evs []struct {
		Kind, From, Text string
	}
	if err := json.Unmarshal(side, &evs); err != nil {
		t.Fatalf("%v: %s", err, side)
	}
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Kind+":"+e.Text)
	}
	if strings.Join(kinds, "|") != "start:|chat:Recording test chat|stop:" {
		t.Fatalf("sidecar %s", side)
	}
}
