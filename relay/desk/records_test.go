package desk

import (
	"testing"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/store"
)

// Who may make a session's records internal or public: its owner, a
// manager of its channel (a channel manager of that channel, managers of
// all channels); not a colleague who serves the channel, not the manager
// of another channel, not a disabled owner; a session in no channel only
// its owner and managers of all channels.
func TestCanSetVisibility(t *testing.T) {
	w := newWorld(t)
	inMac := &store.Session{ID: "s1", OwnerID: w.tina.ID, ChannelID: w.mac.ID, Status: proto.StatusClosed}
	inFinance := &store.Session{ID: "s2", OwnerID: w.fred.ID, ChannelID: w.finance.ID, Status: proto.StatusClosed}
	nowhere := &store.Session{ID: "s3", OwnerID: w.theo.ID, Status: proto.StatusClosed}
	disabled := w.tina
	disabled.Disabled = true
	for _, c := range []struct {
		who  store.User
		s    *store.Session
		want bool
	}{
		{w.tina, inMac, true}, {w.carla, inMac, true}, {w.tm, inMac, true}, {w.admin, inMac, true},
		{w.theo, inMac, false}, {w.fred, inMac, false}, {disabled, inMac, false},
		{w.carla, inFinance, false}, {w.fred, inFinance, true},
		{w.theo, nowhere, true}, {w.carla, nowhere, false}, {w.tina, nowhere, false}, {w.tm, nowhere, true},
	} {
		err := w.d.CanSetVisibility(c.who, c.s)
		if (err == nil) != c.want {
			t.Errorf("%s on %s: %v, want allowed %v", c.who.Name, c.s.ID, err, c.want)
		}
		if err != nil && proto.CodeOf(err) != proto.ErrForbidden {
			t.Errorf("%s on %s: code %d, want forbidden", c.who.Name, c.s.ID, proto.CodeOf(err))
		}
	}
}
