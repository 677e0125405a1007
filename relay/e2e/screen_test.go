package e2e

import (
	"image"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/agent/capture/testscreen"
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
	parallel(t)
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
// Then the same over TURN on the relay's TCP port, as behind a firewall
// that blocks UDP.
func TestScreenThroughTURNOnly(t *testing.T) {
	parallel(t)
	for _, tcp := range []bool{false, true} {
		name := "udp"
		if tcp {
			name = "tcp"
		}
		t.Run(name, func(t *testing.T) { screenThroughTURN(t, tcp) })
	}
}

func screenThroughTURN(t *testing.T, tcp bool) {
	disp := xvfb(t, 1920, 1080)
	paint := newPainter(t, disp)
	want := testImage(1920, 1080, 3)
	show(t, paint, want)
	r := startRelay(t)
	tech := r.login(t, "admin", r.adminPW)
	extra := []string{"--turn-only"}
	if tcp {
		extra = append(extra, "--turn-tcp")
	}
	sos := start(t, []string{"DISPLAY=" + disp}, "sos", append([]string{"--relay", r.addr, "--fingerprint", r.fp, "--no-gui"}, extra...)...)
	code := sos.expect(codeLine)[1]
	snap := filepath.Join(t.TempDir(), "turn.png")
	con := start(t, tech.env, "console", append([]string{"connect", strings.ReplaceAll(code, " ", ""), "--snapshot", snap}, extra...)...)
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

// TestDisplaySwitch runs a desktop of two monitors side by side (RandR
// monitors): the agent reports both, and after "display 1" the technician
// sees the second one, at its own size.
func TestDisplaySwitch(t *testing.T) {
	x, err := testscreen.StartXvfb(2304, 768)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(x.Close)
	if err := x.SetMonitors(image.Rect(0, 0, 1280, 720), image.Rect(1280, 0, 2304, 768)); err != nil {
		t.Fatal(err)
	}
	left, right := testImage(1280, 720, 0), testImage(1024, 768, 2)
	lw, err := testscreen.NewWindow(x.Display, image.Rect(0, 0, 1280, 720))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lw.Close)
	show(t, lw, left)
	rw, err := testscreen.NewWindow(x.Display, image.Rect(1280, 0, 2304, 768))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rw.Close)
	show(t, rw, right)

	r := startRelay(t)
	tech := r.login(t, "admin", r.adminPW)
	out, code := run(t, tech.env, "", "console", "link", "create")
	if code != 0 {
		t.Fatal(out)
	}
	sos := start(t, []string{"DISPLAY=" + x.Display}, "sos", "--link", strings.Fields(out)[0], "--fingerprint", r.fp, "--no-gui")
	sos.expect(`Waiting for admin`)
	q := queueOf(t, tech, false)
	if d := q[0].Device; d == nil || len(d.Displays) != 2 || d.Displays[1].Width != 1024 || d.Displays[1].Height != 768 {
		t.Fatalf("displays in the queue: %+v", q[0].Device)
	}
	dir := t.TempDir()
	scr := filepath.Join(dir, "script.txt")
	os.WriteFile(scr, []byte("snapshot "+filepath.Join(dir, "d0.png")+"\ndisplay 1\nwait 500ms\nsnapshot "+filepath.Join(dir, "d1.png")+"\n"), 0o644)
	con := start(t, tech.env, "console", "connect", "--session", q[0].ID, "--input-script", scr)
	sos.expect(`Allow\?`)
	sos.say("y")
	con.expect(`Input script done`)
	for file, want := range map[string]*image.RGBA{"d0.png": left, "d1.png": right} {
		mean, bad := compare(t, want, filepath.Join(dir, file))
		if mean > maxMeanDiff || bad > maxBadShare {
			t.Fatalf("%s does not show its display: %.2f, %.2f%%", file, mean, bad*100)
		}
	}
}

// TestBitrateFollowsTheNetwork streams a screen with motion over a link
// shaped to 1 Mbit/s (through the relay's TURN): congestion control brings
// the encoder's bitrate down from its 8 Mbit/s ceiling below the link's.
func TestBitrateFollowsTheNetwork(t *testing.T) {
	disp := xvfb(t, 1280, 720)
	show(t, newPainter(t, disp), testImage(1280, 720, 0))
	// Motion over the whole screen (like a video played full screen), 10
	// changes a second: more than the 1 Mbit/s link carries, so the link
	// congests and congestion control has something to follow. (A smaller
	// window's changes, coded alone since the damage pipeline, fit the
	// link: then nothing tells the estimate where the link's limit is.)
	motion(t, disp, image.Rect(0, 0, 1280, 720))
	r, px := shapedRelay(t)
	tech := r.login(t, "admin", r.adminPW)
	sos := start(t, []string{"DISPLAY=" + disp}, "sos", "--relay", px.addr(), "--fingerprint", r.fp, "--no-gui", "--turn-only", "-v")
	code := sos.expect(codeLine)[1]
	con := start(t, tech.env, "console", "connect", strings.ReplaceAll(code, " ", ""), "--turn-only", "-v")
	sos.expect(`Allow\?`)
	sos.say("y")
	con.expect(`Connected to session`)
	var seen []int
	for deadline := time.Now().Add(45 * time.Second); ; {
		kbps, _ := strconv.Atoi(sos.expect(`msg=bitrate kbps=([0-9]+)`)[1])
		seen = append(seen, kbps)
		if kbps < 900 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the bitrate did not come down below the link's 1000 kbit/s in 45 s: %v", seen)
		}
	}
	t.Logf("bitrate steps (kbit/s): %v", seen)
	// The picture on such a link: TestCongestedLinkRecovers.
}
