package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/relay/desk"
	"github.com/relaydesk/relaydesk/relay/limit"
	"github.com/relaydesk/relaydesk/relay/queue"
	"github.com/relaydesk/relaydesk/relay/store"
	"github.com/relaydesk/relaydesk/relay/token"
)

// fixture is the API on a real SQLite store, desk and queue: admin ada,
// technician manager tom, channel manager carla, technicians tina and
// theo in group mac, which serves channel "Mac support" that carla
// manages.
type fixture struct {
	t     *testing.T
	ctx   context.Context
	st    store.Store
	desk  *desk.Desk
	q     *queue.Manager
	h     *handler
	users map[string]store.User
	mac   store.Channel
	group store.Group
	// remote is the RemoteAddr of the requests do sends.
	remote string
	n      int
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newFixture(t *testing.T, bad limit.Rate) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "relay.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{t: t, ctx: ctx, st: st, users: map[string]store.User{}, remote: "192.0.2.1:40000"}
	for _, u := range []struct {
		name string
		role store.Role
	}{{"ada", store.RoleAdmin}, {"tom", store.RoleTechnicianManager}, {"carla", store.RoleChannelManager}, {"tina", store.RoleTechnician}, {"theo", store.RoleTechnician}} {
		f.user(u.name, u.role)
	}
	f.group = store.Group{Name: "mac", Members: []int64{f.users["tina"].ID, f.users["theo"].ID}}
	if err := st.CreateGroup(ctx, &f.group); err != nil {
		t.Fatal(err)
	}
	f.mac = store.Channel{Name: "Mac support", Groups: []int64{f.group.ID}, Managers: []int64{f.users["carla"].ID}}
	if err := st.CreateChannel(ctx, &f.mac); err != nil {
		t.Fatal(err)
	}
	if f.desk, err = desk.New(ctx, st, quiet()); err != nil {
		t.Fatal(err)
	}
	if f.q, err = queue.New(ctx, st, queue.Config{Desk: f.desk, Logger: quiet()}); err != nil {
		t.Fatal(err)
	}
	f.h = New(Config{Store: st, Desk: f.desk, Queue: f.q, Organisation: "Example Corp", BadTokens: bad, Logger: quiet(),
		Screenshots: filepath.Join(t.TempDir(), "screenshots")}).(*handler)
	return f
}

func (f *fixture) user(name string, role store.Role) store.User {
	f.t.Helper()
	u := store.User{Name: name, Role: role, PasswordHash: "x", CreatedAt: time.Now()}
	if err := f.st.CreateUser(f.ctx, &u); err != nil {
		f.t.Fatal(err)
	}
	f.users[name] = u
	return u
}

// apiToken creates an API token of role and returns its secret.
func (f *fixture) apiToken(role store.Role) string {
	f.t.Helper()
	f.n++
	tok, hash := token.New()
	if err := f.st.CreateAPIToken(f.ctx, &store.APIToken{Name: fmt.Sprintf("script%d", f.n), Role: role, Hash: hash, CreatedBy: "test"}); err != nil {
		f.t.Fatal(err)
	}
	return tok
}

// signIn creates a sign-in token of a user, as a console login does.
func (f *fixture) signIn(name string) string {
	f.t.Helper()
	tok, hash := token.New()
	if err := f.st.CreateToken(f.ctx, hash, f.users[name].ID, time.Now().Add(time.Hour)); err != nil {
		f.t.Fatal(err)
	}
	return tok
}

// reply is an answer.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("answer %d is not JSON: %v\n%s", r.status, err, r.body)
	}
}

// sentence is an error answer's sentence, checked to be in both fields.
func (r reply) sentence(t *testing.T) string {
	t.Helper()
	var e struct {
		Error  string `json:"error"`
		Detail string `json:"detail"`
		Status int    `json:"status"`
	}
	r.decode(t, &e)
	if e.Error == "" || e.Error != e.Detail || e.Status != r.status {
		t.Fatalf("error answer %d without its sentence: %s", r.status, r.body)
	}
	return e.Error
}

// do sends a request with tok as bearer ("": none) and body as JSON (nil: none).
func (f *fixture) do(method, path, tok string, body any) reply {
	f.t.Helper()
	auth := ""
	if tok != "" {
		auth = "Bearer " + tok
	}
	return f.doHeader(method, path, auth, body)
}

// doHeader sends a request with the Authorization header auth ("": none).
func (f *fixture) doHeader(method, path, auth string, body any) reply {
	f.t.Helper()
	var rd io.Reader
	ctype := "application/json"
	if raw, ok := body.([]byte); ok { // a screenshot's PNG
		rd, ctype = bytes.NewReader(raw), "image/png"
	} else if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, path, rd)
	req.RemoteAddr = f.remote
	if body != nil {
		req.Header.Set("Content-Type", ctype)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, req)
	return reply{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
}

// audits lists the audit events of kind.
func (f *fixture) audits(kind string) []store.AuditEvent {
	f.t.Helper()
	evs, err := f.st.AuditEvents(f.ctx, 0, 10000)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []store.AuditEvent
	for _, e := range evs {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// channel creates a channel in the store (the API's desk reads it on the
// next request) and returns its name.
func (f *fixture) channel(managers ...string) string {
	f.t.Helper()
	f.n++
	ch := store.Channel{Name: fmt.Sprintf("chan%d", f.n), Groups: []int64{f.group.ID}}
	for _, m := range managers {
		ch.Managers = append(ch.Managers, f.users[m].ID)
	}
	slices.Sort(ch.Managers)
	if err := f.st.CreateChannel(f.ctx, &ch); err != nil {
		f.t.Fatal(err)
	}
	return ch.Name
}

func (f *fixture) groupNamed() string {
	f.t.Helper()
	f.n++
	g := store.Group{Name: fmt.Sprintf("group%d", f.n)}
	if err := f.st.CreateGroup(f.ctx, &g); err != nil {
		f.t.Fatal(err)
	}
	return g.Name
}
