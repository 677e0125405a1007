package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/relaydesk/relaydesk/console/client"
	"github.com/relaydesk/relaydesk/console/remote"
	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/rtc"
	"github.com/relaydesk/relaydesk/pkg/transport"
)

// Live is the Backend on a real relay: console/client for the control
// plane, console/remote for the screen. Call Wait after the UI stopped.
type Live struct {
	// TurnOnly and TurnTCP restrict the media path (troubleshooting).
	TurnOnly, TurnTCP bool
	Logger            *slog.Logger
	wg                sync.WaitGroup

	mu   sync.Mutex
	open map[*liveSession]struct{} // sessions whose goroutine runs
}

func (b *Live) log() *slog.Logger {
	if b.Logger == nil {
		return slog.Default()
	}
	return b.Logger
}

// Probe implements Backend.
func (b *Live) Probe(ctx context.Context, relay string) (string, error) {
	return transport.Probe(ctx, relay)
}

// SignIn implements Backend.
func (b *Live) SignIn(ctx context.Context, relay, fingerprint, user, password string) (client.Login, error) {
	c, err := client.Dial(ctx, relay, fingerprint, nil)
	if err != nil {
		return client.Login{}, err
	}
	defer c.Close()
	ok, err := c.Login(ctx, user, password)
	if err != nil {
		return client.Login{}, err
	}
	return client.Login{Relay: relay, Fingerprint: fingerprint, User: ok.User, Role: ok.Role, Token: ok.Token, ExpiresAt: ok.ExpiresAt}, nil
}

// Watch implements Backend: every session the technician may see.
func (b *Live) Watch(ctx context.Context, l client.Login, h client.QueueHandler) error {
	return client.Watch(ctx, l, true, h)
}

// CreateLink implements Backend.
func (b *Live) CreateLink(ctx context.Context, l client.Login, name string, expires time.Duration) (proto.LinkCreated, error) {
	c, err := l.Open(ctx, nil)
	if err != nil {
		return proto.LinkCreated{}, err
	}
	defer c.Close()
	return c.CreateLink(ctx, proto.LinkCreate{CustomerName: name, Expires: expires})
}

// Open implements Backend.
func (b *Live) Open(l client.Login, target proto.Connect, v SessionView) Remote {
	ctx, cancel := context.WithCancel(context.Background())
	s := &liveSession{cancel: cancel, v: v, b: b, done: make(chan struct{})}
	b.mu.Lock()
	if b.open == nil {
		b.open = make(map[*liveSession]struct{})
	}
	b.open[s] = struct{}{}
	b.mu.Unlock()
	s.viewer = remote.NewViewer(s.sess.Signal, v.Frame, b.log())
	s.viewer.OnClipboard(v.RemoteClipboard)
	if d, ok := v.(interface{ DrawState(proto.DrawState) }); ok {
		s.viewer.OnDrawState(d.DrawState) // the end user or the app cleared the drawing
	}
	s.ctx = ctx
	s.files = newLiveFiles(&s.sess, b.log())
	s.viewer.OnFilesChannel(s.files.Attach)
	b.wg.Go(func() {
		err := s.sess.Run(ctx, client.SessionOptions{Login: l, Target: target, Logger: b.log()}, s)
		s.viewer.Close()
		s.files.Close()
		s.wg.Wait()
		if errors.Is(err, context.Canceled) {
			err = nil
		}
		v.Ended(err)
		b.mu.Lock()
		delete(b.open, s)
		b.mu.Unlock()
		close(s.done)
	})
	return s
}

