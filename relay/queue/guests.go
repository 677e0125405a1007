package queue

import (
	"context"
	"fmt"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// RemoveGuest takes an invited guest off a session t owns, or withdraws
// an invitation the guest has not used yet. A supervisor who monitors, and
// a previous owner who still watches after a transfer, are not guests.
func (m *Manager) RemoveGuest(ctx context.Context, t *Tech, req proto.GuestRemove) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.sessions[req.SessionID]
	if l == nil || (l.s.OwnerID != t.User.ID && l.techs[t.User.ID] == nil) {
		return proto.Errorf(proto.ErrSessionUnknown, "You are not connected to session %s.", req.SessionID)
	}
	if l.s.OwnerID != t.User.ID {
		return m.refused(ctx, t, "remove guest", l.s.ID, proto.Errorf(proto.ErrForbidden,
			"Only the session's owner removes guests; %s owns it.", m.userName(ctx, l.s.OwnerID)))
	}
	u, ok := m.desk.UserByName(req.User)
	var at *attachment
	if ok {
		at = l.techs[u.ID]
	}
	guest := at != nil && at.guest && !at.supervisor && u.ID != l.handover && u.ID != l.s.OwnerID
	if !guest && (!ok || l.invites[u.ID] == nil) {
		return proto.Errorf(proto.ErrBadRequest, "%s is not a guest of this session.", orNone(req.User))
	}
	delete(l.invites, u.ID)
	what, text := "withdrew the invitation of "+u.Name, fmt.Sprintf("%s withdrew the invitation to the session of %s.", t.User.Name, endUser(&l.s))
	if guest {
		m.detach(ctx, l, u.ID, at, m.cfg.Now(), "removed by "+t.User.Name)
		what, text = "removed "+u.Name, fmt.Sprintf("%s removed you from the session of %s.", t.User.Name, endUser(&l.s))
	}
	if err := m.st.AddEvent(ctx, *m.event(l, l.s.Status, t.User.Name, what)); err != nil {
		m.log.Error("record guest removal", "err", err)
	}
	m.audit(ctx, "session.guest.removed", t.User.Name, t.IP, l.s.ID, map[string]string{"guest": u.Name})
	m.notify(u.ID, &proto.Notice{Kind: proto.NoticeRemoved, SessionID: l.s.ID, From: t.User.Name, Text: text, Session: m.info(l)})
	m.announce(l)
	return nil
}
