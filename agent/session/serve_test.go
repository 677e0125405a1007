package session

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/download"
)

// scriptPrompter answers Serve's questions and records them.
type scriptPrompter struct {
	mu       sync.Mutex
	lines    []string // answers to AskConnection; none left: give up
	asked    []string
	problems []string
	hosts    []string // ConfirmRelay questions
	confirm  bool
}

func (p *scriptPrompter) AskConnection(_ context.Context, problem string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asked = append(p.asked, problem)
	if len(p.lines) == 0 {
		return "", false
	}
	l := p.lines[0]
	p.lines = p.lines[1:]
	return l, true
}

func (p *scriptPrompter) ConfirmRelay(_ context.Context, host string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hosts = append(p.hosts, host)
	return p.confirm
}

func (p *scriptPrompter) Problem(_ context.Context, text string, _ bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.problems = append(p.problems, text)
	return false
}

// TestReleaseBuildRefusesOtherRelays sets the build-time pin as a release
// build does: details in the file name (or flags) that point elsewhere are
// refused with a sentence before any connection; a pasted line that points
// elsewhere is refused and asked again.
func TestReleaseBuildRefusesOtherRelays(t *testing.T) {
	r := startFakeRelay(t) // the relay this build is for
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	pin := download.ParsePin("127.0.0.1", r.fp)
	evilKey := "sha256:" + strings.Repeat("ee", 32)

	// A renamed download that points at another relay: no question, no connection.
	ag := New(Config{Relay: "evil.example:443", Fingerprint: evilKey, Pin: pin, UI: &grantUI{}, Logger: log})
	p := &scriptPrompter{confirm: true}
	err := ag.Serve(context.Background(), p)
	if !errors.Is(err, download.ErrOtherRelay) || len(p.problems) != 1 || !strings.Contains(p.problems[0], "only connects to the support server 127.0.0.1") || len(p.hosts) != 0 {
		t.Fatalf("err %v, problems %q, confirmations %q", err, p.problems, p.hosts)
	}
	if !strings.Contains(ag.Explain(err), "point at evil.example") {
		t.Fatalf("explained as %q", ag.Explain(err))
	}
	// The right host with another key is refused too.
	ag = New(Config{Relay: r.addr, Fingerprint: evilKey, Pin: pin, UI: &grantUI{}, Logger: log})
	if err := ag.Serve(context.Background(), &scriptPrompter{}); !errors.Is(err, download.ErrOtherRelay) {
		t.Fatalf("other key: %v", err)
	}

	// A pasted line for another relay is refused, and the end user asked again.
	ag = New(Config{Pin: pin, UI: &grantUI{}, Logger: log})
	p = &scriptPrompter{lines: []string{"https://evil.example:443/sos#" + evilKey}}
	err = ag.Serve(context.Background(), p)
	if !errors.Is(err, ErrNoTarget) || len(p.asked) != 2 || !strings.Contains(p.asked[1], "point at evil.example") {
		t.Fatalf("err %v, asked %q", err, p.asked)
	}
}

// TestDevBuildAsksOnceBeforeConnecting: without a pin the app names the
// relay and connects only after the end user confirmed it, once; a relay
// given on the command line counts as confirmed.
func TestDevBuildAsksOnceBeforeConnecting(t *testing.T) {
	r := startFakeRelay(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ag := New(Config{Relay: r.addr, Fingerprint: r.fp, UI: &grantUI{}, Logger: log})
	p := &scriptPrompter{confirm: false}
	if err := ag.Serve(context.Background(), p); !errors.Is(err, ErrNotConfirmed) || len(p.hosts) != 1 || p.hosts[0] != "127.0.0.1" {
		t.Fatalf("declined: err %v, asked %q", err, p.hosts)
	}
	select {
	case <-r.conns:
		t.Fatal("the app connected although the end user declined")
	default:
	}
	if !strings.Contains(ag.Explain(ErrNotConfirmed), "chose not to connect to the support server 127.0.0.1") {
		t.Fatalf("explained as %q", ag.Explain(ErrNotConfirmed))
	}
	for _, tc := range []struct {
		confirmed bool
		asks      int
	}{{false, 1}, {true, 0}} {
		ag := New(Config{Relay: r.addr, Fingerprint: r.fp, Confirmed: tc.confirmed, UI: &grantUI{}, Logger: log})
		p := &scriptPrompter{confirm: true}
		for range 2 { // asked once, not on the second check
			if err := ag.CheckRelay(context.Background(), p.ConfirmRelay); err != nil {
				t.Fatal(err)
			}
		}
		if len(p.hosts) != tc.asks {
			t.Fatalf("command line %v: asked %d times, want %d", tc.confirmed, len(p.hosts), tc.asks)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		done := make(chan error, 1)
		go func() { done <- ag.Serve(ctx, p) }()
		next(t, ctx, r.conns) // it connects
		cancel()
		<-done
	}
}
