package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/transport"
)

// The relay's HTTPS admin API (relay/api, /api/v1) as the console's
// History and Administration screens use it. The relay decides: every
// refusal comes back as an *AdminError carrying the relay's sentence.
// The JSON shapes below mirror the API's documented ones
// (GET /api/v1/openapi.json).

// AdminError is a 4xx or 5xx answer of the admin API.
type AdminError struct {
	Status int    // the HTTP status
	Text   string // the relay's sentence
}

func (e *AdminError) Error() string { return e.Text }

// AdminCaller is who the relay says the token belongs to and what they may do.
type AdminCaller struct {
	Name        string   `json:"name"`
	Role        string   `json:"role"`
	Permissions []string `json:"permissions"`
}

// Can reports whether the relay listed p among the caller's permissions.
func (c AdminCaller) Can(p proto.Permission) bool {
	for _, s := range c.Permissions {
		if s == string(p) {
			return true
		}
	}
	return false
}

// PermissionRow is one row of the relay's permission table.
type PermissionRow struct {
	Name  string   `json:"name"`
	Doc   string   `json:"doc"`
	Roles []string `json:"roles"`
}

// AdminPermissions is GET /permissions: the table and the caller.
type AdminPermissions struct {
	Table []PermissionRow `json:"table"`
	You   AdminCaller     `json:"you"`
}

// IntakeForm says which fields a channel's SOS Call asks: off, optional
// or required each.
type IntakeForm struct {
	Name     string `json:"name,omitempty"`
	Problem  string `json:"problem,omitempty"`
	Category string `json:"category,omitempty"`
	Priority string `json:"priority,omitempty"`
}

// Channel is a channel's configuration as the admin API shows it.
type Channel struct {
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Groups      []string   `json:"groups"`
	Managers    []string   `json:"managers"`
	Default     bool       `json:"default"`
	LinkTTL     string     `json:"link_ttl"`
	SOSCall     bool       `json:"sos_call"`
	SOSToken    string     `json:"sos_token,omitempty"`
	Form        IntakeForm `json:"form"`
	Assign      string     `json:"assign"`
	SLA         string     `json:"sla"`
	Fallback    string     `json:"fallback,omitempty"`
	Narrow      []string   `json:"narrow"`
	Manages     bool       `json:"manages"`
	CreatedAt   time.Time  `json:"created_at"`
}

// ChannelChange is what a create or change sends; a nil field is left as
// it is. Name renames on a change and names the new channel on a create.
type ChannelChange struct {
	Name        *string     `json:"name,omitempty"`
	Description *string     `json:"description,omitempty"`
	Groups      *[]string   `json:"groups,omitempty"`
	Managers    *[]string   `json:"managers,omitempty"`
	Default     *bool       `json:"default,omitempty"`
	LinkTTL     *string     `json:"link_ttl,omitempty"`
	SOSCall     *bool       `json:"sos_call,omitempty"`
	Form        *IntakeForm `json:"form,omitempty"`
	Assign      *string     `json:"assign,omitempty"`
	SLA         *string     `json:"sla,omitempty"`
	Fallback    *string     `json:"fallback,omitempty"`
	Narrow      *[]string   `json:"narrow,omitempty"`
}

// Group is a group of technicians.
type Group struct {
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Members     []string  `json:"members"`
	Channels    []string  `json:"channels"`
	CreatedAt   time.Time `json:"created_at"`
}

// GroupChange is what a create or change of a group sends.
type GroupChange struct {
	Name        *string   `json:"name,omitempty"`
	Description *string   `json:"description,omitempty"`
	Members     *[]string `json:"members,omitempty"`
}

// Override grants (Allow) or denies one permission whatever the role says.
type Override struct {
	Permission string `json:"permission"`
	Allow      bool   `json:"allow"`
}

// Technician is a technician's account as the admin API shows it.
type Technician struct {
	Name         string     `json:"name"`
	Role         string     `json:"role"`
	Disabled     bool       `json:"disabled"`
	Availability string     `json:"availability"`
	Online       bool       `json:"online"`
	Sessions     int        `json:"sessions"`
	Languages    []string   `json:"languages"`
	MaxSessions  int        `json:"max_sessions,omitempty"`
	Overrides    []Override `json:"overrides,omitempty"`
}

