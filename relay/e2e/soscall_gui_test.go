package e2e

import (
	"context"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/agent/capture/testscreen"
	"github.com/relaydesk/relaydesk/pkg/proto"
	relayroot "github.com/relaydesk/relaydesk/relay"
	"github.com/relaydesk/relaydesk/relay/server"
	"github.com/relaydesk/relaydesk/relay/store"
	"github.com/relaydesk/relaydesk/relay/token"
)

// TestSOSCallThroughTheWindows: the whole SOS Call with every program in
// its window, each on a display of its own (the end user's screen, tina's
// and theo's consoles; no window manager). The end user runs the app
// downloaded from the channel's page with no arguments: its window asks to
// connect to the support server, then shows the channel's form; typed in
// and submitted, the request is in the queue of both technicians' consoles
// (their windows and `console queue --json`). tina selects it and clicks
// Pick up; the end user clicks Allow; theo's window sees it taken by tina.
// tina invites theo, who clicks Accept in the notification; the end user
// allows him too and theo's window shows the remote screen, framed in the
// colour of a colleague in control. Screenshots
// are kept as test-artifacts/soscall-form.png, soscall-queue-tina.png,
// soscall-queue-theo.png, soscall-taken-theo.png and soscall-guest-theo.png.
func TestSOSCallThroughTheWindows(t *testing.T) {
	ctx := context.Background()
	endUser := xvfb(t, 1280, 720)
	show(t, newPainter(t, endUser), testImage(1280, 720, 0))
	screens := map[string]string{"tina": xvfb(t, 1600, 1000), "theo": xvfb(t, 1600, 1000)}

	addr, fp, st := inProcessRelay(t, func(c *relayroot.Config) { c.Downloads, c.Organisation = downloadsDir(t), "Acme IT" })
	d := &desk{addr: addr, fp: fp, st: st, techs: map[string]technician{}}
	var members []int64 // tina, theo
	for _, name := range []string{"tina", "theo"} {
		u, err := server.CreateUser(ctx, st, name, store.RoleTechnician, name+"-password")
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, u.ID)
	}
	g := store.Group{Name: "servicedesk", Members: members}
	if err := st.CreateGroup(ctx, &g); err != nil {
		t.Fatal(err)
	}
	tok, _ := token.New()
	ch := store.Channel{
		Name: "Service Desk", Groups: []int64{g.ID}, SOSCall: true, SOSToken: tok,
		Form: proto.IntakeForm{Name: proto.FieldOptional, Problem: proto.FieldRequired, Category: proto.FieldOff, Priority: proto.FieldOff},
	}
	if err := st.CreateChannel(ctx, &ch); err != nil {
		t.Fatal(err)
	}
	for name := range screens {
		d.techs[name] = d.login(t, name)
	}
	waitForPage(t, fp, "https://"+addr+"/c/"+tok)
	_, page, dl := downloadFromPage(t, addr, fp, "https://"+addr+"/c/"+tok, "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0", "")
	if dl == "" {
		t.Fatalf("no download offered:\n%s", page)
	}
	app, err := filepath.Rel(bin, dl)
	if err != nil {
		t.Fatal(err)
	}

	// Both consoles are open before the request comes: it arrives pushed.
	before := map[string]*image.RGBA{}
	for name, screen := range screens {
		start(t, append([]string{"DISPLAY=" + screen, "XDG_DATA_HOME=" + t.TempDir()}, d.techs[name].env...), "console")
	}
	// Each shows the channel's queue (the console opens on All visible to me).
	areas := map[string]image.Rectangle{}
	for name, screen := range screens {
		areas[name] = showChannel(t, screen, settled(t, screen, name+"'s console window"))
	}
	for name, screen := range screens {
		before[name] = settled(t, screen, name+"'s console showing the channel")
	}

	// The end user's window: Connect to this support server, then the form.
	start(t, []string{"DISPLAY=" + endUser}, app)
	connect := clickPrimary(t, endUser, "Remote support", image.Rectangle{}, "the app's Connect button")
	submit := waitPrimary(t, endUser, "Remote support", connect, "the form's Submit button")
	empty := screenshotOf(t, endUser)
	xdotool(t, endUser, "type", "--delay", "20", "Ann Example")
	xdotool(t, endUser, "key", "Tab")
	xdotool(t, endUser, "type", "--delay", "20", "The printer jams since Monday.")
	filled := waitScreen(t, endUser, "the typed answers in the form", func(img *image.RGBA) bool {
		_, ok := changedRows(empty, img, image.Rect(0, 0, img.Rect.Dx(), submit.Min.Y))
		return ok
	})
	t.Logf("screenshot: %s", keepPicture(t, "soscall-form.png", filled))
	clickAt(t, endUser, middleOf(submit))

	// The request waits in the channel's queue, seen by both technicians.
	var id string
	for name := range screens {
		waitUpTo(t, 60*time.Second, "the request in "+name+"'s queue", func() bool {
			s, ok := callIn(t, d, name, ch.Name)
			if ok && (s.CustomerName != "Ann Example" || s.Problem != "The printer jams since Monday." || s.Status != proto.StatusReady || s.Kind != proto.KindCall || s.Owner != "") {
				t.Fatalf("the request in %s's queue: %+v", name, s)
			}
			id = s.ID
			return ok
		})
	}
	rows := map[string]image.Rectangle{}
	queued := map[string]*image.RGBA{}
	for name, screen := range screens {
		shot := waitScreen(t, screen, "the request's row in "+name+"'s window", func(img *image.RGBA) bool {
			r, ok := changedRows(before[name], img, areas[name])
			rows[name] = r
			return ok
		})
		queued[name] = shot
		t.Logf("screenshot: %s", keepPicture(t, "soscall-queue-"+name+".png", shot))
	}

	// tina selects the row and clicks Pick up, under the Connect button
	// that the selection enables.
	row := rows["tina"]
	clickAt(t, screens["tina"], image.Pt(row.Min.X+40, (row.Min.Y+row.Max.Y)/2))
	var conn image.Rectangle
	waitScreen(t, screens["tina"], "the Connect button for the selected request", func(img *image.RGBA) bool {
		var ok bool
		conn, ok = primaryBox(img)
		return ok
	})
	pick := conn.Add(image.Pt(0, conn.Dy()+4))
	waitScreen(t, screens["tina"], "the Pick up button", func(img *image.RGBA) bool { return !plain(img, pick) })
	clickAt(t, screens["tina"], middleOf(pick))
	waitUpTo(t, 60*time.Second, "tina to own the request", func() bool {
		s, ok := callIn(t, d, "tina", ch.Name)
		return ok && s.Owner == "tina"
	})

	// The end user allows tina; tina's window shows the remote screen.
	clickPrimary(t, endUser, "Remote support", image.Rectangle{}, "the app's Allow button for tina")
	waitStatus(t, st, id, proto.StatusActive)
	waitScreen(t, screens["tina"], "the remote screen in tina's window", showsRemote)

	// theo sees it taken: it leaves his queue as the relay lists it (it is
	// tina's session now), and his window's row names tina (the picture).
	waitUpTo(t, 60*time.Second, "the request to leave theo's queue", func() bool {
		_, ok := callIn(t, d, "theo", ch.Name)
		return !ok
	})
	if s, err := st.Session(ctx, id); err != nil || s.OwnerID != members[0] {
		t.Fatalf("the stored session's owner is %d (%v), not tina (%d)", s.OwnerID, err, members[0])
	}
	// The Assignee column is the table's last: empty while the request
	// waited (plain from the window's right edge to the column's line),
	// a name once taken.
	row = rows["theo"]
	assignee := image.Rect(row.Max.X-10, row.Min.Y, row.Max.X-9, row.Max.Y)
	empty = queued["theo"]
	bg := empty.RGBAAt(assignee.Min.X, assignee.Min.Y)
	for assignee.Min.X > row.Max.X/2 {
		line := image.Rect(assignee.Min.X-1, row.Min.Y, assignee.Min.X, row.Max.Y)
		if !plain(empty, line) || empty.RGBAAt(line.Min.X, line.Min.Y) != bg {
			break
		}
		assignee.Min.X--
	}
	if assignee.Dx() < 60 {
		t.Fatalf("the waiting request's Assignee cell in theo's window is not empty (plain for %d pixels)", assignee.Dx())
	}
	taken := waitScreen(t, screens["theo"], "the taken request in theo's window", func(img *image.RGBA) bool { return !plain(img, assignee) })
	t.Logf("screenshot: %s", keepPicture(t, "soscall-taken-theo.png", taken))

	// tina invites theo; he accepts in his window and, once the end user
	// allows it, sees the remote screen as a guest.
	waitUpTo(t, 60*time.Second, "tina's invitation to reach theo", func() bool {
		_, _, code := runSplit(t, d.techs["tina"].env, "", "console", "invite", id, "--user", "theo")
		return code == 0
	})
	clickPrimary(t, screens["theo"], "", image.Rectangle{}, "the Accept button of theo's invitation")
	clickPrimary(t, endUser, "Remote support", image.Rectangle{}, "the app's Allow button for theo")
	// The remote screen's frame is in the colour of a colleague in control
	// (the theme's warning orange; its tag says "tina controls").
	shot := waitScreen(t, screens["theo"], "the remote screen in theo's window, framed in orange", func(img *image.RGBA) bool {
		return showsRemote(img) && longestRun(img, [3]uint8{0xff, 0x98, 0x00}) >= img.Rect.Dx()/2
	})
	t.Logf("screenshot: %s", keepPicture(t, "soscall-guest-theo.png", shot))
	waitUpTo(t, 60*time.Second, "theo as a guest of the session", func() bool {
		s, ok := callIn(t, d, "tina", ch.Name)
		return ok && strings.Contains(strings.Join(s.Guests, ","), "theo")
	})
}

