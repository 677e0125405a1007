package api

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/limit"
	"github.com/relaydesk/relaydesk/relay/queue"
	"github.com/relaydesk/relaydesk/relay/store"
)

// session stores an ended session of channel ch (0: none) owned by
// owner, with the given participants.
func (f *fixture) session(id string, ch int64, owner string, at time.Time, participants ...string) {
	f.t.Helper()
	s := store.Session{ID: id, Kind: proto.KindLink, Status: proto.StatusClosed, OwnerID: f.users[owner].ID, ChannelID: ch,
		CustomerName: "Ann", CreatedAt: at, StartedAt: at, EndedAt: at.Add(time.Minute), EndedBy: owner}
	if err := f.st.CreateSession(f.ctx, &s, store.StatusEvent{SessionID: id, At: at, Status: proto.StatusClosed, Actor: owner}); err != nil {
		f.t.Fatal(err)
	}
	for _, p := range participants {
		if err := f.st.Attach(f.ctx, id, f.users[p].ID, at); err != nil {
			f.t.Fatal(err)
		}
	}
}

// history pages through GET /sessions/history with query q and returns
// the IDs, newest first.
func (f *fixture) history(tok string, q url.Values) []string {
	f.t.Helper()
	var out []string
	for range 100 {
		r := f.do(http.MethodGet, "/api/v1/sessions/history?"+q.Encode(), tok, nil)
		if r.status != http.StatusOK {
			f.t.Fatalf("history %s: %d %s", q.Encode(), r.status, r.body)
		}
		var p proto.HistoryPage
		r.decode(f.t, &p)
		for _, s := range p.Sessions {
			out = append(out, s.ID)
		}
		if p.Next == "" {
			return out
		}
		q.Set("cursor", p.Next)
	}
	f.t.Fatal("the history does not end")
	return nil
}

