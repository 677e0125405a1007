package overlay

import (
	"fmt"
	"image"
	"log/slog"
	"math/bits"
	"os"
	"sync"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/shape"
	"github.com/jezek/xgb/xproto"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// Overlay is the drawing window on an X display. It connects when the
// first shape is drawn; until then it costs nothing. Safe for concurrent use.
type Overlay struct {
	cfg Config
	log *slog.Logger

	drawn            // mu guards the fields below too
	c      *xgb.Conn // nil until the first Draw (and after a failure)
	win    xproto.Window
	pix    xproto.Pixmap // the window's background: the strokes in colour
	mask   xproto.Pixmap // depth 1: where the strokes are (the window's shape)
	gcPix  xproto.Gcontext
	gcMask xproto.Gcontext
	size   image.Point // of the root window, which the overlay covers
	rgb    [3]uint32   // the root visual's red, green and blue masks
	mapped bool
	events sync.WaitGroup // the event reader of c
}

// New returns the overlay of cfg.Display.
func New(cfg Config) *Overlay {
	return &Overlay{cfg: cfg, log: cfg.logger()}
}

// Draw adds s, normalised to area (the captured display's place on the
// desktop), and returns how many shapes the screen shows. The shape is on
// the screen when Draw returns. Past proto.MaxDrawnShapes the oldest goes.
func (o *Overlay) Draw(area image.Rectangle, s proto.DrawShape) (int, error) {
	if err := s.Check(); err != nil {
		return 0, fmt.Errorf("overlay: %w", err)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.connect(); err != nil {
		return len(o.strokes), err
	}
	st := outline(s, area)
	var trimmed bool
	if o.strokes, trimmed = keep(o.strokes, st); trimmed {
		o.wipe()
		for _, st := range o.strokes {
			o.paint(st)
		}
	} else {
		o.paint(st)
	}
	shape.Mask(o.c, shape.SoSet, shape.SkBounding, o.win, 0, 0, o.mask)
	xproto.ClearArea(o.c, false, o.win, 0, 0, 0, 0) // repaint from the background pixmap
	if !o.mapped {
		xproto.MapWindow(o.c, o.win)
		o.mapped = true
	}
	xproto.ConfigureWindow(o.c, o.win, xproto.ConfigWindowStackMode, []uint32{xproto.StackModeAbove})
	if err := o.sync(); err != nil {
		return 0, o.fail("draw", err)
	}
	return len(o.strokes), nil
}

// Clear removes every shape; the window is unmapped until the next Draw.
// The screen is clear when Clear returns.
func (o *Overlay) Clear() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.strokes = nil
	if o.c == nil || !o.mapped {
		return nil
	}
	xproto.UnmapWindow(o.c, o.win)
	o.mapped = false
	o.wipe()
	if err := o.sync(); err != nil {
		return o.fail("clear", err)
	}
	return nil
}

// Close removes the window and closes the connection.
func (o *Overlay) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.strokes = nil
	o.disconnect()
	return nil
}

// connect opens the connection and creates the window, unmapped, on the
// first use. Callers hold mu.
func (o *Overlay) connect() error {
	if o.c != nil {
		return nil
	}
	if o.cfg.Display == "" && os.Getenv("DISPLAY") == "" {
		return fmt.Errorf("%w (no X display)", ErrUnavailable)
	}
	c, err := xgb.NewConnDisplay(o.cfg.Display)
	if err != nil {
		return fmt.Errorf("overlay: connect to the X display: %w", err)
	}
	if err := shape.Init(c); err != nil {
		c.Close()
		return fmt.Errorf("%w (the X server lacks the SHAPE extension)", ErrUnavailable)
	}
	if v, err := shape.QueryVersion(c).Reply(); err != nil || v.MajorVersion < 1 || (v.MajorVersion == 1 && v.MinorVersion < 1) {
		c.Close()
		return fmt.Errorf("%w (the X server's SHAPE extension cannot let input through)", ErrUnavailable)
	}
	scr := xproto.Setup(c).DefaultScreen(c)
	o.c, o.size = c, image.Pt(int(scr.WidthInPixels), int(scr.HeightInPixels))
	o.rgb = [3]uint32{0xff0000, 0xff00, 0xff}
	for _, d := range scr.AllowedDepths {
		for _, v := range d.Visuals {
			if v.VisualId == scr.RootVisual {
				o.rgb = [3]uint32{v.RedMask, v.GreenMask, v.BlueMask}
			}
		}
	}
	o.events.Go(func() { // xgb queues errors of unchecked requests as events: read them
		for {
			ev, err := c.WaitForEvent()
			if ev == nil && err == nil {
				return
			}
			if err != nil {
				o.log.Debug("overlay: X error", "err", err)
			}
		}
	})
	w, h := uint16(o.size.X), uint16(o.size.Y)
	o.win, _ = xproto.NewWindowId(c)
	o.pix, _ = xproto.NewPixmapId(c)
	o.mask, _ = xproto.NewPixmapId(c)
	o.gcPix, _ = xproto.NewGcontextId(c)
	o.gcMask, _ = xproto.NewGcontextId(c)
	xproto.CreatePixmap(c, scr.RootDepth, o.pix, xproto.Drawable(scr.Root), w, h)
	xproto.CreatePixmap(c, 1, o.mask, xproto.Drawable(scr.Root), w, h)
	round := []uint32{xproto.CapStyleRound, xproto.JoinStyleRound}
	xproto.CreateGC(c, o.gcPix, xproto.Drawable(o.pix), xproto.GcCapStyle|xproto.GcJoinStyle, round)
	xproto.CreateGC(c, o.gcMask, xproto.Drawable(o.mask), xproto.GcCapStyle|xproto.GcJoinStyle, round)
	err = xproto.CreateWindowChecked(c, scr.RootDepth, o.win, scr.Root, 0, 0, w, h, 0,
		xproto.WindowClassInputOutput, scr.RootVisual, xproto.CwBackPixmap|xproto.CwOverrideRedirect,
		[]uint32{uint32(o.pix), 1}).Check()
	if err != nil {
		o.disconnect()
		return fmt.Errorf("overlay: create the drawing window: %w", err)
	}
	name := "RelayDesk drawing"
	xproto.ChangeProperty(c, xproto.PropModeReplace, o.win, xproto.AtomWmName, xproto.AtomString, 8, uint32(len(name)), []byte(name))
	// No input region at all: the end user's clicks and keys pass through.
	if err := shape.RectanglesChecked(c, shape.SoSet, shape.SkInput, xproto.ClipOrderingUnsorted, o.win, 0, 0, nil).Check(); err != nil {
		o.disconnect()
		return fmt.Errorf("overlay: let input through the drawing window: %w", err)
	}
	o.wipe()
	return o.sync()
}

