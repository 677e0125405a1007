package ui

import (
	"context"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/agent/session"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// noChoice is the entry of an optional choice that chooses nothing.
const noChoice = "(none)"

// intakeForm is the SOS Call form: the fields the channel's form asks
// (name and problem as entries, category and priority as choices from the
// relay's lists), sent with the request to the channel's queue. Required
// fields are marked and Submit insists on them; the relay still decides,
// and its sentence, when it refused, is shown above the fields.
type intakeForm struct {
	box      *fyne.Container
	refusal  *widget.Label
	name     *widget.Entry
	problem  *widget.Entry
	category *widget.Select
	priority *widget.Select
	// labels and rows hold each field's label and row, in the order of
	// session.FormFields (name, problem, category, priority).
	labels [4]*widget.Label
	rows   [4]*fyne.Container
	fields []session.Field // what the pending question asks
	submit *widget.Button
	answer chan proto.Intake // the pending question's answer
}

// fieldKeys and fieldLabels name the four fields in the order of
// session.FormFields.
var (
	fieldKeys   = [4]string{"name", "problem", "category", "priority"}
	fieldLabels = [4]string{"Your name", "Describe your problem", "Category", "Priority"}
)

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
	f.category = widget.NewSelect(nil, nil)
	f.priority = widget.NewSelect(nil, nil)
	inputs := [4]fyne.CanvasObject{f.name, f.problem, f.category, f.priority}
	f.submit = widget.NewButtonWithIcon("Submit", theme.MailSendIcon(), func() { f.send(w) })
	f.submit.Importance = widget.HighImportance
	f.box = container.NewVBox(f.refusal)
	for i := range inputs {
		f.labels[i] = widget.NewLabel(fieldLabels[i] + ":")
		f.rows[i] = container.NewVBox(f.labels[i], inputs[i])
		f.box.Add(f.rows[i])
	}
	f.box.Add(container.NewHBox(layout.NewSpacer(), f.submit))
	f.box.Hide()
}

// value reads field i of the form (UI goroutine).
func (f *intakeForm) value(i int) string {
	switch i {
	case 0:
		return strings.TrimSpace(f.name.Text)
	case 1:
		return strings.TrimSpace(f.problem.Text)
	}
	s := f.category
	if i == 3 {
		s = f.priority
	}
	if s.Selected == noChoice {
		return ""
	}
	return s.Selected
}

// index is the position of field fd among the form's four fields.
func index(fd session.Field) int { return slices.Index(fieldKeys[:], fd.Key) }

// send answers the form (UI goroutine), unless a required field is empty:
// then it says so above the fields.
func (f *intakeForm) send(w *Window) {
	var in proto.Intake
	for _, fd := range f.fields {
		v := f.value(index(fd))
		if v == "" && fd.Mode == proto.FieldRequired {
			f.refusal.SetText(fd.Required)
			f.refusal.Show()
			w.relayout()
			return
		}
		*fd.Value(&in) = v
	}
	if ch := take(w, &f.answer); ch != nil {
		w.hideForm()
		ch <- in
	}
}

// show sets the form up for the fields of form with the values of last
// (UI goroutine).
func (f *intakeForm) show(form proto.CallFormInfo, refusal string, last proto.Intake) {
	f.fields = session.FormFields(form)
	f.refusal.SetText(refusal)
	if refusal == "" {
		f.refusal.Hide()
	} else {
		f.refusal.Show()
	}
	for i := range f.rows {
		f.rows[i].Hide()
	}
	f.name.SetText("")
	f.problem.SetText("")
	for _, fd := range f.fields {
		i := index(fd)
		text := fd.Label + ":"
		if fd.Mode == proto.FieldRequired {
			text = fd.Label + " (required):"
		}
		f.labels[i].SetText(text)
		f.rows[i].Show()
		v := *fd.Value(&last)
		switch i {
		case 0:
			f.name.SetText(v)
		case 1:
			f.problem.SetText(v)
		default:
			s := f.category
			if i == 3 {
				s = f.priority
			}
			opts := slices.Clone(fd.Choices)
			if fd.Mode != proto.FieldRequired {
				opts = append([]string{noChoice}, opts...)
			}
			s.SetOptions(opts)
			s.PlaceHolder = "(choose)"
			if slices.Contains(fd.Choices, v) {
				s.SetSelected(v)
			} else {
				s.ClearSelected()
			}
		}
	}
	f.box.Show()
}

func (w *Window) hideForm() {
	w.form.box.Hide()
	w.heading.SetText("Starting…")
	w.status.SetText("Connecting to the support server…")
	w.relayout()
}

// Intake implements session.IntakeUI: it shows the fields the channel's
// form asks, with the relay's sentence when it refused the previous
// answer (kept in the fields), and waits for Submit or ctx (the window
// was closed).
func (w *Window) Intake(ctx context.Context, form proto.CallFormInfo, refusal string, last proto.Intake) (proto.Intake, bool) {
	ch := make(chan proto.Intake, 1)
	ask(w, "intake", &w.form.answer, ch, func() {
		w.heading.SetText("Ask for support")
		if form.Channel != "" {
			w.heading.SetText("Ask " + form.Channel + " for support")
		}
		w.status.SetText("Fill in the form, then click Submit. A technician will see your request in the queue.")
		w.form.show(form, refusal, last)
		w.relayout()
		if len(w.form.fields) > 0 && index(w.form.fields[0]) == 0 {
			w.win.Canvas().Focus(w.form.name)
		}
	})
	select {
	case in := <-ch:
		return in, true
	case <-ctx.Done():
		withdraw(w, &w.form.answer, ch, w.hideForm)
		return proto.Intake{}, false
	}
}

var _ session.IntakeUI = (*Window)(nil)
