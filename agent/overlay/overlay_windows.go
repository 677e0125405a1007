package overlay

import (
	"errors"
	"fmt"
	"image"
	"log/slog"
	"runtime"
	"sync"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// On Windows the overlay is a layered, click-through, topmost popup over
// the virtual screen, painted in a key colour that Windows leaves
// transparent, with the strokes drawn by GDI. Its window lives on a
// thread of its own (a locked goroutine running the message loop).

var (
	user32 = windows.NewLazySystemDLL("user32.dll")
	gdi32  = windows.NewLazySystemDLL("gdi32.dll")
	kernel = windows.NewLazySystemDLL("kernel32.dll")

	pRegisterClassExW           = user32.NewProc("RegisterClassExW")
	pCreateWindowExW            = user32.NewProc("CreateWindowExW")
	pDefWindowProcW             = user32.NewProc("DefWindowProcW")
	pGetMessageW                = user32.NewProc("GetMessageW")
	pTranslateMessage           = user32.NewProc("TranslateMessage")
	pDispatchMessageW           = user32.NewProc("DispatchMessageW")
	pSendMessageW               = user32.NewProc("SendMessageW")
	pPostQuitMessage            = user32.NewProc("PostQuitMessage")
	pDestroyWindow              = user32.NewProc("DestroyWindow")
	pShowWindow                 = user32.NewProc("ShowWindow")
	pSetWindowPos               = user32.NewProc("SetWindowPos")
	pInvalidateRect             = user32.NewProc("InvalidateRect")
	pUpdateWindow               = user32.NewProc("UpdateWindow")
	pBeginPaint                 = user32.NewProc("BeginPaint")
	pEndPaint                   = user32.NewProc("EndPaint")
	pFillRect                   = user32.NewProc("FillRect")
	pGetSystemMetrics           = user32.NewProc("GetSystemMetrics")
	pSetLayeredWindowAttributes = user32.NewProc("SetLayeredWindowAttributes")
	pCreateSolidBrush           = gdi32.NewProc("CreateSolidBrush")
	pCreatePen                  = gdi32.NewProc("CreatePen")
	pSelectObject               = gdi32.NewProc("SelectObject")
	pDeleteObject               = gdi32.NewProc("DeleteObject")
	pGetStockObject             = gdi32.NewProc("GetStockObject")
	pPolyline                   = gdi32.NewProc("Polyline")
	pEllipse                    = gdi32.NewProc("Ellipse")
	pGetModuleHandleW           = kernel.NewProc("GetModuleHandleW")
)

const (
	wmDestroy     = 0x0002
	wmClose       = 0x0010
	wmPaint       = 0x000F
	wmNCHitTest   = 0x0084
	wmApply       = 0x8001 // WM_APP+1: show what strokes holds
	htTransparent = ^uintptr(0)

	wsPopup          = 0x80000000
	wsExLayered      = 0x00080000
	wsExTransparent  = 0x00000020
	wsExTopmost      = 0x00000008
	wsExNoActivate   = 0x08000000
	wsExToolWindow   = 0x00000080
	lwaColorKey      = 0x1
	swHide           = 0
	swShowNoActivate = 4
	swpNoSize        = 0x1
	swpNoMove        = 0x2
	swpNoActivate    = 0x10
	hwndTopmost      = ^uintptr(0) // (HWND)-1
	nullBrush        = 5
	psSolid          = 0

	smXVirtualScreen  = 76
	smYVirtualScreen  = 77
	smCXVirtualScreen = 78
	smCYVirtualScreen = 79

	// keyColour (COLORREF 0x00BBGGRR) is what Windows leaves transparent;
	// a stroke of exactly this colour is drawn one step off.
	keyColour = 0x00010001
)

type wndClassEx struct {
	size       uint32
	style      uint32
	wndProc    uintptr
	clsExtra   int32
	wndExtra   int32
	instance   windows.Handle
	icon       windows.Handle
	cursor     windows.Handle
	background windows.Handle
	menuName   *uint16
	className  *uint16
	iconSm     windows.Handle
}

type msg struct {
	hwnd    windows.HWND
	message uint32
	wParam  uintptr
	lParam  uintptr
	time    uint32
	pt      struct{ x, y int32 }
}

type paintStruct struct {
	hdc       windows.Handle
	erase     int32
	paint     windows.Rect
	restore   int32
	incUpdate int32
	reserved  [32]byte
}

// The window procedure is one callback for the process (Windows gives it
// no context): it finds its overlay by window handle.
var (
	procOnce  sync.Once
	procPtr   uintptr
	classErr  error
	className = windows.StringToUTF16Ptr("RelayDeskDrawing")
	byWindow  sync.Map // windows.HWND -> *Overlay
)

// Overlay is the drawing window on the Windows desktop. Its window is
// created when the first shape is drawn. Safe for concurrent use.
type Overlay struct {
	cfg Config
	log *slog.Logger

	drawn               // mu guards the fields below too
	hwnd   windows.HWND // 0 until the first Draw
	origin image.Point  // of the virtual screen, which the window covers
	size   image.Point
	loop   sync.WaitGroup // the window's thread
}

// New returns the overlay of the desktop.
func New(cfg Config) *Overlay {
	return &Overlay{cfg: cfg, log: cfg.logger()}
}

// Draw adds s, normalised to area (the captured display's place on the
// virtual screen), and returns how many shapes the screen shows. The shape
// is on the screen when Draw returns.
func (o *Overlay) Draw(area image.Rectangle, s proto.DrawShape) (int, error) {
	if err := s.Check(); err != nil {
		return 0, fmt.Errorf("overlay: %w", err)
	}
	o.mu.Lock()
	if err := o.open(); err != nil {
		o.mu.Unlock()
		return 0, err
	}
	o.strokes, _ = keep(o.strokes, outline(s, area)) // every paint draws them all
	n, hwnd := len(o.strokes), o.hwnd
	o.mu.Unlock()
	pSendMessageW.Call(uintptr(hwnd), wmApply, 0, 0) // runs on the window's thread; returns once painted
	return n, nil
}

// Clear removes every shape and hides the window.
func (o *Overlay) Clear() error {
	o.mu.Lock()
	o.strokes = nil
	hwnd := o.hwnd
	o.mu.Unlock()
	if hwnd != 0 {
		pSendMessageW.Call(uintptr(hwnd), wmApply, 0, 0)
	}
	return nil
}

// Close destroys the window and waits for its thread.
func (o *Overlay) Close() error {
	o.mu.Lock()
	hwnd := o.hwnd
	o.hwnd, o.strokes = 0, nil
	o.mu.Unlock()
	if hwnd != 0 {
		pSendMessageW.Call(uintptr(hwnd), wmClose, 0, 0)
	}
	o.loop.Wait()
	return nil
}

// open creates the window on a thread of its own, once. Callers hold mu.
func (o *Overlay) open() error {
	if o.hwnd != 0 {
		return nil
	}
	procOnce.Do(registerClass)
	if classErr != nil {
		return fmt.Errorf("%w (%v)", ErrUnavailable, classErr)
	}
	x, _, _ := pGetSystemMetrics.Call(smXVirtualScreen)
	y, _, _ := pGetSystemMetrics.Call(smYVirtualScreen)
	w, _, _ := pGetSystemMetrics.Call(smCXVirtualScreen)
	h, _, _ := pGetSystemMetrics.Call(smCYVirtualScreen)
	o.origin, o.size = image.Pt(int(int32(x)), int(int32(y))), image.Pt(int(int32(w)), int(int32(h)))
	if o.size.X <= 0 || o.size.Y <= 0 {
		return fmt.Errorf("%w (no desktop)", ErrUnavailable)
	}
	created := make(chan error, 1)
	o.loop.Go(func() {
		runtime.LockOSThread() // a window belongs to the thread that created it
		defer runtime.UnlockOSThread()
		hwnd, _, err := pCreateWindowExW.Call(wsExLayered|wsExTransparent|wsExTopmost|wsExNoActivate|wsExToolWindow,
			uintptr(unsafe.Pointer(className)), 0, wsPopup,
			uintptr(o.origin.X), uintptr(o.origin.Y), uintptr(o.size.X), uintptr(o.size.Y), 0, 0, 0, 0)
		if hwnd == 0 {
			created <- fmt.Errorf("overlay: create the drawing window: %w", err)
			return
		}
		byWindow.Store(windows.HWND(hwnd), o)
		defer byWindow.Delete(windows.HWND(hwnd))
		pSetLayeredWindowAttributes.Call(hwnd, keyColour, 0, lwaColorKey)
		o.hwnd = windows.HWND(hwnd) // the caller holds mu and waits on created
		created <- nil
		var m msg
		for {
			r, _, _ := pGetMessageW.Call(uintptr(unsafe.Pointer(&m)), 0, 0, 0)
			if int32(r) <= 0 {
				return
			}
			pTranslateMessage.Call(uintptr(unsafe.Pointer(&m)))
			pDispatchMessageW.Call(uintptr(unsafe.Pointer(&m)))
		}
	})
	return <-created
}

func registerClass() {
	procPtr = windows.NewCallback(wndProc)
	inst, _, _ := pGetModuleHandleW.Call(0)
	brush, _, _ := pCreateSolidBrush.Call(keyColour)
	wc := wndClassEx{wndProc: procPtr, instance: windows.Handle(inst), background: windows.Handle(brush), className: className}
	wc.size = uint32(unsafe.Sizeof(wc))
	if r, _, err := pRegisterClassExW.Call(uintptr(unsafe.Pointer(&wc))); r == 0 {
		classErr = errors.Join(errors.New("register the window class"), err)
	}
}

// wndProc runs on the window's thread.
func wndProc(hwnd windows.HWND, message uint32, wParam, lParam uintptr) uintptr {
	v, ok := byWindow.Load(hwnd)
	if !ok {
		r, _, _ := pDefWindowProcW.Call(uintptr(hwnd), uintptr(message), wParam, lParam)
		return r
	}
	o := v.(*Overlay)
	switch message {
	case wmNCHitTest:
		return htTransparent // never the end user's clicks
	case wmApply:
		o.mu.Lock()
		n := len(o.strokes)
		o.mu.Unlock()
		if n == 0 {
			pShowWindow.Call(uintptr(hwnd), swHide)
			return 0
		}
		pSetWindowPos.Call(uintptr(hwnd), hwndTopmost, 0, 0, 0, 0, swpNoMove|swpNoSize|swpNoActivate)
		pShowWindow.Call(uintptr(hwnd), swShowNoActivate)
		pInvalidateRect.Call(uintptr(hwnd), 0, 1)
		pUpdateWindow.Call(uintptr(hwnd))
		return 0
	case wmPaint:
		o.paint(hwnd)
		return 0
	case wmClose:
		pDestroyWindow.Call(uintptr(hwnd))
		return 0
	case wmDestroy:
		pPostQuitMessage.Call(0)
		return 0
	}
	r, _, _ := pDefWindowProcW.Call(uintptr(hwnd), uintptr(message), wParam, lParam)
	return r
}

// paint fills the window with the key colour and draws the strokes.
func (o *Overlay) paint(hwnd windows.HWND) {
	var ps paintStruct
	hdc, _, _ := pBeginPaint.Call(uintptr(hwnd), uintptr(unsafe.Pointer(&ps)))
	defer pEndPaint.Call(uintptr(hwnd), uintptr(unsafe.Pointer(&ps)))
	o.mu.Lock()
	strokes, origin, size := o.strokes, o.origin, o.size
	o.mu.Unlock()
	all := windows.Rect{Right: int32(size.X), Bottom: int32(size.Y)}
	key, _, _ := pCreateSolidBrush.Call(keyColour)
	pFillRect.Call(hdc, uintptr(unsafe.Pointer(&all)), key)
	pDeleteObject.Call(key)
	hollow, _, _ := pGetStockObject.Call(nullBrush)
	pSelectObject.Call(hdc, hollow)
	for _, st := range strokes {
		ref := uintptr(st.colour>>16&0xff | st.colour&0xff00 | (st.colour&0xff)<<16) // 0xRRGGBB -> COLORREF
		if ref == keyColour {
			ref++
		}
		pen, _, _ := pCreatePen.Call(psSolid, uintptr(st.width), ref)
		old, _, _ := pSelectObject.Call(hdc, pen)
		for _, l := range st.lines {
			pts := make([]struct{ x, y int32 }, len(l))
			for i, p := range l {
				pts[i].x, pts[i].y = int32(p.X-origin.X), int32(p.Y-origin.Y)
			}
			pPolyline.Call(hdc, uintptr(unsafe.Pointer(&pts[0])), uintptr(len(pts)))
		}
		if e := st.ellipse.Sub(origin); !e.Empty() {
			pEllipse.Call(hdc, uintptr(int32(e.Min.X)), uintptr(int32(e.Min.Y)), uintptr(int32(e.Max.X+1)), uintptr(int32(e.Max.Y+1)))
		}
		pSelectObject.Call(hdc, old)
		pDeleteObject.Call(pen)
	}
}
