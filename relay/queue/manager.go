package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/codes"
	"github.com/relaydesk/relaydesk/relay/desk"
	"github.com/relaydesk/relaydesk/relay/store"
	"github.com/relaydesk/relaydesk/relay/throttle"
	"github.com/relaydesk/relaydesk/relay/token"
)

// Conn is a client connection as the queue sees it: *transport.Peer.
type Conn interface {
	Send(t proto.Type, body any) error
	Request(ctx context.Context, t proto.Type, body any) (proto.Envelope, error)
	CloseWith(err error)
}

// Tech is one authenticated technician connection.
type Tech struct {
	User store.User
	IP   string
	Conn Conn
}

// Agent is one SOS app connection, bound to a session once registered.
type Agent struct {
	IP        string
	Conn      Conn
	SessionID string // set by RegisterAgent
	Updates   bool   // the app takes QueuePosition and Participants (set by RegisterAgent)
	Recording bool   // the app takes RecordConsent and RecordState (set by RegisterAgent)
}

const (
	actorRelay   = "relay"
	actorEndUser = "end user"
	// retiredKeep is how long a used or expired code is remembered, so that a
	// technician typing it is told what happened rather than "wrong code".
	retiredKeep = time.Hour
)

type attachment struct {
	user store.User
	tech *Tech     // nil while the technician's connection is down
	lost time.Time // when tech became nil
	// granted is what the end user allowed (empty for an attachment
	// restored after a relay restart: the app still knows and enforces it).
	granted proto.Grant
	guest   bool // invited or monitoring, not the owner
	// supervisor: monitoring, view only, not invited (the owner cannot
	// remove them).
	supervisor bool
}

type live struct {
	s         store.Session
	agent     *Agent
	agentLost time.Time // when agent became nil
	techs     map[int64]*attachment
	consent   bool      // a consent request is pending
	iceRenew  time.Time // when attached peers get fresh ICE credentials next

	invites map[int64]*invite // pending and accepted invitations, by invitee
	// controller is the technician who has the mouse and keyboard (0:
	// nobody attached with control).
	controller int64
	// handover is the previous owner after a transfer: attached until the
	// new owner joins (0: none).
	handover int64
	// assignedAt is when auto-assign gave the session to its owner, who has
	// AssignTimeout to connect (zero: not auto-assigned); skip lists who
	// let it time out already.
	assignedAt time.Time
	skip       map[int64]bool
	app        appState  // what the end user's app was last told (waiting.go)
	rec        *recState // the recording asked for or running (record.go)
}

// invite is an invitation of a technician into a session.
type invite struct {
	from     store.User
	at       time.Time
	accepted bool
}

type retired struct {
	expired bool // false: used
	at      time.Time
}

// Manager owns the live sessions. All methods are safe for concurrent use.
type Manager struct {
	cfg   Config
	st    store.Store
	desk  *desk.Desk
	log   *slog.Logger
	codeT *throttle.Throttle // per technician
	srcT  *throttle.Throttle // per source address, never reset
	dayT  *throttle.Throttle // per technician, never reset

	mu         sync.Mutex
	sessions   map[string]*live
	byCode     map[string]*live
	byLink     map[string]*live
	byAgentKey map[string]*live
	retired    map[string]retired
	prunedAt   time.Time      // when the store last forgot old retired codes and unattended sessions
	subs       map[*Tech]bool // value: sees all sessions
	techOf     map[*Tech]map[string]bool
	userNames  map[int64]string
	estimates  map[int64]estimate // per channel (waiting.go)
}

// New loads the live sessions from st. Agents and technicians of those
// sessions count as disconnected from now: they have the grace period to
// come back.
func New(ctx context.Context, st store.Store, cfg Config) (*Manager, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.fill()
	m := &Manager{
		cfg:        cfg,
		st:         st,
		log:        cfg.Logger,
		sessions:   make(map[string]*live),
		byCode:     make(map[string]*live),
		byLink:     make(map[string]*live),
		byAgentKey: make(map[string]*live),
		retired:    make(map[string]retired),
		subs:       make(map[*Tech]bool),
		techOf:     make(map[*Tech]map[string]bool),
		userNames:  make(map[int64]string),
	}
	var err error
	if m.desk = cfg.Desk; m.desk == nil {
		if m.desk, err = desk.New(ctx, st, cfg.Logger); err != nil {
			return nil, err
		}
	}
	if m.codeT, err = throttle.Open(ctx, cfg.CodeThrottle, cfg.Now, st, "codes", cfg.Logger); err != nil {
		return nil, err
	}
	if m.srcT, err = throttle.Open(ctx, cfg.CodeSourceThrottle, cfg.Now, st, "codes.source", cfg.Logger); err != nil {
		return nil, err
	}
	if m.dayT, err = throttle.Open(ctx, cfg.CodeDailyThrottle, cfg.Now, st, "codes.daily", cfg.Logger); err != nil {
		return nil, err
	}
	now := cfg.Now()
	old, err := st.RetiredCodes(ctx, now.Add(-retiredKeep))
	if err != nil {
		return nil, fmt.Errorf("load retired codes: %w", err)
	}
	for _, r := range old {
		m.retired[r.Code] = retired{expired: r.Expired, at: r.At}
	}
	all, err := st.LiveSessions(ctx)
	if err != nil {
		return nil, fmt.Errorf("load live sessions: %w", err)
	}
	for _, s := range all {
		l := &live{s: s, agentLost: now, techs: make(map[int64]*attachment)}
		ids, err := st.Attached(ctx, s.ID)
		if err != nil {
			return nil, fmt.Errorf("load attachments of %s: %w", s.ID, err)
		}
		for _, id := range ids {
			u, err := st.UserByID(ctx, id)
			if err != nil {
				return nil, fmt.Errorf("load user %d: %w", id, err)
			}
			l.techs[id] = &attachment{user: u, lost: now}
		}
		m.index(l)
	}
	if err := m.finishOrphans(ctx); err != nil { // record.go
		return nil, err
	}
	m.log.Info("sessions restored", "live", len(all))
	return m, nil
}

func (m *Manager) index(l *live) {
	m.sessions[l.s.ID] = l
	if l.s.Code != "" {
		m.byCode[l.s.Code] = l
	}
	if l.s.LinkTokenHash != nil {
		m.byLink[string(l.s.LinkTokenHash)] = l
	}
	if l.s.AgentKeyHash != nil {
		m.byAgentKey[string(l.s.AgentKeyHash)] = l
	}
}

func (m *Manager) unindex(l *live) {
	delete(m.sessions, l.s.ID)
	if l.s.Code != "" && m.byCode[l.s.Code] == l {
		delete(m.byCode, l.s.Code)
	}
	delete(m.byLink, string(l.s.LinkTokenHash))
	delete(m.byAgentKey, string(l.s.AgentKeyHash))
}

// Run sweeps for expired codes, links and grace periods every interval until ctx ends.
func (m *Manager) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			// Configuration changed by the admin API or `relay channel`
			// (maybe in another process) applies from the next sweep on.
			if _, err := m.desk.Refresh(ctx); err != nil {
				m.log.Error("reload the service desk's configuration", "err", err)
			}
			m.Sweep(ctx)
			m.SweepRecordings(ctx) // record.go: each channel's retention
		}
	}
}