// callIn finds the SOS Call request of channel in user's queue, as
// `console queue --json` prints it.
func callIn(t *testing.T, d *desk, user, channel string) (proto.SessionInfo, bool) {
	t.Helper()
	var q []proto.SessionInfo
	d.consoleJSON(t, user, &q, "queue", "--json")
	for _, s := range q {
		if s.Channel == channel && s.Kind == proto.KindCall {
			return s, true
		}
	}
	return proto.SessionInfo{}, false
}

// waitUpTo is waitFor with a longer deadline, for windows that start
// and repaint slowly on a loaded machine.
func waitUpTo(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", limit, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitScreen waits until a screenshot of disp passes ok and returns it;
// when it never does, the last one is kept as soscall-failed.png.
func waitScreen(t *testing.T, disp, what string, ok func(*image.RGBA) bool) *image.RGBA {
	t.Helper()
	var img *image.RGBA
	defer func() {
		if t.Failed() && img != nil {
			t.Logf("the screen while waiting for %s: %s", what, keepPicture(t, "soscall-failed.png", img))
		}
	}()
	waitUpTo(t, 60*time.Second, what, func() bool {
		img = screenshotOf(t, disp)
		return ok(img)
	})
	return img
}

// screenshotOf grabs the whole of display disp.
func screenshotOf(t *testing.T, disp string) *image.RGBA {
	t.Helper()
	img, err := testscreen.Grab(disp)
	if err != nil {
		t.Fatalf("screenshot of %s: %v", disp, err)
	}
	return img
}

// settled waits until disp shows something and stays the same for a
// second (a window that signed in and painted), and returns it.
func settled(t *testing.T, disp, what string) *image.RGBA {
	t.Helper()
	var last *image.RGBA
	var since time.Time
	waitUpTo(t, 90*time.Second, what, func() bool {
		img := screenshotOf(t, disp)
		if isBlank(img) {
			return false
		}
		if last == nil || !samePixels(last, img) {
			last, since = img, time.Now()
			return false
		}
		return time.Since(since) >= time.Second
	})
	return last
}

func samePixels(a, b *image.RGBA) bool { return a.Rect == b.Rect && string(a.Pix) == string(b.Pix) }

// xdotool runs xdotool with args on display disp and returns its output.
func xdotool(t *testing.T, disp string, args ...string) string {
	t.Helper()
	cmd := exec.Command("xdotool", args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+disp)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("xdotool %v: %v %s", args, err, out)
	}
	return string(out)
}

