package session

import (
	"context"
	"errors"
	"fmt"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// IntakeUI is what a UI adds for SOS Call: the form the end user fills in
// before the request enters the channel's queue. The app does not know the
// channel's form: it asks for a name and the problem, both optional here,
// and the relay refuses with a sentence what its form requires (see
// pkg/proto's doc).
type IntakeUI interface {
	// Intake asks for the end user's name and problem and blocks until
	// they submitted or ctx ended. refusal is the relay's sentence about
	// the previous answer ("" the first time), last that answer. ok is
	// false when the end user gave up (or ctx ended).
	Intake(ctx context.Context, refusal string, last proto.Intake) (in proto.Intake, ok bool)
}

// ErrNoIntake means the end user left the SOS Call form without sending it.
var ErrNoIntake = errors.New("session: the SOS Call form was not filled in")

// QueuedSentence tells the end user their SOS Call request waits in the
// queue of channel.
func QueuedSentence(channel string) string {
	return fmt.Sprintf("Your request is in the queue of %s. A technician will be with you shortly.", channel)
}

// askIntake asks for the SOS Call form before the request registers: the
// first time (refusal "") and after the relay refused it. A UI without
// IntakeUI sends an empty form.
func (a *Agent) askIntake(ctx context.Context, refusal string) error {
	a.mu.Lock()
	need := a.cfg.ChannelToken != "" && a.resumeKey == "" && (refusal != "" || !a.intakeAsked)
	last := a.intake
	if need {
		a.intakeAsked = true
	}
	a.mu.Unlock()
	ui, ok := a.cfg.UI.(IntakeUI)
	if !need || !ok {
		return nil
	}
	in, ok := ui.Intake(ctx, refusal, last)
	if !ok {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return ErrNoIntake
	}
	a.mu.Lock()
	a.intake = in
	a.mu.Unlock()
	return nil
}

// formRefused reports whether err is the relay refusing the SOS Call form,
// which the end user can fix.
func (a *Agent) formRefused(err error) bool {
	a.mu.Lock()
	call := a.cfg.ChannelToken != "" && a.resumeKey == ""
	a.mu.Unlock()
	_, asks := a.cfg.UI.(IntakeUI)
	return call && asks && proto.CodeOf(err) == proto.ErrBadRequest
}
