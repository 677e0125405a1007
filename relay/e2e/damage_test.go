package e2e

import (
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/agent/capture/testscreen"
)

// TestScreenChangesArriveInPieces: after the first frame, only damaged
// rectangles are grabbed and only their macroblocks coded. Small windows
// appear one after another on a 1920x1080 Xvfb while the technician
// watches; once the screen is still, the technician's picture matches the
// whole screen as the X server has it (the pieces land in the right places
// and nothing else moved), each piece refined to near-lossless and unlike
// the picture before it.
func TestScreenChangesArriveInPieces(t *testing.T) {
	disp := xvfb(t, 1920, 1080)
	before := testImage(1920, 1080, 0)
	show(t, newPainter(t, disp), before)
	r := startRelay(t)
	tech := r.login(t, "admin", r.adminPW)
	// -v: the agent's frame lines show in the log when the test fails.
	sos := start(t, []string{"DISPLAY=" + disp}, "sos", "--relay", r.addr, "--fingerprint", r.fp, "--no-gui", "-v")
	code := sos.expect(codeLine)[1]
	dir := t.TempDir()
	scr := filepath.Join(dir, "script.txt")
	after := filepath.Join(dir, "after.png")
	os.WriteFile(scr, []byte("wait 6s\nsnapshot "+after+"\n"), 0o644)
	con := start(t, tech.env, "console", "connect", strings.ReplaceAll(code, " ", ""), "--input-script", scr)
	sos.expect(`Allow\?`)
	sos.say("y")
	con.expect(`Replaying the input script`)
	time.Sleep(time.Second) // the first frame is whole; what follows comes in pieces
	// Away from the screen's centre, where the pointer is (the snapshot
	// shows it, the X server's image does not).
	pieces := []image.Rectangle{
		image.Rect(100, 100, 260, 180), image.Rect(1700, 900, 1718, 1000), image.Rect(803, 300, 911, 341), image.Rect(0, 1060, 1920, 1080),
	}
	for i, rect := range pieces {
		w, err := testscreen.NewWindow(disp, rect)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Close)
		if err := w.Show(testImage(rect.Dx(), rect.Dy(), i+1)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	con.expect(`Input script done`)
	if c := con.wait(); c != 0 {
		t.Fatalf("console exit %d", c)
	}
	want, err := testscreen.Grab(disp)
	if err != nil {
		t.Fatal(err)
	}
	mean, bad := compare(t, want, after)
	t.Logf("after the pieces: mean difference %.2f per channel, %.3f%% of pixels off by more than 48", mean, bad*100)
	if mean > maxMeanDiff/2 || bad > maxBadShare/3 {
		t.Fatalf("the technician's picture does not match the screen after small changes: %.2f, %.2f%%", mean, bad*100)
	}
	got := readPNG(t, after)
	for i, rect := range pieces {
		now, old := meanIn(got, want, rect), meanIn(got, before, rect)
		t.Logf("piece %d at %v: %.2f from the screen, %.2f from before it", i, rect, now, old)
		// Refined: within 4 levels (a piece left at normal quality is ~10 off).
		if now > 4 || old < 3*maxMeanDiff {
			t.Fatalf("piece %d at %v: differs by %.2f from the screen and by %.2f from before it", i, rect, now, old)
		}
	}
}

// meanIn is the mean absolute difference per channel of a and b inside r.
func meanIn(a, b image.Image, r image.Rectangle) float64 {
	var sum, n float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			for _, d := range []float64{float64(r1>>8) - float64(r2>>8), float64(g1>>8) - float64(g2>>8), float64(b1>>8) - float64(b2>>8)} {
				if d < 0 {
					d = -d
				}
				sum += d
				n++
			}
		}
	}
	return sum / n
}