func newSessionID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// persist writes l.s with an optional event and announces the new state to
// subscribers. Callers hold m.mu.
func (m *Manager) persist(ctx context.Context, l *live, ev *store.StatusEvent) error {
	if err := m.st.UpdateSession(ctx, &l.s, ev); err != nil {
		return fmt.Errorf("update session %s: %w", l.s.ID, err)
	}
	m.announce(l)
	return nil
}

func (m *Manager) event(l *live, status proto.Status, actor, detail string) *store.StatusEvent {
	return &store.StatusEvent{SessionID: l.s.ID, At: m.cfg.Now(), Status: status, Actor: actor, Detail: detail}
}

// audit records an event, even when the request that caused it was cancelled.
func (m *Manager) audit(ctx context.Context, kind, actor, source, sessionID string, detail map[string]string) {
	e := &store.AuditEvent{At: m.cfg.Now(), Kind: kind, Actor: actor, Source: source, SessionID: sessionID, Detail: detail}
	if err := m.st.Audit(context.WithoutCancel(ctx), e); err != nil {
		m.log.Error("audit event not stored", "kind", kind, "err", err)
	}
}

// internal hides a storage failure from the peer behind a sentence.
func (m *Manager) internal(step string, err error) error {
	m.log.Error(step, "err", err)
	return proto.Errorf(proto.ErrInternal, "The relay could not %s; please try again.", step)
}

// AgentPeer is the end user's app as a TURN peer of its session (Config.ICE).
const AgentPeer int64 = 0

// ice mints ICE servers for one peer of a session.
func (m *Manager) ice(id string, peer int64) []proto.ICEServer {
	if m.cfg.ICE == nil {
		return nil
	}
	return m.cfg.ICE(id, peer)
}

// renewICE gives the agent and every connected technician of l fresh ICE
// credentials, before the ones they hold expire. Callers hold m.mu.
func (m *Manager) renewICE(l *live, now time.Time) {
	l.iceRenew = now.Add(m.cfg.ICERenew)
	if m.cfg.ICE == nil {
		return
	}
	if l.agent != nil {
		l.agent.Conn.Send(proto.TypeICERenewed, &proto.ICERenewed{SessionID: l.s.ID, ICE: m.ice(l.s.ID, AgentPeer)})
	}
	for id, at := range l.techs {
		if at.tech != nil {
			at.tech.Conn.Send(proto.TypeICERenewed, &proto.ICERenewed{SessionID: l.s.ID, ICE: m.ice(l.s.ID, id)})
		}
	}
}

// TURNAllowed reports whether a peer of a session may use the relay's TURN:
// a technician attached to it, or the end user's app while a technician
// is attached.
func (m *Manager) TURNAllowed(id string, peer int64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.sessions[id]
	switch {
	case l == nil:
		return false
	case peer == AgentPeer:
		return len(l.techs) > 0
	}
	return l.techs[peer] != nil
}

// ---- agents ----

// RegisterAgent binds an SOS app connection to a session: a new attended-code
// session, the session of a support link, or the session it had before a
// reconnect.
func (m *Manager) RegisterAgent(ctx context.Context, a *Agent, req proto.AgentRegister) (proto.AgentRegistered, error) {
	dev := req.Device
	dev.PublicIP = a.IP
	if cut := dev.Cap(); len(cut) > 0 { // a long host name still registers, shortened
		m.log.Info("device info shortened", "remote", a.IP, "fields", cut)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	a.Updates = req.Updates
	a.Recording = req.Recording
	lang := proto.CleanText(strings.TrimSpace(req.Language))
	if len(lang) > 35 { // BCP 47 tags are short
		lang = ""
	}
	switch {
	case req.ResumeKey != "":
		return m.resumeAgent(ctx, a, req.ResumeKey, &dev)
	case req.LinkToken != "":
		return m.joinLink(ctx, a, req.LinkToken, &dev, lang)
	case req.ChannelToken != "":
		return m.call(ctx, a, req, &dev, lang)
	}
	return m.newCodeSession(ctx, a, &dev, lang)
}

func (m *Manager) newCode(now time.Time) string {
	for {
		c := codes.New()
		if _, taken := m.byCode[c]; taken {
			continue
		}
		if _, recent := m.retired[c]; recent {
			continue
		}
		return c
	}
}

func (m *Manager) newCodeSession(ctx context.Context, a *Agent, dev *proto.DeviceInfo, lang string) (proto.AgentRegistered, error) {
	now := m.cfg.Now()
	key, keyHash := token.New()
	l := &live{techs: make(map[int64]*attachment), agent: a}
	l.s = store.Session{
		ID: newSessionID(), Kind: proto.KindCode, Status: proto.StatusReady,
		Code: m.newCode(now), CodeExpiresAt: now.Add(m.cfg.CodeTTL),
		AgentKeyHash: keyHash, Device: dev, CreatedAt: now, ReadyAt: now, Language: lang,
	}
	ev := store.StatusEvent{SessionID: l.s.ID, At: now, Status: proto.StatusReady, Actor: actorEndUser, Detail: "attended code issued"}
	if err := m.st.CreateSession(ctx, &l.s, ev); err != nil {
		return proto.AgentRegistered{}, m.internal("create the session", err)
	}
	m.index(l)
	a.SessionID = l.s.ID
	m.announce(l)
	return proto.AgentRegistered{
		SessionID: l.s.ID, Code: l.s.Code, CodeExpiresAt: l.s.CodeExpiresAt,
		ResumeKey: key, Status: l.s.Status,
	}, nil
}

func (m *Manager) joinLink(ctx context.Context, a *Agent, tok string, dev *proto.DeviceInfo, lang string) (proto.AgentRegistered, error) {
	hash := token.Hash(tok)
	l := m.byLink[string(hash)]
	if l == nil {
		s, err := m.st.SessionByLinkHash(ctx, hash)
		switch {
		case errors.Is(err, store.ErrNotFound):
			m.audit(ctx, "link.unknown", actorEndUser, a.IP, "", nil)
			return proto.AgentRegistered{}, proto.Errorf(proto.ErrLinkUnknown, "This support link is not valid. Ask your technician for a new one.")
		case err != nil:
			return proto.AgentRegistered{}, m.internal("look up the support link", err)
		}
		if s.Status == proto.StatusExpired {
			return proto.AgentRegistered{}, proto.Errorf(proto.ErrLinkExpired, "This support link has expired. Ask your technician for a new one.")
		}
		return proto.AgentRegistered{}, proto.Errorf(proto.ErrLinkExpired, "The support session of this link has ended. Ask your technician for a new link.")
	}
	now := m.cfg.Now()
	if l.s.Status != proto.StatusWaiting {
		m.audit(ctx, "link.reused", actorEndUser, a.IP, l.s.ID, nil)
		return proto.AgentRegistered{}, proto.Errorf(proto.ErrLinkUsed, "This support link was already used on another computer. Ask your technician for a new one.")
	}
	if !now.Before(l.s.LinkExpiresAt) {
		m.expireLink(ctx, l)
		return proto.AgentRegistered{}, proto.Errorf(proto.ErrLinkExpired, "This support link has expired. Ask your technician for a new one.")
	}
	key, keyHash := token.New()
	l.s.Status, l.s.ReadyAt, l.s.Device, l.s.AgentKeyHash, l.s.Language = proto.StatusReady, now, dev, keyHash, lang
	if err := m.persist(ctx, l, m.event(l, proto.StatusReady, actorEndUser, "the end user's app joined the link from "+a.IP)); err != nil {
		l.s.Status, l.s.Device, l.s.AgentKeyHash, l.s.Language = proto.StatusWaiting, nil, nil, ""
		return proto.AgentRegistered{}, m.internal("register the app", err)
	}
	m.byAgentKey[string(keyHash)] = l
	l.agent, a.SessionID = a, l.s.ID
	m.route(ctx, l)
	return proto.AgentRegistered{
		SessionID: l.s.ID, ResumeKey: key, Technician: m.userName(ctx, l.s.OwnerID),
		Status: l.s.Status,
	}, nil
}

func (m *Manager) resumeAgent(ctx context.Context, a *Agent, key string, dev *proto.DeviceInfo) (proto.AgentRegistered, error) {
	l := m.byAgentKey[string(token.Hash(key))]
	if l == nil {
		return proto.AgentRegistered{}, proto.Errorf(proto.ErrResumeUnknown, "Your support session has ended.")
	}
	if old := l.agent; old != nil && old.Conn != a.Conn {
		old.Conn.CloseWith(proto.Errorf(proto.ErrReplaced, "A newer connection took over this session."))
	}
	l.agent, l.agentLost, a.SessionID = a, time.Time{}, l.s.ID
	l.s.Device = dev
	if err := m.persist(ctx, l, m.event(l, l.s.Status, actorEndUser, "the end user's app reconnected from "+a.IP)); err != nil {
		m.log.Error("record agent resume", "session", l.s.ID, "err", err)
	}
	reply := proto.AgentRegistered{
		SessionID: l.s.ID, Code: l.s.Code, CodeExpiresAt: l.s.CodeExpiresAt,
		Technician: m.userName(ctx, l.s.OwnerID), Status: l.s.Status, Resumed: true,
	}
	if len(l.techs) > 0 { // TURN only while a technician is attached
		reply.ICE = m.ice(l.s.ID, AgentPeer)
	}
	for id, at := range l.techs {
		reply.Peers = append(reply.Peers, proto.Peer{ID: id, Name: at.user.Name})
		if at.tech != nil {
			at.tech.Conn.Send(proto.TypePeerState, &proto.PeerState{SessionID: l.s.ID, Online: true})
		}
	}
	return reply, nil
}

// AgentGone is called when an agent's connection ended. Its session waits
// for the grace period before it is closed.
func (m *Manager) AgentGone(a *Agent) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.sessions[a.SessionID]
	if l == nil || l.agent != a {
		return
	}
	l.agent, l.agentLost = nil, m.cfg.Now()
	for _, at := range l.techs {
		if at.tech != nil {
			at.tech.Conn.Send(proto.TypePeerState, &proto.PeerState{SessionID: l.s.ID, Online: false})
		}
	}
	m.announce(l)
}

