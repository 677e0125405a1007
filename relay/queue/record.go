package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/record"
	"github.com/relaydesk/relaydesk/relay/store"
)

// Recording a session with the consent of both sides: the technician asks
// (PermRecord, in a channel whose policy allows it), the end user's app
// asks its end user, and only then the relay's recorder joins the session
// as a view-only peer of the app. Either side stops it; the session's end
// stops it too. A channel that requires recording says so in the consent
// question and records from the moment its owner joins.

// recState is a session's recording: asked (h nil) or running.
type recState struct {
	by    string // who asked for it ("relay" for a channel that records every session)
	since time.Time
	row   store.Recording
	h     *record.Recording
}

// RecordingsDir is the recordings folder under a data directory.
func RecordingsDir(dataDir string) string { return filepath.Join(dataDir, "recordings") }

// policy is the recording policy of l's channel; a session outside any
// channel (an attended code, a technician's own link) may be recorded
// when both sides agree. Callers hold m.mu.
func (m *Manager) policy(ctx context.Context, l *live) (proto.RecordPolicy, error) {
	if l.s.ChannelID == 0 {
		return proto.RecordAllowed, nil
	}
	rs, err := m.st.ChannelRecording(ctx, l.s.ChannelID)
	if err != nil {
		return "", m.internal("read the channel's recording policy", err)
	}
	if rs.Policy == "" {
		return proto.RecordOff, nil
	}
	return rs.Policy, nil
}

// mustRecord reports whether l's channel records every session; an app
// that cannot be recorded is then refused. Callers hold m.mu.
func (m *Manager) mustRecord(ctx context.Context, l *live) (bool, error) {
	p, err := m.policy(ctx, l)
	if err != nil || p != proto.RecordRequired {
		return false, err
	}
	if m.cfg.Recorder == nil {
		return false, proto.Errorf(proto.ErrRecordOff, "This session's channel records every session, and this relay has no recorder.")
	}
	if l.agent != nil && !l.agent.Recording {
		return false, proto.Errorf(proto.ErrRecordOff, "This session's channel records every session, and the end user's app is too old to be recorded; ask them to download it again.")
	}
	return true, nil
}

// Record starts or stops the recording of a session at a technician's
// request. Starting asks the end user and returns once recording started
// (or why not).
func (m *Manager) Record(ctx context.Context, t *Tech, req proto.RecordRequest) error {
	m.mu.Lock()
	l := m.sessions[req.SessionID]
	if l == nil || l.techs[t.User.ID] == nil || l.techs[t.User.ID].tech != t {
		m.mu.Unlock()
		return proto.Errorf(proto.ErrSessionUnknown, "You are not connected to session %s.", req.SessionID)
	}
	if !req.Start {
		defer m.mu.Unlock()
		if l.rec == nil || l.rec.h == nil {
			return proto.Errorf(proto.ErrSessionState, "This session is not being recorded.")
		}
		if p, _ := m.policy(ctx, l); p == proto.RecordRequired {
			return proto.Errorf(proto.ErrForbidden, "This session's channel records every session; only the end user can stop the recording.")
		}
		m.stopRecording(ctx, l, t.User.Name, "stopped by "+t.User.Name)
		return nil
	}
	if err := m.desk.Can(t.User, proto.PermRecord, &l.s, true); err != nil {
		m.mu.Unlock()
		return m.refused(ctx, t, "record", l.s.ID, err)
	}
	p, err := m.policy(ctx, l)
	switch {
	case err != nil:
		m.mu.Unlock()
		return err
	case p == proto.RecordOff:
		m.mu.Unlock()
		return m.refused(ctx, t, "record", l.s.ID, proto.Errorf(proto.ErrRecordOff, "This session's channel does not allow recording."))
	case m.cfg.Recorder == nil:
		m.mu.Unlock()
		return proto.Errorf(proto.ErrRecordOff, "This relay has no recorder (no data directory).")
	case l.rec != nil && l.rec.h != nil:
		m.mu.Unlock()
		return proto.Errorf(proto.ErrSessionState, "This session is already being recorded (since %s, asked by %s).", l.rec.since.Format("15:04:05"), l.rec.by)
	case l.rec != nil:
		m.mu.Unlock()
		return proto.Errorf(proto.ErrSessionState, "The end user is already being asked about a recording.")
	case l.agent == nil:
		m.mu.Unlock()
		return proto.Errorf(proto.ErrAgentOffline, "The end user's app is not connected right now.")
	case !l.agent.Recording:
		m.mu.Unlock()
		return proto.Errorf(proto.ErrRecordOff, "The end user's app is too old to be recorded; ask them to download it again.")
	}
	l.rec = &recState{by: t.User.Name}
	agent, id := l.agent, l.s.ID
	m.mu.Unlock()
	m.audit(ctx, "recording.asked", t.User.Name, t.IP, id, nil)

	allow, why := m.askRecording(ctx, agent, id, t.User.Name)

	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sessions[id] != l {
		return proto.Errorf(proto.ErrSessionState, "The session ended while waiting for the end user.")
	}
	l.rec = nil
	if !allow {
		m.audit(ctx, "recording.refused", t.User.Name, t.IP, id, map[string]string{"reason": why.Message})
		if err := m.st.AddEvent(ctx, *m.event(l, l.s.Status, t.User.Name, "recording refused: "+why.Message)); err != nil {
			m.log.Error("record refused recording", "err", err)
		}
		return why
	}
	return m.startRecording(ctx, l, t.User.Name)
}

