package session

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/transport"
	"github.com/relaydesk/relaydesk/pkg/transport/transporttest"
)

// formRelay is a scripted relay for SOS Call: it refuses a request without
// a problem the way the relay does for a channel whose form requires one,
// and records every registration.
type formRelay struct {
	addr, fp string
	regs     chan proto.AgentRegister
}

func startFormRelay(t *testing.T) *formRelay {
	t.Helper()
	lb := transporttest.Listen(t)
	r := &formRelay{addr: lb.Conn.LocalAddr().String(), fp: lb.Fingerprint, regs: make(chan proto.AgentRegister, 16)}
	var wg sync.WaitGroup
	t.Cleanup(func() { lb.Listener.Close(); lb.Conn.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			conn, err := lb.Listener.Accept(context.Background())
			if err != nil {
				return
			}
			wg.Go(func() {
				st, err := conn.AcceptStream(context.Background())
				if err != nil {
					return
				}
				p := transport.PeerOn(conn, st)
				p.Run(context.Background(), func(env proto.Envelope) { r.handle(p, env) })
			})
		}
	})
	return r
}

func (r *formRelay) handle(p *transport.Peer, env proto.Envelope) {
	switch env.Type {
	case proto.TypeHello:
		p.Reply(env.ID, proto.TypeWelcome, &proto.Welcome{Version: proto.Version})
	case proto.TypeAgentRegister:
		var req proto.AgentRegister
		env.Decode(&req)
		r.regs <- req
		switch {
		case req.ResumeKey != "":
			p.Reply(env.ID, proto.TypeAgentRegistered, &proto.AgentRegistered{SessionID: "s1", Status: proto.StatusReady, Resumed: true})
		case req.LinkToken != "":
			p.Reply(env.ID, proto.TypeAgentRegistered, &proto.AgentRegistered{SessionID: "s1", ResumeKey: "rk", Status: proto.StatusWaiting, Technician: "Tina"})
		case req.ChannelToken != "call-token":
			p.ReplyError(env.ID, proto.Errorf(proto.ErrLinkUnknown, "This support page is not available any more."))
		case req.Intake == nil || strings.TrimSpace(req.Intake.Problem) == "":
			p.ReplyError(env.ID, proto.Errorf(proto.ErrBadRequest, "Please describe your problem."))
		default:
			p.Reply(env.ID, proto.TypeAgentRegistered, &proto.AgentRegistered{SessionID: "s1", ResumeKey: "rk", Status: proto.StatusReady, Channel: "Service Desk"})
		}
	case proto.TypeEnd:
		p.Reply(env.ID, proto.TypeOK, &proto.OK{})
	}
}

// formUI fills in the form with scripted answers (none left: gives up)
// and records what it was shown.
type formUI struct {
	mu       sync.Mutex
	answers  []proto.Intake
	refusals []string
	lasts    []proto.Intake
	status   []string
	waiting  []string
	statusCh chan string
}

func (u *formUI) Intake(_ context.Context, refusal string, last proto.Intake) (proto.Intake, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.refusals = append(u.refusals, refusal)
	u.lasts = append(u.lasts, last)
	if len(u.answers) == 0 {
		return proto.Intake{}, false
	}
	in := u.answers[0]
	u.answers = u.answers[1:]
	return in, true
}
func (u *formUI) Status(s string) {
	u.mu.Lock()
	u.status = append(u.status, s)
	u.mu.Unlock()
	select {
	case u.statusCh <- s:
	default:
	}
}
func (u *formUI) Waiting(tech string) {
	u.mu.Lock()
	u.waiting = append(u.waiting, tech)
	u.mu.Unlock()
}
func (*formUI) Code(string, time.Time) {}
func (*formUI) Consent(context.Context, proto.ConsentRequest, string) proto.Grant {
	return nil
}
func (*formUI) Joined(proto.Peer)        {}
func (*formUI) Left(proto.Peer, string)  {}
func (*formUI) Ended(proto.SessionEnded) {}
func (*formUI) Chat(proto.Chat)          {}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// waitStatus waits until the UI showed want.
func (u *formUI) waitStatus(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		u.mu.Lock()
		seen := slices.Contains(u.status, want)
		u.mu.Unlock()
		if seen {
			return
		}
		select {
		case <-u.statusCh:
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			t.Fatalf("status %q never shown: %q", want, u.status)
		}
	}
}

