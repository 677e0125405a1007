package desk

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/store"
)

// Allowed reports whether u has permission p: a disabled user nothing, an
// override for u and p decides, else u's role's default from Table.
func (d *Desk) Allowed(u store.User, p proto.Permission) bool {
	if u.Disabled {
		return false
	}
	if allow, ok := d.c().overrides[u.ID][p]; ok {
		return allow
	}
	return RoleHas(u.Role, p)
}

// Require is Allowed as an error: nil, or the refusal sentence of p.
func (d *Desk) Require(u store.User, p proto.Permission) error {
	if d.Allowed(u, p) {
		return nil
	}
	return refuse(p)
}

// Relation is how a user stands to a session; several can hold at once.
type Relation uint8

// Relations.
const (
	Owner    Relation = 1 << iota // owns (is assigned) the session
	Attached                      // is connected to it now (owner, guest or monitoring manager)
	Taker                         // may pick it up: live, unowned, in a channel their groups serve
	Manager                       // manages its channel, or every channel (technician manager, admin)
)

// Has reports whether r includes any of q.
func (r Relation) Has(q Relation) bool { return r&q != 0 }

// AllChannels reports whether u's role manages every channel's sessions.
func AllChannels(u store.User) bool {
	return u.Role == store.RoleAdmin || u.Role == store.RoleTechnicianManager
}

// Relation tells how u stands to s; attached says whether u is connected to it now.
func (d *Desk) Relation(u store.User, s *store.Session, attached bool) Relation {
	var r Relation
	if s.OwnerID == u.ID && u.ID != 0 {
		r |= Owner
	}
	if attached {
		r |= Attached
	}
	if s.OwnerID == 0 && s.Status.Live() && s.ChannelID != 0 && d.Serves(u.ID, s.ChannelID) {
		r |= Taker
	}
	if AllChannels(u) || (s.ChannelID != 0 && d.Manages(u.ID, s.ChannelID)) {
		r |= Manager
	}
	return r
}

// Serves reports whether user id is in a group that serves channel ch.
func (d *Desk) Serves(id, ch int64) bool {
	c := d.c()
	groups := c.channels[ch].Groups
	for _, g := range c.memberOf[id] {
		if slices.Contains(groups, g) {
			return true
		}
	}
	return false
}

// Manages reports whether user id is a channel manager of ch (by the
// channel's list; the role says whether that lets them do anything).
func (d *Desk) Manages(id, ch int64) bool {
	return slices.Contains(d.c().channels[ch].Managers, id)
}

// Sees reports whether u may see s (in the queue, its details, the
// history): managers of its channel and of all channels, its owner, anyone
// who took part, and while it waits unowned, the technicians who may take it.
func (d *Desk) Sees(u store.User, s *store.Session, tookPart bool) bool {
	if u.Disabled {
		return false
	}
	return tookPart || d.Relation(u, s, false).Has(Owner|Taker|Manager)
}

// Visibility is what u's history search may show beyond their own
// sessions: all, or the sessions of these channels.
func (d *Desk) Visibility(u store.User) (all bool, channels []int64) {
	if AllChannels(u) {
		return true, nil
	}
	for id, ch := range d.c().channels {
		if slices.Contains(ch.Managers, u.ID) {
			channels = append(channels, id)
		}
	}
	slices.Sort(channels)
	return false, channels
}

