package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/desk"
	"github.com/relaydesk/relaydesk/relay/store"
)

type technicianOutput struct{ Body Technician }

type techniciansOutput struct {
	Body struct {
		Technicians []Technician `json:"technicians"`
	}
}

func (h *handler) technicianRoutes() {
	register(h, opts{id: "list-technicians", method: http.MethodGet, path: "/technicians", tag: "technicians",
		summary: "List the technicians (with technicians.manage: also disabled ones and overrides)"},
		func(ctx context.Context, _ *struct{}) (*techniciansOutput, error) {
			c := from(ctx)
			full := h.desk.Allowed(c.User, proto.PermManageTechnicians)
			us, err := h.users(ctx)
			if err != nil {
				return nil, h.fail("list the technicians", err)
			}
			live := h.directory(c)
			out := &techniciansOutput{}
			out.Body.Technicians = []Technician{}
			for _, u := range us {
				if u.Disabled && !full {
					continue
				}
				t, err := h.technicianOut(ctx, u, live, full)
				if err != nil {
					return nil, err
				}
				out.Body.Technicians = append(out.Body.Technicians, t)
			}
			return out, nil
		})
	register(h, opts{id: "update-technician", method: http.MethodPatch, path: "/technicians/{name}", tag: "technicians",
		summary: "Change a technician's role, account, profile or overrides", perm: proto.PermManageTechnicians,
		errs: []int{http.StatusBadRequest, http.StatusNotFound, http.StatusConflict}},
		func(ctx context.Context, in *struct {
			Name string `path:"name"`
			Body TechnicianPatch
		}) (*technicianOutput, error) {
			return h.updateTechnician(ctx, from(ctx), in.Name, in.Body)
		})
	h.passwordRoute()
}

// directory is the queue's view of the technicians: availability,
// whether online, sessions owned.
func (h *handler) directory(c *caller) map[int64]proto.TechnicianInfo {
	out := map[int64]proto.TechnicianInfo{}
	for _, t := range h.q.Directory(c.tech()).Technicians {
		out[t.ID] = t
	}
	return out
}

func (h *handler) technicianOut(ctx context.Context, u store.User, live map[int64]proto.TechnicianInfo, full bool) (Technician, error) {
	p := h.desk.Profile(u.ID)
	t := Technician{Name: u.Name, Role: string(u.Role), Disabled: u.Disabled, Availability: string(p.Availability),
		Languages: slices.Clone(p.Languages)}
	if t.Languages == nil {
		t.Languages = []string{}
	}
	if l, ok := live[u.ID]; ok {
		t.Availability, t.Online, t.Sessions = string(l.Availability), l.Online, l.Sessions
	}
	if !full {
		return t, nil
	}
	t.MaxSessions = p.MaxSessions
	os, err := h.st.Overrides(ctx, u.ID)
	if err != nil {
		return t, h.fail("read the overrides", err)
	}
	for _, o := range os {
		t.Overrides = append(t.Overrides, Override{Permission: string(o.Permission), Allow: o.Allow})
	}
	return t, nil
}

