// Package input injects a technician's pointer and keyboard events into the
// end user's desktop. Injector is the small interface the session uses;
// the robotgo implementation is the only importer of robotgo. Keys and
// buttons still held are tracked, so that they are released when the
// technician's channel closes.
package input

import (
	"errors"
	"fmt"
	"image"
	"runtime"
	"strings"
	"sync"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// Injector performs raw input on the desktop.
type Injector interface {
	Move(x, y int) error
	Button(button string, down bool) error
	Wheel(dx, dy int) error
	// Key presses or releases a key given by its X keysym name.
	Key(key string, down bool) error
	Type(text string) error
}

// Handler applies proto.Input events from one technician to a display.
type Handler struct {
	inj     Injector
	mu      sync.Mutex
	bounds  image.Rectangle
	keys    map[string]bool
	buttons map[string]bool
}

// NewHandler returns a Handler injecting through inj.
func NewHandler(inj Injector) *Handler {
	return &Handler{inj: inj, keys: map[string]bool{}, buttons: map[string]bool{}}
}

// SetDisplay sets the captured display's bounds, to which coordinates are normalised.
func (h *Handler) SetDisplay(r image.Rectangle) {
	h.mu.Lock()
	h.bounds = r
	h.mu.Unlock()
}

func (h *Handler) point(x, y float64) (int, int) {
	clamp := func(v float64) float64 { return min(max(v, 0), 1) }
	b := h.bounds
	return b.Min.X + int(clamp(x)*float64(b.Dx()-1)+0.5), b.Min.Y + int(clamp(y)*float64(b.Dy()-1)+0.5)
}

var buttons = map[string]bool{"left": true, "right": true, "middle": true}

// ErrSecureAttention: Windows takes Ctrl+Alt+Del (the secure attention
// sequence) only from the keyboard or from a service running as
// LocalSystem (SendSAS), never from SendInput in a user's program such as
// the SOS app; the Delete is not sent, so the desktop sees no half of it.
var ErrSecureAttention = errors.New("input: Ctrl+Alt+Del cannot be sent to this Windows computer: Windows accepts it only from the keyboard or from a system service, and the support app runs as the signed-in user; ask the end user to press it")

// secureAttentionBlocked is true where Ctrl+Alt+Del cannot be injected.
var secureAttentionBlocked = runtime.GOOS == "windows"

// CtrlAltDelBlocked reports whether this app cannot pass Ctrl+Alt+Del on
// (Windows: there is no SOS service to call SendSAS), which the app reports
// in its device information so that the console says so up front.
func CtrlAltDelBlocked() bool { return secureAttentionBlocked }

// secureAttention reports whether pressing key now makes Ctrl+Alt+Del.
// Callers hold h.mu.
func (h *Handler) secureAttention(key string) bool {
	if k := strings.ToLower(key); k != "delete" && k != "kp_delete" {
		return false
	}
	return (h.keys["Control_L"] || h.keys["Control_R"]) && (h.keys["Alt_L"] || h.keys["Alt_R"])
}

// Apply performs one event.
func (h *Handler) Apply(in proto.Input) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch in.Kind {
	case proto.InputMove:
		return h.inj.Move(h.point(in.X, in.Y))
	case proto.InputDown, proto.InputUp:
		if !buttons[in.Button] {
			return fmt.Errorf("input: unknown button %q", in.Button)
		}
		if err := h.inj.Move(h.point(in.X, in.Y)); err != nil {
			return err
		}
		down := in.Kind == proto.InputDown
		h.buttons[in.Button] = down
		return h.inj.Button(in.Button, down)
	case proto.InputWheel:
		return h.inj.Wheel(max(min(in.DX, 100), -100), max(min(in.DY, 100), -100))
	case proto.InputKeyDn, proto.InputKeyUp:
		if in.Key == "" || len(in.Key) > 32 {
			return fmt.Errorf("input: bad key name %q", in.Key)
		}
		down := in.Kind == proto.InputKeyDn
		if down && secureAttentionBlocked && h.secureAttention(in.Key) {
			return ErrSecureAttention
		}
		h.keys[in.Key] = down
		return h.inj.Key(in.Key, down)
	case proto.InputText:
		if len(in.Text) > 4096 {
			return fmt.Errorf("input: text of %d bytes is too long", len(in.Text))
		}
		return h.inj.Type(in.Text)
	case proto.InputRelAll:
		h.releaseAll()
		return nil
	}
	return fmt.Errorf("input: unknown kind %d", in.Kind)
}

// ReleaseAll releases every key and button still held (the channel closed).
func (h *Handler) ReleaseAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.releaseAll()
}

func (h *Handler) releaseAll() {
	for k, down := range h.keys {
		if down {
			h.inj.Key(k, false)
		}
	}
	for b, down := range h.buttons {
		if down {
			h.inj.Button(b, false)
		}
	}
	clear(h.keys)
	clear(h.buttons)
}
