package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// TestRecordingQuestionMarkAndStop: the question names who records and
// answers what was clicked (no when withdrawn); while recording, the mark
// says who records and its button asks to stop; the mark goes when the
// relay says the recording stopped.
func TestRecordingQuestionMarkAndStop(t *testing.T) {
	w, _ := newTestWindow(t)
	stops := make(chan struct{}, 1)
	w.act.StopRecording = func() { stops <- struct{}{} }
	req := proto.RecordConsent{SessionID: "s1", Technician: "Tina"}
	for _, c := range []struct {
		button *widget.Button
		want   bool
	}{{w.record.allow, true}, {w.record.deny, false}} {
		got := make(chan bool, 1)
		go func() { got <- w.RecordConsent(context.Background(), req) }()
		w.waitShown(t, "record")
		if text := w.record.text.Text; !strings.HasPrefix(text, "Tina wants to record this session") || !strings.Contains(text, "Nothing is recorded unless you click Allow recording") {
			t.Fatalf("question %q", text)
		}
		test.Tap(c.button)
		select {
		case ok := <-got:
			if ok != c.want {
				t.Fatalf("%s answered %v", c.button.Text, ok)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no answer")
		}
		if w.record.box.Visible() {
			t.Fatal("the question stayed after the answer")
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan bool, 1)
	go func() { got <- w.RecordConsent(ctx, req) }()
	w.waitShown(t, "record")
	cancel()
	if <-got {
		t.Fatal("a withdrawn question allowed the recording")
	}

	w.Recording(proto.RecordState{SessionID: "s1", On: true, By: "Tina"})
	waitUI(t, func() bool { return w.record.mark.Visible() })
	if w.record.markText.Text != "Recording: Tina is recording this session." {
		t.Fatalf("mark %q", w.record.markText.Text)
	}
	test.Tap(w.record.stop)
	select {
	case <-stops:
	case <-time.After(5 * time.Second):
		t.Fatal("Stop recording did not ask to stop")
	}
	w.Recording(proto.RecordState{SessionID: "s1", By: "end user", Reason: "stopped by the end user"})
	waitUI(t, func() bool { return !w.record.mark.Visible() })
	if w.status.Text != "The recording stopped (stopped by the end user)." {
		t.Fatalf("status %q", w.status.Text)
	}
}

// waitUI polls cond (the window updates on the UI goroutine).
func waitUI(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the window did not change")
		}
	}
}
