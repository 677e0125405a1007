package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

func TestScreenshotsVisibilityAndRecordsLinks(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "r.db"))
	u := User{Name: "tina", Role: RoleTechnician, PasswordHash: "h"}
	if err := st.CreateUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	s := Session{ID: "s1", Kind: proto.KindCode, Status: proto.StatusActive, OwnerID: u.ID, CreatedAt: t0}
	if err := st.CreateSession(ctx, &s, StatusEvent{SessionID: "s1", At: t0, Status: proto.StatusActive, Actor: "tina"}); err != nil {
		t.Fatal(err)
	}

	if v, err := st.SessionVisibility(ctx, "s1"); err != nil || v != proto.VisibilityPublic {
		t.Fatalf("a new session is %q (%v), want public", v, err)
	}
	if err := st.SetSessionVisibility(ctx, "s1", proto.VisibilityInternal); err != nil {
		t.Fatal(err)
	}
	if v, _ := st.SessionVisibility(ctx, "s1"); v != proto.VisibilityInternal {
		t.Fatalf("visibility %q after setting internal", v)
	}
	// UpdateSession replaces the session's row but not who may see its records.
	s.Status = proto.StatusClosed
	if err := st.UpdateSession(ctx, &s, nil); err != nil {
		t.Fatal(err)
	}
	if v, _ := st.SessionVisibility(ctx, "s1"); v != proto.VisibilityInternal {
		t.Fatalf("visibility %q after an update of the session", v)
	}
	if err := st.SetSessionVisibility(ctx, "nope", proto.VisibilityPublic); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown session: %v", err)
	}
	if err := st.SetSessionVisibility(ctx, "s1", "secret"); err == nil {
		t.Fatal("an unknown visibility was stored")
	}

	a := Screenshot{ID: "b", SessionID: "s1", UserID: u.ID, TakenBy: "tina", TakenAt: t0.Add(2 * time.Second), Width: 640, Height: 480, Size: 1234, Marked: true}
	b := Screenshot{ID: "a", SessionID: "s1", TakenBy: "api:ci", TakenAt: t0.Add(time.Second), Width: 8, Height: 8, Size: 99}
	for _, sh := range []*Screenshot{&a, &b} {
		if err := st.AddScreenshot(ctx, sh); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.AddScreenshot(ctx, &a); !errors.Is(err, ErrExists) {
		t.Fatalf("same ID twice: %v", err)
	}
	if err := st.AddScreenshot(ctx, &Screenshot{ID: "c", SessionID: "nope", TakenAt: t0}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown session: %v", err)
	}
	list, err := st.Screenshots(ctx, "s1")
	if err != nil || len(list) != 2 || list[0] != b || list[1] != a {
		t.Fatalf("list (oldest first) %+v %v", list, err)
	}
	if got, err := st.ScreenshotByID(ctx, "b"); err != nil || got != a {
		t.Fatalf("by ID %+v %v", got, err)
	}
	if _, err := st.ScreenshotByID(ctx, "zz"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown ID: %v", err)
	}

	for i := range 2 {
		if err := st.AddRecordsLink(ctx, "s1", []byte{byte(i)}, t0, 2); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.AddRecordsLink(ctx, "s1", []byte{9}, t0, 2); !errors.Is(err, ErrLimit) {
		t.Fatalf("third link of at most 2: %v", err)
	}
	if err := st.AddRecordsLink(ctx, "nope", []byte{8}, t0, 2); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown session: %v", err)
	}
	if id, err := st.RecordsLinkSession(ctx, []byte{1}); err != nil || id != "s1" {
		t.Fatalf("link: %q %v", id, err)
	}
	if _, err := st.RecordsLinkSession(ctx, []byte{9}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown link: %v", err)
	}
}
