// Package server accepts the relay's QUIC connections, speaks the control
// protocol of pkg/proto on each, authenticates technicians and hands every
// request to the session queue. It owns one goroutine per connection (and
// one per slow request) and waits for all of them on shutdown.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/transport"
	"github.com/relaydesk/relaydesk/relay/auth"
	"github.com/relaydesk/relaydesk/relay/limit"
	"github.com/relaydesk/relaydesk/relay/queue"
	"github.com/relaydesk/relaydesk/relay/store"
	"github.com/relaydesk/relaydesk/relay/throttle"
)

// Config holds the server settings. Zero fields take defaults.
type Config struct {
	// TokenTTL is how long a technician's login stays valid.
	TokenTTL time.Duration
	// LoginThrottle limits failed logins per source (IPv6 by /64) and per
	// user name and source together; it locks.
	LoginThrottle throttle.Config
	// LoginUserThrottle limits failed logins per user name from anywhere; it
	// only slows down, so that nobody can lock an account out.
	LoginUserThrottle throttle.Config
	// LoginQueue caps the logins waiting for a password check; more are
	// refused with a sentence and a RetryAfter.
	LoginQueue int
	// HelloTimeout bounds the time from connect to Hello, and to signing in
	// (technicians) or registering (apps).
	HelloTimeout time.Duration
	// Organisation is sent in Welcome.
	Organisation string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives operational logs; nil means slog.Default().
	Logger *slog.Logger
	// AccountPoll is how often the relay looks for account changes made by
	// another process (`relay user`); 0 means one second.
	AccountPoll time.Duration
	// Registrations, Chat and BadTokens limit, per source (IPv4 address,
	// IPv6 /64), SOS app registrations, chat messages and failed token
	// sign-ins; zero takes DefaultRegistrations, DefaultChat and
	// DefaultBadTokens, a negative N no limit.
	Registrations, Chat, BadTokens limit.Rate
}

// Default per-source rates.
var (
	DefaultRegistrations = limit.Rate{N: 30, Per: time.Minute}
	DefaultChat          = limit.Rate{N: 30, Per: time.Minute}
	DefaultBadTokens     = limit.Rate{N: 10, Per: 10 * time.Minute}
)

// snapshotPage is the encoded size at which a queue snapshot is cut into
// another page, well below proto.MaxFrame (one session is at most a few KiB).
const snapshotPage = proto.MaxFrame / 2

