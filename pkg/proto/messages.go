package proto

import "time"

// Version is the protocol version; it is bumped on every incompatible wire change.
//
// Version 2 added Chat, Rate and SessionDetails: a version-1 app closes its
// connection on a message type it does not know (and a version-1 relay
// closes a client's), so new message types are not compatible in this scheme.
//
// Version 3 is the security hardening: TURN credentials only once a
// technician joined (PeerJoined, ICERenewed), the technician's peer ID and
// the asked permissions in ConsentRequest, Logout, and per-message size
// limits.
//
// Version 4 is the service desk: channels on links and sessions (and SOS
// Call registrations with an intake form), pick-up, transfer, invitations,
// notes, classification, history, availability and the directory.
const Version = 4

// ALPN is the TLS application protocol that names the protocol version.
const ALPN = "relaydesk/4"

// Limits of the chat and rating texts, in bytes of UTF-8.
const (
	MaxChat          = 4000
	MaxRatingComment = 2000
)

// Role says which kind of client a connection belongs to.
type Role string

// Client roles.
const (
	RoleAgent      Role = "agent"
	RoleTechnician Role = "technician"
)

// Type identifies the body of an Envelope.
type Type uint16

// Message types. Values are part of the wire format: never reuse a number.
const (
	TypeHello   Type = 1 // Hello, client -> relay, request
	TypeWelcome Type = 2 // Welcome, reply to Hello
	TypeError   Type = 3 // Error, reply to any request
	TypeOK      Type = 4 // OK, reply to a request that has nothing else to say

	TypeAgentRegister   Type = 10 // AgentRegister, agent -> relay, request
	TypeAgentRegistered Type = 11 // AgentRegistered, reply
	TypeConsentRequest  Type = 12 // ConsentRequest, relay -> agent, request
	TypeConsentAnswer   Type = 13 // ConsentAnswer, reply to ConsentRequest
	TypeCodeRenewed     Type = 14 // AgentRegistered, relay -> agent: the old code expired, here is a new one

	TypeLogin          Type = 20 // Login, technician -> relay, request
	TypeLoginOK        Type = 21 // LoginOK, reply to Login or Auth
	TypeAuth           Type = 22 // Auth, technician -> relay, request
	TypeQueueSubscribe Type = 23 // QueueSubscribe, request
	TypeQueueSnapshot  Type = 24 // QueueSnapshot, reply to QueueSubscribe
	TypeQueueUpdate    Type = 25 // QueueUpdate, relay -> technician, event
	TypeLinkCreate     Type = 26 // LinkCreate, request
	TypeLinkCreated    Type = 27 // LinkCreated, reply
	TypeConnect        Type = 28 // Connect, request
	TypeConnected      Type = 29 // Connected, reply
	TypeConnectStage   Type = 30 // ConnectStage, relay -> technician, event while a Connect is pending

	TypeSignal       Type = 40 // Signal, either way, event
	TypeEnd          Type = 41 // End, either side -> relay, request
	TypeSessionEnded Type = 42 // SessionEnded, relay -> participants, event
	TypePeerJoined   Type = 43 // PeerJoined, relay -> agent, event
	TypePeerLeft     Type = 44 // PeerLeft, relay -> agent and the technician who left, event
	TypePeerState    Type = 45 // PeerState, relay -> participants: the other side dropped or came back
	TypeConsentGone  Type = 46 // ConsentGone, relay -> agent: withdraw a pending consent request

	TypeChat                Type = 47 // Chat, agent or technician -> relay, request; relay -> participants, event
	TypeRate                Type = 48 // Rate, agent -> relay after the session ended, request
	TypeSessionDetails      Type = 49 // SessionDetailsRequest, technician -> relay, request
	TypeSessionDetailsReply Type = 50 // SessionDetails, reply to SessionDetailsRequest
	TypeLogout              Type = 51 // Logout, technician -> relay, request: revoke this connection's token
	TypeICERenewed          Type = 52 // ICERenewed, relay -> agent and technicians: fresh TURN credentials
	TypeQueueSnapshotPage   Type = 54 // QueueSnapshot, relay -> technician: the next page of a snapshot with More
)

