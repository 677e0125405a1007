package terminal

import (
	"context"
	"strings"

	"github.com/relaydesk/relaydesk/agent/session"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// stopWords is the line that stops a recording while one runs.
const stopWords = "stop recording"

// SetStopRecording sets what runs when the end user types "stop
// recording" while the session is recorded. Like SetChat, it must return
// at once.
func (t *Terminal) SetStopRecording(stop func()) {
	t.mu.Lock()
	t.stopRec = stop
	t.mu.Unlock()
}

// stopsRecording reports whether line asks to stop a running recording
// (and starts the stop). Callers hold t.mu.
func (t *Terminal) stopsRecording(line string) bool {
	if !t.recording || t.stopRec == nil || strings.ToLower(strings.TrimSpace(line)) != stopWords {
		return false
	}
	t.stopRec()
	return true
}

// RecordConsent implements session.RecordUI: the next line answers; only
// y or yes allow.
func (t *Terminal) RecordConsent(ctx context.Context, req proto.RecordConsent) bool {
	line, ok := t.ask(ctx, session.RecordQuestion(req.Technician)+" [y/N]")
	if !ok {
		if ctx.Err() != nil {
			t.Say("The request to record was withdrawn.")
		}
		return false
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true
	}
	t.Say("You did not allow the recording.")
	return false
}

// Recording implements session.RecordUI: a line when it starts and stops.
func (t *Terminal) Recording(st proto.RecordState) {
	t.mu.Lock()
	t.recording = st.On
	t.mu.Unlock()
	switch {
	case st.On && st.By == "relay":
		t.Say("● Recording: this session is being recorded, as its support channel records every session. Type %q to stop it.", stopWords)
	case st.On:
		t.Say("● Recording: %s is recording this session. Type %q to stop it.", st.By, stopWords)
	case st.Reason != "":
		t.Say("Recording stopped (%s).", st.Reason)
	default:
		t.Say("Recording stopped.")
	}
}
