package session

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// ask puts a consent request to the end user and records what they
// granted, for the technician the request names, before the answer goes
// to the relay (which then sends PeerJoined). A request without a peer ID
// cannot be bound to a technician and is declined.
func (a *Agent) ask(ctx context.Context, req proto.ConsentRequest) *proto.ConsentAnswer {
	if req.PeerID == 0 {
		a.log.Warn("consent request without a technician's peer ID declined", "technician", req.Technician)
		return &proto.ConsentAnswer{}
	}
	g := a.cfg.UI.Consent(ctx, req, a.relayHost()).Within(req.Permissions)
	if ctx.Err() != nil || !g.Has(proto.PermView) {
		a.log.Info("consent refused", "technician", req.Technician, "peer", req.PeerID)
		return &proto.ConsentAnswer{}
	}
	a.mu.Lock()
	a.granted[req.PeerID] = g
	a.guests[req.PeerID] = req.Guest || req.Supervisor
	a.mu.Unlock()
	if req.Recorded { // the question said so: the yes covers the recording (record.go)
		a.allowRecorder()
	}
	a.log.Info("consent given", "technician", req.Technician, "peer", req.PeerID, "granted", g.String())
	return &proto.ConsentAnswer{Allow: true, Granted: g}
}

// grantOf is what the end user allowed technician id in this process (nil: nothing).
func (a *Agent) grantOf(id int64) proto.Grant {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.granted[id]
}

// revoke forgets what technician id was allowed (they left the session)
// and returns it.
func (a *Agent) revoke(id int64) proto.Grant {
	a.mu.Lock()
	g := a.granted[id]
	delete(a.granted, id)
	delete(a.guests, id)
	if a.controller == id {
		a.controller = 0 // back to the owners, until the relay names another
	}
	a.mu.Unlock()
	a.gate()
	return g
}

// gater is the part of Media that lets input through from one technician
// at a time (agent/share.Sharer).
type gater interface {
	Block(peer int64, blocked bool)
}

// mayControl reports whether technician id may use the mouse and keyboard
// now: the end user allowed them control, and they are the controller the
// relay named last or, before it named one, not a guest. Callers hold a.mu.
func (a *Agent) mayControl(id int64) bool {
	if !a.granted[id].Has(proto.PermControl) {
		return false
	}
	if a.controller == 0 {
		return !a.guests[id]
	}
	return a.controller == id
}

// gate blocks the input of every technician who may not control now.
func (a *Agent) gate() {
	g, ok := a.cfg.Media.(gater)
	if !ok {
		return
	}
	a.mu.Lock()
	blocked := make(map[int64]bool, len(a.granted))
	for id := range a.granted {
		blocked[id] = !a.mayControl(id)
	}
	a.mu.Unlock()
	for id, b := range blocked {
		g.Block(id, b)
	}
}

// controlChanged applies the relay's word on who controls: only a
// technician the end user allowed control can be named; the end user is
// told.
func (a *Agent) controlChanged(m proto.ControlChanged) {
	a.mu.Lock()
	id := m.Controller.ID
	switch {
	case id == 0:
		a.controller = -1
	case a.granted[id].Has(proto.PermControl):
		a.controller = id
	default:
		a.mu.Unlock()
		a.log.Warn("ignored control for a technician the end user did not allow control", "peer", id, "name", m.Controller.Name)
		return
	}
	a.mu.Unlock()
	a.gate()
	switch {
	case id == 0:
		a.cfg.UI.Status("Nobody controls your mouse and keyboard now.")
	case m.By != "" && m.By != "relay":
		a.cfg.UI.Status(fmt.Sprintf("%s handed control of your mouse and keyboard to %s.", m.By, nameOr(m.Controller.Name, "a technician")))
	case m.By == "relay":
		a.cfg.UI.Status(fmt.Sprintf("%s has control of your mouse and keyboard.", nameOr(m.Controller.Name, "The technician")))
	}
}

// admit lets technician p in if the end user allowed them in this app
// (why says which message named them): the UI shows them and the media
// opens the granted channels on a goroutine wg owns. A peer the end user
// did not allow is ignored: no offer, no channels, no screen.
func (a *Agent) admit(wg *sync.WaitGroup, p proto.Peer, why string) {
	g := a.grantOf(p.ID)
	if g == nil {
		a.log.Warn("ignored a technician the end user did not allow", "peer", p.ID, "name", p.Name, "via", why)
		return
	}
	if p.ID != proto.RecorderPeer { // the recorder shows as the Recording mark (record.go)
		a.cfg.UI.Joined(p)
	}
	if a.cfg.Media == nil {
		return
	}
	a.gate() // before the input channel opens: a guest controls only when handed control
	wg.Go(func() {
		if err := a.cfg.Media.Join(p.ID, g); err != nil {
			a.log.Error("start screen stream", "peer", p.ID, "err", err)
		}
	})
}

// relayHost is the host of the relay the app talks to, for the end user.
func (a *Agent) relayHost() string {
	r := a.relay()
	if h, _, err := net.SplitHostPort(r); err == nil {
		return h
	}
	return r
}

// ConsentQuestion is the consent question for the end user: who asks,
// through which support server, to do what. A guest (a colleague the
// technician invited) and a supervisor (a manager monitoring the session)
// are named as such; one who asks to see the screen only is said to want
// to watch it.
func ConsentQuestion(req proto.ConsentRequest, relayHost string) string {
	var tags []string
	if req.Organisation != "" {
		tags = append(tags, req.Organisation)
	}
	switch {
	case req.Supervisor:
		tags = append(tags, "supervisor")
	case req.Guest:
		tags = append(tags, "invited by the technician")
	}
	who := req.Technician
	if len(tags) > 0 {
		who += " (" + strings.Join(tags, ", ") + ")"
	}
	if req.Guest && proto.Grant(req.Permissions).Has(proto.PermControl) {
		return proto.CleanText(fmt.Sprintf("%s wants to see your screen through the support server %s. Your technician can hand them control of your mouse and keyboard; only one person controls at a time.", who, relayHost))
	}
	if (req.Guest || req.Supervisor) && !proto.Grant(req.Permissions).Has(proto.PermControl) && !proto.Grant(req.Permissions).Has(proto.PermClipboard) {
		return proto.CleanText(fmt.Sprintf("%s wants to watch your screen through the support server %s. They will be able to see your screen, not use your mouse, keyboard or clipboard.", who, relayHost))
	}
	q := proto.CleanText(fmt.Sprintf("%s wants to connect to this computer through the support server %s. They will be able to %s.", who, relayHost, DescribePermissions(req.Permissions)))
	if req.Recorded {
		q += " " + RecordedNotice
	}
	return q
}

// DescribePermissions says what perms let a technician do, in words.
func DescribePermissions(perms []proto.Permission) string {
	words := map[proto.Permission]string{proto.PermView: "see your screen", proto.PermControl: "use your mouse and keyboard", proto.PermClipboard: "copy text to and from your clipboard"}
	var out []string
	for _, p := range perms {
		if s, ok := words[p]; ok {
			out = append(out, s)
		}
	}
	switch len(out) {
	case 0:
		return "see your screen"
	case 1:
		return out[0]
	}
	return strings.Join(out[:len(out)-1], ", ") + " and " + out[len(out)-1]
}

// RelayQuestion asks the end user of a dev build whether to connect to the
// support server at host.
func RelayQuestion(host string) string {
	return proto.CleanText(fmt.Sprintf("This app will connect to the support server %s. Connect only if your technician's organisation uses this server.", host))
}