func (c *Config) fill() {
	if c.TokenTTL == 0 {
		c.TokenTTL = 12 * time.Hour
	}
	if c.LoginThrottle == (throttle.Config{}) {
		c.LoginThrottle = throttle.DefaultLogins
	}
	if c.LoginUserThrottle == (throttle.Config{}) {
		c.LoginUserThrottle = throttle.DefaultLoginUser
	}
	if c.LoginQueue == 0 {
		c.LoginQueue = 32
	}
	if c.HelloTimeout == 0 {
		c.HelloTimeout = 10 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.AccountPoll == 0 {
		c.AccountPoll = time.Second
	}
	for _, r := range []struct {
		p   *limit.Rate
		def limit.Rate
	}{{&c.Registrations, DefaultRegistrations}, {&c.Chat, DefaultChat}, {&c.BadTokens, DefaultBadTokens}} {
		if *r.p == (limit.Rate{}) {
			*r.p = r.def
		}
	}
}

// Server serves control connections.
type Server struct {
	cfg    Config
	st     store.Store
	q      *queue.Manager
	log    *slog.Logger
	loginT *throttle.Throttle // per source and per user+source: locks
	userT  *throttle.Throttle // per user name: slows down
	// hashing bounds concurrent argon2id checks (64 MiB each); waiting
	// counts the logins queued for it (at most cfg.LoginQueue).
	hashing chan struct{}
	waiting atomic.Int32
	check   func(phc, password string) (bool, error)
	// per-source limits and the gate that keeps refusals from flooding the log
	regs, chats, badTokens *limit.PerSource
	logs                   *limit.Logs

	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[*quic.Conn]struct{}
	techs map[*client]struct{} // signed-in technician connections
}

// New returns a Server on st and q.
func New(st store.Store, q *queue.Manager, cfg Config) *Server {
	cfg.fill()
	return &Server{
		cfg: cfg, st: st, q: q, log: cfg.Logger,
		hashing:   make(chan struct{}, 2),
		check:     auth.CheckPassword,
		regs:      limit.NewPerSource(cfg.Registrations, cfg.Now),
		chats:     limit.NewPerSource(cfg.Chat, cfg.Now),
		badTokens: limit.NewPerSource(cfg.BadTokens, cfg.Now),
		logs:      limit.NewLogs(cfg.Logger, time.Minute, cfg.Now),
		conns:     make(map[*quic.Conn]struct{}),
		techs:     make(map[*client]struct{}),
	}
}

// organisation is the name sent in Welcome: the queue's (the admin's
// setting, else the relay's), or the configured one without a queue.
func (s *Server) organisation() string {
	if s.q != nil {
		return s.q.Organisation()
	}
	return s.cfg.Organisation
}

// Serve accepts connections from ln until ctx ends, then closes every
// connection with ErrShuttingDown (clients reconnect by themselves) and waits
// up to grace for their goroutines. The listener's transport ends when the
// caller closes its PacketConn.
func (s *Server) Serve(ctx context.Context, ln *transport.Listener, grace time.Duration) error {
	if err := s.openThrottles(ctx); err != nil {
		ln.Close()
		return err
	}
	watchCtx, stopWatch := context.WithCancel(context.Background())
	watchDone := make(chan struct{})
	go func() { defer close(watchDone); s.watchAccounts(watchCtx, s.cfg.AccountPoll) }()
	defer func() { stopWatch(); <-watchDone }()
	var acceptErr error
	accepted := make(chan struct{})
	go func() {
		defer close(accepted)
		for {
			conn, err := ln.Accept(context.Background())
			if err != nil {
				acceptErr = err
				return
			}
			s.mu.Lock()
			s.conns[conn] = struct{}{}
			s.mu.Unlock()
			s.wg.Go(func() {
				s.handle(conn)
				s.mu.Lock()
				delete(s.conns, conn)
				s.mu.Unlock()
			})
		}
	}()
	select {
	case <-ctx.Done():
	case <-accepted:
	}
	ln.Close()
	<-accepted
	s.mu.Lock()
	for c := range s.conns {
		c.CloseWithError(quic.ApplicationErrorCode(proto.ErrShuttingDown), "relay restarting")
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		s.log.Warn("connections still open after the shutdown grace period")
	}
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("accept: %w", acceptErr)
}

func remoteIP(conn *quic.Conn) string {
	if a, ok := conn.RemoteAddr().(*net.UDPAddr); ok {
		return a.IP.String()
	}
	return conn.RemoteAddr().String()
}

// handle runs one connection to its end.
func (s *Server) handle(conn *quic.Conn) {
	ip := remoteIP(conn)
	actx, cancel := context.WithTimeout(context.Background(), s.cfg.HelloTimeout)
	st, err := conn.AcceptStream(actx)
	cancel()
	if err != nil {
		conn.CloseWithError(quic.ApplicationErrorCode(proto.ErrProtocol), "no control stream")
		return
	}
	c := &client{srv: s, peer: transport.PeerOn(conn, st), ip: ip, src: transport.SourceKey(conn.RemoteAddr()), log: s.log.With("remote", ip)}
	ctx, stop := context.WithCancel(context.Background())
	helloTimer := time.AfterFunc(s.cfg.HelloTimeout, c.deadline)
	err = c.peer.Run(ctx, func(env proto.Envelope) { c.dispatch(ctx, env) })
	helloTimer.Stop()
	stop()
	c.wg.Wait()
	s.forget(c)
	if c.agent != nil {
		s.q.AgentGone(c.agent)
	}
	if t := c.techUser(); t != nil {
		c.mu.Lock()
		revoked := c.revokedBy
		c.mu.Unlock()
		if revoked != nil { // no grace period: this sign-in no longer holds
			s.q.TechRevoked(context.Background(), t, "was signed out by the relay")
		} else {
			s.q.TechGone(t)
		}
	}
	c.log.Debug("connection ended", "err", err)
}

// client is the state of one connection.
type client struct {
	srv  *Server
	peer *transport.Peer
	ip   string
	src  string // the key of per-source limits
	log  *slog.Logger
	wg   sync.WaitGroup // slow requests

	mu    sync.Mutex
	r     proto.Role
	agent *queue.Agent
	tech  *queue.Tech
	busy  bool // a login is in progress
	late  bool // the sign-in deadline passed during that login
	// tokenHash is the hash of the token the technician signed in with;
	// revokedBy is why the connection was closed when that sign-in ended.
	tokenHash []byte
	revokedBy *proto.Failure
}

// deadline closes the connection unless it signed in or registered within
// the Hello timeout; a login still running decides when it ends.
func (c *client) deadline() {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.agent != nil || c.tech != nil:
	case c.busy:
		c.late = true
	default:
		c.tooLate()
	}
}

