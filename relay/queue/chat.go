package queue

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/store"
	"github.com/relaydesk/relaydesk/relay/token"
)

// endUserName is how the end user appears in the chat when the link gave no name.
const endUserName = "End user"

// checkText trims a chat text or rating comment, removes its control
// characters (but newline and tab) and checks it is valid UTF-8 of at most
// limit bytes; what names the text in the sentence.
func checkText(s, what string, limit int) (string, error) {
	if !utf8.ValidString(s) {
		return "", proto.Errorf(proto.ErrBadRequest, "The %s is not valid text (UTF-8).", what)
	}
	// Control characters (ESC and the like) would reach the readers' terminals.
	t := strings.TrimSpace(proto.CleanText(s))
	if len(t) > limit {
		return "", proto.Errorf(proto.ErrBadRequest, "The %s has %d bytes; at most %d are allowed.", what, len(t), limit)
	}
	return t, nil
}

// AgentChat stores a chat message from the session's agent and delivers it
// to every participant.
func (m *Manager) AgentChat(ctx context.Context, a *Agent, c proto.Chat) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.sessions[a.SessionID]
	if l == nil || l.agent != a || c.SessionID != l.s.ID {
		return proto.Errorf(proto.ErrSessionUnknown, "This session has ended or is not yours.")
	}
	from := l.s.CustomerName
	if from == "" {
		from = endUserName
	}
	return m.chat(ctx, l, 0, from, c.Text, a.Conn)
}

// TechChat stores a chat message from a technician attached to the session
// (on any of their connections) and delivers it to every participant.
func (m *Manager) TechChat(ctx context.Context, t *Tech, c proto.Chat) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.sessions[c.SessionID]
	if l == nil || l.techs[t.User.ID] == nil {
		return proto.Errorf(proto.ErrSessionUnknown, "You are not connected to session %s.", c.SessionID)
	}
	if err := m.desk.Can(t.User, proto.PermChat, &l.s, true); err != nil {
		return m.refused(ctx, t, "chat", l.s.ID, err)
	}
	m.userNames[t.User.ID] = t.User.Name
	return m.chat(ctx, l, t.User.ID, t.User.Name, c.Text, t.Conn)
}

// chat checks, stores and delivers one message: to the agent, every
// attached technician and the sender, in the order stored. Callers hold m.mu.
func (m *Manager) chat(ctx context.Context, l *live, fromUser int64, from, text string, sender Conn) error {
	text, err := checkText(text, "chat message", proto.MaxChat)
	if err != nil {
		return err
	}
	if text == "" {
		return proto.Errorf(proto.ErrBadRequest, "A chat message cannot be empty.")
	}
	msg := store.ChatMessage{SessionID: l.s.ID, At: m.cfg.Now(), FromUser: fromUser, From: from, Text: text}
	if err := m.st.AddChat(ctx, &msg); err != nil {
		return m.internal("store the chat message", err)
	}
	ev := &proto.Chat{SessionID: l.s.ID, From: from, FromPeer: fromUser, Text: text, At: msg.At}
	toSender := true
	send := func(c Conn) {
		if c == sender {
			toSender = false
		}
		c.Send(proto.TypeChat, ev)
	}
	if l.agent != nil {
		send(l.agent.Conn)
	}
	for _, at := range l.techs {
		if at.tech != nil {
			send(at.tech.Conn)
		}
	}
	if toSender {
		sender.Send(proto.TypeChat, ev)
	}
	return nil
}

