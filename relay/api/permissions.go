package api

import (
	"context"
	"net/http"

	"github.com/relaydesk/relaydesk/relay/desk"
)

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

type permissionsOutput struct{ Body Permissions }

func (h *handler) permissionRoutes() {
	register(h, opts{id: "get-permissions", method: http.MethodGet, path: "/permissions", tag: "permissions",
		summary: "The permission table and the caller's effective permissions"},
		func(ctx context.Context, _ *struct{}) (*permissionsOutput, error) {
			c := from(ctx)
			out := &permissionsOutput{Body: Permissions{Table: []PermissionRow{}}}
			for _, r := range desk.Table {
				row := PermissionRow{Name: string(r.Permission), Doc: r.Doc, Roles: []string{}}
				for _, role := range r.Roles {
					row.Roles = append(row.Roles, string(role))
				}
				out.Body.Table = append(out.Body.Table, row)
			}
			out.Body.You = Caller{Name: c.User.Name, Role: string(c.User.Role), API: c.API, Permissions: h.effective(c)}
			return out, nil
		})
}

// effective lists what c may do, in the table's order.
func (h *handler) effective(c *caller) []string {
	out := []string{}
	for _, p := range desk.Permissions() {
		if h.desk.Allowed(c.User, p) {
			out = append(out, string(p))
		}
	}
	return out
}
