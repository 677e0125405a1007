package ui

import (
	"image"
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// TestFrameShowsWhoControls: the remote screen's frame names who controls
// and takes their colour (primary: you, warning: a colleague, grey:
// nobody), follows a hand-over, and is drawn: the rendered window has the
// colour on the frame's left edge beside the remote screen.
func TestFrameShowsWhoControls(t *testing.T) {
	c, be, _ := deskConsole(t, proto.Directory{})
	c.win.Resize(fyne.NewSize(1000, 700))
	tab := ownSession(t, c, be, proto.SessionInfo{ID: "s1", Status: proto.StatusActive, Owner: "tina", Controller: "tina",
		Technicians: []string{"tina", "max"}, Guests: []string{"max"}}, false)
	tab.Frame(image.NewRGBA(image.Rect(0, 0, 640, 400))) // a remote screen to draw
	testLoop.run()
	f := tab.dk.frame
	check := func(step, text string, want color.Color) {
		t.Helper()
		if f.tag.Text != text || f.edges[2].FillColor != want || f.tagBack.FillColor != want {
			t.Fatalf("%s: tag %q in %v, edge %v; want %q in %v", step, f.tag.Text, f.tagBack.FillColor, f.edges[2].FillColor, text, want)
		}
		if !f.box.Visible() || !tab.screenArea.Visible() {
			t.Fatalf("%s: the screen's frame is not shown", step)
		}
		// The row through the middle of the frame crosses its left and
		// right edges in the colour, and nothing else in it.
		img := c.win.Canvas().Capture()
		size := f.edges[2].Size()
		if size.Width < frameWidth || size.Height < 100 {
			t.Fatalf("%s: the frame's left edge is %v", step, size)
		}
		mid := fyne.CurrentApp().Driver().AbsolutePositionForObject(f.edges[2]).Y + size.Height/2
		y := int(mid * float32(img.Bounds().Dy()) / c.win.Canvas().Size().Height)
		wr, wg, wb, _ := want.RGBA()
		var xs []int
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			if r, g, b, _ := img.At(x, y).RGBA(); r>>8 == wr>>8 && g>>8 == wg>>8 && b>>8 == wb>>8 {
				xs = append(xs, x)
			}
		}
		if len(xs) < 2*frameWidth || xs[0] > 10 || xs[len(xs)-1] < img.Bounds().Dx()-10 {
			t.Fatalf("%s: the row %d has the frame's colour %v at %v", step, y, want, xs)
		}
	}
	check("owner in control", "You control", theme.Color(theme.ColorNamePrimary))

	be.views[0].ControlChanged(proto.ControlChanged{SessionID: "s1", Controller: proto.Peer{ID: 7, Name: "max"}, By: "tina"})
	testLoop.run()
	check("after giving control to max", "max controls", theme.Color(theme.ColorNameWarning))

	be.views[0].ControlChanged(proto.ControlChanged{SessionID: "s1"})
	testLoop.run()
	check("nobody in control", "Nobody controls", theme.Color(theme.ColorNameDisabled))

	// A guest sees the owner's name on the frame.
	g := ownSession(t, c, be, proto.SessionInfo{ID: "s2", Status: proto.StatusActive, Owner: "max", Controller: "max",
		Technicians: []string{"max", "tina"}, Guests: []string{"tina"}}, false)
	if g.dk.frame.tag.Text != "max controls" || g.dk.frame.edges[0].FillColor != theme.Color(theme.ColorNameWarning) {
		t.Fatalf("guest's frame: %q in %v", g.dk.frame.tag.Text, g.dk.frame.edges[0].FillColor)
	}
}