// askRecording asks the end user whether by may record the session.
func (m *Manager) askRecording(ctx context.Context, a *Agent, id, by string) (bool, *proto.Failure) {
	cctx, cancel := context.WithTimeout(ctx, m.cfg.ConsentTimeout)
	defer cancel()
	env, err := a.Conn.Request(cctx, proto.TypeRecordConsent, &proto.RecordConsent{SessionID: id, Technician: by, Timeout: m.cfg.ConsentTimeout})
	var ans proto.RecordAnswer
	switch {
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
		a.Conn.Send(proto.TypeConsentGone, &proto.ConsentGone{SessionID: id, Technician: by, Reason: "no answer in time"})
		return false, proto.Errorf(proto.ErrConsentTimeout, "The end user did not answer the request to record within %s.", m.cfg.ConsentTimeout)
	case ctx.Err() != nil:
		a.Conn.Send(proto.TypeConsentGone, &proto.ConsentGone{SessionID: id, Technician: by, Reason: "the technician cancelled"})
		return false, proto.Errorf(proto.ErrSessionState, "The request to record was cancelled.")
	case err != nil:
		return false, proto.Errorf(proto.ErrAgentOffline, "The end user's app disconnected while being asked about the recording.")
	case env.Type != proto.TypeRecordAnswer || env.Decode(&ans) != nil:
		return false, proto.Errorf(proto.ErrProtocol, "The end user's app gave an answer the relay could not read.")
	case !ans.Allow:
		return false, proto.Errorf(proto.ErrRecordDeclined, "The end user did not allow the recording.")
	}
	return true, nil
}

