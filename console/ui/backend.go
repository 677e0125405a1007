// Package ui is the technician's Fyne console: sign-in with trust on first
// use of the relay's key, the live support queue, connecting by code or
// from the queue, support links, and a tab per session with the remote
// screen, a toolbar, chat and a status bar. Screens are built on an
// injected fyne.App; everything they do with the relay goes through a
// Backend (console/client and console/remote in the program, a fake in
// tests), so the UI holds no protocol logic.
package ui

import (
	"context"
	"image"
	"time"

	"github.com/relaydesk/relaydesk/console/client"
	"github.com/relaydesk/relaydesk/console/remote"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// Backend is what the console does with the relay.
type Backend interface {
	// Probe returns the key fingerprint the relay at addr presents.
	Probe(ctx context.Context, relay string) (string, error)
	// SignIn signs in with a password, pinning fingerprint.
	SignIn(ctx context.Context, relay, fingerprint, user, password string) (client.Login, error)
	// SignOut asks the relay to revoke l's token (the console has already
	// forgotten it).
	SignOut(ctx context.Context, l client.Login) error
	// Watch keeps the queue (see client.Watch).
	Watch(ctx context.Context, l client.Login, h client.QueueHandler) error
	// CreateLink creates a support link.
	CreateLink(ctx context.Context, l client.Login, name string, expires time.Duration) (proto.LinkCreated, error)
	// Open attaches to a session by code or ID and reports to v until the
	// session ends; the returned Remote controls it.
	Open(l client.Login, target proto.Connect, v SessionView) Remote
}

// SessionView is what a session reports to its tab. Its methods may be
// called from any goroutine.
type SessionView interface {
	// Stage reports progress in words.
	Stage(text string)
	// Connected reports a connect or a resume.
	Connected(c proto.Connected)
	// Frame hands over a decoded frame (reused by the caller: copy it).
	Frame(img *image.RGBA)
	// RemoteClipboard is the end user's clipboard text, when it changes.
	RemoteClipboard(text string)
	// Chat is a chat message of the session (the technician's own included).
	Chat(m ChatLine)
	// AgentOnline reports the end user's app dropping or coming back.
	AgentOnline(online bool)
	// ControlChanged says who has the mouse and keyboard now.
	ControlChanged(c proto.ControlChanged)
	// Ended is the last call: err nil when the technician ended it,
	// *client.ErrEnded when the end user or the relay did, *client.ErrLeft
	// when the relay took the technician off it (a transfer's new owner
	// joined), else why the connection failed.
	Ended(err error)
}

// ChatLine is one chat message.
type ChatLine struct {
	From string
	Mine bool
	Text string
	At   time.Time
}

// Remote controls a session the technician is attached to.
type Remote interface {
	SendInput(in proto.Input) error
	SendClipboard(text string) error
	ShowDisplay(n int) error
	SetViewOnly(viewOnly bool) error
	Chat(text string) error
	// Sample returns the stream's figures since the previous call.
	Sample() remote.Report
	// End ends the session; SessionView.Ended follows.
	End()
}

// Desk is the service desk's half of the backend: the relay's requests
// behind the queue's Pick up, the availability switch, the transfer,
// invite and control dialogs, notes and classification. The relay
// decides every one and refuses with a sentence (a *proto.Failure). A
// Backend without a relay behind it (the bench feed) need not implement
// it; the console then offers none of these actions.
type Desk interface {
	// Directory lists channels, technicians and what the technician may do.
	Directory(ctx context.Context, l client.Login) (proto.Directory, error)
	// Pick takes an unassigned request (ErrTaken names who was first).
	Pick(ctx context.Context, l client.Login, sessionID string) (proto.SessionInfo, error)
	// Transfer hands a session to a technician or into a channel's queue.
	Transfer(ctx context.Context, l client.Login, req proto.Transfer) (proto.SessionInfo, error)
	// Invite asks a colleague into a session.
	Invite(ctx context.Context, l client.Login, sessionID, user string) error
	// RemoveGuest takes a guest off a session or withdraws their invitation.
	RemoveGuest(ctx context.Context, l client.Login, sessionID, user string) error
	// AnswerInvite accepts or declines an invitation.
	AnswerInvite(ctx context.Context, l client.Login, sessionID string, accept bool) error
	// Control gives, takes back or requests a session's mouse and keyboard.
	Control(ctx context.Context, l client.Login, req proto.Control) error
	// AddNote adds an internal note to a session.
	AddNote(ctx context.Context, l client.Login, sessionID, text string) error
	// Notes returns a session's notes, oldest first, or why they are withheld.
	Notes(ctx context.Context, l client.Login, sessionID string) (notes []proto.Note, withheld string, err error)
	// UpdateSession sets a session's category, priority or ticket.
	UpdateSession(ctx context.Context, l client.Login, req proto.SessionUpdate) (proto.SessionInfo, error)
	// SetAvailability sets the technician's availability.
	SetAvailability(ctx context.Context, l client.Login, a proto.Availability) error
}
