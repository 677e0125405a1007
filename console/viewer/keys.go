package viewer

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

// keysyms maps Fyne's key names to the X keysym names the agent injects
// (proto.Input.Key). Letters, digits and ASCII punctuation are not listed:
// they travel as the single lower-case character.
var keysyms = map[fyne.KeyName]string{
	fyne.KeyEscape: "Escape", fyne.KeyReturn: "Return", fyne.KeyEnter: "KP_Enter", fyne.KeyTab: "Tab",
	fyne.KeyBackspace: "BackSpace", fyne.KeyInsert: "Insert", fyne.KeyDelete: "Delete",
	fyne.KeyRight: "Right", fyne.KeyLeft: "Left", fyne.KeyDown: "Down", fyne.KeyUp: "Up",
	fyne.KeyPageUp: "Prior", fyne.KeyPageDown: "Next", fyne.KeyHome: "Home", fyne.KeyEnd: "End",
	fyne.KeySpace: "space",
	fyne.KeyF1:    "F1", fyne.KeyF2: "F2", fyne.KeyF3: "F3", fyne.KeyF4: "F4", fyne.KeyF5: "F5", fyne.KeyF6: "F6",
	fyne.KeyF7: "F7", fyne.KeyF8: "F8", fyne.KeyF9: "F9", fyne.KeyF10: "F10", fyne.KeyF11: "F11", fyne.KeyF12: "F12",
	desktop.KeyShiftLeft: "Shift_L", desktop.KeyShiftRight: "Shift_R",
	desktop.KeyControlLeft: "Control_L", desktop.KeyControlRight: "Control_R",
	desktop.KeyAltLeft: "Alt_L", desktop.KeyAltRight: "Alt_R",
	desktop.KeySuperLeft: "Super_L", desktop.KeySuperRight: "Super_R",
	desktop.KeyMenu: "Menu", desktop.KeyPrintScreen: "Print", desktop.KeyCapsLock: "Caps_Lock",
}

// Keysym returns the X keysym name for a key the technician pressed, or
// false when the key has no stable name (a character of a non-US layout,
// which then travels as text).
func Keysym(k fyne.KeyName) (string, bool) {
	if s, ok := keysyms[k]; ok {
		return s, true
	}
	if len(k) == 1 && k[0] > ' ' && k[0] < 0x7f {
		return strings.ToLower(string(k)), true
	}
	return "", false
}

// SpecialKeys are the combinations the toolbar offers, which the local
// system would otherwise take for itself.
var SpecialKeys = []struct {
	Label string
	Keys  []string // pressed in order, released in reverse
}{
	{"Ctrl+Alt+Del", []string{"Control_L", "Alt_L", "Delete"}},
	{"Alt+Tab", []string{"Alt_L", "Tab"}},
	{"Alt+F4", []string{"Alt_L", "F4"}},
	{"Windows / Super", []string{"Super_L"}},
	{"Ctrl+Esc", []string{"Control_L", "Escape"}},
	{"Print Screen", []string{"Print"}},
	{"Ctrl+Alt+Backspace", []string{"Control_L", "Alt_L", "BackSpace"}},
}
