package desk

import (
	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/store"
)

// CanSetVisibility decides whether u may make s's records (screenshots,
// recordings) public or internal: its owner, or who may manage its
// channel (for a session in no channel: a manager of every channel).
// Callers check first that u sees s at all.
func (d *Desk) CanSetVisibility(u store.User, s *store.Session) error {
	if u.Disabled {
		return proto.Errorf(proto.ErrForbidden, "Your account is disabled.")
	}
	if u.ID != 0 && s.OwnerID == u.ID {
		return nil
	}
	if d.CanManageChannel(u, s.ChannelID) == nil {
		return nil
	}
	return proto.Errorf(proto.ErrForbidden, "Only the session's owner or a manager of its channel may change who sees its records.")
}