// Hello opens every connection.
type Hello struct {
	Version int    `cbor:"1,keyasint"`
	Role    Role   `cbor:"2,keyasint"`
	Client  string `cbor:"3,keyasint,omitempty"` // program and version, for logs
}

// Welcome answers Hello.
type Welcome struct {
	Version      int       `cbor:"1,keyasint"`
	Organisation string    `cbor:"2,keyasint,omitempty"`
	ServerTime   time.Time `cbor:"3,keyasint"`
}

// OK acknowledges a request.
type OK struct{}

// Error answers a request that failed. Message is a sentence for a person.
type Error struct {
	Code    ErrorCode `cbor:"1,keyasint"`
	Message string    `cbor:"2,keyasint"`
	// RetryAfter, when set, says how long the client must wait before trying again.
	RetryAfter time.Duration `cbor:"3,keyasint,omitempty"`
}

// AgentRegister registers an SOS app. With no LinkToken and no ResumeKey the
// relay creates an attended-code session. With LinkToken the agent joins that
// support link's session. With ResumeKey the agent resumes the session it
// had before its connection dropped (or the relay restarted).
type AgentRegister struct {
	LinkToken string     `cbor:"1,keyasint,omitempty"`
	ResumeKey string     `cbor:"2,keyasint,omitempty"`
	Device    DeviceInfo `cbor:"3,keyasint"`
	// ChannelToken registers an SOS Call request in the channel whose
	// page carries this token; Intake is the form the end user filled in.
	ChannelToken string  `cbor:"4,keyasint,omitempty"`
	Intake       *Intake `cbor:"5,keyasint,omitempty"`
	// Language is the end user's language from the OS locale ("de-CH"),
	// for routing to a technician who speaks it.
	Language string `cbor:"6,keyasint,omitempty"`
	// Updates says the app understands QueuePosition and Participants
	// (78, 79); the relay sends them to no other app.
	Updates bool `cbor:"7,keyasint,omitempty"`
	// Recording says the app understands RecordConsent and RecordState
	// (89, 91) and admits the relay's recorder after its end user agreed.
	Recording bool `cbor:"20,keyasint,omitempty"`
}

// Intake is what the end user entered in a channel's SOS Call form.
type Intake struct {
	Name     string `cbor:"1,keyasint,omitempty"`
	Problem  string `cbor:"2,keyasint,omitempty"`
	Category string `cbor:"3,keyasint,omitempty"`
	Priority string `cbor:"4,keyasint,omitempty"`
}

// AgentRegistered answers AgentRegister (and, as TypeCodeRenewed, tells the
// agent its code was replaced).
type AgentRegistered struct {
	SessionID     string    `cbor:"1,keyasint"`
	Code          string    `cbor:"2,keyasint,omitempty"` // 9 digits, attended sessions only
	CodeExpiresAt time.Time `cbor:"3,keyasint,omitempty"`
	ResumeKey     string    `cbor:"4,keyasint,omitempty"` // secret for resuming; keep it
	Technician    string    `cbor:"5,keyasint,omitempty"` // who created the link
	Status        Status    `cbor:"6,keyasint"`
	Resumed       bool      `cbor:"7,keyasint,omitempty"`
	// Peers lists the technicians attached when a session resumes.
	Peers []Peer `cbor:"8,keyasint,omitempty"`
	// ICE lists the relay's TURN servers with credentials for this session.
	ICE []ICEServer `cbor:"9,keyasint,omitempty"`
	// Channel names the channel whose queue an SOS Call request waits in.
	Channel string `cbor:"10,keyasint,omitempty"`
}

// ICEServer is a STUN or TURN server for WebRTC, with credentials that are
// valid for minutes (ICERenewed brings new ones) and only while the session
// lives.
type ICEServer struct {
	URLs       []string `cbor:"1,keyasint"`
	Username   string   `cbor:"2,keyasint,omitempty"`
	Credential string   `cbor:"3,keyasint,omitempty"`
}

