package capture

import (
	"errors"
	"fmt"
	"image"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/pkg/codec"
)

// TestDXGIDamage: moves' destinations and dirty rectangles become damage,
// clipped to the output; empty and outside ones are dropped; many, or
// ones filling most of their box, become the box.
func TestDXGIDamage(t *testing.T) {
	size := image.Pt(1920, 1080)
	for _, c := range []struct {
		name  string
		moves []moveRect
		dirty []image.Rectangle
		want  []image.Rectangle
	}{
		{"nothing", nil, nil, nil},
		{"one dirty", nil, []image.Rectangle{image.Rect(10, 20, 110, 70)}, []image.Rectangle{image.Rect(10, 20, 110, 70)}},
		{"clipped at the edge", nil, []image.Rectangle{image.Rect(1900, 1000, 2000, 1200)}, []image.Rectangle{image.Rect(1900, 1000, 1920, 1080)}},
		{"outside and empty dropped", nil, []image.Rectangle{image.Rect(2000, 0, 2100, 10), image.Rect(5, 5, 5, 50)}, nil},
		{"a window dragged: destination, then the uncovered part",
			[]moveRect{{Source: image.Pt(100, 100), Dest: image.Rect(300, 100, 700, 400)}},
			[]image.Rectangle{image.Rect(100, 100, 300, 400)},
			// both fill their box (100..700 x 100..400) entirely: one copy
			[]image.Rectangle{image.Rect(100, 100, 700, 400)}},
		{"two far apart stay two", nil,
			[]image.Rectangle{image.Rect(0, 0, 10, 10), image.Rect(1900, 1060, 1920, 1080)},
			[]image.Rectangle{image.Rect(0, 0, 10, 10), image.Rect(1900, 1060, 1920, 1080)}},
		{"reversed corners are put right", nil, []image.Rectangle{{Min: image.Pt(50, 60), Max: image.Pt(40, 30)}}, []image.Rectangle{image.Rect(40, 30, 50, 60)}},
	} {
		got := dxgiDamage(size, c.moves, c.dirty)
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	var many []image.Rectangle
	for i := range 9 {
		many = append(many, image.Rect(i*100, 0, i*100+10, 10))
	}
	if got := dxgiDamage(size, nil, many); len(got) != 1 || got[0] != image.Rect(0, 0, 810, 10) {
		t.Errorf("nine small rectangles: %v, want their box", got)
	}
}

// TestCopyRects: only the rectangles are copied from a surface whose rows
// are padded, and they come out opaque.
func TestCopyRects(t *testing.T) {
	const w, h, pitch = 8, 4, 40 // 32 bytes of pixels, 8 of padding a row
	src := make([]byte, pitch*h)
	for y := range h {
		for x := range w {
			o := y*pitch + x*4
			src[o], src[o+1], src[o+2], src[o+3] = byte(x), byte(y), 0x77, 0
		}
	}
	dst := codec.NewFrame(w, h)
	copyRects(dst, src, pitch, []image.Rectangle{image.Rect(2, 1, 4, 3), image.Rect(7, 3, 9, 5)})
	for y := range h {
		for x := range w {
			o := y*dst.Stride + x*4
			in := image.Pt(x, y).In(image.Rect(2, 1, 4, 3)) || image.Pt(x, y) == image.Pt(7, 3)
			got := [4]byte(dst.Pix[o : o+4])
			want := [4]byte{}
			if in {
				want = [4]byte{byte(x), byte(y), 0x77, 0xff}
			}
			if got != want {
				t.Fatalf("pixel %d,%d: %v, want %v", x, y, got, want)
			}
		}
	}
}

// TestStepAfter: what each AcquireNextFrame result makes the capture do.
func TestStepAfter(t *testing.T) {
	for hr, want := range map[HRESULT]frameStep{
		hrOK:              frameCopy,
		dxgiWaitTimeout:   frameSame,
		dxgiAccessLost:    frameRecreate,
		dxgiDeviceRemoved: frameRecreate,
		hrAccessDenied:    frameRecreate,
		dxgiUnsupported:   frameFail,
		0x80004005:        frameFail, // E_FAIL
	} {
		if got := stepAfter(hr); got != want {
			t.Errorf("%v: step %d, want %d", hr, got, want)
		}
	}
}

// TestDXGIUnavailable: the reason logged with the GDI fallback is a
// sentence about the cause, with the code kept for support.
func TestDXGIUnavailable(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("duplicate output 0: %w", hrNotImplemented), "does not implement desktop duplication: duplicate output 0: not implemented (0x80004001)"},
		{fmt.Errorf("duplicate output 0: %w", dxgiUnsupported), "Remote Desktop session"},
		{fmt.Errorf("duplicate output 0: %w", HRESULT(0x80004005)), "duplicate output 0: HRESULT 0x80004005"},
		{errNoDXGI, "Windows 7 or older"},
		{errors.New("no output shows display 1"), "no output shows display 1"},
	} {
		if got := dxgiUnavailable(c.err); !strings.Contains(got, c.want) {
			t.Errorf("%v: %q, want it to say %q", c.err, got, c.want)
		}
	}
}

func TestOutputFor(t *testing.T) {
	outs := []image.Rectangle{image.Rect(1920, 0, 3200, 1024), image.Rect(0, 0, 1920, 1080)}
	if i := outputFor(image.Rect(0, 0, 1920, 1080), outs); i != 1 {
		t.Errorf("primary display: output %d, want 1", i)
	}
	if i := outputFor(image.Rect(0, 0, 1280, 720), outs); i != -1 {
		t.Errorf("a display no output shows: output %d, want -1", i)
	}
}

// TestChangedBox: the box around what differs between two frames, empty
// when nothing does.
func TestChangedBox(t *testing.T) {
	a, b := codec.NewFrame(64, 48), codec.NewFrame(64, 48)
	if r := changedBox(a, b); !r.Empty() {
		t.Fatalf("equal frames: %v", r)
	}
	b.Pix[(5*64+10)*4+2] = 1  // pixel 10,5 (its red byte)
	b.Pix[(20*64+40)*4+0] = 9 // pixel 40,20 (its blue byte)
	if r := changedBox(a, b); r != image.Rect(10, 5, 41, 21) {
		t.Fatalf("two pixels: %v, want (10,5)-(41,21)", r)
	}
	b.Pix[len(b.Pix)-1] = 7 // the last pixel's alpha
	if r := changedBox(a, b); r != image.Rect(10, 5, 64, 48) {
		t.Fatalf("with the last pixel: %v", r)
	}
}

// What fails only for a while at start (the secure desktop, a desktop
// switch, a disconnected Remote Desktop session, too many duplicators)
// keeps DXGI to try again; what this Windows or driver cannot do (Wine's
// stub, no duplication, no IDXGIOutput1) settles on GDI.
func TestDXGIPassing(t *testing.T) {
	for hr, want := range map[HRESULT]bool{
		hrAccessDenied: true, dxgiAccessLost: true, dxgiNotAvailable: true, dxgiSessionDisconnected: true,
		hrNotImplemented: false, dxgiUnsupported: false, hrNoInterface: false, dxgiDeviceRemoved: false,
	} {
		if got := dxgiPassing(fmt.Errorf("duplicate output of display 0: %w", hr)); got != want {
			t.Errorf("%v: passing %v, want %v", hr, got, want)
		}
	}
	if dxgiPassing(errNoDXGI) || dxgiPassing(errors.New("no graphics output shows the monitor")) {
		t.Error("an error without a DXGI result counts as passing")
	}
}