// tooLate closes a connection that did not sign in or register in time;
// clients show the reason as "The relay closed the connection: it did not
// sign in …" (transport.Describe). Callers hold c.mu.
func (c *client) tooLate() {
	c.log.Debug("closed: no sign-in or registration in time")
	c.peer.CloseWith(proto.Errorf(proto.ErrSignInTimeout, "it did not sign in or register within %s", c.srv.cfg.HelloTimeout))
}

func (c *client) role() proto.Role {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.r
}

func (c *client) techUser() *queue.Tech {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tech
}

// violation closes the connection for a protocol error.
func (c *client) violation(format string, args ...any) {
	f := proto.Errorf(proto.ErrProtocol, format, args...)
	c.srv.logs.Info(c.log, "protocol violation", "err", f.Message)
	c.peer.CloseWith(f)
}

// async runs a slow request on a goroutine the connection waits for.
func (c *client) async(fn func()) { c.wg.Go(fn) }

func (c *client) dispatch(ctx context.Context, env proto.Envelope) {
	body := proto.NewBody(env.Type)
	if body == nil {
		c.violation("unknown message type %d", env.Type)
		return
	}
	if err := env.Decode(body); err != nil {
		c.violation("%v", err)
		return
	}
	if env.Type == proto.TypeHello {
		c.hello(env.ID, body.(*proto.Hello))
		return
	}
	switch c.role() {
	case proto.RoleAgent:
		c.agentMessage(ctx, env, body)
	case proto.RoleTechnician:
		c.techMessage(ctx, env, body)
	default:
		c.violation("the first message must be Hello")
	}
}

func (c *client) hello(id uint64, h *proto.Hello) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.r != "":
		c.peer.CloseWith(proto.Errorf(proto.ErrProtocol, "second Hello"))
		return
	case h.Version != proto.Version:
		c.peer.ReplyError(id, proto.Errorf(proto.ErrVersion, "This relay speaks protocol version %d, the app speaks %d; update the app.", proto.Version, h.Version))
		return
	case h.Role != proto.RoleAgent && h.Role != proto.RoleTechnician:
		c.peer.ReplyError(id, proto.Errorf(proto.ErrBadRequest, "Unknown client role %q.", h.Role))
		return
	}
	c.r = h.Role
	name, _ := proto.Truncate(h.Client, proto.MaxClientName) // attacker-chosen, on every log line
	c.log = c.log.With("role", h.Role, "client", name)
	c.peer.Reply(id, proto.TypeWelcome, &proto.Welcome{Version: proto.Version, Organisation: c.srv.organisation(), ServerTime: c.srv.cfg.Now()})
}

// answer replies to request id with t and body, or with err. A message
// sent without an ID gets no answer.
func (c *client) answer(id uint64, t proto.Type, body any, err error) {
	if id == 0 {
		return
	}
	if err != nil {
		c.peer.ReplyError(id, err)
		return
	}
	c.peer.Reply(id, t, body)
}

