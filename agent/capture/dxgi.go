package capture

import (
	"bytes"
	"errors"
	"fmt"
	"image"

	"github.com/relaydesk/relaydesk/pkg/codec"
)

// The pure part of DXGI Desktop Duplication (dxgi_windows.go): what its
// results mean and how its dirty and move rectangles become the damage the
// sharer encodes. It builds on every system, so it is tested on Linux.

// HRESULT is a failed Windows COM call's result.
type HRESULT uint32

// The results DXGI Desktop Duplication returns that the capture handles.
const (
	hrOK                    HRESULT = 0
	hrNotImplemented        HRESULT = 0x80004001 // E_NOTIMPL (Wine's DuplicateOutput)
	hrNoInterface           HRESULT = 0x80004002 // E_NOINTERFACE (no IDXGIOutput1: before Windows 8)
	hrAccessDenied          HRESULT = 0x80070005 // E_ACCESSDENIED (the secure desktop: UAC, lock screen)
	dxgiNotFound            HRESULT = 0x887A0002 // no more adapters or outputs
	dxgiMoreData            HRESULT = 0x887A0003 // a buffer too small for the rectangles
	dxgiUnsupported         HRESULT = 0x887A0004 // no duplication (basic display driver, some RDP sessions)
	dxgiDeviceRemoved       HRESULT = 0x887A0005
	dxgiDeviceReset         HRESULT = 0x887A0007
	dxgiNotAvailable        HRESULT = 0x887A0022 // too many programs duplicate the output already
	dxgiAccessLost          HRESULT = 0x887A0026 // desktop switch, UAC, mode change: recreate
	dxgiWaitTimeout         HRESULT = 0x887A0027 // nothing changed within the timeout
	dxgiSessionDisconnected HRESULT = 0x887A0028 // the Remote Desktop session is disconnected
)

func (h HRESULT) Error() string {
	names := map[HRESULT]string{
		hrNotImplemented:        "not implemented",
		hrNoInterface:           "interface not supported",
		hrAccessDenied:          "access denied",
		dxgiNotFound:            "not found",
		dxgiMoreData:            "more data",
		dxgiUnsupported:         "unsupported",
		dxgiDeviceRemoved:       "device removed",
		dxgiDeviceReset:         "device reset",
		dxgiNotAvailable:        "not currently available",
		dxgiAccessLost:          "access lost",
		dxgiWaitTimeout:         "wait timeout",
		dxgiSessionDisconnected: "session disconnected",
	}
	if n, ok := names[h]; ok {
		return fmt.Sprintf("%s (0x%08X)", n, uint32(h))
	}
	return fmt.Sprintf("HRESULT 0x%08X", uint32(h))
}

// frameStep is what the capture does after AcquireNextFrame.
type frameStep int

const (
	frameCopy     frameStep = iota // a new frame: copy its damage
	frameSame                      // nothing changed (WAIT_TIMEOUT)
	frameRecreate                  // the duplication is lost: recreate it, GDI meanwhile
	frameFail                      // duplication broke otherwise: GDI for a while, then retry
)

// stepAfter classifies AcquireNextFrame's result.
func stepAfter(hr HRESULT) frameStep {
	switch hr {
	case hrOK:
		return frameCopy
	case dxgiWaitTimeout:
		return frameSame
	case dxgiAccessLost, dxgiDeviceRemoved, dxgiDeviceReset, hrAccessDenied:
		return frameRecreate
	}
	return frameFail
}

// errNoDXGI marks a Windows without DXGI Desktop Duplication at all.
var errNoDXGI = errors.New("dxgi.dll or d3d11.dll has no desktop duplication (Windows 7 or older)")

// dxgiUnavailable says in words why DXGI Desktop Duplication cannot be
// used, for the log line "capture: GDI (DXGI unavailable: REASON)".
func dxgiUnavailable(err error) string {
	var hr HRESULT
	if !errors.As(err, &hr) {
		return err.Error()
	}
	why := map[HRESULT]string{
		hrNotImplemented:        "this Windows (or Wine) does not implement desktop duplication",
		hrNoInterface:           "this Windows has no desktop duplication (Windows 8 or later has it)",
		dxgiUnsupported:         "the display driver does not support it (a basic display driver or a Remote Desktop session)",
		dxgiNotAvailable:        "too many programs duplicate the screen already",
		dxgiSessionDisconnected: "the Remote Desktop session is disconnected",
		hrAccessDenied:          "the secure desktop (UAC or the lock screen) is shown",
		dxgiAccessLost:          "the desktop switched while it was being opened",
	}[hr]
	if why == "" {
		return err.Error()
	}
	return why + ": " + err.Error()
}

