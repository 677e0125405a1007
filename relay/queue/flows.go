package queue

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/desk"
	"github.com/relaydesk/relaydesk/relay/store"
	"github.com/relaydesk/relaydesk/relay/token"
)

// The service desk's flows: pick-up, transfer, invitations, notes,
// classification, history, availability, auto-assign and the SLA. Every
// decision is relay/desk's; this file carries them out on the live
// sessions, records them and tells whom they concern.

// Organisation is the name end users see: the admin's setting, else the
// relay's configured one.
func (m *Manager) Organisation() string {
	if o := m.desk.Organisation(); o != "" {
		return o
	}
	return m.cfg.Organisation
}

// refused audits a refused action and returns err unchanged.
func (m *Manager) refused(ctx context.Context, t *Tech, action, sessionID string, err error) error {
	m.audit(ctx, "desk.refused", t.User.Name, t.IP, sessionID, map[string]string{"action": action, "reason": err.Error()})
	return err
}

// checkTicket cleans a ticket reference and checks its lengths and URL.
func checkTicket(tk proto.Ticket) (proto.Ticket, error) {
	tk.System, tk.Key, tk.URL = strings.TrimSpace(proto.CleanText(tk.System)), strings.TrimSpace(proto.CleanText(tk.Key)), strings.TrimSpace(tk.URL)
	if len(tk.System) > proto.MaxField || len(tk.Key) > proto.MaxField {
		return tk, proto.Errorf(proto.ErrBadRequest, "A ticket system or key is longer than %d characters.", proto.MaxField)
	}
	if tk.URL != "" {
		u, err := url.Parse(tk.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(tk.URL) > proto.MaxURL {
			return tk, proto.Errorf(proto.ErrBadRequest, "A ticket URL must be an http or https address of at most %d characters.", proto.MaxURL)
		}
	}
	return tk, nil
}

// liveFor finds a live session t may see. Callers hold m.mu.
func (m *Manager) liveFor(t *Tech, id string) (*live, error) {
	l := m.sessions[id]
	if l == nil || !m.visible(t.User, l) {
		return nil, proto.Errorf(proto.ErrSessionUnknown, "There is no open session %s in your queue.", id)
	}
	return l, nil
}

// claim makes t the owner of unowned request l: atomic in the store too,
// so two relays sharing it cannot both hand it out. The technicians who
// were offered it hear who took it. Callers hold m.mu.
func (m *Manager) claim(ctx context.Context, t *Tech, l *live, detail string) error {
	if l.s.OwnerID != 0 {
		return proto.Errorf(proto.ErrTaken, "%s already picked this request up.", m.userName(ctx, l.s.OwnerID))
	}
	before := m.viewers(l)
	switch err := m.st.ClaimSession(ctx, l.s.ID, 0, t.User.ID); {
	case errors.Is(err, store.ErrExists):
		return proto.Errorf(proto.ErrTaken, "Another technician already picked this request up.")
	case err != nil:
		return m.internal("pick the request up", err)
	}
	l.s.OwnerID, l.assignedAt = t.User.ID, time.Time{}
	m.userNames[t.User.ID] = t.User.Name
	if err := m.st.UpdateSession(ctx, &l.s, m.event(l, l.s.Status, t.User.Name, detail)); err != nil {
		m.log.Error("record pick-up", "session", l.s.ID, "err", err)
	}
	m.audit(ctx, "session.picked", t.User.Name, t.IP, l.s.ID, map[string]string{"channel": m.desk.ChannelName(l.s.ChannelID)})
	info := m.info(l)
	for v := range before {
		if v.User.ID != t.User.ID && !m.sees(v.User, m.subs[v], l) {
			v.Conn.Send(proto.TypeNotice, &proto.Notice{Kind: proto.NoticeTaken, SessionID: l.s.ID, From: t.User.Name,
				Text: fmt.Sprintf("%s picked up the request of %s.", t.User.Name, endUser(&l.s)), Session: info, At: m.cfg.Now()})
		}
	}
	m.announceTo(l, before)
	return nil
}

func endUser(s *store.Session) string {
	switch {
	case s.CustomerName != "":
		return s.CustomerName
	case s.Device != nil && s.Device.Hostname != "":
		return s.Device.Hostname
	}
	return "an end user"
}

// setController makes user id (0: nobody) the one who controls l and
// tells the app and every attached technician; by is who handed it ("":
// nobody, the owner joined). Callers hold m.mu.
func (m *Manager) setController(l *live, id int64, by string) {
	l.controller = id
	msg := &proto.ControlChanged{SessionID: l.s.ID, By: by}
	if at := l.techs[id]; at != nil {
		msg.Controller = proto.Peer{ID: id, Name: at.user.Name}
	}
	if l.agent != nil {
		l.agent.Conn.Send(proto.TypeControlChanged, msg)
	}
	for _, at := range l.techs {
		if at.tech != nil {
			at.tech.Conn.Send(proto.TypeControlChanged, msg)
		}
	}
	m.tellParticipants(l)
}

// Control hands the mouse and keyboard of a session between its
// attached technicians: the owner gives it to one whose consent included
// control or takes it back; a guest asks the owner for it.
func (m *Manager) Control(ctx context.Context, t *Tech, req proto.Control) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.sessions[req.SessionID]
	if l == nil || l.techs[t.User.ID] == nil {
		return proto.Errorf(proto.ErrSessionUnknown, "You are not connected to session %s.", req.SessionID)
	}
	owner := l.techs[l.s.OwnerID]
	switch req.Action {
	case proto.ControlRequest:
		if l.s.OwnerID == t.User.ID {
			return proto.Errorf(proto.ErrBadRequest, "You own this session; take control instead of asking for it.")
		}
		if !m.notify(l.s.OwnerID, &proto.Notice{Kind: proto.NoticeControl, SessionID: l.s.ID, From: t.User.Name,
			Text: fmt.Sprintf("%s asks for control of the session of %s.", t.User.Name, endUser(&l.s)), Session: m.info(l)}) {
			return proto.Errorf(proto.ErrSessionState, "The session's owner is not signed in to a console right now.")
		}
		m.audit(ctx, "session.control.requested", t.User.Name, t.IP, l.s.ID, nil)
		return nil
	case proto.ControlGive, proto.ControlTake:
	default:
		return proto.Errorf(proto.ErrBadRequest, "A control action is give, take or request.")
	}
	if l.s.OwnerID != t.User.ID {
		return m.refused(ctx, t, "control", l.s.ID, proto.Errorf(proto.ErrForbidden, "Only the session's owner hands control over; ask %s with a control request.", m.userName(ctx, l.s.OwnerID)))
	}
	to := owner
	if req.Action == proto.ControlGive {
		u, ok := m.desk.UserByName(req.To)
		if !ok || l.techs[u.ID] == nil {
			return proto.Errorf(proto.ErrBadRequest, "%s is not connected to this session.", orNone(req.To))
		}
		to = l.techs[u.ID]
	}
	if !to.granted.Has(proto.PermControl) {
		return proto.Errorf(proto.ErrForbidden, "The end user allowed %s to see the screen only.", to.user.Name)
	}
	if l.controller == to.user.ID {
		return nil
	}
	m.setController(l, to.user.ID, t.User.Name)
	if err := m.st.AddEvent(ctx, *m.event(l, l.s.Status, t.User.Name, "gave control to "+to.user.Name)); err != nil {
		m.log.Error("record control", "err", err)
	}
	m.audit(ctx, "session.control", t.User.Name, t.IP, l.s.ID, map[string]string{"to": to.user.Name})
	m.announce(l)
	return nil
}

