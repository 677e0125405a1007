package ui

// Playing a session's recording: History lists a session's recordings,
// each with a Play button that downloads the WebM into the console's cache
// ($XDG_CACHE_HOME/relaydesk, progress on the status line) and opens a
// player window: the picture scaled to fit, Play/Pause, a position slider
// to drag, the time and the speed.

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/console/client"
	"github.com/relaydesk/relaydesk/console/playback"
	"github.com/relaydesk/relaydesk/pkg/filexfer"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// RecordingDownloads is the part of the admin API that fetches a
// recording; progress hears the bytes so far and the total (-1: unknown).
type RecordingDownloads interface {
	DownloadRecording(ctx context.Context, id string, w io.Writer, progress func(done, total int64)) (int64, error)
}

// The program's admin client fits.
var _ RecordingDownloads = (*client.Admin)(nil)

// recordingDownloads is the admin API's download, nil when there is none.
func (c *Console) recordingDownloads() RecordingDownloads {
	if c.adm == nil {
		return nil
	}
	d, _ := c.adm.api.(RecordingDownloads)
	return d
}

// RecordingRow is a recording as a list shows it.
func RecordingRow(r proto.Recording) string {
	s := fmt.Sprintf("%s, %s", playback.Clock(r.Duration), filexfer.Bytes(r.Bytes))
	if !r.Started.IsZero() {
		s = r.Started.Local().Format("15:04") + "  " + s
	}
	if r.AskedBy != "" {
		s += ", asked by " + r.AskedBy
	}
	return s
}

// recordingList is a VBox of a session's recordings, each with Play.
func (c *Console) recordingList(box *fyne.Container, recs []proto.Recording, status *widget.Label, opened func(*playerWindow)) {
	box.RemoveAll()
	for _, r := range recs {
		play := widget.NewButtonWithIcon("Play", theme.MediaPlayIcon(), func() { c.playRecording(r, status, opened) })
		box.Add(container.NewBorder(nil, nil, widget.NewLabel("Recording "+RecordingRow(r)), play))
	}
	box.Refresh()
}

// recordingPath is where recording id is kept once downloaded.
func recordingPath(id string) (string, error) {
	if id == "" || strings.ContainsFunc(id, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) {
		return "", fmt.Errorf("the recording's ID %q cannot name a file", id)
	}
	dir, err := os.UserCacheDir() // $XDG_CACHE_HOME, else ~/.cache
	if err != nil {
		return "", fmt.Errorf("find the cache folder: %w", err)
	}
	dir = filepath.Join(dir, "relaydesk")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("make the cache folder: %w", err)
	}
	return filepath.Join(dir, "recording-"+id+".webm"), nil
}

// playRecording downloads r (unless the cache holds it whole), says the
// progress on status and opens a player window (opened hears it, may be
// nil).
func (c *Console) playRecording(r proto.Recording, status *widget.Label, opened func(*playerWindow)) {
	dl := c.recordingDownloads()
	if dl == nil {
		status.Importance = widget.DangerImportance
		status.SetText("This console cannot download recordings.")
		return
	}
	a := c.adm
	status.Importance = widget.MediumImportance
	status.SetText("Downloading recording " + r.ID + "…")
	c.wg.Go(func() {
		rec, err := fetchRecording(a.ctx, dl, r.ID, func(text string) { c.do(func() { status.SetText(text) }) })
		c.do(func() {
			if err == nil {
				var w *playerWindow
				if w, err = c.openPlayer(a.ctx, rec, "Recording "+r.ID); err == nil {
					status.SetText("")
					if opened != nil {
						opened(w)
					}
					return
				}
			}
			status.Importance = widget.DangerImportance
			status.SetText(recordingSentence(a, r.ID, err))
		})
	})
}

// recordingSentence says why a recording does not play.
func recordingSentence(a *adminUI, id string, err error) string {
	var ae *client.AdminError
	for _, e := range []error{playback.ErrNotWebM, playback.ErrNoVideo, playback.ErrTruncated, playback.ErrNoFrames,
		playback.ErrTooLarge, playback.ErrNoKeyframes} {
		if errors.Is(err, e) {
			return "Recording " + id + " does not play: " + strings.TrimPrefix(e.Error(), "playback: ") + "."
		}
	}
	if errors.As(err, &ae) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return a.sentence(err)
	}
	return "Recording " + id + " does not play: " + err.Error() + "."
}

