package e2e

import (
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/agent/capture/testscreen"
)

// The colours the drawing tests draw in, and the desktop's.
var (
	magenta = color.RGBA{0xe0, 0x20, 0xe0, 0xff}
	cyan    = color.RGBA{0x20, 0xd0, 0xe0, 0xff}
	desktop = color.RGBA{0x30, 0x60, 0xa0, 0xff}
)

// deskWindow covers the display with a window of the desktop's colour as
// its background, which the X server repaints by itself when the overlay
// stops covering it (as a desktop's windows repaint on Expose; the
// painter's image would come back black).
func deskWindow(t *testing.T, disp string) {
	t.Helper()
	if err := newPainter(t, disp).ToggleOnClick(0x3060a0, 0x3060a0); err != nil {
		t.Fatal(err)
	}
}

// drawScreen grabs the end user's X display, as the end user sees it.
func drawScreen(t *testing.T, disp string) *image.RGBA {
	t.Helper()
	img, err := testscreen.Grab(disp)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// drawSession starts a w x h display covered by the desktop's colour, a
// relay, a signed-in technician and the SOS app (terminal) on the display,
// which shows its code.
func drawSession(t *testing.T, w, h int) (disp string, tech technician, sos *proc, code string) {
	t.Helper()
	disp = xvfb(t, w, h)
	deskWindow(t, disp)
	r := startRelay(t)
	tech = r.login(t, "admin", r.adminPW)
	sos = start(t, []string{"DISPLAY=" + disp}, "sos", "--relay", r.addr, "--fingerprint", r.fp, "--no-gui")
	return disp, tech, sos, strings.ReplaceAll(sos.expect(codeLine)[1], " ", "")
}

// clearedThenDone checks that the desktop shows again at p, where a shape
// was, and that the console's script ends well.
func clearedThenDone(t *testing.T, disp string, p image.Point, con *proc) {
	t.Helper()
	if got := drawScreen(t, disp).RGBAAt(p.X, p.Y); got != desktop {
		t.Errorf("after the clear %v is %v, want the desktop's %v", p, got, desktop)
	}
	con.expect(`Input script done`)
	if c := con.wait(); c != 0 {
		t.Fatalf("console exit %d", c)
	}
}

// sameColour reports whether a and b differ by at most 24 in each channel.
func sameColour(a, b color.RGBA) bool {
	return absDiff(int(a.R), int(b.R)) <= 24 && absDiff(int(a.G), int(b.G)) <= 24 && absDiff(int(a.B), int(b.B)) <= 24
}

// TestDrawOnEndUserScreen: a technician with control draws through an input
// script; the rectangle is in the end user's X display (and in the picture
// the technician receives), the desktop shows inside and around it, the
// technician's clear removes it, and the end user's /clear removes the next
// shape, which the console hears of.
func TestDrawOnEndUserScreen(t *testing.T) {
	parallel(t)
	disp, tech, sos, code := drawSession(t, 1280, 720)

	dir := t.TempDir()
	snap := filepath.Join(dir, "drawn.png")
	scr := filepath.Join(dir, "script.txt")
	os.WriteFile(scr, []byte(strings.Join([]string{
		"draw rect 200 150 400 300 magenta", // edges at x 200 and 599, y 150 and 449
		"wait 2s",
		"snapshot " + snap,
		"wait 6s",
		"draw clear",
		"draw ellipse 700 100 300 300 #20d0e0", // leftmost point 700,249
		"wait 15s",
	}, "\n")), 0o644)
	con := start(t, tech.env, "console", "connect", code, "--input-script", scr)
	sos.expect(`Allow\?`)
	sos.say("y")

	con.expect(`Drawn on the end user's screen: rect \(1 shapes shown\)`)
	img := drawScreen(t, disp)
	for _, p := range []image.Point{{200, 300}, {599, 300}, {400, 150}, {400, 449}} {
		if got := img.RGBAAt(p.X, p.Y); !sameColour(got, magenta) {
			t.Errorf("the rectangle's edge at %v is %v on the end user's screen, want magenta", p, got)
		}
	}
	for _, p := range []image.Point{{400, 300}, {100, 100}, {650, 500}} {
		if got := img.RGBAAt(p.X, p.Y); got != desktop {
			t.Errorf("%v is %v, want the desktop's %v (the overlay covers only its strokes)", p, got, desktop)
		}
	}
	sos.expect(`A technician is drawing on your screen\. Type /clear`)

	// Being on the screen, the drawing is in the picture the technician gets.
	con.expect(`Saved the screen to`)
	shot := readPNG(t, snap)
	n := 0
	for y := 250; y < 350; y++ {
		for x := 195; x < 205; x++ {
			r, g, b, _ := shot.At(x, y).RGBA()
			if sameColour(color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 0xff}, magenta) {
				n++
			}
		}
	}
	if n < 100 {
		t.Errorf("the technician's picture shows %d magenta pixels along the rectangle's left edge, want at least 100 of 1000", n)
	}

	con.expect(`Cleared the drawing on the end user's screen`)
	con.expect(`Drawn on the end user's screen: ellipse \(1 shapes shown\)`)
	img = drawScreen(t, disp)
	if got := img.RGBAAt(200, 300); got != desktop {
		t.Errorf("after the technician cleared, the rectangle's edge is %v, want the desktop's %v", got, desktop)
	}
	if got := img.RGBAAt(700, 249); !sameColour(got, cyan) {
		t.Errorf("the ellipse's leftmost point is %v, want cyan", got)
	}

	// The end user clears it from the terminal app.
	sos.say("/clear")
	con.expect(`The end user cleared the drawing\.`)
	clearedThenDone(t, disp, image.Pt(700, 249), con)
}