// Rate records the end user's rating of a session that ended. Only the app
// that ran the session can rate it (it proves so with the session's resume
// key), once, within RatingWindow after the end, and only if a technician
// had joined. Subscribers who may see the session are told.
func (m *Manager) Rate(ctx context.Context, ip string, r proto.Rate) error {
	if r.Stars < 1 || r.Stars > 5 {
		return proto.Errorf(proto.ErrBadRequest, "A rating has 1 to 5 stars.")
	}
	comment, err := checkText(r.Comment, "rating comment", proto.MaxRatingComment)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s, err := m.appSession(ctx, ip, r.SessionID, r.ResumeKey, "session.rating.refused",
		proto.Errorf(proto.ErrSessionUnknown, "Only the app that took part in this session can rate it."))
	switch {
	case err != nil:
		return err
	case s.Status.Live():
		return proto.Errorf(proto.ErrSessionState, "The session can be rated once it has ended.")
	case s.StartedAt.IsZero():
		return proto.Errorf(proto.ErrSessionState, "No technician joined this session, so there is nothing to rate.")
	case s.Rating != 0:
		return proto.Errorf(proto.ErrSessionState, "This session was already rated.")
	case m.cfg.Now().Sub(s.EndedAt) > m.cfg.RatingWindow:
		return proto.Errorf(proto.ErrSessionState, "A session can be rated only within %s after it ended.", roundUp(m.cfg.RatingWindow))
	}
	now := m.cfg.Now()
	if err := m.st.RateSession(ctx, s.ID, r.Stars, comment, now); errors.Is(err, store.ErrExists) {
		return proto.Errorf(proto.ErrSessionState, "This session was already rated.")
	} else if err != nil {
		return m.internal("store the rating", err)
	}
	s.Rating, s.RatingComment, s.RatedAt = r.Stars, comment, now
	ev := store.StatusEvent{SessionID: s.ID, At: now, Status: s.Status, Actor: actorEndUser, Detail: fmt.Sprintf("rated the session %d of 5 stars", r.Stars)}
	if err := m.st.AddEvent(ctx, ev); err != nil {
		m.log.Error("record rating", "session", s.ID, "err", err)
	}
	m.audit(ctx, "session.rated", actorEndUser, ip, s.ID, map[string]string{"stars": fmt.Sprint(r.Stars)})
	m.announceStored(ctx, &s)
	return nil
}

// appSession finds the session of an app that proves it ran it with the
// session's resume key, after the session's own connection is gone (the
// rating, the records link). A missing key, or one of no session or of
// another session, is notYours; the last two are audited as refused.
func (m *Manager) appSession(ctx context.Context, ip, id, key, refused string, notYours error) (store.Session, error) {
	if key == "" {
		return store.Session{}, notYours
	}
	s, err := m.st.SessionByAgentKey(ctx, token.Hash(key))
	switch {
	case errors.Is(err, store.ErrNotFound):
		m.audit(ctx, refused, actorEndUser, ip, id, map[string]string{"reason": "unknown resume key"})
		return s, notYours
	case err != nil:
		return s, m.internal("look up the session", err)
	case s.ID != id:
		m.audit(ctx, refused, actorEndUser, ip, id, map[string]string{"reason": "resume key of another session"})
		return s, notYours
	}
	return s, nil
}

// announceStored pushes a session that is no longer live to the
// subscribers who may see it. Callers hold m.mu.
func (m *Manager) announceStored(ctx context.Context, s *store.Session) {
	if len(m.subs) == 0 {
		return
	}
	ids, err := m.st.Participants(ctx, s.ID)
	if err != nil {
		m.log.Error("announce session", "session", s.ID, "err", err)
		return
	}
	msg := &proto.QueueUpdate{Session: m.sessionInfo(s, m.names(ctx, ids), false)}
	for t, all := range m.subs {
		took := slices.Contains(ids, t.User.ID)
		if m.desk.Sees(t.User, s, took) && (all || took || s.OwnerID == t.User.ID) {
			t.Conn.Send(proto.TypeQueueUpdate, msg)
		}
	}
}

// names maps user IDs to names. Callers hold m.mu.
func (m *Manager) names(ctx context.Context, ids []int64) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, m.userName(ctx, id))
	}
	return out
}