// TestCallFormAskedAgainOnRefusal: the app asks the form before it
// registers, sends it with the channel token and the language, shows the
// relay's sentence when the form does not fit and asks again (starting
// from what was entered), and then says the request is in the queue.
func TestCallFormAskedAgainOnRefusal(t *testing.T) {
	r := startFormRelay(t)
	ui := &formUI{statusCh: make(chan string, 16), answers: []proto.Intake{{Name: "Ann"}, {Name: "Ann", Problem: "The printer jams."}}}
	a := New(Config{Relay: r.addr, Fingerprint: r.fp, ChannelToken: "call-token", Language: "de-CH", Confirmed: true, UI: ui, Logger: quiet()})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	ui.waitStatus(t, "Your request is in the queue of Service Desk. A technician will be with you shortly.")
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v", err)
	}
	first, second := <-r.regs, <-r.regs
	for i, req := range []proto.AgentRegister{first, second} {
		if req.ChannelToken != "call-token" || req.LinkToken != "" || req.Language != "de-CH" || req.Intake == nil || req.Intake.Name != "Ann" {
			t.Fatalf("registration %d: %+v", i, req)
		}
	}
	if second.Intake.Problem != "The printer jams." {
		t.Fatalf("second registration's problem %q", second.Intake.Problem)
	}
	ui.mu.Lock()
	defer ui.mu.Unlock()
	if !slices.Equal(ui.refusals, []string{"", "Please describe your problem."}) || ui.lasts[1] != (proto.Intake{Name: "Ann"}) {
		t.Fatalf("asked with %q, last answers %+v", ui.refusals, ui.lasts)
	}
	if !slices.Contains(ui.waiting, "a technician") {
		t.Fatalf("waiting for %q", ui.waiting)
	}
}

// TestCallFormLeft: an end user who leaves the form sends nothing more.
func TestCallFormLeft(t *testing.T) {
	r := startFormRelay(t)
	ui := &formUI{statusCh: make(chan string, 16), answers: []proto.Intake{{Name: "Ann"}}}
	a := New(Config{Relay: r.addr, Fingerprint: r.fp, ChannelToken: "call-token", Confirmed: true, UI: ui, Logger: quiet()})
	err := a.Run(context.Background())
	if !errors.Is(err, ErrNoIntake) || !permanent(err) || a.Explain(err) != "You did not fill in the form, so your request was not sent." {
		t.Fatalf("Run: %v", err)
	}
	if n := len(r.regs); n != 1 {
		t.Fatalf("%d registrations", n)
	}
	// Never asked at all: nothing is sent.
	ui = &formUI{statusCh: make(chan string, 16)}
	a = New(Config{Relay: r.addr, Fingerprint: r.fp, ChannelToken: "call-token", Confirmed: true, UI: ui, Logger: quiet()})
	if err := a.Run(context.Background()); !errors.Is(err, ErrNoIntake) || len(r.regs) != 1 {
		t.Fatalf("Run: %v, %d registrations", err, len(r.regs))
	}
}

// TestLinkSendsLanguageAndAsksNoForm: a support link registers with the
// language and without a form.
func TestLinkSendsLanguageAndAsksNoForm(t *testing.T) {
	r := startFormRelay(t)
	ui := &formUI{statusCh: make(chan string, 16)}
	a := New(Config{Relay: r.addr, Fingerprint: r.fp, LinkToken: "link-token", Language: "nl-NL", Confirmed: true, UI: ui, Logger: quiet()})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	ui.waitStatus(t, "Connected. Waiting for the technician.")
	cancel()
	<-done
	req := <-r.regs
	if req.LinkToken != "link-token" || req.Language != "nl-NL" || req.ChannelToken != "" || req.Intake != nil {
		t.Fatalf("registration %+v", req)
	}
	ui.mu.Lock()
	defer ui.mu.Unlock()
	if len(ui.refusals) != 0 {
		t.Fatal("a link asked for the SOS Call form")
	}
}