// clickAt moves the pointer to at on disp and clicks the left button.
func clickAt(t *testing.T, disp string, at image.Point) {
	t.Helper()
	xdotool(t, disp, "mousemove", "--sync", strconv.Itoa(at.X), strconv.Itoa(at.Y), "click", "1")
}

// middleOf is the centre of r.
func middleOf(r image.Rectangle) image.Point { return r.Min.Add(r.Size().Div(2)) }

// windowRect is where the visible window named name is on disp (the
// whole screen when name is empty).
func windowRect(t *testing.T, disp, name string, screen image.Rectangle) (image.Rectangle, bool) {
	t.Helper()
	if name == "" {
		return screen, true
	}
	cmd := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^"+regexp.QuoteMeta(name)+"$")
	cmd.Env = append(os.Environ(), "DISPLAY="+disp)
	out, err := cmd.Output()
	ids := strings.Fields(string(out))
	if err != nil || len(ids) == 0 {
		return image.Rectangle{}, false
	}
	geo := map[string]int{}
	for _, l := range strings.Split(xdotool(t, disp, "getwindowgeometry", "--shell", ids[0]), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			geo[k], _ = strconv.Atoi(v)
		}
	}
	r := image.Rect(geo["X"], geo["Y"], geo["X"]+geo["WIDTH"], geo["Y"]+geo["HEIGHT"]).Intersect(screen)
	return r, !r.Empty()
}