// AgentSignal relays a signalling message from the agent to one technician.
func (m *Manager) AgentSignal(a *Agent, sig proto.Signal) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.sessions[a.SessionID]
	if l == nil || l.agent != a || sig.SessionID != l.s.ID {
		return proto.Errorf(proto.ErrSessionUnknown, "This session is not yours.")
	}
	if m.recorderSignal(l, sig) {
		return nil
	}
	at := l.techs[sig.Peer]
	if at == nil || at.tech == nil {
		return proto.Errorf(proto.ErrSessionState, "That technician is not connected.")
	}
	return at.tech.Conn.Send(proto.TypeSignal, &sig)
}

// AgentEnd ends the agent's session at the end user's request.
func (m *Manager) AgentEnd(ctx context.Context, a *Agent, reason string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.sessions[a.SessionID]
	if l == nil || l.agent != a {
		return proto.Errorf(proto.ErrSessionUnknown, "This session has already ended.")
	}
	by := actorEndUser
	if l.s.CustomerName != "" {
		by = l.s.CustomerName + " (end user)"
	}
	if reason == "" {
		reason = "ended by the end user"
	}
	m.audit(ctx, "session.ended", by, a.IP, l.s.ID, map[string]string{"by": actorEndUser, "reason": reason})
	return m.close(ctx, l, proto.StatusClosed, by, reason, nil)
}

// close ends a session, tells every participant but skip, and forgets it. Callers hold m.mu.
func (m *Manager) close(ctx context.Context, l *live, status proto.Status, by, reason string, skip Conn) error {
	now := m.cfg.Now()
	if l.s.Code != "" {
		m.retire(ctx, l.s.Code, status == proto.StatusExpired, now)
		delete(m.byCode, l.s.Code)
		l.s.Code = ""
	}
	m.stopRecording(ctx, l, actorRelay, "the session ended")
	l.s.Status, l.s.EndedAt, l.s.EndedBy, l.s.EndReason = status, now, by, reason
	if err := m.persist(ctx, l, m.event(l, status, by, reason)); err != nil {
		return m.internal("record the end of the session", err)
	}
	if err := m.st.Detach(ctx, l.s.ID, 0, now); err != nil {
		m.log.Error("detach technicians", "session", l.s.ID, "err", err)
	}
	var dur time.Duration
	if !l.s.StartedAt.IsZero() {
		dur = now.Sub(l.s.StartedAt)
	}
	msg := &proto.SessionEnded{SessionID: l.s.ID, By: by, Reason: reason, Status: status, Duration: dur}
	if l.agent != nil && l.agent.Conn != skip {
		l.agent.Conn.Send(proto.TypeSessionEnded, msg)
	}
	for _, at := range l.techs {
		if at.tech != nil {
			if at.tech.Conn != skip {
				at.tech.Conn.Send(proto.TypeSessionEnded, msg)
			}
			delete(m.techOf[at.tech], l.s.ID)
		}
	}
	m.unindex(l)
	if m.cfg.SessionEnded != nil {
		m.cfg.SessionEnded(l.s.ID)
	}
	m.log.Info("session ended", "session", l.s.ID, "status", status, "by", by, "reason", reason, "duration", dur)
	return nil
}

// retire remembers a used or expired code, in the store too, so that
// typing it counts as a failure even after a restart. Callers hold m.mu.
func (m *Manager) retire(ctx context.Context, code string, expired bool, now time.Time) {
	m.retired[code] = retired{expired: expired, at: now}
	if err := m.st.RetireCode(ctx, store.RetiredCode{Code: code, Expired: expired, At: now}); err != nil {
		m.log.Error("remember retired code", "err", err)
	}
}

func (m *Manager) expireLink(ctx context.Context, l *live) {
	const reason = "the link was not used before it expired"
	m.audit(ctx, "session.expired", actorRelay, "", l.s.ID, map[string]string{"by": actorRelay, "reason": reason})
	if err := m.close(ctx, l, proto.StatusExpired, actorRelay, reason, nil); err != nil {
		m.log.Error("expire link", "session", l.s.ID, "err", err)
	}
}

