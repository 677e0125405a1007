package proto

import "time"

// Service-desk message types (version 4).
const (
	TypePick           Type = 60 // Pick, technician -> relay, request; reply SessionReply
	TypeSessionReply   Type = 61 // SessionReply, reply to Pick, Transfer and SessionUpdate
	TypeTransfer       Type = 62 // Transfer, request; reply SessionReply
	TypeInvite         Type = 63 // Invite, request; reply OK
	TypeInviteAnswer   Type = 64 // InviteAnswer, request; reply OK
	TypeNotice         Type = 65 // Notice, relay -> technician, event
	TypeNoteAdd        Type = 66 // NoteAdd, request; reply OK
	TypeSessionUpdate  Type = 67 // SessionUpdate, request; reply SessionReply
	TypeHistory        Type = 68 // HistoryRequest, request; reply HistoryPage
	TypeHistoryPage    Type = 69 // HistoryPage, reply to HistoryRequest
	TypeAvailability   Type = 70 // SetAvailability, request; reply OK
	TypeDirectory      Type = 71 // DirectoryRequest, request; reply Directory
	TypeDirectoryReply Type = 72 // Directory, reply to DirectoryRequest
	TypeHandover       Type = 73 // Handover, relay -> agent, event
	TypeControl        Type = 74 // Control, technician -> relay, request; reply OK
	TypeControlChanged Type = 75 // ControlChanged, relay -> agent and attached technicians, event
	TypeCallForm       Type = 76 // CallForm, agent -> relay before AgentRegister, request; reply CallFormInfo
	TypeCallFormInfo   Type = 77 // CallFormInfo, reply to CallForm
	TypeGuestRemove    Type = 80 // GuestRemove, technician -> relay, request; reply OK
)

// GuestRemove takes an invited guest off a session, or withdraws an
// invitation they have not used yet; only the session's owner may. The
// guest's console and the end user's app hear PeerLeft ("removed by
// NAME"), the guest Notice{removed}; joining again needs a new
// invitation. A supervisor who monitors is not a guest.
type GuestRemove struct {
	SessionID string `cbor:"1,keyasint"`
	User      string `cbor:"2,keyasint"`
}

// CallForm asks, before an SOS Call registers, what the channel whose
// page carries ChannelToken asks the end user. An unknown token, or a
// channel with SOS Call off, gets ErrLinkUnknown with the same sentence
// AgentRegister would give. It counts against the per-source
// registration limit.
type CallForm struct {
	ChannelToken string `cbor:"1,keyasint"`
}

// CallFormInfo answers CallForm: the channel's name, its intake form
// (a field that is "" or off is not asked) and the organisation's
// categories and priorities (most urgent first) to choose from.
type CallFormInfo struct {
	Channel    string     `cbor:"1,keyasint"`
	Form       IntakeForm `cbor:"2,keyasint"`
	Categories []string   `cbor:"3,keyasint,omitempty"`
	Priorities []string   `cbor:"4,keyasint,omitempty"`
}

// Control actions.
const (
	ControlGive    = "give"    // the owner hands control to an attached technician (To)
	ControlTake    = "take"    // the owner takes control back
	ControlRequest = "request" // a guest asks the owner for control
)

// Control hands the mouse and keyboard between the technicians in a
// session: one controls at a time. The owner gives and takes; a guest
// requests (the owner gets Notice{control-request}).
type Control struct {
	SessionID string `cbor:"1,keyasint"`
	Action    string `cbor:"2,keyasint"`
	To        string `cbor:"3,keyasint,omitempty"` // with ControlGive: who
}

// ControlChanged says who controls now. The app accepts input from that
// technician only, and only if the end user's consent for them included
// control; before any ControlChanged only the owner (a technician who was
// not asked for as a guest or supervisor) controls.
type ControlChanged struct {
	SessionID  string `cbor:"1,keyasint"`
	Controller Peer   `cbor:"2,keyasint"`
	By         string `cbor:"3,keyasint,omitempty"` // who handed it
}

// Handover tells the end user's app that the session changed hands: To is
// the technician (or "channel NAME") who takes over, From who handed it.
type Handover struct {
	SessionID string `cbor:"1,keyasint"`
	From      string `cbor:"2,keyasint"`
	To        string `cbor:"3,keyasint"`
}

// Pick takes an unassigned request of a channel the technician serves: it
// becomes theirs (then Connect asks the end user). With several
// technicians racing, exactly one wins; the others get ErrTaken with the
// winner's name, and every subscriber a QueueUpdate with the new owner.
type Pick struct {
	SessionID string `cbor:"1,keyasint"`
}

// SessionReply carries a session's new state after a request changed it.
type SessionReply struct {
	Session SessionInfo `cbor:"1,keyasint"`
}

// Transfer hands a session to a technician (ToUser) or into a channel's
// queue (ToChannel), with an optional note the new owner reads. The end
// user stays connected and is told who takes over. The old owner's view
// ends when the new owner joins, or at once with Leave.
type Transfer struct {
	SessionID string `cbor:"1,keyasint"`
	ToUser    string `cbor:"2,keyasint,omitempty"`
	ToChannel string `cbor:"3,keyasint,omitempty"`
	Note      string `cbor:"4,keyasint,omitempty"`
	Leave     bool   `cbor:"5,keyasint,omitempty"`
}

// Invite asks a colleague to join a session; they get a Notice of kind
// NoticeInvitation and answer with InviteAnswer.
type Invite struct {
	SessionID string `cbor:"1,keyasint"`
	User      string `cbor:"2,keyasint"`
}

// InviteAnswer accepts or declines an invitation. After accepting, the
// guest joins with Connect{SessionID} (the end user is asked).
type InviteAnswer struct {
	SessionID string `cbor:"1,keyasint"`
	Accept    bool   `cbor:"2,keyasint,omitempty"`
}