// startRecording starts the recorder on l after both sides agreed and
// tells everyone. Callers hold m.mu.
func (m *Manager) startRecording(ctx context.Context, l *live, by string) error {
	now := m.cfg.Now()
	recID := newSessionID()
	rel := filepath.Join(l.s.ID, recID+".webm")
	path := filepath.Join(m.cfg.RecordingsDir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return m.internal("prepare the recording's folder", err)
	}
	id := l.s.ID
	h, err := m.cfg.Recorder.Start(path, func(kind string, payload []byte) error {
		m.mu.Lock()
		defer m.mu.Unlock()
		if l := m.sessions[id]; l != nil && l.agent != nil {
			return l.agent.Conn.Send(proto.TypeSignal, &proto.Signal{SessionID: id, Peer: proto.RecorderPeer, Kind: kind, Payload: payload})
		}
		return proto.Errorf(proto.ErrAgentOffline, "The end user's app is not connected right now.")
	})
	if err != nil {
		return m.internal("start the recorder", err)
	}
	row := store.Recording{ID: recID, SessionID: id, Started: now, Path: rel, AskedBy: by}
	if err := m.st.CreateRecording(ctx, &row); err != nil {
		h.Stop(nil)
		return m.internal("store the recording", err)
	}
	l.rec = &recState{by: by, since: now, row: row, h: h}
	if err := m.st.AddEvent(ctx, *m.event(l, l.s.Status, by, "recording started")); err != nil {
		m.log.Error("record the recording's start", "err", err)
	}
	m.audit(ctx, "recording.started", by, "", id, map[string]string{"recording": recID})
	if l.agent != nil {
		l.agent.Conn.Send(proto.TypePeerJoined, &proto.PeerJoined{SessionID: id, Peer: proto.Peer{ID: proto.RecorderPeer, Name: "Recording", Role: proto.RoleRecorder}})
	}
	m.tellRecording(l, proto.RecordState{SessionID: id, On: true, By: by, Recording: recID, Since: now})
	return nil
}

// tellRecording sends st to the agent and every attached technician. Callers hold m.mu.
func (m *Manager) tellRecording(l *live, st proto.RecordState) {
	if l.agent != nil {
		l.agent.Conn.Send(proto.TypeRecordState, &st)
	}
	for _, at := range l.techs {
		if at.tech != nil {
			at.tech.Conn.Send(proto.TypeRecordState, &st)
		}
	}
}

// stopRecording ends l's recording, if one runs, and tells everyone at
// once; the recorder finishes the file on its own goroutine, then its
// size and duration are stored with the chat of its time beside it.
// Callers hold m.mu.
func (m *Manager) stopRecording(ctx context.Context, l *live, by, reason string) {
	r := l.rec
	if r == nil || r.h == nil {
		return
	}
	l.rec = nil
	ctx = context.WithoutCancel(ctx)
	r.h.Stop(func(stats record.Stats, err error) { m.finishRecording(ctx, r, stats, err, by, reason) })
	if err := m.st.AddEvent(ctx, *m.event(l, l.s.Status, by, "recording stopped: "+reason)); err != nil {
		m.log.Error("record the recording's end", "err", err)
	}
	m.tellRecording(l, proto.RecordState{SessionID: l.s.ID, By: by, Reason: reason, Recording: r.row.ID})
}

// finishRecording stores a finished recording's end, size and duration,
// writes its sidecar and audits it. It runs on the recorder's goroutine,
// without m.mu.
func (m *Manager) finishRecording(ctx context.Context, r *recState, stats record.Stats, err error, by, reason string) {
	r.row.Ended, r.row.Bytes, r.row.Duration = m.cfg.Now(), stats.Bytes, stats.Duration
	if err != nil {
		m.log.Warn("recording ended without a picture", "session", r.row.SessionID, "recording", r.row.ID, "err", err)
	}
	if err := m.writeSidecar(ctx, r); err != nil {
		m.log.Error("write the recording's chat and events", "recording", r.row.ID, "err", err)
	}
	m.audit(ctx, "recording.stopped", by, "", r.row.SessionID, map[string]string{"recording": r.row.ID, "reason": reason,
		"bytes": fmt.Sprint(stats.Bytes), "duration": stats.Duration.Round(time.Millisecond).String()})
	// Last: a finished row means the file, its sidecar and the audit are there.
	if err := m.st.FinishRecording(ctx, &r.row); err != nil {
		m.log.Error("store the recording's end", "recording", r.row.ID, "err", err)
	}
	m.log.Info("recording finished", "session", r.row.SessionID, "recording", r.row.ID, "bytes", stats.Bytes, "duration", stats.Duration, "frames", stats.Frames)
}

