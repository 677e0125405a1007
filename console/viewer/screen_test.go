package viewer

import (
	"fmt"
	"image"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

type recorder struct{ got []proto.Input }

func (r *recorder) SendInput(in proto.Input) error { r.got = append(r.got, in); return nil }

func (r *recorder) String() string {
	var s []string
	for _, in := range r.got {
		switch in.Kind {
		case proto.InputMove:
			s = append(s, fmt.Sprintf("move %.2f,%.2f", in.X, in.Y))
		case proto.InputDown, proto.InputUp:
			s = append(s, fmt.Sprintf("%s %s %.2f,%.2f", map[bool]string{true: "down", false: "up"}[in.Kind == proto.InputDown], in.Button, in.X, in.Y))
		case proto.InputKeyDn:
			s = append(s, "+"+in.Key)
		case proto.InputKeyUp:
			s = append(s, "-"+in.Key)
		case proto.InputText:
			s = append(s, "text "+in.Text)
		case proto.InputWheel:
			s = append(s, fmt.Sprintf("wheel %d", in.DY))
		case proto.InputRelAll:
			s = append(s, "release all")
		}
	}
	return strings.Join(s, "; ")
}

// newScreen shows a 200x100 picture in a 400x200 view scaled to fit: the
// picture fills it exactly.
func newScreen(t *testing.T) (*Screen, *recorder, fyne.Window) {
	t.Helper()
	a := test.NewApp()
	t.Cleanup(a.Quit)
	rec := &recorder{}
	s := NewScreen(rec, nil)
	w := test.NewWindow(s)
	w.SetPadded(false)
	w.Resize(fyne.NewSize(400, 200))
	s.SetFrame(image.NewRGBA(image.Rect(0, 0, 200, 100)))
	return s, rec, w
}

func TestInputOnlyWithFocus(t *testing.T) {
	s, rec, w := newScreen(t)
	// Without focus nothing goes out, and the first click only focuses.
	s.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(100, 50)}})
	s.KeyDown(&fyne.KeyEvent{Name: fyne.KeyA})
	s.MouseDown(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(100, 50)}, Button: desktop.MouseButtonPrimary})
	s.MouseUp(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(100, 50)}, Button: desktop.MouseButtonPrimary})
	if len(rec.got) != 0 || w.Canvas().Focused() != s {
		t.Fatalf("unfocused view sent %s (focused %v)", rec, w.Canvas().Focused() == s)
	}
	// Focused: coordinates are normalised to the picture.
	s.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(100, 50)}})
	s.MouseDown(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(400, 200)}, Button: desktop.MouseButtonSecondary})
	s.MouseUp(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(400, 200)}, Button: desktop.MouseButtonSecondary})
	s.Scrolled(&fyne.ScrollEvent{Scrolled: fyne.NewDelta(0, -50)})
	want := "move 0.25,0.25; down right 1.00,1.00; up right 1.00,1.00; wheel 2"
	if rec.String() != want {
		t.Fatalf("sent %q, want %q", rec, want)
	}
}

func TestKeysAreCapturedAndReleasedOnFocusLoss(t *testing.T) {
	s, rec, w := newScreen(t)
	w.Canvas().Focus(s)
	for _, k := range []fyne.KeyName{desktop.KeyControlLeft, desktop.KeyAltLeft, fyne.KeyF5, fyne.KeyTab, fyne.KeyA} {
		s.KeyDown(&fyne.KeyEvent{Name: k})
	}
	s.KeyUp(&fyne.KeyEvent{Name: fyne.KeyA})
	s.TypedRune('a') // already sent as a key
	s.KeyDown(&fyne.KeyEvent{Name: fyne.KeyUnknown})
	s.TypedRune('é') // no key name: as text
	w.Canvas().Unfocus()
	want := "+Control_L; +Alt_L; +F5; +Tab; +a; -a; text é; release all"
	if rec.String() != want {
		t.Fatalf("sent %q, want %q", rec, want)
	}
	if !s.AcceptsTab() {
		t.Fatal("Tab must go to the remote")
	}
}

func TestViewOnlySendsNothing(t *testing.T) {
	s, rec, w := newScreen(t)
	w.Canvas().Focus(s)
	s.KeyDown(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
	s.SetViewOnly(true) // releases what is held, then nothing more
	s.KeyDown(&fyne.KeyEvent{Name: fyne.KeyB})
	s.SendKeys([]string{"Control_L", "Alt_L", "Delete"})
	s.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(10, 10)}})
	if want := "+Shift_L; release all"; rec.String() != want {
		t.Fatalf("sent %q, want %q", rec, want)
	}
}

