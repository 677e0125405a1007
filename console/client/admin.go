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

	"github.com/relaydesk/relaydesk/pkg/adminapi"
	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/transport"
)

// The relay's HTTPS admin API (relay/api, /api/v1) as the console's
// History and Administration screens use it. The relay decides: every
// refusal comes back as an *AdminError carrying the relay's sentence.
// The JSON bodies are pkg/adminapi's, which the relay serves.

// AdminError is a 4xx or 5xx answer of the admin API.
type AdminError struct {
	Status int    // the HTTP status
	Text   string // the relay's sentence
}

func (e *AdminError) Error() string { return e.Text }

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
	ctype := ""
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		rd, ctype = bytes.NewReader(b), "application/json"
	}
	b, status, err := a.exchange(ctx, method, path, ctype, rd)
	if err != nil || out == nil || status == http.StatusNoContent {
		return err
	}
	return decodeAnswer(b, out, method+" "+path)
}

// decodeAnswer reads an answer's JSON into out.
func decodeAnswer(b []byte, out any, what string) error {
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("read the admin API's answer to %s: %w", what, err)
	}
	return nil
}

// exchange sends a request with a body of type ctype (nil: none) and
// returns the answer's body and status; a 3xx, 4xx or 5xx answer is an
// *AdminError with the relay's sentence.
func (a *Admin) exchange(ctx context.Context, method, path, ctype string, body io.Reader) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, body)
	if err != nil {
		return nil, 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Accept", "application/json")
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		var ue *url.Error // its text repeats the method and the whole address
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, 0, fmt.Errorf("admin API: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return nil, resp.StatusCode, adminError(resp)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20)) // a screenshot's PNG is the largest answer
	if err != nil {
		return nil, 0, fmt.Errorf("read the admin API's answer: %w", err)
	}
	return b, resp.StatusCode, nil
}

// adminError reads a 4xx or 5xx answer's sentence.
func adminError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
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
func (a *Admin) Permissions(ctx context.Context) (adminapi.Permissions, error) {
	return send[adminapi.Permissions](ctx, a, http.MethodGet, "/permissions", nil)
}

// Channels lists the channels.
func (a *Admin) Channels(ctx context.Context) ([]adminapi.Channel, error) {
	return list[adminapi.Channel](ctx, a, "/channels", "channels")
}

// CreateChannel creates the channel ch.Name.
func (a *Admin) CreateChannel(ctx context.Context, ch adminapi.ChannelCreate) (adminapi.Channel, error) {
	return send[adminapi.Channel](ctx, a, http.MethodPost, "/channels", ch)
}

// UpdateChannel changes the channel name.
func (a *Admin) UpdateChannel(ctx context.Context, name string, ch adminapi.ChannelPatch) (adminapi.Channel, error) {
	return send[adminapi.Channel](ctx, a, http.MethodPatch, "/channels/"+pathName(name), ch)
}

// DeleteChannel deletes the channel name.
func (a *Admin) DeleteChannel(ctx context.Context, name string) error {
	return a.do(ctx, http.MethodDelete, "/channels/"+pathName(name), nil, nil)
}

// ChannelRecording reads channel name's recording policy and retention.
func (a *Admin) ChannelRecording(ctx context.Context, name string) (adminapi.ChannelRecording, error) {
	return send[adminapi.ChannelRecording](ctx, a, http.MethodGet, "/channels/"+pathName(name)+"/recording", nil)
}

// SetChannelRecording sets channel name's recording policy and retention
// (who may manage the channel; the relay audits it).
func (a *Admin) SetChannelRecording(ctx context.Context, name string, rs adminapi.ChannelRecording) (adminapi.ChannelRecording, error) {
	return send[adminapi.ChannelRecording](ctx, a, http.MethodPut, "/channels/"+pathName(name)+"/recording", rs)
}

// Groups lists the groups.
func (a *Admin) Groups(ctx context.Context) ([]adminapi.Group, error) {
	return list[adminapi.Group](ctx, a, "/groups", "groups")
}

// CreateGroup creates the group g.Name.
func (a *Admin) CreateGroup(ctx context.Context, g adminapi.GroupCreate) (adminapi.Group, error) {
	return send[adminapi.Group](ctx, a, http.MethodPost, "/groups", g)
}

// UpdateGroup changes the group name.
func (a *Admin) UpdateGroup(ctx context.Context, name string, g adminapi.GroupPatch) (adminapi.Group, error) {
	return send[adminapi.Group](ctx, a, http.MethodPatch, "/groups/"+pathName(name), g)
}

// DeleteGroup deletes the group name.
func (a *Admin) DeleteGroup(ctx context.Context, name string) error {
	return a.do(ctx, http.MethodDelete, "/groups/"+pathName(name), nil, nil)
}

// Technicians lists the technicians (with technicians.manage also the
// disabled ones, limits and overrides).
func (a *Admin) Technicians(ctx context.Context) ([]adminapi.Technician, error) {
	return list[adminapi.Technician](ctx, a, "/technicians", "technicians")
}

// UpdateTechnician changes the technician name.
func (a *Admin) UpdateTechnician(ctx context.Context, name string, t adminapi.TechnicianPatch) (adminapi.Technician, error) {
	return send[adminapi.Technician](ctx, a, http.MethodPatch, "/technicians/"+pathName(name), t)
}

// ResetPassword gives the technician name a new password: password, or
// one the relay makes up when it is empty (returned once). signOut ends
// their sign-ins too.
func (a *Admin) ResetPassword(ctx context.Context, name, password string, signOut bool) (adminapi.PasswordReset, error) {
	body := adminapi.PasswordResetRequest{Password: password, SignOut: signOut}
	return send[adminapi.PasswordReset](ctx, a, http.MethodPost, "/technicians/"+pathName(name)+"/password", body)
}

// Settings returns the organisation's settings.
func (a *Admin) Settings(ctx context.Context) (adminapi.Settings, error) {
	return send[adminapi.Settings](ctx, a, http.MethodGet, "/settings", nil)
}

// UpdateSettings changes the organisation's settings.
func (a *Admin) UpdateSettings(ctx context.Context, s adminapi.SettingsPatch) (adminapi.Settings, error) {
	return send[adminapi.Settings](ctx, a, http.MethodPatch, "/settings", s)
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
