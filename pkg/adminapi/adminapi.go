// Package adminapi holds the words of the relay's HTTPS admin API
// (/api/v1): the JSON bodies relay/api serves, with the tags its OpenAPI
// document is built from, and the console's client sends and reads.
package adminapi

import (
	"slices"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// IntakeForm says which fields a channel's SOS Call asks the end user for.
type IntakeForm struct {
	Name     string `json:"name,omitempty" enum:"off,optional,required" doc:"The end user's name."`
	Problem  string `json:"problem,omitempty" enum:"off,optional,required" doc:"A description of the problem."`
	Category string `json:"category,omitempty" enum:"off,optional,required" doc:"A category from the organisation's list."`
	Priority string `json:"priority,omitempty" enum:"off,optional,required" doc:"A priority from the organisation's list."`
}

// Channel is a channel's configuration.
type Channel struct {
	Name        string     `json:"name" example:"Mac support"`
	Description string     `json:"description"`
	Groups      []string   `json:"groups" doc:"The groups that serve the channel, by name."`
	Managers    []string   `json:"managers" doc:"The channel's managers, by name."`
	Default     bool       `json:"default" doc:"The organisation's default channel: requests that name none go there."`
	LinkTTL     string     `json:"link_ttl" example:"24h" doc:"How long a support link created in the channel stays valid, as a Go duration; 0s: the relay's default."`
	SOSCall     bool       `json:"sos_call" doc:"Whether the channel's reusable SOS Call page is on."`
	SOSToken    string     `json:"sos_token,omitempty" doc:"The SOS Call page's token; shown to those who may manage the channel."`
	Form        IntakeForm `json:"form" doc:"What the SOS Call page asks the end user."`
	Assign      string     `json:"assign" enum:"off,least-busy,round-robin" doc:"How the channel hands out its requests."`
	SLA         string     `json:"sla" example:"15m" doc:"How long a request may wait before it is escalated, as a Go duration; 0s: no SLA."`
	Fallback    string     `json:"fallback,omitempty" doc:"The channel an escalated request moves to, by name."`
	Narrow      []string   `json:"narrow" doc:"In-session permissions the channel's technicians do not get (view, control, clipboard, chat, screenshot)."`
	Manages     bool       `json:"manages" doc:"Whether the caller may configure the channel."`
	CreatedAt   time.Time  `json:"created_at"`
}

// ChannelSettings are the fields of a channel a request may set; an
// absent field is left as it is (POST: its default).
type ChannelSettings struct {
	Description *string     `json:"description,omitempty" maxLength:"1000"`
	Groups      *[]string   `json:"groups,omitempty" doc:"The groups that serve the channel, by name (replaces the list)."`
	Managers    *[]string   `json:"managers,omitempty" doc:"The channel's managers, by name (replaces the list; a technician manager's change)."`
	Default     *bool       `json:"default,omitempty" doc:"Make this the default channel (a technician manager's change)."`
	LinkTTL     *string     `json:"link_ttl,omitempty" example:"24h" doc:"A Go duration, at most 720h; 0s: the relay's default."`
	SOSCall     *bool       `json:"sos_call,omitempty"`
	Form        *IntakeForm `json:"form,omitempty" doc:"Replaces the whole form; absent fields are off."`
	Assign      *string     `json:"assign,omitempty" enum:"off,least-busy,round-robin"`
	SLA         *string     `json:"sla,omitempty" example:"15m" doc:"A Go duration, at most 720h; 0s: no SLA."`
	Fallback    *string     `json:"fallback,omitempty" doc:"A channel's name; empty for none."`
	Narrow      *[]string   `json:"narrow,omitempty" doc:"In-session permissions to withhold (replaces the list)."`
}

// ChannelCreate is the body of POST /channels.
type ChannelCreate struct {
	Name string `json:"name" minLength:"1" maxLength:"100" example:"Mac support"`
	ChannelSettings
}

// ChannelPatch is the body of PATCH /channels/{name}.
type ChannelPatch struct {
	Name *string `json:"name,omitempty" minLength:"1" maxLength:"100" doc:"A new name."`
	ChannelSettings
}

// Group is a set of technicians that serves channels.
type Group struct {
	Name        string    `json:"name" example:"mac"`
	Description string    `json:"description"`
	Members     []string  `json:"members" doc:"The technicians in the group, by name."`
	Channels    []string  `json:"channels" doc:"The channels the group serves, by name."`
	CreatedAt   time.Time `json:"created_at"`
}

// GroupCreate is the body of POST /groups.
type GroupCreate struct {
	Name        string   `json:"name" minLength:"1" maxLength:"100"`
	Description string   `json:"description,omitempty" maxLength:"1000"`
	Members     []string `json:"members,omitempty" doc:"Technicians, by name."`
}

// GroupPatch is the body of PATCH /groups/{name}; absent fields stay.
type GroupPatch struct {
	Name        *string   `json:"name,omitempty" minLength:"1" maxLength:"100" doc:"A new name."`
	Description *string   `json:"description,omitempty" maxLength:"1000"`
	Members     *[]string `json:"members,omitempty" doc:"Technicians, by name (replaces the list)."`
}

// PasswordResetRequest is the body of POST /technicians/{name}/password.
type PasswordResetRequest struct {
	Password string `json:"password,omitempty" maxLength:"200" doc:"The new password, at least 8 characters; absent: the relay makes one up and answers it once."`
	SignOut  bool   `json:"sign_out,omitempty" doc:"End the technician's sign-ins too (their consoles must sign in with the new password)."`
}

// PasswordReset answers a password reset.
type PasswordReset struct {
	Password  string `json:"password,omitempty" doc:"The password the relay made up; shown only in this answer."`
	SignedOut int    `json:"signed_out" doc:"How many sign-ins ended."`
}

// PermissionRow is one row of relay/desk's permission table.
type PermissionRow struct {
	Name  string   `json:"name" example:"monitor"`
	Doc   string   `json:"doc" doc:"What the permission lets a user do."`
	Roles []string `json:"roles" doc:"The roles that have it unless a per-user override says otherwise."`
}

// Caller is who a request acts as.
type Caller struct {
	Name string `json:"name" doc:"The technician's name, or api:NAME for an API token."`
	Role string `json:"role" enum:"admin,technician-manager,channel-manager,technician"`
	API  bool   `json:"api_token" doc:"Whether an API token authenticated the request (else a sign-in token)."`
	// Permissions are the caller's effective permissions: the role's
	// defaults with the user's overrides applied.
	Permissions []string `json:"permissions" doc:"The caller's effective permissions: the role's defaults with the user's overrides."`
}

// Permissions answers GET /permissions.
type Permissions struct {
	Table []PermissionRow `json:"table"`
	You   Caller          `json:"you"`
}

// Settings are the organisation's settings.
type Settings struct {
	Organisation string   `json:"organisation" doc:"The organisation's name."`
	Categories   []string `json:"categories" doc:"Request categories."`
	Priorities   []string `json:"priorities" doc:"Request priorities, most urgent first."`
}

// SettingsPatch changes the settings; absent fields stay.
type SettingsPatch struct {
	Organisation *string   `json:"organisation,omitempty" maxLength:"200"`
	Categories   *[]string `json:"categories,omitempty" minItems:"1" maxItems:"50" doc:"Replaces the list."`
	Priorities   *[]string `json:"priorities,omitempty" minItems:"1" maxItems:"20" doc:"Replaces the list, most urgent first."`
}

// AuditEvent is one event of the audit trail.
type AuditEvent struct {
	ID        int64             `json:"id"`
	At        time.Time         `json:"at"`
	Kind      string            `json:"kind" example:"api.channel.created"`
	Actor     string            `json:"actor"`
	Source    string            `json:"source,omitempty" doc:"The remote address, when known."`
	SessionID string            `json:"session_id,omitempty"`
	Detail    map[string]string `json:"detail,omitempty"`
}

// Override is a per-user exception to the role's default for one permission.
type Override struct {
	Permission string `json:"permission" example:"monitor"`
	Allow      bool   `json:"allow" doc:"true: granted, false: denied, whatever the role says."`
}

// Technician is an account as the API shows it. Disabled accounts,
// max_sessions and overrides are shown to callers with
// technicians.manage only.
type Technician struct {
	Name         string     `json:"name"`
	Role         string     `json:"role" enum:"admin,technician-manager,channel-manager,technician"`
	Disabled     bool       `json:"disabled"`
	Availability string     `json:"availability" enum:"available,busy,away" doc:"What they said, or busy while at their limit of sessions."`
	Online       bool       `json:"online" doc:"Whether a console of theirs is connected."`
	Sessions     int        `json:"sessions" doc:"Live sessions they own."`
	Languages    []string   `json:"languages"`
	MaxSessions  int        `json:"max_sessions,omitempty" doc:"Their limit of concurrent sessions."`
	Overrides    []Override `json:"overrides,omitempty"`
}

// ProfilePatch changes a technician's profile; absent fields stay.
type ProfilePatch struct {
	Languages    *[]string `json:"languages,omitempty" maxItems:"20" doc:"Base languages they support (en, de)."`
	Availability *string   `json:"availability,omitempty" enum:"available,busy,away"`
	MaxSessions  *int      `json:"max_sessions,omitempty" minimum:"0" maximum:"100" doc:"0: the relay's default."`
}

// TechnicianPatch is the body of PATCH /technicians/{name}; absent
// fields stay. Only an admin changes an admin or makes one, and a caller
// grants by override only permissions they have themselves.
type TechnicianPatch struct {
	Role      *string       `json:"role,omitempty" enum:"admin,technician-manager,channel-manager,technician"`
	Disabled  *bool         `json:"disabled,omitempty" doc:"Disabling signs the technician out everywhere."`
	Profile   *ProfilePatch `json:"profile,omitempty"`
	Overrides *[]Override   `json:"overrides,omitempty" doc:"Replaces every override of the technician."`
}

// Can reports whether the relay listed p among the caller's permissions.
func (c Caller) Can(p proto.Permission) bool { return slices.Contains(c.Permissions, string(p)) }
