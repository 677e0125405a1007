package client_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"net/http"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/store"
)

// The console's screenshot calls against a real relay over pinned TLS:
// a PNG kept with a session the admin owns comes back listed and byte
// for byte; a body that is not a PNG is refused with the relay's
// sentence; the visibility switches.
func TestScreenshotsAgainstARealRelay(t *testing.T) {
	r := startRelay(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	login := signInAdmin(t, ctx, r)
	admin, err := r.Store().UserByName(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	s := store.Session{ID: "c0ffee", Kind: proto.KindCode, Status: proto.StatusClosed, OwnerID: admin.ID, CreatedAt: now, StartedAt: now, EndedAt: now}
	if err := r.Store().CreateSession(ctx, &s, store.StatusEvent{SessionID: s.ID, At: now, Status: s.Status, Actor: "admin"}); err != nil {
		t.Fatal(err)
	}
	a := adminFor(t, login)
	var buf bytes.Buffer
	png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 40, 30)))

	sh, err := a.UploadScreenshot(ctx, s.ID, buf.Bytes(), true)
	if err != nil || sh.TakenBy != "admin" || sh.Width != 40 || !sh.Marked {
		t.Fatalf("upload: %+v %v", sh, err)
	}
	_, err = a.UploadScreenshot(ctx, s.ID, []byte("GIF89a"), false)
	refusal(t, "not a PNG", err, http.StatusBadRequest, "The screenshot is not a PNG image.")
	rec, err := a.SessionRecords(ctx, s.ID)
	if err != nil || len(rec.Screenshots) != 1 || rec.Screenshots[0].ID != sh.ID || rec.Visibility != "public" || !rec.MayChange {
		t.Fatalf("records: %+v %v", rec, err)
	}
	got, err := a.Screenshot(ctx, sh.ID)
	if err != nil || !bytes.Equal(got, buf.Bytes()) {
		t.Fatalf("download: %d bytes, %v", len(got), err)
	}
	if rec, err := a.SetVisibility(ctx, s.ID, proto.VisibilityInternal); err != nil || rec.Visibility != "internal" {
		t.Fatalf("set internal: %+v %v", rec, err)
	}
}
