package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/console/client"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// Recorder is what a Remote adds when its relay records sessions: asking
// to start (the end user is asked; the outcome comes back through
// RecordView) or to stop.
type Recorder interface {
	Record(start bool) error
}

// RecordView is what a SessionView adds to show the recording state.
type RecordView interface {
	Recording(st proto.RecordState)
}

// recordToggle is the session toolbar's Record switch: on asks the relay
// (and the end user), off stops; it shows the state the relay reports,
// not what was clicked.
func (t *sessionTab) recordToggle() *widget.Check {
	t.record = widget.NewCheck("Record", func(on bool) {
		t.mu.Lock()
		quiet := t.recordQuiet
		t.mu.Unlock()
		if quiet {
			return
		}
		r, ok := t.remote.(Recorder)
		if !ok {
			t.setStatus("This console cannot record sessions.")
			t.showRecording(!on)
			return
		}
		if on {
			t.setStatus("Asking the end user to allow a recording…")
		}
		if err := r.Record(on); err != nil {
			t.setStatus("Recording: " + sentence(err))
			t.showRecording(!on)
		}
	})
	return t.record
}

// showRecording sets the switch without asking anything (UI goroutine).
func (t *sessionTab) showRecording(on bool) {
	t.mu.Lock()
	t.recordQuiet = true
	t.mu.Unlock()
	t.record.SetChecked(on)
	t.mu.Lock()
	t.recordQuiet = false
	t.mu.Unlock()
}

// Recording implements RecordView: the switch and the status line follow
// the relay's word.
func (t *sessionTab) Recording(st proto.RecordState) {
	t.c.do(func() {
		t.showRecording(st.On)
		t.setStatus(client.RecordSentence(st))
	})
}

// Record implements Recorder: the relay's answer (after the end user's)
// comes back as RecordState, or a refusal through the view.
func (s *liveSession) Record(start bool) error {
	s.wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute) // the end user's answer
		defer cancel()
		if err := s.sess.Record(ctx, start); err != nil {
			if rv, ok := s.v.(RecordView); ok {
				rv.Recording(proto.RecordState{On: !start, Reason: sentence(err)})
			}
		}
	})
	return nil
}
