// Package testscreen provides what end-to-end tests and benchmarks need on
// an X server: starting Xvfb, showing known images full-screen, recording
// the pointer events the server delivers, and a probe window that changes
// colour when clicked (for click-to-screen latency).
package testscreen

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"log"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

func init() { xgb.Logger = log.New(io.Discard, "", 0) }

// Xvfb is a running virtual X server.
type Xvfb struct {
	Display string
	cmd     *exec.Cmd
}

// Pid is the Xvfb process's ID (benchmarks read its CPU time).
func (x *Xvfb) Pid() int { return x.cmd.Process.Pid }

// StartXvfb starts Xvfb with one w x h x 24 screen, with -noreset (see
// shared/PLATFORM.md), and waits until it accepts connections. Xvfb picks
// the display number itself (-displayfd): it takes the first one whose
// lock is free and clears locks and sockets that a killed server left
// behind, so parallel test processes and stale files in /tmp cannot make
// it fail.
func StartXvfb(w, h int) (*Xvfb, error) {
	if _, err := exec.LookPath("Xvfb"); err != nil {
		return nil, errors.New("testscreen: Xvfb is not installed (installers/deps.sh installs it)")
	}
	r, wr, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("testscreen: start Xvfb: %w", err)
	}
	defer r.Close()
	var stderr bytes.Buffer
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", fmt.Sprintf("%dx%dx24", w, h), "-nolisten", "tcp", "-noreset")
	cmd.ExtraFiles = []*os.File{wr} // fd 3 in Xvfb
	cmd.Stderr = &stderr
	err = cmd.Start()
	wr.Close()
	if err != nil {
		return nil, fmt.Errorf("testscreen: start Xvfb: %w", err)
	}
	x := &Xvfb{cmd: cmd}
	// Xvfb writes "N\n" once it listens; the pipe ends without it if Xvfb exits.
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		got <- strings.TrimSpace(line)
	}()
	select {
	case n := <-got:
		if n == "" {
			cmd.Wait()
			return nil, fmt.Errorf("testscreen: Xvfb did not start: %s", strings.TrimSpace(stderr.String()))
		}
		x.Display = ":" + n
	case <-time.After(20 * time.Second):
		x.Close()
		<-got
		return nil, errors.New("testscreen: Xvfb did not report a display within 20 s")
	}
	c, err := xgb.NewConnDisplay(x.Display)
	if err != nil {
		x.Close()
		return nil, fmt.Errorf("testscreen: connect to Xvfb on %s: %w", x.Display, err)
	}
	c.Close()
	return x, nil
}

// SetMonitors splits the screen into monitors (RandR 1.5, with xrandr), as
// a desktop with several displays has. Xvfb's own +xinerama cannot: it
// stacks its screens at 0,0.
func (x *Xvfb) SetMonitors(rects ...image.Rectangle) error {
	for i, r := range rects {
		output := "none"
		if i == 0 {
			output = "screen" // Xvfb's one output: replaces its automatic monitor
		}
		geom := fmt.Sprintf("%d/%dx%d/%d+%d+%d", r.Dx(), r.Dx()/4, r.Dy(), r.Dy()/4, r.Min.X, r.Min.Y)
		cmd := exec.Command("xrandr", "--setmonitor", fmt.Sprintf("M%d", i), geom, output)
		cmd.Env = append(os.Environ(), "DISPLAY="+x.Display)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("testscreen: xrandr --setmonitor: %v: %s", err, out)
		}
	}
	return nil
}

// Close stops the server: SIGTERM lets it remove its lock and socket;
// SIGKILL follows if it has not exited within 5 s.
func (x *Xvfb) Close() {
	x.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { x.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		x.cmd.Process.Kill()
		<-done
	}
}

// Window is an override-redirect window of ours on the display.
type Window struct {
	c    *xgb.Conn
	win  xproto.Window
	gc   xproto.Gcontext
	rect image.Rectangle

	mu      sync.Mutex
	buttons chan ButtonEvent
	clicks  int
	colours [2]uint32
}

// ButtonEvent is a button press or release the server delivered to a window.
type ButtonEvent struct {
	Press  bool
	Button int
	X, Y   int
}

// NewWindow maps a window covering r on display.
func NewWindow(display string, r image.Rectangle) (*Window, error) {
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		return nil, fmt.Errorf("testscreen: connect: %w", err)
	}
	scr := xproto.Setup(c).DefaultScreen(c)
	win, _ := xproto.NewWindowId(c)
	w := &Window{c: c, win: win, rect: r}
	if err := xproto.CreateWindowChecked(c, scr.RootDepth, win, scr.Root, int16(r.Min.X), int16(r.Min.Y), uint16(r.Dx()), uint16(r.Dy()), 0,
		xproto.WindowClassInputOutput, scr.RootVisual, xproto.CwBackPixel|xproto.CwOverrideRedirect|xproto.CwEventMask,
		[]uint32{0, 1, xproto.EventMaskButtonPress | xproto.EventMaskButtonRelease}).Check(); err != nil {
		c.Close()
		return nil, fmt.Errorf("testscreen: create window: %w", err)
	}
	xproto.MapWindow(c, win)
	w.gc, _ = xproto.NewGcontextId(c)
	xproto.CreateGC(c, w.gc, xproto.Drawable(win), 0, nil)
	go w.events()
	return w, w.sync()
}

