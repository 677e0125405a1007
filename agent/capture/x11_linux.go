package capture

import (
	"errors"
	"fmt"
	"image"
	"io"
	"log"
	"log/slog"
	"os"
	"sync"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/damage"
	"github.com/jezek/xgb/shm"
	"github.com/jezek/xgb/xfixes"
	"github.com/jezek/xgb/xinerama"
	"github.com/jezek/xgb/xproto"
	"golang.org/x/sys/unix"

	"github.com/relaydesk/relaydesk/pkg/codec"
)

// X11 captures an X display over one persistent connection.
type X11 struct {
	mu    sync.Mutex
	c     *xgb.Conn
	root  xproto.Window
	depth byte
	xin   bool

	useShm bool
	seg    shm.Seg
	shmID  int
	shmBuf []byte

	// Damage: the X server tells us when the screen changed.
	xfixes       bool
	cursorSerial uint32 // of the last shape read
	dmg          damage.Damage
	parts        xfixes.Region // receives the damaged region at each grab
	damaged      chan struct{} // nil without the Damage extension
	events       sync.WaitGroup

	last        *codec.Frame // what GrabDamage returned last
	lastDisplay int
}

// xgb logs to stderr by default (e.g. a missing .Xauthority), also for
// kbinani/screenshot's connections; the end user's terminal is no place for that.
func init() { xgb.Logger = log.New(io.Discard, "", 0) }

// OpenX11 connects to display ("" means $DISPLAY).
func OpenX11(display string) (*X11, error) {
	if display == "" && os.Getenv("DISPLAY") == "" {
		return nil, ErrNoDisplay
	}
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		return nil, fmt.Errorf("capture: connect to X display: %w", err)
	}
	setup := xproto.Setup(c)
	scr := setup.DefaultScreen(c)
	x := &X11{c: c, root: scr.Root, depth: scr.RootDepth, shmID: -1}
	if scr.RootDepth != 24 && scr.RootDepth != 32 {
		c.Close()
		return nil, fmt.Errorf("capture: display depth %d is not supported (24 or 32 bits)", scr.RootDepth)
	}
	if xinerama.Init(c) == nil {
		if r, err := xinerama.IsActive(c).Reply(); err == nil && r.State != 0 {
			x.xin = true
		}
	}
	x.useShm = shm.Init(c) == nil
	x.watchDamage()
	return x, nil
}

// watchDamage subscribes to damage on the root window (which covers every
// window drawn on it). Without the extension, Damaged returns nil and the
// caller polls.
func (x *X11) watchDamage() {
	if damage.Init(x.c) != nil || xfixes.Init(x.c) != nil {
		return
	}
	if _, err := xfixes.QueryVersion(x.c, 2, 0).Reply(); err != nil {
		return
	}
	x.xfixes = true
	if _, err := damage.QueryVersion(x.c, 1, 1).Reply(); err != nil {
		return
	}
	id, err := damage.NewDamageId(x.c)
	if err != nil {
		return
	}
	// Delta rectangles: an event whenever the damaged region grows, not
	// only when it stops being empty. With the latter, once a moving
	// window's damage was pending, a click elsewhere told nothing until
	// the next grab: the click's frame waited for the next slot of the
	// frame-rate cap (a third of the clicks while a window moved, 13-21 ms).
	if err := damage.CreateChecked(x.c, id, xproto.Drawable(x.root), damage.ReportLevelDeltaRectangles).Check(); err != nil {
		return
	}
	parts, err := xfixes.NewRegionId(x.c)
	if err != nil {
		return
	}
	if err := xfixes.CreateRegionChecked(x.c, parts, nil).Check(); err != nil {
		return
	}
	x.dmg, x.parts, x.damaged = id, parts, make(chan struct{}, 1)
	// Reads events until the connection closes (Close waits for it).
	x.events.Go(func() {
		for {
			ev, err := x.c.WaitForEvent()
			if ev == nil && err == nil {
				return
			}
			if _, ok := ev.(damage.NotifyEvent); ok {
				select {
				case x.damaged <- struct{}{}:
				default:
				}
			}
		}
	})
}

// Damaged receives a value when the screen changed since the last Grab,
// again whenever what changed grows (a change beside one still pending
// notifies too); nil when the server cannot tell (then poll).
func (x *X11) Damaged() <-chan struct{} { return x.damaged }

// Displays implements Source.
func (x *X11) Displays() ([]image.Rectangle, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.xin {
		r, err := xinerama.QueryScreens(x.c).Reply()
		if err == nil && len(r.ScreenInfo) > 0 {
			out := make([]image.Rectangle, len(r.ScreenInfo))
			for i, s := range r.ScreenInfo {
				out[i] = image.Rect(int(s.XOrg), int(s.YOrg), int(s.XOrg)+int(s.Width), int(s.YOrg)+int(s.Height))
			}
			return out, nil
		}
	}
	g, err := xproto.GetGeometry(x.c, xproto.Drawable(x.root)).Reply()
	if err != nil {
		return nil, fmt.Errorf("capture: screen size: %w", err)
	}
	return []image.Rectangle{image.Rect(0, 0, int(g.Width), int(g.Height))}, nil
}

