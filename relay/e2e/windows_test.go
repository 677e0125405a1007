package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// The Windows SOS app, cross-built once for all the Wine tests: a release
// build for the loopback relay, as an organisation would serve it.
var (
	winOnce sync.Once
	winExe  string
	winErr  error
)

// windowsSOS builds the Windows SOS app with installers/windows.sh (static
// libvpx and libyuv from the cache, mingw) and prepares the Wine prefix.
func windowsSOS(t *testing.T) string {
	t.Helper()
	winOnce.Do(func() {
		out := filepath.Join(bin, "sos-windows-amd64.exe")
		b, err := exec.Command("../../installers/windows.sh", "sos", out, "-X main.releaseRelays=127.0.0.1").CombinedOutput()
		if err != nil {
			winErr = &buildError{what: "build the Windows SOS app", out: string(b), err: err}
			return
		}
		// The first run prepares the prefix (about 30 s); the tests' own
		// runs then start in a second or two.
		if b, err := exec.Command("../../installers/wine.sh", "cmd", "/c", "exit").CombinedOutput(); err != nil {
			winErr = &buildError{what: "prepare the Wine prefix", out: string(b), err: err}
			return
		}
		winExe = out
	})
	if winErr != nil {
		t.Fatal(winErr)
	}
	return winExe
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

// wineEnv is the environment of Windows programs on display disp.
func wineEnv(disp string) []string {
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

// TestWindowsAppUnderWine serves the Windows SOS app from a support link's
// page to a Windows browser, saves it as a browser would (renamed, " (1)"),
// and runs it under Wine on Xvfb with --no-gui and no other argument: the
// session becomes Ready with Windows' device information; after consent on
// standard input the technician's snapshot shows the known image painted
// on the desktop (captured through Wine's GDI), and an input script moves
// the pointer (checked on the X side) and types into Notepad, which saves
// the text to a file.
func TestWindowsAppUnderWine(t *testing.T) {
	exe := windowsSOS(t)
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
	status, page, dst := downloadFromPage(t, r, link, winBrowser, "")
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
		len(d.Displays) != 1 || d.Displays[0].Width != w || d.Displays[0].Height != h {
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
		fmt.Sprintf("move %d %d", g["X"]+g["WIDTH"]/2, g["Y"]+g["HEIGHT"]/2),
		"click left",
		"type Hello from RelayDesk 42",
		"key ctrl+s",
		"wait 3s",
		"type Z:" + strings.ReplaceAll(typed, "/", `\`),
		"key Return",
		"wait 2s",
		"move 1000 600",
	}, "\n")), 0o644)
	plain := filepath.Join(t.TempDir(), "sos.exe")
	os.WriteFile(plain, b, 0o755)
	sos2 := start(t, []string{"DISPLAY=" + disp}, runner, plain, "--relay", r.addr, "--fingerprint", r.fp, "--no-gui")
	attended := sos2.expect(codeLine)[1]
	con2 := start(t, tech.env, "console", "connect", strings.ReplaceAll(attended, " ", ""), "--input-script", scr)
	sos2.expect(`Allow\?`)
	sos2.say("y")
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
	_ = notepad
}