// Peer is a technician attached to a session, as the agent sees it.
type Peer struct {
	ID   int64  `cbor:"1,keyasint"`
	Name string `cbor:"2,keyasint"`
	Role string `cbor:"3,keyasint,omitempty"` // "owner", "guest" or "supervisor" ("" from older relays: owner)
}

// ConsentRequest asks the end user whether Technician may connect.
type ConsentRequest struct {
	SessionID    string       `cbor:"1,keyasint"`
	Technician   string       `cbor:"2,keyasint"`
	Organisation string       `cbor:"3,keyasint,omitempty"`
	Permissions  []Permission `cbor:"4,keyasint,omitempty"` // what the technician asks for (PermView, ...)
	// Timeout is how long the relay waits for an answer.
	Timeout time.Duration `cbor:"5,keyasint,omitempty"`
	// PeerID is the technician's peer ID: the one a later PeerJoined names.
	// The app admits no other peer than those the end user allowed.
	PeerID int64 `cbor:"6,keyasint,omitempty"`
	// Guest says the technician joins a colleague's session on their
	// invitation (to watch), not as the one who helps.
	Guest bool `cbor:"7,keyasint,omitempty"`
	// Supervisor says the technician is a manager who wants to watch the
	// session (monitoring), view only.
	Supervisor bool `cbor:"8,keyasint,omitempty"`
	// Recorded says the channel records every session: the question says
	// so, and a yes covers the recording (proto/record.go).
	Recorded bool `cbor:"20,keyasint,omitempty"`
}

// ConsentGone withdraws a consent request the end user has not answered
// (the technician gave up, or the relay timed out), so the question goes away.
type ConsentGone struct {
	SessionID  string `cbor:"1,keyasint"`
	Technician string `cbor:"2,keyasint"`
	Reason     string `cbor:"3,keyasint,omitempty"`
}

// ConsentAnswer is the end user's decision. With Allow, Granted lists the
// permissions given (a subset of those asked, e.g. only PermView); an
// answer that allows with an empty Granted grants what was asked.
type ConsentAnswer struct {
	Allow   bool  `cbor:"1,keyasint"`
	Granted Grant `cbor:"2,keyasint,omitempty"`
}

// Login authenticates a technician with a password.
type Login struct {
	User     string `cbor:"1,keyasint"`
	Password string `cbor:"2,keyasint"`
}

// Auth authenticates a technician with a token from an earlier LoginOK.
type Auth struct {
	Token string `cbor:"1,keyasint"`
}

// Logout ends the technician's sign-in: the relay deletes the token this
// connection signed in with, answers OK and closes every connection that
// used it (this one included) with ErrRevoked.
type Logout struct{}

// LoginOK answers Login and Auth.
type LoginOK struct {
	Token     string    `cbor:"1,keyasint,omitempty"` // only in answer to Login
	ExpiresAt time.Time `cbor:"2,keyasint"`
	UserID    int64     `cbor:"3,keyasint"`
	User      string    `cbor:"4,keyasint"`
	Role      string    `cbor:"5,keyasint"`
}

// QueueSubscribe asks for the queue and every later change of it.
type QueueSubscribe struct {
	// All asks for every session the user may see, not only their own.
	All bool `cbor:"1,keyasint,omitempty"`
}

