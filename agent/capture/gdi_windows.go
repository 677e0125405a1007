package capture

import (
	"errors"
	"fmt"
	"image"
	"sync"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/relaydesk/relaydesk/pkg/codec"
)

// Windows' GDI and user32 entry points, called without cgo.
var (
	user32 = windows.NewLazySystemDLL("user32.dll")
	gdi32  = windows.NewLazySystemDLL("gdi32.dll")

	procGetDC                         = user32.NewProc("GetDC")
	procReleaseDC                     = user32.NewProc("ReleaseDC")
	procEnumDisplayMonitors           = user32.NewProc("EnumDisplayMonitors")
	procGetMonitorInfoW               = user32.NewProc("GetMonitorInfoW")
	procGetCursorInfo                 = user32.NewProc("GetCursorInfo")
	procGetSystemMetrics              = user32.NewProc("GetSystemMetrics")
	procSetProcessDpiAwarenessContext = user32.NewProc("SetProcessDpiAwarenessContext")
	procSetProcessDPIAware            = user32.NewProc("SetProcessDPIAware")
	procDrawIconEx                    = user32.NewProc("DrawIconEx")
	procGetIconInfo                   = user32.NewProc("GetIconInfo")
	procLoadCursorW                   = user32.NewProc("LoadCursorW")

	procCreateCompatibleDC = gdi32.NewProc("CreateCompatibleDC")
	procDeleteDC           = gdi32.NewProc("DeleteDC")
	procCreateDIBSection   = gdi32.NewProc("CreateDIBSection")
	procSelectObject       = gdi32.NewProc("SelectObject")
	procDeleteObject       = gdi32.NewProc("DeleteObject")
	procBitBlt             = gdi32.NewProc("BitBlt")
	procGdiFlush           = gdi32.NewProc("GdiFlush")
)

const (
	srcCopy    = 0x00CC0020
	captureBlt = 0x40000000
	// DPI_AWARENESS_CONTEXT_PER_MONITOR_AWARE_V2
	dpiPerMonitorV2 = ^uintptr(3) // (HANDLE)-4
	cursorShowing   = 0x00000001
	diNormal        = 0x0003
	smCxCursor      = 13
	smCyCursor      = 14
	idcArrow        = 32512
)

type rect struct{ Left, Top, Right, Bottom int32 }

type monitorInfo struct {
	Size    uint32
	Monitor rect
	Work    rect
	Flags   uint32
}

type bitmapInfoHeader struct {
	Size          uint32
	Width         int32
	Height        int32
	Planes        uint16
	BitCount      uint16
	Compression   uint32
	SizeImage     uint32
	XPelsPerMeter int32
	YPelsPerMeter int32
	ClrUsed       uint32
	ClrImportant  uint32
}

type cursorInfo struct {
	Size    uint32
	Flags   uint32
	Cursor  windows.Handle
	ScreenX int32
	ScreenY int32
}

type iconInfo struct {
	Icon     int32
	XHotspot uint32
	YHotspot uint32
	Mask     windows.Handle
	Color    windows.Handle
}

// dpiOnce makes the process per-monitor (v2) DPI aware before the first
// capture, so that monitor bounds, grabs and injected pointer positions are
// in real pixels on scaled displays instead of Windows' virtualised ones.
var dpiOnce sync.Once

// SetDPIAware makes the process per-monitor-v2 DPI aware (Windows 10 1703
// and later), else system DPI aware; it reports which one took effect.
// Call it before the first window is created; later calls do nothing.
func SetDPIAware() (mode string) {
	dpiOnce.Do(func() {
		if procSetProcessDpiAwarenessContext.Find() == nil {
			if r, _, _ := procSetProcessDpiAwarenessContext.Call(dpiPerMonitorV2); r != 0 {
				mode = "per-monitor-v2"
				return
			}
		}
		if procSetProcessDPIAware.Find() == nil {
			if r, _, _ := procSetProcessDPIAware.Call(); r != 0 {
				mode = "system"
			}
		}
	})
	return mode
}

// GDI captures the Windows desktop with BitBlt from the screen's device
// context into a DIB section (top-down, 32 bits, BGRA: the byte order the
// encoder takes). It works everywhere GDI does: Remote Desktop sessions,
// old drivers and Wine, where DXGI Desktop Duplication is not available.
type GDI struct {
	mu     sync.Mutex
	screen uintptr // the desktop's DC
	mem    uintptr // memory DC holding bmp
	bmp    uintptr
	old    uintptr
	bits   unsafe.Pointer
	w, h   int

	cursorSerial uint32
	lastCursor   windows.Handle
}