// ProfileChange changes a technician's languages and session limit.
type ProfileChange struct {
	Languages   *[]string `json:"languages,omitempty"`
	MaxSessions *int      `json:"max_sessions,omitempty"`
}

// TechnicianChange is what a change of a technician sends.
type TechnicianChange struct {
	Role      *string        `json:"role,omitempty"`
	Disabled  *bool          `json:"disabled,omitempty"`
	Profile   *ProfileChange `json:"profile,omitempty"`
	Overrides *[]Override    `json:"overrides,omitempty"`
}

// PasswordReset is the answer to a password reset: the new password when
// the relay made it up, and whether the technician's sign-ins ended.
type PasswordReset struct {
	Password  string `json:"password,omitempty"`
	SignedOut int    `json:"signed_out"`
}

// Settings are the organisation's settings.
type Settings struct {
	Organisation string   `json:"organisation"`
	Categories   []string `json:"categories"`
	Priorities   []string `json:"priorities"`
}

// SettingsChange is what a change of the settings sends.
type SettingsChange struct {
	Organisation *string   `json:"organisation,omitempty"`
	Categories   *[]string `json:"categories,omitempty"`
	Priorities   *[]string `json:"priorities,omitempty"`
}

// Admin talks to the relay's admin API over HTTPS on the relay's port,
// trusting exactly the relay key the console pinned, with the sign-in
// token as Bearer.
type Admin struct {
	base  string
	token string
	hc    *http.Client
}

// NewAdmin returns the admin API client for a sign-in.
func NewAdmin(l Login) (*Admin, error) {
	conf, err := transport.ClientTLS(l.Fingerprint)
	if err != nil {
		return nil, fmt.Errorf("admin API: %w", err)
	}
	// Same pin check as the control connection; HTTP/1.1 instead of the
	// control protocol's ALPN, and TLS 1.2 as the relay's HTTPS allows.
	conf.NextProtos = []string{"http/1.1"}
	tr := &http.Transport{TLSClientConfig: conf, ForceAttemptHTTP2: false, MaxIdleConnsPerHost: 2,
		IdleConnTimeout: 30 * time.Second, TLSHandshakeTimeout: 10 * time.Second}
	// The API never redirects; a redirect is not followed with the token.
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Admin{base: "https://" + l.Relay + "/api/v1", token: l.Token, hc: &http.Client{Transport: tr, CheckRedirect: noRedirect}}, nil
}

// Close drops the idle connections.
func (a *Admin) Close() { a.hc.CloseIdleConnections() }

// do sends body (nil: none) and decodes the answer into out (nil: none).
func (a *Admin) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		var ue *url.Error // its text repeats the method and the whole address
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("admin API: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("read the admin API's answer: %w", err)
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error  string `json:"error"`
			Detail string `json:"detail"`
		}
		text := fmt.Sprintf("The relay answered %s.", resp.Status)
		if json.Unmarshal(b, &e) == nil && (e.Error != "" || e.Detail != "") {
			text = e.Error
			if text == "" {
				text = e.Detail
			}
		}
		return &AdminError{Status: resp.StatusCode, Text: text}
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("read the admin API's answer to %s %s: %w", method, path, err)
	}
	return nil
}

// send makes one request and decodes its answer.
func send[T any](ctx context.Context, a *Admin, method, path string, body any) (T, error) {
	var out T
	err := a.do(ctx, method, path, body, &out)
	return out, err
}

// list reads a list the API answers as {"key": [...]}.
func list[T any](ctx context.Context, a *Admin, path, key string) ([]T, error) {
	out, err := send[map[string][]T](ctx, a, http.MethodGet, path, nil)
	return out[key], err
}

func pathName(name string) string { return url.PathEscape(strings.TrimSpace(name)) }

// Permissions returns the permission table and what the caller may do.
func (a *Admin) Permissions(ctx context.Context) (AdminPermissions, error) {
	return send[AdminPermissions](ctx, a, http.MethodGet, "/permissions", nil)
}

// Channels lists the channels.
func (a *Admin) Channels(ctx context.Context) ([]Channel, error) {
	return list[Channel](ctx, a, "/channels", "channels")
}

// CreateChannel creates a channel named by ch.Name.
func (a *Admin) CreateChannel(ctx context.Context, ch ChannelChange) (Channel, error) {
	return send[Channel](ctx, a, http.MethodPost, "/channels", ch)
}