// waitPrimary waits for a button in the theme's primary colour (a
// window's default action) in the window named name on disp, other than
// the one at not (a button clicked before, still shown), and returns it.
// The pointer rests in the window's corner meanwhile: a button under it
// is drawn in its hover colour, and the window keeps the keyboard (no
// window manager: the focus follows the pointer).
func waitPrimary(t *testing.T, disp, name string, not image.Rectangle, what string) image.Rectangle {
	t.Helper()
	var b, last image.Rectangle
	rested := false
	waitScreen(t, disp, what, func(img *image.RGBA) bool {
		win, ok := windowRect(t, disp, name, img.Rect)
		if !ok {
			return false
		}
		if !rested {
			xdotool(t, disp, "mousemove", "--sync", strconv.Itoa(win.Min.X+2), strconv.Itoa(win.Min.Y+2))
			rested = true
			return false // grab again without the hover
		}
		b, ok = primaryBox(img.SubImage(win).(*image.RGBA))
		// The same button in two grabs in a row: a window that just
		// showed it may still be laying out (a click then missed the
		// app's Allow, and the request waited out its minute).
		found := ok && b != not && b == last
		last = b
		return found
	})
	return b
}

// clickPrimary clicks the button waitPrimary finds and returns it.
func clickPrimary(t *testing.T, disp, name string, not image.Rectangle, what string) image.Rectangle {
	t.Helper()
	b := waitPrimary(t, disp, name, not, what)
	clickAt(t, disp, middleOf(b))
	return b
}

// primary is the default Fyne theme's primary colour (light and dark),
// the fill of a high-importance button.
var primary = [3]uint8{0x29, 0x6f, 0xf6}

