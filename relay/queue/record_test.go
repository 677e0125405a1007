package queue

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/record"
	"github.com/relaydesk/relaydesk/relay/store"
)

// recordingFixture is a fixture whose relay records into a temporary
// folder, with an active session of f.tech in channel "Support" under
// policy p (the end user's app understands recording and answers rec).
func recordingFixture(t *testing.T, p proto.RecordPolicy, keepDays int, rec *bool) (*fixture, *Agent, string) {
	t.Helper()
	f := newFixture(t)
	r, err := record.New(f.cfg.Logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	f.cfg.Recorder, f.cfg.RecordingsDir = r, t.TempDir()
	f.restart()
	ch := store.Channel{Name: "Support"}
	if err := f.st.CreateChannel(f.ctx, &ch); err != nil {
		t.Fatal(err)
	}
	if err := f.st.SetChannelRecording(f.ctx, ch.ID, store.RecordSettings{Policy: p, KeepDays: keepDays}); err != nil {
		t.Fatal(err)
	}
	a := f.agent(yes())
	a.Conn.(*fakeConn).record = rec
	reg, err := f.m.RegisterAgent(f.ctx, a, proto.AgentRegister{Recording: true})
	if err != nil {
		t.Fatal(err)
	}
	f.m.mu.Lock()
	f.m.sessions[reg.SessionID].s.ChannelID = ch.ID // as a request of the channel would be
	f.m.mu.Unlock()
	if _, err := f.m.Connect(f.ctx, f.tech, proto.Connect{Code: reg.Code}, noStage); err != nil {
		t.Fatal(err)
	}
	return f, a, reg.SessionID
}

// finished waits until the recorder finished the session's n recordings
// (it does so on its own goroutine) and returns them.
func finished(t *testing.T, f *fixture, id string, n int) []store.Recording {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		recs, err := f.st.SessionRecordings(f.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		done := len(recs) == n
		for _, r := range recs {
			done = done && !r.Ended.IsZero()
		}
		if done {
			return recs
		}
		if time.Now().After(deadline) {
			t.Fatalf("recordings of %s: %+v, want %d finished", id, recs, n)
		}
	}
}

func code(err error) proto.ErrorCode {
	var fl *proto.Failure
	if errors.As(err, &fl) {
		return fl.Code
	}
	return 0
}

func recordStates(c Conn) []proto.RecordState {
	fc := c.(*fakeConn)
	fc.mu.Lock()
	defer fc.mu.Unlock()
	var out []proto.RecordState
	for _, e := range fc.sent {
		var s proto.RecordState
		if e.Type == proto.TypeRecordState && proto.Unmarshal(e.Body, &s) == nil {
			out = append(out, s)
		}
	}
	return out
}

func TestRecordingFollowsTheChannelsPolicy(t *testing.T) {
	f, a, id := recordingFixture(t, proto.RecordOff, 0, yes())
	err := f.m.Record(f.ctx, f.tech, proto.RecordRequest{SessionID: id, Start: true})
	if code(err) != proto.ErrRecordOff || err.Error() != "This session's channel does not allow recording." {
		t.Fatalf("policy off: %v", err)
	}
	var asked proto.RecordConsent
	if a.Conn.(*fakeConn).last(proto.TypeRecordConsent, &asked) {
		t.Fatal("the end user was asked although the channel forbids recording")
	}

	f, a, id = recordingFixture(t, proto.RecordAllowed, 0, yes())
	if err := f.m.Record(f.ctx, f.tech, proto.RecordRequest{SessionID: id, Start: true}); err != nil {
		t.Fatal(err)
	}
	if !a.Conn.(*fakeConn).last(proto.TypeRecordConsent, &asked) || asked.Technician != "aaron" {
		t.Fatalf("the end user was not asked: %+v", asked)
	}
	var joined proto.PeerJoined
	if !a.Conn.(*fakeConn).last(proto.TypePeerJoined, &joined) || joined.Peer.ID != proto.RecorderPeer || joined.Peer.Role != proto.RoleRecorder {
		t.Fatalf("the app was not told to admit the recorder: %+v", joined)
	}
	for who, c := range map[string]Conn{"agent": a.Conn, "technician": f.tech.Conn} {
		if st := recordStates(c); len(st) != 1 || !st[0].On || st[0].By != "aaron" || st[0].Recording == "" {
			t.Fatalf("%s was told %+v, want recording on by aaron", who, st)
		}
	}
	if err := f.m.Record(f.ctx, f.tech, proto.RecordRequest{SessionID: id, Start: true}); code(err) != proto.ErrSessionState {
		t.Fatalf("a second start: %v", err)
	}
	// The end user stops it; nothing arrived (no app peer here): the row
	// says so with 0 bytes.
	if err := f.m.AgentRecord(f.ctx, a, proto.RecordRequest{SessionID: id}); err != nil {
		t.Fatal(err)
	}
	st := recordStates(f.tech.Conn)
	if len(st) != 2 || st[1].On || st[1].By != actorEndUser {
		t.Fatalf("technician told %+v, want off by the end user", st)
	}
	if recs := finished(t, f, id, 1); recs[0].AskedBy != "aaron" {
		t.Fatalf("stored %+v", recs)
	}
	if err := f.m.Record(f.ctx, f.tech, proto.RecordRequest{SessionID: id}); code(err) != proto.ErrSessionState {
		t.Fatalf("stop when not recording: %v", err)
	}
	got := f.auditOf(id)
	for _, want := range []string{"recording.asked aaron ", "recording.started aaron ", "recording.stopped end user "} {
		if !slices.Contains(got, want) {
			t.Fatalf("audit %q lacks %q", got, want)
		}
	}
}

func TestRecordingNeedsTheEndUsersYes(t *testing.T) {
	f, a, id := recordingFixture(t, proto.RecordAllowed, 0, no())
	err := f.m.Record(f.ctx, f.tech, proto.RecordRequest{SessionID: id, Start: true})
	if code(err) != proto.ErrRecordDeclined || err.Error() != "The end user did not allow the recording." {
		t.Fatalf("refused: %v", err)
	}
	var joined proto.PeerJoined
	if a.Conn.(*fakeConn).last(proto.TypePeerJoined, &joined) && joined.Peer.ID == proto.RecorderPeer {
		t.Fatal("the recorder joined without the end user's yes")
	}
	if st := recordStates(a.Conn); len(st) != 0 {
		t.Fatalf("told %+v", st)
	}
	if recs, _ := f.st.SessionRecordings(f.ctx, id); len(recs) != 0 {
		t.Fatalf("stored %+v", recs)
	}
	if !slices.Contains(f.auditOf(id), "recording.refused aaron ") {
		t.Fatalf("audit %q", f.auditOf(id))
	}
	// No answer in time is no recording either.
	f, a, id = recordingFixture(t, proto.RecordAllowed, 0, nil)
	if err := f.m.Record(f.ctx, f.tech, proto.RecordRequest{SessionID: id, Start: true}); code(err) != proto.ErrConsentTimeout {
		t.Fatalf("unanswered: %v", err)
	}
}

func TestRecordingNeedsThePermissionAndARecentApp(t *testing.T) {
	f, _, id := recordingFixture(t, proto.RecordAllowed, 0, yes())
	if err := f.st.SetOverrides(f.ctx, f.tech.User.ID, []store.Override{{Permission: proto.PermRecord, Allow: false}}); err != nil {
		t.Fatal(err)
	}
	f.m.desk.Reload(f.ctx)
	err := f.m.Record(f.ctx, f.tech, proto.RecordRequest{SessionID: id, Start: true})
	if code(err) != proto.ErrForbidden || err.Error() != "You may not record sessions." {
		t.Fatalf("without the permission: %v", err)
	}
	// Someone not in the session cannot, whatever their role.
	if err := f.m.Record(f.ctx, f.admin, proto.RecordRequest{SessionID: id, Start: true}); code(err) != proto.ErrSessionUnknown {
		t.Fatalf("not attached: %v", err)
	}

	f, a, id := recordingFixture(t, proto.RecordAllowed, 0, yes())
	a.Recording = false // an app from before recording would close on RecordConsent
	if err := f.m.Record(f.ctx, f.tech, proto.RecordRequest{SessionID: id, Start: true}); code(err) != proto.ErrRecordOff {
		t.Fatalf("old app: %v", err)
	}
}

// TestRequiredRecordingIsAnnouncedAndStartsWithTheSession: the consent
// question says so, recording runs once the owner joined, only the end
// user can stop it, and the session's end stops it.
func TestRequiredRecordingIsAnnouncedAndStartsWithTheSession(t *testing.T) {
	f, a, id := recordingFixture(t, proto.RecordRequired, 0, nil)
	var asked proto.ConsentRequest
	if !a.Conn.(*fakeConn).last(proto.TypeConsentRequest, &asked) || !asked.Recorded {
		t.Fatalf("the consent question did not say the session is recorded: %+v", asked)
	}
	if st := recordStates(f.tech.Conn); len(st) != 1 || !st[0].On || st[0].By != actorRelay {
		t.Fatalf("technician told %+v, want recording on by the relay", st)
	}
	err := f.m.Record(f.ctx, f.tech, proto.RecordRequest{SessionID: id})
	if code(err) != proto.ErrForbidden {
		t.Fatalf("a technician stopped a required recording: %v", err)
	}
	if err := f.m.TechEnd(f.ctx, f.tech, proto.End{SessionID: id}); err != nil {
		t.Fatal(err)
	}
	if st := recordStates(a.Conn); len(st) != 2 || st[1].On || st[1].Reason != "the session ended" {
		t.Fatalf("agent told %+v, want off when the session ended", st)
	}
	finished(t, f, id, 1)
}

// TestRetentionSweepDeletesExpiredRecordings runs the sweep on the
// fixture's clock: a recording of a channel that keeps 3 days is kept on
// day 3 and deleted (file, sidecar, audited) after it.
func TestRetentionSweepDeletesExpiredRecordings(t *testing.T) {
	f, _, id := recordingFixture(t, proto.RecordAllowed, 3, yes())
	if err := f.m.Record(f.ctx, f.tech, proto.RecordRequest{SessionID: id, Start: true}); err != nil {
		t.Fatal(err)
	}
	if err := f.m.Record(f.ctx, f.tech, proto.RecordRequest{SessionID: id}); err != nil {
		t.Fatal(err)
	}
	recs := finished(t, f, id, 1)
	// Stand-ins for the files (no app sent a picture here).
	path := filepath.Join(f.cfg.RecordingsDir, recs[0].Path)
	side := path[:len(path)-len(".webm")] + ".json"
	if _, err := os.Stat(side); err != nil {
		t.Fatalf("no sidecar: %v", err)
	}
	os.WriteFile(path, []byte("webm"), 0o600)

	f.clk.Add(3 * 24 * time.Hour)
	f.m.SweepRecordings(f.ctx)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("deleted before its 3 days passed: %v", err)
	}
	f.clk.Add(time.Minute)
	f.m.SweepRecordings(f.ctx)
	for _, p := range []string{path, side} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s still there after the retention: %v", p, err)
		}
	}
	if recs, _ := f.st.SessionRecordings(f.ctx, id); len(recs) != 0 {
		t.Fatalf("still listed: %+v", recs)
	}
	if r, err := f.st.Recording(f.ctx, recs[0].ID); err != nil || r.Deleted.IsZero() {
		t.Fatalf("row %+v %v, want kept and marked deleted", r, err)
	}
	if !slices.Contains(f.auditOf(id), "recording.deleted relay ") {
		t.Fatalf("audit %q", f.auditOf(id))
	}
}