// ---- technicians ----

func (m *Manager) userName(ctx context.Context, id int64) string {
	if id == 0 {
		return ""
	}
	if n, ok := m.userNames[id]; ok {
		return n
	}
	u, err := m.st.UserByID(ctx, id)
	if err != nil {
		return fmt.Sprintf("user %d", id)
	}
	m.userNames[id] = u.Name
	return u.Name
}

// sees is the queue's visibility rule: everyone sees the sessions they own
// or are attached to, the requests they may pick up and the sessions they
// are invited into; with all, managers also see every session of the
// channels they manage (technician managers and admins: every session).
// Callers hold m.mu.
func (m *Manager) sees(u store.User, all bool, l *live) bool {
	rel := m.desk.Relation(u, &l.s, l.techs[u.ID] != nil)
	return rel.Has(desk.Owner|desk.Attached|desk.Taker) || l.invites[u.ID] != nil || (all && rel.Has(desk.Manager))
}

// visible is sees with all: what a technician may act on. Callers hold m.mu.
func (m *Manager) visible(u store.User, l *live) bool { return m.sees(u, true, l) }

func (m *Manager) info(l *live) proto.SessionInfo {
	var techs, guests []string
	for _, at := range l.techs {
		techs = append(techs, at.user.Name)
		if at.guest {
			guests = append(guests, at.user.Name)
		}
	}
	in := m.sessionInfo(&l.s, techs, l.agent != nil)
	sort.Strings(guests)
	in.Guests = guests
	if at := l.techs[l.controller]; at != nil {
		in.Controller = at.user.Name
	}
	return in
}

// sessionInfo is s as technicians see it. Callers hold m.mu.
func (m *Manager) sessionInfo(s *store.Session, techs []string, agentOnline bool) proto.SessionInfo {
	ctx := context.Background()
	in := proto.SessionInfo{
		ID: s.ID, Kind: s.Kind, Status: s.Status,
		Owner: m.userName(ctx, s.OwnerID), CustomerName: s.CustomerName, Device: s.Device,
		CreatedAt: s.CreatedAt, ReadyAt: s.ReadyAt, StartedAt: s.StartedAt, EndedAt: s.EndedAt,
		EndedBy: s.EndedBy, EndReason: s.EndReason, AgentOnline: agentOnline,
		Rating: s.Rating, RatingComment: s.RatingComment, Technicians: techs,
		Channel: m.desk.ChannelName(s.ChannelID), Category: s.Category, Priority: s.Priority, Ticket: s.Ticket,
		Problem: s.Problem, Language: s.Language, Escalated: s.EscalatedAt,
	}
	if s.Status == proto.StatusWaiting {
		in.ExpiresAt = s.LinkExpiresAt
	}
	sort.Strings(in.Technicians)
	return in
}

// announce pushes l's state to every subscriber who may see it. Callers hold m.mu.
func (m *Manager) announce(l *live) { m.announceTo(l, nil) }

// viewers are the subscribers who see l now. Callers hold m.mu.
func (m *Manager) viewers(l *live) map[*Tech]bool {
	out := make(map[*Tech]bool)
	for t, all := range m.subs {
		if m.sees(t.User, all, l) {
			out[t] = true
		}
	}
	return out
}

// announceTo pushes l's state to its viewers and to before (who saw it
// before a change that may have taken it out of their view). Callers hold m.mu.
func (m *Manager) announceTo(l *live, before map[*Tech]bool) {
	m.tellApp(l)
	if len(m.subs) == 0 {
		return
	}
	var msg *proto.QueueUpdate
	for t, all := range m.subs {
		if !before[t] && !m.sees(t.User, all, l) {
			continue
		}
		if msg == nil {
			msg = &proto.QueueUpdate{Session: m.info(l)}
		}
		t.Conn.Send(proto.TypeQueueUpdate, msg)
	}
}

// Subscribe returns the sessions t may see and pushes every later change to
// t until TechGone. With all, managers see every session of the channels
// they manage; everyone sees the sessions they own or are attached to and
// the requests they may pick up.
func (m *Manager) Subscribe(t *Tech, all bool) proto.QueueSnapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.subs[t] = all
	snap := proto.QueueSnapshot{Sessions: []proto.SessionInfo{}}
	for _, l := range m.sessions {
		if m.sees(t.User, all, l) {
			snap.Sessions = append(snap.Sessions, m.info(l))
		}
	}
	sort.Slice(snap.Sessions, func(i, j int) bool { return snap.Sessions[i].CreatedAt.Before(snap.Sessions[j].CreatedAt) })
	return snap
}

