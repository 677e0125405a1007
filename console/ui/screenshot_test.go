package ui

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/relaydesk/relaydesk/console/markup"
	"github.com/relaydesk/relaydesk/pkg/adminapi"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// fakeRecords is the admin API with the screenshot calls.
type fakeRecords struct {
	*fakeAdmin
	mu         sync.Mutex
	uploads    [][]byte
	marked     []bool
	uploadErr  error
	visibility string
	mayChange  bool
	setErr     error
	shots      []adminapi.Screenshot
}

func (f *fakeRecords) UploadScreenshot(_ context.Context, id string, data []byte, marked bool) (adminapi.Screenshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.uploadErr != nil {
		return adminapi.Screenshot{}, f.uploadErr
	}
	f.uploads, f.marked = append(f.uploads, data), append(f.marked, marked)
	return adminapi.Screenshot{ID: "SHOT", SessionID: id}, nil
}

func (f *fakeRecords) SessionRecords(_ context.Context, id string) (adminapi.Records, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return adminapi.Records{SessionID: id, Visibility: f.visibility, MayChange: f.mayChange, Screenshots: f.shots}, nil
}

func (f *fakeRecords) SetVisibility(_ context.Context, id string, v proto.Visibility) (adminapi.Records, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.setErr != nil {
		return adminapi.Records{}, f.setErr
	}
	f.visibility = string(v)
	return adminapi.Records{SessionID: id, Visibility: f.visibility, MayChange: f.mayChange}, nil
}

func (f *fakeRecords) locked(fn func()) { f.mu.Lock(); defer f.mu.Unlock(); fn() }

// recordsSession opens a session tab with a 200×100 grey screen on a
// console whose admin API keeps screenshots.
func recordsSession(t *testing.T, fr *fakeRecords) *sessionTab {
	t.Helper()
	c := signedInWithAPI(t, fr.fakeAdmin, fr)
	c.Connect(proto.Connect{Code: "123456789"})
	tab := c.sessions[0]
	tab.Connected(proto.Connected{Session: proto.SessionInfo{ID: "s1", Status: "Active"}})
	img := image.NewRGBA(image.Rect(0, 0, 200, 100))
	for i := 0; i < len(img.Pix); i += 4 {
		copy(img.Pix[i:], []byte{0x80, 0x80, 0x80, 0xff})
	}
	tab.Frame(img)
	testLoop.run()
	return tab
}

// A screenshot marked up with an arrow dragged across the picture is
// uploaded as a PNG with the arrow where it was dragged (the editor maps
// the drag from the fitted picture to image pixels) and marked as marked
// up; Undo takes a mark back.
func TestScreenshotMarkedUpAndKept(t *testing.T) {
	fr := &fakeRecords{fakeAdmin: &fakeAdmin{perms: allPerms(proto.PermScreenshot)}, visibility: "public"}
	tab := recordsSession(t, fr)
	test.Tap(tab.shot)
	e := tab.editor
	// Shown at twice its size: a drag from (40,100) to (300,100) is the
	// image's (20,50) to (150,50).
	e.surface.Resize(fyne.NewSize(400, 200))
	e.tools.SetSelected("Rectangle")
	e.surface.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(60, 60)}, Dragged: fyne.NewDelta(20, 20)})
	e.surface.DragEnd()
	test.Tap(e.undo)
	if len(e.shapes) != 0 {
		t.Fatalf("undo left %d shapes", len(e.shapes))
	}
	e.tools.SetSelected("Arrow")
	e.surface.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(200, 100)}, Dragged: fyne.NewDelta(160, 0)})
	e.surface.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(300, 100)}, Dragged: fyne.NewDelta(260, 0)})
	e.surface.DragEnd()
	e.addText(markup.Point{X: 10, Y: 70}, "  here  ", true)
	e.addText(markup.Point{X: 10, Y: 10}, "", true) // nothing typed: no text
	if len(e.shapes) != 2 || e.shapes[0].Tool != markup.Arrow || e.shapes[0].Points[0] != (markup.Point{X: 20, Y: 50}) ||
		e.shapes[0].Points[1] != (markup.Point{X: 150, Y: 50}) || e.shapes[1].Text != "here" {
		t.Fatalf("shapes %+v", e.shapes)
	}
	test.Tap(e.save)
	eventually(t, "the upload", func() bool {
		n := 0
		fr.locked(func() { n = len(fr.uploads) })
		return n == 1
	})
	var data []byte
	fr.locked(func() { data = fr.uploads[0] })
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	red := markup.Colours[0].Colour
	if r, g, b, _ := img.At(100, 50).RGBA(); uint8(r>>8) != red.R || uint8(g>>8) != red.G || uint8(b>>8) != red.B {
		t.Fatalf("the arrow's shaft at (100,50) is %v", img.At(100, 50))
	}
	if r, _, _, _ := img.At(100, 20).RGBA(); uint8(r>>8) != 0x80 {
		t.Fatalf("(100,20), off the marks, is %v", img.At(100, 20))
	}
	if !fr.marked[0] || !strings.Contains(tab.status.Text, "kept with the session") || len(tab.shots) != 0 {
		t.Fatalf("marked %v, status %q, local copies %v", fr.marked, tab.status.Text, tab.shots)
	}

	// The relay refuses: the screenshot stays on this computer and the status says why.
	fr.locked(func() { fr.uploadErr = errors.New("You may not take screenshots.") })
	test.Tap(tab.shot)
	test.Tap(tab.editor.save)
	eventually(t, "the local copy", func() bool { tab.mu.Lock(); defer tab.mu.Unlock(); return len(tab.shots) == 1 })
	if !strings.Contains(tab.status.Text, "the relay did not keep it: You may not take screenshots") {
		t.Fatalf("status %q", tab.status.Text)
	}
}

