//go:build !linux && !windows

package overlay

import (
	"image"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// Overlay answers ErrUnavailable on this system: a click-through window
// for macOS is not built yet.
type Overlay struct{}

// New returns the overlay, which cannot draw here.
func New(Config) *Overlay { return &Overlay{} }

// Draw refuses: drawing is not available on this computer.
func (*Overlay) Draw(image.Rectangle, proto.DrawShape) (int, error) { return 0, ErrUnavailable }

// Clear has nothing to remove.
func (*Overlay) Clear() error { return nil }

// Shapes is 0.
func (*Overlay) Shapes() int { return 0 }

// Close does nothing.
func (*Overlay) Close() error { return nil }