// SessionInfo is a session as a technician sees it in the queue.
type SessionInfo struct {
	ID           string      `cbor:"1,keyasint" json:"id"`
	Kind         Kind        `cbor:"2,keyasint" json:"kind"`
	Status       Status      `cbor:"3,keyasint" json:"status"`
	Owner        string      `cbor:"4,keyasint,omitempty" json:"owner,omitempty"`
	CustomerName string      `cbor:"5,keyasint,omitempty" json:"customer_name,omitempty"`
	Device       *DeviceInfo `cbor:"6,keyasint,omitempty" json:"device,omitempty"`
	CreatedAt    time.Time   `cbor:"7,keyasint" json:"created_at"`
	ReadyAt      time.Time   `cbor:"8,keyasint,omitempty" json:"ready_at,omitzero"`
	StartedAt    time.Time   `cbor:"9,keyasint,omitempty" json:"started_at,omitzero"`
	EndedAt      time.Time   `cbor:"10,keyasint,omitempty" json:"ended_at,omitzero"`
	ExpiresAt    time.Time   `cbor:"11,keyasint,omitempty" json:"expires_at,omitzero"`
	EndedBy      string      `cbor:"12,keyasint,omitempty" json:"ended_by,omitempty"`
	EndReason    string      `cbor:"13,keyasint,omitempty" json:"end_reason,omitempty"`
	Technicians  []string    `cbor:"14,keyasint,omitempty" json:"technicians,omitempty"`
	AgentOnline  bool        `cbor:"15,keyasint,omitempty" json:"agent_online"`
	// Rating is the end user's 1-5 stars after the session (0: none yet).
	Rating        int    `cbor:"16,keyasint,omitempty" json:"rating,omitempty"`
	RatingComment string `cbor:"17,keyasint,omitempty" json:"rating_comment,omitempty"`
	// The service desk's fields: the channel whose queue holds it ("":
	// none, it belongs to its owner), its classification and ticket, the
	// end user's problem and language, and whether it passed its SLA.
	Channel   string    `cbor:"18,keyasint,omitempty" json:"channel,omitempty"`
	Category  string    `cbor:"19,keyasint,omitempty" json:"category,omitempty"`
	Priority  string    `cbor:"20,keyasint,omitempty" json:"priority,omitempty"`
	Ticket    Ticket    `cbor:"21,keyasint,omitempty" json:"ticket,omitzero"`
	Problem   string    `cbor:"22,keyasint,omitempty" json:"problem,omitempty"`
	Language  string    `cbor:"23,keyasint,omitempty" json:"language,omitempty"`
	Escalated time.Time `cbor:"24,keyasint,omitempty" json:"escalated_at,omitzero"`
	// Guests lists the attached technicians who do not own the session.
	Guests []string `cbor:"25,keyasint,omitempty" json:"guests,omitempty"`
	// Controller is who has the mouse and keyboard ("" nobody: no
	// technician with control is attached).
	Controller string `cbor:"26,keyasint,omitempty" json:"controller,omitempty"`
	// Recordings counts the session's kept recordings, with their size
	// and length (proto/record.go); set in history pages and details.
	Recordings    int           `cbor:"40,keyasint,omitempty" json:"recordings,omitempty"`
	RecordedBytes int64         `cbor:"41,keyasint,omitempty" json:"recorded_bytes,omitempty"`
	RecordedFor   time.Duration `cbor:"42,keyasint,omitempty" json:"recorded_duration,omitempty"`
}

// QueueSnapshot answers QueueSubscribe with the live sessions, in pages
// that each fit a frame: the reply carries the first page; while More is
// set, the next page follows as a TypeQueueSnapshotPage event, before any
// QueueUpdate that is newer than the snapshot is applied.
type QueueSnapshot struct {
	Sessions []SessionInfo `cbor:"1,keyasint"`
	More     bool          `cbor:"2,keyasint,omitempty"`
}

// QueueUpdate pushes one session's new state. A session that left the
// subscriber's view arrives with its final status (Closed or Expired).
type QueueUpdate struct {
	Session SessionInfo `cbor:"1,keyasint"`
}

// LinkCreate asks for a support link.
type LinkCreate struct {
	CustomerName string        `cbor:"1,keyasint,omitempty"`
	Expires      time.Duration `cbor:"2,keyasint,omitempty"` // 0: the channel's or the relay's default
	// Channel puts the link's session in a channel's queue (by name); ""
	// keeps it the creator's own.
	Channel  string `cbor:"3,keyasint,omitempty"`
	Category string `cbor:"4,keyasint,omitempty"`
	Priority string `cbor:"5,keyasint,omitempty"`
	Ticket   Ticket `cbor:"6,keyasint,omitempty"`
}