// CreateLink stores a Waiting session owned by t and returns its URL.
func (m *Manager) CreateLink(ctx context.Context, t *Tech, req proto.LinkCreate) (proto.LinkCreated, error) {
	if err := m.desk.Require(t.User, proto.PermCreateLinks); err != nil {
		return proto.LinkCreated{}, m.refused(ctx, t, "link.create", "", err)
	}
	var ch store.Channel
	if req.Channel != "" {
		var ok bool
		if ch, ok = m.desk.ChannelByName(req.Channel); !ok {
			return proto.LinkCreated{}, proto.Errorf(proto.ErrBadRequest, "There is no channel %q.", req.Channel)
		}
		if !desk.AllChannels(t.User) && !m.desk.Serves(t.User.ID, ch.ID) && !m.desk.Manages(t.User.ID, ch.ID) {
			return proto.LinkCreated{}, m.refused(ctx, t, "link.create", "",
				proto.Errorf(proto.ErrForbidden, "You do not serve channel %s, so you may not create links in it.", ch.Name))
		}
	}
	if err := m.desk.CheckClassification(req.Category, req.Priority); err != nil {
		return proto.LinkCreated{}, err
	}
	ticket, err := checkTicket(req.Ticket)
	if err != nil {
		return proto.LinkCreated{}, err
	}
	ttl := req.Expires
	if ttl == 0 {
		ttl = m.cfg.LinkTTL
		if ch.LinkTTL > 0 {
			ttl = min(ch.LinkTTL, m.cfg.LinkMaxTTL)
		}
	}
	if ttl < time.Minute || ttl > m.cfg.LinkMaxTTL {
		return proto.LinkCreated{}, proto.Errorf(proto.ErrBadRequest, "A link must expire between 1 minute and %s from now.", m.cfg.LinkMaxTTL)
	}
	req.CustomerName = proto.CleanText(req.CustomerName) // printed in terminals
	if len(req.CustomerName) > 200 {
		return proto.LinkCreated{}, proto.Errorf(proto.ErrBadRequest, "The end user's name is longer than 200 characters.")
	}
	now := m.cfg.Now()
	tok, hash := token.New()
	l := &live{techs: make(map[int64]*attachment), agentLost: now}
	l.s = store.Session{
		ID: newSessionID(), Kind: proto.KindLink, Status: proto.StatusWaiting, OwnerID: t.User.ID,
		CustomerName: req.CustomerName, LinkTokenHash: hash, LinkExpiresAt: now.Add(ttl), CreatedAt: now,
		ChannelID: ch.ID, Category: req.Category, Priority: req.Priority, Ticket: ticket,
	}
	if ch.ID != 0 {
		l.s.OwnerID = 0 // in the channel's queue: whoever serves it picks it up
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	ev := store.StatusEvent{SessionID: l.s.ID, At: now, Status: proto.StatusWaiting, Actor: t.User.Name, Detail: "support link created"}
	if err := m.st.CreateSession(ctx, &l.s, ev); err != nil {
		return proto.LinkCreated{}, m.internal("create the link", err)
	}
	m.index(l)
	m.userNames[t.User.ID] = t.User.Name
	m.audit(ctx, "link.created", t.User.Name, t.IP, l.s.ID, map[string]string{"expires": l.s.LinkExpiresAt.UTC().Format(time.RFC3339), "channel": ch.Name})
	m.announce(l)
	return proto.LinkCreated{SessionID: l.s.ID, URL: m.cfg.LinkBase + "/s/" + tok, ExpiresAt: l.s.LinkExpiresAt}, nil
}

// findForConnect resolves a Connect request to a live session. Callers hold m.mu.
func (m *Manager) findForConnect(ctx context.Context, t *Tech, req proto.Connect) (*live, error) {
	if req.SessionID != "" {
		l := m.sessions[req.SessionID]
		if l != nil && req.Monitor {
			if err := m.desk.Require(t.User, proto.PermMonitor); err != nil {
				return nil, m.refused(ctx, t, "monitor", l.s.ID, err)
			}
		} else if err := m.takenFrom(t, l); err != nil {
			return nil, err
		}
		if l == nil || !m.visible(t.User, l) {
			return nil, proto.Errorf(proto.ErrSessionUnknown, "There is no open session %s in your queue.", req.SessionID)
		}
		return l, nil
	}
	code, err := codes.Parse(req.Code)
	if err != nil {
		return nil, proto.Errorf(proto.ErrBadRequest, "A session code has 9 digits.")
	}
	keys := m.codeKeys(t)
	for _, k := range keys {
		if err := k.t.Allow(k.key); err != nil {
			var d *throttle.Denied
			errors.As(err, &d)
			f := proto.Errorf(proto.ErrThrottled, "Too many wrong session codes. Try again in %s.", roundUp(d.RetryAfter))
			f.RetryAfter = d.RetryAfter
			return nil, f
		}
	}
	if l := m.byCode[code]; l != nil {
		return l, nil // counters are reset only after the end user's consent (Connect)
	}
	// A used or expired code is a failure too: it is no way into a session,
	// and answering it for free would leak which codes were live.
	r, recent := m.retired[code]
	m.codeFailed(ctx, t, keys)
	switch {
	case recent && r.expired:
		return nil, proto.Errorf(proto.ErrCodeExpired, "Session code %s has expired. Ask the end user for the new code shown in their app.", codes.Format(code))
	case recent:
		return nil, proto.Errorf(proto.ErrCodeExpired, "Session code %s was already used. Ask the end user for the code now shown in their app.", codes.Format(code))
	}
	return nil, proto.Errorf(proto.ErrWrongCode, "No session has code %s. Check the digits with the end user.", codes.Format(code))
}

// codeKey is a throttle key that wrong codes count against; per names it in audit events.
type codeKey struct {
	t        *throttle.Throttle
	key, per string
}

// codeKeys are t's keys: its account, its source, and its account's daily
// ceiling. Only the first is ever reset.
func (m *Manager) codeKeys(t *Tech) []codeKey {
	return []codeKey{
		{m.codeT, accountKey(t), "account"},
		{m.srcT, "ip:" + throttle.Source(t.IP), "source"},
		{m.dayT, accountKey(t), "account, daily"},
	}
}

func accountKey(t *Tech) string { return fmt.Sprintf("user:%d", t.User.ID) }

// codeFailed counts a wrong code on keys and audits the lockouts it caused. Callers hold m.mu.
func (m *Manager) codeFailed(ctx context.Context, t *Tech, keys []codeKey) {
	m.audit(ctx, "code.wrong", t.User.Name, t.IP, "", nil)
	for _, k := range keys {
		if k.t.Fail(k.key) {
			m.audit(ctx, "code.locked", t.User.Name, t.IP, "", map[string]string{"key": k.key, "per": k.per})
		}
	}
}

func roundUp(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d seconds", int((d+time.Second-1)/time.Second))
	}
	if d < 2*time.Hour {
		return fmt.Sprintf("%d minutes", int((d+time.Minute-1)/time.Minute))
	}
	return fmt.Sprintf("%d hours", int((d+time.Hour-1)/time.Hour)) // the daily ceiling
}

