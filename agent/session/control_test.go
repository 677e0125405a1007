package session

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// gateMedia records what the agent lets through.
type gateMedia struct {
	mu      sync.Mutex
	blocked map[int64]bool
}

func (m *gateMedia) Join(int64, proto.Grant) error { return nil }
func (m *gateMedia) Leave(int64)                   {}
func (m *gateMedia) Block(id int64, b bool) {
	m.mu.Lock()
	m.blocked[id] = b
	m.mu.Unlock()
}

func (m *gateMedia) state(id int64) (blocked, known bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.blocked[id]
	return b, ok
}

// One technician controls at a time: the owner until the relay names
// another that the end user allowed control; a guest never before.
func TestOneControllerAtATime(t *testing.T) {
	media := &gateMedia{blocked: map[int64]bool{}}
	ui := &grantUI{grants: map[int64]proto.Grant{
		1: proto.AllPermissions,                // tina, the owner
		2: {proto.PermView, proto.PermControl}, // theo, a guest
		3: {proto.PermView},                    // carla, a supervisor: view only
	}}
	a := New(Config{UI: ui, Media: media, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx := context.Background()
	a.ask(ctx, proto.ConsentRequest{PeerID: 1, Technician: "tina", Permissions: proto.AllPermissions})
	a.ask(ctx, proto.ConsentRequest{PeerID: 2, Technician: "theo", Permissions: []proto.Permission{proto.PermView, proto.PermControl}, Guest: true})
	a.ask(ctx, proto.ConsentRequest{PeerID: 3, Technician: "carla", Permissions: []proto.Permission{proto.PermView}, Supervisor: true})
	var wg sync.WaitGroup
	for id, name := range map[int64]string{1: "tina", 2: "theo", 3: "carla"} {
		a.admit(&wg, proto.Peer{ID: id, Name: name}, "test")
	}
	wg.Wait()
	want := func(step string, blocked map[int64]bool) {
		t.Helper()
		for id, w := range blocked {
			if b, known := media.state(id); !known || b != w {
				t.Errorf("%s: peer %d blocked %v (known %v), want %v", step, id, b, known, w)
			}
		}
	}
	want("joined", map[int64]bool{1: false, 2: true, 3: true})
	a.controlChanged(proto.ControlChanged{Controller: proto.Peer{ID: 2, Name: "theo"}, By: "tina"})
	want("handed to theo", map[int64]bool{1: true, 2: false, 3: true})
	a.controlChanged(proto.ControlChanged{Controller: proto.Peer{ID: 3, Name: "carla"}, By: "tina"})
	want("a relay naming a view-only peer is ignored", map[int64]bool{1: true, 2: false, 3: true})
	a.controlChanged(proto.ControlChanged{Controller: proto.Peer{ID: 9, Name: "mallory"}})
	want("a relay naming a stranger is ignored", map[int64]bool{1: true, 2: false, 3: true})
	a.revoke(2)
	want("theo left: back to the owner", map[int64]bool{1: false, 3: true})
	a.controlChanged(proto.ControlChanged{})
	want("nobody controls", map[int64]bool{1: true, 3: true})
}