// The session view's switch shows the relay's visibility, is enabled only
// when the relay says the technician may change it, and goes back when
// the relay refuses.
func TestRecordsToggle(t *testing.T) {
	fr := &fakeRecords{fakeAdmin: &fakeAdmin{perms: allPerms()}, visibility: "internal"}
	tab := recordsSession(t, fr)
	eventually(t, "the visibility", func() bool { return tab.visibility.check.Checked })
	if !tab.visibility.check.Disabled() {
		t.Fatal("enabled for a technician who may not change it")
	}

	fr = &fakeRecords{fakeAdmin: &fakeAdmin{perms: allPerms()}, visibility: "public", mayChange: true}
	tab = recordsSession(t, fr)
	eventually(t, "the switch enabled", func() bool { return !tab.visibility.check.Disabled() })
	tab.visibility.check.SetChecked(true)
	eventually(t, "internal", func() bool {
		v := ""
		fr.locked(func() { v = fr.visibility })
		return v == "internal" && !tab.visibility.check.Disabled()
	})
	if !strings.Contains(tab.status.Text, "internal") {
		t.Fatalf("status %q", tab.status.Text)
	}
	fr.locked(func() {
		fr.setErr = errors.New("Only the session's owner or a manager of its channel may change who sees its records.")
	})
	tab.visibility.check.SetChecked(false)
	eventually(t, "the switch back", func() bool { return tab.visibility.check.Checked && !tab.visibility.check.Disabled() })
	if !strings.Contains(tab.status.Text, "did not change: Only the session's owner") {
		t.Fatalf("status %q", tab.status.Text)
	}
}

// History shows a session's screenshots with who took them beside its
// record, and the switch there sets the visibility.
func TestHistoryShowsScreenshotsAndVisibility(t *testing.T) {
	at := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	s1 := proto.SessionInfo{ID: "s1", Status: proto.StatusClosed, Kind: proto.KindCode, CreatedAt: at}
	fa := &fakeAdmin{perms: allPerms(), details: map[string]proto.SessionDetails{"s1": {Session: s1}}}
	fr := &fakeRecords{fakeAdmin: fa, visibility: "public", mayChange: true}
	fr.shots = []adminapi.Screenshot{{ID: "SHOT1", SessionID: "s1", TakenBy: "tina", TakenAt: at, Width: 1920, Height: 1080, Marked: true}}
	c := signedInWithAPI(t, fa, fr)
	test.Tap(c.adm.history)
	h := c.adm.hist
	h.Open("s1")
	eventually(t, "the screenshots", func() bool { return strings.Contains(h.recs.list.Text, "SHOT1") })
	if !strings.Contains(h.recs.list.Text, "by tina  1920x1080, marked up") || h.recs.check.Checked || h.recs.check.Disabled() {
		t.Fatalf("list %q, internal %v, disabled %v", h.recs.list.Text, h.recs.check.Checked, h.recs.check.Disabled())
	}
	h.recs.check.SetChecked(true)
	eventually(t, "internal", func() bool {
		v := ""
		fr.locked(func() { v = fr.visibility })
		return v == "internal"
	})
}