// sidecarEvent is one line of a recording's sidecar: a chat message or a
// recording event, At from the start of the recording.
type sidecarEvent struct {
	At   time.Duration `json:"at_ms"`
	Time time.Time     `json:"time"`
	Kind string        `json:"kind"` // "chat", "start", "stop"
	From string        `json:"from,omitempty"`
	Text string        `json:"text,omitempty"`
}

// writeSidecar writes <recording>.json beside the WebM: the chat of the
// recording's time and its start and end, for playback.
func (m *Manager) writeSidecar(ctx context.Context, r *recState) error {
	chat, err := m.st.ChatMessages(ctx, r.row.SessionID)
	if err != nil {
		return err
	}
	evs := []sidecarEvent{{Time: r.row.Started, Kind: "start", From: r.by}}
	for _, c := range chat {
		if !c.At.Before(r.row.Started) && !c.At.After(r.row.Ended) {
			evs = append(evs, sidecarEvent{At: c.At.Sub(r.row.Started) / time.Millisecond, Time: c.At, Kind: "chat", From: c.From, Text: c.Text})
		}
	}
	evs = append(evs, sidecarEvent{At: r.row.Ended.Sub(r.row.Started) / time.Millisecond, Time: r.row.Ended, Kind: "stop"})
	b, err := json.MarshalIndent(evs, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(sidecarPath(filepath.Join(m.cfg.RecordingsDir, r.row.Path)), b, 0o600)
}

// sidecarPath is the JSON sidecar beside the recording at path.
func sidecarPath(path string) string { return path[:len(path)-len(filepath.Ext(path))] + ".json" }

// AgentRecord is the end user's app stopping the recording (Start false);
// an app cannot start one.
func (m *Manager) AgentRecord(ctx context.Context, a *Agent, req proto.RecordRequest) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.sessions[a.SessionID]
	if l == nil || l.agent != a || req.SessionID != l.s.ID {
		return proto.Errorf(proto.ErrSessionUnknown, "This session is not yours.")
	}
	if req.Start {
		return proto.Errorf(proto.ErrBadRequest, "Only a technician can ask to record.")
	}
	if l.rec == nil || l.rec.h == nil {
		return proto.Errorf(proto.ErrSessionState, "This session is not being recorded.")
	}
	m.stopRecording(ctx, l, actorEndUser, "stopped by the end user")
	return nil
}

// recorderSignal hands a signalling message the agent addressed to the
// recorder over to it; false when it is not for the recorder. Callers hold m.mu.
func (m *Manager) recorderSignal(l *live, sig proto.Signal) bool {
	if sig.Peer != proto.RecorderPeer {
		return false
	}
	if l.rec != nil && l.rec.h != nil {
		l.rec.h.Signal(sig.Kind, sig.Payload)
	}
	return true
}

// SweepRecordings deletes the recordings their channel's retention let
// expire (files and sidecars; the rows stay, marked), each audited. The
// relay's sweep calls it with its clock.
func (m *Manager) SweepRecordings(ctx context.Context) {
	now := m.cfg.Now()
	due, err := m.st.ExpiredRecordings(ctx, now, 100)
	if err != nil {
		m.log.Error("list expired recordings", "err", err)
		return
	}
	for _, r := range due {
		path := filepath.Join(m.cfg.RecordingsDir, r.Path)
		for _, p := range []string{path, sidecarPath(path)} {
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				m.log.Error("delete an expired recording", "path", p, "err", err)
			}
		}
		if err := m.st.DeleteRecording(ctx, r.ID, now); err != nil {
			m.log.Error("mark a recording deleted", "recording", r.ID, "err", err)
			continue
		}
		m.audit(ctx, "recording.deleted", actorRelay, "", r.SessionID, map[string]string{"recording": r.ID, "reason": "the channel's retention passed"})
		m.log.Info("recording deleted after its retention", "session", r.SessionID, "recording", r.ID)
	}
}

