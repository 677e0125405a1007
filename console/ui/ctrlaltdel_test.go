package ui

import (
	"slices"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/console/client"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// TestCtrlAltDelOnAWindowsDevice: for a device that reports it cannot take
// Ctrl+Alt+Del, the toolbar offers it as not available and choosing it
// sends nothing but says why; the technician's own Ctrl+Alt+Del is stopped
// before its Delete, with the same sentence; other keys, and Delete alone,
// still go. A device that does not say so keeps Ctrl+Alt+Del.
func TestCtrlAltDelOnAWindowsDevice(t *testing.T) {
	c, be, _ := newTestConsole(t)
	c.ShowQueue(client.Login{Relay: "relay:4433", User: "tina", Token: "t"})
	<-be.watching
	c.Connect(proto.Connect{Code: "123456789"})
	c.Connect(proto.Connect{Code: "987654321"})
	win, linux := c.sessions[0], c.sessions[1]
	win.Connected(proto.Connected{Session: proto.SessionInfo{ID: "w", Status: "Active",
		Device: &proto.DeviceInfo{OS: "windows", NoCtrlAltDel: true}}})
	linux.Connected(proto.Connected{Session: proto.SessionInfo{ID: "l", Status: "Active",
		Device: &proto.DeviceInfo{OS: "linux"}}})
	testLoop.run()

	if slices.Contains(win.keys.Options, "Ctrl+Alt+Del") || !slices.Contains(win.keys.Options, ctrlAltDelOff) {
		t.Fatalf("the Windows device's toolbar offers %q", win.keys.Options)
	}
	if !strings.Contains(win.status.Text, proto.CtrlAltDelUnavailable) {
		t.Fatalf("on connecting the status says %q", win.status.Text)
	}
	if !slices.Contains(linux.keys.Options, "Ctrl+Alt+Del") || strings.Contains(linux.status.Text, "Ctrl+Alt+Del") {
		t.Fatalf("the Linux device: toolbar %q, status %q", linux.keys.Options, linux.status.Text)
	}

	r := be.remotes[0]
	win.setStatus("")
	win.keys.SetSelected(ctrlAltDelOff)
	if len(r.inputs) != 0 || win.status.Text != proto.CtrlAltDelUnavailable {
		t.Fatalf("choosing it sent %v, status %q", r.inputs, win.status.Text)
	}
	win.setStatus("")
	win.screen.SendKeys([]string{"Control_R", "Alt_L", "Delete"})
	var keys []string
	for _, in := range r.inputs {
		keys = append(keys, in.Key)
	}
	if slices.Contains(keys, "Delete") || win.status.Text != proto.CtrlAltDelUnavailable {
		t.Fatalf("the keyboard's Ctrl+Alt+Del sent %v, status %q", keys, win.status.Text)
	}
	win.screen.SendKeys([]string{"Delete"}) // Ctrl and Alt still held: refused again
	win.sendInput(proto.Input{Kind: proto.InputKeyUp, Key: "Control_R"})
	win.sendInput(proto.Input{Kind: proto.InputKeyUp, Key: "Alt_L"})
	n := len(r.inputs)
	win.screen.SendKeys([]string{"Delete"})
	win.keys.SetSelected("Alt+Tab")
	if got := len(r.inputs) - n; got != 6 {
		t.Fatalf("Delete alone and Alt+Tab: %d inputs sent, want 6", got)
	}

	l := be.remotes[1]
	linux.keys.SetSelected("Ctrl+Alt+Del")
	if len(l.inputs) != 6 || l.inputs[2].Key != "Delete" {
		t.Fatalf("the Linux device's Ctrl+Alt+Del sent %v", l.inputs)
	}
}
