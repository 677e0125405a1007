package ui

import (
	"slices"

	"fyne.io/fyne/v2"

	"github.com/relaydesk/relaydesk/agent/session"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// Queue implements session.QueueUI: the position in the channel's queue
// and the estimated wait, in bold under the heading; while the request
// waits with nobody connected, the End button cancels it. (A session
// transferred to a channel waits there while its previous technician
// still watches: then it stays End session.)
func (w *Window) Queue(p proto.QueuePosition) {
	text := session.PositionSentence(p)
	w.mu.Lock()
	inSession := len(w.peers) > 0
	w.mu.Unlock()
	fyne.Do(func() {
		w.queue.SetText(text)
		w.queue.Show()
		switch {
		case inSession:
		case p.Position > 0:
			w.heading.SetText("Waiting for a technician")
			w.end.SetText("Cancel request")
		default:
			who := proto.CleanText(p.Technician)
			if who == "" {
				who = "A technician"
			}
			w.heading.SetText(who + " will connect shortly")
			w.end.SetText("End session")
		}
		w.relayout()
	})
}

// Participants implements session.ParticipantsUI: everyone connected
// with their role and who controls, shown while technicians are joined.
func (w *Window) Participants(list []proto.Participant) {
	w.mu.Lock()
	w.roles = slices.Clone(list)
	w.mu.Unlock()
	w.showPeers()
}

// joinedRoles is roles without those who have not joined (yet) or left
// already: the relay's list and the peers' events arrive one by one.
func joinedRoles(roles []proto.Participant, joined map[int64]string) []proto.Participant {
	var out []proto.Participant
	for _, p := range roles {
		if _, ok := joined[p.Peer.ID]; ok {
			out = append(out, p)
		}
	}
	return out
}

var (
	_ session.QueueUI        = (*Window)(nil)
	_ session.ParticipantsUI = (*Window)(nil)
)