// Connect attaches t to a session after the end user's consent (or, for a
// technician already attached to an Active session, at once: a resume).
// stage reports progress while it waits.
func (m *Manager) Connect(ctx context.Context, t *Tech, req proto.Connect, stage func(string)) (proto.Connected, error) {
	if req.Code != "" {
		if err := m.desk.Require(t.User, proto.PermUseCodes); err != nil {
			return proto.Connected{}, m.refused(ctx, t, "connect", "", err)
		}
	}
	m.mu.Lock()
	l, err := m.findForConnect(ctx, t, req)
	if err != nil {
		m.mu.Unlock()
		return proto.Connected{}, err
	}
	if at := l.techs[t.User.ID]; at != nil && l.s.Status == proto.StatusActive {
		defer m.mu.Unlock()
		return m.reattach(ctx, l, at, t), nil
	}
	guest, err := true, error(nil)
	if req.Monitor {
		err = m.monitor(ctx, t, l)
	} else {
		guest, err = m.joinAs(ctx, t, l, req.Code != "")
	}
	if err != nil {
		m.mu.Unlock()
		return proto.Connected{}, err
	}
	asked := m.asked(t.User, l, guest, req.Monitor)
	switch {
	case l.s.Status == proto.StatusWaiting:
		m.mu.Unlock()
		return proto.Connected{}, proto.Errorf(proto.ErrSessionState, "The end user has not started the support app from this link yet.")
	case l.s.Status == proto.StatusActive && !guest && l.s.OwnerID != t.User.ID && l.s.OwnerID != 0:
		m.mu.Unlock()
		return proto.Connected{}, proto.Errorf(proto.ErrSessionState, "%s is already working in this session; ask them to invite you.", m.userName(ctx, l.s.OwnerID))
	case l.s.Status != proto.StatusReady && l.s.Status != proto.StatusActive:
		m.mu.Unlock()
		return proto.Connected{}, proto.Errorf(proto.ErrSessionState, "This session is %s; only a Ready session can be connected.", l.s.Status)
	case l.agent == nil:
		m.mu.Unlock()
		return proto.Connected{}, proto.Errorf(proto.ErrAgentOffline, "The end user's app is not connected right now.")
	case l.consent:
		m.mu.Unlock()
		return proto.Connected{}, proto.Errorf(proto.ErrSessionState, "Another technician is already asking the end user for permission.")
	}
	if l.s.ChannelID != 0 && l.s.OwnerID == 0 && !guest {
		// Connecting to a request of one's channel picks it up first: the
		// race with other technicians is decided here, not after consent.
		if err := m.claim(ctx, t, l, "picked up by "+t.User.Name); err != nil {
			m.mu.Unlock()
			return proto.Connected{}, err
		}
	}
	recorded := false // the channel records every session: the question says so (record.go)
	if !guest && !req.Monitor && l.rec == nil {
		if recorded, err = m.mustRecord(ctx, l); err != nil {
			m.mu.Unlock()
			return proto.Connected{}, err
		}
	}
	l.consent = true
	agent := l.agent
	id := l.s.ID
	m.mu.Unlock()
	m.audit(ctx, "session.consent.asked", t.User.Name, t.IP, id, map[string]string{"asked": proto.Grant(asked).String()})

	granted, why := m.askConsent(ctx, agent, id, t, asked, guest, req.Monitor, recorded, stage)
	allowed := why == nil

	m.mu.Lock()
	defer m.mu.Unlock()
	l.consent = false
	if m.sessions[id] != l {
		return proto.Connected{}, proto.Errorf(proto.ErrSessionState, "The session ended while waiting for the end user.")
	}
	if !allowed {
		if err := m.st.AddEvent(ctx, *m.event(l, l.s.Status, t.User.Name, "connect refused: "+why.Message)); err != nil {
			m.log.Error("record refused consent", "err", err)
		}
		m.audit(ctx, "session.consent.refused", t.User.Name, t.IP, id, map[string]string{"reason": why.Message})
		return proto.Connected{}, why
	}
	m.audit(ctx, "session.consent.given", t.User.Name, t.IP, id, nil)
	if l.s.Status != proto.StatusReady && !(l.s.Status == proto.StatusActive && (guest || l.s.OwnerID == t.User.ID)) {
		return proto.Connected{}, proto.Errorf(proto.ErrSessionState, "The session changed while waiting for the end user.")
	}
	now := m.cfg.Now()
	if l.s.Code != "" {
		m.retire(ctx, l.s.Code, false, now)
		delete(m.byCode, l.s.Code)
		l.s.Code = ""
	}
	if l.s.OwnerID == 0 {
		l.s.OwnerID = t.User.ID
	}
	detail := "the end user allowed the connection"
	role := "owner"
	switch {
	case req.Monitor:
		detail, role = "the end user allowed "+t.User.Name+" to watch as a supervisor", "supervisor"
		m.audit(ctx, "session.monitor", t.User.Name, t.IP, id, map[string]string{"owner": m.userName(ctx, l.s.OwnerID)})
	case guest:
		detail, role = "the end user allowed "+t.User.Name+" to join as a guest", "guest"
		delete(l.invites, t.User.ID)
	}
	if l.s.Status == proto.StatusReady {
		l.s.StartedAt = now
	}
	l.s.Status, l.assignedAt = proto.StatusActive, time.Time{}
	if err := m.st.Attach(ctx, id, t.User.ID, now); err != nil {
		return proto.Connected{}, m.internal("attach you to the session", err)
	}
	l.techs[t.User.ID] = &attachment{user: t.User, tech: t, granted: granted, guest: guest, supervisor: req.Monitor}
	m.trackTech(t, id)
	m.userNames[t.User.ID] = t.User.Name
	if err := m.persist(ctx, l, m.event(l, proto.StatusActive, t.User.Name, detail)); err != nil {
		return proto.Connected{}, m.internal("start the session", err)
	}
	m.audit(ctx, "session.connected", t.User.Name, t.IP, id, map[string]string{"granted": granted.String(), "guest": fmt.Sprint(guest)})
	if req.Code != "" {
		// A consented success forgives this technician's wrong codes; the
		// source's and the daily count stay (H1).
		m.codeT.Reset(accountKey(t))
	}
	if l.agent != nil {
		l.agent.Conn.Send(proto.TypePeerJoined, &proto.PeerJoined{SessionID: id, Peer: proto.Peer{ID: t.User.ID, Name: t.User.Name, Role: role}, ICE: m.ice(id, AgentPeer)})
	}
	if !guest && granted.Has(proto.PermControl) {
		m.setController(l, t.User.ID, "") // the owner controls when they join
	}
	if recorded && l.rec == nil {
		if err := m.startRecording(ctx, l, actorRelay); err != nil {
			m.log.Error("start the recording the channel requires", "session", id, "err", err)
		}
	}
	if prev := l.handover; prev != 0 && l.s.OwnerID == t.User.ID {
		// The new owner of a transferred session joined: the old one's view ends.
		l.handover = 0
		if at := l.techs[prev]; at != nil {
			m.detach(ctx, l, prev, at, now, "handed the session to "+t.User.Name)
			m.announce(l)
		}
	}
	if l.iceRenew.IsZero() {
		l.iceRenew = now.Add(m.cfg.ICERenew)
	}
	return proto.Connected{Session: m.info(l), PeerID: t.User.ID, ICE: m.ice(id, t.User.ID), Granted: granted}, nil
}

// joinAs decides whether t may connect to l and as what: its owner (or
// who becomes it: a code, a request of t's channel, a manager's take-over)
// or an invited guest. Callers hold m.mu.
func (m *Manager) joinAs(ctx context.Context, t *Tech, l *live, byCode bool) (guest bool, err error) {
	if err := m.desk.Require(t.User, proto.PermView); err != nil {
		return false, m.refused(ctx, t, "connect", l.s.ID, err)
	}
	inv := l.invites[t.User.ID]
	switch owner := l.s.OwnerID; {
	case byCode, owner == t.User.ID:
		return false, nil
	case inv != nil && inv.accepted:
		return true, nil
	case inv != nil:
		return false, proto.Errorf(proto.ErrSessionState, "Accept the invitation to this session first.")
	case owner == 0:
		if !m.desk.Relation(t.User, &l.s, false).Has(desk.Taker | desk.Manager) {
			return false, m.refused(ctx, t, "connect", l.s.ID, proto.Errorf(proto.ErrForbidden, "This request is not in a channel you serve."))
		}
		return false, nil
	}
	// Someone else's session: a manager of its channel may take it over.
	if err := m.desk.Can(t.User, proto.PermTakeOver, &l.s, false); err != nil {
		return false, m.refused(ctx, t, "connect", l.s.ID, proto.Errorf(proto.ErrForbidden,
			"%s owns this session; ask them to invite you or to transfer it to you.", m.userName(ctx, l.s.OwnerID)))
	}
	prev := m.userName(ctx, l.s.OwnerID)
	l.handover = l.s.OwnerID
	l.s.OwnerID = t.User.ID
	if err := m.persist(ctx, l, m.event(l, l.s.Status, t.User.Name, "taken over from "+prev)); err != nil {
		return false, m.internal("take the session over", err)
	}
	m.audit(ctx, "session.takeover", t.User.Name, t.IP, l.s.ID, map[string]string{"from": prev})
	return false, nil
}