// addRecordings lists the session's kept recordings in d, with their
// totals in d.Session.
func (m *Manager) addRecordings(ctx context.Context, d *proto.SessionDetails) {
	recs, err := m.st.SessionRecordings(ctx, d.Session.ID)
	if err != nil {
		m.log.Error("list a session's recordings", "session", d.Session.ID, "err", err)
		return
	}
	for _, r := range recs {
		if r.Ended.IsZero() {
			continue // still running
		}
		d.Recordings = append(d.Recordings, r.Info())
		d.Session.Recordings++
		d.Session.RecordedBytes += r.Bytes
		d.Session.RecordedFor += r.Duration
	}
}

// markRecorded sets the recording totals of the sessions of a history page.
func (m *Manager) markRecorded(ctx context.Context, list []proto.SessionInfo) {
	ids := make([]string, len(list))
	for i, s := range list {
		ids[i] = s.ID
	}
	tot, err := m.st.RecordingTotals(ctx, ids)
	if err != nil {
		m.log.Error("sum the sessions' recordings", "err", err)
		return
	}
	for i := range list {
		t := tot[list[i].ID]
		list[i].Recordings, list[i].RecordedBytes, list[i].RecordedFor = t.Count, t.Bytes, t.Duration
	}
}

// RecordingFile finds a kept recording for technician t, who must be
// allowed to see its session (as with Details), and returns it with the
// path of its file. The download is audited.
func (m *Manager) RecordingFile(ctx context.Context, t *Tech, id string) (store.Recording, string, error) {
	unknown := proto.Errorf(proto.ErrSessionUnknown, "There is no recording %s that you may see.", id)
	r, err := m.st.Recording(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (!r.Deleted.IsZero() || r.Ended.IsZero())) {
		return r, "", unknown
	} else if err != nil {
		return r, "", m.internal("look up the recording", err)
	}
	s, err := m.st.Session(ctx, r.SessionID)
	if err != nil {
		return r, "", m.internal("look up the recording's session", err)
	}
	ids, err := m.st.Participants(ctx, r.SessionID)
	if err != nil {
		return r, "", m.internal("look up the recording's session", err)
	}
	if !m.desk.Sees(t.User, &s, slices.Contains(ids, t.User.ID)) {
		return r, "", unknown
	}
	m.audit(ctx, "recording.downloaded", t.User.Name, t.IP, r.SessionID, map[string]string{"recording": r.ID})
	return r, filepath.Join(m.cfg.RecordingsDir, r.Path), nil
}

// StopRecordings stops every running recording (the relay shuts down);
// the recorder finishes the files, and Recorder.Close waits for that.
func (m *Manager) StopRecordings(ctx context.Context, reason string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, l := range m.sessions {
		m.stopRecording(ctx, l, actorRelay, reason)
	}
}

// finishOrphans marks the recordings a relay that stopped without
// finishing them left behind (a crash): ended now, with the size of what
// reached the disk (a player reads the file up to where it stops).
func (m *Manager) finishOrphans(ctx context.Context) error {
	orphans, err := m.st.UnfinishedRecordings(ctx)
	if err != nil {
		return fmt.Errorf("load unfinished recordings: %w", err)
	}
	for _, r := range orphans {
		r.Ended = m.cfg.Now()
		if fi, err := os.Stat(filepath.Join(m.cfg.RecordingsDir, r.Path)); err == nil {
			r.Bytes = fi.Size()
		}
		if err := m.st.FinishRecording(ctx, &r); err != nil {
			return fmt.Errorf("finish recording %s: %w", r.ID, err)
		}
		m.audit(ctx, "recording.stopped", actorRelay, "", r.SessionID, map[string]string{"recording": r.ID,
			"reason": "the relay stopped while it recorded", "bytes": fmt.Sprint(r.Bytes)})
	}
	return nil
}
