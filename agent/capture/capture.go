// Package capture grabs the end user's screens as BGRA frames. On Linux it
// keeps one X connection open, learns from the Damage extension which
// rectangles changed and grabs only those through MIT-SHM (falling back to
// GetImage); on Windows it uses DXGI Desktop Duplication, whose dirty and
// move rectangles say what changed (dxgi_windows.go), and GDI BitBlt where
// that is not available (gdi_windows.go), both without cgo; Synthetic is a
// screen in memory for tests.
package capture

import (
	"errors"
	"image"

	"github.com/relaydesk/relaydesk/pkg/codec"
)

// Errors.
var (
	ErrNoDisplay  = errors.New("capture: no display to capture")
	ErrBadDisplay = errors.New("capture: no such display")
)

// Source captures screens.
type Source interface {
	// Displays lists the screens' bounds in the desktop's coordinates.
	Displays() ([]image.Rectangle, error)
	// Grab captures display i into dst when it has the right size, or into
	// a new frame, and returns the frame.
	Grab(i int, dst *codec.Frame) (*codec.Frame, error)
	Close() error
}

// Notifier is a Source that can tell when the screen changed, so that a
// still screen costs no grabs at all.
type Notifier interface {
	// Damaged receives a value after the screen changed; nil if unknown.
	Damaged() <-chan struct{}
}

// DamageGrabber is a Source that knows which parts of a display changed,
// so that only those are grabbed (then converted and encoded). A Source
// without it is grabbed whole and compared with the frame before. On
// Windows, DXGI's dirty and move rectangles are what a source reports here.
// A DamageGrabber that is also a Notifier is grabbed when it notifies (but
// compared like a plain Source when its Damaged channel is nil); one that
// is not is polled MaxFPS times a second.
type DamageGrabber interface {
	// GrabDamage brings dst up to date with display i and returns the
	// rectangles (in the frame's coordinates, possibly overlapping) that
	// changed since the previous GrabDamage into dst; none when nothing
	// did. dst must be the frame the previous call returned, unmodified.
	// When it is nil, of another size, or the last grab was of another
	// display, the whole display is grabbed and reported as changed.
	GrabDamage(i int, dst *codec.Frame) (*codec.Frame, []image.Rectangle, error)
}

// Cursor is the pointer's position (desktop coordinates) and shape.
type Cursor struct {
	X, Y   int
	Serial uint32      // changes when the shape changes
	Shape  *image.RGBA // nil when not asked for
	Hot    image.Point // hotspot inside Shape
}

// CursorSource is a Source that can report the pointer, which screen
// grabs do not contain.
type CursorSource interface {
	// Cursor reports the pointer; the shape only when withShape. Without
	// it, Serial is that of the last shape read.
	Cursor(withShape bool) (Cursor, error)
}
