package queue

import (
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// A long but honest host name registers, shortened; oversized lists are cut
// before anything is stored or broadcast.
func TestRegistrationCapsDeviceInfo(t *testing.T) {
	f := newFixture(t)
	sub := &fakeConn{}
	f.admin.Conn = sub
	f.m.Subscribe(f.admin, true)
	dev := proto.DeviceInfo{Hostname: strings.Repeat("h", 600<<10), LocalIPs: make([]string, 5000), Displays: make([]proto.Display, 1000)}
	reg, err := f.m.RegisterAgent(f.ctx, f.agent(nil), proto.AgentRegister{Device: dev})
	if err != nil {
		t.Fatalf("a long host name was refused: %v", err)
	}
	s, err := f.st.Session(f.ctx, reg.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Device.Hostname) != proto.MaxDeviceString || len(s.Device.LocalIPs) != proto.MaxLocalIPs || len(s.Device.Displays) != proto.MaxDisplays {
		t.Fatalf("stored host name %d bytes, %d IPs, %d displays", len(s.Device.Hostname), len(s.Device.LocalIPs), len(s.Device.Displays))
	}
	var u proto.QueueUpdate
	if !sub.last(proto.TypeQueueUpdate, &u) || len(u.Session.Device.Hostname) != proto.MaxDeviceString {
		t.Fatalf("the broadcast carries %d bytes of host name", len(u.Session.Device.Hostname))
	}
}

// However long the transcript, the details reply fits a frame, keeps the
// newest messages and says how many older ones it left out.
func TestDetailsFitAFrame(t *testing.T) {
	f := newFixture(t)
	a, reg := f.activeSession()
	text := strings.Repeat("x", proto.MaxChat)
	const n = 400 // 1.6 MB of chat
	for i := range n {
		if err := f.m.AgentChat(f.ctx, a, proto.Chat{SessionID: reg.SessionID, Text: text[:proto.MaxChat-4] + string(rune('a'+i%26)) + "end"}); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	d, err := f.m.Details(f.ctx, f.tech, reg.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := proto.AppendFrame(nil, proto.TypeSessionDetailsReply, 0, 1, &d); err != nil {
		t.Fatalf("the details reply does not fit a frame: %v", err)
	}
	if d.ChatOmitted == 0 || d.ChatOmitted+len(d.Chat) != n {
		t.Fatalf("%d messages kept, %d omitted; want %d in all with some omitted", len(d.Chat), d.ChatOmitted, n)
	}
	if last := d.Chat[len(d.Chat)-1].Text; !strings.HasSuffix(last, string(rune('a'+(n-1)%26))+"end") {
		t.Fatalf("the newest message is not the last kept one: ...%s", last[len(last)-8:])
	}
}