func (c *client) agentMessage(ctx context.Context, env proto.Envelope, body any) {
	q := c.srv.q
	switch m := body.(type) {
	case *proto.AgentRegister:
		if !c.mayRegister(env.ID) {
			return
		}
		a := &queue.Agent{IP: c.ip, Conn: c.peer}
		reply, err := q.RegisterAgent(ctx, a, *m)
		if err == nil {
			c.mu.Lock()
			c.agent = a
			c.mu.Unlock()
			c.log.Info("agent registered", "session", reply.SessionID, "resumed", reply.Resumed)
		}
		c.answer(env.ID, proto.TypeAgentRegistered, &reply, err)
	case *proto.CallForm: // before an SOS Call registers: what the channel's form asks
		if !c.mayRegister(env.ID) {
			return
		}
		info, err := q.CallForm(m.ChannelToken)
		c.answer(env.ID, proto.TypeCallFormInfo, &info, err)
	case *proto.Signal:
		if a := c.registered(env.ID); a != nil {
			if err := q.AgentSignal(a, *m); err != nil {
				c.log.Debug("signal dropped", "err", err)
			}
		}
	case *proto.End:
		if a := c.registered(env.ID); a != nil {
			c.answer(env.ID, proto.TypeOK, &proto.OK{}, q.AgentEnd(ctx, a, m.Reason))
		}
	case *proto.Chat:
		if a := c.registered(env.ID); a != nil {
			err := c.allow(c.srv.chats, "chat")
			if err == nil {
				err = q.AgentChat(ctx, a, *m)
			}
			c.answer(env.ID, proto.TypeOK, &proto.OK{}, err)
		}
	case *proto.FileReport:
		if a := c.registered(env.ID); a != nil {
			c.answer(env.ID, proto.TypeOK, &proto.OK{}, q.AgentFileReport(ctx, a, *m))
		}
	case *proto.FileUpload:
		if a := c.registered(env.ID); a != nil {
			reply, err := q.AgentFileUpload(ctx, a, *m)
			c.answer(env.ID, proto.TypeFileStarted, &reply, err)
		}
	case *proto.RecordRequest: // the end user stops the recording
		if a := c.registered(env.ID); a != nil {
			c.answer(env.ID, proto.TypeOK, &proto.OK{}, q.AgentRecord(ctx, a, *m))
		}
	case *proto.Rate: // after the end, often on a new connection: the resume key proves who it is
		err := c.guardToken(func() error { return q.Rate(ctx, c.ip, *m) }, proto.ErrSessionUnknown)
		c.answer(env.ID, proto.TypeOK, &proto.OK{}, err)
	case *proto.RecordsLinkRequest: // at the rating step, like Rate
		var link proto.RecordsLink
		err := c.guardToken(func() (err error) { link, err = q.RecordsLink(ctx, c.ip, *m); return err }, proto.ErrSessionUnknown)
		c.answer(env.ID, proto.TypeRecordsLink, &link, err)
	default:
		c.violation("message type %d is not for agents", env.Type)
	}
}

// mayRegister checks a registration (or an SOS Call's form request, which
// counts as one) before it runs: not registered yet, and within the
// source's registration limit. Otherwise it answers request id and
// reports false.
func (c *client) mayRegister(id uint64) bool {
	c.mu.Lock()
	registered := c.agent != nil
	c.mu.Unlock()
	if registered {
		c.peer.ReplyError(id, proto.Errorf(proto.ErrSessionState, "This app is already registered."))
		return false
	}
	if err := c.allow(c.srv.regs, "registration"); err != nil {
		c.answer(id, 0, nil, err)
		return false
	}
	return true
}

func (c *client) registered(id uint64) *queue.Agent {
	c.mu.Lock()
	a := c.agent
	c.mu.Unlock()
	if a == nil && id != 0 {
		c.peer.ReplyError(id, proto.Errorf(proto.ErrSessionState, "Register first."))
	}
	return a
}