// OpenGDI opens the desktop for BitBlt capture.
func OpenGDI() (*GDI, error) {
	SetDPIAware()
	screen, _, err := procGetDC.Call(0)
	if screen == 0 {
		return nil, fmt.Errorf("capture: open the desktop's device context: %w", err)
	}
	mem, _, err := procCreateCompatibleDC.Call(screen)
	if mem == 0 {
		procReleaseDC.Call(0, screen)
		return nil, fmt.Errorf("capture: create a memory device context: %w", err)
	}
	return &GDI{screen: screen, mem: mem}, nil
}

// Displays implements Source: every monitor, in virtual-desktop coordinates,
// the primary one first.
func (g *GDI) Displays() ([]image.Rectangle, error) {
	var mons []image.Rectangle
	primary := -1
	cb := windows.NewCallback(func(hmon, hdc, lprc, data uintptr) uintptr {
		mi := monitorInfo{Size: uint32(unsafe.Sizeof(monitorInfo{}))}
		if r, _, _ := procGetMonitorInfoW.Call(hmon, uintptr(unsafe.Pointer(&mi))); r != 0 {
			m := mi.Monitor
			if mi.Flags&1 != 0 { // MONITORINFOF_PRIMARY
				primary = len(mons)
			}
			mons = append(mons, image.Rect(int(m.Left), int(m.Top), int(m.Right), int(m.Bottom)))
		}
		return 1
	})
	if r, _, err := procEnumDisplayMonitors.Call(0, 0, cb, 0); r == 0 {
		return nil, fmt.Errorf("capture: list monitors: %w", err)
	}
	if len(mons) == 0 {
		return nil, ErrNoDisplay
	}
	if primary > 0 {
		mons[0], mons[primary] = mons[primary], mons[0]
	}
	return mons, nil
}

// ensure makes the DIB section w x h. Callers hold g.mu.
func (g *GDI) ensure(w, h int) error {
	if g.bmp != 0 && g.w == w && g.h == h {
		return nil
	}
	g.freeBitmap()
	bi := bitmapInfoHeader{Width: int32(w), Height: -int32(h), Planes: 1, BitCount: 32}
	bi.Size = uint32(unsafe.Sizeof(bi))
	var bits unsafe.Pointer
	bmp, _, err := procCreateDIBSection.Call(g.mem, uintptr(unsafe.Pointer(&bi)), 0, uintptr(unsafe.Pointer(&bits)), 0, 0)
	if bmp == 0 || bits == nil {
		return fmt.Errorf("capture: create a %dx%d bitmap: %w", w, h, err)
	}
	g.old, _, _ = procSelectObject.Call(g.mem, bmp)
	g.bmp, g.bits, g.w, g.h = bmp, bits, w, h
	return nil
}

func (g *GDI) freeBitmap() {
	if g.bmp == 0 {
		return
	}
	procSelectObject.Call(g.mem, g.old)
	procDeleteObject.Call(g.bmp)
	g.bmp, g.bits = 0, nil
}

// Grab implements Source.
func (g *GDI) Grab(i int, dst *codec.Frame) (*codec.Frame, error) {
	ds, err := g.Displays()
	if err != nil {
		return nil, err
	}
	if i < 0 || i >= len(ds) {
		return nil, ErrBadDisplay
	}
	b := ds[i]
	w, h := b.Dx(), b.Dy()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.screen == 0 {
		return nil, errors.New("capture: the source is closed")
	}
	if err := g.ensure(w, h); err != nil {
		return nil, err
	}
	if r, _, err := procBitBlt.Call(g.mem, 0, 0, uintptr(w), uintptr(h), g.screen, uintptr(b.Min.X), uintptr(b.Min.Y), srcCopy|captureBlt); r == 0 {
		return nil, fmt.Errorf("capture: copy the screen (BitBlt): %w", err)
	}
	procGdiFlush.Call()
	if dst == nil || dst.Rect.Dx() != w || dst.Rect.Dy() != h || dst.Stride != w*4 {
		dst = codec.NewFrame(w, h)
	}
	copy(dst.Pix, unsafe.Slice((*byte)(g.bits), w*h*4))
	// GDI leaves the fourth byte undefined (often 0): make it opaque.
	for p := 3; p < len(dst.Pix); p += 4 {
		dst.Pix[p] = 0xff
	}
	return dst, nil
}

