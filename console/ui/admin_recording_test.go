package ui

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/relaydesk/relaydesk/pkg/adminapi"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// fakeChannelRecordings keeps recording policies by channel name.
type fakeChannelRecordings struct {
	*fakeAdmin
	policies map[string]adminapi.ChannelRecording // under fakeAdmin's lock
	sets     int
}

func (f *fakeChannelRecordings) ChannelRecording(_ context.Context, name string) (rs adminapi.ChannelRecording, err error) {
	f.locked(func() { rs = f.policies[name] })
	return rs, nil
}

func (f *fakeChannelRecordings) SetChannelRecording(_ context.Context, name string, rs adminapi.ChannelRecording) (adminapi.ChannelRecording, error) {
	f.locked(func() { f.policies[name], f.sets = rs, f.sets+1 })
	return rs, nil
}

// The channel form's Recording row shows the relay's policy, saves a
// change, refuses bad days with a sentence (sending nothing), and is read
// only on a channel the user does not manage.
func TestChannelFormRecordingPolicy(t *testing.T) {
	fa := &fakeAdmin{perms: allPerms(proto.PermManageChannel),
		channels: []adminapi.Channel{
			{Name: "Mac support", Manages: true, SLA: "0s", LinkTTL: "0s", Assign: "off"},
			{Name: "Windows", Manages: false, SLA: "0s", LinkTTL: "0s", Assign: "off"},
		}}
	fr := &fakeChannelRecordings{fakeAdmin: fa, policies: map[string]adminapi.ChannelRecording{
		"Mac support": {Policy: "allowed", KeepDays: 7}, "Windows": {Policy: "required"}}}
	c := signedInWithAPI(t, fa, fr)
	test.Tap(c.adm.admin)
	v := c.adm.adm.channels
	eventually(t, "the channels", func() bool { return len(v.channels) == 2 })
	r := v.rec
	v.list.Select(1)
	eventually(t, "Windows' policy", func() bool { return r.policy.Selected == "required" })
	if r.keep.Text != "0" || !r.save.Disabled() || !r.policy.Disabled() {
		t.Fatalf("Windows: keep %q, save disabled %v", r.keep.Text, r.save.Disabled())
	}
	v.list.Select(0)
	eventually(t, "Mac support's policy", func() bool { return r.policy.Selected == "allowed" && !r.save.Disabled() })
	if r.keep.Text != "7" {
		t.Fatalf("Mac support keeps %q days", r.keep.Text)
	}
	r.keep.SetText("soon")
	test.Tap(r.save)
	if !strings.HasPrefix(r.note.Text, "Keep recordings for a number of days") {
		t.Fatalf("bad days: %q", r.note.Text)
	}
	r.policy.SetSelected("required")
	r.keep.SetText("30")
	test.Tap(r.save)
	eventually(t, "the save", func() bool {
		return r.note.Text == "Channel Mac support: recording required; recordings are deleted 30 days after they end."
	})
	fa.locked(func() {
		if fr.sets != 1 || fr.policies["Mac support"] != (adminapi.ChannelRecording{Policy: "required", KeepDays: 30}) {
			t.Errorf("%d saves, Mac support %+v", fr.sets, fr.policies["Mac support"])
		}
	})
	if _, err := ValidateRecording("sometimes", "1"); err == nil {
		t.Error("a policy that is not off, allowed or required passed")
	}
}