func (c *client) techMessage(ctx context.Context, env proto.Envelope, body any) {
	q := c.srv.q
	switch m := body.(type) {
	case *proto.Login:
		c.startLogin(env.ID, "", func() (proto.LoginOK, *queue.Tech, error) { return c.srv.login(ctx, c.peer, c.ip, *m) })
		return
	case *proto.Auth:
		c.startLogin(env.ID, m.Token, func() (proto.LoginOK, *queue.Tech, error) { return c.tokenAuth(ctx, *m) })
		return
	}
	t := c.techUser()
	if t == nil {
		if env.ID != 0 {
			c.peer.ReplyError(env.ID, proto.Errorf(proto.ErrUnauthenticated, "Sign in first."))
		}
		return
	}
	// Every request re-checks the sign-in; Signal, a one-way event that
	// comes in bursts while a session connects, is left to the poll.
	if env.Type != proto.TypeSignal {
		if err := c.check(ctx); err != nil {
			c.answer(env.ID, 0, nil, err)
			return
		}
	}
	switch m := body.(type) {
	case *proto.Logout:
		c.logout(ctx, env.ID, t)
	case *proto.QueueSubscribe:
		if m.All { // a read of every session the role may see: worth a line in the audit
			c.srv.audit(ctx, "queue.all", t.User.Name, c.ip, map[string]string{"role": string(t.User.Role)})
		}
		c.sendSnapshot(env.ID, q.Subscribe(t, m.All))
	case *proto.LinkCreate:
		reply, err := q.CreateLink(ctx, t, *m)
		c.answer(env.ID, proto.TypeLinkCreated, &reply, err)
	case *proto.Connect:
		c.async(func() {
			reply, err := q.Connect(ctx, t, *m, func(stage string) {
				c.peer.Send(proto.TypeConnectStage, &proto.ConnectStage{SessionID: m.SessionID, Stage: stage})
			})
			c.answer(env.ID, proto.TypeConnected, &reply, err)
		})
	case *proto.Signal:
		if err := q.TechSignal(t, *m); err != nil {
			c.log.Debug("signal dropped", "err", err)
		}
	case *proto.End:
		c.answer(env.ID, proto.TypeOK, &proto.OK{}, q.TechEnd(ctx, t, *m))
	case *proto.Chat:
		err := c.allow(c.srv.chats, "chat")
		if err == nil {
			err = q.TechChat(ctx, t, *m)
		}
		c.answer(env.ID, proto.TypeOK, &proto.OK{}, err)
	case *proto.SessionDetailsRequest:
		d, err := q.Details(ctx, t, m.SessionID)
		c.answer(env.ID, proto.TypeSessionDetailsReply, &d, err)
	case *proto.Pick:
		s, err := q.Pick(ctx, t, m.SessionID)
		c.answer(env.ID, proto.TypeSessionReply, &proto.SessionReply{Session: s}, err)
	case *proto.Transfer:
		s, err := q.Transfer(ctx, t, *m)
		c.answer(env.ID, proto.TypeSessionReply, &proto.SessionReply{Session: s}, err)
	case *proto.Invite:
		c.answer(env.ID, proto.TypeOK, &proto.OK{}, q.Invite(ctx, t, *m))
	case *proto.InviteAnswer:
		c.answer(env.ID, proto.TypeOK, &proto.OK{}, q.AnswerInvite(ctx, t, *m))
	case *proto.NoteAdd:
		c.answer(env.ID, proto.TypeOK, &proto.OK{}, q.AddNote(ctx, t, *m))
	case *proto.SessionUpdate:
		s, err := q.UpdateSession(ctx, t, *m)
		c.answer(env.ID, proto.TypeSessionReply, &proto.SessionReply{Session: s}, err)
	case *proto.HistoryRequest:
		page, err := q.History(ctx, t, *m)
		c.answer(env.ID, proto.TypeHistoryPage, &page, err)
	case *proto.SetAvailability:
		c.answer(env.ID, proto.TypeOK, &proto.OK{}, q.SetAvailability(ctx, t, m.Availability))
	case *proto.Control:
		c.answer(env.ID, proto.TypeOK, &proto.OK{}, q.Control(ctx, t, *m))
	case *proto.GuestRemove:
		c.answer(env.ID, proto.TypeOK, &proto.OK{}, q.RemoveGuest(ctx, t, *m))
	case *proto.FileStart: // waits for the app to take the offer
		c.async(func() {
			reply, err := q.FileStart(ctx, t, *m)
			c.answer(env.ID, proto.TypeFileStarted, &reply, err)
		})
	case *proto.FileReport:
		c.answer(env.ID, proto.TypeOK, &proto.OK{}, q.TechFileReport(ctx, t, *m))
	case *proto.FileListRequest:
		list, err := q.FileList(ctx, t, m.SessionID)
		c.answer(env.ID, proto.TypeFileListed, &list, err)
	case *proto.RecordRequest: // starting waits for the end user's answer
		c.async(func() { c.answer(env.ID, proto.TypeOK, &proto.OK{}, q.Record(ctx, t, *m)) })
	case *proto.DirectoryRequest:
		d := q.Directory(t)
		c.answer(env.ID, proto.TypeDirectoryReply, &d, nil)
	default:
		c.violation("message type %d is not for technicians", env.Type)
	}
}

