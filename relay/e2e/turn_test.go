package e2e

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/turn/v5"

	"github.com/relaydesk/relaydesk/agent/session"
	"github.com/relaydesk/relaydesk/console/client"
	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/media"
)

// joined is a session of the relay binary with its agent and technician,
// as the agent's session package and the console's client see it.
type joined struct {
	id                string
	agentICE, techICE []proto.ICEServer
	end               func() // the technician ends the session
}

// joinSession registers an agent (checking it gets no TURN credentials
// while no technician is there), connects a technician and returns both
// sides' credentials.
func joinSession(t *testing.T, r *relay) joined {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	login := signIn(t, ctx, r.addr, r.fp, r.openStore(t), "tess")
	ui := &recordingUI{code: make(chan string, 1), joined: make(chan proto.Peer, 1)}
	ice := make(chan []proto.ICEServer, 8)
	ag := session.New(session.Config{Relay: r.addr, Fingerprint: r.fp, UI: ui, Logger: quiet(), OnICE: func(s []proto.ICEServer) { ice <- s }})
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	wg.Go(func() { ag.Run(ctx) })
	code := next(t, ui.code, "code")
	if got := next(t, ice, "ICE at registration"); len(got) != 0 {
		t.Fatalf("an anonymous registration got TURN credentials: %+v", got)
	}
	h := &techHandler{connected: make(chan proto.Connected, 1), signals: make(chan proto.Signal, 16)}
	techCtx, endTech := context.WithCancel(ctx)
	techDone := make(chan struct{})
	wg.Go(func() {
		defer close(techDone)
		var sess client.Session
		sess.Run(techCtx, client.SessionOptions{Login: login, Target: proto.Connect{Code: code}, Logger: quiet()}, h)
	})
	c := next(t, h.connected, "connect")
	next(t, ui.joined, "join")
	agentICE := next(t, ice, "the agent's ICE with PeerJoined")
	if len(agentICE) == 0 || len(c.ICE) == 0 {
		t.Fatalf("no TURN credentials once joined: agent %+v, technician %+v", agentICE, c.ICE)
	}
	return joined{id: c.Session.ID, agentICE: agentICE, techICE: c.ICE, end: func() { endTech(); <-techDone }}
}

// turnClient is a real pion TURN client with the first credentials of
// ice, over conn (UDP when nil).
func turnClient(t *testing.T, ice []proto.ICEServer, conn net.PacketConn) *turn.Client {
	t.Helper()
	server := strings.TrimSuffix(strings.TrimPrefix(ice[0].URLs[0], "turn:"), "?transport=udp")
	if conn == nil {
		var err error
		if conn, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	c, err := media.NewClient(server, ice[0].Username, ice[0].Credential, conn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); conn.Close() })
	return c
}

// TestTURNOfARealRelayRefusesItsNetworks: a relay started as in
// production (no test switch) refuses to relay to loopback, private and
// metadata addresses and refuses TCP allocations, for a joined agent.
func TestTURNOfARealRelayRefusesItsNetworks(t *testing.T) {
	parallel(t)
	r := &relay{data: dataDir(t), strictTURN: true}
	r.launch(t)
	s := joinSession(t, r)
	c := turnClient(t, s.agentICE, nil)
	rc, err := c.Allocate()
	if err != nil {
		t.Fatalf("a joined agent cannot allocate: %v", err)
	}
	defer rc.Close()
	for _, peer := range []string{"127.0.0.1", "10.1.2.3", "169.254.169.254", "192.168.0.10", "100.64.0.1"} {
		if err := c.CreatePermission(&net.UDPAddr{IP: net.ParseIP(peer), Port: 80}); err == nil {
			t.Errorf("the relay relays to %s", peer)
		}
	}
	tc, err := net.Dial("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	tcpc := turnClient(t, s.agentICE, turn.NewSTUNConn(tc))
	if alloc, err := tcpc.AllocateTCP(); err == nil {
		alloc.Close()
		t.Fatal("the relay granted a TCP allocation (it would dial TCP peers for anyone)")
	}
}

// TestTURNStopsWithTheSession: media relayed between the agent's and the
// technician's allocations stops within a few seconds of the session's end.
func TestTURNStopsWithTheSession(t *testing.T) {
	parallel(t)
	r := startRelay(t)
	s := joinSession(t, r)
	a, err := turnClient(t, s.agentICE, nil).Allocate()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	tc := turnClient(t, s.techICE, nil)
	b, err := tc.Allocate()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := tc.CreatePermission(a.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	relays := func() bool {
		a.WriteTo([]byte("frame"), b.LocalAddr())
		b.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		_, _, err := b.ReadFrom(make([]byte, 100))
		return err == nil
	}
	if !relays() && !relays() {
		t.Fatal("no media relayed during the session")
	}
	// Both allocations are in the audit log, with the peer who made them.
	evs, err := r.openStore(t).AuditEvents(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	actors := map[string]bool{}
	for _, e := range evs {
		if e.Kind == "turn.allocated" && e.SessionID == s.id && e.Source == "127.0.0.1" {
			actors[e.Actor] = true
		}
	}
	if !actors["end user"] || len(actors) != 2 {
		t.Fatalf("audited allocations by %v, want the end user and the technician", actors)
	}
	s.end()
	ended := time.Now()
	for relays() {
		if time.Since(ended) > 5*time.Second {
			t.Fatal("media still relayed 5s after the session ended")
		}
	}
	t.Logf("relaying stopped %v after the session ended", time.Since(ended).Round(time.Millisecond))
}
