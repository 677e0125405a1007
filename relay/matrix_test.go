package relay_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/console/client"
	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/transport"
	"github.com/relaydesk/relaydesk/relay"
	"github.com/relaydesk/relaydesk/relay/auth"
	"github.com/relaydesk/relaydesk/relay/desk"
	"github.com/relaydesk/relaydesk/relay/limit"
	"github.com/relaydesk/relaydesk/relay/store"
)

// matrix is a running relay with one user per role (the subjects), a
// technician olga who owns sessions in channel Desk, which the subjects
// serve too (so they see its waiting requests, and a refusal there is the
// permission's, not the visibility's), her colleague cole (in the
// subjects' groups) and otto (in no group), each signed in.
type matrix struct {
	t      *testing.T
	ctx    context.Context
	r      *relay.Relay
	conns  map[string]*client.Conn
	events map[string]chan proto.Envelope
}

const matrixPassword = "correct horse battery"

func newMatrix(t *testing.T) *matrix {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	cfg := loopbackConfig(t)
	cfg.Queue.ConsentTimeout = 10 * time.Second
	cfg.Limits.Registrations = limit.Rate{N: -1} // every app of the test comes from 127.0.0.1
	r, err := relay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	st := r.Store()
	hash, err := auth.HashPasswordParams(matrixPassword, auth.Params{Time: 1, Memory: 8 << 10, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, u := range []struct {
		name string
		role store.Role
	}{
		{"ada", store.RoleAdmin}, {"tom", store.RoleTechnicianManager}, {"carla", store.RoleChannelManager},
		{"tina", store.RoleTechnician}, {"olga", store.RoleTechnician}, {"cole", store.RoleTechnician}, {"otto", store.RoleTechnician},
	} {
		su := store.User{Name: u.name, Role: u.role, PasswordHash: hash, CreatedAt: time.Now()}
		if err := st.CreateUser(ctx, &su); err != nil {
			t.Fatal(err)
		}
		ids[u.name] = su.ID
	}
	everyone := store.Group{Name: "everyone", Members: []int64{ids["ada"], ids["tom"], ids["carla"], ids["tina"], ids["cole"]}}
	deskers := store.Group{Name: "deskers", Members: []int64{ids["olga"], ids["cole"], ids["ada"], ids["tom"], ids["carla"], ids["tina"]}}
	for _, g := range []*store.Group{&everyone, &deskers} {
		if err := st.CreateGroup(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	ch := store.Channel{Name: "Desk", Groups: []int64{deskers.ID}, Managers: []int64{ids["carla"]}}
	if err := st.CreateChannel(ctx, &ch); err != nil {
		t.Fatal(err)
	}
	run := make(chan error, 1)
	go func() { run <- r.Run(context.Background()) }()
	t.Cleanup(func() {
		sctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		r.Shutdown(sctx)
		<-run
	})
	time.Sleep(1500 * time.Millisecond) // the desk rereads the store on the next sweep
	m := &matrix{t: t, ctx: ctx, r: r, conns: map[string]*client.Conn{}, events: map[string]chan proto.Envelope{}}
	for name := range ids {
		ev := make(chan proto.Envelope, 256)
		c, err := client.Dial(ctx, r.Addr().String(), r.Fingerprint(), func(e proto.Envelope) {
			select {
			case ev <- e:
			default:
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		if _, err := c.Login(ctx, name, matrixPassword); err != nil {
			t.Fatalf("sign in %s: %v", name, err)
		}
		if _, err := c.Subscribe(ctx, false); err != nil {
			t.Fatal(err)
		}
		m.conns[name], m.events[name] = c, ev
	}
	return m
}

// app is an SOS app that allows every request to connect.
func (m *matrix) app(reg proto.AgentRegister) proto.AgentRegistered {
	m.t.Helper()
	conn, st, err := transport.Dial(m.ctx, m.r.Addr().String(), m.r.Fingerprint())
	if err != nil {
		m.t.Fatal(err)
	}
	p := transport.PeerOn(conn, st)
	go p.Run(context.Background(), func(env proto.Envelope) {
		if env.Type == proto.TypeConsentRequest {
			p.Reply(env.ID, proto.TypeConsentAnswer, &proto.ConsentAnswer{Allow: true})
		}
	})
	m.t.Cleanup(p.Close)
	if err := p.Call(m.ctx, proto.TypeHello, &proto.Hello{Version: proto.Version, Role: proto.RoleAgent}, proto.TypeWelcome, nil); err != nil {
		m.t.Fatal(err)
	}
	reg.Device.OS, reg.Device.Hostname = "linux", "pc-1"
	var out proto.AgentRegistered
	if err := p.Call(m.ctx, proto.TypeAgentRegister, &reg, proto.TypeAgentRegistered, &out); err != nil {
		m.t.Fatal(err)
	}
	return out
}

// active is an Active session owned by owner: by code, in no channel, or
// picked up in channel Desk.
func (m *matrix) active(owner, channel string) string {
	m.t.Helper()
	c := m.conns[owner]
	if channel == "" {
		reg := m.app(proto.AgentRegister{})
		if _, err := c.Connect(m.ctx, proto.Connect{Code: reg.Code}); err != nil {
			m.t.Fatalf("%s connects by code: %v", owner, err)
		}
		return reg.SessionID
	}
	lc, err := c.CreateLink(m.ctx, proto.LinkCreate{Channel: channel})
	if err != nil {
		m.t.Fatal(err)
	}
	m.app(proto.AgentRegister{LinkToken: lc.URL[strings.LastIndex(lc.URL, "/")+1:]})
	if _, err := c.Connect(m.ctx, proto.Connect{SessionID: lc.SessionID}); err != nil {
		m.t.Fatalf("%s connects to the request: %v", owner, err)
	}
	return lc.SessionID
}

// The permission matrix through the protocol: for every permission of
// relay/desk's Table and every role, the action that needs it succeeds
// exactly when the role has it by default. Directory lists the same.
func TestPermissionMatrixThroughTheProtocol(t *testing.T) {
	m := newMatrix(t)
	roles := map[string]store.Role{"ada": store.RoleAdmin, "tom": store.RoleTechnicianManager, "carla": store.RoleChannelManager, "tina": store.RoleTechnician}
	// do exercises a permission as subject u; permissions without a
	// protocol action (the admin API's test covers them) are only checked
	// in what Directory lists.
	do := map[proto.Permission]func(u string) error{
		proto.PermCreateLinks: func(u string) error {
			_, err := m.conns[u].CreateLink(m.ctx, proto.LinkCreate{})
			return err
		},
		proto.PermUseCodes: func(u string) error {
			reg := m.app(proto.AgentRegister{})
			_, err := m.conns[u].Connect(m.ctx, proto.Connect{Code: reg.Code})
			return err
		},
		proto.PermView: func(u string) error {
			reg := m.app(proto.AgentRegister{})
			_, err := m.conns[u].Connect(m.ctx, proto.Connect{Code: reg.Code})
			return err
		},
		proto.PermControl: func(u string) error {
			reg := m.app(proto.AgentRegister{})
			c, err := m.conns[u].Connect(m.ctx, proto.Connect{Code: reg.Code})
			if err == nil && !c.Granted.Has(proto.PermControl) {
				return fmt.Errorf("granted %v", c.Granted)
			}
			return err
		},
		proto.PermClipboard: func(u string) error {
			reg := m.app(proto.AgentRegister{})
			c, err := m.conns[u].Connect(m.ctx, proto.Connect{Code: reg.Code})
			if err == nil && !c.Granted.Has(proto.PermClipboard) {
				return fmt.Errorf("granted %v", c.Granted)
			}
			return err
		},
		proto.PermChat: func(u string) error {
			return m.conns[u].Chat(m.ctx, m.active(u, ""), "hello")
		},
		proto.PermTransferTech: func(u string) error {
			_, err := m.conns[u].Transfer(m.ctx, proto.Transfer{SessionID: m.active(u, ""), ToUser: "cole"})
			return err
		},
		proto.PermTransferChannel: func(u string) error {
			_, err := m.conns[u].Transfer(m.ctx, proto.Transfer{SessionID: m.active(u, ""), ToChannel: "Desk"})
			return err
		},
		proto.PermInviteChannel: func(u string) error { // cole shares the group "everyone" with every subject
			return m.conns[u].Invite(m.ctx, m.active(u, ""), "cole")
		},
		proto.PermInviteOutside: func(u string) error { // otto is in no group
			return m.conns[u].Invite(m.ctx, m.active(u, ""), "otto")
		},
		proto.PermMonitor: func(u string) error {
			_, err := m.conns[u].Connect(m.ctx, proto.Connect{SessionID: m.active("olga", "Desk"), Monitor: true})
			return err
		},
		proto.PermTakeOver: func(u string) error {
			c, err := m.conns[u].Connect(m.ctx, proto.Connect{SessionID: m.active("olga", "Desk")})
			if err == nil && c.Session.Owner != u {
				return fmt.Errorf("connected, but %s owns it", c.Session.Owner)
			}
			return err
		},
		proto.PermEndOthers: func(u string) error { // a waiting request of Desk: the subject sees it
			lc, err := m.conns["olga"].CreateLink(m.ctx, proto.LinkCreate{Channel: "Desk"})
			if err != nil {
				return err
			}
			m.app(proto.AgentRegister{LinkToken: lc.URL[strings.LastIndex(lc.URL, "/")+1:]})
			return m.conns[u].End(m.ctx, lc.SessionID, "")
		},
		proto.PermReadTranscripts: func(u string) error {
			d, err := m.conns[u].SessionDetails(m.ctx, m.active(u, ""))
			if err == nil && d.Withheld != "" {
				return fmt.Errorf("%s", d.Withheld)
			}
			return err
		},
	}
	m.check(roles, do)

	// A per-user override denies what the role allows: tina loses each
	// permission with an action in turn, and the action is refused.
	for _, right := range desk.Table {
		fn := do[right.Permission]
		if fn == nil || !desk.RoleHas(store.RoleTechnician, right.Permission) {
			continue
		}
		m.override("tina", right.Permission, false)
		if err := fn("tina"); err == nil {
			t.Errorf("tina denied %s by an override: allowed", right.Permission)
		}
		m.override("tina", right.Permission, true)
	}
}

// override sets u's override of p and waits until the relay applies it.
func (m *matrix) override(u string, p proto.Permission, inherit bool) {
	m.t.Helper()
	st := m.r.Store()
	id, err := st.UserByName(m.ctx, u)
	if err != nil {
		m.t.Fatal(err)
	}
	var o []store.Override
	if !inherit {
		o = []store.Override{{Permission: p, Allow: false}}
	}
	if err := st.SetOverrides(m.ctx, id.ID, o); err != nil {
		m.t.Fatal(err)
	}
	for {
		d, err := m.conns[u].Directory(m.ctx)
		if err != nil {
			m.t.Fatal(err)
		}
		if slices.Contains(d.Permissions, p) == inherit {
			return
		}
		select {
		case <-m.ctx.Done():
			m.t.Fatalf("the relay did not apply the override of %s for %s", p, u)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// check runs every action as every role and compares with the Table.
func (m *matrix) check(roles map[string]store.Role, do map[proto.Permission]func(string) error) {
	t := m.t
	for _, right := range desk.Table {
		for u, role := range roles {
			want := desk.RoleHas(role, right.Permission)
			d, err := m.conns[u].Directory(m.ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got := slices.Contains(d.Permissions, right.Permission); got != want {
				t.Errorf("%s (%s): Directory lists %s: %v, want %v", u, role, right.Permission, got, want)
			}
			fn := do[right.Permission]
			if fn == nil {
				continue
			}
			err = fn(u)
			switch {
			case want && err != nil:
				t.Errorf("%s (%s) %s: refused: %v", u, role, right.Permission, err)
			case !want && err == nil:
				t.Errorf("%s (%s) %s: allowed, want refused", u, role, right.Permission)
			case !want && proto.CodeOf(err) != proto.ErrForbidden && proto.CodeOf(err) != proto.ErrTaken:
				t.Errorf("%s (%s) %s: refused with code %d (%v), want forbidden (or taken: a colleague's session)", u, role, right.Permission, proto.CodeOf(err), err)
			}
		}
	}
}