// monitor decides whether t may watch l as a supervisor: the monitor
// permission in l's channel (all channels: technician managers), an Active
// session, and not one's own. Callers hold m.mu.
func (m *Manager) monitor(ctx context.Context, t *Tech, l *live) error {
	if err := m.desk.Can(t.User, proto.PermMonitor, &l.s, false); err != nil {
		return m.refused(ctx, t, "monitor", l.s.ID, err)
	}
	switch {
	case l.s.OwnerID == t.User.ID:
		return proto.Errorf(proto.ErrBadRequest, "This is your own session; connect to it instead of monitoring it.")
	case l.s.Status != proto.StatusActive:
		return proto.Errorf(proto.ErrSessionState, "Only an Active session can be monitored; this one is %s.", l.s.Status)
	}
	return nil
}

// takenFrom tells a technician of l's channel who picked it up before
// them (instead of "no such session": it left their view). Callers hold m.mu.
func (m *Manager) takenFrom(t *Tech, l *live) error {
	if l == nil || l.s.ChannelID == 0 || l.s.OwnerID == 0 || l.s.OwnerID == t.User.ID || l.techs[t.User.ID] != nil || l.invites[t.User.ID] != nil {
		return nil
	}
	if !m.desk.Serves(t.User.ID, l.s.ChannelID) || m.desk.Relation(t.User, &l.s, false).Has(desk.Manager) {
		return nil
	}
	return proto.Errorf(proto.ErrTaken, "%s already picked this request up.", m.userName(context.Background(), l.s.OwnerID))
}

