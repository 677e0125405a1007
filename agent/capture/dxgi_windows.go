package capture

import (
	"errors"
	"fmt"
	"image"
	"log/slog"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/relaydesk/relaydesk/pkg/codec"
)

// DXGI Desktop Duplication through COM vtables, called without cgo.
var (
	dxgiDLL  = windows.NewLazySystemDLL("dxgi.dll")
	d3d11DLL = windows.NewLazySystemDLL("d3d11.dll")

	procCreateDXGIFactory1 = dxgiDLL.NewProc("CreateDXGIFactory1")
	procD3D11CreateDevice  = d3d11DLL.NewProc("D3D11CreateDevice")

	iidIDXGIFactory1   = windows.GUID{Data1: 0x770aae78, Data2: 0xf26f, Data3: 0x4dba, Data4: [8]byte{0xa8, 0x29, 0x25, 0x3c, 0x83, 0xd1, 0xb3, 0x87}}
	iidIDXGIOutput1    = windows.GUID{Data1: 0x00cddea8, Data2: 0x939b, Data3: 0x4b83, Data4: [8]byte{0xa3, 0x40, 0xa6, 0x85, 0x22, 0x66, 0x66, 0xcc}}
	iidID3D11Texture2D = windows.GUID{Data1: 0x6f15aaf2, Data2: 0xd208, Data3: 0x4e89, Data4: [8]byte{0x9a, 0xb4, 0x48, 0x95, 0x35, 0xd3, 0x4f, 0x9c}}
)

// Vtable slots (IUnknown 0-2, IDXGIObject 3-6).
const (
	vtQueryInterface = 0
	vtRelease        = 2

	vtFactoryEnumAdapters1 = 12 // IDXGIFactory1
	vtAdapterEnumOutputs   = 7  // IDXGIAdapter
	vtOutputGetDesc        = 7  // IDXGIOutput
	vtOutputDuplicate      = 22 // IDXGIOutput1::DuplicateOutput

	vtDuplGetDesc        = 7 // IDXGIOutputDuplication
	vtDuplAcquireNext    = 8
	vtDuplDirtyRects     = 9
	vtDuplMoveRects      = 10
	vtDuplReleaseFrame   = 14
	vtDeviceCreateTex2D  = 5  // ID3D11Device
	vtContextMap         = 14 // ID3D11DeviceContext
	vtContextUnmap       = 15
	vtContextCopyRegion  = 46 // CopySubresourceRegion
	d3dDriverTypeUnknown = 0  // with an adapter given
	d3d11SDKVersion      = 7
	formatB8G8R8A8       = 87
	usageStaging         = 3
	cpuAccessRead        = 0x20000
	mapRead              = 1
	rotationIdentity     = 1
)

// comObject is a COM interface pointer: its first word points at the vtable.
type comObject struct{ vtbl *[64]uintptr }

// call calls vtable slot m with the object as the first argument.
func (o *comObject) call(m int, args ...uintptr) HRESULT {
	r, _, _ := syscall.SyscallN(o.vtbl[m], append([]uintptr{uintptr(unsafe.Pointer(o))}, args...)...)
	return HRESULT(uint32(r))
}

func (o *comObject) release() {
	if o != nil {
		o.call(vtRelease)
	}
}

func (o *comObject) query(iid *windows.GUID) (*comObject, error) {
	var p *comObject
	if hr := o.call(vtQueryInterface, uintptr(unsafe.Pointer(iid)), uintptr(unsafe.Pointer(&p))); hr != hrOK || p == nil {
		return nil, hr
	}
	return p, nil
}

type outputDesc struct {
	DeviceName [32]uint16
	Desktop    rect
	Attached   int32
	Rotation   uint32
	Monitor    uintptr
}

type duplDesc struct {
	Width, Height      uint32
	RefreshNum, RefDen uint32
	Format             uint32
	ScanlineOrder      uint32
	Scaling            uint32
	Rotation           uint32
	InSystemMemory     int32
}

type frameInfo struct {
	LastPresentTime     int64
	LastMouseUpdateTime int64
	AccumulatedFrames   uint32
	RectsCoalesced      int32
	ProtectedMaskedOut  int32
	PointerX, PointerY  int32
	PointerVisible      int32
	MetadataSize        uint32
	PointerShapeSize    uint32
}

type texture2DDesc struct {
	Width, Height, MipLevels, ArraySize uint32
	Format                              uint32
	SampleCount, SampleQuality          uint32
	Usage, BindFlags, CPUAccess, Misc   uint32
}

