package api

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/store"
)

type settingsOutput struct{ Body Settings }

type auditInput struct {
	Since time.Time `query:"since" doc:"Only events at or after this time (RFC 3339)."`
	After int64     `query:"after" minimum:"0" doc:"Only events with a greater ID: the next of the previous page."`
	Limit int       `query:"limit" minimum:"0" maximum:"1000" doc:"Events per page; 0: 100."`
}

type auditOutput struct {
	Body struct {
		Events []AuditEvent `json:"events"`
		Next   int64        `json:"next,omitempty" doc:"Pass as after= for the next page; absent on the last page."`
	}
}

func (h *handler) settingsRoutes() {
	register(h, opts{id: "get-settings", method: http.MethodGet, path: "/settings", tag: "settings", summary: "The organisation's settings"},
		func(ctx context.Context, _ *struct{}) (*settingsOutput, error) {
			s, err := h.settings(ctx)
			if err != nil {
				return nil, err
			}
			return &settingsOutput{Body: s}, nil
		})
	register(h, opts{id: "update-settings", method: http.MethodPatch, path: "/settings", tag: "settings",
		summary: "Change the organisation's settings", perm: proto.PermManageSettings, errs: []int{http.StatusBadRequest}},
		func(ctx context.Context, in *struct{ Body SettingsPatch }) (*settingsOutput, error) {
			c := from(ctx)
			cur, err := h.settings(ctx)
			if err != nil {
				return nil, err
			}
			type write struct{ key, value string }
			var writes []write
			var changes []string
			if in.Body.Organisation != nil {
				org := strings.TrimSpace(proto.CleanText(*in.Body.Organisation))
				if len(org) > 200 {
					return nil, bad("The organisation's name has at most 200 characters.")
				}
				if org != cur.Organisation {
					writes = append(writes, write{store.SettingOrganisation, org})
					changes = append(changes, "organisation")
				}
			}
			for _, l := range []struct {
				in   *[]string
				cur  []string
				key  string
				what string
			}{{in.Body.Categories, cur.Categories, store.SettingCategories, "categories"}, {in.Body.Priorities, cur.Priorities, store.SettingPriorities, "priorities"}} {
				if l.in == nil {
					continue
				}
				list, err := cleanList(*l.in, l.what)
				if err != nil {
					return nil, err
				}
				if slices.Equal(list, l.cur) {
					continue
				}
				b, _ := json.Marshal(list)
				writes = append(writes, write{l.key, string(b)})
				changes = append(changes, l.what)
			}
			for _, w := range writes {
				if err := h.st.SetSetting(ctx, w.key, w.value); err != nil {
					return nil, h.fail("change the settings", err)
				}
			}
			if len(changes) > 0 {
				h.changed(ctx, c, "api.settings.updated", map[string]string{"changes": strings.Join(changes, ", ")})
			}
			s, err := h.settings(ctx)
			if err != nil {
				return nil, err
			}
			return &settingsOutput{Body: s}, nil
		})
}

// settings reads the settings: the organisation from the store (or the
// relay's configured name), the lists as the desk has them.
func (h *handler) settings(ctx context.Context) (Settings, error) {
	org, err := h.st.Setting(ctx, store.SettingOrganisation)
	if err != nil {
		return Settings{}, h.fail("read the settings", err)
	}
	if org == "" {
		org = h.cfg.Organisation
	}
	return Settings{Organisation: org, Categories: h.desk.Categories(), Priorities: h.desk.Priorities()}, nil
}

// cleanList checks a list of categories or priorities: names of 1 to
// proto.MaxField characters, each once.
func cleanList(in []string, what string) ([]string, error) {
	out := []string{}
	for _, s := range in {
		s = strings.TrimSpace(proto.CleanText(s))
		switch {
		case s == "" || len(s) > proto.MaxField:
			return nil, bad("Each of the %s has 1 to %d characters.", what, proto.MaxField)
		case slices.Contains(out, s):
			return nil, bad("%q is twice in the %s.", s, what)
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, bad("The %s cannot be empty.", what)
	}
	return out, nil
}

func (h *handler) auditRoutes() {
	register(h, opts{id: "read-audit", method: http.MethodGet, path: "/audit", tag: "audit",
		summary: "Read the audit trail, oldest first", perm: proto.PermReadAudit},
		func(ctx context.Context, in *auditInput) (*auditOutput, error) {
			limit := in.Limit
			if limit <= 0 {
				limit = 100
			}
			evs, err := h.st.AuditSince(ctx, in.Since, in.After, limit)
			if err != nil {
				return nil, h.fail("read the audit trail", err)
			}
			out := &auditOutput{}
			out.Body.Events = []AuditEvent{}
			for _, e := range evs {
				out.Body.Events = append(out.Body.Events, AuditEvent{ID: e.ID, At: e.At, Kind: e.Kind, Actor: e.Actor, Source: e.Source, SessionID: e.SessionID, Detail: e.Detail})
			}
			if len(evs) == limit {
				out.Body.Next = evs[len(evs)-1].ID
			}
			return out, nil
		})
}
