package e2e

import (
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/agent/capture/testscreen"
)

// TestInputScript drives a 1920x1080 Xvfb through an input script: it types
// into a terminal, clicks and scrolls on a window that records what the X
// server delivered, sends clipboard text both ways, and leaves a button held
// that the agent must release when the session ends.
func TestInputScript(t *testing.T) {
	parallel(t)
	disp := xvfb(t, 1920, 1080)
	paint := newPainter(t, disp)
	show(t, paint, testImage(1920, 1080, 1))
	buttons := paint.Buttons()

	dir := t.TempDir()
	typed := filepath.Join(dir, "typed.txt")
	term := exec.Command("xterm", "-geometry", "80x24+0+0", "-e", "sh", "-c", "cat > "+typed)
	term.Env = append(os.Environ(), "DISPLAY="+disp)
	if err := term.Start(); err != nil {
		t.Fatalf("start xterm: %v", err)
	}
	t.Cleanup(func() { term.Process.Kill(); term.Wait() })
	waitFor(t, "the terminal to start", func() bool { _, err := os.Stat(typed); return err == nil })

	r := startRelay(t)
	tech := r.login(t, "admin", r.adminPW)
	sos := start(t, []string{"DISPLAY=" + disp}, "sos", "--relay", r.addr, "--fingerprint", r.fp, "--no-gui")
	code := sos.expect(codeLine)[1]

	scr := filepath.Join(dir, "script.txt")
	os.WriteFile(scr, []byte(strings.Join([]string{
		"move 100 100",
		"type echo Hello, World 42",
		"key Return",
		"move 1500 800",
		"click right",
		"wheel 2",
		"move 1200 300",
		"down left",
		"clipboard from the technician",
		"wait 3s",
		"snapshot " + filepath.Join(dir, "after.png"),
	}, "\n")), 0o644)
	con := start(t, tech.env, "console", "connect", strings.ReplaceAll(code, " ", ""), "--input-script", scr)
	sos.expect(`Allow\?`)
	sos.say("y")
	con.expect(`Replaying the input script`)
	// Clipboard, technician to end user: on the X clipboard while the session runs.
	xenv := append(os.Environ(), "DISPLAY="+disp)
	waitFor(t, "the technician's clipboard text on the X clipboard", func() bool {
		cmd := exec.Command("xclip", "-o", "-selection", "clipboard", "-t", "UTF8_STRING")
		cmd.Env = xenv
		out, _ := cmd.Output()
		return string(out) == "from the technician"
	})
	// End user to technician: something else copies text.
	cp := exec.Command("xclip", "-i", "-selection", "clipboard")
	cp.Env, cp.Stdin = xenv, strings.NewReader("from the end user")
	if err := cp.Run(); err != nil {
		t.Fatalf("xclip: %v", err)
	}
	con.expect(`The end user's clipboard: "from the end user"`)
	con.expect(`Input script done`)
	if c := con.wait(); c != 0 {
		t.Fatalf("console exit %d", c)
	}

	waitFor(t, "the typed line", func() bool {
		b, _ := os.ReadFile(typed)
		return string(b) == "echo Hello, World 42\n"
	})
	want := []testscreen.ButtonEvent{
		ev(true, 3, 1500, 800), ev(false, 3, 1500, 800), // click right
		ev(true, 5, 1500, 800), ev(false, 5, 1500, 800), ev(true, 5, 1500, 800), ev(false, 5, 1500, 800), // wheel 2 (down)
		ev(true, 1, 1200, 300),  // down left
		ev(false, 1, 1200, 300), // released by the agent when the session ended
	}
	for i, w := range want {
		select {
		case got := <-buttons:
			if got != w {
				t.Fatalf("X event %d: %+v, want %+v", i, got, w)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("X event %d (%+v) never came", i, w)
		}
	}
	loc := exec.Command("xdotool", "getmouselocation")
	loc.Env = append(os.Environ(), "DISPLAY="+disp)
	out, err := loc.CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "x:1200 y:300 ") {
		t.Fatalf("pointer: %q %v", out, err)
	}
	// The snapshot shows the pointer (sent apart from the frames) where it is.
	snap := readPNG(t, filepath.Join(dir, "after.png"))
	bg := testImage(1920, 1080, 1)
	differs := func(x0, y0 int) int {
		n := 0
		for y := y0 - 12; y < y0+12; y++ {
			for x := x0 - 12; x < x0+12; x++ {
				r, g, b, _ := snap.At(x, y).RGBA()
				w := bg.RGBAAt(x, y)
				if absDiff(int(r>>8), int(w.R))+absDiff(int(g>>8), int(w.G))+absDiff(int(b>>8), int(w.B)) > 150 {
					n++
				}
			}
		}
		return n
	}
	if n := differs(1200, 300); n < 20 {
		t.Fatalf("no pointer drawn at 1200,300 (%d pixels differ)", n)
	}
	if n := differs(600, 700); n > 5 {
		t.Fatalf("the screen away from the pointer differs (%d pixels)", n)
	}
}

func absDiff(a, b int) int {
	if a < b {
		return b - a
	}
	return a - b
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func ev(press bool, button, x, y int) testscreen.ButtonEvent {
	return testscreen.ButtonEvent{Press: press, Button: button, X: x, Y: y}
}

// waitFor polls cond for up to 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 20s for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