// Pick makes an unassigned request of a channel t serves (or manages) t's.
func (m *Manager) Pick(ctx context.Context, t *Tech, id string) (proto.SessionInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.takenFrom(t, m.sessions[id]); err != nil {
		return proto.SessionInfo{}, err
	}
	l, err := m.liveFor(t, id)
	if err != nil {
		return proto.SessionInfo{}, err
	}
	if l.s.OwnerID == t.User.ID {
		return m.info(l), nil
	}
	if !m.desk.Relation(t.User, &l.s, false).Has(desk.Taker | desk.Manager) {
		return proto.SessionInfo{}, m.refused(ctx, t, "pick", id, proto.Errorf(proto.ErrForbidden, "This request is not in a channel you serve."))
	}
	if err := m.claim(ctx, t, l, "picked up by "+t.User.Name); err != nil {
		return proto.SessionInfo{}, err
	}
	return m.info(l), nil
}

// notify sends a notice to every console of user id. Callers hold m.mu.
func (m *Manager) notify(id int64, n *proto.Notice) bool {
	sent := false
	n.At = m.cfg.Now()
	for t := range m.subs {
		if t.User.ID == id {
			t.Conn.Send(proto.TypeNotice, n)
			sent = true
		}
	}
	return sent
}

// online reports whether user id has a console subscribed. Callers hold m.mu.
func (m *Manager) online(id int64) bool {
	for t := range m.subs {
		if t.User.ID == id {
			return true
		}
	}
	return false
}

// Transfer hands a session to a technician or into a channel's queue.
func (m *Manager) Transfer(ctx context.Context, t *Tech, req proto.Transfer) (proto.SessionInfo, error) {
	note, err := checkText(req.Note, "A transfer note", proto.MaxNote)
	if err != nil && strings.TrimSpace(req.Note) != "" {
		return proto.SessionInfo{}, err
	}
	if (req.ToUser == "") == (req.ToChannel == "") {
		return proto.SessionInfo{}, proto.Errorf(proto.ErrBadRequest, "Name either a technician or a channel to transfer the session to.")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	l, err := m.liveFor(t, req.SessionID)
	if err != nil {
		return proto.SessionInfo{}, err
	}
	if l.s.Status == proto.StatusWaiting {
		return proto.SessionInfo{}, proto.Errorf(proto.ErrSessionState, "The end user has not started the app from this link yet; only Ready and Active sessions can be transferred.")
	}
	before := m.viewers(l)
	prevOwner := l.s.OwnerID
	from := m.userName(ctx, prevOwner)
	var to, detail string
	if req.ToUser != "" {
		target, ok := m.desk.UserByName(req.ToUser)
		if !ok {
			return proto.SessionInfo{}, proto.Errorf(proto.ErrBadRequest, "There is no technician %q.", req.ToUser)
		}
		if err := m.desk.CanTransferTo(t.User, &l.s, target); err != nil {
			return proto.SessionInfo{}, m.refused(ctx, t, "transfer.technician", l.s.ID, err)
		}
		if err := m.st.ClaimSession(ctx, l.s.ID, prevOwner, target.ID); err != nil {
			return proto.SessionInfo{}, m.internal("transfer the session", err)
		}
		l.s.OwnerID = target.ID
		m.userNames[target.ID] = target.Name
		to, detail = target.Name, "transferred to "+target.Name
	} else {
		ch, ok := m.desk.ChannelByName(req.ToChannel)
		if !ok {
			return proto.SessionInfo{}, proto.Errorf(proto.ErrBadRequest, "There is no channel %q.", req.ToChannel)
		}
		if err := m.desk.CanTransferToChannel(t.User, &l.s, ch.ID); err != nil {
			return proto.SessionInfo{}, m.refused(ctx, t, "transfer.channel", l.s.ID, err)
		}
		l.s.ChannelID, l.s.OwnerID, l.s.EscalatedAt = ch.ID, 0, time.Time{}
		l.s.ReadyAt = m.cfg.Now() // waiting in the new queue since now (and its SLA)
		l.skip = nil
		to, detail = "channel "+ch.Name, "transferred to channel "+ch.Name
	}
	if note != "" {
		detail += ": " + note
		n := &store.Note{SessionID: l.s.ID, At: m.cfg.Now(), UserID: t.User.ID, Author: t.User.Name, Text: "Transfer note: " + note}
		if err := m.st.AddNote(ctx, n); err != nil {
			m.log.Error("store transfer note", "session", l.s.ID, "err", err)
		}
	}
	l.assignedAt = time.Time{}
	// The previous owner keeps the view until the new owner joins (or
	// leaves at once); a manager transferring someone else's session
	// changes nothing about their own attachment.
	if at := l.techs[prevOwner]; at != nil && prevOwner != 0 {
		if req.Leave {
			m.detach(ctx, l, prevOwner, at, m.cfg.Now(), "handed the session to "+to)
		} else {
			at.guest = true
			l.handover = prevOwner
		}
	}
	if err := m.persist(ctx, l, m.event(l, l.s.Status, t.User.Name, detail)); err != nil {
		return proto.SessionInfo{}, m.internal("transfer the session", err)
	}
	m.announceTo(l, before)
	m.audit(ctx, "session.transferred", t.User.Name, t.IP, l.s.ID, map[string]string{"from": from, "to": to, "note": note})
	if l.agent != nil {
		l.agent.Conn.Send(proto.TypeHandover, &proto.Handover{SessionID: l.s.ID, From: t.User.Name, To: to})
	}
	if l.s.OwnerID != 0 {
		text := fmt.Sprintf("%s transferred the session of %s to you.", t.User.Name, endUser(&l.s))
		if note != "" {
			text += " Note: " + note
		}
		m.notify(l.s.OwnerID, &proto.Notice{Kind: proto.NoticeAssigned, SessionID: l.s.ID, From: t.User.Name, Text: text, Session: m.info(l)})
	} else {
		m.route(ctx, l)
	}
	return m.info(l), nil
}

// Invite asks a colleague into a session.
func (m *Manager) Invite(ctx context.Context, t *Tech, req proto.Invite) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, err := m.liveFor(t, req.SessionID)
	if err != nil {
		return err
	}
	invitee, ok := m.desk.UserByName(req.User)
	if !ok {
		return proto.Errorf(proto.ErrBadRequest, "There is no technician %q.", req.User)
	}
	if err := m.desk.CanInvite(t.User, &l.s, invitee); err != nil {
		return m.refused(ctx, t, "invite", l.s.ID, err)
	}
	switch {
	case l.techs[invitee.ID] != nil:
		return proto.Errorf(proto.ErrBadRequest, "%s is already in this session.", invitee.Name)
	case l.invites[invitee.ID] != nil:
		return proto.Errorf(proto.ErrBadRequest, "%s is already invited.", invitee.Name)
	case !m.online(invitee.ID):
		return proto.Errorf(proto.ErrBadRequest, "%s is not signed in to a console.", invitee.Name)
	}
	if l.invites == nil {
		l.invites = make(map[int64]*invite)
	}
	l.invites[invitee.ID] = &invite{from: t.User, at: m.cfg.Now()}
	if err := m.st.AddEvent(ctx, *m.event(l, l.s.Status, t.User.Name, "invited "+invitee.Name)); err != nil {
		m.log.Error("record invitation", "err", err)
	}
	m.audit(ctx, "session.invited", t.User.Name, t.IP, l.s.ID, map[string]string{"invitee": invitee.Name})
	m.notify(invitee.ID, &proto.Notice{Kind: proto.NoticeInvitation, SessionID: l.s.ID, From: t.User.Name,
		Text: fmt.Sprintf("%s invites you to join the session of %s.", t.User.Name, endUser(&l.s)), Session: m.info(l)})
	m.announce(l)
	return nil
}

