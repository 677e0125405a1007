package proto

import (
	"encoding/json"
	"testing"
)

// TestNoCtrlAltDelTravels: the capability survives the wire (CBOR) and the
// relay's store (JSON), and a device that does not mention it (an older
// app, Linux) can send Ctrl+Alt+Del.
func TestNoCtrlAltDelTravels(t *testing.T) {
	b, err := Marshal(&AgentRegister{Device: DeviceInfo{OS: "windows", NoCtrlAltDel: true}})
	if err != nil {
		t.Fatal(err)
	}
	var r AgentRegister
	if err := Unmarshal(b, &r); err != nil || !r.Device.NoCtrlAltDel {
		t.Fatalf("over CBOR: %+v %v", r.Device, err)
	}
	j, _ := json.Marshal(r.Device)
	var d DeviceInfo
	if err := json.Unmarshal(j, &d); err != nil || !d.NoCtrlAltDel {
		t.Fatalf("through JSON %s: %+v %v", j, d, err)
	}
	old, _ := Marshal(&AgentRegister{Device: DeviceInfo{OS: "linux"}})
	r = AgentRegister{}
	if err := Unmarshal(old, &r); err != nil || r.Device.NoCtrlAltDel {
		t.Fatalf("a device that does not say: %+v %v", r.Device, err)
	}
}
