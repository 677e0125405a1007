//go:build !linux && !windows

package capture

import "log/slog"

// Open opens the platform's screen source; only Linux (X11) and Windows (DXGI or GDI) are supported so far.
func Open(*slog.Logger) (Source, error) { return nil, ErrNoDisplay }