// LinkCreated answers LinkCreate.
type LinkCreated struct {
	SessionID string    `cbor:"1,keyasint"`
	URL       string    `cbor:"2,keyasint"`
	ExpiresAt time.Time `cbor:"3,keyasint"`
}

// Connect attaches the technician to a session, by attended code or by the
// ID of a Ready session in their queue. Reattaching to an Active session the
// technician was already attached to (after a reconnect) needs no new consent.
type Connect struct {
	Code      string `cbor:"1,keyasint,omitempty"`
	SessionID string `cbor:"2,keyasint,omitempty"`
	// Monitor joins a colleague's session to watch it (a manager of its
	// channel, with the monitor permission): view only, and the end user
	// is asked and then sees a supervisor watching.
	Monitor bool `cbor:"3,keyasint,omitempty"`
}

// Connected answers Connect once the end user allowed it.
type Connected struct {
	Session SessionInfo `cbor:"1,keyasint"`
	PeerID  int64       `cbor:"2,keyasint"` // the technician's peer ID in Signal messages
	Resumed bool        `cbor:"3,keyasint,omitempty"`
	// ICE lists the relay's TURN servers with credentials for this session.
	ICE []ICEServer `cbor:"4,keyasint,omitempty"`
	// Granted is what the end user allowed this technician (view only: no
	// control); the SOS app enforces it.
	Granted Grant `cbor:"5,keyasint,omitempty"`
}

// ConnectStage reports progress of a pending Connect, e.g. "asking the end user for permission".
type ConnectStage struct {
	SessionID string `cbor:"1,keyasint"`
	Stage     string `cbor:"2,keyasint"`
}

// Signal carries an opaque WebRTC signalling message (SDP offer or answer,
// ICE candidate) between the agent and one attached technician. From the
// agent, Peer names the technician it is for; the relay delivers it with
// Peer set to the same technician. From a technician, Peer is ignored and the
// agent receives the technician's peer ID. Order is kept per session.
type Signal struct {
	SessionID string `cbor:"1,keyasint"`
	Peer      int64  `cbor:"2,keyasint,omitempty"`
	Kind      string `cbor:"3,keyasint"` // "offer", "answer", "candidate", ...
	Payload   []byte `cbor:"4,keyasint,omitempty"`
}

// End ends a session (agent) or the technician's part in it.
type End struct {
	SessionID string `cbor:"1,keyasint"`
	Reason    string `cbor:"2,keyasint,omitempty"`
}

// SessionEnded tells a participant that a session is over and who ended it.
type SessionEnded struct {
	SessionID string        `cbor:"1,keyasint"`
	By        string        `cbor:"2,keyasint"`
	Reason    string        `cbor:"3,keyasint,omitempty"`
	Status    Status        `cbor:"4,keyasint"` // Closed or Expired
	Duration  time.Duration `cbor:"5,keyasint,omitempty"`
}

// PeerJoined tells the agent that a technician is attached (after consent).
type PeerJoined struct {
	SessionID string `cbor:"1,keyasint"`
	Peer      Peer   `cbor:"2,keyasint"`
	// ICE lists the relay's TURN servers with the agent's credentials: an
	// agent gets none before a technician joined.
	ICE []ICEServer `cbor:"3,keyasint,omitempty"`
}

// ICERenewed carries fresh TURN credentials for a session, sent before the
// previous ones expire while technicians are attached. New ICE gathering
// uses them; allocations made with older ones keep working while the
// session lives and end with it.
type ICERenewed struct {
	SessionID string      `cbor:"1,keyasint"`
	ICE       []ICEServer `cbor:"2,keyasint"`
}

// PeerLeft tells the agent that a technician left the session. The relay
// also sends it to that technician's own connection, if it is there (Peer
// is then the technician): their console stops showing the session without
// ending it, as after a transfer once the new owner joined.
type PeerLeft struct {
	SessionID string `cbor:"1,keyasint"`
	Peer      Peer   `cbor:"2,keyasint"`
	Reason    string `cbor:"3,keyasint,omitempty"`
}