// AnswerInvite accepts or declines t's invitation into a session.
func (m *Manager) AnswerInvite(ctx context.Context, t *Tech, req proto.InviteAnswer) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.sessions[req.SessionID]
	var inv *invite
	if l != nil {
		inv = l.invites[t.User.ID]
	}
	if inv == nil {
		return proto.Errorf(proto.ErrSessionUnknown, "You have no invitation to session %s.", req.SessionID)
	}
	verb := "declined"
	if req.Accept {
		inv.accepted, verb = true, "accepted"
	} else {
		delete(l.invites, t.User.ID)
	}
	if err := m.st.AddEvent(ctx, *m.event(l, l.s.Status, t.User.Name, verb+" the invitation of "+inv.from.Name)); err != nil {
		m.log.Error("record invitation answer", "err", err)
	}
	m.audit(ctx, "session.invite."+verb, t.User.Name, t.IP, l.s.ID, map[string]string{"inviter": inv.from.Name})
	m.notify(inv.from.ID, &proto.Notice{Kind: proto.NoticeInviteReply, SessionID: l.s.ID, From: t.User.Name,
		Text: fmt.Sprintf("%s %s your invitation.", t.User.Name, verb), Session: m.info(l)})
	m.announce(l)
	return nil
}

// AddNote adds an internal note to a session t works on or manages.
func (m *Manager) AddNote(ctx context.Context, t *Tech, req proto.NoteAdd) error {
	text, err := checkText(req.Text, "A note", proto.MaxNote)
	if err != nil {
		return err
	}
	s, err := m.workable(ctx, t, req.SessionID)
	if err != nil {
		return err
	}
	n := &store.Note{SessionID: s.ID, At: m.cfg.Now(), UserID: t.User.ID, Author: t.User.Name, Text: text}
	if err := m.st.AddNote(ctx, n); err != nil {
		return m.internal("store the note", err)
	}
	m.audit(ctx, "session.note", t.User.Name, t.IP, s.ID, nil)
	return nil
}

