package session

import (
	"context"
	"fmt"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/transport"
)

// RecordUI is what a UI adds so that the session can be recorded: the
// question to the end user and the "Recording" mark. An app whose UI
// does not implement it tells the relay it cannot be recorded (a channel
// that requires recording then refuses it).
type RecordUI interface {
	// RecordConsent asks whether req.Technician may record the session
	// and blocks until the end user answers (true: allowed) or ctx ends.
	RecordConsent(ctx context.Context, req proto.RecordConsent) bool
	// Recording shows whether the session is being recorded now, and by
	// whom it was started or stopped.
	Recording(st proto.RecordState)
}

// recordable reports whether this app can be recorded: a UI that asks,
// and a screen to share.
func (a *Agent) recordable() bool {
	_, ok := a.cfg.UI.(RecordUI)
	return ok && a.cfg.Media != nil
}

// RecordQuestion is the question about a recording.
func RecordQuestion(technician string) string {
	return proto.CleanText(fmt.Sprintf("%s wants to record this session (your screen and the chat). Allow?", nameOr(technician, "The technician")))
}

// RecordedNotice is what the consent question adds when the channel
// records every session.
const RecordedNotice = "This session will be recorded (your screen and the chat); you can stop the recording at any time."

// askRecord asks the end user about a recording and lets the relay's
// recorder in (view only) only after a yes.
func (a *Agent) askRecord(ctx context.Context, req proto.RecordConsent) *proto.RecordAnswer {
	ui, ok := a.cfg.UI.(RecordUI)
	if !ok || !ui.RecordConsent(ctx, req) || ctx.Err() != nil {
		a.log.Info("recording refused", "technician", req.Technician)
		return &proto.RecordAnswer{}
	}
	a.allowRecorder()
	a.log.Info("recording allowed", "technician", req.Technician)
	return &proto.RecordAnswer{Allow: true}
}

// allowRecorder lets the relay's recorder see the screen, nothing more.
func (a *Agent) allowRecorder() {
	a.mu.Lock()
	a.granted[proto.RecorderPeer] = proto.Grant{proto.PermView}
	a.mu.Unlock()
}

// recordState shows the relay's word on the recording; when it stopped,
// the recorder's stream closes and a new recording needs a new yes.
func (a *Agent) recordState(st proto.RecordState) {
	if !st.On && a.revoke(proto.RecorderPeer) != nil && a.cfg.Media != nil {
		a.cfg.Media.Leave(proto.RecorderPeer)
	}
	if ui, ok := a.cfg.UI.(RecordUI); ok {
		ui.Recording(st)
	}
}

// StopRecording asks the relay to stop recording the session (the end
// user's stop button).
func (a *Agent) StopRecording(ctx context.Context) error {
	a.mu.Lock()
	p, id := a.peer, a.sessionID
	a.mu.Unlock()
	if p == nil {
		return fmt.Errorf("stop recording: %w", transport.ErrClosed)
	}
	if err := p.Call(ctx, proto.TypeRecordRequest, &proto.RecordRequest{SessionID: id}, proto.TypeOK, nil); err != nil {
		return fmt.Errorf("stop recording: %w", err)
	}
	return nil
}
