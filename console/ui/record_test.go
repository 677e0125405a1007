package ui

import (
	"errors"
	"testing"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// recordingRemote is a Remote whose relay records.
type recordingRemote struct {
	Remote
	asked []bool
	err   error
}

func (r *recordingRemote) Record(start bool) error { r.asked = append(r.asked, start); return r.err }

// TestRecordSwitchFollowsTheRelay: the switch asks; it shows on only when
// the relay says the recording runs, and off again when it stops or is
// refused.
func TestRecordSwitchFollowsTheRelay(t *testing.T) {
	_, _, tab := sessionConsole(t, proto.Connect{Code: "123456789"})
	tab.Connected(proto.Connected{Session: proto.SessionInfo{ID: "s1", Status: "Active"}})
	testLoop.run()

	// A backend that cannot record says so and leaves the switch off.
	tab.record.SetChecked(true)
	testLoop.run()
	if tab.record.Checked || tab.status.Text != "This console cannot record sessions." {
		t.Fatalf("without a recorder: checked %v, status %q", tab.record.Checked, tab.status.Text)
	}

	rr := &recordingRemote{Remote: tab.remote}
	tab.remote = rr
	tab.record.SetChecked(true)
	if len(rr.asked) != 1 || !rr.asked[0] || tab.status.Text != "Asking the end user to allow a recording…" {
		t.Fatalf("asked %v, status %q", rr.asked, tab.status.Text)
	}
	tab.Recording(proto.RecordState{SessionID: "s1", On: true, By: "tina", Recording: "r1"})
	testLoop.run()
	if !tab.record.Checked || tab.status.Text != "Recording: on (asked by tina)." || len(rr.asked) != 1 {
		t.Fatalf("on: checked %v, status %q, asked %v", tab.record.Checked, tab.status.Text, rr.asked)
	}
	tab.Recording(proto.RecordState{SessionID: "s1", By: "end user", Reason: "stopped by the end user", Recording: "r1"})
	testLoop.run()
	if tab.record.Checked || tab.status.Text != "Recording: off (stopped by the end user); recording r1." || len(rr.asked) != 1 {
		t.Fatalf("off: checked %v, status %q, asked %v", tab.record.Checked, tab.status.Text, rr.asked)
	}
	rr.err = errors.New("the relay is gone")
	tab.record.SetChecked(true)
	testLoop.run()
	if tab.record.Checked || tab.status.Text != "Recording: the relay is gone." {
		t.Fatalf("failed ask: checked %v, status %q", tab.record.Checked, tab.status.Text)
	}
}