// TestDrawRefusedViewOnly: a technician the end user allowed to view only
// gets no drawing channel from the app; the script stops with the reason
// and nothing appears on the end user's screen.
func TestDrawRefusedViewOnly(t *testing.T) {
	parallel(t)
	disp, tech, sos, code := drawSession(t, 640, 480)
	scr := filepath.Join(t.TempDir(), "script.txt")
	os.WriteFile(scr, []byte("draw rect 100 100 200 200 magenta\n"), 0o644)
	con := start(t, tech.env, "console", "connect", code, "--input-script", scr)
	sos.expect(`Allow\?`)
	sos.say("v")
	con.expect(`The input script stopped: line 1 \(draw\): You cannot draw on the end user's screen: the end user did not allow you to control their computer\.`)
	if c := con.wait(); c == 0 {
		t.Fatal("the console reported success for a refused drawing")
	}
	img := drawScreen(t, disp)
	if got := img.RGBAAt(100, 200); got != desktop {
		t.Fatalf("the end user's screen at the rectangle's edge is %v, want the desktop's %v", got, desktop)
	}
}

// drawOnWindowsUnderWine: the Windows SOS app under Wine draws with its
// layered, click-through window: the rectangle is on the X display where
// drawn, the desktop shows through the window's key colour inside it, and
// the technician's clear takes it away.
func drawOnWindowsUnderWine(t *testing.T) {
	exe := windowsExe(t, "sos")
	disp := xvfb(t, 1024, 768)
	deskWindow(t, disp)
	runner := wineRunner(t, disp)
	r := startRelay(t)
	tech := r.login(t, "admin", r.adminPW)
	sos := start(t, []string{"DISPLAY=" + disp}, runner, exe, "--relay", r.addr, "--fingerprint", r.fp, "--no-gui")
	code := strings.ReplaceAll(sos.expect(codeLine)[1], " ", "")
	scr := filepath.Join(t.TempDir(), "script.txt")
	os.WriteFile(scr, []byte("draw rect 200 150 400 300 magenta\nwait 6s\ndraw clear\nwait 2s\n"), 0o644)
	con := start(t, tech.env, "console", "connect", code, "--input-script", scr)
	sos.expect(`Allow\?`)
	sos.say("y")
	con.expect(`Drawn on the end user's screen: rect \(1 shapes shown\)`)
	img := drawScreen(t, disp)
	for _, p := range []image.Point{{200, 300}, {599, 300}, {400, 150}} {
		if got := img.RGBAAt(p.X, p.Y); !sameColour(got, magenta) {
			t.Errorf("the rectangle's edge at %v is %v on the X display, want magenta", p, got)
		}
	}
	for _, p := range []image.Point{{400, 300}, {100, 100}} {
		if got := img.RGBAAt(p.X, p.Y); got != desktop {
			t.Errorf("%v is %v, want the desktop's %v through the overlay's key colour", p, got, desktop)
		}
	}
	con.expect(`Cleared the drawing on the end user's screen`)
	clearedThenDone(t, disp, image.Pt(200, 300), con)
}
