package client

import (
	"context"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// Chat sends a chat message to a session the signed-in technician is
// attached to (on this or another connection). It returns once the relay
// stored it; the relay then pushes it, stamped with the sender and time, as
// a TypeChat event to every participant, this connection included when it
// is the one attached. Incoming chat reaches Handler.Event (or Dial's
// onEvent) with env.Type == proto.TypeChat.
func (c *Conn) Chat(ctx context.Context, sessionID, text string) error {
	return c.peer.Call(ctx, proto.TypeChat, &proto.Chat{SessionID: sessionID, Text: text}, proto.TypeOK, nil)
}

// Chat sends a chat message to the session on its current connection;
// transport.ErrClosed (pkg/transport) while reconnecting.
func (s *Session) Chat(ctx context.Context, text string) error {
	c, id, err := s.current()
	if err != nil {
		return err
	}
	return c.Chat(ctx, id, text)
}
