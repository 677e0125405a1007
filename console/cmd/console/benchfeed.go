package main

import (
	"context"
	"fmt"
	"image"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/relaydesk/relaydesk/console/client"
	"github.com/relaydesk/relaydesk/console/remote"
	"github.com/relaydesk/relaydesk/console/ui"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// benchFeedEnv, test only (console/cmd/consolebench sets it), turns the
// desktop console into a benchmark target: instead of reaching a relay it
// opens the real window with the queue and one session tab, and feeds that
// session synthetic decoded frames. The value is WxH@FPS/WARMUP/DURATION,
// e.g. 1920x1080@30/1s/10s. It prints on standard output
//
//	bench-feed start received=R painted=P
//	bench-feed end received=R painted=P fed=F seconds=S
//
// when the measured DURATION begins (after WARMUP) and ends, then quits.
const benchFeedEnv = "RELAYDESK_BENCH_FEED"

type benchFeed struct {
	w, h, fps        int
	warmup, duration time.Duration
	counts           func() (received, painted int64) // UI goroutine
	quit             func()
	wg               sync.WaitGroup
}

func parseBenchFeed(spec string) (*benchFeed, error) {
	f := &benchFeed{}
	var warmup, dur string
	parts := strings.Split(spec, "/")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%s=%q: want WxH@FPS/WARMUP/DURATION", benchFeedEnv, spec)
	}
	warmup, dur = parts[1], parts[2]
	_, err := fmt.Sscanf(parts[0], "%dx%d@%d", &f.w, &f.h, &f.fps)
	if err == nil {
		f.warmup, err = time.ParseDuration(warmup)
	}
	if err == nil {
		f.duration, err = time.ParseDuration(dur)
	}
	if err != nil || f.w <= 0 || f.h <= 0 || f.fps <= 0 || f.duration <= 0 {
		return nil, fmt.Errorf("%s=%q: want WxH@FPS/WARMUP/DURATION", benchFeedEnv, spec)
	}
	return f, nil
}

// runBenchFeed runs the console's window on its own display with a fed
// session until the feed ends.
func runBenchFeed(spec string) int {
	f, err := parseBenchFeed(spec)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	a := app.NewWithID("io.relaydesk.console.benchfeed") // leaves the console's preferences alone
	dir, _ := os.MkdirTemp("", "consolebench-")
	defer os.RemoveAll(dir)
	c := ui.New(a, f, ui.Options{DataDir: dir, Known: &client.KnownRelays{}, Logger: slog.Default()})
	f.counts, f.quit = c.FrameCounts, a.Quit
	c.Window().Resize(fyne.NewSize(float32(f.w), float32(f.h)))
	c.ShowQueue(client.Login{Relay: "bench.invalid:443", User: "bench", Role: "technician"})
	c.Connect(proto.Connect{Code: "123456789"})
	c.Window().ShowAndRun()
	c.Shutdown()
	f.wg.Wait()
	return 0
}

// scrollingImage is a test picture twice the frame's height whose lower
// half repeats the upper: any h consecutive rows make a frame, so frames
// that scroll through it cost nothing to make. Colour bands, a diagonal
// gradient and dark "text" strokes, so every frame differs everywhere.
func scrollingImage(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, 2*h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			o := img.PixOffset(x, y)
			r, g, b := uint8(x*255/w), uint8(y*255/h), uint8((x+y)/4)
			if (y/24)%4 == 1 && (y%12 < 9) && (x%7 == 3 || y%12 == 5) {
				r, g, b = 20, 20, 20
			}
			img.Pix[o], img.Pix[o+1], img.Pix[o+2], img.Pix[o+3] = r, g, b, 0xff
		}
	}
	copy(img.Pix[h*img.Stride:], img.Pix[:h*img.Stride])
	return img
}

// feed hands v a frame every 1/fps s, each scrolled 8 rows further, the way
// remote.Viewer hands it decoded frames in a real session. At the end of
// the run it ends the session and quits the app (true); it returns false
// if the session was ended first.
func (f *benchFeed) feed(ctx context.Context, v ui.SessionView) bool {
	src := scrollingImage(f.w, f.h)
	v.Connected(proto.Connected{Session: proto.SessionInfo{ID: "bench", CustomerName: "Synthetic 1080p feed"}})
	snapshot := func() (r, p int64) {
		fyne.DoAndWait(func() { r, p = f.counts() })
		return r, p
	}
	tick := time.NewTicker(time.Second / time.Duration(f.fps))
	defer tick.Stop()
	t0 := time.Now()
	var start time.Time
	var fed int64
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
		now := time.Now()
		if start.IsZero() && now.Sub(t0) >= f.warmup {
			r, p := snapshot()
			start, fed = time.Now(), 0
			fmt.Printf("bench-feed start received=%d painted=%d\n", r, p)
		}
		if !start.IsZero() && now.Sub(start) >= f.duration {
			r, p := snapshot()
			fmt.Printf("bench-feed end received=%d painted=%d fed=%d seconds=%.3f\n", r, p, fed, time.Since(start).Seconds())
			v.Ended(nil)
			time.Sleep(500 * time.Millisecond) // the bench reads RSS now
			fyne.Do(f.quit)
			return true
		}
		off := (i * 8) % f.h
		v.Frame(&image.RGBA{Pix: src.Pix[off*src.Stride : (off+f.h)*src.Stride], Stride: src.Stride, Rect: image.Rect(0, 0, f.w, f.h)})
		fed++
	}
}

// The ui.Backend of the feed: no relay; the one session is the feed.

func (f *benchFeed) Probe(context.Context, string) (string, error) { return "", errNoRelay }
func (f *benchFeed) SignIn(context.Context, string, string, string, string) (client.Login, error) {
	return client.Login{}, errNoRelay
}
func (f *benchFeed) SignOut(context.Context, client.Login) error { return nil }
func (f *benchFeed) Watch(ctx context.Context, _ client.Login, h client.QueueHandler) error {
	h.Snapshot(nil)
	<-ctx.Done()
	return ctx.Err()
}
func (f *benchFeed) CreateLink(context.Context, client.Login, string, time.Duration) (proto.LinkCreated, error) {
	return proto.LinkCreated{}, errNoRelay
}
func (f *benchFeed) Open(_ client.Login, _ proto.Connect, v ui.SessionView) ui.Remote {
	ctx, cancel := context.WithCancel(context.Background())
	f.wg.Go(func() {
		if !f.feed(ctx, v) {
			v.Ended(nil) // the technician ended it
		}
	})
	return &benchRemote{cancel: cancel, fps: float64(f.fps)}
}

var errNoRelay = fmt.Errorf("the console runs a frame feed (%s): there is no relay", benchFeedEnv)

type benchRemote struct {
	cancel context.CancelFunc
	fps    float64
}

func (r *benchRemote) SendInput(proto.Input) error { return nil }
func (r *benchRemote) SendClipboard(string) error  { return nil }
func (r *benchRemote) ShowDisplay(int) error       { return nil }
func (r *benchRemote) SetViewOnly(bool) error      { return nil }
func (r *benchRemote) Chat(string) error           { return nil }
func (r *benchRemote) Sample() remote.Report {
	return remote.Report{FPS: r.fps, Path: "synthetic feed"}
}
func (r *benchRemote) End() { r.cancel() }