// Notice kinds.
const (
	NoticeAssigned    = "assigned"        // auto-assign or a transfer gave you this session
	NoticeInvitation  = "invitation"      // you are invited to join this session
	NoticeInviteReply = "invite-reply"    // your invitation was accepted or declined (Text says which)
	NoticeEscalated   = "escalated"       // a request in a channel you manage passed its SLA
	NoticeTaken       = "taken"           // a request you were offered was picked up by someone else
	NoticeControl     = "control-request" // a guest asks you, the owner, for control
	NoticeRemoved     = "removed"         // the owner took you off the session or withdrew your invitation
)

// Notice tells a technician about something that needs their attention.
type Notice struct {
	Kind      string      `cbor:"1,keyasint"`
	SessionID string      `cbor:"2,keyasint,omitempty"`
	From      string      `cbor:"3,keyasint,omitempty"` // who caused it
	Text      string      `cbor:"4,keyasint"`           // a sentence for a person
	Session   SessionInfo `cbor:"5,keyasint,omitempty"`
	At        time.Time   `cbor:"6,keyasint"`
}

// NoteAdd adds an internal note to a session; end users never see notes.
type NoteAdd struct {
	SessionID string `cbor:"1,keyasint"`
	Text      string `cbor:"2,keyasint"`
}

// SessionUpdate changes a session's classification; nil fields stay.
type SessionUpdate struct {
	SessionID string  `cbor:"1,keyasint"`
	Category  *string `cbor:"2,keyasint,omitempty"`
	Priority  *string `cbor:"3,keyasint,omitempty"`
	Ticket    *Ticket `cbor:"4,keyasint,omitempty"`
}

// HistoryRequest searches the sessions the technician may see, newest
// first. Zero fields do not filter. Cursor is the Next of the previous page.
type HistoryRequest struct {
	Channel    string    `cbor:"1,keyasint,omitempty"`
	Technician string    `cbor:"2,keyasint,omitempty"`
	Customer   string    `cbor:"3,keyasint,omitempty"` // part of the end user's name
	Hostname   string    `cbor:"4,keyasint,omitempty"` // part of the device's host name
	Statuses   []Status  `cbor:"5,keyasint,omitempty"`
	Category   string    `cbor:"6,keyasint,omitempty"`
	MinRating  int       `cbor:"7,keyasint,omitempty"`
	Since      time.Time `cbor:"8,keyasint,omitempty"`
	Until      time.Time `cbor:"9,keyasint,omitempty"`
	Cursor     string    `cbor:"10,keyasint,omitempty"`
	Limit      int       `cbor:"11,keyasint,omitempty"` // 0: 50; at most 200
	Priority   string    `cbor:"12,keyasint,omitempty"`
}

// HistoryPage answers HistoryRequest; Next is empty on the last page.
type HistoryPage struct {
	Sessions []SessionInfo `cbor:"1,keyasint" json:"sessions"`
	Next     string        `cbor:"2,keyasint,omitempty" json:"next,omitempty"`
}

// SetAvailability sets the technician's own availability.
type SetAvailability struct {
	Availability Availability `cbor:"1,keyasint"`
}

// DirectoryRequest asks for what the console's dialogs list: channels,
// technicians with their availability, categories and priorities.
type DirectoryRequest struct{}

// ChannelInfo is a channel as technicians see it.
type ChannelInfo struct {
	ID          int64         `cbor:"1,keyasint" json:"id"`
	Name        string        `cbor:"2,keyasint" json:"name"`
	Description string        `cbor:"3,keyasint,omitempty" json:"description,omitempty"`
	Serves      bool          `cbor:"4,keyasint,omitempty" json:"serves"`  // the technician takes its requests
	Manages     bool          `cbor:"5,keyasint,omitempty" json:"manages"` // the technician manages it
	Default     bool          `cbor:"6,keyasint,omitempty" json:"default"` // the organisation's default channel
	SLA         time.Duration `cbor:"7,keyasint,omitempty" json:"sla,omitempty"`
	Form        IntakeForm    `cbor:"8,keyasint,omitempty" json:"form"`
}

// TechnicianInfo is a colleague as the transfer and invite dialogs show them.
type TechnicianInfo struct {
	ID           int64        `cbor:"1,keyasint" json:"id"`
	Name         string       `cbor:"2,keyasint" json:"name"`
	Role         string       `cbor:"3,keyasint" json:"role"`
	Availability Availability `cbor:"4,keyasint" json:"availability"`
	Online       bool         `cbor:"5,keyasint,omitempty" json:"online"`
	Sessions     int          `cbor:"6,keyasint,omitempty" json:"sessions"`
	Languages    []string     `cbor:"7,keyasint,omitempty" json:"languages,omitempty"`
}

// Directory answers DirectoryRequest. Permissions lists what the
// technician may do (relay/desk's table), so the console can hide what
// would be refused; the relay checks anyway.
type Directory struct {
	Channels    []ChannelInfo    `cbor:"1,keyasint" json:"channels"`
	Technicians []TechnicianInfo `cbor:"2,keyasint" json:"technicians"`
	Categories  []string         `cbor:"3,keyasint" json:"categories"`
	Priorities  []string         `cbor:"4,keyasint" json:"priorities"`
	Permissions []Permission     `cbor:"5,keyasint" json:"permissions"`
	Me          TechnicianInfo   `cbor:"6,keyasint" json:"me"`
}

// Limits of the service desk's texts, in bytes of UTF-8.
const (
	MaxNote  = 4000
	MaxField = 200 // names, categories, ticket keys
	MaxURL   = 2000
)
