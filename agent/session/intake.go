package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// IntakeUI is what a UI adds for SOS Call: the form the end user fills in
// before the request enters the channel's queue. The app learns the
// channel's form from the relay first (CallForm): the UI asks only the
// fields the form does not switch off, insists on the required ones and
// offers category and priority from the relay's lists. The relay still
// decides, and refuses with a sentence what its form requires (see
// pkg/proto's doc).
type IntakeUI interface {
	// Intake asks the fields of form (FieldAsked) and blocks until the end
	// user submitted or ctx ended. refusal is the relay's sentence about
	// the previous answer ("" the first time), last that answer. ok is
	// false when the end user gave up (or ctx ended).
	Intake(ctx context.Context, form proto.CallFormInfo, refusal string, last proto.Intake) (in proto.Intake, ok bool)
}

// ErrNoIntake means the end user left the SOS Call form without sending it.
var ErrNoIntake = errors.New("session: the SOS Call form was not filled in")

// FallbackForm is what the app asks when the relay cannot say the
// channel's form (a relay that predates CallForm): a name and a problem,
// both optional, no lists.
var FallbackForm = proto.CallFormInfo{Form: proto.IntakeForm{Name: proto.FieldOptional, Problem: proto.FieldOptional}}

// Field is one field of the SOS Call form as a UI asks it.
type Field struct {
	Key      string          // "name", "problem", "category" or "priority"
	Label    string          // "Your name", "Category"
	Mode     proto.FieldMode // optional or required
	Choices  []string        // category and priority: the relay's list; nil: free text
	Required string          // the sentence when a required field was left empty
	// Value points at the field in an Intake.
	Value func(in *proto.Intake) *string
}

// FormFields lists the fields of form a UI asks, in order: name,
// problem, category, priority. A field that is off is left out, and so
// is a choice without a list to choose from (the relay would refuse any
// value).
func FormFields(form proto.CallFormInfo) []Field {
	all := []Field{
		{"name", "Your name", form.Form.Name, nil, "Please enter your name; it is required.", func(in *proto.Intake) *string { return &in.Name }},
		{"problem", "Describe your problem", form.Form.Problem, nil, "Please describe your problem; it is required.", func(in *proto.Intake) *string { return &in.Problem }},
		{"category", "Category", form.Form.Category, form.Categories, "Please choose a category; it is required.", func(in *proto.Intake) *string { return &in.Category }},
		{"priority", "Priority", form.Form.Priority, form.Priorities, "Please choose a priority; it is required.", func(in *proto.Intake) *string { return &in.Priority }},
	}
	var out []Field
	for i, f := range all {
		if !f.Mode.Asked() || (i >= 2 && len(f.Choices) == 0) {
			continue
		}
		out = append(out, f)
	}
	return out
}

// QueuedSentence tells the end user their SOS Call request waits in the
// queue of channel.
func QueuedSentence(channel string) string {
	return fmt.Sprintf("Your request is in the queue of %s. A technician will be with you shortly.", channel)
}

// needIntake reports whether the SOS Call form must be asked before the
// next registration: the first time, and after the relay refused it.
func (a *Agent) needIntake(refused error) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, asks := a.cfg.UI.(IntakeUI)
	return asks && a.cfg.ChannelToken != "" && a.resumeKey == "" && (refused != nil || !a.intakeAsked)
}

// callForm asks the relay, on a connection of its own, what the channel's
// form asks: the end user may take longer to fill it in than the relay
// waits for a registration. An error is one to handle like a failed
// registration: the relay could not be reached (or refused Hello), the
// page is unknown (ErrLinkUnknown), too many registrations came from this
// network (ErrThrottled), or ctx ended. Any other failure of the request
// itself (a relay that predates CallForm closes the connection) gives
// FallbackForm.
func (a *Agent) callForm(ctx context.Context) (proto.CallFormInfo, error) {
	a.mu.Lock()
	relay, fp, tok := a.cfg.Relay, a.cfg.Fingerprint, a.cfg.ChannelToken
	a.mu.Unlock()
	dctx, cancel := context.WithTimeout(ctx, a.cfg.DialTimeout)
	peer, done, err := a.connectOnce(dctx, relay, fp)
	cancel()
	if err != nil {
		return proto.CallFormInfo{}, err
	}
	defer done()
	rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	var info proto.CallFormInfo
	err = peer.Call(rctx, proto.TypeCallForm, &proto.CallForm{ChannelToken: tok}, proto.TypeCallFormInfo, &info)
	var f *proto.Failure
	switch {
	case err == nil:
		return info, nil
	case ctx.Err() != nil:
		return proto.CallFormInfo{}, ctx.Err()
	case errors.As(err, &f) && (f.Code == proto.ErrLinkUnknown || f.Code == proto.ErrThrottled):
		return proto.CallFormInfo{}, err
	}
	a.log.Info("the relay did not say the channel's form; asking name and problem", "err", err)
	return FallbackForm, nil
}

// askIntake asks the SOS Call form of form: the first time (refused nil)
// and after the relay refused it. A form that asks nothing is not shown
// the first time (the request goes with an empty form); a refusal of such
// a form ends the call with the relay's sentence, since asking again
// could not change the answer.
func (a *Agent) askIntake(ctx context.Context, form proto.CallFormInfo, refused error) error {
	ui := a.cfg.UI.(IntakeUI)
	a.mu.Lock()
	a.intakeAsked = true
	last := a.intake
	a.mu.Unlock()
	if len(FormFields(form)) == 0 {
		if refused != nil {
			return refused
		}
		a.mu.Lock()
		a.intake = proto.Intake{}
		a.mu.Unlock()
		return nil
	}
	refusal := ""
	if refused != nil {
		refusal = a.Explain(refused)
	}
	in, ok := ui.Intake(ctx, form, refusal, last)
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
