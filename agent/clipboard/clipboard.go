// Package clipboard reads, writes and watches the end user's text
// clipboard for clipboard transfer with the technician. The system
// clipboard goes through golang.design/x/clipboard (X11 on Linux).
package clipboard

import (
	"context"
	"errors"
	"sync"

	sys "golang.design/x/clipboard"
)

// Clipboard is a text clipboard.
type Clipboard interface {
	Write(text string) error
	// Watch sends the text every time something else changes the clipboard.
	Watch(ctx context.Context) <-chan string
}

var (
	initOnce sync.Once
	initErr  error
)

// System is the desktop's clipboard.
type System struct {
	mu      sync.Mutex
	written string // last text we wrote, not to be echoed back
}

// OpenSystem connects to the desktop's clipboard.
func OpenSystem() (*System, error) {
	initOnce.Do(func() { initErr = sys.Init() })
	if initErr != nil {
		return nil, errors.Join(errors.New("clipboard: not available"), initErr)
	}
	return &System{}, nil
}

// Write implements Clipboard.
func (s *System) Write(text string) error {
	s.mu.Lock()
	s.written = text
	s.mu.Unlock()
	sys.Write(sys.FmtText, []byte(text))
	return nil
}

// Watch implements Clipboard. Text this System wrote is not reported.
func (s *System) Watch(ctx context.Context) <-chan string {
	out := make(chan string, 4)
	in := sys.Watch(ctx, sys.FmtText)
	go func() {
		defer close(out)
		for b := range in {
			t := string(b)
			s.mu.Lock()
			echo := t == s.written
			s.mu.Unlock()
			if echo {
				continue
			}
			select {
			case out <- t:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}
