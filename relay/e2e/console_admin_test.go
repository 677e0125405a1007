package e2e

import (
	"context"
	"image"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/agent/capture/testscreen"
)

// TestConsoleAdministrationCreatesAChannel starts the real desktop console
// on Xvfb with the admin's saved login, opens Administration (offered
// because the relay's admin API, reached over HTTPS pinned to the relay's
// key, lists the admin's permissions), and creates a channel with SOS
// Call on by typing and clicking as a person would: the relay stores it
// and audits the change. A form error is refused in the window first,
// with nothing sent. The screenshot is kept as
// test-artifacts/console-admin.png.
func TestConsoleAdministrationCreatesAChannel(t *testing.T) {
	desk := xvfb(t, 1280, 800)
	r := startRelay(t)
	tech := r.login(t, "admin", r.adminPW)
	env := append([]string{"DISPLAY=" + desk, "XDG_DATA_HOME=" + t.TempDir()}, tech.env...)
	start(t, env, "console")

	grab := func() *image.RGBA {
		img, err := testscreen.Grab(desk)
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	xdo := func(args ...string) {
		t.Helper()
		cmd := exec.Command("xdotool", args...)
		cmd.Env = append(os.Environ(), "DISPLAY="+desk)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("xdotool %v: %v %s", args, err, out)
		}
	}
	click := func(x, y int) { xdo("mousemove", strconv.Itoa(x), strconv.Itoa(y), "click", "1") }

	// The window fills the display from its top left corner (no window
	// manager). The Administration button, right of History, appears
	// once the admin API answered: its area stops being plain.
	admin := image.Rect(105, 8, 240, 36)
	waitFor(t, "the Administration button", func() bool { return !plain(grab(), admin) })
	// The Administration tab appears right of Queue (its channel form
	// is filled in below). A click that lands while the window is still
	// settling is lost on a loaded machine: click again (the button only
	// brings an open tab to the front).
	tab := func() bool { return !plain(grab(), image.Rect(125, 50, 285, 75)) }
	for try := 1; ; try++ {
		click(170, 22)
		deadline := time.Now().Add(10 * time.Second)
		for !tab() && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if tab() {
			break
		}
		if try == 3 {
			keepPicture(t, "console-admin-no-tab.png", grab())
			t.Fatal("the Administration tab did not open after 3 clicks, 10 s apart")
		}
		t.Logf("no Administration tab 10 s after click %d; clicking again", try)
	}

	st := r.openStore(t)
	click(880, 142)
	xdo("type", "--delay", "20", "Mac support")
	click(516, 340)      // SOS Call on
	click(880, 614)      // SLA
	xdo("key", "ctrl+a") // replace 0s
	xdo("type", "--delay", "20", "soon")
	click(364, 778) // Save: refused in the window, nothing sent
	time.Sleep(time.Second)
	if chs, err := st.Channels(context.Background()); err != nil || len(chs) != 0 {
		t.Fatalf("a form with a bad SLA reached the relay: %+v %v", chs, err)
	}
	click(880, 614)
	xdo("key", "ctrl+a")
	xdo("type", "--delay", "20", "15m")
	click(364, 778)

	waitFor(t, "the channel in the relay's store", func() bool {
		chs, err := st.Channels(context.Background())
		return err == nil && len(chs) == 1
	})
	chs, _ := st.Channels(context.Background())
	if ch := chs[0]; ch.Name != "Mac support" || !ch.SOSCall || ch.SOSToken == "" || ch.SLA != 15*time.Minute {
		t.Fatalf("stored channel %+v", ch)
	}
	evs, err := st.AuditSince(context.Background(), time.Time{}, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	audited := false
	for _, e := range evs {
		audited = audited || (e.Kind == "api.channel.created" && e.Actor == "admin" && e.Detail["channel"] == "Mac support")
	}
	if !audited {
		t.Fatalf("no api.channel.created by admin among %d audit events", len(evs))
	}
	// The console reads the channels again: the new one is listed and
	// selected, with its SOS Call link (see the screenshot).
	waitFor(t, "the channel in the console's list", func() bool { return !plain(grab(), image.Rect(5, 128, 320, 156)) })
	time.Sleep(500 * time.Millisecond) // the form is shown in the same UI step; let it paint

	path := keepPicture(t, "console-admin.png", grab())
	t.Logf("console administration screenshot: %s", path)
}

// plain reports whether every pixel of r in img has the same colour.
func plain(img *image.RGBA, r image.Rectangle) bool {
	first := img.RGBAAt(r.Min.X, r.Min.Y)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if img.RGBAAt(x, y) != first {
				return false
			}
		}
	}
	return true
}