// The history through the API shows what the protocol's history shows:
// a channel manager their channel's closed sessions, a technician only
// theirs, a manager of every channel all; an API token of a lower role
// nothing (it owns, serves and manages nothing).
func TestHistoryVisibilityMatchesTheProtocol(t *testing.T) {
	f := newFixture(t, limit.Rate{N: -1})
	fin := store.Channel{Name: "Finance", Managers: []int64{f.users["tom"].ID}}
	if err := f.st.CreateChannel(f.ctx, &fin); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	f.session("mac-tina", f.mac.ID, "tina", t0)
	f.session("mac-theo", f.mac.ID, "theo", t0.Add(time.Hour))
	f.session("mac-shared", f.mac.ID, "theo", t0.Add(2*time.Hour), "tina")
	f.session("theo-own", 0, "theo", t0.Add(3*time.Hour))
	f.session("finance", fin.ID, "theo", t0.Add(4*time.Hour))
	if err := f.desk.Reload(f.ctx); err != nil {
		t.Fatal(err)
	}

	all := []string{"finance", "theo-own", "mac-shared", "mac-theo", "mac-tina"}
	for _, c := range []struct {
		who  string // a user, or a role for an API token
		api  bool
		want []string
	}{
		{"tina", false, []string{"mac-shared", "mac-tina"}},
		{"theo", false, []string{"finance", "theo-own", "mac-shared", "mac-theo"}},
		{"carla", false, []string{"mac-shared", "mac-theo", "mac-tina"}},
		{"tom", false, all},
		{"ada", false, all},
		{string(store.RoleTechnicianManager), true, all},
		{string(store.RoleChannelManager), true, nil},
		{string(store.RoleTechnician), true, nil},
	} {
		tok, u := "", store.User{}
		if c.api {
			tok, u = f.apiToken(store.Role(c.who)), store.User{Name: "api:x", Role: store.Role(c.who)}
		} else {
			tok, u = f.signIn(c.who), f.users[c.who]
		}
		got := f.history(tok, url.Values{"limit": {"2"}})
		if !slices.Equal(got, c.want) {
			t.Errorf("%s (api %v) sees %v through the API, want %v", c.who, c.api, got, c.want)
		}
		// The protocol's History for the same user gives the same.
		page, err := f.q.History(f.ctx, &queue.Tech{User: u, IP: "192.0.2.1"}, proto.HistoryRequest{Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		var viaProto []string
		for _, s := range page.Sessions {
			viaProto = append(viaProto, s.ID)
		}
		if !slices.Equal(got, viaProto) {
			t.Errorf("%s: the API shows %v, the protocol %v", c.who, got, viaProto)
		}
	}

	// Filters are the protocol's.
	carla := f.signIn("carla")
	if got := f.history(carla, url.Values{"technician": {"tina"}}); !slices.Equal(got, []string{"mac-shared", "mac-tina"}) {
		t.Errorf("carla's search for tina: %v", got)
	}
	if got := f.history(f.signIn("tom"), url.Values{"channel": {"finance"}, "status": {"Closed,Expired"}}); !slices.Equal(got, []string{"finance"}) {
		t.Errorf("tom's search in Finance: %v", got)
	}
	if got := f.history(f.signIn("tom"), url.Values{"since": {t0.Add(90 * time.Minute).Format(time.RFC3339)}, "until": {t0.Add(3 * time.Hour).Format(time.RFC3339)}}); !slices.Equal(got, []string{"mac-shared"}) {
		t.Errorf("tom's search by time: %v", got)
	}
	for _, q := range []string{"status=Gone", "channel=Nowhere", "cursor=garbage!"} {
		if r := f.do(http.MethodGet, "/api/v1/sessions/history?"+q, carla, nil); r.status != http.StatusBadRequest || r.sentence(t) == "" {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
	if r := f.do(http.MethodGet, "/api/v1/sessions/history?limit=500", carla, nil); r.status != http.StatusUnprocessableEntity {
		t.Errorf("limit 500: %d %s", r.status, r.body)
	}

	// Details follow the same rule: a session one may not see is unknown.
	tina := f.signIn("tina")
	if r := f.do(http.MethodGet, "/api/v1/sessions/mac-theo", tina, nil); r.status != http.StatusNotFound {
		t.Errorf("tina reads theo's session: %d %s", r.status, r.body)
	}
	var d proto.SessionDetails
	r := f.do(http.MethodGet, "/api/v1/sessions/mac-theo", carla, nil)
	r.decode(t, &d)
	if r.status != http.StatusOK || d.Session.ID != "mac-theo" || d.Session.Owner != "theo" || len(d.History) != 1 {
		t.Errorf("carla reads theo's session: %d %s", r.status, r.body)
	}
}

// GET /sessions lists the live sessions the caller sees, as the queue does.
func TestLiveSessions(t *testing.T) {
	f := newFixture(t, limit.Rate{N: -1})
	carla := &queue.Tech{User: f.users["carla"], IP: "192.0.2.1"}
	lc, err := f.q.CreateLink(f.ctx, carla, proto.LinkCreate{CustomerName: "Ann", Channel: "Mac support"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		tok  string
		want int
	}{
		{f.signIn("tina"), 1}, {f.signIn("carla"), 1}, {f.signIn("tom"), 1},
		{f.apiToken(store.RoleAdmin), 1}, {f.apiToken(store.RoleTechnician), 0}, {f.apiToken(store.RoleChannelManager), 0},
	} {
		var out struct {
			Sessions []proto.SessionInfo `json:"sessions"`
		}
		r := f.do(http.MethodGet, "/api/v1/sessions", c.tok, nil)
		r.decode(t, &out)
		if r.status != http.StatusOK || len(out.Sessions) != c.want || (c.want == 1 && out.Sessions[0].ID != lc.SessionID) {
			t.Errorf("%d %s, want %d sessions", r.status, r.body, c.want)
		}
	}
}
