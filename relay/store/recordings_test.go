package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

func TestChannelRecordingSettings(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "r.db"))
	ch := Channel{Name: "Support"}
	if err := st.CreateChannel(ctx, &ch); err != nil {
		t.Fatal(err)
	}
	if rs, err := st.ChannelRecording(ctx, ch.ID); err != nil || rs.Policy != proto.RecordOff || rs.KeepDays != 0 {
		t.Fatalf("default %+v %v, want off, kept for ever", rs, err)
	}
	for _, rs := range []RecordSettings{{Policy: proto.RecordRequired, KeepDays: 30}, {Policy: proto.RecordAllowed}} {
		if err := st.SetChannelRecording(ctx, ch.ID, rs); err != nil {
			t.Fatal(err)
		}
		if got, err := st.ChannelRecording(ctx, ch.ID); err != nil || got != rs {
			t.Fatalf("got %+v %v, want %+v", got, err, rs)
		}
	}
	if err := st.SetChannelRecording(ctx, ch.ID, RecordSettings{Policy: "sometimes"}); !errors.Is(err, ErrRecordSettings) {
		t.Fatalf("bad policy: %v", err)
	}
	if err := st.SetChannelRecording(ctx, 999, RecordSettings{Policy: proto.RecordAllowed}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown channel: %v", err)
	}
	if err := st.DeleteChannel(ctx, ch.ID); err != nil {
		t.Fatal(err)
	}
	var n int
	st.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM channel_recording`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d settings left after the channel was deleted", n)
	}
}

// TestExpiredRecordingsFollowTheChannelsRetention: a recording is due
// once its channel's days passed since it ended, not before; channels
// that keep for ever, running recordings and deleted ones are never due.
func TestExpiredRecordingsFollowTheChannelsRetention(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "r.db"))
	keep, forever := Channel{Name: "Keep7"}, Channel{Name: "Forever"}
	for _, c := range []*Channel{&keep, &forever} {
		if err := st.CreateChannel(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	st.SetChannelRecording(ctx, keep.ID, RecordSettings{Policy: proto.RecordAllowed, KeepDays: 7})
	st.SetChannelRecording(ctx, forever.ID, RecordSettings{Policy: proto.RecordAllowed})
	for id, ch := range map[string]int64{"a": keep.ID, "b": forever.ID} {
		s := newSession(id, "")
		s.ChannelID = ch
		if err := st.CreateSession(ctx, &s, StatusEvent{SessionID: id, At: t0, Status: proto.StatusReady}); err != nil {
			t.Fatal(err)
		}
	}
	recs := []Recording{
		{ID: "a1", SessionID: "a", Started: t0, Ended: t0.Add(time.Minute), Path: "a/a1.webm", AskedBy: "tina"},
		{ID: "a2", SessionID: "a", Started: t0.Add(2 * time.Minute), Path: "a/a2.webm", AskedBy: "tina"}, // still running
		{ID: "b1", SessionID: "b", Started: t0, Ended: t0.Add(time.Minute), Path: "b/b1.webm", AskedBy: "theo"},
	}
	for i := range recs {
		if err := st.CreateRecording(ctx, &recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	recs[0].Bytes, recs[0].Duration = 1234, time.Minute
	if err := st.FinishRecording(ctx, &recs[0]); err != nil {
		t.Fatal(err)
	}
	if got, err := st.Recording(ctx, "a1"); err != nil || got.Bytes != 1234 || got.Duration != time.Minute || !got.Ended.Equal(t0.Add(time.Minute)) {
		t.Fatalf("a1 = %+v %v", got, err)
	}
	due := func(now time.Time) []string {
		t.Helper()
		rs, err := st.ExpiredRecordings(ctx, now, 10)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range rs {
			ids = append(ids, r.ID)
		}
		return ids
	}
	if ids := due(t0.Add(7 * 24 * time.Hour)); len(ids) != 0 {
		t.Fatalf("due before 7 days: %v", ids)
	}
	if ids := due(t0.Add(7*24*time.Hour + 2*time.Minute)); len(ids) != 1 || ids[0] != "a1" {
		t.Fatalf("due after 7 days: %v, want [a1]", ids)
	}
	if err := st.DeleteRecording(ctx, "a1", t0.Add(8*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if ids := due(t0.Add(365 * 24 * time.Hour)); len(ids) != 0 {
		t.Fatalf("due after deletion: %v", ids)
	}
	if list, err := st.SessionRecordings(ctx, "a"); err != nil || len(list) != 1 || list[0].ID != "a2" {
		t.Fatalf("session a lists %+v %v, want the running a2 only", list, err)
	}
}
