package ui

import (
	"context"
	"fmt"

	"github.com/relaydesk/relaydesk/console/client"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// Live's Desk: each request opens the saved sign-in's connection, asks,
// and closes it, as the console's desk commands do.

// deskCall opens l's connection and runs fn on it; step names the request
// for the error.
func deskCall(ctx context.Context, l client.Login, step string, fn func(c *client.Conn) error) error {
	c, err := l.Open(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", step, err)
	}
	defer c.Close()
	return fn(c)
}

// Directory implements Desk.
func (b *Live) Directory(ctx context.Context, l client.Login) (d proto.Directory, err error) {
	err = deskCall(ctx, l, "directory", func(c *client.Conn) error { d, err = c.Directory(ctx); return err })
	return d, err
}

// Pick implements Desk.
func (b *Live) Pick(ctx context.Context, l client.Login, id string) (s proto.SessionInfo, err error) {
	err = deskCall(ctx, l, "pick up", func(c *client.Conn) error { s, err = c.Pick(ctx, id); return err })
	return s, err
}

// Transfer implements Desk.
func (b *Live) Transfer(ctx context.Context, l client.Login, req proto.Transfer) (s proto.SessionInfo, err error) {
	err = deskCall(ctx, l, "transfer", func(c *client.Conn) error { s, err = c.Transfer(ctx, req); return err })
	return s, err
}

// Invite implements Desk.
func (b *Live) Invite(ctx context.Context, l client.Login, id, user string) error {
	return deskCall(ctx, l, "invite", func(c *client.Conn) error { return c.Invite(ctx, id, user) })
}

// RemoveGuest implements Desk.
func (b *Live) RemoveGuest(ctx context.Context, l client.Login, id, user string) error {
	return deskCall(ctx, l, "remove the guest", func(c *client.Conn) error { return c.RemoveGuest(ctx, id, user) })
}

// AnswerInvite implements Desk.
func (b *Live) AnswerInvite(ctx context.Context, l client.Login, id string, accept bool) error {
	return deskCall(ctx, l, "answer the invitation", func(c *client.Conn) error { return c.AnswerInvite(ctx, id, accept) })
}

// Control implements Desk.
func (b *Live) Control(ctx context.Context, l client.Login, req proto.Control) error {
	return deskCall(ctx, l, "control", func(c *client.Conn) error { return c.Control(ctx, req) })
}

// AddNote implements Desk.
func (b *Live) AddNote(ctx context.Context, l client.Login, id, text string) error {
	return deskCall(ctx, l, "add a note", func(c *client.Conn) error { return c.AddNote(ctx, id, text) })
}

// Notes implements Desk: the notes of the session's details.
func (b *Live) Notes(ctx context.Context, l client.Login, id string) (notes []proto.Note, withheld string, err error) {
	err = deskCall(ctx, l, "read the notes", func(c *client.Conn) error {
		d, err := c.SessionDetails(ctx, id)
		notes, withheld = d.Notes, d.Withheld
		return err
	})
	return notes, withheld, err
}

// UpdateSession implements Desk.
func (b *Live) UpdateSession(ctx context.Context, l client.Login, req proto.SessionUpdate) (s proto.SessionInfo, err error) {
	err = deskCall(ctx, l, "classify", func(c *client.Conn) error { s, err = c.UpdateSession(ctx, req); return err })
	return s, err
}

// SetAvailability implements Desk.
func (b *Live) SetAvailability(ctx context.Context, l client.Login, a proto.Availability) error {
	return deskCall(ctx, l, "availability", func(c *client.Conn) error { return c.SetAvailability(ctx, a) })
}

var _ Desk = (*Live)(nil)
