package ui

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/console/playback/playbacktest"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// fakeDownloads serves one recording's bytes in pieces, with progress.
type fakeDownloads struct {
	*fakeAdmin
	mu        sync.Mutex
	webm      []byte
	downloads int
	progress  []int64
}

func (f *fakeDownloads) DownloadRecording(_ context.Context, id string, w io.Writer, progress func(done, total int64)) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.downloads++
	var n int64
	for piece := range slicesOf(f.webm, 4096) {
		m, err := w.Write(piece)
		n += int64(m)
		if err != nil {
			return n, err
		}
		f.progress = append(f.progress, n)
		progress(n, int64(len(f.webm)))
	}
	return n, nil
}

func slicesOf(b []byte, size int) func(func([]byte) bool) {
	return func(yield func([]byte) bool) {
		for len(b) > 0 {
			n := min(size, len(b))
			if !yield(b[:n]) {
				return
			}
			b = b[n:]
		}
	}
}

// History lists a session's recording with Play; Play downloads it into
// the cache and opens a player window that shows its first picture; the
// slider seeks; Play plays to the end; closing the window ends its
// goroutines; a second Play reads the cache.
func TestHistoryPlaysARecording(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	webm, err := os.ReadFile(playbacktest.WebM(t))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	s1 := proto.SessionInfo{ID: "s1", Status: proto.StatusClosed, Kind: proto.KindCode, CreatedAt: at}
	rec := proto.Recording{ID: "r1", SessionID: "s1", Started: at, Duration: playbacktest.Duration, Bytes: int64(len(webm)), AskedBy: "tina"}
	fa := &fakeAdmin{perms: allPerms(), details: map[string]proto.SessionDetails{"s1": {Session: s1, Recordings: []proto.Recording{rec}}}}
	fd := &fakeDownloads{fakeAdmin: fa, webm: webm}
	c := signedInWithAPI(t, fa, fd)
	test.Tap(c.adm.history)
	h := c.adm.hist
	h.Open("s1")
	eventually(t, "the recording's row", func() bool { return len(h.plays.Objects) == 1 })
	var play *widget.Button
	var label *widget.Label
	for _, o := range h.plays.Objects[0].(*fyne.Container).Objects {
		switch o := o.(type) {
		case *widget.Button:
			play = o
		case *widget.Label:
			label = o
		}
	}
	if play == nil || label == nil || label.Text != "Recording "+RecordingRow(rec) || !strings.Contains(label.Text, "0:02, ") ||
		!strings.HasSuffix(label.Text, "asked by tina") {
		t.Fatalf("the row: %v %v", label, play)
	}
	test.Tap(play)
	eventually(t, "the player window", func() bool { return h.player != nil })
	w := h.player
	cached := filepath.Join(cache, "relaydesk", "recording-r1.webm")
	if got, err := os.ReadFile(cached); err != nil || !bytes.Equal(got, webm) {
		t.Fatalf("the cache file: %d bytes, %v; want %d", len(got), err, len(webm))
	}
	fd.mu.Lock()
	if last := fd.progress[len(fd.progress)-1]; len(fd.progress) < 2 || last != int64(len(webm)) {
		t.Fatalf("progress %v", fd.progress)
	}
	fd.mu.Unlock()
	eventually(t, "the first picture", func() bool { return playbacktest.FrameOf(w.pic.Image) == 0 })
	if w.clock.Text != "0:00 / 0:02" || w.win.Title() != "Recording r1" {
		t.Fatalf("clock %q, title %q", w.clock.Text, w.win.Title())
	}
	// Dragging the slider seeks.
	w.slider.SetValue(1.2)
	eventually(t, "the picture at 1.2 s", func() bool { return playbacktest.FrameOf(w.pic.Image) == 12 })
	if w.clock.Text != "0:01 / 0:02" || w.p.Position() != 1200*time.Millisecond {
		t.Fatalf("after the seek: clock %q, position %v", w.clock.Text, w.p.Position())
	}
	// Play at 4x runs to the end and stops there.
	w.speed.SetSelected("4×")
	test.Tap(w.play)
	if w.play.Text != "Pause" || !w.p.Playing() || w.p.Speed() != 4 {
		t.Fatalf("after Play: button %q, playing %v, speed %g", w.play.Text, w.p.Playing(), w.p.Speed())
	}
	eventually(t, "the end", func() bool {
		return w.play.Text == "Play" && playbacktest.FrameOf(w.pic.Image) == playbacktest.Frames-1 && w.slider.Value == playbacktest.Duration.Seconds()
	})
	// Closing the window ends the player's goroutines.
	w.win.Close()
	select {
	case <-w.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the player goroutine did not end after the window closed")
	}
	// Play again: from the cache, no second download.
	h.player = nil
	test.Tap(play)
	eventually(t, "the second player window", func() bool { return h.player != nil })
	fd.mu.Lock()
	defer fd.mu.Unlock()
	if fd.downloads != 1 {
		t.Fatalf("%d downloads, want 1 (the second Play reads the cache)", fd.downloads)
	}
}

// A file that is not a recording is refused with a sentence on the
// status line, and no window opens.
func TestPlayRefusesABadRecording(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	at := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	rec := proto.Recording{ID: "r2", SessionID: "s1", Started: at, Duration: time.Second, Bytes: 20}
	fa := &fakeAdmin{perms: allPerms()}
	c := signedInWithAPI(t, fa, &fakeDownloads{fakeAdmin: fa, webm: []byte("not a video, just text")})
	status := widget.NewLabel("")
	opened := false
	c.playRecording(rec, status, func(*playerWindow) { opened = true })
	eventually(t, "the refusal", func() bool { return strings.HasPrefix(status.Text, "Recording r2 does not play") })
	if status.Text != "Recording r2 does not play: the file is not a WebM recording." || opened {
		t.Fatalf("status %q, opened %v", status.Text, opened)
	}
}
