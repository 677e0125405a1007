package api

import (
	"context"
	"net/http"

	"github.com/relaydesk/relaydesk/relay/desk"
)

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
