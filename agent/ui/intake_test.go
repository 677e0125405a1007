package ui

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/relaydesk/relaydesk/agent/session"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

var _ session.IntakeUI = (*Window)(nil)

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
	go func() { in, ok := w.Intake(context.Background(), "", proto.Intake{}); got <- answer{in, ok} }()
	w.waitShown(t, "intake")
	if w.form.box.Hidden || !w.form.refusal.Hidden || w.heading.Text != "Ask for support" {
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
		in, ok := w.Intake(context.Background(), "Please describe your problem.", proto.Intake{Name: "Ann"})
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
	go func() { in, ok := w.Intake(ctx, "", proto.Intake{}); got <- answer{in, ok} }()
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
