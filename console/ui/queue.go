package ui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// Queue is the support queue as the console shows it: the relay's snapshot
// and pushed updates, filtered to the technician's own sessions, to the
// invitations they have not answered, to one channel, or to all they may
// see, sorted by waiting time. Ended sessions stay listed, below the live
// ones, until the console restarts. It is plain data, used on the UI
// goroutine.
type Queue struct {
	me       string
	filter   string
	sessions map[string]proto.SessionInfo
	channels map[string]proto.ChannelInfo // by name, from the directory
	invites  map[string]proto.Notice      // unanswered invitations, by session ID
}

// The queue's filters besides one per channel (ChannelFilter).
const (
	FilterMine        = "Mine"
	FilterInvitations = "Invitations"
	FilterAll         = "All visible to me"
)

// ChannelFilter is the filter that shows one channel's requests.
func ChannelFilter(channel string) string { return "Channel: " + channel }

// NewQueue returns an empty queue for the technician named me.
func NewQueue(me string) *Queue {
	return &Queue{me: me, filter: FilterAll, sessions: map[string]proto.SessionInfo{},
		channels: map[string]proto.ChannelInfo{}, invites: map[string]proto.Notice{}}
}

// Reset replaces the live sessions with a snapshot; ended ones are kept.
func (q *Queue) Reset(snap []proto.SessionInfo) {
	for id, s := range q.sessions {
		if live(s.Status) {
			delete(q.sessions, id)
		}
	}
	for _, s := range snap {
		q.sessions[s.ID] = s
	}
}

// Apply takes one pushed update. An ended session's invitation goes.
func (q *Queue) Apply(s proto.SessionInfo) {
	q.sessions[s.ID] = s
	if !live(s.Status) || slices.Contains(s.Technicians, q.me) {
		delete(q.invites, s.ID)
	}
}

// SetFilter shows FilterMine, FilterInvitations, FilterAll or a
// ChannelFilter.
func (q *Queue) SetFilter(f string) { q.filter = f }

// SetChannels takes the directory's channels (their SLA and whether the
// technician serves or manages them).
func (q *Queue) SetChannels(chs []proto.ChannelInfo) {
	q.channels = map[string]proto.ChannelInfo{}
	for _, ch := range chs {
		q.channels[ch.Name] = ch
	}
}

