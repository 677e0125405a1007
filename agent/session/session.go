// Package session runs the SOS app's side of a support session: it connects
// to the relay, registers (attended code, support link, SOS Call to a
// channel's queue, or resume), asks the
// end user for consent through a UI, carries the chat, keeps the session
// through dropped connections and relay restarts, ends it when either side
// asks, and sends the end user's rating afterwards. Serve adds what a
// window needs before the session starts: asking for the connection
// details and offering a retry.
package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/relaydesk/relaydesk/pkg/download"
	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/transport"
)

// UI is what the end user sees. Methods are called from the session's
// goroutines; Consent may block until the user answers or ctx ends.
type UI interface {
	// Code shows the attended code to read to the technician.
	Code(code string, expires time.Time)
	// Waiting says the app waits for the technician who sent the link.
	Waiting(technician string)
	// Status describes the connection in words ("Connecting…", "Reconnecting in 2s…").
	Status(text string)
	// Consent asks whether req.Technician may connect through the relay at
	// relayHost, and returns what the end user granted (nil: denied). The
	// session grants no more than req.Permissions, whatever it returns.
	Consent(ctx context.Context, req proto.ConsentRequest, relayHost string) proto.Grant
	// Joined and Left report technicians attached to or leaving the session.
	Joined(p proto.Peer)
	Left(p proto.Peer, reason string)
	// Ended reports the end of the session and who ended it.
	Ended(e proto.SessionEnded)
	// Chat shows a chat message, stamped by the relay (FromPeer 0: this end user).
	Chat(c proto.Chat)
}

// Config says where and how to connect.
type Config struct {
	Relay       string // host:port
	Fingerprint string // sha256:<hex> of the relay's key
	LinkToken   string // empty: attended code (or an SOS Call)
	// ChannelToken is an SOS Call channel page's token: the app learns the
	// channel's form from the relay, asks the end user for it (a UI that
	// implements IntakeUI) and registers the request in the channel's queue.
	ChannelToken string
	// Language is the end user's language from the OS locale ("de-CH"),
	// sent with every registration.
	Language string
	// Pin is the relay a release build may use (download.ParsePin of the
	// build-time values); the zero Pin (dev build) allows any, after asking.
	Pin download.Pin
	// Confirmed means the end user chose the relay on the command line:
	// a dev build does not ask again.
	Confirmed bool
	Device    proto.DeviceInfo
	UI        UI
	// Media streams the screen to the technicians the end user allowed,
	// with the channels granted; nil: no screen sharing.
	Media Media
	// Files takes the file transfers the relay offers (agent/files.Service);
	// nil: the app takes none.
	Files interface{ Offer(proto.FileOffer) error }
	// OnSignal receives signalling messages from technicians (WebRTC); may be nil.
	OnSignal func(proto.Signal)
	// OnICE receives the session's ICE servers (TURN credentials, which the
	// relay gives only once a technician joined) at every registration,
	// with PeerJoined and when the relay renews them; may be nil.
	OnICE func([]proto.ICEServer)
	// MinBackoff and MaxBackoff bound the wait between reconnect attempts.
	MinBackoff, MaxBackoff time.Duration
	// GiveUp ends the session when the relay stays unreachable this long
	// (it should exceed the relay's grace period a little).
	GiveUp time.Duration
	// StartGiveUp is the same before the first registration: nothing to
	// keep yet, so the end user hears sooner that the relay is unreachable.
	StartGiveUp time.Duration
	// DialTimeout bounds one connection attempt.
	DialTimeout time.Duration
	Logger      *slog.Logger
}

// Media starts and stops a technician's screen stream (agent/share.Sharer).
type Media interface {
	// Join opens technician peer's stream with only the granted channels.
	Join(peer int64, granted proto.Grant) error
	Leave(peer int64)
}

// Session errors.
var (
	ErrGaveUp = errors.New("session: the relay stayed unreachable")
)

// Agent is a running session. Create it with New, run it with Run.
type Agent struct {
	cfg Config
	log *slog.Logger

	mu        sync.Mutex
	peer      *transport.Peer
	sessionID string
	resumeKey string
	ended     *proto.SessionEnded
	consent   context.CancelFunc // withdraws the pending consent question
	// granted is what the end user allowed, per technician peer ID, in this
	// process: the app admits no one else, whatever the relay says. A
	// resume keeps it; a new target clears it.
	granted map[int64]proto.Grant
	// guests are the technicians the end user allowed as a guest or a
	// supervisor (the consent question said so): they control only when
	// handed control.
	guests map[int64]bool
	// controller is the technician the relay last named as the one who
	// controls (ControlChanged); 0: none named yet, the owners control;
	// -1: nobody.
	controller int64
	// confirmed is the relay address the end user confirmed (dev builds).
	confirmed string
	// intake is what the end user entered in the SOS Call form;
	// intakeAsked says it was asked; channel names the queue the request
	// waits in (from the relay).
	intake      proto.Intake
	intakeAsked bool
	channel     string
	// positioned says the relay told this connection the request's
	// position in its queue (QueuePosition came before the registration's
	// reply): the generic "in the queue" sentence is not needed.
	positioned bool
}