// Can decides whether u may exercise p on session s (attached: u is
// connected to it now). It returns nil or a Failure whose sentence names
// what is missing.
func (d *Desk) Can(u store.User, p proto.Permission, s *store.Session, attached bool) error {
	if err := d.Require(u, p); err != nil {
		return err
	}
	rel := d.Relation(u, s, attached)
	switch p {
	case proto.PermView, proto.PermControl, proto.PermClipboard, proto.PermChat, proto.PermScreenshot, proto.PermFiles, proto.PermRecord:
		if !rel.Has(Owner | Attached | Taker | Manager) {
			return notYours(s)
		}
		if ch, ok := d.Channel(s.ChannelID); ok && slices.Contains(ch.Narrow, p) {
			return proto.Errorf(proto.ErrForbidden, "Channel %s does not allow %s in its sessions.", ch.Name, p)
		}
	case proto.PermTransferTech, proto.PermTransferChannel, proto.PermInviteChannel, proto.PermInviteOutside:
		if !rel.Has(Owner | Manager) {
			return proto.Errorf(proto.ErrForbidden, "Only the session's owner or a manager of its channel may do this.")
		}
	case proto.PermMonitor, proto.PermTakeOver, proto.PermEndOthers:
		if !rel.Has(Manager) {
			return proto.Errorf(proto.ErrForbidden, "%s (The session is not in a channel you manage.)", refuse(p).Message)
		}
	case proto.PermReadTranscripts:
		if !d.Sees(u, s, attached) {
			return notYours(s)
		}
	}
	return nil
}

func notYours(s *store.Session) error {
	return proto.Errorf(proto.ErrSessionUnknown, "There is no open session %s in your queue.", s.ID)
}

// CanInvite decides whether u may invite invitee into s: invitee must be
// enabled; a technician who serves the session's channel (for a session in
// no channel: who shares a group with u) needs invite.channel, anyone else
// invite.outside.
func (d *Desk) CanInvite(u store.User, s *store.Session, invitee store.User) error {
	if invitee.Disabled {
		return proto.Errorf(proto.ErrBadRequest, "%s's account is disabled.", invitee.Name)
	}
	if invitee.ID == u.ID {
		return proto.Errorf(proto.ErrBadRequest, "You cannot invite yourself.")
	}
	inside := false
	if s.ChannelID != 0 {
		inside = d.Serves(invitee.ID, s.ChannelID) || d.Manages(invitee.ID, s.ChannelID)
	} else {
		c := d.c()
		for _, g := range c.memberOf[u.ID] {
			if slices.Contains(c.memberOf[invitee.ID], g) {
				inside = true
			}
		}
	}
	if inside {
		return d.Can(u, proto.PermInviteChannel, s, false)
	}
	return d.Can(u, proto.PermInviteOutside, s, false)
}

// CanTransferTo decides whether u may hand s to target: transfer.technician,
// and target must be enabled and able to work in the session's channel.
func (d *Desk) CanTransferTo(u store.User, s *store.Session, target store.User) error {
	if err := d.Can(u, proto.PermTransferTech, s, false); err != nil {
		return err
	}
	switch {
	case target.Disabled:
		return proto.Errorf(proto.ErrBadRequest, "%s's account is disabled.", target.Name)
	case target.ID == s.OwnerID:
		return proto.Errorf(proto.ErrBadRequest, "%s already owns this session.", target.Name)
	case s.ChannelID != 0 && !AllChannels(target) && !d.Serves(target.ID, s.ChannelID) && !d.Manages(target.ID, s.ChannelID):
		return proto.Errorf(proto.ErrBadRequest, "%s does not serve channel %s; transfer the session to a channel %s serves instead.",
			target.Name, d.ChannelName(s.ChannelID), target.Name)
	}
	return nil
}

// CanTransferToChannel decides whether u may move s into channel ch's queue.
func (d *Desk) CanTransferToChannel(u store.User, s *store.Session, ch int64) error {
	if err := d.Can(u, proto.PermTransferChannel, s, false); err != nil {
		return err
	}
	if ch == s.ChannelID && s.OwnerID == 0 {
		return proto.Errorf(proto.ErrBadRequest, "The session is already waiting in channel %s.", d.ChannelName(ch))
	}
	return nil
}

