package e2e

import (
	"encoding/json"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/relaydesk/relaydesk/agent/capture/testscreen"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// The Windows programs, cross-built once for all the Wine tests; the SOS
// app as a release build for the loopback relay, as an organisation would
// serve it.
var (
	winMu   sync.Mutex
	winExes = map[string]string{}
	winErr  error
)

// TestUnderWine runs the Windows programs under Wine, one test after the
// other (one Wine prefix, one wineserver, which each test's cleanup
// stops), beside the suite's other parallel tests: the first one builds
// the Windows SOS app, minutes of CPU on a machine without a build cache.
func TestUnderWine(t *testing.T) {
	parallel(t)
	t.Run("WindowsApp", windowsAppUnderWine)
	t.Run("WindowsCapture", windowsCaptureUnderWine)
	t.Run("WindowsConsole", windowsConsoleUnderWine)
	t.Run("DrawOnWindows", drawOnWindowsUnderWine)
}

// windowsExe returns a Windows program ("sos" or "console") built with
// installers/windows.sh (static libvpx and libyuv from the cache, mingw),
// with the Wine prefix prepared; it waits for prebuildWindows.
func windowsExe(t *testing.T, what string) string {
	t.Helper()
	winMu.Lock()
	defer winMu.Unlock()
	exe, err := winExe(what)
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// winExe builds what once and prepares the Wine prefix after the first
// build; winMu is held. The build runs at the lowest CPU priority (see
// prebuildWindows).
func winExe(what string) (string, error) {
	if winErr != nil {
		return "", winErr
	}
	if exe := winExes[what]; exe != "" {
		return exe, nil
	}
	out := filepath.Join(bin, what+"-windows-amd64.exe")
	b, err := exec.Command("nice", "-n", "19", "../../installers/windows.sh", what, out, "-X main.releaseRelays=127.0.0.1").CombinedOutput()
	if err != nil {
		winErr = &buildError{what: "build the Windows " + what, out: string(b), err: err}
		return "", winErr
	}
	if len(winExes) == 0 {
		// The first run prepares the prefix (about 30 s); the tests' own
		// runs then start in a second or two.
		if b, err := exec.Command("nice", "-n", "19", "../../installers/wine.sh", "cmd", "/c", "exit").CombinedOutput(); err != nil {
			winErr = &buildError{what: "prepare the Wine prefix", out: string(b), err: err}
			return "", winErr
		}
		// Its Wine server would live on a few seconds, niced: the tests
		// start their own.
		k := exec.Command("wineserver", "-k")
		k.Env = wineEnv("")
		k.Run()
	}
	winExes[what] = out
	return out, nil
}

// prebuildWindows builds the Windows programs and prepares the Wine
// prefix in the background from the start of the suite, when -run and
// -skip leave TestUnderWine in; the returned function waits for it. On a machine
// without a build cache that is minutes of CPU (every package again for
// Windows, cgo with mingw), which the serial tests at the start of the
// suite mostly leave idle: niced, the build takes what they leave instead
// of competing with the parallel tests later (a cold CI run took 1086 s
// in this package with the build inside TestUnderWine).
func prebuildWindows(run, skip string) (wait func()) {
	matches := func(pattern string) bool {
		top, _, _ := strings.Cut(pattern, "/")
		re, err := regexp.Compile(top)
		return err == nil && re.MatchString("TestUnderWine")
	}
	if run != "" && !matches(run) || skip != "" && !strings.Contains(skip, "/") && matches(skip) {
		return func() {}
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		winMu.Lock()
		defer winMu.Unlock()
		if _, err := winExe("sos"); err == nil {
			winExe("console")
		}
	})
	return wg.Wait
}

type buildError struct {
	what, out string
	err       error
}

func (e *buildError) Error() string { return e.what + ": " + e.err.Error() + "\n" + e.out }

// wineRunner is a program in bin that runs its arguments through
// installers/wine.sh, so start() can run Windows programs; stopping the
// Wine server of the prefix is left to the test's cleanup.
func wineRunner(t *testing.T, disp string) string {
	t.Helper()
	wine, err := filepath.Abs("../../installers/wine.sh")
	if err != nil {
		t.Fatal(err)
	}
	name := "wine-run"
	path := filepath.Join(bin, name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\nexec "+wine+" \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Every Windows process of the prefix (Notepad, the desktop) ends
		// with the test, so the next test's ones use its own display.
		k := exec.Command("wineserver", "-k")
		k.Env = wineEnv(disp)
		k.Run()
	})
	return name
}

