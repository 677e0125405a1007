package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/desk"
	"github.com/relaydesk/relaydesk/relay/store"
	"github.com/relaydesk/relaydesk/relay/token"
)

// Limits of the configuration's texts.
const (
	maxName        = 100
	maxDescription = 1000
	maxDuration    = 30 * 24 * time.Hour
)

type channelName struct {
	Name string `path:"name" doc:"The channel's name (case does not matter)."`
}

type channelOutput struct{ Body Channel }

type channelsOutput struct {
	Body struct {
		Channels []Channel `json:"channels"`
	}
}

func (h *handler) channelRoutes() {
	register(h, opts{id: "list-channels", method: http.MethodGet, path: "/channels", tag: "channels", summary: "List the channels"},
		func(ctx context.Context, _ *struct{}) (*channelsOutput, error) {
			groups, err := h.groupNames(ctx)
			if err != nil {
				return nil, h.fail("list the channels", err)
			}
			out := &channelsOutput{}
			out.Body.Channels = []Channel{}
			for _, ch := range h.desk.Channels() {
				out.Body.Channels = append(out.Body.Channels, h.channelOut(from(ctx), ch, groups))
			}
			return out, nil
		})
	register(h, opts{id: "get-channel", method: http.MethodGet, path: "/channels/{name}", tag: "channels", summary: "Get a channel",
		errs: []int{http.StatusNotFound}},
		func(ctx context.Context, in *channelName) (*channelOutput, error) {
			ch, err := h.channel(in.Name)
			if err != nil {
				return nil, err
			}
			groups, err := h.groupNames(ctx)
			if err != nil {
				return nil, h.fail("read the channel", err)
			}
			return &channelOutput{Body: h.channelOut(from(ctx), ch, groups)}, nil
		})
	register(h, opts{id: "create-channel", method: http.MethodPost, path: "/channels", tag: "channels", status: http.StatusCreated,
		summary: "Create a channel (a technician manager's or admin's)", perm: proto.PermManageChannel,
		errs: []int{http.StatusBadRequest, http.StatusConflict}},
		func(ctx context.Context, in *struct{ Body ChannelCreate }) (*channelOutput, error) {
			c := from(ctx)
			if err := h.desk.CanManageChannel(c.User, 0); err != nil {
				return nil, h.refuse(ctx, c, err)
			}
			ch := store.Channel{Name: cleanName(in.Body.Name), CreatedAt: h.cfg.Now()}
			if _, err := h.apply(ctx, c, &ch, in.Body.ChannelSettings); err != nil {
				return nil, err
			}
			if err := h.checkChannelName(ch.Name, 0); err != nil {
				return nil, err
			}
			if err := h.st.CreateChannel(ctx, &ch); err != nil {
				return nil, h.storeErr("create the channel", "a channel", ch.Name, err)
			}
			h.changed(ctx, c, "api.channel.created", map[string]string{"channel": ch.Name})
			return h.channelReply(ctx, c, ch.ID)
		})
	register(h, opts{id: "update-channel", method: http.MethodPatch, path: "/channels/{name}", tag: "channels",
		summary: "Change a channel (its managers: their own channels)", perm: proto.PermManageChannel,
		errs: []int{http.StatusBadRequest, http.StatusNotFound, http.StatusConflict}},
		func(ctx context.Context, in *struct {
			Name string `path:"name" doc:"The channel's name (case does not matter)."`
			Body ChannelPatch
		}) (*channelOutput, error) {
			c := from(ctx)
			ch, err := h.channel(in.Name)
			if err != nil {
				return nil, err
			}
			if err := h.desk.CanManageChannel(c.User, ch.ID); err != nil {
				return nil, h.refuse(ctx, c, err)
			}
			var changes []string
			if in.Body.Name != nil && cleanName(*in.Body.Name) != ch.Name {
				ch.Name = cleanName(*in.Body.Name)
				if err := h.checkChannelName(ch.Name, ch.ID); err != nil {
					return nil, err
				}
				changes = append(changes, "name")
			}
			more, err := h.apply(ctx, c, &ch, in.Body.ChannelSettings)
			if err != nil {
				return nil, err
			}
			changes = append(changes, more...)
			if len(changes) > 0 {
				if err := h.st.UpdateChannel(ctx, &ch); err != nil {
					return nil, h.storeErr("change the channel", "a channel", ch.Name, err)
				}
				h.changed(ctx, c, "api.channel.updated", map[string]string{"channel": in.Name, "changes": strings.Join(changes, ", ")})
			}
			return h.channelReply(ctx, c, ch.ID)
		})
	register(h, opts{id: "delete-channel", method: http.MethodDelete, path: "/channels/{name}", tag: "channels", status: http.StatusNoContent,
		summary: "Delete a channel (a technician manager's or admin's)", perm: proto.PermManageChannel,
		errs: []int{http.StatusNotFound}},
		func(ctx context.Context, in *channelName) (*struct{}, error) {
			c := from(ctx)
			if err := h.desk.CanManageChannel(c.User, 0); err != nil {
				return nil, h.refuse(ctx, c, err)
			}
			ch, err := h.channel(in.Name)
			if err != nil {
				return nil, err
			}
			if err := h.st.DeleteChannel(ctx, ch.ID); err != nil {
				return nil, h.storeErr("delete the channel", "a channel", ch.Name, err)
			}
			h.changed(ctx, c, "api.channel.deleted", map[string]string{"channel": ch.Name})
			return nil, nil
		})
}

