package e2e

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/relaydesk/relaydesk/agent/capture/testscreen"
)

// artifactDir is where end-to-end tests keep pictures for people to look
// at: $RELAYDESK_ARTIFACTS, or test-artifacts/ at the top of the repository.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("RELAYDESK_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "test-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// keepPicture saves img as name in the artifact directory and returns its path.
func keepPicture(t *testing.T, name string, img image.Image) string {
	t.Helper()
	path := filepath.Join(artifactDir(t), name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// blockColours are the saturated colours of testscreen.Image.
var blockColours = []color.RGBA{{200, 30, 30, 255}, {30, 170, 60, 255}, {40, 70, 200, 255}, {250, 200, 40, 255}}

// shares returns, for each block colour, the share of img's pixels within
// 24 levels of it.
func shares(img *image.RGBA) []float64 {
	counts := make([]float64, len(blockColours))
	for i := 0; i < len(img.Pix); i += 4 {
		r, g, b := int(img.Pix[i]), int(img.Pix[i+1]), int(img.Pix[i+2])
		for j, c := range blockColours {
			if absDiff(r, int(c.R)) < 24 && absDiff(g, int(c.G)) < 24 && absDiff(b, int(c.B)) < 24 {
				counts[j]++
			}
		}
	}
	n := float64(len(img.Pix) / 4)
	for j := range counts {
		counts[j] /= n
	}
	return counts
}

// showsRemote reports whether every block colour covers at least 2% of the
// console's screen: the remote picture is on it.
func showsRemote(img *image.RGBA) bool {
	for _, s := range shares(img) {
		if s < 0.02 {
			return false
		}
	}
	return true
}

// TestConsoleGUIShowsTheRemoteScreen starts the real desktop console on one
// Xvfb display with a saved login and --connect CODE, the SOS app on
// another display showing a known picture, and checks from a screenshot of
// the console's display that the remote screen is shown. The screenshot is
// kept as test-artifacts/console-gui.png.
func TestConsoleGUIShowsTheRemoteScreen(t *testing.T) {
	endUser := xvfb(t, 1280, 720)
	show(t, newPainter(t, endUser), testImage(1280, 720, 0))
	desk := xvfb(t, 1600, 1000)
	r := startRelay(t)
	tech := r.login(t, "admin", r.adminPW)

	sos := start(t, []string{"DISPLAY=" + endUser}, "sos", "--relay", r.addr, "--fingerprint", r.fp, "--no-gui")
	code := strings.ReplaceAll(sos.expect(codeLine)[1], " ", "")
	env := append([]string{"DISPLAY=" + desk, "XDG_DATA_HOME=" + t.TempDir()}, tech.env...)
	con := start(t, env, "console", "--connect", code, "--stats")
	sos.expect(`Allow\?`)

	// Before the end user allowed it, the console shows no remote screen:
	// the check below can fail.
	waitFor(t, "the console's window", func() bool {
		img, err := testscreen.Grab(desk)
		return err == nil && !isBlank(img)
	})
	before, err := testscreen.Grab(desk)
	if err != nil {
		t.Fatal(err)
	}
	if showsRemote(before) {
		t.Fatalf("the console shows the remote picture before consent: %v", shares(before))
	}

	sos.say("y")
	con.expect(`Screen .*: [\d.]+ fps received, [\d.]+ fps shown, .*(direct|relayed)\.`)
	var shot *image.RGBA
	waitFor(t, "the remote screen in the console's window", func() bool {
		shot, err = testscreen.Grab(desk)
		return err == nil && showsRemote(shot)
	})
	path := keepPicture(t, "console-gui.png", shot)
	t.Logf("console screenshot with the remote screen: %s (colour shares %.3f)", path, shares(shot))

	// Closing the console (SIGTERM) ends the session for the end user.
	con.signal(syscall.SIGTERM)
	sos.expect(`Session ended by admin`)
	if c := con.wait(); c != 0 {
		t.Fatalf("console exit %d", c)
	}
}

// isBlank reports whether img is one flat colour (nothing drawn yet).
func isBlank(img *image.RGBA) bool {
	for i := 4; i < len(img.Pix); i += 4 {
		if img.Pix[i] != img.Pix[0] || img.Pix[i+1] != img.Pix[1] || img.Pix[i+2] != img.Pix[2] {
			return false
		}
	}
	return true
}
