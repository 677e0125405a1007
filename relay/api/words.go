package api

import "github.com/relaydesk/relaydesk/pkg/adminapi"

// The API's JSON bodies live in pkg/adminapi, which the console's client
// shares; these names keep the handlers short.
type (
	IntakeForm           = adminapi.IntakeForm
	Channel              = adminapi.Channel
	ChannelSettings      = adminapi.ChannelSettings
	ChannelCreate        = adminapi.ChannelCreate
	ChannelPatch         = adminapi.ChannelPatch
	Group                = adminapi.Group
	GroupCreate          = adminapi.GroupCreate
	GroupPatch           = adminapi.GroupPatch
	PasswordResetRequest = adminapi.PasswordResetRequest
	PasswordReset        = adminapi.PasswordReset
	PermissionRow        = adminapi.PermissionRow
	Caller               = adminapi.Caller
	Permissions          = adminapi.Permissions
	Settings             = adminapi.Settings
	SettingsPatch        = adminapi.SettingsPatch
	AuditEvent           = adminapi.AuditEvent
	Override             = adminapi.Override
	Technician           = adminapi.Technician
	ProfilePatch         = adminapi.ProfilePatch
	TechnicianPatch      = adminapi.TechnicianPatch
)