func (h *handler) updateTechnician(ctx context.Context, c *caller, name string, in TechnicianPatch) (*technicianOutput, error) {
	u, err := h.userByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, newError(http.StatusNotFound, fmt.Sprintf("There is no technician %q.", name))
	} else if err != nil {
		return nil, h.fail("look the technician up", err)
	}
	admin := c.User.Role == store.RoleAdmin
	self := !c.API && c.User.ID == u.ID
	if u.Role == store.RoleAdmin && !admin {
		return nil, h.refuse(ctx, c, proto.Errorf(proto.ErrForbidden, "Only an admin may change an admin's account."))
	}
	var changes []string

	role := u.Role
	if in.Role != nil && store.Role(*in.Role) != u.Role {
		role = store.Role(*in.Role)
		switch {
		case !role.Valid():
			return nil, bad("There is no role %q; the roles are admin, technician-manager, channel-manager and technician.", *in.Role)
		case role == store.RoleAdmin && !admin:
			return nil, h.refuse(ctx, c, proto.Errorf(proto.ErrForbidden, "Only an admin may make a technician an admin."))
		case self:
			return nil, bad("You cannot change your own role.")
		}
		changes = append(changes, "role "+string(role))
	}

	disabled := u.Disabled
	if in.Disabled != nil && *in.Disabled != u.Disabled {
		if self && *in.Disabled {
			return nil, bad("You cannot disable your own account.")
		}
		disabled = *in.Disabled
		changes = append(changes, fmt.Sprintf("disabled %t", disabled))
	}

	if u.Role == store.RoleAdmin && !u.Disabled && (role != store.RoleAdmin || disabled) {
		if err := h.keepAnAdmin(ctx, u); err != nil {
			return nil, err
		}
	}

	prof := h.desk.Profile(u.ID)
	stored, err := h.st.Profile(ctx, u.ID)
	if err != nil {
		return nil, h.fail("read the profile", err)
	}
	profChanged := false
	if p := in.Profile; p != nil {
		if p.Languages != nil {
			var langs []string
			for _, l := range *p.Languages {
				l = strings.ToLower(strings.TrimSpace(proto.CleanText(l)))
				if l == "" || len(l) > 35 {
					return nil, bad("A language is a BCP 47 tag such as en or de-CH, not %q.", l)
				}
				if !slices.Contains(langs, l) {
					langs = append(langs, l)
				}
			}
			if !slices.Equal(langs, stored.Languages) {
				stored.Languages, profChanged = langs, true
			}
		}
		if p.Availability != nil {
			a := proto.Availability(*p.Availability)
			if !a.Valid() {
				return nil, bad("Availability is available, busy or away, not %q.", a)
			}
			if a != prof.Availability {
				stored.Availability, profChanged = a, true
			}
		}
		if p.MaxSessions != nil && *p.MaxSessions != stored.MaxSessions {
			if *p.MaxSessions < 0 || *p.MaxSessions > 100 {
				return nil, bad("max_sessions is 0 (the relay's default) to 100.")
			}
			stored.MaxSessions, profChanged = *p.MaxSessions, true
		}
		if profChanged {
			changes = append(changes, "profile")
		}
	}

	var overrides []store.Override
	if in.Overrides != nil {
		seen := map[proto.Permission]bool{}
		for _, o := range *in.Overrides {
			p := proto.Permission(o.Permission)
			switch {
			case !desk.Known(p):
				return nil, bad("There is no permission %q; GET %s/permissions lists them.", o.Permission, Prefix)
			case seen[p]:
				return nil, bad("The permission %s has two overrides.", p)
			case o.Allow && !h.desk.Allowed(c.User, p):
				return nil, h.refuse(ctx, c, proto.Errorf(proto.ErrForbidden, "You may not grant %s, which you do not have yourself.", p))
			}
			seen[p] = true
			overrides = append(overrides, store.Override{Permission: p, Allow: o.Allow})
		}
		changes = append(changes, "overrides")
	}

	// Everything is checked: write.
	if role != u.Role {
		if err := h.st.SetRole(ctx, u.ID, role); err != nil {
			return nil, h.fail("change the role", err)
		}
	}
	if disabled != u.Disabled {
		if err := h.st.SetDisabled(ctx, u.ID, disabled); err != nil {
			return nil, h.fail("change the account", err)
		}
	}
	if profChanged {
		if err := h.st.SetProfile(ctx, u.ID, stored); err != nil {
			return nil, h.fail("change the profile", err)
		}
	}
	if in.Overrides != nil {
		if err := h.st.SetOverrides(ctx, u.ID, overrides); err != nil {
			return nil, h.fail("change the overrides", err)
		}
	}
	if len(changes) > 0 {
		h.changed(ctx, c, "api.technician.updated", map[string]string{"technician": u.Name, "changes": strings.Join(changes, ", ")})
	}
	if u, err = h.st.UserByID(ctx, u.ID); err != nil {
		return nil, h.fail("read the technician", err)
	}
	t, err := h.technicianOut(ctx, u, h.directory(c), true)
	if err != nil {
		return nil, err
	}
	return &technicianOutput{Body: t}, nil
}

// keepAnAdmin refuses to take away the last enabled administrator, as
// `relay user` does.
func (h *handler) keepAnAdmin(ctx context.Context, u store.User) error {
	us, err := h.st.ListUsers(ctx)
	if err != nil {
		return h.fail("list the technicians", err)
	}
	for _, o := range us {
		if o.ID != u.ID && o.Role == store.RoleAdmin && !o.Disabled {
			return nil
		}
	}
	return newError(http.StatusConflict, fmt.Sprintf("%q is the last enabled administrator; make another user admin first.", u.Name))
}
