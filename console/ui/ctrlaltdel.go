package ui

import (
	"errors"
	"strings"

	"github.com/relaydesk/relaydesk/console/viewer"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// Ctrl+Alt+Del for a device that cannot take it (a Windows SOS app, which
// runs without the service Windows requires: proto.DeviceInfo.NoCtrlAltDel):
// the toolbar offers it as not available, the technician's own keyboard
// combination is not sent, and the status bar says why each time.

// ctrlAltDelOff is the toolbar's label for Ctrl+Alt+Del on such a device.
const ctrlAltDelOff = "Ctrl+Alt+Del (not available)"

var errCtrlAltDel = errors.New(proto.CtrlAltDelUnavailable)

// specialKeyLabels lists the toolbar's key combinations for a device.
func specialKeyLabels(noCtrlAltDel bool) []string {
	var labels []string
	for _, k := range viewer.SpecialKeys {
		if noCtrlAltDel && k.Label == "Ctrl+Alt+Del" {
			labels = append(labels, ctrlAltDelOff)
			continue
		}
		labels = append(labels, k.Label)
	}
	return labels
}

// showCtrlAltDel fits the toolbar to the connected device and, when it
// cannot take Ctrl+Alt+Del, adds the sentence to the status bar.
func (t *sessionTab) showCtrlAltDel() {
	t.mu.Lock()
	no := t.info.Device != nil && t.info.Device.NoCtrlAltDel
	t.mu.Unlock()
	t.keys.SetOptions(specialKeyLabels(no))
	if no {
		t.setStatus(t.status.Text + " " + proto.CtrlAltDelUnavailable)
	}
}

// refusesCtrlAltDel follows the keys the technician holds and reports
// whether in would complete Ctrl+Alt+Del on a device that cannot take it.
func (t *sessionTab) refusesCtrlAltDel(in proto.Input) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.held == nil {
		t.held = map[string]bool{}
	}
	switch in.Kind {
	case proto.InputKeyUp:
		delete(t.held, in.Key)
	case proto.InputRelAll:
		clear(t.held)
	case proto.InputKeyDn:
		k := strings.ToLower(in.Key)
		if (k == "delete" || k == "kp_delete") && t.info.Device != nil && t.info.Device.NoCtrlAltDel &&
			(t.held["Control_L"] || t.held["Control_R"]) && (t.held["Alt_L"] || t.held["Alt_R"]) {
			return true
		}
		t.held[in.Key] = true
	}
	return false
}
