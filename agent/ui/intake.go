package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// intakeForm is the SOS Call form: the end user's name and problem, sent
// with the request to the channel's queue. Both are optional here; the
// relay says in a sentence what its form requires, shown above the fields.
type intakeForm struct {
	box     *fyne.Container
	refusal *widget.Label
	name    *widget.Entry
	problem *widget.Entry
	submit  *widget.Button
	answer  chan proto.Intake // the pending question's answer
}

func (f *intakeForm) build(w *Window) {
	f.refusal = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	f.refusal.Wrapping = fyne.TextWrapWord
	f.refusal.Importance = widget.DangerImportance
	f.refusal.Hide()
	f.name = widget.NewEntry()
	f.name.SetPlaceHolder("Your name")
	f.problem = widget.NewMultiLineEntry()
	f.problem.SetPlaceHolder("What is the problem?")
	f.problem.Wrapping = fyne.TextWrapWord
	f.problem.SetMinRowsVisible(4)
	f.submit = widget.NewButtonWithIcon("Submit", theme.MailSendIcon(), func() { f.send(w) })
	f.submit.Importance = widget.HighImportance
	f.box = container.NewVBox(
		f.refusal,
		widget.NewLabel("Your name:"), f.name,
		widget.NewLabel("Describe your problem:"), f.problem,
		container.NewHBox(layout.NewSpacer(), f.submit),
	)
	f.box.Hide()
}

// send answers the form (UI goroutine).
func (f *intakeForm) send(w *Window) {
	in := proto.Intake{Name: strings.TrimSpace(f.name.Text), Problem: strings.TrimSpace(f.problem.Text)}
	if ch := take(w, &f.answer); ch != nil {
		w.hideForm()
		ch <- in
	}
}

func (w *Window) hideForm() {
	w.form.box.Hide()
	w.heading.SetText("Starting…")
	w.status.SetText("Connecting to the support server…")
	w.relayout()
}

// Intake implements session.IntakeUI: it shows the form, with the relay's
// sentence when it refused the previous answer (kept in the fields), and
// waits for Submit or ctx (the window was closed).
func (w *Window) Intake(ctx context.Context, refusal string, last proto.Intake) (proto.Intake, bool) {
	ch := make(chan proto.Intake, 1)
	ask(w, "intake", &w.form.answer, ch, func() {
		w.heading.SetText("Ask for support")
		w.status.SetText("Tell us who you are and what the problem is, then click Submit. A technician will see it in the queue.")
		w.form.refusal.SetText(refusal)
		if refusal == "" {
			w.form.refusal.Hide()
		} else {
			w.form.refusal.Show()
		}
		w.form.name.SetText(last.Name)
		w.form.problem.SetText(last.Problem)
		w.form.box.Show()
		w.relayout()
		w.win.Canvas().Focus(w.form.name)
	})
	select {
	case in := <-ch:
		return in, true
	case <-ctx.Done():
		withdraw(w, &w.form.answer, ch, w.hideForm)
		return proto.Intake{}, false
	}
}