// Details returns a session with its rating, chat transcript and status
// history and notes, if t may see it (relay/desk's Sees); the transcript and
// notes only with the transcripts.read permission.
func (m *Manager) Details(ctx context.Context, t *Tech, id string) (proto.SessionDetails, error) {
	if id == "" {
		return proto.SessionDetails{}, proto.Errorf(proto.ErrBadRequest, "Give the ID of a session.")
	}
	unknown := proto.Errorf(proto.ErrSessionUnknown, "There is no session %s that you may see.", id)
	s, err := m.st.Session(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return proto.SessionDetails{}, unknown
	} else if err != nil {
		return proto.SessionDetails{}, m.internal("look up the session", err)
	}
	ids, err := m.st.Participants(ctx, id)
	if err != nil {
		return proto.SessionDetails{}, m.internal("look up the session", err)
	}
	if !m.desk.Sees(t.User, &s, slices.Contains(ids, t.User.ID)) {
		return proto.SessionDetails{}, unknown
	}
	var chat []store.ChatMessage
	var notes []store.Note
	withheld := m.desk.Require(t.User, proto.PermReadTranscripts)
	if withheld == nil {
		if chat, err = m.st.ChatMessages(ctx, id); err != nil {
			return proto.SessionDetails{}, m.internal("read the chat", err)
		}
		if notes, err = m.st.Notes(ctx, id); err != nil {
			return proto.SessionDetails{}, m.internal("read the notes", err)
		}
	}
	evs, err := m.st.SessionEvents(ctx, id)
	if err != nil {
		return proto.SessionDetails{}, m.internal("read the session's history", err)
	}
	m.audit(ctx, "session.details.read", t.User.Name, t.IP, id, map[string]string{"chat_messages": fmt.Sprint(len(chat))})
	var d proto.SessionDetails
	m.mu.Lock()
	if l := m.sessions[id]; l != nil {
		d.Session = m.info(l)
	} else {
		d.Session = m.sessionInfo(&s, m.names(ctx, ids), false)
	}
	m.mu.Unlock()
	d.Session.Rating, d.Session.RatingComment = s.Rating, s.RatingComment
	d.Chat = make([]proto.Chat, 0, len(chat))
	for _, c := range chat {
		d.Chat = append(d.Chat, proto.Chat{SessionID: c.SessionID, From: c.From, FromPeer: c.FromUser, Text: c.Text, At: c.At})
	}
	d.History = make([]proto.SessionEvent, 0, len(evs))
	for _, e := range evs {
		d.History = append(d.History, proto.SessionEvent{At: e.At, Status: e.Status, Actor: e.Actor, Detail: e.Detail})
	}
	for _, n := range notes {
		d.Notes = append(d.Notes, proto.Note{At: n.At, Author: n.Author, Text: n.Text})
	}
	if withheld != nil {
		d.Withheld = withheld.Error()
	}
	d.Chat, d.ChatOmitted = newest(d.Chat, detailsChat)
	d.Notes, _ = newest(d.Notes, detailsNotes)
	d.History, d.HistoryOmitted = newest(d.History, detailsHistory)
	m.addRecordings(ctx, &d) // record.go
	return d, nil
}

// Budgets of a SessionDetails reply, in encoded bytes, so that it always
// fits a frame (proto.MaxFrame) whatever the transcript's length.
const (
	detailsChat    = proto.MaxFrame * 3 / 8
	detailsHistory = proto.MaxFrame / 4
	detailsNotes   = proto.MaxFrame / 8
)

// newest keeps the newest items (the end of the list) whose encoding fits
// budget and returns them with the number of older ones left out.
func newest[T any](items []T, budget int) ([]T, int) {
	size := 0
	for i := len(items) - 1; i >= 0; i-- {
		b, _ := proto.Marshal(&items[i])
		if size += len(b); size > budget {
			return items[i+1:], i + 1
		}
	}
	return items, 0
}