// PeerState tells a participant that the other side's connection dropped
// (Online false; the relay keeps the session for the grace period) or came back.
type PeerState struct {
	SessionID string `cbor:"1,keyasint"`
	Peer      Peer   `cbor:"2,keyasint"` // ID 0: the agent
	Online    bool   `cbor:"3,keyasint"`
}

// Chat is one chat message of a session. As a request (agent or attached
// technician -> relay) only SessionID and Text count; the relay answers OK
// and then pushes the message, stamped with From, FromPeer and At, as an
// event to the agent and every attached technician, the sender included, in
// the order it stored them. Text is non-empty after trimming spaces, valid
// UTF-8 and at most MaxChat bytes.
type Chat struct {
	SessionID string `cbor:"1,keyasint" json:"session_id"`
	// From is the sender's display name, set by the relay.
	From string `cbor:"2,keyasint,omitempty" json:"from"`
	// FromPeer is 0 for the end user, else the technician's peer (user) ID; set by the relay.
	FromPeer int64     `cbor:"3,keyasint,omitempty" json:"from_peer"`
	Text     string    `cbor:"4,keyasint" json:"text"`
	At       time.Time `cbor:"5,keyasint,omitempty" json:"at"`
}

// Rate is the end user's rating of a session that ended, sent once by the
// agent that belonged to it (proven by the session's ResumeKey) within the
// relay's rating window after the end. Stars is 1 to 5; Comment is optional,
// at most MaxRatingComment bytes.
type Rate struct {
	SessionID string `cbor:"1,keyasint"`
	Stars     int    `cbor:"2,keyasint"`
	Comment   string `cbor:"3,keyasint,omitempty"`
	ResumeKey string `cbor:"4,keyasint"`
}

// SessionDetailsRequest asks for one session's details. The technician must
// be allowed to see the session: managers see every session, everyone else
// the sessions they own or were attached to.
type SessionDetailsRequest struct {
	SessionID string `cbor:"1,keyasint"`
}

// SessionEvent is one step of a session's status history.
type SessionEvent struct {
	At     time.Time `cbor:"1,keyasint" json:"at"`
	Status Status    `cbor:"2,keyasint" json:"status"`
	Actor  string    `cbor:"3,keyasint,omitempty" json:"actor,omitempty"`
	Detail string    `cbor:"4,keyasint,omitempty" json:"detail,omitempty"`
}

// SessionDetails answers SessionDetailsRequest: the session (with its
// rating), its chat transcript and its status history, oldest first.
type SessionDetails struct {
	Session SessionInfo    `cbor:"1,keyasint" json:"session"`
	Chat    []Chat         `cbor:"2,keyasint,omitempty" json:"chat"`
	History []SessionEvent `cbor:"3,keyasint,omitempty" json:"history"`
	// ChatOmitted and HistoryOmitted count the oldest entries left out so
	// that the reply fits a frame.
	ChatOmitted    int `cbor:"4,keyasint,omitempty" json:"chat_omitted,omitempty"`
	HistoryOmitted int `cbor:"5,keyasint,omitempty" json:"history_omitted,omitempty"`
	// Notes are the technicians' internal notes, oldest first.
	Notes []Note `cbor:"6,keyasint,omitempty" json:"notes"`
	// Withheld, when set, says why Chat and Notes are empty (the
	// technician may see the session but not read its transcript).
	Withheld string `cbor:"7,keyasint,omitempty" json:"withheld,omitempty"`
	// Recordings are the session's kept recordings, oldest first.
	Recordings []Recording `cbor:"20,keyasint,omitempty" json:"recordings,omitempty"`
}

// Note is a technician's internal note on a session.
type Note struct {
	At     time.Time `cbor:"1,keyasint" json:"at"`
	Author string    `cbor:"2,keyasint" json:"author"`
	Text   string    `cbor:"3,keyasint" json:"text"`
}

