// Package store keeps everything the relay must not lose: users and their
// roles, login tokens, sessions with their status history, support links,
// attended codes, technician attachments, chat transcripts, ratings and
// audit events. Store is the one
// interface the rest of the relay uses; SQLite (pure Go) is the embedded
// default, and a PostgreSQL implementation can follow behind the same
// interface.
package store

import (
	"context"
	"errors"
	"time"
	"unicode/utf8"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// Sentinel errors. Implementations wrap them with the step that failed.
var (
	ErrNotFound = errors.New("store: not found")
	ErrExists   = errors.New("store: already exists")
)

// Role is a user's role. Permissions derive from it (see relay/auth).
type Role string

// The roles a user can have.
const (
	RoleAdmin             Role = "admin"
	RoleTechnicianManager Role = "technician-manager"
	RoleChannelManager    Role = "channel-manager"
	RoleTechnician        Role = "technician"
)

// Roles lists every valid role, in order of decreasing power.
var Roles = []Role{RoleAdmin, RoleTechnicianManager, RoleChannelManager, RoleTechnician}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	for _, v := range Roles {
		if r == v {
			return true
		}
	}
	return false
}

// User is a technician or manager account.
type User struct {
	ID           int64
	Name         string
	Role         Role
	PasswordHash string // argon2id, PHC string format
	CreatedAt    time.Time
	Disabled     bool
}

// Session is one support session from its creation to its end.
type Session struct {
	ID           string
	Kind         proto.Kind
	Status       proto.Status
	OwnerID      int64  // 0: nobody owns it yet (code session before connect)
	CustomerName string // optional end-user name given when the link was created

	// Code is the live attended code (9 digits, no spaces); "" once used or
	// expired. Unique among sessions that have one.
	Code          string
	CodeExpiresAt time.Time

	// LinkTokenHash is sha256 of the support-link token; nil for code sessions.
	LinkTokenHash []byte
	LinkExpiresAt time.Time

	// AgentKeyHash is sha256 of the secret the agent uses to resume after a
	// reconnect; nil until an agent registered.
	AgentKeyHash []byte

	Device *proto.DeviceInfo // nil until an agent registered

	// The service desk's fields. ChannelID 0: the session belongs to its
	// creator, in no channel's queue.
	ChannelID int64
	Category  string
	Priority  string
	Problem   string // the end user's description (SOS Call intake form)
	Language  string // the end user's language, from the app's OS locale ("de")
	Ticket    proto.Ticket
	// EscalatedAt is when the channel's SLA ran out with nobody picking the
	// request up (zero: not escalated in its current channel).
	EscalatedAt time.Time

	CreatedAt time.Time
	ReadyAt   time.Time // zero until Ready
	StartedAt time.Time // zero until Active
	EndedAt   time.Time // zero until Closed or Expired
	EndedBy   string    // display name of who ended it, or "relay"
	EndReason string

	// Rating is the end user's 1-5 stars after the end (0: none), with an
	// optional comment. Only RateSession sets them; UpdateSession leaves
	// them alone.
	Rating        int
	RatingComment string
	RatedAt       time.Time
}

// ChatMessage is one chat message of a session as the relay stamped it:
// its time, the sender and the text, in the order the relay received them.
type ChatMessage struct {
	ID        int64
	SessionID string
	At        time.Time
	FromUser  int64  // the technician's user ID; 0: the end user
	From      string // the sender's display name at the time
	Text      string
}

// StatusEvent records one change of a session's status (or another notable
// step such as a refused consent), with its time and actor.
type StatusEvent struct {
	SessionID string
	At        time.Time
	Status    proto.Status
	Actor     string // display name, "relay" or "end user"
	Detail    string
}

// AuditEvent is a security-relevant action, kept for a SIEM.
type AuditEvent struct {
	ID        int64
	At        time.Time
	Kind      string // e.g. "login.failed", "login.ok", "code.wrong", "session.consent.denied"
	Actor     string // user name, "end user", "relay"
	Source    string // remote IP, when known
	SessionID string
	Detail    map[string]string
}

// ThrottleEntry is the state of one throttle key: the failures that still
// count, oldest first, and the end of a lockout (zero: none).
type ThrottleEntry struct {
	Fails       []time.Time
	LockedUntil time.Time
}

// Empty reports whether e holds nothing worth keeping.
func (e ThrottleEntry) Empty() bool { return len(e.Fails) == 0 && e.LockedUntil.IsZero() }

// RetiredCode is an attended code that was used or expired recently.
type RetiredCode struct {
	Code    string
	Expired bool // false: used
	At      time.Time
}