// startLogin runs a login on its own goroutine (argon2id is slow on purpose).
// tok is the token an Auth sent ("" for a password Login).
func (c *client) startLogin(id uint64, tok string, fn func() (proto.LoginOK, *queue.Tech, error)) {
	c.mu.Lock()
	if c.tech != nil || c.busy {
		c.mu.Unlock()
		c.peer.ReplyError(id, proto.Errorf(proto.ErrSessionState, "Already signed in on this connection."))
		return
	}
	c.busy = true
	c.mu.Unlock()
	c.async(func() {
		reply, t, err := fn()
		if err == nil {
			c.srv.signedIn(c, tokenHashOf(tok, reply))
		}
		c.mu.Lock()
		c.busy = false
		if err == nil {
			c.tech = t
			c.log = c.log.With("user", t.User.Name)
		}
		late := err != nil && c.late
		c.mu.Unlock()
		c.answer(id, proto.TypeLoginOK, &reply, err)
		if late {
			c.mu.Lock()
			c.tooLate()
			c.mu.Unlock()
		}
	})
}

// allow takes one event of what from the connection's source in p, or
// returns the refusal (ErrThrottled with RetryAfter), logged at most once a
// minute.
func (c *client) allow(p *limit.PerSource, what string) error {
	ok, wait := p.Allow(c.src)
	if ok {
		return nil
	}
	c.srv.logs.Info(c.log, what+" refused: too many from this network", "source", c.src)
	f := proto.Errorf(proto.ErrThrottled, "Too many requests from your network. Try again in %s.", wait.Round(time.Second)+time.Second)
	f.RetryAfter = wait
	return f
}

// tokenAuth signs in with a token unless the source presented too many
// bad tokens; each bad token counts.
func (c *client) tokenAuth(ctx context.Context, m proto.Auth) (reply proto.LoginOK, t *queue.Tech, err error) {
	err = c.guardToken(func() error {
		var err error
		reply, t, err = c.srv.auth(ctx, c.peer, c.ip, m)
		return err
	}, proto.ErrUnauthenticated)
	return reply, t, err
}

// guardToken runs check, a request that presents a secret (a sign-in
// token, a session's resume key), unless the source presented too many bad
// ones; a failure with code bad counts as one. This also bounds the audit
// records that bad secrets write.
func (c *client) guardToken(check func() error, bad proto.ErrorCode) error {
	if blocked, wait := c.srv.badTokens.Blocked(c.src); blocked {
		c.srv.logs.Info(c.log, "request refused: too many bad tokens from this network", "source", c.src)
		f := proto.Errorf(proto.ErrThrottled, "Too many failed attempts from your network. Try again in %s.", wait.Round(time.Second)+time.Second)
		f.RetryAfter = wait
		return f
	}
	err := check()
	if proto.CodeOf(err) == bad {
		c.srv.badTokens.Allow(c.src)
	}
	return err
}

// sendSnapshot answers QueueSubscribe with the snapshot in pages that each
// fit a frame: the reply, then TypeQueueSnapshotPage events while More.
// A page that cannot be sent ends the connection (the console reconnects
// and subscribes again) rather than leaving it without a queue.
func (c *client) sendSnapshot(id uint64, snap proto.QueueSnapshot) {
	pages := pageSessions(snap.Sessions, snapshotPage)
	for i, p := range pages {
		page := proto.QueueSnapshot{Sessions: p, More: i < len(pages)-1}
		var err error
		if i == 0 {
			err = c.peer.Reply(id, proto.TypeQueueSnapshot, &page)
		} else {
			err = c.peer.Send(proto.TypeQueueSnapshotPage, &page)
		}
		if err != nil {
			c.log.Warn("queue snapshot not sent", "page", i+1, "pages", len(pages), "err", err)
			c.peer.CloseWith(proto.Errorf(proto.ErrInternal, "The relay could not send the queue; reconnecting will retry."))
			return
		}
	}
}

// pageSessions cuts sessions into pages of at most budget encoded bytes
// (a session bigger than budget gets a page of its own); there is always
// at least one page.
func pageSessions(sessions []proto.SessionInfo, budget int) [][]proto.SessionInfo {
	pages := [][]proto.SessionInfo{{}}
	size := 0
	for _, s := range sessions {
		b, _ := proto.Marshal(&s)
		cur := len(pages) - 1
		if size+len(b) > budget && len(pages[cur]) > 0 {
			pages, size, cur = append(pages, nil), 0, cur+1
		}
		pages[cur] = append(pages[cur], s)
		size += len(b)
	}
	return pages
}