// channel finds a channel by name as the desk has it now.
func (h *handler) channel(name string) (store.Channel, error) {
	ch, ok := h.desk.ChannelByName(name)
	if !ok {
		return ch, newError(http.StatusNotFound, fmt.Sprintf("There is no channel %q.", name))
	}
	return ch, nil
}

// managedChannel finds a channel by name that c may manage; a refusal is
// audited.
func (h *handler) managedChannel(ctx context.Context, c *caller, name string) (store.Channel, error) {
	ch, err := h.channel(name)
	if err != nil {
		return ch, err
	}
	if err := h.desk.CanManageChannel(c.User, ch.ID); err != nil {
		return ch, h.refuse(ctx, c, err)
	}
	return ch, nil
}

// channelReply answers with channel id as the desk reads it after a change.
func (h *handler) channelReply(ctx context.Context, c *caller, id int64) (*channelOutput, error) {
	groups, err := h.groupNames(ctx)
	if err != nil {
		return nil, h.fail("read the channel", err)
	}
	ch, ok := h.desk.Channel(id)
	if !ok {
		return nil, h.fail("read the channel", errors.New("the channel is gone after the change"))
	}
	return &channelOutput{Body: h.channelOut(c, ch, groups)}, nil
}

// checkChannelName refuses a name another channel has (case does not
// matter: the desk and the console find channels by name either way).
func (h *handler) checkChannelName(name string, self int64) error {
	if name == "" {
		return bad("A channel needs a name.")
	}
	if other, ok := h.desk.ChannelByName(name); ok && other.ID != self {
		return newError(http.StatusConflict, fmt.Sprintf("There is already a channel named %q.", other.Name))
	}
	return nil
}

// groupNames maps group IDs to names.
func (h *handler) groupNames(ctx context.Context) (map[int64]string, error) {
	gs, err := h.st.Groups(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]string, len(gs))
	for _, g := range gs {
		out[g.ID] = g.Name
	}
	return out, nil
}

func (h *handler) channelOut(c *caller, ch store.Channel, groups map[int64]string) Channel {
	out := Channel{
		Name: ch.Name, Description: ch.Description, Groups: []string{}, Managers: []string{}, Default: ch.Default,
		LinkTTL: fmtDuration(ch.LinkTTL), SOSCall: ch.SOSCall, Assign: string(ch.Assign), SLA: fmtDuration(ch.SLA),
		Fallback: h.desk.ChannelName(ch.FallbackID), Narrow: []string{}, CreatedAt: ch.CreatedAt,
		Form: IntakeForm{Name: mode(ch.Form.Name), Problem: mode(ch.Form.Problem), Category: mode(ch.Form.Category), Priority: mode(ch.Form.Priority)},
	}
	if out.Assign == "" {
		out.Assign = string(proto.AssignOff)
	}
	for _, g := range ch.Groups {
		out.Groups = append(out.Groups, groups[g])
	}
	for _, m := range ch.Managers {
		if u, ok := h.desk.User(m); ok {
			out.Managers = append(out.Managers, u.Name)
		}
	}
	for _, p := range ch.Narrow {
		out.Narrow = append(out.Narrow, string(p))
	}
	if h.desk.CanManageChannel(c.User, ch.ID) == nil {
		out.Manages, out.SOSToken = true, ch.SOSToken
	}
	return out
}

func mode(m proto.FieldMode) string {
	if m == "" {
		return string(proto.FieldOff)
	}
	return string(m)
}

