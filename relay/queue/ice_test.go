package queue

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// iceFixture mints recognisable credentials and records ended sessions.
func iceFixture(t *testing.T) (*fixture, *[]string) {
	f := newFixture(t)
	var ended []string
	f.cfg.ICE = func(id string, peer int64) []proto.ICEServer {
		return []proto.ICEServer{{URLs: []string{"turn:relay:4433?transport=udp"}, Username: fmt.Sprintf("%s:%d:%d", id, peer, f.clk.Now().Unix())}}
	}
	f.cfg.ICERenew = 5 * time.Minute
	f.cfg.SessionEnded = func(id string) { ended = append(ended, id) }
	f.restart()
	return f, &ended
}

// TestAgentGetsTURNOnlyOnceATechnicianJoined: an anonymous registration
// (code or link) gets no ICE servers; the agent's arrive with PeerJoined,
// the technician's with Connected, each for its own peer; a resume with a
// technician attached brings the agent's again.
func TestAgentGetsTURNOnlyOnceATechnicianJoined(t *testing.T) {
	f, _ := iceFixture(t)
	a := f.agent(yes())
	reg, err := f.m.RegisterAgent(f.ctx, a, proto.AgentRegister{Device: proto.DeviceInfo{Hostname: "pc1"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(reg.ICE) != 0 {
		t.Fatalf("an anonymous code registration got TURN credentials: %+v", reg.ICE)
	}
	link, err := f.m.CreateLink(f.ctx, f.tech, proto.LinkCreate{CustomerName: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	tok := link.URL[strings.LastIndex(link.URL, "/")+1:]
	lreg, err := f.m.RegisterAgent(f.ctx, f.agent(yes()), proto.AgentRegister{LinkToken: tok})
	if err != nil {
		t.Fatalf("link registration: %v", err)
	}
	if len(lreg.ICE) != 0 {
		t.Fatalf("a link registration got TURN credentials: %+v", lreg.ICE)
	}
	c, err := f.m.Connect(f.ctx, f.tech, proto.Connect{Code: reg.Code}, noStage)
	if err != nil {
		t.Fatal(err)
	}
	techUser := fmt.Sprintf("%s:%d:", reg.SessionID, f.tech.User.ID)
	if len(c.ICE) != 1 || c.ICE[0].Username[:len(techUser)] != techUser {
		t.Fatalf("technician's ICE %+v", c.ICE)
	}
	var joined proto.PeerJoined
	agentUser := fmt.Sprintf("%s:%d:", reg.SessionID, AgentPeer)
	if !a.Conn.(*fakeConn).last(proto.TypePeerJoined, &joined) || len(joined.ICE) != 1 || joined.ICE[0].Username[:len(agentUser)] != agentUser {
		t.Fatalf("PeerJoined carries no agent credentials: %+v", joined)
	}
	re, err := f.m.RegisterAgent(f.ctx, f.agent(yes()), proto.AgentRegister{ResumeKey: reg.ResumeKey})
	if err != nil {
		t.Fatal(err)
	}
	if len(re.ICE) != 1 || re.ICE[0].Username[:len(agentUser)] != agentUser {
		t.Fatalf("resume with a technician attached: ICE %+v", re.ICE)
	}
}

// TestResumeWithoutTechnicianGetsNoTURN: a Ready session's app that
// reconnects gets no credentials.
func TestResumeWithoutTechnicianGetsNoTURN(t *testing.T) {
	f, _ := iceFixture(t)
	reg, err := f.m.RegisterAgent(f.ctx, f.agent(yes()), proto.AgentRegister{})
	if err != nil {
		t.Fatal(err)
	}
	re, err := f.m.RegisterAgent(f.ctx, f.agent(yes()), proto.AgentRegister{ResumeKey: reg.ResumeKey})
	if err != nil {
		t.Fatal(err)
	}
	if len(re.ICE) != 0 {
		t.Fatalf("resume without a technician got TURN credentials: %+v", re.ICE)
	}
}

// TestICERenewedWhileSessionLivesAndEndReported: attached peers get fresh
// credentials every ICERenew; the end of the session is reported (TURN
// ends its allocations) and renewals stop.
func TestICERenewedWhileSessionLivesAndEndReported(t *testing.T) {
	f, ended := iceFixture(t)
	a := f.agent(yes())
	reg, _ := f.m.RegisterAgent(f.ctx, a, proto.AgentRegister{})
	if _, err := f.m.Connect(f.ctx, f.tech, proto.Connect{Code: reg.Code}, noStage); err != nil {
		t.Fatal(err)
	}
	f.clk.Add(4 * time.Minute)
	f.m.Sweep(f.ctx)
	var r proto.ICERenewed
	if a.Conn.(*fakeConn).last(proto.TypeICERenewed, &r) {
		t.Fatal("renewed before the interval")
	}
	f.clk.Add(time.Minute)
	f.m.Sweep(f.ctx)
	want := fmt.Sprintf("%s:%d:%d", reg.SessionID, AgentPeer, f.clk.Now().Unix())
	if !a.Conn.(*fakeConn).last(proto.TypeICERenewed, &r) || r.SessionID != reg.SessionID || len(r.ICE) != 1 || r.ICE[0].Username != want {
		t.Fatalf("agent's renewal %+v, want username %s", r, want)
	}
	want = fmt.Sprintf("%s:%d:%d", reg.SessionID, f.tech.User.ID, f.clk.Now().Unix())
	if !f.tech.Conn.(*fakeConn).last(proto.TypeICERenewed, &r) || len(r.ICE) != 1 || r.ICE[0].Username != want {
		t.Fatalf("technician's renewal %+v, want username %s", r, want)
	}
	if err := f.m.TechEnd(f.ctx, f.tech, proto.End{SessionID: reg.SessionID}); err != nil {
		t.Fatal(err)
	}
	if len(*ended) != 1 || (*ended)[0] != reg.SessionID {
		t.Fatalf("ended sessions reported: %v", *ended)
	}
	n := len(a.Conn.(*fakeConn).sent)
	f.clk.Add(10 * time.Minute)
	f.m.Sweep(f.ctx)
	if len(a.Conn.(*fakeConn).sent) != n {
		t.Fatal("messages after the session ended")
	}
}

// TestTURNAllowedFollowsAttachments: TURN serves a technician while
// attached, and the end user's app only while a technician is.
func TestTURNAllowedFollowsAttachments(t *testing.T) {
	f, _ := iceFixture(t)
	reg, _ := f.m.RegisterAgent(f.ctx, f.agent(yes()), proto.AgentRegister{})
	id := reg.SessionID
	if f.m.TURNAllowed(id, AgentPeer) {
		t.Fatal("TURN for an app no technician joined")
	}
	if _, err := f.m.Connect(f.ctx, f.tech, proto.Connect{Code: reg.Code}, noStage); err != nil {
		t.Fatal(err)
	}
	if !f.m.TURNAllowed(id, AgentPeer) || !f.m.TURNAllowed(id, f.tech.User.ID) {
		t.Fatal("no TURN for the joined peers")
	}
	if f.m.TURNAllowed(id, f.admin.User.ID) || f.m.TURNAllowed("other", f.tech.User.ID) {
		t.Fatal("TURN for a technician who is not attached")
	}
	var left []int64
	f.m.cfg.PeerLeft = func(sid string, peer int64) {
		if sid == id {
			left = append(left, peer)
		}
	}
	f.m.TechGone(f.tech)
	f.clk.Add(DefaultConfig().Grace + time.Second)
	f.m.Sweep(f.ctx) // the technician did not come back: detached
	if f.m.TURNAllowed(id, f.tech.User.ID) || f.m.TURNAllowed(id, AgentPeer) {
		t.Fatal("TURN after the last technician left")
	}
	if len(left) != 2 || left[0] != f.tech.User.ID || left[1] != AgentPeer {
		t.Fatalf("peers reported as gone from TURN: %v, want the technician, then the app", left)
	}
}