// CanManageChannel decides whether u may configure channel ch (0: create
// or delete channels, which only managers of all channels may).
func (d *Desk) CanManageChannel(u store.User, ch int64) error {
	if err := d.Require(u, proto.PermManageChannel); err != nil {
		return err
	}
	if AllChannels(u) || (ch != 0 && d.Manages(u.ID, ch)) {
		return nil
	}
	if ch == 0 {
		return proto.Errorf(proto.ErrForbidden, "Only a technician manager may create or delete channels.")
	}
	return proto.Errorf(proto.ErrForbidden, "You do not manage channel %s.", d.ChannelName(ch))
}

// Takers lists the enabled technicians who may pick up channel ch's
// requests (members of the groups that serve it), by ID.
func (d *Desk) Takers(ch int64) []int64 {
	c := d.c()
	var out []int64
	for id, u := range c.users {
		if !u.Disabled && d.Serves(id, ch) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// Load is what auto-assign knows about a technician right now.
type Load struct {
	Online   bool // has a console connected
	Sessions int  // sessions they own that are live
}

// Assign picks the technician channel ch's auto-assign gives a request to:
// among its takers who are online, available and under their limit, and
// not in skip (who let it time out already), those who speak lang if any
// does; then the least busy (ties: lowest ID), or the next in turn after
// the last one round robin chose. ok is false when the channel does not
// auto-assign or nobody qualifies.
func (d *Desk) Assign(ch int64, lang string, load func(id int64) Load, skip map[int64]bool) (id int64, ok bool) {
	c, found := d.Channel(ch)
	if !found || c.Assign == "" || c.Assign == proto.AssignOff {
		return 0, false
	}
	var cands, speakers []int64
	for _, t := range d.Takers(ch) {
		l := load(t)
		p := d.Profile(t)
		if skip[t] || !l.Online || p.Availability != proto.Available || l.Sessions >= p.MaxSessions {
			continue
		}
		cands = append(cands, t)
		if lang != "" && speaks(p.Languages, lang) {
			speakers = append(speakers, t)
		}
	}
	if len(speakers) > 0 {
		cands = speakers
	}
	if len(cands) == 0 {
		return 0, false
	}
	if c.Assign == proto.AssignRoundRobin {
		d.mu.Lock()
		defer d.mu.Unlock()
		last := d.rr[ch]
		i := sort.Search(len(cands), func(i int) bool { return cands[i] > last })
		if i == len(cands) {
			i = 0
		}
		d.rr[ch] = cands[i]
		return cands[i], true
	}
	best := cands[0]
	for _, t := range cands[1:] {
		if load(t).Sessions < load(best).Sessions {
			best = t
		}
	}
	return best, true
}

// speaks reports whether langs holds lang's base language ("de" for "de-CH").
func speaks(langs []string, lang string) bool {
	base := func(s string) string {
		b, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "-")
		b, _, _ = strings.Cut(b, "_")
		return b
	}
	want := base(lang)
	return slices.ContainsFunc(langs, func(l string) bool { return base(l) == want })
}

// Busy reports whether a technician counts as busy: they said so, or they
// are at their limit of concurrent sessions.
func (d *Desk) Busy(id int64, sessions int) bool {
	p := d.Profile(id)
	return p.Availability == proto.Busy || sessions >= p.MaxSessions
}

// Overdue reports whether request s (Ready, or Active after a transfer to
// the channel) waited in its channel longer than the channel's SLA without
// being picked up and was not escalated there yet;
// fallback is the channel it moves to next (0: it stays).
func (d *Desk) Overdue(s *store.Session, now time.Time) (overdue bool, fallback int64) {
	ch, ok := d.Channel(s.ChannelID)
	if !ok || ch.SLA <= 0 || s.OwnerID != 0 || !s.Status.Live() || s.Status == proto.StatusWaiting || !s.EscalatedAt.IsZero() || s.ReadyAt.IsZero() {
		return false, 0
	}
	if now.Sub(s.ReadyAt) < ch.SLA {
		return false, 0
	}
	if _, ok := d.Channel(ch.FallbackID); !ok || ch.FallbackID == ch.ID {
		return true, 0
	}
	return true, ch.FallbackID
}