// apply sets the fields of s on ch and names the ones that changed. Only
// a manager of every channel may change managers or the default channel.
func (h *handler) apply(ctx context.Context, c *caller, ch *store.Channel, s ChannelSettings) ([]string, error) {
	var changes []string
	note := func(field string, differs bool) {
		if differs {
			changes = append(changes, field)
		}
	}
	if s.Description != nil {
		d := strings.TrimSpace(proto.CleanText(*s.Description))
		if len(d) > maxDescription {
			return nil, bad("A description has at most %d characters.", maxDescription)
		}
		note("description", d != ch.Description)
		ch.Description = d
	}
	if s.Groups != nil {
		ids, err := h.groupIDs(ctx, *s.Groups)
		if err != nil {
			return nil, err
		}
		note("groups", !slices.Equal(ids, ch.Groups))
		ch.Groups = ids
	}
	if s.Managers != nil {
		ids, err := h.userIDs(ctx, *s.Managers)
		if err != nil {
			return nil, err
		}
		note("managers", !slices.Equal(ids, ch.Managers))
		ch.Managers = ids
	}
	if s.Default != nil {
		note("default", *s.Default != ch.Default)
		ch.Default = *s.Default
	}
	if (slices.Contains(changes, "managers") || slices.Contains(changes, "default")) && ch.ID != 0 && !desk.AllChannels(c.User) {
		return nil, h.refuse(ctx, c, proto.Errorf(proto.ErrForbidden, "Only a technician manager may change a channel's managers or the default channel."))
	}
	if s.LinkTTL != nil {
		d, err := parseDuration("A link lifetime (link_ttl)", *s.LinkTTL)
		if err != nil {
			return nil, err
		}
		if d != 0 && d < time.Minute {
			return nil, bad("A link lifetime (link_ttl) is at least 1m, or 0s for the relay's default.")
		}
		note("link_ttl", d != ch.LinkTTL)
		ch.LinkTTL = d
	}
	if s.SLA != nil {
		d, err := parseDuration("The SLA (sla)", *s.SLA)
		if err != nil {
			return nil, err
		}
		note("sla", d != ch.SLA)
		ch.SLA = d
	}
	if s.SOSCall != nil {
		note("sos_call", *s.SOSCall != ch.SOSCall)
		ch.SOSCall = *s.SOSCall
		if ch.SOSCall && ch.SOSToken == "" {
			ch.SOSToken, _ = token.New()
		}
	}
	if s.Form != nil {
		f := proto.IntakeForm{Name: proto.FieldMode(s.Form.Name), Problem: proto.FieldMode(s.Form.Problem),
			Category: proto.FieldMode(s.Form.Category), Priority: proto.FieldMode(s.Form.Priority)}
		for _, m := range []proto.FieldMode{f.Name, f.Problem, f.Category, f.Priority} {
			if !m.Valid() {
				return nil, bad("A form field is off, optional or required, not %q.", m)
			}
		}
		note("form", f != ch.Form)
		ch.Form = f
	}
	if s.Assign != nil {
		a := proto.AutoAssign(*s.Assign)
		if !a.Valid() {
			return nil, bad("Auto-assign is off, least-busy or round-robin, not %q.", a)
		}
		if a == "" {
			a = proto.AssignOff
		}
		note("assign", a != ch.Assign)
		ch.Assign = a
	}
	if s.Fallback != nil {
		var id int64
		if n := strings.TrimSpace(*s.Fallback); n != "" {
			fb, ok := h.desk.ChannelByName(n)
			if !ok {
				return nil, bad("There is no channel %q to fall back to.", n)
			}
			if fb.ID == ch.ID || strings.EqualFold(fb.Name, ch.Name) {
				return nil, bad("A channel cannot fall back to itself.")
			}
			id = fb.ID
		}
		note("fallback", id != ch.FallbackID)
		ch.FallbackID = id
	}
	if s.Narrow != nil {
		var ps []proto.Permission
		for _, n := range *s.Narrow {
			p := proto.Permission(n)
			if !p.InSession() {
				return nil, bad("A channel can withhold only in-session permissions (view, control, clipboard, chat, screenshot), not %q.", n)
			}
			if !slices.Contains(ps, p) {
				ps = append(ps, p)
			}
		}
		slices.Sort(ps)
		note("narrow", !slices.Equal(ps, ch.Narrow))
		ch.Narrow = ps
	}
	return changes, nil
}

// groupIDs resolves group names (case does not matter) to sorted IDs.
func (h *handler) groupIDs(ctx context.Context, names []string) ([]int64, error) {
	gs, err := h.st.Groups(ctx)
	if err != nil {
		return nil, h.fail("read the groups", err)
	}
	var ids []int64
	for _, n := range names {
		i := slices.IndexFunc(gs, func(g store.Group) bool { return strings.EqualFold(g.Name, strings.TrimSpace(n)) })
		if i < 0 {
			return nil, bad("There is no group %q.", n)
		}
		ids = append(ids, gs[i].ID)
	}
	return sortedIDs(ids), nil
}

func sortedIDs(ids []int64) []int64 {
	slices.Sort(ids)
	return slices.Compact(ids)
}

// cleanName trims a name and drops its control characters.
func cleanName(s string) string { return strings.TrimSpace(proto.CleanText(s)) }

// parseDuration reads a Go duration ("15m", "24h"); "" is 0. what names
// the field in a sentence.
func parseDuration(what, s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d > maxDuration {
		return 0, bad("%s is a duration such as 15m or 24h, from 0s to 720h, not %q.", what, s)
	}
	return d, nil
}

// fmtDuration writes d as the shortest Go duration: 15m, 1h30m, 0s.
func fmtDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// storeErr turns a store error into an answer: a taken name is 409, an
// unknown row 404.
func (h *handler) storeErr(step, what, name string, err error) error {
	switch {
	case errors.Is(err, store.ErrExists):
		return newError(http.StatusConflict, fmt.Sprintf("There is already %s named %q.", what, name))
	case errors.Is(err, store.ErrNotFound):
		return newError(http.StatusNotFound, fmt.Sprintf("The relay could not %s: it changed meanwhile; read it again.", step))
	}
	return h.fail(step, err)
}