type box struct{ Left, Top, Front, Right, Bottom, Back uint32 }

type mappedSubresource struct {
	Data       unsafe.Pointer
	RowPitch   uint32
	DepthPitch uint32
}

type dxgiMoveRect struct {
	SourceX, SourceY int32
	Dest             rect
}

// DXGI captures a Windows monitor with DXGI Desktop Duplication (Windows 8
// and later): the desktop image stays on the GPU, the system reports which
// rectangles changed (dirty and moved) and only those are copied to a
// staging texture and read. It duplicates one monitor at a time (the one
// shown), recreates the duplication when Windows takes it away (desktop
// switch, UAC, a mode change) and meanwhile captures through GDI, which it
// also uses for the monitors' list and the pointer.
type DXGI struct {
	log *slog.Logger
	gdi *GDI

	mu      sync.Mutex
	factory *comObject
	dev     *comObject // ID3D11Device
	ctx     *comObject // its immediate context
	dupl    *comObject // IDXGIOutputDuplication
	staging *comObject // ID3D11Texture2D, CPU-readable, the output's size
	display int        // which display dupl shows
	bounds  image.Rectangle
	retryAt time.Time     // after a failure, GDI until then
	backoff time.Duration // the wait after the last failure

	last        *codec.Frame
	lastDisplay int
	scratch     *codec.Frame // GDI's picture while it stands in
	dirty       []rect
	moves       []dxgiMoveRect
}

// After DXGI failed, the capture uses GDI for dxgiRetry before it tries to
// duplicate again (the secure desktop is usually shown for seconds), then
// twice as long after each further failure, up to dxgiRetryMax (a monitor
// DXGI never duplicates costs a try a minute).
const (
	dxgiRetry    = time.Second
	dxgiRetryMax = time.Minute
)

// failed notes a failure: GDI until the next try. Callers hold d.mu.
func (d *DXGI) failed() {
	d.backoff = min(max(2*d.backoff, dxgiRetry), dxgiRetryMax)
	d.retryAt = time.Now().Add(d.backoff)
}