// FullScreen maps a window over the whole default screen.
func FullScreen(display string) (*Window, error) {
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		return nil, fmt.Errorf("testscreen: connect: %w", err)
	}
	scr := xproto.Setup(c).DefaultScreen(c)
	r := image.Rect(0, 0, int(scr.WidthInPixels), int(scr.HeightInPixels))
	c.Close()
	return NewWindow(display, r)
}

// sync waits until the server processed every request so far.
func (w *Window) sync() error {
	_, err := xproto.GetInputFocus(w.c).Reply()
	return err
}

// Show paints img (the window's size) into the window and waits until drawn.
func (w *Window) Show(img *image.RGBA) error {
	const band = 16
	width, height := w.rect.Dx(), w.rect.Dy()
	row := make([]byte, width*4*band)
	for y := 0; y < height; y += band {
		bh := min(band, height-y)
		for yy := 0; yy < bh; yy++ {
			for x := 0; x < width; x++ {
				o := img.PixOffset(x, y+yy)
				i := (yy*width + x) * 4
				row[i], row[i+1], row[i+2], row[i+3] = img.Pix[o+2], img.Pix[o+1], img.Pix[o], 0
			}
		}
		xproto.PutImage(w.c, xproto.ImageFormatZPixmap, xproto.Drawable(w.win), w.gc, uint16(width), uint16(bh), 0, int16(y), 0, 24, row[:width*4*bh])
	}
	return w.sync()
}

// Buttons returns the button events delivered to the window from now on.
func (w *Window) Buttons() <-chan ButtonEvent {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.buttons == nil {
		w.buttons = make(chan ButtonEvent, 256)
	}
	return w.buttons
}

// ToggleOnClick makes every button press repaint the window in the other of
// two colours (a probe for click-to-screen latency). Colours are 0xRRGGBB.
func (w *Window) ToggleOnClick(a, b uint32) error {
	w.mu.Lock()
	w.colours = [2]uint32{a, b}
	w.mu.Unlock()
	return w.fill(a)
}

func (w *Window) fill(rgb uint32) error {
	xproto.ChangeWindowAttributes(w.c, w.win, xproto.CwBackPixel, []uint32{rgb})
	xproto.ClearArea(w.c, false, w.win, 0, 0, 0, 0)
	return w.sync()
}

// Clicks counts presses seen so far.
func (w *Window) Clicks() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.clicks
}

func (w *Window) events() {
	for {
		ev, err := w.c.WaitForEvent()
		if ev == nil && err == nil {
			return
		}
		var be ButtonEvent
		switch e := ev.(type) {
		case xproto.ButtonPressEvent:
			be = ButtonEvent{true, int(e.Detail), int(e.EventX), int(e.EventY)}
		case xproto.ButtonReleaseEvent:
			be = ButtonEvent{false, int(e.Detail), int(e.EventX), int(e.EventY)}
		default:
			continue
		}
		w.mu.Lock()
		ch, cols := w.buttons, w.colours
		if be.Press {
			w.clicks++
		}
		n := w.clicks
		w.mu.Unlock()
		if be.Press && cols != [2]uint32{} {
			xproto.ChangeWindowAttributes(w.c, w.win, xproto.CwBackPixel, []uint32{cols[n%2]})
			xproto.ClearArea(w.c, false, w.win, 0, 0, 0, 0)
		}
		if ch != nil {
			select {
			case ch <- be:
			default:
			}
		}
	}
}

// Close unmaps the window.
func (w *Window) Close() { w.c.Close() }

// Image draws colour blocks with fine dark "text" strokes inside the white
// blocks; variant shifts the layout so two variants differ everywhere.
func Image(w, h, variant int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	cols := []color.RGBA{{200, 30, 30, 255}, {30, 170, 60, 255}, {40, 70, 200, 255}, {245, 245, 245, 255}, {250, 200, 40, 255}}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := cols[(x/120+y/90+variant)%len(cols)]
			if c == cols[3] && (y%12 == 5 || (x%7 == 3 && y%12 < 9)) {
				c = color.RGBA{20, 20, 20, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// Grab reads the whole screen of display, as a test's screenshot of what
// a person would see there.
func Grab(display string) (*image.RGBA, error) {
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		return nil, fmt.Errorf("testscreen: connect: %w", err)
	}
	defer c.Close()
	scr := xproto.Setup(c).DefaultScreen(c)
	w, h := int(scr.WidthInPixels), int(scr.HeightInPixels)
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	const band = 64 // rows per request, well under the request size limit
	for y := 0; y < h; y += band {
		bh := min(band, h-y)
		r, err := xproto.GetImage(c, xproto.ImageFormatZPixmap, xproto.Drawable(scr.Root), 0, int16(y), uint16(w), uint16(bh), 0xffffffff).Reply()
		if err != nil {
			return nil, fmt.Errorf("testscreen: get image: %w", err)
		}
		if len(r.Data) < w*bh*4 {
			return nil, fmt.Errorf("testscreen: short image (%d bytes; is the depth 24?)", len(r.Data))
		}
		for i := 0; i < w*bh; i++ {
			o := (y*w + i) * 4
			img.Pix[o], img.Pix[o+1], img.Pix[o+2], img.Pix[o+3] = r.Data[i*4+2], r.Data[i*4+1], r.Data[i*4], 0xff
		}
	}
	return img, nil
}
