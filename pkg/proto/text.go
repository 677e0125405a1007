package proto

import "strings"

// CleanText removes control characters from a text that came from the
// other side (chat, names, host names) except newline and tab: C0
// (including ESC), DEL and C1. Printed raw, they would let a sender inject
// terminal escape sequences (retitle the window, write the clipboard with
// OSC 52) into the reader's terminal. The relay cleans what it accepts and
// every client cleans again before printing.
func CleanText(s string) string {
	if strings.IndexFunc(s, isControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return -1
		}
		return r
	}, s)
}

func isControl(r rune) bool {
	if r == '\n' || r == '\t' {
		return false
	}
	return r < 0x20 || (r >= 0x7f && r <= 0x9f)
}
