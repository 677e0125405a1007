package session

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"reflect"
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
// It answers CallForm with form, or (form nil) closes the connection as a
// relay that predates CallForm does.
type formRelay struct {
	addr, fp string
	form     *proto.CallFormInfo
	regs     chan proto.AgentRegister
	calls    chan string // CallForm's tokens
}

// defaultForm is the scripted relay's form: name and problem optional.
var defaultForm = proto.CallFormInfo{Channel: "Service Desk", Form: proto.IntakeForm{Name: proto.FieldOptional, Problem: proto.FieldOptional,
	Category: proto.FieldOff, Priority: proto.FieldOff}, Categories: proto.DefaultCategories, Priorities: proto.DefaultPriorities}

func startFormRelay(t *testing.T) *formRelay { t.Helper(); return startFormRelayWith(t, &defaultForm) }

func startFormRelayWith(t *testing.T, form *proto.CallFormInfo) *formRelay {
	t.Helper()
	r := &formRelay{form: form, regs: make(chan proto.AgentRegister, 16), calls: make(chan string, 16)}
	lb := transporttest.Serve(t, r.handle)
	r.addr, r.fp = lb.Addr, lb.Fingerprint
	return r
}

func (r *formRelay) handle(p *transport.Peer, env proto.Envelope) {
	switch env.Type {
	case proto.TypeHello:
		p.Reply(env.ID, proto.TypeWelcome, &proto.Welcome{Version: proto.Version})
	case proto.TypeCallForm:
		var req proto.CallForm
		env.Decode(&req)
		r.calls <- req.ChannelToken
		switch {
		case r.form == nil:
			p.CloseWith(proto.Errorf(proto.ErrProtocol, "message type %d is not for agents", env.Type))
		case req.ChannelToken != "call-token":
			p.ReplyError(env.ID, proto.Errorf(proto.ErrLinkUnknown, "This support page is not available any more."))
		default:
			p.Reply(env.ID, proto.TypeCallFormInfo, r.form)
		}
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
		case req.Intake == nil || (strings.TrimSpace(req.Intake.Problem) == "" && r.form != nil && r.form.Form.Problem != proto.FieldOff):
			p.ReplyError(env.ID, proto.Errorf(proto.ErrBadRequest, "Please describe your problem."))
		case r.form != nil && r.form.Form.Category == proto.FieldRequired && req.Intake.Category == "":
			p.ReplyError(env.ID, proto.Errorf(proto.ErrBadRequest, "Please choose a category."))
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
	forms    []proto.CallFormInfo
	answers  []proto.Intake
	refusals []string
	lasts    []proto.Intake
	status   []string
	waiting  []string
	statusCh chan string
}

func (u *formUI) Intake(_ context.Context, form proto.CallFormInfo, refusal string, last proto.Intake) (proto.Intake, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.forms = append(u.forms, form)
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
	// The form is fetched before each time it is asked (it may have changed).
	if len(ui.forms) != 2 || ui.forms[0].Channel != "Service Desk" || ui.forms[1].Form != defaultForm.Form || len(r.calls) != 2 || <-r.calls != "call-token" {
		t.Fatalf("forms %+v, %d CallForms", ui.forms, len(r.calls))
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

// runCall runs an SOS Call against r until the request is queued (or Run
// returned), and returns Run's error and the registrations.
func runCall(t *testing.T, r *formRelay, ui *formUI, tok string) (error, []proto.AgentRegister) {
	t.Helper()
	a := New(Config{Relay: r.addr, Fingerprint: r.fp, ChannelToken: tok, Confirmed: true, UI: ui, Logger: quiet()})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	var err error
	deadline := time.After(10 * time.Second)
wait:
	for {
		ui.mu.Lock()
		queued := slices.Contains(ui.status, QueuedSentence("Service Desk"))
		ui.mu.Unlock()
		if queued {
			cancel()
			err = <-done
			break
		}
		select {
		case err = <-done:
			break wait
		case <-ui.statusCh:
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			ui.mu.Lock()
			seen := slices.Clone(ui.status)
			ui.mu.Unlock()
			t.Fatalf("never queued: %q", seen)
		}
	}
	var regs []proto.AgentRegister
	for len(r.regs) > 0 {
		regs = append(regs, <-r.regs)
	}
	return err, regs
}

// TestCallFormAsksWhatTheChannelAsks: the UI gets the channel's form from
// the relay (a required category, with the lists) and the registration
// carries the category chosen.
func TestCallFormAsksWhatTheChannelAsks(t *testing.T) {
	form := proto.CallFormInfo{Channel: "Service Desk", Form: proto.IntakeForm{Name: proto.FieldOff, Problem: proto.FieldOptional, Category: proto.FieldRequired},
		Categories: []string{"hardware", "network"}, Priorities: []string{"high"}}
	r := startFormRelayWith(t, &form)
	ui := &formUI{statusCh: make(chan string, 64), answers: []proto.Intake{{Problem: "No network.", Category: "network"}}}
	err, regs := runCall(t, r, ui, "call-token")
	if !errors.Is(err, context.Canceled) || len(regs) != 1 || regs[0].Intake == nil || *regs[0].Intake != (proto.Intake{Problem: "No network.", Category: "network"}) {
		t.Fatalf("Run: %v, registrations %+v", err, regs)
	}
	ui.mu.Lock()
	defer ui.mu.Unlock()
	if len(ui.forms) != 1 || !reflect.DeepEqual(ui.forms[0], form) || ui.refusals[0] != "" {
		t.Fatalf("the UI was asked with %+v", ui.forms)
	}
	if len(FormFields(form)) != 2 || FormFields(form)[1].Label != "Category" || FormFields(form)[1].Mode != proto.FieldRequired {
		t.Fatalf("fields %+v", FormFields(form))
	}
}

// TestCallFormOlderRelay: a relay that predates CallForm closes the
// connection as a protocol violation; the app asks a name and a problem,
// as before, and registers on a new connection.
func TestCallFormOlderRelay(t *testing.T) {
	r := startFormRelayWith(t, nil)
	ui := &formUI{statusCh: make(chan string, 64), answers: []proto.Intake{{Name: "Ann", Problem: "The printer jams."}}}
	err, regs := runCall(t, r, ui, "call-token")
	if !errors.Is(err, context.Canceled) || len(regs) != 1 || regs[0].Intake.Problem != "The printer jams." {
		t.Fatalf("Run: %v, registrations %+v", err, regs)
	}
	ui.mu.Lock()
	defer ui.mu.Unlock()
	if len(ui.forms) != 1 || !reflect.DeepEqual(ui.forms[0], FallbackForm) || len(r.calls) != 1 {
		t.Fatalf("the UI was asked with %+v", ui.forms)
	}
}

// TestCallFormUnknownPage: an unknown channel token ends the call with the
// relay's sentence before anything is asked or registered.
func TestCallFormUnknownPage(t *testing.T) {
	r := startFormRelay(t)
	ui := &formUI{statusCh: make(chan string, 64), answers: []proto.Intake{{Name: "Ann"}}}
	err, regs := runCall(t, r, ui, "old-token")
	if proto.CodeOf(err) != proto.ErrLinkUnknown || err.Error() != "This support page is not available any more." || !permanent(err) || len(regs) != 0 {
		t.Fatalf("Run: %v, registrations %+v", err, regs)
	}
	ui.mu.Lock()
	defer ui.mu.Unlock()
	if len(ui.forms) != 0 {
		t.Fatal("the form was asked for an unknown page")
	}
}

// TestCallFormAsksNothing: a channel whose form asks nothing registers at
// once, with an empty form, without showing it.
func TestCallFormAsksNothing(t *testing.T) {
	form := proto.CallFormInfo{Channel: "Service Desk", Form: proto.IntakeForm{Name: proto.FieldOff, Problem: proto.FieldOff, Category: proto.FieldOff, Priority: proto.FieldOff}}
	r := startFormRelayWith(t, &form)
	ui := &formUI{statusCh: make(chan string, 64)}
	err, regs := runCall(t, r, ui, "call-token")
	if !errors.Is(err, context.Canceled) || len(regs) != 1 || regs[0].Intake == nil || *regs[0].Intake != (proto.Intake{}) {
		t.Fatalf("Run: %v, registrations %+v", err, regs)
	}
	ui.mu.Lock()
	defer ui.mu.Unlock()
	if len(ui.forms) != 0 {
		t.Fatal("an empty form was shown")
	}
}