// primaryBox finds the largest button-sized patch of img filled with the
// primary colour: a focused entry's primary-coloured border or a tab's
// underline is not one.
func primaryBox(img *image.RGBA) (image.Rectangle, bool) {
	r := img.Rect
	is := func(x, y int) bool {
		o := img.PixOffset(x, y)
		return [3]uint8{img.Pix[o], img.Pix[o+1], img.Pix[o+2]} == primary
	}
	seen := make([]bool, r.Dx()*r.Dy())
	var best image.Rectangle
	bestN := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			i := (y-r.Min.Y)*r.Dx() + x - r.Min.X
			if seen[i] || !is(x, y) {
				continue
			}
			// Flood the patch (4-connected) and measure it.
			box, n := image.Rect(x, y, x+1, y+1), 0
			stack := []image.Point{{x, y}}
			seen[i] = true
			for len(stack) > 0 {
				p := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				n++
				box = box.Union(image.Rect(p.X, p.Y, p.X+1, p.Y+1))
				for _, q := range []image.Point{{p.X + 1, p.Y}, {p.X - 1, p.Y}, {p.X, p.Y + 1}, {p.X, p.Y - 1}} {
					j := (q.Y-r.Min.Y)*r.Dx() + q.X - r.Min.X
					if q.In(r) && !seen[j] && is(q.X, q.Y) {
						seen[j] = true
						stack = append(stack, q)
					}
				}
			}
			if float64(n)/float64(box.Dx()*box.Dy()) > 0.7 && box.Dy() >= 20 && box.Dy() <= 80 && box.Dx() >= 40 && n > bestN {
				best, bestN = box, n
			}
		}
	}
	return best, bestN > 0
}

// longestRun is the longest horizontal run of pixels of colour c in img.
func longestRun(img *image.RGBA, c [3]uint8) int {
	best := 0
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		n := 0
		for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
			o := img.PixOffset(x, y)
			if [3]uint8{img.Pix[o], img.Pix[o+1], img.Pix[o+2]} != c {
				n = 0
				continue
			}
			n++
			best = max(best, n)
		}
	}
	return best
}

// changedRows is the band of rows within area where a and b differ, as
// wide as area.
func changedRows(a, b *image.RGBA, area image.Rectangle) (image.Rectangle, bool) {
	top, bottom := -1, -1
	for y := area.Min.Y; y < area.Max.Y; y++ {
		oa, ob := a.PixOffset(area.Min.X, y), b.PixOffset(area.Min.X, y)
		n := area.Dx() * 4
		if string(a.Pix[oa:oa+n]) != string(b.Pix[ob:ob+n]) {
			if top < 0 {
				top = y
			}
			bottom = y + 1
		}
	}
	if top < 0 {
		return image.Rectangle{}, false
	}
	return image.Rect(area.Min.X, top, area.Max.X, bottom), true
}

// showChannel picks the channel's queue in the console's Show choice on
// disp, whose window img shows, and returns the area of the queue's rows.
// The choice is the second tall control down a column near the window's
// right edge (below Sign out); its menu is worked with the keyboard.
func showChannel(t *testing.T, disp string, img *image.RGBA) image.Rectangle {
	t.Helper()
	win, ok := windowRect(t, disp, "RelayDesk console", img.Rect)
	if !ok {
		t.Fatal("no console window")
	}
	x := win.Max.X - 60
	bg := img.RGBAAt(x, win.Max.Y-1)
	var runs []image.Rectangle
	for y, top := win.Min.Y, -1; y < win.Max.Y; y++ {
		differs := img.RGBAAt(x, y) != bg
		switch {
		case differs && top < 0:
			top = y
		case !differs && top >= 0:
			if y-top >= 20 {
				runs = append(runs, image.Rect(x, top, x+1, y))
			}
			top = -1
		}
	}
	if len(runs) < 2 {
		keepPicture(t, "soscall-console-layout.png", img)
		t.Fatalf("no Show choice found in the console's window (column %d: %v)", x, runs)
	}
	choice := runs[1]
	clickAt(t, disp, middleOf(choice))
	// Mine, Invitations, All, Channel: Service Desk (the list opens with the top one focused).
	for range 4 {
		xdotool(t, disp, "key", "Down")
	}
	xdotool(t, disp, "key", "Return")
	// The rows lie below the table's heading, above the details and the
	// status bar.
	return image.Rect(win.Min.X, choice.Max.Y+50, win.Max.X, win.Max.Y-110)
}