// wipe empties both pixmaps. Callers hold mu.
func (o *Overlay) wipe() {
	all := []xproto.Rectangle{{Width: uint16(o.size.X), Height: uint16(o.size.Y)}}
	xproto.ChangeGC(o.c, o.gcMask, xproto.GcForeground, []uint32{0})
	xproto.PolyFillRectangle(o.c, xproto.Drawable(o.mask), o.gcMask, all)
	xproto.ChangeGC(o.c, o.gcPix, xproto.GcForeground, []uint32{0})
	xproto.PolyFillRectangle(o.c, xproto.Drawable(o.pix), o.gcPix, all)
}

// paint draws st into both pixmaps with the same lines, so the shape
// covers exactly the coloured pixels. Callers hold mu.
func (o *Overlay) paint(st stroke) {
	for _, t := range []struct {
		d  xproto.Drawable
		gc xproto.Gcontext
		fg uint32
	}{{xproto.Drawable(o.pix), o.gcPix, o.pixel(st.colour)}, {xproto.Drawable(o.mask), o.gcMask, 1}} {
		xproto.ChangeGC(o.c, t.gc, xproto.GcForeground|xproto.GcLineWidth, []uint32{t.fg, uint32(st.width)})
		for _, l := range st.lines {
			pts := make([]xproto.Point, len(l))
			for i, p := range l {
				pts[i] = xproto.Point{X: int16(p.X), Y: int16(p.Y)}
			}
			xproto.PolyLine(o.c, xproto.CoordModeOrigin, t.d, t.gc, pts)
		}
		if e := st.ellipse; !e.Empty() {
			xproto.PolyArc(o.c, t.d, t.gc, []xproto.Arc{{X: int16(e.Min.X), Y: int16(e.Min.Y), Width: uint16(e.Dx()), Height: uint16(e.Dy()), Angle1: 0, Angle2: 360 * 64}})
		}
	}
}

// pixel is 0xRRGGBB in the root visual's layout.
func (o *Overlay) pixel(rgb uint32) uint32 {
	var p uint32
	for i, m := range o.rgb {
		v := (rgb >> (16 - 8*i)) & 0xff
		if m == 0 {
			continue
		}
		width := 32 - bits.LeadingZeros32(m) - bits.TrailingZeros32(m)
		if width < 8 {
			v >>= 8 - width
		}
		p |= (v << bits.TrailingZeros32(m)) & m
	}
	return p
}

// sync waits until the server processed every request so far.
func (o *Overlay) sync() error {
	_, err := xproto.GetInputFocus(o.c).Reply()
	return err
}

// fail drops a connection that broke at step; the next Draw connects again.
func (o *Overlay) fail(step string, err error) error {
	o.disconnect()
	o.strokes = nil // the server removed the window with the connection
	return fmt.Errorf("overlay: %s: %w", step, err)
}

// disconnect closes the connection (the server destroys the window) and
// waits for its event reader. Callers hold mu.
func (o *Overlay) disconnect() {
	if o.c == nil {
		return
	}
	o.c.Close()
	o.events.Wait()
	o.c, o.mapped = nil, false
}