// New returns an Agent for cfg.
func New(cfg Config) *Agent {
	if cfg.MinBackoff == 0 {
		cfg.MinBackoff = 250 * time.Millisecond
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 5 * time.Second
	}
	if cfg.GiveUp == 0 {
		cfg.GiveUp = 3 * time.Minute
	}
	if cfg.StartGiveUp == 0 {
		cfg.StartGiveUp = 15 * time.Second
	}
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Agent{cfg: cfg, log: cfg.Logger, granted: make(map[int64]proto.Grant), guests: make(map[int64]bool)}
}

// permanent reports whether a registration failure cannot be fixed by retrying.
func permanent(err error) bool {
	var f *proto.Failure
	if errors.As(err, &f) {
		switch f.Code {
		case proto.ErrInternal, proto.ErrShuttingDown:
			return false
		}
		return true
	}
	return errors.Is(err, ErrNoIntake) || errors.Is(err, transport.ErrFingerprintMismatch) || errors.Is(err, transport.ErrBadFingerprint)
}

// Run keeps the session until it ends. It returns nil when the session ended
// normally (by either side), the relay's reason when it refused the app, and
// ctx's error after ending the session itself when ctx is cancelled (the end
// user quit).
func (a *Agent) Run(ctx context.Context) error {
	backoff := a.cfg.MinBackoff
	var lostSince time.Time
	var refused error // the relay's refusal of the SOS Call form, until asked again
	for {
		var err error
		if a.needIntake(refused) {
			// SOS Call: learn the channel's form, then ask it.
			a.cfg.UI.Status("Connecting to the support server…")
			var form proto.CallFormInfo
			if form, err = a.callForm(ctx); err == nil {
				if err := a.askIntake(ctx, form, refused); err != nil {
					return err
				}
				refused, backoff, lostSince = nil, a.cfg.MinBackoff, time.Time{}
			}
		}
		if err == nil {
			a.cfg.UI.Status("Connecting to the support server…")
			err = a.runOnce(ctx, func() { backoff, lostSince = a.cfg.MinBackoff, time.Time{} })
		}
		a.mu.Lock()
		ended := a.ended
		a.mu.Unlock()
		switch {
		case ctx.Err() != nil:
			a.endAfterQuit() // runOnce could not tell the relay itself
			return ctx.Err()
		case ended != nil:
			return nil
		case a.formRefused(err):
			// The relay's sentence says what the form lacks: fetch the
			// form again (it may have changed), ask again and register on
			// a new connection at once.
			refused, backoff, lostSince = err, a.cfg.MinBackoff, time.Time{}
			continue
		case permanent(err):
			return err
		}
		if lostSince.IsZero() {
			lostSince = time.Now()
		}
		limit, say := a.cfg.GiveUp, "Connection lost (%s). Reconnecting in %s…"
		if a.SessionID() == "" {
			limit, say = a.cfg.StartGiveUp, "Cannot reach the support server yet (%s). Trying again in %s…"
		}
		if time.Since(lostSince) > limit {
			return fmt.Errorf("%w for %s: %w", ErrGaveUp, limit, err)
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		a.log.Info("connection lost", "err", err, "retry_in", wait)
		a.cfg.UI.Status(fmt.Sprintf(say, transport.Describe(err, a.relay()), wait.Round(10*time.Millisecond)))
		select {
		case <-ctx.Done():
			a.endAfterQuit()
			return ctx.Err()
		case <-time.After(wait):
		}
		backoff = min(backoff*2, a.cfg.MaxBackoff)
	}
}

// runOnce runs one connection; registered is called once the relay accepted us.
func (a *Agent) runOnce(ctx context.Context, registered func()) error {
	dctx, cancel := context.WithTimeout(ctx, a.cfg.DialTimeout)
	a.mu.Lock()
	relay, fp := a.cfg.Relay, a.cfg.Fingerprint
	a.mu.Unlock()
	conn, st, err := transport.Dial(dctx, relay, fp)
	cancel()
	if err != nil {
		return err
	}
	peer := transport.PeerOn(conn, st)
	var wg sync.WaitGroup
	defer wg.Wait()
	runCtx, stopRun := context.WithCancel(context.Background())
	defer stopRun()
	runErr := make(chan error, 1)
	wg.Go(func() { runErr <- peer.Run(runCtx, func(env proto.Envelope) { a.handle(runCtx, &wg, peer, env) }) })

	if err := a.register(ctx, &wg, peer); err != nil {
		peer.Close()
		<-runErr
		return err
	}
	registered()
	a.mu.Lock()
	a.peer = peer
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		a.peer = nil
		a.mu.Unlock()
	}()

	select {
	case err := <-runErr:
		return err
	case <-ctx.Done():
		a.end(peer, "ended by the end user")
		peer.Close()
		<-runErr
		return ctx.Err()
	}
}

