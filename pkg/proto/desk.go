package proto

import "slices"

// The service desk's words: what a technician may do (permissions), how
// available they are, how a channel hands out its requests, and how a
// request is classified. The relay decides with them; the console and the
// SOS app show them.

// Permissions a technician has in the service desk, beyond the three the end
// user grants in the app (PermView, PermControl, PermClipboard). The relay
// checks every one; relay/desk holds the table of which role has which by
// default, and the README shows it.
const (
	PermChat              Permission = "chat"                // write in a session's chat
	PermScreenshot        Permission = "screenshot"          // take screenshots of the end user's screen
	PermTransferTech      Permission = "transfer.technician" // hand a session to another technician
	PermTransferChannel   Permission = "transfer.channel"    // hand a session to another channel's queue
	PermInviteChannel     Permission = "invite.channel"      // invite a technician who serves the session's channel
	PermInviteOutside     Permission = "invite.outside"      // invite any technician
	PermMonitor           Permission = "monitor"             // watch a colleague's session, view only
	PermTakeOver          Permission = "takeover"            // take a colleague's session over
	PermEndOthers         Permission = "end.others"          // end a session someone else owns
	PermCreateLinks       Permission = "links.create"        // create support links
	PermUseCodes          Permission = "codes.use"           // connect with an attended session code
	PermReadTranscripts   Permission = "transcripts.read"    // read chat transcripts and notes of sessions one sees
	PermManageChannel     Permission = "channels.manage"     // configure channels (a channel manager: the ones they manage)
	PermManageTechnicians Permission = "technicians.manage"  // create and change groups and technicians below admin
	PermManageSettings    Permission = "settings.manage"     // organisation settings, categories, priorities
	PermReadAudit         Permission = "audit.read"          // read the audit trail
)

// inSession are the permissions exercised inside a session on the end
// user's computer.
var inSession = []Permission{PermView, PermControl, PermClipboard, PermChat, PermScreenshot, PermFiles}

// InSession reports whether p is exercised inside a session on the end
// user's computer: a channel can narrow these for its technicians.
func (p Permission) InSession() bool { return slices.Contains(inSession, p) }

// InSessionPermissions lists them, for a channel's form.
func InSessionPermissions() []Permission { return slices.Clone(inSession) }

// Availability is whether a technician takes new requests.
type Availability string

// Availabilities. Busy is also set by the relay while a technician is at
// their limit of concurrent sessions.
const (
	Available Availability = "available"
	Busy      Availability = "busy"
	Away      Availability = "away"
)

// Valid reports whether a is one of the three.
func (a Availability) Valid() bool { return a == Available || a == Busy || a == Away }

// AutoAssign is how a channel hands out its requests.
type AutoAssign string

// Auto-assign modes.
const (
	AssignOff        AutoAssign = "off"         // technicians pick requests up themselves
	AssignLeastBusy  AutoAssign = "least-busy"  // to the available technician with the fewest sessions
	AssignRoundRobin AutoAssign = "round-robin" // to the available technicians in turn
)

// Valid reports whether a is a known mode ("" reads as off).
func (a AutoAssign) Valid() bool {
	return a == "" || a == AssignOff || a == AssignLeastBusy || a == AssignRoundRobin
}

// FieldMode is whether an intake-form field is shown and required.
type FieldMode string

// Field modes.
const (
	FieldOff      FieldMode = "off"
	FieldOptional FieldMode = "optional"
	FieldRequired FieldMode = "required"
)

// Valid reports whether m is a known mode ("" reads as off).
func (m FieldMode) Valid() bool {
	return m == "" || m == FieldOff || m == FieldOptional || m == FieldRequired
}

// Asked reports whether a field in mode m is asked (optional or required).
func (m FieldMode) Asked() bool { return m == FieldOptional || m == FieldRequired }

// IntakeForm says which fields a channel's SOS Call asks the end user for.
type IntakeForm struct {
	Name     FieldMode `cbor:"1,keyasint,omitempty" json:"name,omitempty"`
	Problem  FieldMode `cbor:"2,keyasint,omitempty" json:"problem,omitempty"`
	Category FieldMode `cbor:"3,keyasint,omitempty" json:"category,omitempty"`
	Priority FieldMode `cbor:"4,keyasint,omitempty" json:"priority,omitempty"`
}

// DefaultCategories are the request categories of the service-desk practice
// the product serves; technician managers can edit the list.
var DefaultCategories = []string{
	"hardware", "software", "network", "security", "user support", "service request",
	"data recovery", "performance", "consulting", "other",
}

// DefaultPriorities are the request priorities, most urgent first.
var DefaultPriorities = []string{"critical", "high", "medium", "low", "informational"}

// Ticket is a session's reference in a ticketing system.
type Ticket struct {
	System string `cbor:"1,keyasint,omitempty" json:"system,omitempty"` // e.g. "Jira", "ServiceNow"
	Key    string `cbor:"2,keyasint,omitempty" json:"key,omitempty"`    // e.g. "IT-1234"
	URL    string `cbor:"3,keyasint,omitempty" json:"url,omitempty"`
}
