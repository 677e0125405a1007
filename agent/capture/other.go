//go:build !linux

package capture

// Open opens the platform's screen source; only Linux (X11) is supported so far.
func Open() (Source, error) { return nil, ErrNoDisplay }
