package session

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// QueueUI is what a UI adds to show where a request waits in its
// channel's queue (pushed by the relay). Without it the position goes to
// Status as a sentence.
type QueueUI interface {
	// Queue shows p: its position (0: a technician took the request) and
	// the estimated wait.
	Queue(p proto.QueuePosition)
}

// ParticipantsUI is what a UI adds to list everyone connected with their
// role and who controls. Without it the UI hears Joined and Left only.
type ParticipantsUI interface {
	// Participants shows the technicians connected now (none: empty).
	Participants(list []proto.Participant)
}

// PositionSentence tells the end user where their request stands: "You
// are number 3 in the queue of Printing. Estimated wait: about 4
// minutes." or, once taken, who took it.
func PositionSentence(p proto.QueuePosition) string {
	if p.Position <= 0 {
		return proto.CleanText(fmt.Sprintf("%s has taken your request and will ask you for permission to connect.", nameOr(p.Technician, "A technician")))
	}
	s := fmt.Sprintf("You are number %d in the queue of %s.", p.Position, nameOr(p.Channel, "your support team"))
	if p.Estimate > 0 {
		s += " Estimated wait: " + AboutDuration(p.Estimate) + "."
	}
	return proto.CleanText(s)
}

// AboutDuration says d roughly, in words: "less than a minute", "about 4
// minutes", "about 2 hours".
func AboutDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "less than a minute"
	case d < 90*time.Minute:
		n := int(math.Round(d.Minutes()))
		if n == 1 {
			return "about 1 minute"
		}
		return fmt.Sprintf("about %d minutes", n)
	}
	return fmt.Sprintf("about %d hours", int(math.Round(d.Hours())))
}

// ParticipantsSentence lists who is connected with their role and who
// controls: "Connected: Anna Berg (your technician, controls your mouse
// and keyboard), Tom Weber (guest)." or "Nobody is connected."
func ParticipantsSentence(list []proto.Participant) string {
	if len(list) == 0 {
		return "Nobody is connected."
	}
	var parts []string
	for _, p := range list {
		tags := []string{RoleWords(p.Peer.Role)}
		if p.Controls {
			tags = append(tags, "controls your mouse and keyboard")
		}
		parts = append(parts, p.Peer.Name+" ("+strings.Join(tags, ", ")+")")
	}
	return proto.CleanText("Connected: " + strings.Join(parts, ", ") + ".")
}

// RoleWords names a participant's role for the end user.
func RoleWords(role string) string {
	switch role {
	case proto.PeerGuest:
		return "guest, invited by your technician"
	case proto.PeerSupervisor:
		return "supervisor, watching"
	}
	return "your technician"
}

// queuePosition shows where the request waits.
func (a *Agent) queuePosition(p proto.QueuePosition) {
	a.mu.Lock()
	if p.SessionID != a.sessionID && a.sessionID != "" {
		a.mu.Unlock()
		return
	}
	a.positioned = true
	a.mu.Unlock()
	if q, ok := a.cfg.UI.(QueueUI); ok {
		q.Queue(p)
		return
	}
	a.cfg.UI.Status(PositionSentence(p))
}

// participants shows who the relay says is connected, but only those
// the end user allowed in this app: whoever else the relay names has no
// rights here and is not shown as connected. Controls is shown only for
// who may control by the app's own rules.
func (a *Agent) participants(m proto.Participants) {
	ui, ok := a.cfg.UI.(ParticipantsUI)
	if !ok {
		return
	}
	a.mu.Lock()
	if m.SessionID != a.sessionID {
		a.mu.Unlock()
		return
	}
	var list []proto.Participant
	for _, p := range m.List {
		if a.granted[p.Peer.ID] == nil {
			a.log.Warn("the relay lists a technician the end user did not allow; not shown", "peer", p.Peer.ID, "name", p.Peer.Name)
			continue
		}
		p.Controls = p.Controls && a.mayControl(p.Peer.ID)
		list = append(list, p)
	}
	a.mu.Unlock()
	ui.Participants(list)
}
