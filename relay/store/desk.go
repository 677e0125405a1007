package store

import (
	"context"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// The service desk's records: groups of technicians, channels that route
// requests to groups, per-user permission overrides and profiles, API
// tokens, internal notes on sessions, organisation settings, and the
// search over closed sessions. relay/desk decides with them; the store only
// keeps them.

// Group is a set of technicians that serves channels.
type Group struct {
	ID          int64
	Name        string // unique
	Description string
	Members     []int64 // user IDs, ascending
	CreatedAt   time.Time
}

// Channel routes end users' requests to the groups that serve it.
type Channel struct {
	ID          int64
	Name        string // unique
	Description string
	Groups      []int64 // groups that serve it, ascending
	Managers    []int64 // its channel managers' user IDs, ascending
	// Default marks the organisation's default channel (at most one):
	// requests that name no channel, such as SOS Call without a token, go
	// there.
	Default bool
	// LinkTTL is how long a support link created in the channel stays
	// valid unless the technician says otherwise; 0: the relay's default.
	LinkTTL time.Duration
	// SOSCall turns the channel's reusable SOS Call page on; SOSToken is its
	// token (public: it is printed on the page's URL), "" while never on.
	SOSCall  bool
	SOSToken string
	Form     proto.IntakeForm
	Assign   proto.AutoAssign
	// SLA is how long a request may wait for a pick-up before the channel's
	// managers are alerted and it moves to Fallback; 0: no SLA.
	SLA        time.Duration
	FallbackID int64 // 0: none
	// Narrow lists the in-session permissions the channel's technicians do
	// not get, whatever their role says (e.g. control: view only).
	Narrow    []proto.Permission
	CreatedAt time.Time
}

// Profile is what a technician says about their work.
type Profile struct {
	Languages    []string // BCP 47 base languages they support ("en", "de")
	Availability proto.Availability
	MaxSessions  int // concurrent sessions; 0: the relay's default
}

// Override is a per-user exception to the role's default for one permission.
type Override struct {
	Permission proto.Permission
	Allow      bool // false: denied
}

// APIToken authenticates a script against the admin API.
type APIToken struct {
	ID        int64
	Name      string // unique among live tokens
	Role      Role
	Hash      []byte // sha256 of the token; the token itself is shown once
	CreatedAt time.Time
	CreatedBy string
	LastUsed  time.Time
	Revoked   bool
}

// Note is a technician's internal note on a session; end users never see it.
type Note struct {
	ID        int64
	SessionID string
	At        time.Time
	UserID    int64
	Author    string // the author's name at the time
	Text      string
}

// SessionFilter selects sessions for the history. Zero fields do not filter.
type SessionFilter struct {
	ChannelID    int64
	TechnicianID int64  // owner or any participant
	Customer     string // substring of the end user's name, case-insensitive
	Hostname     string // substring of the device's host name, case-insensitive
	Statuses     []proto.Status
	Category     string
	Priority     string
	MinRating    int       // 1-5
	Since, Until time.Time // creation time: Since included, Until not

	// Visibility: unless All, only sessions that VisibleTo owns or took
	// part in, or whose channel is in Channels.
	All       bool
	VisibleTo int64
	Channels  []int64

	// Paging: newest first; Before is the last row of the previous page.
	Before *Session
	Limit  int // at most 500; 0 means 100
}

// DeskStore is the part of Store the service desk uses.
type DeskStore interface {
	// CreateGroup inserts g and sets g.ID; a taken name gives ErrExists.
	// UpdateGroup replaces name, description and members; DeleteGroup
	// removes it (and it stops serving channels). Unknown IDs give
	// ErrNotFound.
	CreateGroup(ctx context.Context, g *Group) error
	UpdateGroup(ctx context.Context, g *Group) error
	DeleteGroup(ctx context.Context, id int64) error
	// Groups lists every group by name.
	Groups(ctx context.Context) ([]Group, error)

	// CreateChannel inserts c and sets c.ID; a taken name or SOS token gives
	// ErrExists. With c.Default, the previous default channel stops being
	// it, in the same transaction. UpdateChannel replaces every field;
	// DeleteChannel removes it (its sessions keep their ID, and channels
	// falling back to it fall back to nothing).
	CreateChannel(ctx context.Context, c *Channel) error
	UpdateChannel(ctx context.Context, c *Channel) error
	DeleteChannel(ctx context.Context, id int64) error
	// Channels lists every channel by name.
	Channels(ctx context.Context) ([]Channel, error)

	// Profile and SetProfile read and write a user's profile; Overrides and
	// SetOverrides their permission overrides (SetOverrides replaces them
	// all). Unknown users give ErrNotFound.
	Profile(ctx context.Context, userID int64) (Profile, error)
	SetProfile(ctx context.Context, userID int64, p Profile) error
	Overrides(ctx context.Context, userID int64) ([]Override, error)
	SetOverrides(ctx context.Context, userID int64, o []Override) error

	// CreateAPIToken inserts t and sets t.ID; a live token with the same
	// name gives ErrExists. APITokenByHash gives ErrNotFound for unknown or
	// revoked tokens. RevokeAPIToken revokes by name. TouchAPIToken records
	// its use.
	CreateAPIToken(ctx context.Context, t *APIToken) error
	APITokenByHash(ctx context.Context, hash []byte) (APIToken, error)
	APITokens(ctx context.Context) ([]APIToken, error)
	RevokeAPIToken(ctx context.Context, name string) error
	TouchAPIToken(ctx context.Context, id int64, at time.Time) error

	// AddNote appends a note and sets n.ID; Notes lists a session's notes,
	// oldest first. An unknown session gives ErrNotFound.
	AddNote(ctx context.Context, n *Note) error
	Notes(ctx context.Context, sessionID string) ([]Note, error)

	// Setting reads an organisation setting ("" when unset); SetSetting
	// writes one.
	Setting(ctx context.Context, key string) (string, error)
	SetSetting(ctx context.Context, key, value string) error

	// SearchSessions lists sessions matching f, newest first (by creation
	// time, then ID), at most f.Limit.
	SearchSessions(ctx context.Context, f SessionFilter) ([]Session, error)
	// ClaimSession makes userID the owner of session id if it has none or
	// prev is its owner (a transfer); otherwise ErrExists. It is the
	// atomic step of a pick-up when several relays share the store.
	ClaimSession(ctx context.Context, id string, prev, userID int64) error
}

// Setting keys.
const (
	SettingOrganisation = "organisation" // the name end users see
	SettingCategories   = "categories"   // JSON list of names
	SettingPriorities   = "priorities"   // JSON list of names, most urgent first
)
