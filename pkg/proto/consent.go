package proto

import (
	"slices"
	"strings"
)

// Permission is one thing a technician may do on the end user's computer.
// The relay asks for a set in ConsentRequest; the end user grants all of
// them, fewer, or none, and the SOS app enforces what was granted itself
// (it opens no data channel beyond it), whatever the relay says later.
type Permission string

// Permissions a technician can ask for. Files will follow.
const (
	PermView      Permission = "view"      // see the screen (the video track)
	PermControl   Permission = "control"   // mouse and keyboard (the input data channel)
	PermClipboard Permission = "clipboard" // clipboard text both ways (the clipboard data channel)
)

// AllPermissions is what a technician asks for today, in display order.
var AllPermissions = []Permission{PermView, PermControl, PermClipboard}

// Grant is the set of permissions the end user gave one technician.
type Grant []Permission

// Has reports whether g includes p.
func (g Grant) Has(p Permission) bool { return slices.Contains(g, p) }

// Within returns the permissions of g that asked also holds, in asked's
// order, without duplicates: an app or relay never grants more than was asked.
func (g Grant) Within(asked []Permission) Grant {
	var out Grant
	for _, p := range asked {
		if g.Has(p) && !out.Has(p) {
			out = append(out, p)
		}
	}
	return out
}

// ViewOnly reports whether g lets the technician see the screen but not
// use the mouse and keyboard.
func (g Grant) ViewOnly() bool { return g.Has(PermView) && !g.Has(PermControl) }

// String lists g for logs: "view,control".
func (g Grant) String() string {
	parts := make([]string, len(g))
	for i, p := range g {
		parts[i] = string(p)
	}
	return strings.Join(parts, ",")
}