// workable finds a session (live or ended) that t owns, is or was
// attached to, or manages: the ones t may annotate and classify.
func (m *Manager) workable(ctx context.Context, t *Tech, id string) (store.Session, error) {
	unknown := proto.Errorf(proto.ErrSessionUnknown, "There is no session %s that you work on.", id)
	s, err := m.st.Session(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return s, unknown
	} else if err != nil {
		return s, m.internal("look up the session", err)
	}
	ids, err := m.st.Participants(ctx, id)
	if err != nil {
		return s, m.internal("look up the session", err)
	}
	if s.OwnerID == t.User.ID || slices.Contains(ids, t.User.ID) || m.desk.Relation(t.User, &s, false).Has(desk.Manager) {
		return s, nil
	}
	if m.desk.Sees(t.User, &s, false) {
		return s, m.refused(ctx, t, "annotate", id, proto.Errorf(proto.ErrForbidden, "Pick the request up before you work on it."))
	}
	return s, unknown
}

// UpdateSession changes a session's category, priority or ticket.
func (m *Manager) UpdateSession(ctx context.Context, t *Tech, req proto.SessionUpdate) (proto.SessionInfo, error) {
	var cat, prio string
	if req.Category != nil {
		cat = *req.Category
	}
	if req.Priority != nil {
		prio = *req.Priority
	}
	if err := m.desk.CheckClassification(cat, prio); err != nil {
		return proto.SessionInfo{}, err
	}
	var tk proto.Ticket
	if req.Ticket != nil {
		var err error
		if tk, err = checkTicket(*req.Ticket); err != nil {
			return proto.SessionInfo{}, err
		}
	}
	s, err := m.workable(ctx, t, req.SessionID)
	if err != nil {
		return proto.SessionInfo{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.sessions[s.ID]
	if l != nil {
		s = l.s
	}
	var changed []string
	if req.Category != nil && s.Category != cat {
		s.Category = cat
		changed = append(changed, "category "+orNone(cat))
	}
	if req.Priority != nil && s.Priority != prio {
		s.Priority = prio
		changed = append(changed, "priority "+orNone(prio))
	}
	if req.Ticket != nil && s.Ticket != tk {
		s.Ticket = tk
		changed = append(changed, "ticket "+orNone(strings.TrimSpace(tk.System+" "+tk.Key)))
	}
	if len(changed) > 0 {
		ev := &store.StatusEvent{SessionID: s.ID, At: m.cfg.Now(), Status: s.Status, Actor: t.User.Name, Detail: "set " + strings.Join(changed, ", ")}
		if err := m.st.UpdateSession(ctx, &s, ev); err != nil {
			return proto.SessionInfo{}, m.internal("update the session", err)
		}
		m.audit(ctx, "session.classified", t.User.Name, t.IP, s.ID, map[string]string{"changes": strings.Join(changed, ", ")})
	}
	if l != nil {
		l.s = s
		m.announce(l)
		return m.info(l), nil
	}
	ids, _ := m.st.Participants(ctx, s.ID)
	return m.sessionInfo(&s, m.names(ctx, ids), false), nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// History searches the sessions t may see, live or ended, newest first.
func (m *Manager) History(ctx context.Context, t *Tech, req proto.HistoryRequest) (proto.HistoryPage, error) {
	f := store.SessionFilter{
		Customer: strings.TrimSpace(req.Customer), Hostname: strings.TrimSpace(req.Hostname), Statuses: req.Statuses,
		Category: req.Category, Priority: req.Priority, MinRating: req.MinRating, Since: req.Since, Until: req.Until,
		VisibleTo: t.User.ID, Limit: req.Limit,
	}
	f.All, f.Channels = m.desk.Visibility(t.User)
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 200)
	if req.Channel != "" {
		ch, ok := m.desk.ChannelByName(req.Channel)
		if !ok {
			return proto.HistoryPage{}, proto.Errorf(proto.ErrBadRequest, "There is no channel %q.", req.Channel)
		}
		f.ChannelID = ch.ID
	}
	if req.Technician != "" {
		u, ok := m.desk.UserByName(req.Technician)
		if !ok {
			return proto.HistoryPage{}, proto.Errorf(proto.ErrBadRequest, "There is no technician %q.", req.Technician)
		}
		f.TechnicianID = u.ID
	}
	if req.MinRating < 0 || req.MinRating > 5 {
		return proto.HistoryPage{}, proto.Errorf(proto.ErrBadRequest, "A rating is 1 to 5 stars.")
	}
	if req.Cursor != "" {
		before, err := parseCursor(req.Cursor)
		if err != nil {
			return proto.HistoryPage{}, err
		}
		f.Before = &before
	}
	rows, err := m.st.SearchSessions(ctx, f)
	if err != nil {
		return proto.HistoryPage{}, m.internal("search the history", err)
	}
	page := proto.HistoryPage{Sessions: make([]proto.SessionInfo, 0, len(rows))}
	m.mu.Lock()
	for i := range rows {
		if l := m.sessions[rows[i].ID]; l != nil {
			page.Sessions = append(page.Sessions, m.info(l))
			continue
		}
		page.Sessions = append(page.Sessions, m.sessionInfo(&rows[i], nil, false))
	}
	m.mu.Unlock()
	m.markRecorded(ctx, page.Sessions) // record.go
	if len(rows) == f.Limit {
		page.Next = cursor(rows[len(rows)-1])
	}
	m.audit(ctx, "history.searched", t.User.Name, t.IP, "", map[string]string{"results": strconv.Itoa(len(rows))})
	return page, nil
}

// cursor encodes a page's last session: its creation time and ID.
func cursor(s store.Session) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(s.CreatedAt.UnixNano(), 10) + "." + s.ID))
}

