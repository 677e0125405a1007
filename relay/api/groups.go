package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/store"
)

type groupName struct {
	Name string `path:"name" doc:"The group's name (case does not matter)."`
}

type groupOutput struct{ Body Group }

type groupsOutput struct {
	Body struct {
		Groups []Group `json:"groups"`
	}
}

func (h *handler) groupRoutes() {
	register(h, opts{id: "list-groups", method: http.MethodGet, path: "/groups", tag: "groups", summary: "List the groups"},
		func(ctx context.Context, _ *struct{}) (*groupsOutput, error) {
			gs, err := h.st.Groups(ctx)
			if err != nil {
				return nil, h.fail("list the groups", err)
			}
			out := &groupsOutput{}
			out.Body.Groups = []Group{}
			for _, g := range gs {
				out.Body.Groups = append(out.Body.Groups, h.groupOut(g))
			}
			return out, nil
		})
	register(h, opts{id: "create-group", method: http.MethodPost, path: "/groups", tag: "groups", status: http.StatusCreated,
		summary: "Create a group", perm: proto.PermManageTechnicians, errs: []int{http.StatusBadRequest, http.StatusConflict}},
		func(ctx context.Context, in *struct{ Body GroupCreate }) (*groupOutput, error) {
			c := from(ctx)
			g := store.Group{Name: cleanName(in.Body.Name), Description: strings.TrimSpace(proto.CleanText(in.Body.Description)), CreatedAt: h.cfg.Now()}
			var err error
			if g.Members, err = h.userIDs(ctx, in.Body.Members); err != nil {
				return nil, err
			}
			if err := h.checkGroupName(ctx, g.Name, 0); err != nil {
				return nil, err
			}
			if err := h.st.CreateGroup(ctx, &g); err != nil {
				return nil, h.storeErr("create the group", "a group", g.Name, err)
			}
			h.changed(ctx, c, "api.group.created", map[string]string{"group": g.Name, "members": strings.Join(in.Body.Members, ", ")})
			return &groupOutput{Body: h.groupOut(g)}, nil
		})
	register(h, opts{id: "update-group", method: http.MethodPatch, path: "/groups/{name}", tag: "groups",
		summary: "Change a group", perm: proto.PermManageTechnicians,
		errs: []int{http.StatusBadRequest, http.StatusNotFound, http.StatusConflict}},
		func(ctx context.Context, in *struct {
			Name string `path:"name" doc:"The group's name (case does not matter)."`
			Body GroupPatch
		}) (*groupOutput, error) {
			c := from(ctx)
			g, err := h.group(ctx, in.Name)
			if err != nil {
				return nil, err
			}
			var changes []string
			if in.Body.Name != nil && cleanName(*in.Body.Name) != g.Name {
				g.Name = cleanName(*in.Body.Name)
				if err := h.checkGroupName(ctx, g.Name, g.ID); err != nil {
					return nil, err
				}
				changes = append(changes, "name")
			}
			if in.Body.Description != nil {
				if d := strings.TrimSpace(proto.CleanText(*in.Body.Description)); d != g.Description {
					g.Description = d
					changes = append(changes, "description")
				}
			}
			if in.Body.Members != nil {
				ids, err := h.userIDs(ctx, *in.Body.Members)
				if err != nil {
					return nil, err
				}
				if !slices.Equal(ids, g.Members) {
					g.Members = ids
					changes = append(changes, "members")
				}
			}
			if len(changes) > 0 {
				if err := h.st.UpdateGroup(ctx, &g); err != nil {
					return nil, h.storeErr("change the group", "a group", g.Name, err)
				}
				h.changed(ctx, c, "api.group.updated", map[string]string{"group": in.Name, "changes": strings.Join(changes, ", ")})
			}
			return &groupOutput{Body: h.groupOut(g)}, nil
		})
	register(h, opts{id: "delete-group", method: http.MethodDelete, path: "/groups/{name}", tag: "groups", status: http.StatusNoContent,
		summary: "Delete a group (it stops serving its channels)", perm: proto.PermManageTechnicians, errs: []int{http.StatusNotFound}},
		func(ctx context.Context, in *groupName) (*struct{}, error) {
			c := from(ctx)
			g, err := h.group(ctx, in.Name)
			if err != nil {
				return nil, err
			}
			if err := h.st.DeleteGroup(ctx, g.ID); err != nil {
				return nil, h.storeErr("delete the group", "a group", g.Name, err)
			}
			h.changed(ctx, c, "api.group.deleted", map[string]string{"group": g.Name})
			return nil, nil
		})
}

// group finds a group by name, ignoring case.
func (h *handler) group(ctx context.Context, name string) (store.Group, error) {
	gs, err := h.st.Groups(ctx)
	if err != nil {
		return store.Group{}, h.fail("read the groups", err)
	}
	for _, g := range gs {
		if strings.EqualFold(g.Name, strings.TrimSpace(name)) {
			return g, nil
		}
	}
	return store.Group{}, newError(http.StatusNotFound, fmt.Sprintf("There is no group %q.", name))
}

// checkGroupName refuses an empty name or one another group has (in any case).
func (h *handler) checkGroupName(ctx context.Context, name string, self int64) error {
	if name == "" {
		return bad("A group needs a name.")
	}
	if other, err := h.group(ctx, name); err == nil && other.ID != self {
		return newError(http.StatusConflict, fmt.Sprintf("There is already a group named %q.", other.Name))
	}
	return nil
}

// userIDs resolves technicians' names to sorted IDs.
func (h *handler) userIDs(ctx context.Context, names []string) ([]int64, error) {
	var ids []int64
	for _, n := range names {
		u, err := h.userByName(ctx, n)
		if errors.Is(err, store.ErrNotFound) {
			return nil, bad("There is no technician %q.", n)
		} else if err != nil {
			return nil, h.fail("look the technician up", err)
		}
		ids = append(ids, u.ID)
	}
	return sortedIDs(ids), nil
}

// userByName finds an account in the store and makes sure the desk knows
// it: the desk's copy lacks accounts created since it last read the store
// (`relay user add` does not move the store's change counter).
func (h *handler) userByName(ctx context.Context, name string) (store.User, error) {
	u, err := h.st.UserByName(ctx, strings.TrimSpace(name))
	if err != nil {
		return u, err
	}
	if _, ok := h.desk.User(u.ID); !ok {
		if err := h.desk.Reload(ctx); err != nil {
			return u, err
		}
	}
	return u, nil
}

// users lists every account, the desk reloaded if it lacks one.
func (h *handler) users(ctx context.Context) ([]store.User, error) {
	us, err := h.st.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	for _, u := range us {
		if _, ok := h.desk.User(u.ID); !ok {
			return us, h.desk.Reload(ctx)
		}
	}
	return us, nil
}

func (h *handler) groupOut(g store.Group) Group {
	out := Group{Name: g.Name, Description: g.Description, Members: []string{}, Channels: []string{}, CreatedAt: g.CreatedAt}
	for _, m := range g.Members {
		if u, ok := h.desk.User(m); ok {
			out.Members = append(out.Members, u.Name)
		}
	}
	for _, ch := range h.desk.Channels() {
		if slices.Contains(ch.Groups, g.ID) {
			out.Channels = append(out.Channels, ch.Name)
		}
	}
	return out
}