// Cursor implements CursorSource: the pointer's position and, when asked,
// its shape drawn into a 32-bit bitmap.
func (g *GDI) Cursor(withShape bool) (Cursor, error) {
	ci := cursorInfo{Size: uint32(unsafe.Sizeof(cursorInfo{}))}
	if r, _, err := procGetCursorInfo.Call(uintptr(unsafe.Pointer(&ci))); r == 0 {
		return Cursor{}, fmt.Errorf("capture: pointer: %w", err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if ci.Cursor != g.lastCursor {
		g.lastCursor = ci.Cursor
		g.cursorSerial++
	}
	c := Cursor{X: int(ci.ScreenX), Y: int(ci.ScreenY), Serial: g.cursorSerial}
	if !withShape || ci.Flags&cursorShowing == 0 || ci.Cursor == 0 {
		return c, nil
	}
	shape, hot, err := g.cursorShape(ci.Cursor)
	if err != nil {
		// Windows shares cursors between processes, Wine does not: when
		// the pointer's own icon cannot be read, the standard arrow shows
		// the technician where the pointer is rather than nothing.
		if arrow, _, _ := procLoadCursorW.Call(0, idcArrow); arrow != 0 {
			shape, hot, err = g.cursorShape(windows.Handle(arrow))
		}
	}
	if err != nil {
		return c, err
	}
	c.Shape, c.Hot = shape, hot
	return c, nil
}

// cursorShape draws the cursor twice, on black and on white, to recover its
// alpha (DrawIconEx applies monochrome masks too). Callers hold g.mu.
func (g *GDI) cursorShape(cur windows.Handle) (*image.RGBA, image.Point, error) {
	var ii iconInfo
	if r, _, err := procGetIconInfo.Call(uintptr(cur), uintptr(unsafe.Pointer(&ii))); r == 0 {
		return nil, image.Point{}, fmt.Errorf("capture: pointer shape: %w", err)
	}
	if ii.Mask != 0 {
		procDeleteObject.Call(uintptr(ii.Mask))
	}
	if ii.Color != 0 {
		procDeleteObject.Call(uintptr(ii.Color))
	}
	w, _, _ := procGetSystemMetrics.Call(smCxCursor)
	h, _, _ := procGetSystemMetrics.Call(smCyCursor)
	if w == 0 || h == 0 {
		w, h = 32, 32
	}
	draw := func(fill byte) ([]byte, error) {
		dc, _, _ := procCreateCompatibleDC.Call(g.screen)
		if dc == 0 {
			return nil, errors.New("capture: pointer shape: no device context")
		}
		defer procDeleteDC.Call(dc)
		bi := bitmapInfoHeader{Width: int32(w), Height: -int32(h), Planes: 1, BitCount: 32}
		bi.Size = uint32(unsafe.Sizeof(bi))
		var bits unsafe.Pointer
		bmp, _, _ := procCreateDIBSection.Call(dc, uintptr(unsafe.Pointer(&bi)), 0, uintptr(unsafe.Pointer(&bits)), 0, 0)
		if bmp == 0 || bits == nil {
			return nil, errors.New("capture: pointer shape: no bitmap")
		}
		defer procDeleteObject.Call(bmp)
		old, _, _ := procSelectObject.Call(dc, bmp)
		defer procSelectObject.Call(dc, old)
		px := unsafe.Slice((*byte)(bits), int(w*h*4))
		for i := range px {
			px[i] = fill
		}
		procDrawIconEx.Call(dc, 0, 0, uintptr(cur), w, h, 0, 0, diNormal)
		procGdiFlush.Call()
		return append([]byte(nil), px...), nil
	}
	black, err := draw(0)
	if err != nil {
		return nil, image.Point{}, err
	}
	white, err := draw(0xff)
	if err != nil {
		return nil, image.Point{}, err
	}
	img := image.NewRGBA(image.Rect(0, 0, int(w), int(h)))
	for p := 0; p < len(black); p += 4 {
		// On black a pixel shows a*c; on white a*c + (1-a)*255.
		a := 255 - (int(white[p+1]) - int(black[p+1]))
		a = max(0, min(255, a))
		img.Pix[p+0] = black[p+2]
		img.Pix[p+1] = black[p+1]
		img.Pix[p+2] = black[p+0]
		img.Pix[p+3] = byte(a)
	}
	return img, image.Pt(int(ii.XHotspot), int(ii.YHotspot)), nil
}

// Close implements Source.
func (g *GDI) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.screen == 0 {
		return nil
	}
	g.freeBitmap()
	procDeleteDC.Call(g.mem)
	procReleaseDC.Call(0, g.screen)
	g.screen, g.mem = 0, 0
	return nil
}