// asked is what a technician asks the end user for: what the desk lets
// them do in this session (never less than view). A guest asks for view
// and control only (control stays the owner's until handed over: see
// Control), a supervisor to view only. Callers hold m.mu.
func (m *Manager) asked(u store.User, l *live, guest, supervisor bool) []proto.Permission {
	out := []proto.Permission{proto.PermView}
	if supervisor {
		return out
	}
	s := l.s
	s.OwnerID = u.ID // what the desk allows them as one who works in it
	for _, p := range []proto.Permission{proto.PermControl, proto.PermClipboard} {
		if (p == proto.PermControl || !guest) && m.desk.Can(u, p, &s, false) == nil {
			out = append(out, p)
		}
	}
	return out
}

func (m *Manager) trackTech(t *Tech, id string) {
	if m.techOf[t] == nil {
		m.techOf[t] = make(map[string]bool)
	}
	m.techOf[t][id] = true
}

// reattach puts a returning technician back on an Active session. Callers hold m.mu.
func (m *Manager) reattach(ctx context.Context, l *live, at *attachment, t *Tech) proto.Connected {
	if old := at.tech; old != nil && old != t {
		delete(m.techOf[old], l.s.ID)
	}
	at.tech, at.lost = t, time.Time{}
	m.trackTech(t, l.s.ID)
	if err := m.st.AddEvent(ctx, *m.event(l, l.s.Status, t.User.Name, "technician reconnected")); err != nil {
		m.log.Error("record technician resume", "err", err)
	}
	m.audit(ctx, "session.reattached", t.User.Name, t.IP, l.s.ID, map[string]string{"consent": "not asked again: attached before"})
	if l.agent != nil {
		l.agent.Conn.Send(proto.TypePeerState, &proto.PeerState{SessionID: l.s.ID, Peer: proto.Peer{ID: t.User.ID, Name: t.User.Name}, Online: true})
	}
	return proto.Connected{Session: m.info(l), PeerID: t.User.ID, Resumed: true, ICE: m.ice(l.s.ID, t.User.ID), Granted: at.granted}
}

// askConsent asks the end user and reports what they allowed t, or why not.
func (m *Manager) askConsent(ctx context.Context, a *Agent, id string, t *Tech, asked []proto.Permission, guest, supervisor, recorded bool, stage func(string)) (proto.Grant, *proto.Failure) {
	stage("Asking the end user for permission…")
	cctx, cancel := context.WithTimeout(ctx, m.cfg.ConsentTimeout)
	defer cancel()
	env, err := a.Conn.Request(cctx, proto.TypeConsentRequest, &proto.ConsentRequest{
		SessionID: id, Technician: t.User.Name, Organisation: m.Organisation(), PeerID: t.User.ID,
		Permissions: asked, Timeout: m.cfg.ConsentTimeout, Guest: guest && !supervisor, Supervisor: supervisor, Recorded: recorded,
	})
	var ans proto.ConsentAnswer
	withdraw := func(reason string) {
		m.audit(ctx, "session.consent.withdrawn", t.User.Name, t.IP, id, map[string]string{"reason": reason})
		a.Conn.Send(proto.TypeConsentGone, &proto.ConsentGone{SessionID: id, Technician: t.User.Name, Reason: reason})
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
		withdraw("no answer in time")
		return nil, proto.Errorf(proto.ErrConsentTimeout, "The end user did not answer the request to connect within %s.", m.cfg.ConsentTimeout)
	case ctx.Err() != nil:
		withdraw("the technician cancelled")
		return nil, proto.Errorf(proto.ErrSessionState, "The connect attempt was cancelled.")
	case err != nil:
		return nil, proto.Errorf(proto.ErrAgentOffline, "The end user's app disconnected while being asked for permission.")
	case env.Type != proto.TypeConsentAnswer || env.Decode(&ans) != nil:
		return nil, proto.Errorf(proto.ErrProtocol, "The end user's app gave an answer the relay could not read.")
	case !ans.Allow:
		return nil, proto.Errorf(proto.ErrConsentDenied, "The end user declined the connection.")
	}
	granted := ans.Granted.Within(asked)
	if len(ans.Granted) == 0 {
		granted = asked
	}
	if !granted.Has(proto.PermView) {
		return nil, proto.Errorf(proto.ErrConsentDenied, "The end user declined the connection.")
	}
	return granted, nil
}

// TechSignal relays a signalling message from a technician to the agent of the session.
func (m *Manager) TechSignal(t *Tech, sig proto.Signal) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.sessions[sig.SessionID]
	if l == nil || l.techs[t.User.ID] == nil || l.techs[t.User.ID].tech != t {
		return proto.Errorf(proto.ErrSessionUnknown, "You are not connected to session %s.", sig.SessionID)
	}
	if l.agent == nil {
		return proto.Errorf(proto.ErrAgentOffline, "The end user's app is not connected right now.")
	}
	sig.Peer = t.User.ID
	return l.agent.Conn.Send(proto.TypeSignal, &sig)
}

// TechEnd closes a session at a technician's request.
func (m *Manager) TechEnd(ctx context.Context, t *Tech, end proto.End) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.sessions[end.SessionID]
	if l == nil || !m.visible(t.User, l) {
		return proto.Errorf(proto.ErrSessionUnknown, "There is no open session %s in your queue.", end.SessionID)
	}
	if at := l.techs[t.User.ID]; at != nil && l.s.OwnerID != t.User.ID {
		// A guest (or the previous owner after a transfer) leaves; the session goes on.
		m.detach(ctx, l, t.User.ID, at, m.cfg.Now(), "left the session")
		if l.handover == t.User.ID {
			l.handover = 0
		}
		return nil
	}
	if l.s.OwnerID != t.User.ID {
		if err := m.desk.Can(t.User, proto.PermEndOthers, &l.s, false); err != nil {
			return m.refused(ctx, t, "end", l.s.ID, err)
		}
	}
	reason := end.Reason
	if reason == "" {
		reason = "ended by the technician"
	}
	m.audit(ctx, "session.ended", t.User.Name, t.IP, l.s.ID, map[string]string{"by": "technician", "reason": reason})
	return m.close(ctx, l, proto.StatusClosed, t.User.Name, reason, t.Conn)
}

// TechGone is called when a technician's connection ended: it stops its
// queue subscription, and its sessions wait for the grace period.
func (m *Manager) TechGone(t *Tech) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.cfg.Now()
	m.forgetTech(t, func(l *live, at *attachment) {
		at.tech, at.lost = nil, now
		if l.agent != nil {
			l.agent.Conn.Send(proto.TypePeerState, &proto.PeerState{SessionID: l.s.ID, Peer: proto.Peer{ID: t.User.ID, Name: t.User.Name}, Online: false})
		}
	})
}

// forgetTech drops connection t from the queue's subscribers and calls fn
// for each session it is attached to. Callers hold m.mu.
func (m *Manager) forgetTech(t *Tech, fn func(l *live, at *attachment)) {
	delete(m.subs, t)
	for id := range m.techOf[t] {
		if l := m.sessions[id]; l != nil {
			if at := l.techs[t.User.ID]; at != nil && at.tech == t {
				fn(l, at)
			}
		}
	}
	delete(m.techOf, t)
}

// ---- time ----