func (a *Agent) register(ctx context.Context, wg *sync.WaitGroup, peer *transport.Peer) error {
	rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := a.hello(rctx, peer); err != nil {
		return err
	}
	a.mu.Lock()
	req := proto.AgentRegister{ResumeKey: a.resumeKey, Device: a.cfg.Device, Language: a.cfg.Language, Updates: true, Recording: a.recordable()}
	a.positioned = false
	if req.ResumeKey == "" {
		switch {
		case a.cfg.LinkToken != "":
			req.LinkToken = a.cfg.LinkToken
		case a.cfg.ChannelToken != "":
			in := a.intake
			req.ChannelToken, req.Intake = a.cfg.ChannelToken, &in
		}
	}
	a.mu.Unlock()
	var reg proto.AgentRegistered
	if err := peer.Call(rctx, proto.TypeAgentRegister, &req, proto.TypeAgentRegistered, &reg); err != nil {
		return err
	}
	a.mu.Lock()
	a.sessionID = reg.SessionID
	if reg.ResumeKey != "" {
		a.resumeKey = reg.ResumeKey
	}
	if reg.Channel != "" {
		a.channel = reg.Channel
	}
	a.mu.Unlock()
	a.log.Info("registered", "session", reg.SessionID, "resumed", reg.Resumed, "status", reg.Status)
	if a.cfg.OnICE != nil {
		a.cfg.OnICE(reg.ICE)
	}
	a.show(reg)
	for _, p := range reg.Peers {
		a.admit(wg, p, "resume")
	}
	return nil
}

// show tells the UI what the end user should see for this registration.
func (a *Agent) show(reg proto.AgentRegistered) {
	a.mu.Lock()
	channel, positioned := a.channel, a.positioned
	a.mu.Unlock()
	switch {
	case reg.Status == proto.StatusActive:
		a.cfg.UI.Status("Connected.")
	case channel != "" && reg.Code == "":
		a.cfg.UI.Waiting("a technician")
		if !positioned {
			a.cfg.UI.Status(QueuedSentence(channel))
		}
	case reg.Code != "":
		a.cfg.UI.Code(reg.Code, reg.CodeExpiresAt)
		a.cfg.UI.Status("Connected. Waiting for the technician to enter the code.")
	default:
		a.cfg.UI.Waiting(reg.Technician)
		a.cfg.UI.Status("Connected. Waiting for the technician.")
	}
}

