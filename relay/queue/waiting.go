package queue

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/store"
)

// What the end user's app hears while its request waits and while its
// session runs: its position in the channel's queue with an estimated
// wait (QueuePosition) and who is connected in which role
// (Participants). Both are pushed, never polled, and only to an app that
// registered with Updates. Positions come from the live sessions in
// memory, and only when a request enters, leaves or moves between
// queues (or its app reconnects) is its channel's queue counted again;
// the estimate comes from the store at most once a minute per channel.

// Estimate rules: the median pick-up time (Ready to Active) of the
// channel's requests of the last estimateWindow, shown once at least
// estimateMin were picked up, and read from the store at most every
// estimateTTL per channel.
const (
	estimateWindow = 4 * time.Hour
	estimateMin    = 3
	estimateTTL    = time.Minute
)

// appState is what l's app was last told. The zero value: nothing yet.
type appState struct {
	queue      int64               // the channel l was last counted in (0: none)
	posAgent   *Agent              // the connection that got pos
	pos        proto.QueuePosition // the last position sent
	peersAgent *Agent              // the connection that got peers
	peers      []proto.Participant // the last list sent
}

// estimate is a channel's cached median pick-up time.
type estimate struct {
	at time.Time
	d  time.Duration
}

// queuedIn is the channel whose queue l waits in (0: none): a request of
// a channel that nobody owns yet. Callers hold m.mu.
func queuedIn(l *live) int64 {
	if l.s.ChannelID == 0 || l.s.OwnerID != 0 || !waiting(l) {
		return 0
	}
	return l.s.ChannelID
}

// tellApp brings l's app up to date after a change of l: its queue's
// positions when l entered, left or moved between queues (or its app
// reconnected), and its participants. Callers hold m.mu.
func (m *Manager) tellApp(l *live) {
	prev, cur := l.app.queue, queuedIn(l)
	switch {
	case prev != cur:
		l.app.queue = cur
		if prev != 0 {
			m.tellQueue(prev) // those behind move up
		}
		if cur != 0 {
			m.tellQueue(cur)
		} else if l.s.Status == proto.StatusReady || l.s.Status == proto.StatusActive {
			m.sendPosition(l, proto.QueuePosition{SessionID: l.s.ID, Channel: m.desk.ChannelName(l.s.ChannelID),
				Technician: m.userName(context.Background(), l.s.OwnerID)})
		}
	case cur != 0 && l.agent != l.app.posAgent:
		m.tellQueue(cur)
	}
	m.tellParticipants(l)
}

// tellQueue tells every app waiting in channel ch its position, if it
// changed. Callers hold m.mu.
func (m *Manager) tellQueue(ch int64) {
	var queue []*live
	for _, l := range m.sessions {
		if queuedIn(l) == ch {
			queue = append(queue, l)
		}
	}
	slices.SortFunc(queue, func(a, b *live) int {
		return cmp.Or(a.s.ReadyAt.Compare(b.s.ReadyAt), a.s.CreatedAt.Compare(b.s.CreatedAt), cmp.Compare(a.s.ID, b.s.ID))
	})
	name, est := m.desk.ChannelName(ch), m.estimate(ch)
	for i, l := range queue {
		m.sendPosition(l, proto.QueuePosition{SessionID: l.s.ID, Channel: name, Position: i + 1, Estimate: est})
	}
}

// sendPosition sends p to l's app unless that connection has it already.
// Callers hold m.mu.
func (m *Manager) sendPosition(l *live, p proto.QueuePosition) {
	a := l.agent
	if a == nil || !a.Updates || (a == l.app.posAgent && p == l.app.pos) {
		return
	}
	if err := a.Conn.Send(proto.TypeQueuePosition, &p); err != nil {
		return // the connection is going: its successor is told
	}
	l.app.posAgent, l.app.pos = a, p
}

