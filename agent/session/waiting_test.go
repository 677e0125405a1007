package session

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/transport"
	"github.com/relaydesk/relaydesk/pkg/transport/transporttest"
)

// waitUI is formUI with the queue and participants views, recording them.
type waitUI struct {
	*formUI
	grants    map[int64]proto.Grant
	wmu       sync.Mutex
	positions []proto.QueuePosition
	lists     [][]proto.Participant
	changed   chan struct{}
}

func newWaitUI() *waitUI {
	return &waitUI{formUI: &formUI{statusCh: make(chan string, 64), answers: []proto.Intake{{Name: "Ann", Problem: "Printer"}}},
		changed: make(chan struct{}, 64)}
}

func (u *waitUI) Queue(p proto.QueuePosition) {
	u.wmu.Lock()
	u.positions = append(u.positions, p)
	u.wmu.Unlock()
	u.changed <- struct{}{}
}

func (u *waitUI) Participants(list []proto.Participant) {
	u.wmu.Lock()
	u.lists = append(u.lists, list)
	u.wmu.Unlock()
	u.changed <- struct{}{}
}

func (u *waitUI) Consent(_ context.Context, req proto.ConsentRequest, _ string) proto.Grant {
	return u.grants[req.PeerID]
}

// waitPositions waits until the UI showed n positions and returns them.
func (u *waitUI) waitPositions(t *testing.T, n int) []proto.QueuePosition {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		u.wmu.Lock()
		got := slices.Clone(u.positions)
		u.wmu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-u.changed:
		case <-deadline:
			t.Fatalf("%d positions shown, want %d: %+v", len(got), n, got)
		}
	}
}

// TestQueuePositionShown: the app asks for updates, shows the position
// the relay pushes (the first one arrives before the registration's
// reply and is not replaced by the generic queue sentence) and every
// later one, up to who took the request.
func TestQueuePositionShown(t *testing.T) {
	regs := make(chan proto.AgentRegister, 4)
	conns := make(chan *transport.Peer, 4)
	lb := transporttest.Serve(t, func(p *transport.Peer, env proto.Envelope) {
		switch env.Type {
		case proto.TypeHello:
			p.Reply(env.ID, proto.TypeWelcome, &proto.Welcome{Version: proto.Version})
		case proto.TypeCallForm:
			p.Reply(env.ID, proto.TypeCallFormInfo, &defaultForm)
		case proto.TypeAgentRegister:
			var req proto.AgentRegister
			env.Decode(&req)
			regs <- req
			// As the relay does: the position goes out while it registers.
			p.Send(proto.TypeQueuePosition, &proto.QueuePosition{SessionID: "s1", Channel: "Service Desk", Position: 2, Estimate: 4 * time.Minute})
			p.Reply(env.ID, proto.TypeAgentRegistered, &proto.AgentRegistered{SessionID: "s1", ResumeKey: "rk", Status: proto.StatusReady, Channel: "Service Desk"})
			conns <- p
		case proto.TypeEnd:
			p.Reply(env.ID, proto.TypeOK, &proto.OK{})
		}
	})
	ui := newWaitUI()
	a := New(Config{Relay: lb.Addr, Fingerprint: lb.Fingerprint, ChannelToken: "call-token", Confirmed: true, UI: ui, Logger: quiet()})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	defer stop()

	if req := <-regs; !req.Updates || req.ChannelToken != "call-token" {
		t.Fatalf("registration %+v, want one asking for updates", req)
	}
	p := <-conns
	ui.waitPositions(t, 1)
	p.Send(proto.TypeQueuePosition, &proto.QueuePosition{SessionID: "s1", Channel: "Service Desk", Position: 1, Estimate: 3 * time.Minute})
	p.Send(proto.TypeQueuePosition, &proto.QueuePosition{SessionID: "other", Channel: "Service Desk", Position: 7})
	p.Send(proto.TypeQueuePosition, &proto.QueuePosition{SessionID: "s1", Channel: "Service Desk", Technician: "Tina"})
	got := ui.waitPositions(t, 3)
	stop()
	var sentences []string
	for _, g := range got {
		sentences = append(sentences, PositionSentence(g))
	}
	want := []string{
		"You are number 2 in the queue of Service Desk. Estimated wait: about 4 minutes.",
		"You are number 1 in the queue of Service Desk. Estimated wait: about 3 minutes.",
		"Tina has taken your request and will ask you for permission to connect.",
	}
	if !slices.Equal(sentences, want) {
		t.Fatalf("the app showed %q, want %q", sentences, want)
	}
	ui.mu.Lock()
	defer ui.mu.Unlock()
	if slices.Contains(ui.status, QueuedSentence("Service Desk")) || !slices.Contains(ui.waiting, "a technician") {
		t.Fatalf("status %q, waiting %q: the position was replaced by the generic sentence", ui.status, ui.waiting)
	}
}

func TestAboutDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		20 * time.Second: "less than a minute", 80 * time.Second: "about 1 minute", 4*time.Minute + 20*time.Second: "about 4 minutes",
		89 * time.Minute: "about 89 minutes", 150 * time.Minute: "about 3 hours",
	} {
		if got := AboutDuration(d); got != want {
			t.Errorf("AboutDuration(%s) = %q, want %q", d, got, want)
		}
	}
}

// TestParticipantsShowOnlyAllowedPeers: the app lists who the relay says
// is connected, but only technicians its end user allowed, and shows as
// controlling only who may control by the app's own rules.
func TestParticipantsShowOnlyAllowedPeers(t *testing.T) {
	ui := newWaitUI()
	ui.grants = map[int64]proto.Grant{1: proto.AllPermissions, 2: {proto.PermView, proto.PermControl}}
	a := New(Config{UI: ui, Logger: quiet()})
	a.sessionID = "s1"
	ctx := context.Background()
	a.ask(ctx, proto.ConsentRequest{PeerID: 1, Technician: "Tina", Permissions: proto.AllPermissions})
	a.ask(ctx, proto.ConsentRequest{PeerID: 2, Technician: "Theo", Permissions: []proto.Permission{proto.PermView, proto.PermControl}, Guest: true})
	tina := proto.Participant{Peer: proto.Peer{ID: 1, Name: "Tina", Role: proto.PeerOwner}, Controls: true}
	theo := proto.Participant{Peer: proto.Peer{ID: 2, Name: "Theo", Role: proto.PeerGuest}}
	mallory := proto.Participant{Peer: proto.Peer{ID: 9, Name: "Mallory", Role: proto.PeerOwner}, Controls: true}
	theoControls := theo
	theoControls.Controls = true

	a.participants(proto.Participants{SessionID: "s1", List: []proto.Participant{tina, theoControls, mallory}})
	a.participants(proto.Participants{SessionID: "other", List: []proto.Participant{mallory}})
	a.controlChanged(proto.ControlChanged{Controller: proto.Peer{ID: 2, Name: "Theo"}, By: "Tina"})
	tinaOff := tina
	tinaOff.Controls = false
	a.participants(proto.Participants{SessionID: "s1", List: []proto.Participant{tinaOff, theoControls}})
	a.participants(proto.Participants{SessionID: "s1"})

	ui.wmu.Lock()
	defer ui.wmu.Unlock()
	want := [][]proto.Participant{
		{tina, theo}, // not Mallory; Theo is a guest nobody handed control yet
		{tinaOff, theoControls},
		nil,
	}
	if len(ui.lists) != len(want) {
		t.Fatalf("the UI showed %+v, want %+v", ui.lists, want)
	}
	for i := range want {
		if !slices.Equal(ui.lists[i], want[i]) {
			t.Fatalf("list %d: %+v, want %+v", i, ui.lists[i], want[i])
		}
	}
	if got := ParticipantsSentence(want[1]); got != "Connected: Tina (your technician), Theo (guest, invited by your technician, controls your mouse and keyboard)." {
		t.Fatalf("sentence %q", got)
	}
}