// Sweep applies every deadline that passed: links expire, codes are renewed,
// and sessions whose agent or technician did not come back within the grace
// period are closed or returned to Ready.
func (m *Manager) Sweep(ctx context.Context) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.cfg.Now()
	for code, r := range m.retired {
		if now.Sub(r.at) > retiredKeep {
			delete(m.retired, code)
		}
	}
	if now.Sub(m.prunedAt) >= retiredKeep {
		// Listing the recent codes forgets the older ones in the store.
		if _, err := m.st.RetiredCodes(ctx, now.Add(-retiredKeep)); err != nil {
			m.log.Error("forget old retired codes", "err", err)
		}
		m.purgeUnattended(ctx, now)
		m.prunedAt = now
	}
	for _, l := range m.sessions {
		switch {
		case l.s.Status == proto.StatusWaiting:
			if !now.Before(l.s.LinkExpiresAt) {
				m.expireLink(ctx, l)
			}
			continue
		case l.agent == nil && now.Sub(l.agentLost) >= m.cfg.Grace:
			const reason = "the end user's app did not reconnect in time"
			m.audit(ctx, "session.ended", actorRelay, "", l.s.ID, map[string]string{"by": actorRelay, "reason": reason})
			if err := m.close(ctx, l, proto.StatusClosed, actorRelay, reason, nil); err != nil {
				m.log.Error("close abandoned session", "session", l.s.ID, "err", err)
			}
			continue
		}
		if l.s.Code != "" && !now.Before(l.s.CodeExpiresAt) {
			m.renewCode(ctx, l, now)
		}
		m.sweepTechs(ctx, l, now)
		m.sweepDesk(ctx, l, now)
		if len(l.techs) > 0 && !now.Before(l.iceRenew) {
			m.renewICE(l, now)
		}
	}
	m.sweepWaiting(now)
}

// purgeUnattended deletes the sessions that ended more than
// KeepUnattended ago without a technician ever joining, in batches so the
// database is not locked for long: anonymous registrations cost storage
// for a week, not for ever (M1 in the security review). Callers hold m.mu.
func (m *Manager) purgeUnattended(ctx context.Context, now time.Time) {
	total := 0
	for range 20 { // at most 10,000 an hour: the rest waits for the next sweep
		n, err := m.st.PurgeUnattended(ctx, now.Add(-m.cfg.KeepUnattended), 500)
		total += n
		if err != nil {
			m.log.Error("purge unattended sessions", "err", err)
			break
		}
		if n < 500 {
			break
		}
	}
	if total > 0 {
		m.log.Info("purged sessions no technician joined", "sessions", total, "older_than", m.cfg.KeepUnattended)
	}
}

// renewCode retires an expired code and gives the agent a fresh one. Callers hold m.mu.
func (m *Manager) renewCode(ctx context.Context, l *live, now time.Time) {
	old := l.s.Code
	m.retire(ctx, old, true, now)
	delete(m.byCode, old)
	l.s.Code, l.s.CodeExpiresAt = m.newCode(now), now.Add(m.cfg.CodeTTL)
	if l.agent == nil {
		l.s.Code = ""
	}
	if err := m.persist(ctx, l, m.event(l, l.s.Status, actorRelay, "attended code expired unused; a new one was issued")); err != nil {
		m.log.Error("renew code", "session", l.s.ID, "err", err)
		return
	}
	if l.s.Code != "" {
		m.byCode[l.s.Code] = l
		l.agent.Conn.Send(proto.TypeCodeRenewed, &proto.AgentRegistered{
			SessionID: l.s.ID, Code: l.s.Code, CodeExpiresAt: l.s.CodeExpiresAt, Status: l.s.Status,
		})
	}
}

// sweepTechs detaches technicians whose grace period ran out. Callers hold m.mu.
func (m *Manager) sweepTechs(ctx context.Context, l *live, now time.Time) {
	for id, at := range l.techs {
		if at.tech != nil || now.Sub(at.lost) < m.cfg.Grace {
			continue
		}
		m.detach(ctx, l, id, at, now, "did not reconnect in time")
	}
}

// detach takes technician id off session l at once: the end user's app
// hears PeerLeft (and closes that technician's media), so does the
// technician's own connection if it is there (their console stops showing
// the session: after a transfer, the new owner joined), TURN ends the
// technician's allocations, and an Active session with nobody left returns
// to Ready. Callers hold m.mu.
func (m *Manager) detach(ctx context.Context, l *live, id int64, at *attachment, now time.Time, reason string) {
	delete(l.techs, id)
	if l.controller == id {
		// Control goes back to the owner, if they are there with control.
		next := int64(0)
		if own := l.techs[l.s.OwnerID]; own != nil && own.granted.Has(proto.PermControl) {
			next = l.s.OwnerID
		}
		m.setController(l, next, actorRelay)
	}
	if at.tech != nil {
		delete(m.techOf[at.tech], l.s.ID)
		at.tech.Conn.Send(proto.TypePeerLeft, &proto.PeerLeft{SessionID: l.s.ID, Peer: proto.Peer{ID: id, Name: at.user.Name}, Reason: reason})
	}
	m.audit(ctx, "session.detached", actorRelay, "", l.s.ID, map[string]string{"user": at.user.Name, "reason": reason})
	if m.cfg.PeerLeft != nil {
		m.cfg.PeerLeft(l.s.ID, id)
		if len(l.techs) == 0 {
			m.cfg.PeerLeft(l.s.ID, AgentPeer) // TURN only while a technician is attached
		}
	}
	if err := m.st.Detach(ctx, l.s.ID, id, now); err != nil {
		m.log.Error("detach technician", "session", l.s.ID, "err", err)
	}
	if l.agent != nil {
		l.agent.Conn.Send(proto.TypePeerLeft, &proto.PeerLeft{SessionID: l.s.ID, Peer: proto.Peer{ID: id, Name: at.user.Name}, Reason: reason})
	}
	if len(l.techs) == 0 && l.s.Status == proto.StatusActive {
		l.s.Status = proto.StatusReady
		if err := m.persist(ctx, l, m.event(l, proto.StatusReady, actorRelay, at.user.Name+" "+reason)); err != nil {
			m.log.Error("return session to Ready", "session", l.s.ID, "err", err)
		}
	}
	m.tellParticipants(l)
}

// TechRevoked is TechGone for a connection whose sign-in no longer holds
// (account disabled, role changed, sign-in revoked): its sessions do not
// wait for it to come back, it is taken off them at once, and the end
// user's app closes its media.
func (m *Manager) TechRevoked(ctx context.Context, t *Tech, reason string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.cfg.Now()
	m.forgetTech(t, func(l *live, at *attachment) { m.detach(ctx, l, t.User.ID, at, now, reason) })
}

// Stats counts live sessions by status and connected agents, for metrics and benchmarks.
func (m *Manager) Stats() (byStatus map[proto.Status]int, agentsOnline int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	byStatus = make(map[proto.Status]int)
	for _, l := range m.sessions {
		byStatus[l.s.Status]++
		if l.agent != nil {
			agentsOnline++
		}
	}
	return byStatus, agentsOnline
}