func parseCursor(c string) (store.Session, error) {
	bad := proto.Errorf(proto.ErrBadRequest, "The history cursor is not valid; start from the first page.")
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return store.Session{}, bad
	}
	ns, id, ok := strings.Cut(string(b), ".")
	n, err := strconv.ParseInt(ns, 10, 64)
	if !ok || err != nil || id == "" {
		return store.Session{}, bad
	}
	return store.Session{ID: id, CreatedAt: time.Unix(0, n)}, nil
}

// SetAvailability records t's own availability and tells auto-assign.
func (m *Manager) SetAvailability(ctx context.Context, t *Tech, a proto.Availability) error {
	if !a.Valid() {
		return proto.Errorf(proto.ErrBadRequest, "Availability is available, busy or away.")
	}
	p := m.desk.Profile(t.User.ID)
	p.Availability = a
	if err := m.st.SetProfile(ctx, t.User.ID, p); err != nil {
		return m.internal("set your availability", err)
	}
	if err := m.desk.Reload(ctx); err != nil {
		m.log.Error("reload desk", "err", err)
	}
	m.audit(ctx, "technician.availability", t.User.Name, t.IP, "", map[string]string{"availability": string(a)})
	if a == proto.Available {
		m.mu.Lock()
		defer m.mu.Unlock()
		for _, l := range m.sessions {
			if l.s.Status == proto.StatusReady && l.s.OwnerID == 0 && l.s.ChannelID != 0 {
				m.route(ctx, l)
			}
		}
	}
	return nil
}