// ensureShm makes the shared segment at least n bytes. Callers hold x.mu.
func (x *X11) ensureShm(n int) error {
	if len(x.shmBuf) >= n {
		return nil
	}
	x.freeShm()
	id, err := unix.SysvShmGet(unix.IPC_PRIVATE, n, unix.IPC_CREAT|0o600)
	if err != nil {
		return err
	}
	buf, err := unix.SysvShmAttach(id, 0, 0)
	if err != nil {
		unix.SysvShmCtl(id, unix.IPC_RMID, nil)
		return err
	}
	seg, err := shm.NewSegId(x.c)
	if err == nil {
		err = shm.AttachChecked(x.c, seg, uint32(id), false).Check()
	}
	// Marked for removal now: it disappears when both sides detach, even if we crash.
	unix.SysvShmCtl(id, unix.IPC_RMID, nil)
	if err != nil {
		unix.SysvShmDetach(buf)
		return err
	}
	x.seg, x.shmID, x.shmBuf = seg, id, buf
	return nil
}

func (x *X11) freeShm() {
	if x.shmBuf != nil {
		shm.Detach(x.c, x.seg)
		unix.SysvShmDetach(x.shmBuf)
		x.shmBuf, x.shmID = nil, -1
	}
}

// Grab implements Source.
func (x *X11) Grab(i int, dst *codec.Frame) (*codec.Frame, error) {
	ds, err := x.Displays()
	if err != nil {
		return nil, err
	}
	if i < 0 || i >= len(ds) {
		return nil, fmt.Errorf("%w: %d of %d", ErrBadDisplay, i, len(ds))
	}
	r := ds[i]
	w, h := r.Dx(), r.Dy()
	if dst == nil || dst.Rect.Dx() != w || dst.Rect.Dy() != h {
		dst = codec.NewFrame(w, h)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.damaged != nil {
		// Reset before grabbing: a change during the grab notifies again.
		damage.Subtract(x.c, x.dmg, 0, 0)
	}
	n := w * h * 4
	if x.useShm {
		if err := x.ensureShm(n); err != nil {
			x.useShm = false // e.g. a remote X server: fall back for good
		} else {
			_, err := shm.GetImage(x.c, xproto.Drawable(x.root), int16(r.Min.X), int16(r.Min.Y), uint16(w), uint16(h),
				0xffffffff, xproto.ImageFormatZPixmap, x.seg, 0).Reply()
			if err != nil {
				return nil, fmt.Errorf("capture: shm grab: %w", err)
			}
			copy(dst.Pix, x.shmBuf[:n])
			return dst, nil
		}
	}
	// GetImage replies are limited in size: grab in bands.
	band := max(1, (1<<22)/(w*4))
	for y := 0; y < h; y += band {
		bh := min(band, h-y)
		img, err := xproto.GetImage(x.c, xproto.ImageFormatZPixmap, xproto.Drawable(x.root),
			int16(r.Min.X), int16(r.Min.Y+y), uint16(w), uint16(bh), 0xffffffff).Reply()
		if err != nil {
			return nil, fmt.Errorf("capture: grab: %w", err)
		}
		copy(dst.Pix[y*dst.Stride:], img.Data)
	}
	return dst, nil
}

// GrabDamage implements DamageGrabber: it takes the region the X server
// reports damaged since the last grab and grabs only its rectangles (or,
// when they are many or cover most of their bounding box, that box), each
// through MIT-SHM. Without the Damage extension it grabs everything.
func (x *X11) GrabDamage(i int, dst *codec.Frame) (*codec.Frame, []image.Rectangle, error) {
	ds, err := x.Displays()
	if err != nil {
		return nil, nil, err
	}
	if i < 0 || i >= len(ds) {
		return nil, nil, fmt.Errorf("%w: %d of %d", ErrBadDisplay, i, len(ds))
	}
	r := ds[i]
	x.mu.Lock()
	whole := x.damaged == nil || dst == nil || dst != x.last || i != x.lastDisplay || dst.Rect.Size() != r.Size()
	x.mu.Unlock()
	if whole {
		f, err := x.Grab(i, dst) // resets the damage
		x.mu.Lock()
		x.last, x.lastDisplay = f, i
		x.mu.Unlock()
		if err != nil {
			return nil, nil, err
		}
		return f, []image.Rectangle{f.Rect}, nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	// Move the damage into parts and read it: one round trip. A change
	// during the grab notifies again.
	damage.Subtract(x.c, x.dmg, 0, x.parts)
	reg, err := xfixes.FetchRegion(x.c, x.parts).Reply()
	if err != nil {
		return nil, nil, fmt.Errorf("capture: read the damaged region: %w", err)
	}
	var rects []image.Rectangle
	var area int
	var box image.Rectangle
	for _, xr := range reg.Rectangles {
		dr := image.Rect(int(xr.X), int(xr.Y), int(xr.X)+int(xr.Width), int(xr.Y)+int(xr.Height)).Intersect(r).Sub(r.Min)
		if dr.Empty() {
			continue
		}
		rects = append(rects, dr)
		area += dr.Dx() * dr.Dy()
		box = box.Union(dr)
	}
	if len(rects) == 0 {
		return dst, nil, nil
	}
	// Every request is a round trip: many small rectangles, or ones that
	// fill most of their bounding box, are cheaper grabbed as that box.
	if len(rects) > 8 || area*4 > box.Dx()*box.Dy()*3 {
		rects = []image.Rectangle{box}
	}
	for _, dr := range rects {
		if err := x.grabRect(r.Min, dr, dst); err != nil {
			return nil, nil, err
		}
	}
	return dst, rects, nil
}

// grabRect copies rectangle dr of the display at origin into the same
// place of dst. Callers hold x.mu.
func (x *X11) grabRect(origin image.Point, dr image.Rectangle, dst *codec.Frame) error {
	w, h := dr.Dx(), dr.Dy()
	if x.useShm && x.ensureShm(w*h*4) == nil {
		_, err := shm.GetImage(x.c, xproto.Drawable(x.root), int16(origin.X+dr.Min.X), int16(origin.Y+dr.Min.Y), uint16(w), uint16(h),
			0xffffffff, xproto.ImageFormatZPixmap, x.seg, 0).Reply()
		if err != nil {
			return fmt.Errorf("capture: shm grab of %v: %w", dr, err)
		}
		for y := 0; y < h; y++ {
			copy(dst.Pix[(dr.Min.Y+y)*dst.Stride+dr.Min.X*4:], x.shmBuf[y*w*4:(y+1)*w*4])
		}
		return nil
	}
	band := max(1, (1<<22)/(w*4))
	for y := 0; y < h; y += band {
		bh := min(band, h-y)
		img, err := xproto.GetImage(x.c, xproto.ImageFormatZPixmap, xproto.Drawable(x.root),
			int16(origin.X+dr.Min.X), int16(origin.Y+dr.Min.Y+y), uint16(w), uint16(bh), 0xffffffff).Reply()
		if err != nil {
			return fmt.Errorf("capture: grab of %v: %w", dr, err)
		}
		for yy := 0; yy < bh; yy++ {
			copy(dst.Pix[(dr.Min.Y+y+yy)*dst.Stride+dr.Min.X*4:], img.Data[yy*w*4:(yy+1)*w*4])
		}
	}
	return nil
}

// Cursor implements CursorSource (XFIXES).
func (x *X11) Cursor(withShape bool) (Cursor, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.xfixes {
		return Cursor{}, errors.New("capture: the X server has no XFIXES extension")
	}
	if !withShape {
		// The position alone is a cheap request; the image is ~4 KiB a time.
		q, err := xproto.QueryPointer(x.c, x.root).Reply()
		if err != nil {
			return Cursor{}, fmt.Errorf("capture: pointer: %w", err)
		}
		return Cursor{X: int(q.RootX), Y: int(q.RootY), Serial: x.cursorSerial}, nil
	}
	r, err := xfixes.GetCursorImage(x.c).Reply()
	if err != nil {
		return Cursor{}, fmt.Errorf("capture: cursor: %w", err)
	}
	x.cursorSerial = r.CursorSerial
	cur := Cursor{X: int(r.X), Y: int(r.Y), Serial: r.CursorSerial, Hot: image.Pt(int(r.Xhot), int(r.Yhot))}
	if withShape && r.Width > 0 && r.Height > 0 && r.Width <= 256 && r.Height <= 256 {
		img := image.NewRGBA(image.Rect(0, 0, int(r.Width), int(r.Height)))
		for i, px := range r.CursorImage[:int(r.Width)*int(r.Height)] {
			// Premultiplied ARGB to straight RGBA.
			a := px >> 24
			unpremul := func(c uint32) byte {
				if a == 0 {
					return 0
				}
				return byte(min(255, c*255/a))
			}
			img.Pix[i*4], img.Pix[i*4+1], img.Pix[i*4+2], img.Pix[i*4+3] = unpremul(px>>16&0xff), unpremul(px>>8&0xff), unpremul(px&0xff), byte(a)
		}
		cur.Shape = img
	}
	return cur, nil
}

// Close implements Source.
func (x *X11) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.freeShm()
	x.c.Close()
	x.events.Wait()
	return nil
}

// Open opens the platform's screen source (the logger serves Windows,
// which logs whether DXGI or GDI captures).
func Open(*slog.Logger) (Source, error) { return OpenX11("") }