// UpdateChannel changes the channel name.
func (a *Admin) UpdateChannel(ctx context.Context, name string, ch ChannelChange) (Channel, error) {
	return send[Channel](ctx, a, http.MethodPatch, "/channels/"+pathName(name), ch)
}

// DeleteChannel deletes the channel name.
func (a *Admin) DeleteChannel(ctx context.Context, name string) error {
	return a.do(ctx, http.MethodDelete, "/channels/"+pathName(name), nil, nil)
}

// Groups lists the groups.
func (a *Admin) Groups(ctx context.Context) ([]Group, error) {
	return list[Group](ctx, a, "/groups", "groups")
}

// CreateGroup creates a group named by g.Name.
func (a *Admin) CreateGroup(ctx context.Context, g GroupChange) (Group, error) {
	return send[Group](ctx, a, http.MethodPost, "/groups", g)
}

// UpdateGroup changes the group name.
func (a *Admin) UpdateGroup(ctx context.Context, name string, g GroupChange) (Group, error) {
	return send[Group](ctx, a, http.MethodPatch, "/groups/"+pathName(name), g)
}

// DeleteGroup deletes the group name.
func (a *Admin) DeleteGroup(ctx context.Context, name string) error {
	return a.do(ctx, http.MethodDelete, "/groups/"+pathName(name), nil, nil)
}

// Technicians lists the technicians (with technicians.manage also the
// disabled ones, limits and overrides).
func (a *Admin) Technicians(ctx context.Context) ([]Technician, error) {
	return list[Technician](ctx, a, "/technicians", "technicians")
}

// UpdateTechnician changes the technician name.
func (a *Admin) UpdateTechnician(ctx context.Context, name string, t TechnicianChange) (Technician, error) {
	return send[Technician](ctx, a, http.MethodPatch, "/technicians/"+pathName(name), t)
}

// ResetPassword gives the technician name a new password: password, or
// one the relay makes up when it is empty (returned once). signOut ends
// their sign-ins too.
func (a *Admin) ResetPassword(ctx context.Context, name, password string, signOut bool) (PasswordReset, error) {
	body := struct {
		Password string `json:"password,omitempty"`
		SignOut  bool   `json:"sign_out"`
	}{password, signOut}
	return send[PasswordReset](ctx, a, http.MethodPost, "/technicians/"+pathName(name)+"/password", body)
}

// Settings returns the organisation's settings.
func (a *Admin) Settings(ctx context.Context) (Settings, error) {
	return send[Settings](ctx, a, http.MethodGet, "/settings", nil)
}

// UpdateSettings changes the organisation's settings.
func (a *Admin) UpdateSettings(ctx context.Context, s SettingsChange) (Settings, error) {
	return send[Settings](ctx, a, http.MethodPatch, "/settings", s)
}

// History searches the sessions the caller may see, one page at a time
// (req.Cursor: the previous page's Next).
func (a *Admin) History(ctx context.Context, req proto.HistoryRequest) (proto.HistoryPage, error) {
	q := url.Values{}
	set := func(k, v string) {
		if v = strings.TrimSpace(v); v != "" {
			q.Set(k, v)
		}
	}
	set("channel", req.Channel)
	set("technician", req.Technician)
	set("customer", req.Customer)
	set("hostname", req.Hostname)
	set("category", req.Category)
	set("priority", req.Priority)
	set("cursor", req.Cursor)
	var st []string
	for _, s := range req.Statuses {
		st = append(st, string(s))
	}
	set("status", strings.Join(st, ","))
	if req.MinRating > 0 {
		q.Set("min_rating", strconv.Itoa(req.MinRating))
	}
	if req.Limit > 0 {
		q.Set("limit", strconv.Itoa(req.Limit))
	}
	if !req.Since.IsZero() {
		q.Set("since", req.Since.UTC().Format(time.RFC3339))
	}
	if !req.Until.IsZero() {
		q.Set("until", req.Until.UTC().Format(time.RFC3339))
	}
	path := "/sessions/history"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return send[proto.HistoryPage](ctx, a, http.MethodGet, path, nil)
}

// SessionDetails returns a session with its notes, chat and history.
func (a *Admin) SessionDetails(ctx context.Context, id string) (proto.SessionDetails, error) {
	return send[proto.SessionDetails](ctx, a, http.MethodGet, "/sessions/"+pathName(id), nil)
}