// fetchRecording opens recording id from the cache, downloading it first
// when the cache does not hold it whole; say hears the progress.
func fetchRecording(ctx context.Context, dl RecordingDownloads, id string, say func(string)) (*playback.Recording, error) {
	path, err := recordingPath(id)
	if err != nil {
		return nil, err
	}
	if rec, err := playback.Open(path); err == nil {
		return rec, nil // downloaded before
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".recording-"+id+"-*.part")
	if err != nil {
		return nil, fmt.Errorf("write into the cache folder: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename: nothing there any more
	var last time.Time
	_, err = dl.DownloadRecording(ctx, id, tmp, func(done, total int64) {
		if time.Since(last) < 200*time.Millisecond && done != total {
			return
		}
		last = time.Now()
		text := "Downloading recording " + id + ": " + filexfer.Bytes(done)
		if total > 0 {
			text += " of " + filexfer.Bytes(total)
		}
		say(text + "…")
	})
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return nil, fmt.Errorf("download recording %s: %w", id, err)
	}
	return playback.Open(path)
}

// playerWindow plays one recording; closing it (or the end of the
// context it was opened with) stops its goroutines, which the console's
// wait group owns.
type playerWindow struct {
	c       *Console
	win     fyne.Window
	p       *playback.Player
	pic     *canvas.Image
	slider  *widget.Slider
	clock   *widget.Label
	play    *widget.Button
	speed   *widget.Select
	status  *widget.Label
	setting bool               // the slider is being set from the player, not dragged
	seekTo  chan time.Duration // the latest position the slider asks for
	closed  bool               // the window was closed
	done    chan struct{}      // closed when the goroutines ended
}

// speedNames are playback.Speeds as the speed choice shows them.
var speedNames = []string{"0.5×", "1×", "2×", "4×"}

// openPlayer opens a player window on rec, showing its first picture.
func (c *Console) openPlayer(ctx context.Context, rec *playback.Recording, title string) (*playerWindow, error) {
	w := &playerWindow{c: c, seekTo: make(chan time.Duration, 1), done: make(chan struct{}), status: widget.NewLabel("")}
	p, err := playback.NewPlayer(rec, playback.Options{OnFrame: w.frame, OnTick: w.tick})
	if err != nil {
		return nil, err
	}
	w.p = p
	w.pic = canvas.NewImageFromImage(image.NewRGBA(image.Rect(0, 0, max(rec.Width, 1), max(rec.Height, 1))))
	w.pic.FillMode = canvas.ImageFillContain
	w.pic.SetMinSize(fyne.NewSize(480, 270))
	w.slider = widget.NewSlider(0, rec.Duration.Seconds())
	w.slider.Step = 0.1
	w.slider.OnChanged = w.drag
	w.clock = widget.NewLabel(w.clockText(0))
	w.play = widget.NewButtonWithIcon("Play", theme.MediaPlayIcon(), w.toggle)
	w.speed = widget.NewSelect(speedNames, w.setSpeed)
	w.speed.SetSelected("1×")
	controls := container.NewBorder(nil, nil, w.play, container.NewHBox(w.clock, w.speed), w.slider)
	w.win = c.app.NewWindow(title)
	w.win.SetContent(container.NewBorder(nil, container.NewVBox(controls, w.status), nil, nil, w.pic))
	w.win.Resize(fyne.NewSize(960, 600))
	ctx, cancel := context.WithCancel(ctx)
	w.win.SetOnClosed(func() {
		w.closed = true
		cancel()
	})
	seeking := make(chan struct{})
	c.wg.Go(func() {
		defer close(seeking)
		w.seeker(ctx)
	})
	c.wg.Go(func() {
		defer close(w.done)
		err := p.Run(ctx)
		<-ctx.Done() // a failed frame leaves the window open with the sentence
		<-seeking
		p.Close()
		c.do(func() {
			if err != nil {
				w.status.Importance = widget.DangerImportance
				w.status.SetText(strings.TrimPrefix(err.Error(), "playback: ") + ".")
			}
			if !w.closed {
				w.closed = true
				w.win.Close() // signed out or the console shuts down
			}
		})
	})
	w.seek(0)
	w.win.Show()
	return w, nil
}

// seeker carries out the slider's seeks off the UI goroutine, the latest
// one only.
func (w *playerWindow) seeker(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case to := <-w.seekTo:
			if err := w.p.Seek(to); err != nil {
				w.c.do(func() { w.status.SetText(strings.TrimPrefix(err.Error(), "playback: ") + ".") })
			}
		}
	}
}

// seek asks the seeker for to, replacing a seek still waiting (only the
// UI goroutine sends, so this never blocks).
func (w *playerWindow) seek(to time.Duration) {
	select {
	case <-w.seekTo:
	default:
	}
	w.seekTo <- to
}

func (w *playerWindow) clockText(at time.Duration) string {
	return playback.Clock(at) + " / " + playback.Clock(w.p.Recording().Duration)
}

// drag seeks to where the slider was moved.
func (w *playerWindow) drag(v float64) {
	if w.setting {
		return
	}
	at := time.Duration(v * float64(time.Second))
	w.clock.SetText(w.clockText(at))
	w.seek(at)
}

// frame shows a decoded picture (on the player's goroutines).
func (w *playerWindow) frame(img *image.RGBA, at time.Duration) {
	cp := &image.RGBA{Pix: append([]byte(nil), img.Pix...), Stride: img.Stride, Rect: img.Rect}
	w.c.do(func() {
		w.pic.Image = cp
		w.pic.Refresh()
		w.showPosition(at)
	})
}

// tick follows the position while playing.
func (w *playerWindow) tick(at time.Duration, playing bool) {
	w.c.do(func() {
		w.showPosition(at)
		if !playing {
			w.showPlaying(false)
		}
	})
}

func (w *playerWindow) showPosition(at time.Duration) {
	w.setting = true
	w.slider.SetValue(at.Seconds())
	w.setting = false
	w.clock.SetText(w.clockText(at))
}

func (w *playerWindow) showPlaying(playing bool) {
	if playing {
		w.play.SetText("Pause")
		w.play.SetIcon(theme.MediaPauseIcon())
		return
	}
	w.play.SetText("Play")
	w.play.SetIcon(theme.MediaPlayIcon())
}

// toggle plays or pauses.
func (w *playerWindow) toggle() {
	if w.p.Playing() {
		w.p.Pause()
		w.showPlaying(false)
		return
	}
	w.p.Play()
	w.showPlaying(true)
}

func (w *playerWindow) setSpeed(name string) {
	for i, n := range speedNames {
		if n == name {
			if err := w.p.SetSpeed(playback.Speeds[i]); err != nil {
				w.status.SetText(err.Error())
			}
		}
	}
}
