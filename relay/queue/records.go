package queue

import (
	"context"
	"errors"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/store"
	"github.com/relaydesk/relaydesk/relay/token"
)

// RecordsLink answers the app's request, at the rating step after its
// session ended, for a link to the session's records page: a fresh token
// (relay/token, 256 bits) whose hash is stored, so that the relay can
// serve the page but a copy of its database cannot open it. The app
// proves with the session's resume key that it ran the session; the link
// is given within the rating window, for sessions a technician joined, at
// most proto.MaxRecordsLinks times. Whether the page lists anything is
// the session's visibility when it is opened.
func (m *Manager) RecordsLink(ctx context.Context, ip string, r proto.RecordsLinkRequest) (proto.RecordsLink, error) {
	s, err := m.appSession(ctx, ip, r.SessionID, r.ResumeKey, "session.records.refused",
		proto.Errorf(proto.ErrSessionUnknown, "Only the app that took part in this session can open its records."))
	now := m.cfg.Now()
	switch {
	case err != nil:
		return proto.RecordsLink{}, err
	case s.Status.Live():
		return proto.RecordsLink{}, proto.Errorf(proto.ErrSessionState, "The records of a session can be opened once it has ended.")
	case s.StartedAt.IsZero():
		return proto.RecordsLink{}, proto.Errorf(proto.ErrSessionState, "No technician joined this session, so it has no records.")
	case now.Sub(s.EndedAt) > m.cfg.RatingWindow:
		return proto.RecordsLink{}, proto.Errorf(proto.ErrSessionState, "The link to a session's records is given only within %s after it ended.", roundUp(m.cfg.RatingWindow))
	}
	tok, hash := token.New()
	if err := m.st.AddRecordsLink(ctx, s.ID, hash, now, proto.MaxRecordsLinks); errors.Is(err, store.ErrLimit) {
		return proto.RecordsLink{}, proto.Errorf(proto.ErrSessionState, "This app asked for the link to this session's records too often.")
	} else if err != nil {
		return proto.RecordsLink{}, m.internal("store the records link", err)
	}
	vis, err := m.st.SessionVisibility(ctx, s.ID)
	if err != nil {
		return proto.RecordsLink{}, m.internal("read the session's visibility", err)
	}
	m.audit(ctx, "session.records.link", actorEndUser, ip, s.ID, map[string]string{"visibility": string(vis)})
	return proto.RecordsLink{URL: m.cfg.LinkBase + proto.RecordsPath + tok, Internal: vis == proto.VisibilityInternal}, nil
}