// dxgiPassing reports whether err, from opening the duplication, is likely
// to pass (the secure desktop, a desktop switch, a disconnected Remote
// Desktop session, too many duplicating programs), so that the capture
// should try again later rather than settle on GDI for the whole run.
func dxgiPassing(err error) bool {
	var hr HRESULT
	if !errors.As(err, &hr) {
		return false
	}
	switch hr {
	case hrAccessDenied, dxgiAccessLost, dxgiNotAvailable, dxgiSessionDisconnected:
		return true
	}
	return false
}

// moveRect is one DXGI_OUTDUPL_MOVE_RECT: the pixels at Source moved to Dest.
type moveRect struct {
	Source image.Point
	Dest   image.Rectangle
}

// dxgiDamage turns a frame's move and dirty rectangles (in the output's
// coordinates) into the rectangles to copy, clipped to the output's size,
// empty ones dropped. A move needs its destination copied (the new desktop
// image holds the moved pixels there already); its source is covered by
// the frame's dirty rectangles when it was not painted over. Many
// rectangles, or ones filling most of their bounding box, become that box,
// as on X11: every copy is a GPU call and a mapped read.
func dxgiDamage(size image.Point, moves []moveRect, dirty []image.Rectangle) []image.Rectangle {
	bounds := image.Rectangle{Max: size}
	var rects []image.Rectangle
	var area int
	var box image.Rectangle
	add := func(r image.Rectangle) {
		r = r.Canon().Intersect(bounds)
		if r.Empty() {
			return
		}
		rects = append(rects, r)
		area += r.Dx() * r.Dy()
		box = box.Union(r)
	}
	for _, m := range moves {
		add(m.Dest)
	}
	for _, r := range dirty {
		add(r)
	}
	if len(rects) > 8 || (len(rects) > 1 && area*4 > box.Dx()*box.Dy()*3) {
		return []image.Rectangle{box}
	}
	return rects
}

// copyRects copies rectangles rects of a mapped BGRA surface (rows pitch
// bytes apart) into the same places of dst, opaque: desktop images leave
// the fourth byte undefined.
func copyRects(dst *codec.Frame, src []byte, pitch int, rects []image.Rectangle) {
	for _, r := range rects {
		r = r.Intersect(dst.Rect)
		for y := r.Min.Y; y < r.Max.Y; y++ {
			d := dst.Pix[y*dst.Stride+r.Min.X*4 : y*dst.Stride+r.Max.X*4]
			copy(d, src[y*pitch+r.Min.X*4:])
			for p := 3; p < len(d); p += 4 {
				d[p] = 0xff
			}
		}
	}
}

// changedBox is the smallest rectangle outside which frames a and b (of
// the same size) are equal; empty when they are equal. GDI, which reports
// no damage, is compared this way while it stands in for DXGI.
func changedBox(a, b *codec.Frame) image.Rectangle {
	var box image.Rectangle
	w := a.Rect.Dx() * 4
	for y := 0; y < a.Rect.Dy(); y++ {
		ra, rb := a.Pix[y*a.Stride:y*a.Stride+w], b.Pix[y*b.Stride:y*b.Stride+w]
		if bytes.Equal(ra, rb) {
			continue
		}
		first, last := 0, w-1
		for ra[first] == rb[first] {
			first++
		}
		for ra[last] == rb[last] {
			last--
		}
		box = box.Union(image.Rect(first/4, y, last/4+1, y+1))
	}
	return box
}

// outputFor finds which of DXGI's outputs (their desktop coordinates)
// shows display (a monitor's bounds); -1 when none does.
func outputFor(display image.Rectangle, outputs []image.Rectangle) int {
	for i, o := range outputs {
		if o == display {
			return i
		}
	}
	return -1
}
