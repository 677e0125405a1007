package e2e

import (
	"fmt"
	"image"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"github.com/relaydesk/relaydesk/agent/capture/testscreen"
)

// TestDeskGUIInvitationOpensTheSessionAsGuest: theo runs the real desktop
// console under Xvfb; tina (headless console) owns an active session and
// invites him. theo's window shows the invitation; a click on Accept
// answers the relay and opens the session as a guest: the end user is
// asked, and once they allow it, theo's window shows the remote screen.
// Screenshots are kept as test-artifacts/console-invitation.png and
// console-guest.png.
func TestDeskGUIInvitationOpensTheSessionAsGuest(t *testing.T) {
	endUser := xvfb(t, 1280, 720)
	show(t, newPainter(t, endUser), testImage(1280, 720, 0))
	screen := xvfb(t, 1600, 1000)
	d := startDesk(t)
	sos, id := d.request(t, "Ann", []string{"DISPLAY=" + endUser})
	tina := start(t, d.techs["tina"].env, "console", "connect", "--session", id)
	sos.expect(`tina wants to connect to this computer`)
	sos.say("y")
	tina.expect(`Connected to session ` + id)

	gui := start(t, append([]string{"DISPLAY=" + screen, "XDG_DATA_HOME=" + t.TempDir()}, d.techs["theo"].env...), "console")
	// The window's queue subscription is what makes theo invitable.
	waitFor(t, "theo's console to sign in and tina's invitation to reach it", func() bool {
		_, _, code := runSplit(t, d.techs["tina"].env, "", "console", "invite", id, "--user", "theo")
		return code == 0
	})
	var shot *image.RGBA
	var accept image.Rectangle
	waitFor(t, "the invitation in theo's window", func() bool {
		var err error
		var ok bool
		shot, err = testscreen.Grab(screen)
		if err == nil {
			accept, ok = primaryButton(shot)
		}
		return ok
	})
	t.Logf("screenshot: %s", keepPicture(t, "console-invitation.png", shot))
	at := accept.Min.Add(accept.Size().Div(2))
	click := exec.Command("xdotool", "mousemove", "--sync", fmt.Sprint(at.X), fmt.Sprint(at.Y), "click", "1")
	click.Env = append(os.Environ(), "DISPLAY="+screen)
	if out, err := click.CombinedOutput(); err != nil {
		t.Fatalf("xdotool: %v %s", err, out)
	}
	sos.expect(`^theo \(invited by the technician\) wants to see your screen`)
	sos.say("y")
	sos.expect(`theo is now connected to this computer`)
	waitFor(t, "the remote screen in theo's window", func() bool {
		var err error
		shot, err = testscreen.Grab(screen)
		return err == nil && showsRemote(shot)
	})
	t.Logf("screenshot: %s", keepPicture(t, "console-guest.png", shot))

	// Closing theo's window takes him off the session; it goes on for tina.
	gui.signal(syscall.SIGTERM)
	sos.expect(`theo left the session`)
	if c := gui.wait(); c != 0 {
		t.Fatalf("theo's console exit %d", c)
	}
	tina.signal(syscall.SIGTERM)
	sos.expect(`Session ended by tina`)
}

// primaryButton finds a filled button in the theme's primary colour (a
// dialog's default action): the most frequent strongly coloured pixel
// colour, if it covers a button-sized, mostly filled rectangle.
func primaryButton(img *image.RGBA) (image.Rectangle, bool) {
	count := map[[3]uint8]int{}
	for i := 0; i+3 < len(img.Pix); i += 4 {
		r, g, b := img.Pix[i], img.Pix[i+1], img.Pix[i+2]
		if int(max(r, g, b))-int(min(r, g, b)) >= 100 {
			count[[3]uint8{r, g, b}]++
		}
	}
	var best [3]uint8
	for c, n := range count {
		if n > count[best] {
			best = c
		}
	}
	if count[best] < 1500 {
		return image.Rectangle{}, false
	}
	box := image.Rectangle{Min: img.Rect.Max, Max: img.Rect.Min}
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
			o := img.PixOffset(x, y)
			if [3]uint8{img.Pix[o], img.Pix[o+1], img.Pix[o+2]} == best {
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	fill := float64(count[best]) / float64(box.Dx()*box.Dy())
	return box, fill > 0.7 && box.Dy() >= 20 && box.Dy() <= 80 && box.Dx() >= 40
}
