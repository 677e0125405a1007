// Package capture grabs the end user's screens as BGRA frames. On Linux it
// keeps one X connection open and grabs through MIT-SHM (falling back to
// GetImage); on Windows it copies the desktop with GDI BitBlt (gdi_windows.go,
// no cgo); a synthetic source serves tests.
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
