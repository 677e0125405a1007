//go:build !linux && !windows

package capture

// Open opens the platform's screen source; only Linux (X11) and Windows (GDI) are supported so far.
func Open() (Source, error) { return nil, ErrNoDisplay }