// NewBody returns a pointer to a zero value of the body that type t carries,
// or nil for an unknown type.
func NewBody(t Type) any {
	switch t {
	case TypeHello:
		return new(Hello)
	case TypeWelcome:
		return new(Welcome)
	case TypeError:
		return new(Error)
	case TypeOK:
		return new(OK)
	case TypeAgentRegister:
		return new(AgentRegister)
	case TypeAgentRegistered, TypeCodeRenewed:
		return new(AgentRegistered)
	case TypeConsentRequest:
		return new(ConsentRequest)
	case TypeConsentAnswer:
		return new(ConsentAnswer)
	case TypeLogin:
		return new(Login)
	case TypeLoginOK:
		return new(LoginOK)
	case TypeAuth:
		return new(Auth)
	case TypeQueueSubscribe:
		return new(QueueSubscribe)
	case TypeQueueSnapshot, TypeQueueSnapshotPage:
		return new(QueueSnapshot)
	case TypeQueueUpdate:
		return new(QueueUpdate)
	case TypeLinkCreate:
		return new(LinkCreate)
	case TypeLinkCreated:
		return new(LinkCreated)
	case TypeConnect:
		return new(Connect)
	case TypeConnected:
		return new(Connected)
	case TypeConnectStage:
		return new(ConnectStage)
	case TypeSignal:
		return new(Signal)
	case TypeEnd:
		return new(End)
	case TypeSessionEnded:
		return new(SessionEnded)
	case TypePeerJoined:
		return new(PeerJoined)
	case TypePeerLeft:
		return new(PeerLeft)
	case TypePeerState:
		return new(PeerState)
	case TypeConsentGone:
		return new(ConsentGone)
	case TypeChat:
		return new(Chat)
	case TypeRate:
		return new(Rate)
	case TypeSessionDetails:
		return new(SessionDetailsRequest)
	case TypeLogout:
		return new(Logout)
	case TypeSessionDetailsReply:
		return new(SessionDetails)
	case TypeICERenewed:
		return new(ICERenewed)
	case TypePick:
		return new(Pick)
	case TypeSessionReply:
		return new(SessionReply)
	case TypeTransfer:
		return new(Transfer)
	case TypeInvite:
		return new(Invite)
	case TypeInviteAnswer:
		return new(InviteAnswer)
	case TypeNotice:
		return new(Notice)
	case TypeNoteAdd:
		return new(NoteAdd)
	case TypeSessionUpdate:
		return new(SessionUpdate)
	case TypeHistory:
		return new(HistoryRequest)
	case TypeHistoryPage:
		return new(HistoryPage)
	case TypeAvailability:
		return new(SetAvailability)
	case TypeDirectory:
		return new(DirectoryRequest)
	case TypeDirectoryReply:
		return new(Directory)
	case TypeHandover:
		return new(Handover)
	case TypeControl:
		return new(Control)
	case TypeControlChanged:
		return new(ControlChanged)
	case TypeCallForm:
		return new(CallForm)
	case TypeCallFormInfo:
		return new(CallFormInfo)
	case TypeQueuePosition:
		return new(QueuePosition)
	case TypeParticipants:
		return new(Participants)
	case TypeGuestRemove:
		return new(GuestRemove)
	case TypeRecordsLinkRequest:
		return new(RecordsLinkRequest)
	case TypeRecordsLink:
		return new(RecordsLink)
	case TypeFileStart:
		return new(FileStart)
	case TypeFileStarted:
		return new(FileStarted)
	case TypeFileOffer:
		return new(FileOffer)
	case TypeFileReport:
		return new(FileReport)
	case TypeFileList:
		return new(FileListRequest)
	case TypeFileListed:
		return new(FileList)
	case TypeFileUpload:
		return new(FileUpload)
	case TypeRecordRequest:
		return new(RecordRequest)
	case TypeRecordConsent:
		return new(RecordConsent)
	case TypeRecordAnswer:
		return new(RecordAnswer)
	case TypeRecordState:
		return new(RecordState)
	}
	return nil
}