// WaitEstimate is a channel's median pick-up time (Ready to Active) of
// the requests created in the last four hours; 0 when fewer than three
// were picked up, which the app shows as no estimate. It reads the store
// at most once a minute per channel.
func (m *Manager) WaitEstimate(channel int64) time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.estimate(channel)
}

// estimate is WaitEstimate for callers that hold m.mu.
func (m *Manager) estimate(ch int64) time.Duration {
	now := m.cfg.Now()
	if e, ok := m.estimates[ch]; ok && now.Sub(e.at) < estimateTTL {
		return e.d
	}
	rows, err := m.st.SearchSessions(context.Background(), store.SessionFilter{ChannelID: ch, All: true, Since: now.Add(-estimateWindow), Limit: 500})
	if err != nil {
		m.log.Error("estimate the wait", "channel", ch, "err", err)
		return m.estimates[ch].d // the last one known; tried again in a minute
	}
	var waits []time.Duration
	for _, s := range rows {
		if !s.StartedAt.IsZero() && !s.ReadyAt.IsZero() && !s.StartedAt.Before(s.ReadyAt) {
			waits = append(waits, s.StartedAt.Sub(s.ReadyAt))
		}
	}
	d := median(waits)
	if m.estimates == nil {
		m.estimates = make(map[int64]estimate)
	}
	m.estimates[ch] = estimate{at: now, d: d}
	return d
}

// median is the middle of waits (0 with fewer than estimateMin).
func median(waits []time.Duration) time.Duration {
	if len(waits) < estimateMin {
		return 0
	}
	slices.Sort(waits)
	n := len(waits)
	if n%2 == 1 {
		return waits[n/2]
	}
	return (waits[n/2-1] + waits[n/2]) / 2
}

// sweepWaiting refreshes the estimate of every channel with requests
// waiting once it is a minute old, and tells their apps when it changed.
// Callers hold m.mu.
func (m *Manager) sweepWaiting(now time.Time) {
	seen := map[int64]bool{}
	for _, l := range m.sessions {
		ch := queuedIn(l)
		if ch == 0 || seen[ch] {
			continue
		}
		seen[ch] = true
		if e, ok := m.estimates[ch]; ok && now.Sub(e.at) >= estimateTTL {
			if m.estimate(ch) != e.d {
				m.tellQueue(ch)
			}
		}
	}
}

// participants lists who is attached to l: the owner first, then guests
// and supervisors, by name. Callers hold m.mu.
func (m *Manager) participants(l *live) []proto.Participant {
	var out []proto.Participant
	for id, at := range l.techs {
		role := proto.PeerGuest
		switch {
		case at.supervisor:
			role = proto.PeerSupervisor
		case id == l.s.OwnerID:
			role = proto.PeerOwner
		}
		out = append(out, proto.Participant{Peer: proto.Peer{ID: id, Name: at.user.Name, Role: role}, Controls: id == l.controller})
	}
	rank := map[string]int{proto.PeerOwner: 0, proto.PeerGuest: 1, proto.PeerSupervisor: 2}
	slices.SortFunc(out, func(a, b proto.Participant) int {
		return cmp.Or(cmp.Compare(rank[a.Peer.Role], rank[b.Peer.Role]), cmp.Compare(a.Peer.Name, b.Peer.Name), cmp.Compare(a.Peer.ID, b.Peer.ID))
	})
	return out
}

// tellParticipants sends l's app the list of who is attached, when it
// changed or the app reconnected. Callers hold m.mu.
func (m *Manager) tellParticipants(l *live) {
	a := l.agent
	if a == nil || !a.Updates {
		return
	}
	list := m.participants(l)
	same := slices.Equal(list, l.app.peers)
	if (same && a == l.app.peersAgent) || (same && len(list) == 0) {
		return
	}
	if err := a.Conn.Send(proto.TypeParticipants, &proto.Participants{SessionID: l.s.ID, List: list}); err != nil {
		return
	}
	l.app.peersAgent, l.app.peers = a, list
}