func TestFramesAreShownScaledOrOneToOne(t *testing.T) {
	s, _, w := newScreen(t)
	img := image.NewRGBA(image.Rect(0, 0, 800, 200))
	img.Pix[0] = 0xff
	s.SetFrame(img)
	if got := s.Frame(); got == nil || got.Rect.Dx() != 800 || got.Pix[0] != 0xff {
		t.Fatal("the frame on screen is not the last one set")
	}
	img.Pix[0] = 0 // the screen keeps its own copy
	if s.Frame().Pix[0] != 0xff {
		t.Fatal("the screen shares the caller's buffer")
	}
	// Fit: 800x200 in 400x200 is drawn 400x100, centred vertically.
	if p, sz := s.pictureRect(s.Size()); sz != fyne.NewSize(400, 100) || p != fyne.NewPos(0, 50) {
		t.Fatalf("fit: %v %v", p, sz)
	}
	s.SetFit(false)
	if s.MinSize() != fyne.NewSize(800, 200) {
		t.Fatalf("1:1 min size %v", s.MinSize())
	}
	_ = w
	if rec, _ := s.Counts(); rec != 2 {
		t.Fatalf("received %d frames", rec)
	}
}

func TestPaintedCountsEachFrameDrawnOnce(t *testing.T) {
	s, _, w := newScreen(t)
	paint := func() int64 {
		w.Canvas().Capture() // the test driver paints the raster on capture
		_, painted := s.Counts()
		return painted
	}
	if n := paint(); n != 1 {
		t.Fatalf("after the first frame was drawn: %d painted, want 1", n)
	}
	if n := paint(); n != 1 {
		t.Fatalf("drawing the same frame again counted: %d painted, want 1", n)
	}
	img := image.NewRGBA(image.Rect(0, 0, 200, 100))
	s.SetFrame(img)
	if n := paint(); n != 2 {
		t.Fatalf("after a second frame was drawn: %d painted, want 2", n)
	}
	for range 3 { // faster than the renderer: only the last one is drawn
		s.SetFrame(img)
	}
	if n := paint(); n != 3 {
		t.Fatalf("after three frames and one paint: %d painted, want 3", n)
	}
	if rec, _ := s.Counts(); rec != 5 {
		t.Fatalf("received %d frames, want 5", rec)
	}
}

func TestKeysym(t *testing.T) {
	for k, want := range map[fyne.KeyName]string{
		fyne.KeyReturn: "Return", fyne.KeyA: "a", fyne.Key1: "1", fyne.KeySlash: "/", desktop.KeySuperLeft: "Super_L",
		fyne.KeyPageUp: "Prior", fyne.KeyBackspace: "BackSpace", fyne.KeySpace: "space",
	} {
		if got, ok := Keysym(k); !ok || got != want {
			t.Errorf("Keysym(%q) = %q, %v; want %q", k, got, ok, want)
		}
	}
	if _, ok := Keysym("Ö"); ok {
		t.Error("a non-ASCII key name must travel as text")
	}
}

// A frame is shown through the UI runner the screen was given (the
// console's holds UI work while the app quits), once per burst of frames.
func TestFramesAreShownThroughTheGivenRunner(t *testing.T) {
	a := test.NewApp()
	t.Cleanup(a.Quit)
	var queued []func()
	s := NewScreen(&recorder{}, func(f func()) { queued = append(queued, f) })
	red := image.NewRGBA(image.Rect(0, 0, 4, 2))
	red.Pix[0] = 0xff
	s.SetFrame(red)
	s.SetFrame(red)
	if len(queued) != 1 {
		t.Fatalf("%d swaps queued for two frames before the UI ran, want 1", len(queued))
	}
	if got := s.Frame(); got == nil || got.Pix[0] != 0xff {
		t.Fatal("Frame does not return the latest frame before the swap")
	}
	queued[0]()
	if _, painted := s.Counts(); painted != 0 {
		t.Fatalf("painted %d before any draw", painted)
	}
	s.SetFrame(red)
	if len(queued) != 2 {
		t.Fatalf("a frame after the swap queued %d swaps in all, want 2", len(queued))
	}
}
