package ui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// Queue is the support queue as the console shows it: the relay's snapshot
// and pushed updates, filtered to the technician's own sessions or to all
// they may see, sorted by waiting time. Ended sessions stay listed, below the
// live ones, until the console restarts. It is plain data, used on the UI
// goroutine.
type Queue struct {
	me       string
	mineOnly bool
	sessions map[string]proto.SessionInfo
}

// NewQueue returns an empty queue for the technician named me.
func NewQueue(me string) *Queue {
	return &Queue{me: me, mineOnly: true, sessions: map[string]proto.SessionInfo{}}
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

// Apply takes one pushed update.
func (q *Queue) Apply(s proto.SessionInfo) { q.sessions[s.ID] = s }

// SetMineOnly filters to the sessions the technician owns or is attached to.
func (q *Queue) SetMineOnly(mine bool) { q.mineOnly = mine }

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
	for _, s := range q.sessions {
		if q.mineOnly && !q.mine(s) {
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
var Columns = []string{"Status", "End user", "Device", "IP address", "Waiting", "Owner"}

// Cell is the text of one column for a session.
func Cell(s proto.SessionInfo, col int, now time.Time) string {
	switch col {
	case 0:
		if s.Status == proto.StatusReady && !s.AgentOnline {
			return "Ready (offline)"
		}
		return string(s.Status)
	case 1:
		if s.CustomerName != "" {
			return s.CustomerName
		}
		if s.Device != nil && s.Device.Username != "" {
			return s.Device.Username
		}
		return "—"
	case 2:
		if d := s.Device; d != nil {
			return strings.TrimSpace(strings.Join(nonEmpty(d.Hostname, strings.TrimSpace(d.OS+" "+d.OSVersion)), " · "))
		}
		if s.Status == proto.StatusWaiting {
			return "link not opened yet"
		}
		return "—"
	case 3:
		if d := s.Device; d != nil {
			return strings.Join(nonEmpty(d.PublicIP, strings.Join(d.LocalIPs, ", ")), " / ")
		}
		return ""
	case 4:
		return Duration(Waiting(s, now))
	case 5:
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
