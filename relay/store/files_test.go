package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// A transfer is recorded with its session, ends once (a second report
// changes nothing) and survives a reopen; a channel's limit is set and
// cleared.
func TestTransfersAndLimits(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	st := open(t, path)
	u := User{Name: "tom", Role: RoleTechnician, PasswordHash: "h"}
	st.CreateUser(ctx, &u)
	s := newSession("a", "123456789")
	if err := st.CreateSession(ctx, &s, StatusEvent{SessionID: "a", At: t0, Status: proto.StatusReady}); err != nil {
		t.Fatal(err)
	}
	tr := Transfer{ID: "01", SessionID: "a", TechnicianID: u.ID, Technician: "tom", Direction: proto.FileSend, Name: "a.txt", Size: 5, State: proto.FileRunning, StartedAt: t0}
	if err := st.AddTransfer(ctx, tr); err != nil {
		t.Fatal(err)
	}
	if err := st.AddTransfer(ctx, tr); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate: %v", err)
	}
	tr.ID, tr.SessionID = "02", "nope"
	if err := st.AddTransfer(ctx, tr); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown session: %v", err)
	}
	if ok, err := st.EndTransfer(ctx, "01", proto.FileDone, 5, "ab", "", t0.Add(1)); !ok || err != nil {
		t.Fatalf("end: %v %v", ok, err)
	}
	if ok, err := st.EndTransfer(ctx, "01", proto.FileCancelled, 1, "", "late", t0.Add(2)); ok || err != nil {
		t.Fatalf("second end: %v %v", ok, err)
	}
	if _, err := st.EndTransfer(ctx, "zz", proto.FileDone, 0, "", "", t0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown transfer: %v", err)
	}
	st.Close()
	st = open(t, path)
	list, err := st.Transfers(ctx, "a")
	if err != nil || len(list) != 1 {
		t.Fatalf("%v %v", list, err)
	}
	got := list[0]
	if got.State != proto.FileDone || got.SHA256 != "ab" || got.Size != 5 || !got.StartedAt.Equal(t0) || !got.EndedAt.Equal(t0.Add(1)) || got.TechnicianID != u.ID {
		t.Fatalf("%+v", got)
	}

	ch := Channel{Name: "support", CreatedAt: t0}
	if err := st.CreateChannel(ctx, &ch); err != nil {
		t.Fatal(err)
	}
	if n, err := st.ChannelFileLimit(ctx, ch.ID); n != 0 || err != nil {
		t.Fatalf("unset limit: %d %v", n, err)
	}
	st.SetChannelFileLimit(ctx, ch.ID, 1000)
	st.SetChannelFileLimit(ctx, ch.ID, 2000)
	if n, _ := st.ChannelFileLimit(ctx, ch.ID); n != 2000 {
		t.Fatalf("limit %d", n)
	}
	st.SetChannelFileLimit(ctx, ch.ID, 0)
	if n, _ := st.ChannelFileLimit(ctx, ch.ID); n != 0 {
		t.Fatalf("cleared limit %d", n)
	}
}
