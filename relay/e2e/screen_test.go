package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// Snapshot tolerance: VP8 with 4:2:0 chroma is lossy, and a snapshot is the
// first frame (a keyframe of normal quality), so edges of 1-pixel strokes
// blur. The picture must match on average within 6 levels per channel, and
// fewer than 3% of pixels may be off by more than 48 levels.
const (
	maxMeanDiff = 6.0
	maxBadShare = 0.03
)

// TestScreenSnapshot paints a known image on a 1920x1080 Xvfb, connects
// with the real binaries, and checks the console's snapshot against it;
// then paints another image and checks that a later snapshot shows it.
func TestScreenSnapshot(t *testing.T) {
	disp := xvfb(t, 1920, 1080)
	paint := newPainter(t, disp)
	r := startRelay(t)
	tech := r.login(t, "admin", r.adminPW)
	dir := t.TempDir()

	for i, variant := range []int{0, 2} {
		want := testImage(1920, 1080, variant)
		show(t, paint, want)
		sos := start(t, []string{"DISPLAY=" + disp}, "sos", "--relay", r.addr, "--fingerprint", r.fp, "--no-gui")
		code := sos.expect(codeLine)[1]
		snap := filepath.Join(dir, "snap"+string(rune('a'+i))+".png")
		con := start(t, tech.env, "console", "connect", strings.ReplaceAll(code, " ", ""), "--snapshot", snap)
		sos.expect(`Allow\?`)
		sos.say("y")
		con.expect(`Saved the screen \(1920x1080\)`)
		if c := con.wait(); c != 0 {
			t.Fatalf("console exit %d", c)
		}
		sos.expect(`Session ended by admin`)
		if c := sos.wait(); c != 0 {
			t.Fatalf("sos exit %d", c)
		}
		mean, bad := compare(t, want, snap)
		t.Logf("snapshot %d: mean difference %.2f per channel, %.3f%% of pixels off by more than 48", i, mean, bad*100)
		if mean > maxMeanDiff || bad > maxBadShare {
			t.Fatalf("snapshot %d does not show the screen: mean difference %.2f, %.2f%% pixels off", i, mean, bad*100)
		}
		// The other variant must not match: the comparison can fail.
		if m, _ := compare(t, testImage(1920, 1080, variant+1), snap); m < 3*maxMeanDiff {
			t.Fatalf("snapshot %d also matches another image (mean difference %.2f): the check is blind", i, m)
		}
	}
}

// TestScreenThroughTURNOnly allows ICE no candidate but the relay's TURN
// (on the relay's own UDP port) on both sides: the screen still arrives.
func TestScreenThroughTURNOnly(t *testing.T) {
	disp := xvfb(t, 1920, 1080)
	paint := newPainter(t, disp)
	want := testImage(1920, 1080, 3)
	show(t, paint, want)
	r := startRelay(t)
	tech := r.login(t, "admin", r.adminPW)
	sos := start(t, []string{"DISPLAY=" + disp}, "sos", "--relay", r.addr, "--fingerprint", r.fp, "--no-gui", "--turn-only")
	code := sos.expect(codeLine)[1]
	snap := filepath.Join(t.TempDir(), "turn.png")
	con := start(t, tech.env, "console", "connect", strings.ReplaceAll(code, " ", ""), "--snapshot", snap, "--turn-only")
	sos.expect(`Allow\?`)
	sos.say("y")
	con.expect(`Saved the screen \(1920x1080\)`)
	con.expect(`Media path: relayed\.`)
	if c := con.wait(); c != 0 {
		t.Fatalf("console exit %d", c)
	}
	if mean, bad := compare(t, want, snap); mean > maxMeanDiff || bad > maxBadShare {
		t.Fatalf("snapshot through TURN does not show the screen: %.2f, %.2f%%", mean, bad*100)
	}
}
