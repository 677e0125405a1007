package session

import (
	"context"
	"errors"
	"fmt"

	"github.com/relaydesk/relaydesk/pkg/download"
	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/transport"
)

// ErrNoTarget means the app has no connection details and the end user
// gave none.
var ErrNoTarget = errors.New("session: no connection details")

// Prompter is what Serve asks the end user before the session starts.
// Both calls block until the end user answered or ctx ended.
type Prompter interface {
	// AskConnection asks for the connection line the download page shows;
	// problem says why in a sentence. ok is false when the end user gave up.
	AskConnection(ctx context.Context, problem string) (line string, ok bool)
	// ConfirmRelay shows the support server's host and asks whether to
	// connect to it (dev builds, once); false: the end user declined.
	ConfirmRelay(ctx context.Context, host string) bool
	// Problem shows why the session could not start (or go on). With retry
	// the end user may try again: it returns true when they asked to.
	Problem(ctx context.Context, text string, retry bool) bool
}

// Sentences Serve shows when it asks for the connection details.
const (
	AskNoDetails  = "This app does not know which support server to use (the browser probably renamed the download). Copy the connection details from the download page into the field below."
	askBadLine    = "This is not the line from the download page. It starts with https:// and ends with #sha256: followed by 64 characters."
	askNoKey      = "This is the support link, but the line on the download page also has the server's key after a # sign. Copy the whole line."
	askCheckAgain = "Check the connection details: copy them again from the download page."
)

// Serve runs the session like Run, and helps the end user through what
// stops it before it starts: without connection details (or when they
// proved wrong) it asks for the line the download page shows, and when the
// relay cannot be reached it offers to retry. It returns nil when the
// session ended, ctx's error when the end user quit, else the error they
// gave up on (ErrNoTarget when they gave no details).
func (a *Agent) Serve(ctx context.Context, p Prompter) error {
	var ask string
	if !a.hasTarget() {
		ask = AskNoDetails
	}
	for {
		if ask != "" {
			line, ok := p.AskConnection(ctx, ask)
			if !ok {
				return errors.Join(ctx.Err(), ErrNoTarget)
			}
			t, err := download.ParseConnection(line)
			switch {
			case errors.Is(err, download.ErrNoFingerprint):
				ask = askNoKey
				continue
			case err != nil:
				ask = askBadLine
				continue
			}
			if err := a.cfg.Pin.Check(t.Addr(), t.Fingerprint); err != nil {
				ask = err.Error()
				continue
			}
			a.SetTarget(t)
			ask = ""
		}
		if err := a.CheckRelay(ctx, p.ConfirmRelay); err != nil {
			if errors.Is(err, download.ErrOtherRelay) {
				p.Problem(ctx, err.Error(), false)
			}
			return err
		}
		err := a.Run(ctx)
		switch {
		case err == nil || ctx.Err() != nil:
			return err
		case wrongDetails(err):
			ask = a.Explain(err) + " " + askCheckAgain
			continue
		}
		retry := !permanent(err)
		if !p.Problem(ctx, a.Explain(err), retry) || !retry {
			return err
		}
	}
}

// wrongDetails reports whether err means the connection details are wrong
// (not merely stale): the end user may have mistyped or mis-copied them.
func wrongDetails(err error) bool {
	return errors.Is(err, transport.ErrFingerprintMismatch) || errors.Is(err, transport.ErrBadFingerprint) ||
		proto.CodeOf(err) == proto.ErrLinkUnknown
}

// Explain is err as a sentence for the end user.
func (a *Agent) Explain(err error) string {
	relay := a.relay()
	var f *proto.Failure
	switch {
	case errors.As(err, &f):
		return f.Message
	case errors.Is(err, transport.ErrFingerprintMismatch):
		return fmt.Sprintf("The support server at %s could not prove it is the right one (its key differs from the connection details), so the app did not connect.", relay)
	case errors.Is(err, transport.ErrClosed):
		return "The app is not connected to the support server right now; it is reconnecting."
	case errors.Is(err, download.ErrOtherRelay):
		return err.Error()
	case errors.Is(err, ErrNotConfirmed):
		return fmt.Sprintf("You chose not to connect to the support server %s.", a.relayHost())
	case errors.Is(err, ErrNoIntake):
		return "You did not fill in the form, so your request was not sent."
	case errors.Is(err, ErrGaveUp):
		return fmt.Sprintf("The support server at %s cannot be reached. Check that this computer is connected to the internet, then try again.", relay)
	}
	return transport.Describe(err, relay)
}

// ErrNotConfirmed means the end user declined to connect to the relay shown.
var ErrNotConfirmed = errors.New("session: the end user did not confirm the support server")

// CheckRelay checks the relay before the app connects to it. A release
// build refuses a relay or key it was not built for (an error wrapping
// download.ErrOtherRelay that reads as a sentence). A dev build shows the
// relay's host and asks the end user with confirm, once per relay, unless
// they gave the relay on the command line (ErrNotConfirmed if they decline).
func (a *Agent) CheckRelay(ctx context.Context, confirm func(ctx context.Context, host string) bool) error {
	a.mu.Lock()
	relay, fp, pin, done := a.cfg.Relay, a.cfg.Fingerprint, a.cfg.Pin, a.cfg.Confirmed || a.confirmed == a.cfg.Relay
	a.mu.Unlock()
	if pin.Release() {
		return pin.Check(relay, fp)
	}
	if done {
		return nil
	}
	if !confirm(ctx, a.relayHost()) {
		return ErrNotConfirmed
	}
	a.mu.Lock()
	a.confirmed = relay
	a.mu.Unlock()
	return nil
}

// SetTarget points the agent at another relay, link or SOS Call page, for
// a session not started yet (the connection details the end user gave).
func (a *Agent) SetTarget(t download.Target) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.cfg.Relay, a.cfg.Fingerprint, a.cfg.LinkToken, a.cfg.ChannelToken = t.Addr(), t.Fingerprint, t.Token, t.Channel
	a.sessionID, a.resumeKey, a.ended, a.channel = "", "", nil, ""
	clear(a.granted) // another session: earlier grants do not carry over
	clear(a.guests)
	a.controller = 0
}

func (a *Agent) hasTarget() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cfg.Relay != "" && a.cfg.Fingerprint != ""
}
