package ui

import (
	"context"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/relaydesk/relaydesk/agent/session"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// TestIntakeForm: the form sends the name and the problem (several
// lines); after a refusal it shows the relay's sentence and keeps what was
// entered; closing the window gives up.
func TestIntakeForm(t *testing.T) {
	w, _ := newTestWindow(t)
	type answer struct {
		in proto.Intake
		ok bool
	}
	got := make(chan answer, 1)
	go func() {
		in, ok := w.Intake(context.Background(), session.FallbackForm, "", proto.Intake{})
		got <- answer{in, ok}
	}()
	w.waitShown(t, "intake")
	if w.form.box.Hidden || !w.form.refusal.Hidden || w.heading.Text != "Ask for support" || !w.form.rows[2].Hidden || !w.form.rows[3].Hidden {
		t.Fatalf("form hidden %v, refusal shown %v, heading %q", w.form.box.Hidden, !w.form.refusal.Hidden, w.heading.Text)
	}
	test.Type(w.form.name, "Ann")
	test.Tap(w.form.submit)
	select {
	case a := <-got:
		if !a.ok || a.in != (proto.Intake{Name: "Ann"}) {
			t.Fatalf("answer %+v", a)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no answer")
	}
	if !w.form.box.Hidden {
		t.Fatal("form still shown after Submit")
	}
	// Refused: the sentence, the earlier answer kept; a multi-line problem.
	go func() {
		in, ok := w.Intake(context.Background(), session.FallbackForm, "Please describe your problem.", proto.Intake{Name: "Ann"})
		got <- answer{in, ok}
	}()
	w.waitShown(t, "intake")
	if w.form.refusal.Hidden || w.form.refusal.Text != "Please describe your problem." || w.form.name.Text != "Ann" {
		t.Fatalf("refusal %q (hidden %v), name %q", w.form.refusal.Text, w.form.refusal.Hidden, w.form.name.Text)
	}
	w.form.problem.SetText("The printer jams.\nSince Monday.")
	test.Tap(w.form.submit)
	if a := <-got; !a.ok || a.in != (proto.Intake{Name: "Ann", Problem: "The printer jams.\nSince Monday."}) {
		t.Fatalf("second answer %+v", a)
	}
	// Closing the window (ctx ends) gives up and hides the form.
	ctx, cancel := context.WithCancel(context.Background())
	go func() { in, ok := w.Intake(ctx, session.FallbackForm, "", proto.Intake{}); got <- answer{in, ok} }()
	w.waitShown(t, "intake")
	cancel()
	if a := <-got; a.ok {
		t.Fatalf("cancelled form answered %+v", a)
	}
	if !w.form.box.Hidden {
		t.Fatal("form still shown after the window closed")
	}
	// The queue: whom the end user waits for.
	w.Waiting("a technician")
	w.Status(session.QueuedSentence("Service Desk"))
	if w.heading.Text != "Waiting for a technician" || w.status.Text != "Your request is in the queue of Service Desk. A technician will be with you shortly." {
		t.Fatalf("queued: %q / %q", w.heading.Text, w.status.Text)
	}
}

// TestIntakeFormFollowsTheChannel: the window asks only what the
// channel's form asks, marks required fields, offers category and priority
// as choices from the relay's lists (an optional one can be left at none),
// and Submit insists on the required fields.
func TestIntakeFormFollowsTheChannel(t *testing.T) {
	w, _ := newTestWindow(t)
	form := proto.CallFormInfo{Channel: "Service Desk",
		Form:       proto.IntakeForm{Name: proto.FieldRequired, Problem: proto.FieldOff, Category: proto.FieldRequired, Priority: proto.FieldOptional},
		Categories: []string{"hardware", "software", "network"}, Priorities: []string{"high", "low"}}
	got := make(chan proto.Intake, 1)
	go func() {
		in, ok := w.Intake(context.Background(), form, "", proto.Intake{Problem: "not asked"})
		if ok {
			got <- in
		}
	}()
	w.waitShown(t, "intake")
	f := &w.form
	if w.heading.Text != "Ask Service Desk for support" || f.rows[0].Hidden || !f.rows[1].Hidden || f.rows[2].Hidden || f.rows[3].Hidden {
		t.Fatalf("heading %q, rows hidden %v %v %v %v", w.heading.Text, f.rows[0].Hidden, f.rows[1].Hidden, f.rows[2].Hidden, f.rows[3].Hidden)
	}
	if f.labels[0].Text != "Your name (required):" || f.labels[2].Text != "Category (required):" || f.labels[3].Text != "Priority:" {
		t.Fatalf("labels %q %q %q", f.labels[0].Text, f.labels[2].Text, f.labels[3].Text)
	}
	if !slices.Equal(f.category.Options, form.Categories) || !slices.Equal(f.priority.Options, []string{"(none)", "high", "low"}) {
		t.Fatalf("choices %q, %q", f.category.Options, f.priority.Options)
	}
	// Required fields empty: Submit says so and sends nothing.
	test.Tap(f.submit)
	if f.refusal.Hidden || f.refusal.Text != "Please enter your name; it is required." || f.box.Hidden {
		t.Fatalf("refusal %q (hidden %v)", f.refusal.Text, f.refusal.Hidden)
	}
	test.Type(f.name, "Ann")
	test.Tap(f.submit)
	if f.refusal.Text != "Please choose a category; it is required." {
		t.Fatalf("refusal %q", f.refusal.Text)
	}
	select {
	case in := <-got:
		t.Fatalf("sent without the required category: %+v", in)
	default:
	}
	f.category.SetSelected("network")
	f.priority.SetSelected("(none)")
	test.Tap(f.submit)
	select {
	case in := <-got:
		if in != (proto.Intake{Name: "Ann", Category: "network"}) {
			t.Fatalf("answer %+v", in)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no answer")
	}
	// After a refusal: the earlier choices are kept.
	go func() {
		in, ok := w.Intake(context.Background(), form, "There is no priority \"urgent\".", proto.Intake{Name: "Ann", Category: "network", Priority: "urgent"})
		if ok {
			got <- in
		}
	}()
	w.waitShown(t, "intake")
	if f.name.Text != "Ann" || f.category.Selected != "network" || f.priority.Selected != "" || f.refusal.Text != "There is no priority \"urgent\"." {
		t.Fatalf("kept %q %q %q, refusal %q", f.name.Text, f.category.Selected, f.priority.Selected, f.refusal.Text)
	}
	f.priority.SetSelected("high")
	test.Tap(f.submit)
	if in := <-got; in != (proto.Intake{Name: "Ann", Category: "network", Priority: "high"}) {
		t.Fatalf("second answer %+v", in)
	}
}