// Live lists the live sessions u may see and act on, oldest first: the
// queue's rule with all (managers: every session of their channels), for
// callers without a subscription, such as the admin API.
func (m *Manager) Live(u store.User) []proto.SessionInfo {
	out := []proto.SessionInfo{}
	if u.Disabled {
		return out
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, l := range m.sessions {
		if m.visible(u, l) {
			out = append(out, m.info(l))
		}
	}
	slices.SortFunc(out, func(a, b proto.SessionInfo) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// loads counts, for every technician, the live sessions they own and
// whether a console of theirs is subscribed. Callers hold m.mu.
func (m *Manager) loads() map[int64]desk.Load {
	out := make(map[int64]desk.Load)
	for t := range m.subs {
		l := out[t.User.ID]
		l.Online = true
		out[t.User.ID] = l
	}
	for _, l := range m.sessions {
		if l.s.OwnerID != 0 {
			ld := out[l.s.OwnerID]
			ld.Sessions++
			out[l.s.OwnerID] = ld
		}
	}
	return out
}

// Directory lists channels, technicians, categories and priorities, and
// what t may do.
func (m *Manager) Directory(t *Tech) proto.Directory {
	m.mu.Lock()
	loads := m.loads()
	m.mu.Unlock()
	d := proto.Directory{Categories: m.desk.Categories(), Priorities: m.desk.Priorities()}
	for _, ch := range m.desk.Channels() {
		d.Channels = append(d.Channels, proto.ChannelInfo{
			ID: ch.ID, Name: ch.Name, Description: ch.Description, Serves: m.desk.Serves(t.User.ID, ch.ID),
			Manages: m.desk.Manages(t.User.ID, ch.ID), Default: ch.Default, SLA: ch.SLA, Form: ch.Form,
		})
	}
	tech := func(u store.User) proto.TechnicianInfo {
		p := m.desk.Profile(u.ID)
		a := p.Availability
		if m.desk.Busy(u.ID, loads[u.ID].Sessions) && a == proto.Available {
			a = proto.Busy
		}
		return proto.TechnicianInfo{ID: u.ID, Name: u.Name, Role: string(u.Role), Availability: a,
			Online: loads[u.ID].Online, Sessions: loads[u.ID].Sessions, Languages: p.Languages}
	}
	for _, u := range m.desk.Users() {
		if !u.Disabled {
			d.Technicians = append(d.Technicians, tech(u))
		}
	}
	for _, p := range desk.Permissions() {
		if m.desk.Allowed(t.User, p) {
			d.Permissions = append(d.Permissions, p)
		}
	}
	d.Me = tech(t.User)
	return d
}

// waiting reports whether l waits in its channel's queue for a
// technician: Ready, or Active while its previous owner still watches
// after a transfer to the channel. Callers hold m.mu.
func waiting(l *live) bool {
	return l.s.Status == proto.StatusReady || (l.s.Status == proto.StatusActive && l.s.OwnerID == 0)
}

// route offers a Ready request of a channel to its technicians (the
// queue push does that) and, when the channel auto-assigns, gives it to
// one of them. Callers hold m.mu.
func (m *Manager) route(ctx context.Context, l *live) {
	if l.s.ChannelID == 0 || l.s.OwnerID != 0 || !waiting(l) {
		return
	}
	loads := m.loads()
	id, ok := m.desk.Assign(l.s.ChannelID, l.s.Language, func(id int64) desk.Load { return loads[id] }, l.skip)
	if !ok {
		m.announce(l)
		return
	}
	before := m.viewers(l)
	if err := m.st.ClaimSession(ctx, l.s.ID, 0, id); err != nil {
		m.log.Error("auto-assign", "session", l.s.ID, "err", err)
		return
	}
	u, _ := m.desk.User(id)
	l.s.OwnerID, l.assignedAt = id, m.cfg.Now()
	m.userNames[id] = u.Name
	if err := m.persist(ctx, l, m.event(l, l.s.Status, actorRelay, "assigned to "+u.Name)); err != nil {
		m.log.Error("record auto-assign", "session", l.s.ID, "err", err)
	}
	m.announceTo(l, before)
	m.audit(ctx, "session.assigned", actorRelay, "", l.s.ID, map[string]string{"to": u.Name, "channel": m.desk.ChannelName(l.s.ChannelID)})
	m.notify(id, &proto.Notice{Kind: proto.NoticeAssigned, SessionID: l.s.ID, From: actorRelay,
		Text:    fmt.Sprintf("The request of %s in %s is assigned to you; connect within %s.", endUser(&l.s), m.desk.ChannelName(l.s.ChannelID), roundUp(m.cfg.AssignTimeout)),
		Session: m.info(l)})
}

// sweepDesk applies the service desk's deadlines to l: an auto-assigned
// request not connected in time moves on, and a request past its
// channel's SLA is escalated to the channel's managers and moves to the
// fallback channel. Callers hold m.mu.
func (m *Manager) sweepDesk(ctx context.Context, l *live, now time.Time) {
	if l.s.ChannelID == 0 || (l.s.Status != proto.StatusReady && l.s.Status != proto.StatusActive) {
		return
	}
	if !l.assignedAt.IsZero() && now.Sub(l.assignedAt) >= m.cfg.AssignTimeout && l.techs[l.s.OwnerID] == nil && !l.consent {
		name := m.userName(ctx, l.s.OwnerID)
		if l.skip == nil {
			l.skip = make(map[int64]bool)
		}
		l.skip[l.s.OwnerID] = true
		before := m.viewers(l)
		l.s.OwnerID, l.assignedAt = 0, time.Time{}
		if err := m.persist(ctx, l, m.event(l, l.s.Status, actorRelay, name+" did not connect within "+roundUp(m.cfg.AssignTimeout))); err != nil {
			m.log.Error("unassign", "session", l.s.ID, "err", err)
		}
		m.announceTo(l, before)
		m.route(ctx, l)
	}
	overdue, fallback := m.desk.Overdue(&l.s, now)
	if !overdue {
		return
	}
	ch, _ := m.desk.Channel(l.s.ChannelID)
	l.s.EscalatedAt = now
	detail := fmt.Sprintf("nobody picked the request up within the SLA of %s", roundUp(ch.SLA))
	m.audit(ctx, "session.escalated", actorRelay, "", l.s.ID, map[string]string{"channel": ch.Name, "fallback": m.desk.ChannelName(fallback)})
	for _, mgr := range ch.Managers {
		m.notify(mgr, &proto.Notice{Kind: proto.NoticeEscalated, SessionID: l.s.ID, From: actorRelay,
			Text:    fmt.Sprintf("The request of %s in %s has waited longer than its SLA of %s.", endUser(&l.s), ch.Name, roundUp(ch.SLA)),
			Session: m.info(l)})
	}
	if fallback != 0 {
		before := m.viewers(l)
		l.s.ChannelID, l.s.EscalatedAt, l.s.ReadyAt, l.skip = fallback, time.Time{}, now, nil
		detail += "; moved to channel " + m.desk.ChannelName(fallback)
		if err := m.persist(ctx, l, m.event(l, l.s.Status, actorRelay, detail)); err != nil {
			m.log.Error("escalate", "session", l.s.ID, "err", err)
		}
		m.announceTo(l, before)
		m.route(ctx, l)
		return
	}
	if err := m.persist(ctx, l, m.event(l, l.s.Status, actorRelay, detail)); err != nil {
		m.log.Error("escalate", "session", l.s.ID, "err", err)
	}
}

// call registers an SOS Call: the end user's request, with what they
// entered in the channel's intake form, enters the channel's queue Ready.
func (m *Manager) call(ctx context.Context, a *Agent, req proto.AgentRegister, dev *proto.DeviceInfo, lang string) (proto.AgentRegistered, error) {
	ch, ok := m.desk.ChannelBySOSToken(req.ChannelToken)
	if !ok {
		m.audit(ctx, "call.unknown", actorEndUser, a.IP, "", nil)
		return proto.AgentRegistered{}, proto.Errorf(proto.ErrLinkUnknown, "%s", unknownPage)
	}
	in, err := m.checkIntake(ch, req.Intake)
	if err != nil {
		return proto.AgentRegistered{}, err
	}
	now := m.cfg.Now()
	key, keyHash := token.New()
	l := &live{techs: make(map[int64]*attachment), agent: a}
	l.s = store.Session{
		ID: newSessionID(), Kind: proto.KindCall, Status: proto.StatusReady, ChannelID: ch.ID,
		CustomerName: in.Name, Problem: in.Problem, Category: in.Category, Priority: in.Priority, Language: lang,
		AgentKeyHash: keyHash, Device: dev, CreatedAt: now, ReadyAt: now,
	}
	ev := store.StatusEvent{SessionID: l.s.ID, At: now, Status: proto.StatusReady, Actor: actorEndUser, Detail: "SOS Call to channel " + ch.Name + " from " + a.IP}
	if err := m.st.CreateSession(ctx, &l.s, ev); err != nil {
		return proto.AgentRegistered{}, m.internal("register your request", err)
	}
	m.index(l)
	a.SessionID = l.s.ID
	m.audit(ctx, "call.registered", actorEndUser, a.IP, l.s.ID, map[string]string{"channel": ch.Name})
	m.route(ctx, l)
	m.announce(l)
	return proto.AgentRegistered{SessionID: l.s.ID, ResumeKey: key, Status: l.s.Status, Channel: ch.Name}, nil
}

// unknownPage is the sentence for an SOS Call token no channel with SOS
// Call on carries.
const unknownPage = "This support page is not available any more. Ask your IT department for the current one."

// CallForm tells the SOS app, before it registers an SOS Call, what the
// channel whose page carries token asks: its form (a field that is not
// asked reads as off) and the categories and priorities to choose from.
// An unknown token or a channel with SOS Call off gets the ErrLinkUnknown
// that registering would give.
func (m *Manager) CallForm(token string) (proto.CallFormInfo, error) {
	ch, ok := m.desk.ChannelBySOSToken(token)
	if !ok {
		return proto.CallFormInfo{}, proto.Errorf(proto.ErrLinkUnknown, "%s", unknownPage)
	}
	form := ch.Form
	for _, f := range []*proto.FieldMode{&form.Name, &form.Problem, &form.Category, &form.Priority} {
		if !f.Asked() {
			*f = proto.FieldOff
		}
	}
	return proto.CallFormInfo{Channel: ch.Name, Form: form, Categories: m.desk.Categories(), Priorities: m.desk.Priorities()}, nil
}

// checkIntake cleans an SOS Call form and checks it against the channel's
// form: required fields filled, texts short enough, category and priority
// from the organisation's lists.
func (m *Manager) checkIntake(ch store.Channel, in *proto.Intake) (proto.Intake, error) {
	var out proto.Intake
	if in != nil {
		out = *in
	}
	out.Name = strings.TrimSpace(proto.CleanText(out.Name))
	out.Problem = strings.TrimSpace(out.Problem)
	if len(out.Name) > proto.MaxField {
		return out, proto.Errorf(proto.ErrBadRequest, "Your name is longer than %d characters.", proto.MaxField)
	}
	if out.Problem != "" {
		p, err := checkText(out.Problem, "The problem description", proto.MaxNote)
		if err != nil {
			return out, err
		}
		out.Problem = p
	}
	for _, f := range []struct {
		mode     proto.FieldMode
		value    *string
		sentence string
	}{
		{ch.Form.Name, &out.Name, "Please enter your name."},
		{ch.Form.Problem, &out.Problem, "Please describe your problem."},
		{ch.Form.Category, &out.Category, "Please choose a category."},
		{ch.Form.Priority, &out.Priority, "Please choose a priority."},
	} {
		switch {
		case f.mode == proto.FieldRequired && *f.value == "":
			return out, proto.Errorf(proto.ErrBadRequest, "%s", f.sentence)
		case f.mode == "" || f.mode == proto.FieldOff:
			*f.value = "" // not asked: not kept
		}
	}
	if err := m.desk.CheckClassification(out.Category, out.Priority); err != nil {
		return out, err
	}
	return out, nil
}