// wineEnv is the environment of Windows programs on display disp: the
// prefix installers/wine.sh uses (WINEPREFIX when set, so that a run can
// keep its Wine processes apart from another's).
func wineEnv(disp string) []string {
	if p := os.Getenv("WINEPREFIX"); p != "" {
		return append(os.Environ(), "DISPLAY="+disp)
	}
	cache := os.Getenv("RELAYDESK_CACHE")
	if cache == "" {
		if x := os.Getenv("XDG_CACHE_HOME"); x != "" {
			cache = filepath.Join(x, "relaydesk")
		} else {
			home, _ := os.UserHomeDir()
			cache = filepath.Join(home, ".cache", "relaydesk")
		}
	}
	return append(os.Environ(), "DISPLAY="+disp, "WINEPREFIX="+filepath.Join(cache, "wine64"))
}

// winBrowser is a Windows browser's User-Agent.
const winBrowser = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36"

// windowsAppUnderWine serves the Windows SOS app from a support link's
// page to a Windows browser, saves it as a browser would (renamed, " (1)"),
// and runs it under Wine on Xvfb with --no-gui and no other argument: the
// session becomes Ready with Windows' device information; after consent on
// standard input the technician's snapshot shows the known image painted
// on the desktop (captured through Wine's GDI), and an input script moves
// the pointer (checked on the X side) and types into Notepad, which saves
// the text to a file; clipboard text goes both ways. The app reports that
// it cannot send Ctrl+Alt+Del and logs that it captures with GDI because
// Wine's DXGI has no desktop duplication; the technician's picture shows
// the pointer where the script moved it (picture kept as
// test-artifacts/sos-windows-wine-pointer.png).
func windowsAppUnderWine(t *testing.T) {
	exe := windowsExe(t, "sos")
	const w, h = 1280, 720
	disp := xvfb(t, w, h)
	paint := newPainter(t, disp)
	want := testImage(w, h, 0)
	show(t, paint, want)
	runner := wineRunner(t, disp)

	dl := t.TempDir()
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dl, "sos-windows-amd64.exe"), b, 0o755)
	r := startRelay(t, "--downloads", dl, "--org", "Acme IT")
	r.addUser(t, "tina", "technician", "tina-password-1")
	tech := r.login(t, "tina", "tina-password-1")
	out, code := run(t, tech.env, "", "console", "link", "create", "--name", "Wendy")
	if code != 0 {
		t.Fatal(out)
	}
	link := strings.Fields(out)[0]

	// The page offers the .exe to a Windows browser; the download's name
	// carries relay, key and token.
	status, page, dst := downloadFromPage(t, r.addr, r.fp, link, winBrowser, "")
	if status != 200 || !strings.Contains(page, "Run anyway") || !strings.HasSuffix(dst, ".exe") ||
		!strings.HasPrefix(filepath.Base(dst), "RelayDesk-SOS__127.0.0.1__") {
		t.Fatalf("the page (%d) offers no Windows app with the SmartScreen line (saved as %q): %s", status, dst, page)
	}

	sos := start(t, []string{"DISPLAY=" + disp}, runner, dst, "--no-gui")
	sos.expect(`Waiting for tina to connect`)
	var q []proto.SessionInfo
	waitFor(t, "the session to be Ready", func() bool {
		q = queueOf(t, tech, false)
		return len(q) == 1 && q[0].Status == "Ready"
	})
	d := q[0].Device
	if d == nil || d.OS != "windows" || !strings.HasPrefix(d.OSVersion, "Windows") || d.Hostname == "" || d.Username == "" ||
		len(d.Displays) != 1 || d.Displays[0].Width != w || d.Displays[0].Height != h || !d.NoCtrlAltDel {
		j, _ := json.Marshal(d)
		t.Fatalf("device information: %s", j)
	}
	t.Logf("device: %s on %s, user %s, displays %+v", d.OSVersion, d.Hostname, d.Username, d.Displays)

	dir := t.TempDir()
	snap := filepath.Join(dir, "snap.png")
	con := start(t, tech.env, "console", "connect", "--session", q[0].ID, "--snapshot", snap)
	sos.expect(`Allow\?`)
	sos.say("y")
	con.expect(`Saved the screen \(1280x720\)`)
	if c := con.wait(); c != 0 {
		t.Fatalf("console exit %d", c)
	}
	mean, bad := compare(t, want, snap)
	t.Logf("snapshot under Wine: mean difference %.2f per channel, %.3f%% of pixels off by more than 48", mean, bad*100)
	if mean > maxMeanDiff || bad > maxBadShare {
		t.Fatalf("the snapshot does not show the Wine desktop: mean difference %.2f, %.2f%% pixels off", mean, bad*100)
	}
	if m, _ := compare(t, testImage(w, h, 1), snap); m < 3*maxMeanDiff {
		t.Fatalf("the snapshot also matches another image (mean difference %.2f): the check is blind", m)
	}
	sos.expect(`Session ended by tina`)

	// Input, in a second session (an attended code, the same program under
	// its plain name): the pointer moves on the X display, and the typing
	// lands in Notepad, which saves it where the test reads it.
	notepad := start(t, []string{"DISPLAY=" + disp}, runner, "notepad")
	var win string
	waitFor(t, "Notepad's window", func() bool {
		c := exec.Command("xdotool", "search", "--onlyvisible", "--name", "Notepad")
		c.Env = wineEnv(disp)
		out, _ := c.Output()
		win = strings.TrimSpace(string(out))
		return win != ""
	})
	geo := exec.Command("xdotool", "getwindowgeometry", "--shell", strings.Fields(win)[0])
	geo.Env = wineEnv(disp)
	gout, err := geo.Output()
	if err != nil {
		t.Fatalf("Notepad's geometry: %v", err)
	}
	g := map[string]int{}
	for _, l := range strings.Fields(string(gout)) {
		if k, v, ok := strings.Cut(l, "="); ok {
			g[k], _ = strconv.Atoi(v)
		}
	}
	typed := filepath.Join(t.TempDir(), "typed.txt")
	scr := filepath.Join(dir, "script.txt")
	os.WriteFile(scr, []byte(strings.Join([]string{
		"clipboard from the technician",
		fmt.Sprintf("move %d %d", g["X"]+g["WIDTH"]/2, g["Y"]+g["HEIGHT"]/2),
		"click left",
		"type Hello from RelayDesk 42",
		"key ctrl+s",
		"wait 3s",
		"type Z:" + strings.ReplaceAll(typed, "/", `\`),
		"key Return",
		"wait 2s",
		"move 1000 600",
		"wait 3s",
		"snapshot " + filepath.Join(dir, "after.png"),
	}, "\n")), 0o644)
	plain := filepath.Join(t.TempDir(), "sos.exe")
	os.WriteFile(plain, b, 0o755)
	sos2 := start(t, []string{"DISPLAY=" + disp}, runner, plain, "--relay", r.addr, "--fingerprint", r.fp, "--no-gui", "-v")
	// Wine's DXGI has no desktop duplication: the app says so and uses GDI.
	why := sos2.expect(`capture: GDI \(DXGI unavailable: (.+)\)`)[1]
	t.Logf("capture under Wine: GDI, DXGI unavailable: %s", why)
	attended := sos2.expect(codeLine)[1]
	con2 := start(t, tech.env, "console", "connect", strings.ReplaceAll(attended, " ", ""), "--input-script", scr)
	sos2.expect(`Allow\?`)
	sos2.say("y")
	con2.expect(`Replaying the input script`)
	// Clipboard text both ways, through Wine's clipboard, which Wine keeps
	// in step with the X display's.
	xenv := wineEnv(disp)
	waitFor(t, "the technician's clipboard text on the X clipboard", func() bool {
		cmd := exec.Command("xclip", "-o", "-selection", "clipboard")
		cmd.Env = xenv
		out, _ := cmd.Output()
		return strings.TrimSpace(string(out)) == "from the technician"
	})
	cp := exec.Command("xclip", "-i", "-selection", "clipboard")
	cp.Env, cp.Stdin = xenv, strings.NewReader("from the end user")
	if err := cp.Run(); err != nil {
		t.Fatalf("xclip: %v", err)
	}
	con2.expect(`The end user's clipboard: "from the end user"`)
	con2.expect(`Input script done`)
	if c := con2.wait(); c != 0 {
		t.Fatalf("console exit %d", c)
	}
	waitFor(t, "Notepad to save the typed text", func() bool {
		b, _ := os.ReadFile(typed)
		return strings.Contains(string(b), "Hello from RelayDesk 42")
	})
	loc := exec.Command("xdotool", "getmouselocation")
	loc.Env = wineEnv(disp)
	lout, err := loc.CombinedOutput()
	if err != nil || !strings.HasPrefix(string(lout), "x:1000 y:600 ") {
		t.Fatalf("pointer on the X display: %q %v", lout, err)
	}
	// The technician sees the pointer there: the app reads it with
	// GetCursorInfo and the cursor's icon, sent apart from the frames (X
	// grabs, like GDI's, do not contain it), and the snapshot draws it.
	screen, err := testscreen.Grab(disp)
	if err != nil {
		t.Fatal(err)
	}
	after := readPNG(t, filepath.Join(dir, "after.png"))
	path := keepPicture(t, "sos-windows-wine-pointer.png", after)
	n := pixelsOff(after, screen, image.Pt(1000, 600))
	if n < 20 {
		t.Fatalf("no pointer drawn at 1000,600 in the technician's picture (%d pixels differ from the X display): %s", n, path)
	}
	t.Logf("the pointer at 1000,600 in the technician's picture (%d pixels): %s", n, path)
	if n := pixelsOff(after, screen, image.Pt(900, 600)); n > 5 {
		t.Fatalf("the picture differs from the X display away from the pointer (%d pixels)", n)
	}
	_ = notepad
}

// windowsCaptureUnderWine runs agent/capture's tests, cross-built for
// Windows, under Wine on Xvfb: Wine's DXGI creates the Direct3D device but
// cannot duplicate the desktop, so Open logs the GDI fallback with that
// reason, GDI stands in for the DXGI source (a still screen reports
// nothing; a rectangle painted on the desktop is reported and shown), and
// the pure DXGI logic passes on Windows too.
func windowsCaptureUnderWine(t *testing.T) {
	exe := filepath.Join(bin, "capture-windows.test.exe")
	build := exec.Command("go", "test", "-c", "-o", exe, "github.com/relaydesk/relaydesk/agent/capture")
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("cross-build the capture tests: %v\n%s", err, out)
	}
	disp := xvfb(t, 1024, 768)
	runner := wineRunner(t, disp)
	p := start(t, []string{"DISPLAY=" + disp}, runner, exe, "-test.v")
	why := p.expect(`capture: GDI \(DXGI unavailable: (.+)\)`)[1]
	p.expect(`--- PASS: TestOpenSaysWhichCapture`)
	painted := p.expect(`(painted .*)`)[1]
	p.expect(`--- PASS: TestDXGIWithGDIStandingIn`)
	if c := p.wait(); c != 0 {
		t.Fatalf("the capture tests failed under Wine (exit %d)", c)
	}
	t.Logf("under Wine: GDI, because %s; %s", why, painted)
}

// windowsConsoleUnderWine starts the Windows console under Wine on Xvfb
// with no saved sign-in: its Fyne window renders (Wine's OpenGL on Mesa)
// and shows the sign-in form, recognised by its blue Sign in button on a
// screen that was black before. The screenshot is kept as
// test-artifacts/console-windows-wine.png.
func windowsConsoleUnderWine(t *testing.T) {
	exe := windowsExe(t, "console")
	disp := xvfb(t, 1280, 720)
	runner := wineRunner(t, disp)
	before, err := testscreen.Grab(disp)
	if err != nil {
		t.Fatal(err)
	}
	if signInShown(before) {
		t.Fatal("the empty display already reads as the sign-in: the check is blind")
	}
	start(t, []string{"DISPLAY=" + disp}, runner, exe)
	var shot *image.RGBA
	waitFor(t, "the console's sign-in under Wine", func() bool {
		shot, err = testscreen.Grab(disp)
		return err == nil && signInShown(shot)
	})
	path := keepPicture(t, "console-windows-wine.png", shot)
	c := exec.Command("xdotool", "search", "--onlyvisible", "--name", "RelayDesk console")
	c.Env = wineEnv(disp)
	if out, err := c.Output(); err != nil || strings.TrimSpace(string(out)) == "" {
		t.Fatalf("no window named RelayDesk console: %v", err)
	}
	t.Logf("the Windows console's sign-in under Wine: %s", path)
}

// signInShown reports whether the console's sign-in form is on img: its
// Sign in button, Fyne's primary blue, covers at least 0.1% of the screen
// and the form's white page a third of it.
func signInShown(img *image.RGBA) bool {
	var blue, white float64
	for i := 0; i < len(img.Pix); i += 4 {
		r, g, b := int(img.Pix[i]), int(img.Pix[i+1]), int(img.Pix[i+2])
		switch {
		case absDiff(r, 41) < 16 && absDiff(g, 111) < 16 && absDiff(b, 246) < 16:
			blue++
		case r > 245 && g > 245 && b > 245:
			white++
		}
	}
	n := float64(len(img.Pix) / 4)
	return blue/n > 0.001 && white/n > 0.33
}

// pixelsOff counts the pixels of the 24x24 square around at where a and b
// differ clearly (by more than 150 over the three channels).
func pixelsOff(a, b image.Image, at image.Point) int {
	n := 0
	for y := at.Y - 12; y < at.Y+12; y++ {
		for x := at.X - 12; x < at.X+12; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			if absDiff(int(r1>>8), int(r2>>8))+absDiff(int(g1>>8), int(g2>>8))+absDiff(int(b1>>8), int(b2>>8)) > 150 {
				n++
			}
		}
	}
	return n
}