// TestRecordingsSurviveARelayStop: a shutdown stops and finishes running
// recordings; a recording a crashed relay left unfinished is finished when
// the relay starts again, with the size on disk.
func TestRecordingsSurviveARelayStop(t *testing.T) {
	f, a, id := recordingFixture(t, proto.RecordAllowed, 0, yes())
	if err := f.m.Record(f.ctx, f.tech, proto.RecordRequest{SessionID: id, Start: true}); err != nil {
		t.Fatal(err)
	}
	f.m.StopRecordings(f.ctx, "the relay shut down")
	finished(t, f, id, 1)
	if st := recordStates(a.Conn); len(st) != 2 || st[1].On || st[1].Reason != "the relay shut down" {
		t.Fatalf("agent told %+v", st)
	}

	// A crash: a row that never ended, and what reached the disk.
	orphan := store.Recording{ID: "orphan", SessionID: id, Started: f.clk.Now(), Path: filepath.Join(id, "orphan.webm"), AskedBy: "aaron"}
	if err := f.st.CreateRecording(f.ctx, &orphan); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(f.cfg.RecordingsDir, orphan.Path), make([]byte, 1234), 0o600)
	f.restart()
	r, err := f.st.Recording(f.ctx, "orphan")
	if err != nil || r.Ended.IsZero() || r.Bytes != 1234 {
		t.Fatalf("after a restart: %+v %v, want finished with 1234 bytes", r, err)
	}
}
