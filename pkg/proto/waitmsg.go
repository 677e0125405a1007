package proto

import "time"

// What the end user's app is told while its request waits and while its
// session runs (version 4).
const (
	TypeQueuePosition Type = 78 // QueuePosition, relay -> agent, event
	TypeParticipants  Type = 79 // Participants, relay -> agent, event
)

// Roles of a technician in a session, as Peer.Role carries them (in
// PeerJoined and Participants).
const (
	PeerOwner      = "owner"      // the technician who helps
	PeerGuest      = "guest"      // a colleague the owner invited (or the previous owner after a transfer, until the new one joins)
	PeerSupervisor = "supervisor" // a manager watching, view only
)

// QueuePosition tells an SOS app whose request waits in a channel's queue
// (an SOS Call, or a support link created in a channel) where it stands.
// The relay pushes it when the request is queued (or the app
// reconnects) and whenever the position or the estimate changes: a
// request ahead is picked up, cancelled or expires, the request moves to
// another channel. Requests are served in the order they entered the
// channel's queue. Position 0 says the request left the queue: a
// technician took it (Technician names them; consent follows).
type QueuePosition struct {
	SessionID string `cbor:"1,keyasint"`
	Channel   string `cbor:"2,keyasint"`
	// Position is 1 for the next request to be taken; 0: no longer waiting.
	Position int `cbor:"3,keyasint"`
	// Estimate is the channel's median pick-up time over the last hours
	// (0: not enough history to say).
	Estimate   time.Duration `cbor:"4,keyasint,omitempty"`
	Technician string        `cbor:"5,keyasint,omitempty"`
}

// Participant is one technician attached to a session as the end user's
// app lists them.
type Participant struct {
	Peer Peer `cbor:"1,keyasint"` // Peer.Role: PeerOwner, PeerGuest or PeerSupervisor
	// Controls says this technician has the mouse and keyboard now.
	Controls bool `cbor:"2,keyasint,omitempty"`
}

// Participants lists everyone attached to a session with their role and
// who controls. The relay pushes the whole list to the app whenever it
// changes (a technician joins or leaves, a transfer, an accepted
// invitation, a supervisor's monitoring, control given or taken). The app
// shows only those its end user allowed in; the others have no rights
// there whatever the relay says.
type Participants struct {
	SessionID string        `cbor:"1,keyasint"`
	List      []Participant `cbor:"2,keyasint,omitempty"`
}