// Filters lists the filters to choose from: Mine, Invitations, all, and
// the channels the technician serves or manages, by name.
func (q *Queue) Filters() []string {
	out := []string{FilterMine, FilterInvitations, FilterAll}
	var names []string
	for name, ch := range q.channels {
		if ch.Serves || ch.Manages {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		out = append(out, ChannelFilter(n))
	}
	return out
}

// Invited records an invitation to answer.
func (q *Queue) Invited(n proto.Notice) {
	if n.Session.ID == "" {
		n.Session = q.sessions[n.SessionID]
		n.Session.ID = n.SessionID
	}
	q.invites[n.SessionID] = n
}

// Answered forgets an invitation (accepted, declined or gone).
func (q *Queue) Answered(id string) { delete(q.invites, id) }

// Invitation returns the unanswered invitation to session id.
func (q *Queue) Invitation(id string) (proto.Notice, bool) {
	n, ok := q.invites[id]
	return n, ok
}

// Owned counts the live sessions the technician owns.
func (q *Queue) Owned() int {
	n := 0
	for _, s := range q.sessions {
		if live(s.Status) && s.Owner == q.me {
			n++
		}
	}
	return n
}

// Channel returns the channel named name, as the directory lists it.
func (q *Queue) Channel(name string) (proto.ChannelInfo, bool) {
	ch, ok := q.channels[name]
	return ch, ok
}

// SLA is how long a request of s's channel may wait (0: no SLA).
func (q *Queue) SLA(s proto.SessionInfo) time.Duration { return q.channels[s.Channel].SLA }

// Breached reports whether live request s waited in its channel's queue
// longer than the channel's SLA (or the relay escalated it): still
// waiting, or picked up too late.
func (q *Queue) Breached(s proto.SessionInfo, now time.Time) bool {
	if !live(s.Status) || s.Channel == "" {
		return false
	}
	sla := q.SLA(s)
	return !s.Escalated.IsZero() || sla > 0 && Waiting(s, now) > sla
}

// Pickable reports whether s is an unassigned request of a channel the
// technician serves or manages (the relay decides; this only offers).
func (q *Queue) Pickable(s proto.SessionInfo) bool {
	ch, ok := q.channels[s.Channel]
	return s.Status == proto.StatusReady && s.Owner == "" && ok && (ch.Serves || ch.Manages)
}

// Get returns a session by ID.
func (q *Queue) Get(id string) (proto.SessionInfo, bool) {
	s, ok := q.sessions[id]
	return s, ok
}

func live(status proto.Status) bool { return status.Live() }

func (q *Queue) mine(s proto.SessionInfo) bool {
	return s.Owner == q.me || slices.Contains(s.Technicians, q.me)
}

// Waiting is how long a session has waited: since the end user's app
// registered (Ready) or the link was created (Waiting); for an Active or
// ended session, how long it waited before it started or ended.
func Waiting(s proto.SessionInfo, now time.Time) time.Duration {
	since := s.CreatedAt
	if !s.ReadyAt.IsZero() {
		since = s.ReadyAt
	}
	until := now
	switch {
	case !s.StartedAt.IsZero():
		until = s.StartedAt
	case !s.EndedAt.IsZero():
		until = s.EndedAt
	}
	if until.Before(since) {
		return 0
	}
	return until.Sub(since)
}

// statusRank orders the table: Ready first (someone waits to be helped),
// then Waiting links, Active sessions, and ended ones last.
func statusRank(status proto.Status) int {
	switch status {
	case proto.StatusReady:
		return 0
	case proto.StatusWaiting:
		return 1
	case proto.StatusActive:
		return 2
	}
	return 3
}

// Rows returns the sessions to show, in order: by status rank, then the
// longest waiting first; ended sessions by end time, newest first.
func (q *Queue) Rows(now time.Time) []proto.SessionInfo {
	var out []proto.SessionInfo
	if q.filter == FilterInvitations {
		for id, n := range q.invites {
			if s, ok := q.sessions[id]; ok {
				out = append(out, s)
			} else {
				out = append(out, n.Session)
			}
		}
	}
	channel, byChannel := strings.CutPrefix(q.filter, ChannelFilter(""))
	for _, s := range q.sessions {
		switch {
		case q.filter == FilterInvitations,
			q.filter == FilterMine && !q.mine(s),
			byChannel && s.Channel != channel:
			continue
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b proto.SessionInfo) int {
		if ra, rb := statusRank(a.Status), statusRank(b.Status); ra != rb {
			return ra - rb
		}
		if !live(a.Status) {
			if c := b.EndedAt.Compare(a.EndedAt); c != 0 {
				return c
			}
		} else if wa, wb := Waiting(a, now), Waiting(b, now); wa != wb {
			if wa > wb {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// Columns are the queue table's headings.
var Columns = []string{"Status", "Channel", "End user", "Device", "Category", "Priority", "Waiting / SLA", "Language", "Assignee"}

// WaitingColumn is the column that turns red past the SLA.
const WaitingColumn = 6

// Cell is the text of one column for a session.
func (q *Queue) Cell(s proto.SessionInfo, col int, now time.Time) string {
	switch col {
	case 0:
		if s.Status == proto.StatusReady && !s.AgentOnline {
			return "Ready (offline)"
		}
		return string(s.Status)
	case 1:
		return s.Channel
	case 2:
		if s.CustomerName != "" {
			return s.CustomerName
		}
		if s.Device != nil && s.Device.Username != "" {
			return s.Device.Username
		}
		return "—"
	case 3:
		if d := s.Device; d != nil {
			return strings.TrimSpace(strings.Join(nonEmpty(d.Hostname, strings.TrimSpace(d.OS+" "+d.OSVersion)), " · "))
		}
		if s.Status == proto.StatusWaiting {
			return "link not opened yet"
		}
		return "—"
	case 4:
		return s.Category
	case 5:
		return s.Priority
	case WaitingColumn:
		w := Duration(Waiting(s, now))
		if sla := q.SLA(s); sla > 0 && live(s.Status) {
			w += " / " + Duration(sla)
		}
		if q.Breached(s, now) {
			w = "! " + w
		}
		return w
	case 7:
		return s.Language
	case 8:
		if _, ok := q.invites[s.ID]; ok && !slices.Contains(s.Technicians, q.me) {
			return strings.Join(nonEmpty(s.Owner, "(invites you)"), " ")
		}
		owner := s.Owner
		if len(s.Technicians) > 0 && !slices.Equal(s.Technicians, []string{s.Owner}) {
			owner = strings.Join(nonEmpty(owner, "with "+strings.Join(s.Technicians, ", ")), " ")
		}
		return owner
	}
	return ""
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Duration writes a waiting time the way people read it: 45s, 3m 12s, 2h 05m.
func Duration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm %02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh %02dm", int(d.Hours()), int(d.Minutes())%60)
}