// Store is the relay's persistent state. Every method is safe for concurrent use.
type Store interface {
	Recordings // recordings.go
	DeskStore
	RecordStore
	FileStore

	// CreateUser inserts u and sets u.ID. A taken name gives ErrExists.
	CreateUser(ctx context.Context, u *User) error
	// UserByName and UserByID give ErrNotFound for unknown users.
	UserByName(ctx context.Context, name string) (User, error)
	UserByID(ctx context.Context, id int64) (User, error)
	// CountUsers counts all users (used to create the first admin).
	CountUsers(ctx context.Context) (int, error)

	// CreateToken stores a login token's hash for userID until expires.
	CreateToken(ctx context.Context, hash []byte, userID int64, expires time.Time) error
	// TokenUser resolves a token hash to its user; ErrNotFound when the token
	// is unknown or expired at now.
	TokenUser(ctx context.Context, hash []byte, now time.Time) (User, error)
	// DeleteToken removes a token (logout).
	DeleteToken(ctx context.Context, hash []byte) error

	// ListUsers lists every user by name.
	ListUsers(ctx context.Context) ([]User, error)
	// SetDisabled disables or enables user id; disabling also deletes the
	// user's tokens. SetRole and SetPassword change the role or the
	// password hash. An unknown id gives ErrNotFound.
	SetDisabled(ctx context.Context, id int64, disabled bool) error
	SetRole(ctx context.Context, id int64, role Role) error
	SetPassword(ctx context.Context, id int64, hash string) error
	// DeleteTokens removes every token of user id (revoke) and counts them.
	DeleteTokens(ctx context.Context, id int64) (int, error)
	// AccountChanges is a counter that grows whenever a user changes or a
	// token is deleted, and whenever the service desk's configuration
	// changes: a group or its members, a channel or its groups and
	// managers, a profile, a permission override, an API token (created,
	// revoked or deleted; not its use) or a setting. It counts changes by
	// this process or another one on the same store; the relay reloads what
	// depends on them when it moves.
	AccountChanges(ctx context.Context) (int64, error)

	// CreateSession inserts s and records ev in the same transaction. A
	// duplicate ID, live code or link hash gives ErrExists.
	CreateSession(ctx context.Context, s *Session, ev StatusEvent) error
	// UpdateSession replaces the stored row of s.ID with s and, when ev is not
	// nil, records ev, in one transaction. Unknown ID gives ErrNotFound; a code
	// taken by another session gives ErrExists.
	UpdateSession(ctx context.Context, s *Session, ev *StatusEvent) error
	// Session, SessionByCode, SessionByLinkHash and SessionByAgentKey give
	// ErrNotFound when nothing matches.
	Session(ctx context.Context, id string) (Session, error)
	SessionByCode(ctx context.Context, code string) (Session, error)
	SessionByLinkHash(ctx context.Context, hash []byte) (Session, error)
	SessionByAgentKey(ctx context.Context, hash []byte) (Session, error)
	// LiveSessions lists sessions in Waiting, Ready or Active, oldest first.
	LiveSessions(ctx context.Context) ([]Session, error)
	// SessionEvents lists a session's status history, oldest first.
	SessionEvents(ctx context.Context, id string) ([]StatusEvent, error)
	// AddEvent records ev without changing the session.
	AddEvent(ctx context.Context, ev StatusEvent) error

	// Attach records that userID is attached to sessionID (idempotent).
	Attach(ctx context.Context, sessionID string, userID int64, at time.Time) error
	// Detach ends userID's attachment; userID 0 ends every attachment of the session.
	Detach(ctx context.Context, sessionID string, userID int64, at time.Time) error
	// Attached lists the users currently attached to sessionID.
	Attached(ctx context.Context, sessionID string) ([]int64, error)
	// Participants lists every user ever attached to sessionID, by ID.
	Participants(ctx context.Context, sessionID string) ([]int64, error)

	// AddChat appends a chat message and sets m.ID. An unknown session gives ErrNotFound.
	AddChat(ctx context.Context, m *ChatMessage) error
	// ChatMessages lists a session's chat, oldest first.
	ChatMessages(ctx context.Context, sessionID string) ([]ChatMessage, error)
	// RateSession records the end user's rating of session id. A session
	// rated before gives ErrExists, an unknown one ErrNotFound.
	RateSession(ctx context.Context, id string, stars int, comment string, at time.Time) error

	// SaveThrottle stores the state of key in scope (e.g. "logins"); an
	// empty entry deletes it. ThrottleEntries lists what scope holds.
	SaveThrottle(ctx context.Context, scope, key string, e ThrottleEntry) error
	ThrottleEntries(ctx context.Context, scope string) (map[string]ThrottleEntry, error)
	// RetireCode remembers a used or expired code; RetiredCodes lists the
	// codes retired at or after since and forgets older ones.
	RetireCode(ctx context.Context, c RetiredCode) error
	RetiredCodes(ctx context.Context, since time.Time) ([]RetiredCode, error)

	// PurgeUnattended deletes, with their status history and chat, at most
	// limit sessions that ended before before without a technician ever
	// joining or writing a note (anonymous registrations, unused links), and
	// reports how many.
	// Sessions a technician worked on are records and stay; audit events
	// always stay.
	PurgeUnattended(ctx context.Context, before time.Time, limit int) (int, error)

	// Audit appends an audit event and sets e.ID.
	Audit(ctx context.Context, e *AuditEvent) error
	// AuditEvents lists audit events with ID > afterID, oldest first, at most limit.
	AuditEvents(ctx context.Context, afterID int64, limit int) ([]AuditEvent, error)
	// AuditSince lists audit events at or after since with ID > afterID,
	// oldest first, at most limit.
	AuditSince(ctx context.Context, since time.Time, afterID int64, limit int) ([]AuditEvent, error)

	Close() error
}

// MaxAuditActor is how many bytes of an audit event's actor are kept.
const MaxAuditActor = 64

// Clip cuts s to at most n bytes without splitting a UTF-8 character.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
