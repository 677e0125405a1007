//go:build cgo && (linux || windows || darwin)

package input

import (
	"fmt"
	"strings"

	"github.com/go-vgo/robotgo"
)

// Robotgo injects through robotgo (XTest on Linux).
type Robotgo struct{}

// Move implements Injector.
func (Robotgo) Move(x, y int) error { robotgo.Move(x, y); return nil }

// Button implements Injector.
func (Robotgo) Button(b string, down bool) error {
	if down {
		return robotgo.Toggle(b)
	}
	return robotgo.Toggle(b, "up")
}

// Wheel implements Injector.
func (Robotgo) Wheel(dx, dy int) error {
	// robotgo scrolls up for positive y; our DY is positive downwards.
	robotgo.Scroll(dx, -dy, 0)
	return nil
}

// Key implements Injector.
func (Robotgo) Key(key string, down bool) error {
	name, ok := robotgoKey(key)
	if !ok {
		return fmt.Errorf("input: key %q is not supported", key)
	}
	if down {
		return robotgo.KeyToggle(name)
	}
	return robotgo.KeyToggle(name, "up")
}

// Type implements Injector.
func (Robotgo) Type(text string) error { robotgo.TypeStr(text); return nil }

// robotgoKey maps an X keysym name to robotgo's key name.
func robotgoKey(k string) (string, bool) {
	if len([]rune(k)) == 1 {
		return strings.ToLower(k), true
	}
	if n, ok := keyNames[strings.ToLower(k)]; ok {
		return n, true
	}
	l := strings.ToLower(k)
	if len(l) >= 2 && l[0] == 'f' && l[1] >= '1' && l[1] <= '9' {
		return l, true // F1..F24
	}
	return "", false
}

var keyNames = map[string]string{
	"return": "enter", "enter": "enter", "kp_enter": "enter", "escape": "esc", "esc": "esc", "tab": "tab",
	"backspace": "backspace", "delete": "delete", "insert": "insert", "space": "space",
	"up": "up", "down": "down", "left": "left", "right": "right",
	"home": "home", "end": "end", "page_up": "pageup", "prior": "pageup", "page_down": "pagedown", "next": "pagedown",
	"control_l": "lctrl", "control_r": "rctrl", "alt_l": "lalt", "alt_r": "ralt", "shift_l": "lshift", "shift_r": "rshift",
	"super_l": "lcmd", "super_r": "rcmd", "meta_l": "lcmd", "caps_lock": "capslock", "print": "printscreen",
	"menu": "menu", "num_lock": "numlock",
}