// SignOut implements Backend. It first waits for the sessions that are
// ending (so that their End reaches the relay before the token is gone),
// then asks the relay to revoke the token.
func (b *Live) SignOut(ctx context.Context, l client.Login) error {
	b.mu.Lock()
	var ending []chan struct{}
	for s := range b.open {
		ending = append(ending, s.done)
	}
	b.mu.Unlock()
	for _, done := range ending {
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	c, err := l.Open(ctx, nil)
	if proto.CodeOf(err) == proto.ErrUnauthenticated {
		return nil // the relay no longer takes this token: nothing to revoke
	} else if err != nil {
		return err
	}
	defer c.Close()
	return c.Logout(ctx)
}

// Wait waits for every session's goroutines.
func (b *Live) Wait() { b.wg.Wait() }

// liveSession is one attached session: it implements Remote for the tab and
// client.Handler for the session.
type liveSession struct {
	b      *Live
	v      SessionView
	sess   client.Session
	viewer *remote.Viewer
	cancel context.CancelFunc
	ctx    context.Context // ends with the session
	files  *liveFiles      // livefiles.go
	wg     sync.WaitGroup  // signalling work and chat sends
	done   chan struct{}   // closed when the session's goroutine ended

	mu     sync.Mutex
	peerID int64 // ours, to recognise our own chat messages
}

func (s *liveSession) Stage(text string) { s.v.Stage(text) }

func (s *liveSession) Connected(c proto.Connected) {
	s.setICE(c.ICE)
	s.mu.Lock()
	s.peerID = c.PeerID
	s.mu.Unlock()
	s.v.Connected(c)
}

// setICE gives the viewer the session's newest TURN credentials.
func (s *liveSession) setICE(ice []proto.ICEServer) {
	if s.b.TurnTCP {
		ice = rtc.OnlyTransport(ice, "tcp")
	}
	s.viewer.SetICE(ice, s.b.TurnOnly)
}

func (s *liveSession) Event(env proto.Envelope) {
	if ice, ok := client.RenewedICE(env); ok {
		s.setICE(ice)
	}
	switch env.Type {
	case proto.TypeSignal:
		var sig proto.Signal
		if env.Decode(&sig) == nil {
			// Answering waits for ICE gathering: not on the reading goroutine.
			s.wg.Go(func() {
				if err := s.viewer.HandleSignal(sig); err != nil {
					s.b.log().Warn("signalling", "err", err)
				}
			})
		}
	case proto.TypeChat:
		var m proto.Chat
		if env.Decode(&m) == nil {
			s.mu.Lock()
			me := s.peerID
			s.mu.Unlock()
			s.v.Chat(ChatLine{From: m.From, Mine: m.FromPeer != 0 && m.FromPeer == me, Text: m.Text, At: m.At})
		}
	case proto.TypeControlChanged:
		var cc proto.ControlChanged
		if env.Decode(&cc) == nil {
			s.v.ControlChanged(cc)
		}
	case proto.TypePeerState:
		var ps proto.PeerState
		if env.Decode(&ps) == nil && ps.Peer.ID == 0 {
			s.v.AgentOnline(ps.Online)
		}
	case proto.TypeFileOffer:
		var o proto.FileOffer
		if env.Decode(&o) == nil {
			s.files.offered(o)
		}
	case proto.TypeRecordState: // record.go
		if st, ok := client.RecordStateOf(env); ok {
			if rv, ok := s.v.(RecordView); ok {
				rv.Recording(st)
			}
		}
	}
}

func (s *liveSession) SendInput(in proto.Input) error { return s.viewer.SendInput(in) }

func (s *liveSession) SendClipboard(text string) error { return s.viewer.SendClipboard(text) }

func (s *liveSession) ShowDisplay(n int) error {
	return s.sess.Signal(rtc.KindDisplay, []byte(strconv.Itoa(n)))
}

func (s *liveSession) SetViewOnly(viewOnly bool) error {
	mode := "control"
	if viewOnly {
		mode = "view"
	}
	return s.sess.Signal(rtc.KindControl, []byte(mode))
}

// Chat sends a message; the relay echoes it to everyone in the session
// (us included), which is when it appears in the chat. A failure is
// reported as a stage.
func (s *liveSession) Chat(text string) error {
	if len(text) > proto.MaxChat {
		return fmt.Errorf("the message is too long (%d bytes; at most %d)", len(text), proto.MaxChat)
	}
	s.wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.sess.Chat(ctx, text); err != nil {
			s.v.Stage("The message was not sent: " + sentence(err))
		}
	})
	return nil
}

func (s *liveSession) Sample() remote.Report { return s.viewer.Sample() }

func (s *liveSession) End() { s.cancel() }