func (a *Agent) handle(ctx context.Context, wg *sync.WaitGroup, peer *transport.Peer, env proto.Envelope) {
	body := proto.NewBody(env.Type)
	if body == nil || env.Decode(body) != nil {
		peer.CloseWith(proto.Errorf(proto.ErrProtocol, "unreadable message of type %d", env.Type))
		return
	}
	switch m := body.(type) {
	case *proto.ConsentRequest:
		cctx, cancel := a.question(ctx, m.Timeout)
		wg.Go(func() {
			defer cancel()
			peer.Reply(env.ID, proto.TypeConsentAnswer, a.ask(cctx, *m))
		})
	case *proto.RecordConsent: // record.go
		cctx, cancel := a.question(ctx, m.Timeout)
		wg.Go(func() {
			defer cancel()
			peer.Reply(env.ID, proto.TypeRecordAnswer, a.askRecord(cctx, *m))
		})
	case *proto.RecordState:
		a.recordState(*m)
	case *proto.ConsentGone:
		a.mu.Lock()
		if a.consent != nil {
			a.consent()
			a.consent = nil
		}
		a.mu.Unlock()
	case *proto.AgentRegistered: // TypeCodeRenewed
		a.show(*m)
	case *proto.PeerJoined:
		if a.grantOf(m.Peer.ID) != nil { // credentials only with a peer the end user allowed
			a.onICE(m.ICE) // before admitting: the offer to this peer gathers with them
		}
		a.admit(wg, m.Peer, "peer joined")
	case *proto.ICERenewed:
		a.onICE(m.ICE)
	case *proto.ControlChanged:
		a.controlChanged(*m)
	case *proto.PeerLeft:
		if a.revoke(m.Peer.ID) != nil { // coming back takes a new consent
			if a.cfg.Media != nil {
				a.cfg.Media.Leave(m.Peer.ID)
			}
			a.cfg.UI.Left(m.Peer, m.Reason)
		}
	case *proto.PeerState:
		if m.Online {
			a.cfg.UI.Status(fmt.Sprintf("%s is connected.", nameOr(m.Peer.Name, "The technician")))
		} else {
			a.cfg.UI.Status(fmt.Sprintf("%s lost the connection; waiting for them to come back.", nameOr(m.Peer.Name, "The technician")))
		}
	case *proto.Signal:
		if a.cfg.OnSignal != nil {
			a.cfg.OnSignal(*m)
		}
	case *proto.Chat:
		a.cfg.UI.Chat(*m)
	case *proto.FileOffer:
		if err := a.offerFile(*m); err != nil {
			peer.ReplyError(env.ID, err)
		} else {
			peer.Reply(env.ID, proto.TypeOK, &proto.OK{})
		}
	case *proto.Handover:
		a.cfg.UI.Status(fmt.Sprintf("%s has handed your session to %s.", nameOr(m.From, "Your technician"), nameOr(m.To, "a colleague")))
	case *proto.QueuePosition:
		a.queuePosition(*m)
	case *proto.Participants:
		a.participants(*m)
	case *proto.SessionEnded:
		a.mu.Lock()
		a.ended = m
		a.mu.Unlock()
		a.cfg.UI.Ended(*m)
		peer.Close()
	}
}

// question is the context of a question to the end user that the relay
// may withdraw (ConsentGone) and that ends after timeout (0: none). One
// question at a time: a new one withdraws the pending one, as the relay
// asks no more.
func (a *Agent) question(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	var cctx context.Context
	var cancel context.CancelFunc
	if timeout > 0 {
		cctx, cancel = context.WithTimeout(ctx, timeout)
	} else {
		cctx, cancel = context.WithCancel(ctx)
	}
	a.mu.Lock()
	if a.consent != nil {
		a.consent()
	}
	a.consent = cancel
	a.mu.Unlock()
	return cctx, cancel
}

// onICE hands newer ICE servers to the sharer; none (a message from an
// older relay) keeps what it has.
func (a *Agent) onICE(ice []proto.ICEServer) {
	if a.cfg.OnICE != nil && len(ice) > 0 {
		a.cfg.OnICE(ice)
	}
}

func nameOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// end asks the relay to close the session.
func (a *Agent) end(peer *transport.Peer, reason string) {
	a.mu.Lock()
	id := a.sessionID
	a.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := peer.Call(ctx, proto.TypeEnd, &proto.End{SessionID: id, Reason: reason}, proto.TypeOK, nil); err != nil {
		a.log.Warn("end session", "err", err)
		return
	}
	e := proto.SessionEnded{SessionID: id, By: "you", Reason: reason, Status: proto.StatusClosed}
	a.mu.Lock()
	a.ended = &e
	a.mu.Unlock()
	a.cfg.UI.Ended(e)
}

// Signal sends a signalling message to technician peer.
func (a *Agent) Signal(peer int64, kind string, payload []byte) error {
	a.mu.Lock()
	p, id := a.peer, a.sessionID
	a.mu.Unlock()
	if p == nil {
		return transport.ErrClosed
	}
	return p.Send(proto.TypeSignal, &proto.Signal{SessionID: id, Peer: peer, Kind: kind, Payload: payload})
}

// hello opens the protocol on peer as an agent.
func (a *Agent) hello(ctx context.Context, peer *transport.Peer) error {
	return peer.Call(ctx, proto.TypeHello, &proto.Hello{Version: proto.Version, Role: proto.RoleAgent, Client: "sos/" + a.cfg.Device.AgentVersion}, proto.TypeWelcome, nil)
}

// relay is the relay's address.
func (a *Agent) relay() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cfg.Relay
}

// SessionID is the current session's ID, or "" before registration.
func (a *Agent) SessionID() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sessionID
}