// OpenDXGI opens Desktop Duplication of the primary monitor, proving that
// it works here; the error says why not.
func OpenDXGI(log *slog.Logger) (*DXGI, error) {
	d, err := newDXGI(log)
	if err != nil {
		return nil, err
	}
	ds, err := d.gdi.Displays()
	if err == nil {
		d.mu.Lock()
		err = d.open(0, ds[0])
		d.mu.Unlock()
	}
	if err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// newDXGI makes the source without duplicating anything yet: its first
// grab tries, with GDI standing in while that fails.
func newDXGI(log *slog.Logger) (*DXGI, error) {
	if log == nil {
		log = slog.Default()
	}
	if procCreateDXGIFactory1.Find() != nil || procD3D11CreateDevice.Find() != nil {
		return nil, errNoDXGI
	}
	g, err := OpenGDI()
	if err != nil {
		return nil, err
	}
	var f *comObject
	if hr := HRESULT(callProc(procCreateDXGIFactory1, uintptr(unsafe.Pointer(&iidIDXGIFactory1)), uintptr(unsafe.Pointer(&f)))); hr != hrOK || f == nil {
		g.Close()
		return nil, fmt.Errorf("create the DXGI factory: %w", hr)
	}
	return &DXGI{log: log, gdi: g, factory: f, lastDisplay: -1}, nil
}

func callProc(p *windows.LazyProc, args ...uintptr) uintptr {
	r, _, _ := p.Call(args...)
	return r
}

// open duplicates the output that shows display i (bounds b). Callers hold d.mu.
func (d *DXGI) open(i int, b image.Rectangle) error {
	d.closeDupl()
	adapter, output, err := d.findOutput(b)
	if err != nil {
		return err
	}
	defer adapter.release()
	defer output.release()
	out1, err := output.query(&iidIDXGIOutput1)
	if err != nil {
		return fmt.Errorf("output of display %d: %w", i, err)
	}
	defer out1.release()
	var dev, ctx *comObject
	var level uint32
	if hr := HRESULT(callProc(procD3D11CreateDevice, uintptr(unsafe.Pointer(adapter)), d3dDriverTypeUnknown, 0, 0, 0, 0, d3d11SDKVersion,
		uintptr(unsafe.Pointer(&dev)), uintptr(unsafe.Pointer(&level)), uintptr(unsafe.Pointer(&ctx)))); hr != hrOK || dev == nil || ctx == nil {
		return fmt.Errorf("create a Direct3D 11 device: %w", hr)
	}
	d.dev, d.ctx = dev, ctx
	var dupl *comObject
	if hr := out1.call(vtOutputDuplicate, uintptr(unsafe.Pointer(dev)), uintptr(unsafe.Pointer(&dupl))); hr != hrOK || dupl == nil {
		d.closeDupl()
		return fmt.Errorf("duplicate output of display %d: %w", i, hr)
	}
	d.dupl = dupl
	var dd duplDesc
	dupl.call(vtDuplGetDesc, uintptr(unsafe.Pointer(&dd)))
	if dd.Rotation > rotationIdentity {
		d.closeDupl()
		return fmt.Errorf("display %d is rotated (DXGI gives its image unrotated)", i)
	}
	if int(dd.Width) != b.Dx() || int(dd.Height) != b.Dy() {
		d.closeDupl()
		return fmt.Errorf("display %d: duplication is %dx%d, the monitor %dx%d", i, dd.Width, dd.Height, b.Dx(), b.Dy())
	}
	td := texture2DDesc{Width: dd.Width, Height: dd.Height, MipLevels: 1, ArraySize: 1, Format: formatB8G8R8A8,
		SampleCount: 1, Usage: usageStaging, CPUAccess: cpuAccessRead}
	var tex *comObject
	if hr := dev.call(vtDeviceCreateTex2D, uintptr(unsafe.Pointer(&td)), 0, uintptr(unsafe.Pointer(&tex))); hr != hrOK || tex == nil {
		d.closeDupl()
		return fmt.Errorf("create a %dx%d staging texture: %w", dd.Width, dd.Height, hr)
	}
	d.staging, d.display, d.bounds = tex, i, b
	d.last = nil // the next grab is whole
	return nil
}

// findOutput walks the adapters' outputs for the one at bounds b.
func (d *DXGI) findOutput(b image.Rectangle) (adapter, output *comObject, err error) {
	var seen []image.Rectangle
	for a := 0; ; a++ {
		var ad *comObject
		hr := d.factory.call(vtFactoryEnumAdapters1, uintptr(a), uintptr(unsafe.Pointer(&ad)))
		if hr == dxgiNotFound {
			break
		}
		if hr != hrOK || ad == nil {
			return nil, nil, fmt.Errorf("list graphics adapters: %w", hr)
		}
		for o := 0; ; o++ {
			var out *comObject
			if hr := ad.call(vtAdapterEnumOutputs, uintptr(o), uintptr(unsafe.Pointer(&out))); hr != hrOK || out == nil {
				break
			}
			var od outputDesc
			if hr := out.call(vtOutputGetDesc, uintptr(unsafe.Pointer(&od))); hr == hrOK {
				r := od.Desktop
				seen = append(seen, image.Rect(int(r.Left), int(r.Top), int(r.Right), int(r.Bottom)))
				if outputFor(b, seen[len(seen)-1:]) == 0 {
					return ad, out, nil
				}
			}
			out.release()
		}
		ad.release()
	}
	return nil, nil, fmt.Errorf("no graphics output shows the monitor at %v (outputs: %v)", b, seen)
}

// closeDupl releases the duplication and its device. Callers hold d.mu.
func (d *DXGI) closeDupl() {
	for _, o := range []**comObject{&d.staging, &d.dupl, &d.ctx, &d.dev} {
		(*o).release()
		*o = nil
	}
}

// Displays implements Source: every monitor, the primary one first (GDI's list).
func (d *DXGI) Displays() ([]image.Rectangle, error) { return d.gdi.Displays() }

// Cursor implements CursorSource with GetCursorInfo and the cursor's
// icon (GDI), as the Linux path reports XFIXES' pointer apart from frames.
func (d *DXGI) Cursor(withShape bool) (Cursor, error) { return d.gdi.Cursor(withShape) }

// Grab implements Source: the whole display.
func (d *DXGI) Grab(i int, dst *codec.Frame) (*codec.Frame, error) {
	f, _, err := d.grab(i, dst, true)
	return f, err
}

// GrabDamage implements DamageGrabber with DXGI's dirty and move rectangles.
func (d *DXGI) GrabDamage(i int, dst *codec.Frame) (*codec.Frame, []image.Rectangle, error) {
	return d.grab(i, dst, false)
}

func (d *DXGI) grab(i int, dst *codec.Frame, whole bool) (*codec.Frame, []image.Rectangle, error) {
	ds, err := d.gdi.Displays()
	if err != nil {
		return nil, nil, err
	}
	if i < 0 || i >= len(ds) {
		return nil, nil, fmt.Errorf("%w: %d of %d", ErrBadDisplay, i, len(ds))
	}
	b := ds[i]
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.factory == nil {
		return nil, nil, errors.New("capture: the source is closed")
	}
	if d.dupl == nil || d.display != i || d.bounds != b {
		if time.Now().Before(d.retryAt) {
			return d.grabGDI(i, dst)
		}
		if err := d.open(i, b); err != nil {
			d.failed()
			d.log.Info("capture: GDI until DXGI desktop duplication can be opened again", "display", i, "retry_in", d.backoff, "reason", dxgiUnavailable(err))
			return d.grabGDI(i, dst)
		}
	}
	d.backoff = 0
	whole = whole || dst == nil || dst != d.last || i != d.lastDisplay || dst.Rect.Size() != b.Size()
	if whole && (dst == nil || dst.Rect.Size() != b.Size()) {
		dst = codec.NewFrame(b.Dx(), b.Dy())
	}
	rects, err := d.acquire(dst, b.Size(), whole)
	if err != nil {
		d.closeDupl()
		d.log.Info("capture: DXGI desktop duplication lost; GDI meanwhile", "display", i, "reason", dxgiUnavailable(err))
		if !errors.Is(err, dxgiAccessLost) {
			d.failed()
		}
		return d.grabGDI(i, dst)
	}
	if rects == nil && whole {
		// DXGI had no new desktop image for a whole grab: GDI has the picture.
		return d.grabGDI(i, dst)
	}
	d.last, d.lastDisplay = dst, i
	return dst, rects, nil
}

// grabGDI grabs display i through GDI: whole, or, into the frame it
// returned last, compared with it so that only what changed is reported
// (GDI tells nothing). Callers hold d.mu.
func (d *DXGI) grabGDI(i int, dst *codec.Frame) (*codec.Frame, []image.Rectangle, error) {
	if dst == nil || dst != d.last || i != d.lastDisplay {
		f, err := d.gdi.Grab(i, dst)
		if err != nil {
			d.last = nil
			return nil, nil, err
		}
		d.last, d.lastDisplay = f, i
		return f, []image.Rectangle{f.Rect}, nil
	}
	f, err := d.gdi.Grab(i, d.scratch)
	if err != nil {
		return nil, nil, err
	}
	d.scratch = f
	if f.Rect != dst.Rect {
		d.last = nil
		return d.grabGDI(i, dst)
	}
	box := changedBox(dst, f)
	if box.Empty() {
		return dst, nil, nil
	}
	copyRects(dst, f.Pix, f.Stride, []image.Rectangle{box})
	return dst, []image.Rectangle{box}, nil
}

// acquire takes the next desktop frame, if any, and copies its damage (all
// of it when whole) into dst; nil rectangles when nothing changed. Callers
// hold d.mu.
func (d *DXGI) acquire(dst *codec.Frame, size image.Point, whole bool) ([]image.Rectangle, error) {
	var fi frameInfo
	var res *comObject
	timeout := uintptr(0) // polled by the sharer: never wait
	if whole {
		timeout = 100 // a fresh duplication delivers its first frame at once
	}
	hr := d.dupl.call(vtDuplAcquireNext, timeout, uintptr(unsafe.Pointer(&fi)), uintptr(unsafe.Pointer(&res)))
	switch stepAfter(hr) {
	case frameSame:
		return nil, nil
	case frameRecreate, frameFail:
		return nil, fmt.Errorf("acquire the next frame: %w", hr)
	}
	defer d.dupl.call(vtDuplReleaseFrame)
	defer res.release()
	var rects []image.Rectangle
	switch {
	case fi.LastPresentTime == 0 || res == nil:
		// No new desktop image (only the pointer moved); a whole grab
		// then takes GDI's picture, and later frames' rectangles apply to it.
		return nil, nil
	case whole:
		rects = []image.Rectangle{{Max: size}}
	default:
		moves, dirty, err := d.frameRects(fi.MetadataSize)
		if err != nil {
			return nil, err
		}
		rects = dxgiDamage(size, moves, dirty)
	}
	if len(rects) == 0 {
		return nil, nil
	}
	tex, err := res.query(&iidID3D11Texture2D)
	if err != nil {
		return nil, fmt.Errorf("the desktop image: %w", err)
	}
	defer tex.release()
	for _, r := range rects {
		bx := box{Left: uint32(r.Min.X), Top: uint32(r.Min.Y), Front: 0, Right: uint32(r.Max.X), Bottom: uint32(r.Max.Y), Back: 1}
		d.ctx.call(vtContextCopyRegion, uintptr(unsafe.Pointer(d.staging)), 0, uintptr(r.Min.X), uintptr(r.Min.Y), 0,
			uintptr(unsafe.Pointer(tex)), 0, uintptr(unsafe.Pointer(&bx)))
	}
	var m mappedSubresource
	if hr := d.ctx.call(vtContextMap, uintptr(unsafe.Pointer(d.staging)), 0, mapRead, 0, uintptr(unsafe.Pointer(&m))); hr != hrOK || m.Data == nil {
		return nil, fmt.Errorf("map the staging texture: %w", hr)
	}
	copyRects(dst, unsafe.Slice((*byte)(m.Data), int(m.RowPitch)*size.Y), int(m.RowPitch), rects)
	d.ctx.call(vtContextUnmap, uintptr(unsafe.Pointer(d.staging)), 0)
	return rects, nil
}

// frameRects reads the frame's move and dirty rectangles (in that order
// of application). Callers hold d.mu.
func (d *DXGI) frameRects(metadata uint32) ([]moveRect, []image.Rectangle, error) {
	// The metadata holds both lists: enough room for either.
	need := max(int(metadata), 1)
	if n := need/int(unsafe.Sizeof(dxgiMoveRect{})) + 1; cap(d.moves) < n {
		d.moves = make([]dxgiMoveRect, n)
	}
	if n := need/int(unsafe.Sizeof(rect{})) + 1; cap(d.dirty) < n {
		d.dirty = make([]rect, n)
	}
	d.moves, d.dirty = d.moves[:cap(d.moves)], d.dirty[:cap(d.dirty)]
	var got uint32
	if hr := d.dupl.call(vtDuplMoveRects, uintptr(len(d.moves))*unsafe.Sizeof(dxgiMoveRect{}), uintptr(unsafe.Pointer(&d.moves[0])), uintptr(unsafe.Pointer(&got))); hr != hrOK {
		return nil, nil, fmt.Errorf("the frame's moved rectangles: %w", hr)
	}
	n := min(int(got)/int(unsafe.Sizeof(dxgiMoveRect{})), len(d.moves))
	moves := make([]moveRect, 0, n)
	for _, m := range d.moves[:n] {
		moves = append(moves, moveRect{Source: image.Pt(int(m.SourceX), int(m.SourceY)),
			Dest: image.Rect(int(m.Dest.Left), int(m.Dest.Top), int(m.Dest.Right), int(m.Dest.Bottom))})
	}
	if hr := d.dupl.call(vtDuplDirtyRects, uintptr(len(d.dirty))*unsafe.Sizeof(rect{}), uintptr(unsafe.Pointer(&d.dirty[0])), uintptr(unsafe.Pointer(&got))); hr != hrOK {
		return nil, nil, fmt.Errorf("the frame's dirty rectangles: %w", hr)
	}
	n = min(int(got)/int(unsafe.Sizeof(rect{})), len(d.dirty))
	dirty := make([]image.Rectangle, 0, n)
	for _, r := range d.dirty[:n] {
		dirty = append(dirty, image.Rect(int(r.Left), int(r.Top), int(r.Right), int(r.Bottom)))
	}
	return moves, dirty, nil
}

// Close implements Source.
func (d *DXGI) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closeDupl()
	d.factory.release()
	d.factory = nil
	return d.gdi.Close()
}

// Open opens the platform's screen source: DXGI Desktop Duplication where
// it works, else GDI BitBlt; the log says which and why. When DXGI fails
// for a passing reason (the secure desktop of a UAC prompt shown as the app
// starts, a desktop switch), the DXGI source is kept: GDI stands in and it
// tries again with its back-off.
func Open(log *slog.Logger) (Source, error) {
	if log == nil {
		log = slog.Default()
	}
	d, err := OpenDXGI(log)
	if err == nil {
		log.Info("capture: DXGI desktop duplication")
		return d, nil
	}
	if dxgiPassing(err) {
		if d, derr := newDXGI(log); derr == nil {
			d.mu.Lock()
			d.failed()
			d.mu.Unlock()
			log.Info("capture: GDI until DXGI desktop duplication can be opened (" + dxgiUnavailable(err) + ")")
			return d, nil
		}
	}
	g, gerr := OpenGDI()
	if gerr != nil {
		return nil, gerr
	}
	log.Info("capture: GDI (DXGI unavailable: " + dxgiUnavailable(err) + ")")
	return g, nil
}
