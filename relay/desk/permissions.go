package desk

import (
	"fmt"
	"slices"
	"strings"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/store"
)

// Right is one row of the permission table: a permission, what it lets a
// user do, the roles that have it unless a per-user override says
// otherwise, and the sentence a refusal gives.
type Right struct {
	Permission proto.Permission
	Doc        string
	Roles      []store.Role
	Refusal    string
}

var (
	everyone = []store.Role{store.RoleAdmin, store.RoleTechnicianManager, store.RoleChannelManager, store.RoleTechnician}
	managers = []store.Role{store.RoleAdmin, store.RoleTechnicianManager, store.RoleChannelManager}
	topRoles = []store.Role{store.RoleAdmin, store.RoleTechnicianManager}
	admins   = []store.Role{store.RoleAdmin}
)

// Table is the permission table, in the order the README shows it. The
// README's table and the permission-matrix tests are generated from it.
var Table = []Right{
	{proto.PermView, "See the end user's screen in a session they are in.", everyone,
		"You may not view end users' screens."},
	{proto.PermControl, "Use the end user's mouse and keyboard.", everyone,
		"You may not control end users' computers."},
	{proto.PermClipboard, "Copy text to and from the end user's clipboard.", everyone,
		"You may not use the end user's clipboard."},
	{proto.PermChat, "Chat with the end user.", everyone,
		"You may not chat in sessions."},
	{proto.PermScreenshot, "Take screenshots of the end user's screen.", everyone,
		"You may not take screenshots."},
	{proto.PermFiles, "Send files to the end user's computer and fetch files from it (a fetch needs the end user's click).", everyone,
		"You may not transfer files."},
	{proto.PermRecord, "Ask to record a session (the end user is asked too; the channel must allow recording).", everyone,
		"You may not record sessions."},
	{proto.PermTransferTech, "Hand a session they own (or manage) to another technician.", everyone,
		"You may not transfer sessions to other technicians."},
	{proto.PermTransferChannel, "Hand a session they own (or manage) to another channel's queue.", everyone,
		"You may not transfer sessions to other channels."},
	{proto.PermInviteChannel, "Invite a technician who serves the session's channel.", everyone,
		"You may not invite colleagues into sessions."},
	{proto.PermInviteOutside, "Invite any technician, also from outside the session's channel.", managers,
		"You may not invite technicians from outside the session's channel."},
	{proto.PermMonitor, "Watch a session of their channels (all: technician manager), view only; the end user sees it.", managers,
		"You may not monitor other technicians' sessions."},
	{proto.PermTakeOver, "Take over a session of their channels (all: technician manager).", managers,
		"You may not take over other technicians' sessions."},
	{proto.PermEndOthers, "End a session someone else owns, in their channels (all: technician manager).", managers,
		"You may not end other technicians' sessions."},
	{proto.PermCreateLinks, "Create support links.", everyone,
		"You may not create support links."},
	{proto.PermUseCodes, "Connect with a session code the end user reads out.", everyone,
		"You may not connect with session codes."},
	{proto.PermReadTranscripts, "Read chat transcripts and notes of the sessions they see.", everyone,
		"You may not read chat transcripts."},
	{proto.PermManageChannel, "Configure channels: a channel manager the ones they manage, a technician manager all, and create or delete them.", managers,
		"You may not manage this channel."},
	{proto.PermManageTechnicians, "Create and change technicians and groups below admin.", topRoles,
		"You may not manage technicians or groups."},
	{proto.PermManageSettings, "Change organisation settings, categories and priorities.", admins,
		"You may not change the organisation's settings."},
	{proto.PermReadAudit, "Read the audit trail.", admins,
		"You may not read the audit trail."},
}

// Permissions lists the permissions of Table in order.
func Permissions() []proto.Permission {
	out := make([]proto.Permission, len(Table))
	for i, r := range Table {
		out[i] = r.Permission
	}
	return out
}

// right returns p's row; ok is false for an unknown permission.
func right(p proto.Permission) (Right, bool) {
	i := slices.IndexFunc(Table, func(r Right) bool { return r.Permission == p })
	if i < 0 {
		return Right{}, false
	}
	return Table[i], true
}

// Known reports whether p is in Table.
func Known(p proto.Permission) bool {
	_, ok := right(p)
	return ok
}

// RoleHas reports whether role has p by default.
func RoleHas(role store.Role, p proto.Permission) bool {
	r, ok := right(p)
	return ok && slices.Contains(r.Roles, role)
}

// refuse is the failure for a missing permission.
func refuse(p proto.Permission) *proto.Failure {
	r, ok := right(p)
	if !ok {
		return proto.Errorf(proto.ErrForbidden, "You may not do this (%s).", p)
	}
	return proto.Errorf(proto.ErrForbidden, "%s", r.Refusal)
}

// Markdown renders Table as the README shows it: one row per permission,
// one column per role.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| permission | what it allows | technician | channel manager | technician manager | admin |\n")
	b.WriteString("|---|---|:-:|:-:|:-:|:-:|\n")
	for _, r := range Table {
		fmt.Fprintf(&b, "| `%s` | %s |", r.Permission, r.Doc)
		for _, role := range []store.Role{store.RoleTechnician, store.RoleChannelManager, store.RoleTechnicianManager, store.RoleAdmin} {
			mark := " "
			if slices.Contains(r.Roles, role) {
				mark = "✓"
			}
			fmt.Fprintf(&b, " %s |", mark)
		}
		b.WriteString("\n")
	}
	return b.String()
}
