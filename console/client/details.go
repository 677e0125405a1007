package client

import (
	"context"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// SessionDetails returns a session the technician may see (managers: any;
// others: the ones they own or were attached to), live or ended, with the
// end user's rating, the chat transcript and the status history.
func (c *Conn) SessionDetails(ctx context.Context, id string) (proto.SessionDetails, error) {
	var d proto.SessionDetails
	err := c.peer.Call(ctx, proto.TypeSessionDetails, &proto.SessionDetailsRequest{SessionID: id}, proto.TypeSessionDetailsReply, &d)
	return d, err
}
