package api

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

type sessionsOutput struct {
	Body struct {
		Sessions []proto.SessionInfo `json:"sessions"`
	}
}

// historyInput mirrors proto.HistoryRequest as query parameters.
type historyInput struct {
	Channel    string    `query:"channel" doc:"Only sessions of this channel, by name."`
	Technician string    `query:"technician" doc:"Only sessions this technician owned or took part in, by name."`
	Customer   string    `query:"customer" doc:"Part of the end user's name."`
	Hostname   string    `query:"hostname" doc:"Part of the device's host name."`
	Status     []string  `query:"status" doc:"Statuses, comma-separated: Waiting, Ready, Active, Closed, Expired."`
	Category   string    `query:"category"`
	Priority   string    `query:"priority"`
	MinRating  int       `query:"min_rating" minimum:"0" maximum:"5" doc:"At least this many stars."`
	Since      time.Time `query:"since" doc:"Created at or after this time (RFC 3339)."`
	Until      time.Time `query:"until" doc:"Created before this time (RFC 3339)."`
	Cursor     string    `query:"cursor" doc:"The next of the previous page."`
	Limit      int       `query:"limit" minimum:"0" maximum:"200" doc:"Sessions per page; 0: 50."`
}

type historyOutput struct{ Body proto.HistoryPage }

type detailsOutput struct{ Body proto.SessionDetails }

var statuses = []proto.Status{proto.StatusWaiting, proto.StatusReady, proto.StatusActive, proto.StatusClosed, proto.StatusExpired}

func (h *handler) sessionRoutes() {
	register(h, opts{id: "list-live-sessions", method: http.MethodGet, path: "/sessions", tag: "sessions",
		summary: "The live sessions the caller sees (the queue; managers: every session of their channels)"},
		func(ctx context.Context, _ *struct{}) (*sessionsOutput, error) {
			out := &sessionsOutput{}
			out.Body.Sessions = h.q.Live(from(ctx).User)
			return out, nil
		})
	register(h, opts{id: "search-history", method: http.MethodGet, path: "/sessions/history", tag: "sessions",
		summary: "Search the sessions the caller may see, live or ended, newest first", errs: []int{http.StatusBadRequest}},
		func(ctx context.Context, in *historyInput) (*historyOutput, error) {
			req := proto.HistoryRequest{
				Channel: in.Channel, Technician: in.Technician, Customer: in.Customer, Hostname: in.Hostname,
				Category: in.Category, Priority: in.Priority, MinRating: in.MinRating, Since: in.Since, Until: in.Until,
				Cursor: in.Cursor, Limit: in.Limit,
			}
			for _, s := range in.Status {
				i := slices.IndexFunc(statuses, func(st proto.Status) bool { return strings.EqualFold(string(st), strings.TrimSpace(s)) })
				if i < 0 {
					return nil, bad("There is no status %q; the statuses are Waiting, Ready, Active, Closed and Expired.", s)
				}
				req.Statuses = append(req.Statuses, statuses[i])
			}
			page, err := h.q.History(ctx, from(ctx).tech(), req)
			if err != nil {
				return nil, h.fail("search the history", err)
			}
			if page.Sessions == nil {
				page.Sessions = []proto.SessionInfo{}
			}
			return &historyOutput{Body: page}, nil
		})
	register(h, opts{id: "get-session", method: http.MethodGet, path: "/sessions/{id}", tag: "sessions",
		summary: "A session with its status history, and with transcripts.read its chat and notes", errs: []int{http.StatusNotFound}},
		func(ctx context.Context, in *struct {
			ID string `path:"id" maxLength:"64"`
		}) (*detailsOutput, error) {
			d, err := h.q.Details(ctx, from(ctx).tech(), in.ID)
			if err != nil {
				return nil, h.fail("read the session", err)
			}
			return &detailsOutput{Body: d}, nil
		})
}
