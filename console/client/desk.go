package client

import (
	"context"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// The service desk's requests. The relay decides and refuses with a
// sentence (a *proto.Failure); nothing here checks permissions.

// Pick takes an unassigned request of a channel the technician serves.
// Losing a race gives a Failure with code ErrTaken naming the winner.
func (c *Conn) Pick(ctx context.Context, sessionID string) (proto.SessionInfo, error) {
	var r proto.SessionReply
	err := c.peer.Call(ctx, proto.TypePick, &proto.Pick{SessionID: sessionID}, proto.TypeSessionReply, &r)
	return r.Session, err
}

// Transfer hands a session to a technician or a channel.
func (c *Conn) Transfer(ctx context.Context, req proto.Transfer) (proto.SessionInfo, error) {
	var r proto.SessionReply
	err := c.peer.Call(ctx, proto.TypeTransfer, &req, proto.TypeSessionReply, &r)
	return r.Session, err
}

// Invite asks a colleague into a session.
func (c *Conn) Invite(ctx context.Context, sessionID, user string) error {
	return c.peer.Call(ctx, proto.TypeInvite, &proto.Invite{SessionID: sessionID, User: user}, proto.TypeOK, nil)
}

// RemoveGuest takes an invited guest off a session, or withdraws an
// invitation not used yet (the session's owner only).
func (c *Conn) RemoveGuest(ctx context.Context, sessionID, user string) error {
	return c.peer.Call(ctx, proto.TypeGuestRemove, &proto.GuestRemove{SessionID: sessionID, User: user}, proto.TypeOK, nil)
}

// AnswerInvite accepts or declines an invitation; after accepting, Connect
// joins the session as a guest.
func (c *Conn) AnswerInvite(ctx context.Context, sessionID string, accept bool) error {
	return c.peer.Call(ctx, proto.TypeInviteAnswer, &proto.InviteAnswer{SessionID: sessionID, Accept: accept}, proto.TypeOK, nil)
}

// AddNote adds an internal note to a session.
func (c *Conn) AddNote(ctx context.Context, sessionID, text string) error {
	return c.peer.Call(ctx, proto.TypeNoteAdd, &proto.NoteAdd{SessionID: sessionID, Text: text}, proto.TypeOK, nil)
}

// UpdateSession sets a session's category, priority or ticket.
func (c *Conn) UpdateSession(ctx context.Context, req proto.SessionUpdate) (proto.SessionInfo, error) {
	var r proto.SessionReply
	err := c.peer.Call(ctx, proto.TypeSessionUpdate, &req, proto.TypeSessionReply, &r)
	return r.Session, err
}

// History searches closed and live sessions the technician may see.
func (c *Conn) History(ctx context.Context, req proto.HistoryRequest) (proto.HistoryPage, error) {
	var p proto.HistoryPage
	err := c.peer.Call(ctx, proto.TypeHistory, &req, proto.TypeHistoryPage, &p)
	return p, err
}

// SetAvailability sets the technician's availability.
func (c *Conn) SetAvailability(ctx context.Context, a proto.Availability) error {
	return c.peer.Call(ctx, proto.TypeAvailability, &proto.SetAvailability{Availability: a}, proto.TypeOK, nil)
}

// Directory lists channels, technicians, categories, priorities and the
// technician's permissions.
func (c *Conn) Directory(ctx context.Context) (proto.Directory, error) {
	var d proto.Directory
	err := c.peer.Call(ctx, proto.TypeDirectory, &proto.DirectoryRequest{}, proto.TypeDirectoryReply, &d)
	return d, err
}

// Control gives, takes or requests control of a session's mouse and keyboard.
func (c *Conn) Control(ctx context.Context, req proto.Control) error {
	return c.peer.Call(ctx, proto.TypeControl, &req, proto.TypeOK, nil)
}
