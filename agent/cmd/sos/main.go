// Command sos is the end user's support app: it shows a session code (or
// joins a support link), asks before anyone connects, and keeps the session
// until either side ends it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"github.com/pion/webrtc/v4"

	"github.com/relaydesk/relaydesk/agent/capture"
	"github.com/relaydesk/relaydesk/agent/clipboard"
	"github.com/relaydesk/relaydesk/agent/device"
	"github.com/relaydesk/relaydesk/agent/files"
	"github.com/relaydesk/relaydesk/agent/input"
	"github.com/relaydesk/relaydesk/agent/overlay"
	"github.com/relaydesk/relaydesk/agent/session"
	"github.com/relaydesk/relaydesk/agent/share"
	"github.com/relaydesk/relaydesk/agent/terminal"
	sosui "github.com/relaydesk/relaydesk/agent/ui"
	"github.com/relaydesk/relaydesk/pkg/download"
	"github.com/relaydesk/relaydesk/pkg/filexfer"
	"github.com/relaydesk/relaydesk/pkg/locale"
	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/rtc"
	"github.com/relaydesk/relaydesk/pkg/transport"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// A release build carries the relay(s) it may talk to, set at build time:
//
//	-ldflags "-X main.releaseRelays=relay.example.com -X main.releaseKey=sha256:<hex>"
//
// releaseRelays lists host names or addresses, separated by commas. Empty
// in dev builds: the app then shows the relay's host and asks once.
var releaseRelays, releaseKey string

func main() {
	os.Exit(run())
}

func run() int {
	prepareProcess()
	fs := flag.NewFlagSet("sos", flag.ContinueOnError)
	relay := fs.String("relay", "", "relay address `host:port`")
	fp := fs.String("fingerprint", "", "the relay's key fingerprint, `sha256:<hex>`")
	link := fs.String("link", "", "support link `URL` sent by the technician")
	call := fs.String("call", "", "SOS Call: the channel page's `TOKEN` or address (https://HOST:PORT/c/TOKEN#sha256:…); the request waits in the channel's queue")
	noGUI := fs.Bool("no-gui", false, "use the terminal instead of a window")
	turnOnly := fs.Bool("turn-only", false, "send the screen only through the relay's TURN server (troubleshooting)")
	turnTCP := fs.Bool("turn-tcp", false, "reach the relay's TURN server over TCP only (networks that block UDP)")
	maxFPS := fs.Int("max-fps", 30, "frame rate ceiling")
	maxKbps := fs.Int("max-kbps", 8000, "bitrate ceiling in kbit/s")
	askRating := fs.Bool("ask-rating", false, "with --no-gui: ask for a rating after the session even when standard input is not a terminal")
	verbose := fs.Bool("v", false, "log details to standard error")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return 2
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	cfg := session.Config{Relay: *relay, Fingerprint: *fp, Logger: log, Pin: download.ParsePin(releaseRelays, releaseKey), Language: locale.Default()}
	// Details the end user typed on the command line need no confirmation
	// (a release build still refuses a relay it was not built for).
	cfg.Confirmed = *relay != "" || *fp != "" || *link != "" || *call != ""
	if *link != "" && *call != "" {
		fmt.Fprintln(os.Stderr, "Give either --link or --call, not both.")
		return 2
	}
	// Downloaded from a relay's page, the file name carries everything.
	if *relay == "" && *fp == "" && *link == "" && *call == "" {
		for _, name := range []string{executable(), os.Args[0]} {
			if t, err := download.ParseFileName(name); err == nil {
				cfg.Relay, cfg.Fingerprint, cfg.LinkToken, cfg.ChannelToken = t.Addr(), t.Fingerprint, t.Token, t.Channel
				break
			}
		}
	}
	if *call != "" {
		t, err := callTarget(*call, *fp)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		cfg.ChannelToken = t.Channel
		if t.Fingerprint != "" {
			cfg.Fingerprint = t.Fingerprint
		}
		if cfg.Relay == "" && t.Host != "" {
			cfg.Relay = t.Addr()
		}
	}
	if *link != "" {
		t, err := linkTarget(*link, *fp)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		cfg.LinkToken, cfg.Fingerprint = t.Token, t.Fingerprint
		if cfg.Relay == "" {
			cfg.Relay = t.Addr()
		}
	}
	gui := !*noGUI && (runtime.GOOS != "linux" || os.Getenv("DISPLAY") != "")
	// Without details the window asks for them; the terminal cannot.
	if !gui && (cfg.Relay == "" || cfg.Fingerprint == "") {
		fmt.Fprintln(os.Stderr, "This app does not know which support server to use: download it again from your technician's link, or give --link with the connection details the download page shows (https://HOST:PORT/s/TOKEN#sha256:…), or --call with those of an SOS Call page (https://HOST:PORT/c/TOKEN#sha256:…), or --relay HOST:PORT and --fingerprint sha256:<hex>.")
		return 2
	}
	if *maxFPS < 1 || *maxFPS > 60 || *maxKbps < 200 || *maxKbps > 100000 {
		fmt.Fprintln(os.Stderr, "--max-fps must be 1 to 60 and --max-kbps 200 to 100000.")
		return 2
	}
	if cfg.Fingerprint != "" {
		if _, err := transport.ParseFingerprint(cfg.Fingerprint); err != nil {
			fmt.Fprintln(os.Stderr, transport.Describe(err, cfg.Relay))
			return 2
		}
	}
	if !*noGUI && !gui {
		fmt.Fprintln(os.Stderr, "There is no display for the SOS window; using the terminal.")
	}
	cfg.Device = device.Describe(version)
	cfg.Device.NoCtrlAltDel = input.CtrlAltDelBlocked()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Screen sharing: one capture and encoder for every technician.
	var ag *session.Agent
	var sh *share.Sharer
	var wg sync.WaitGroup
	ov := overlay.New(overlay.Config{Logger: log}) // the technician's drawing; connects on first use
	defer ov.Close()                               // after wg.Wait: the sharer clears it when it stops
	defer wg.Wait()
	// File transfer: incoming files go to the Downloads folder.
	var fileSvc *files.Service
	if dir, err := filexfer.DownloadDir(); err != nil {
		log.Warn("file transfer unavailable", "err", err)
	} else {
		fileSvc = files.New(files.Config{Dir: dir, Logger: log,
			Report: func(ctx context.Context, r proto.FileReport) error { return ag.ReportFile(ctx, r) },
			Upload: func(ctx context.Context, name string, size int64) (proto.FileOffer, error) {
				return ag.UploadFile(ctx, name, size)
			},
		})
		defer fileSvc.Close()
	}
	if src, err := capture.Open(log); err != nil {
		fmt.Fprintf(os.Stderr, "Screen sharing is not available here (%v); the session works without it.\n", err)
	} else {
		var clip clipboard.Clipboard
		if c, err := clipboard.OpenSystem(); err != nil {
			log.Warn("clipboard transfer unavailable", "err", err)
		} else {
			clip = c
		}
		var attachFiles func(int64, *webrtc.DataChannel)
		if fileSvc != nil {
			attachFiles, cfg.Files = fileSvc.Attach, fileSvc
		}
		sh, err = share.New(share.Config{
			Files:     attachFiles,
			Clipboard: clip,
			Source:    src,
			Injector:  input.Robotgo{},
			Overlay:   ov,
			RelayOnly: *turnOnly,
			MaxFPS:    *maxFPS,
			Bitrate:   *maxKbps,
			Signal:    func(peer int64, kind string, payload []byte) error { return ag.Signal(peer, kind, payload) },
			Logger:    log,
		})
		if err != nil {
			src.Close()
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		shareCtx, stopShare := context.WithCancel(context.Background())
		defer stopShare()
		wg.Go(func() {
			defer src.Close()
			if err := sh.Run(shareCtx); err != nil && !errors.Is(err, context.Canceled) {
				log.Error("screen sharing stopped", "err", err)
			}
		})
		cfg.Media, cfg.OnSignal = sh, sh.OnSignal
		cfg.OnICE = func(ice []proto.ICEServer) {
			if *turnTCP {
				ice = rtc.OnlyTransport(ice, "tcp")
			}
			sh.SetICEServers(ice)
		}
	}
	var err error
	if gui {
		err = runWindow(ctx, stop, cfg, sh, &wg, log, &ag, fileSvc)
	} else {
		err = runTerminal(ctx, cfg, sh, &wg, log, &ag, *askRating, fileSvc)
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, context.Canceled):
		fmt.Println("Session ended.")
		return 0
	case errors.Is(err, session.ErrNoTarget):
		fmt.Fprintln(os.Stderr, "No connection details were given.")
		return 1
	}
	fmt.Fprintln(os.Stderr, ag.Explain(err))
	return 1
}

func executable() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	return exe
}

// linkTarget reads --link: the connection line of the download page, or a
// support link whose fingerprint is given with --fingerprint.
func linkTarget(link, fp string) (download.Target, error) {
	t, err := download.ParseConnection(link)
	if errors.Is(err, download.ErrNoFingerprint) && fp != "" {
		t, err = download.ParseConnection(link + "#" + fp)
	}
	switch {
	case errors.Is(err, download.ErrNoFingerprint):
		return t, fmt.Errorf("%q lacks the support server's key: give --fingerprint sha256:<hex>, or the whole line the download page shows (…#sha256:…)", link)
	case err != nil || t.Token == "":
		return t, fmt.Errorf("%q is not a support link; it should look like https://relay.example.com:4433/s/<token>", link)
	}
	return t, nil
}

// callTarget reads --call: an SOS Call page's connection line, its address
// with --fingerprint, or the bare token (with --relay and --fingerprint).
func callTarget(call, fp string) (download.Target, error) {
	if !strings.Contains(call, "/") {
		if download.ValidToken(call) {
			return download.Target{Channel: call}, nil
		}
		return download.Target{}, fmt.Errorf("%q is not an SOS Call page's token", call)
	}
	t, err := download.ParseConnection(call)
	if errors.Is(err, download.ErrNoFingerprint) && fp != "" {
		t, err = download.ParseConnection(call + "#" + fp)
	}
	switch {
	case errors.Is(err, download.ErrNoFingerprint):
		return t, fmt.Errorf("%q lacks the support server's key: give --fingerprint sha256:<hex>, or the whole line the page shows (…#sha256:…)", call)
	case err != nil || t.Channel == "":
		return t, fmt.Errorf("%q is not an SOS Call page; it should look like https://relay.example.com:4433/c/<token>", call)
	}
	return t, nil
}

// chatSender sends the end user's chat messages on goroutines wg owns and
// reports a failure with failed.
func chatSender(ctx context.Context, ag *session.Agent, wg *sync.WaitGroup, failed func(text, why string)) func(string) {
	return func(text string) {
		wg.Go(func() {
			if err := ag.Chat(ctx, text); err != nil {
				failed(text, ag.Explain(err))
			}
		})
	}
}

// runTerminal runs the session in the terminal; after a session a
// technician joined it asks for a rating when asked to (or on a terminal).
func runTerminal(ctx context.Context, cfg session.Config, sh *share.Sharer, wg *sync.WaitGroup, log *slog.Logger, ag **session.Agent, askRating bool, fileSvc *files.Service) error {
	term := terminal.New(os.Stdin, os.Stdout)
	cfg.UI = term
	if fileSvc != nil {
		fileSvc.SetUI(term)
	}
	*ag = session.New(cfg)
	if err := (*ag).CheckRelay(ctx, term.ConfirmRelay); err != nil {
		return err
	}
	chat := chatSender(ctx, *ag, wg, func(_, why string) { term.Say("Your message was not sent: %s", why) })
	if sh != nil {
		var shown atomic.Bool
		sh.OnDrawing(func(n int) {
			if n > 0 && !shown.Swap(true) {
				term.Say("A technician is drawing on your screen. Type /clear to remove the drawing.")
			} else if n == 0 {
				shown.Store(false)
			}
		})
		send := chat
		chat = func(text string) {
			if strings.TrimSpace(text) == "/clear" {
				wg.Go(sh.ClearDrawing)
				return
			}
			send(text)
		}
	}
	term.SetChat(chat)
	term.SetStopRecording(func() {
		wg.Go(func() {
			if err := (*ag).StopRecording(ctx); err != nil {
				term.Say("The recording was not stopped: %s", (*ag).Explain(err))
			}
		})
	})
	err := (*ag).Run(ctx)
	term.SetChat(nil)
	if sh != nil {
		sh.SessionEnded() // nothing drawn stays on the screen
	}
	if err == nil && term.HadTechnician() {
		if link, lerr := (*ag).RecordsLink(ctx); lerr == nil {
			term.RecordsLink(link)
		} else {
			log.Warn("no link to the session's records", "err", lerr)
		}
	}
	if err == nil && term.HadTechnician() && (askRating || isTerminal(os.Stdin)) {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Minute) // the relay's rating window
		defer cancel()
		term.Rate(rctx, func(stars int, comment string) error {
			if err := (*ag).Rate(rctx, stars, comment); err != nil {
				return errors.New((*ag).Explain(err))
			}
			return nil
		})
	}
	return err
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// runWindow runs the session behind the SOS window until the end user
// closes it. Fyne wants the main goroutine; the session runs beside it.
// End session ends the session and keeps the window for the rating (when
// a technician had joined); closing the window ends everything.
func runWindow(ctx context.Context, stop func(), cfg session.Config, sh *share.Sharer, wg *sync.WaitGroup, log *slog.Logger, ag **session.Agent, fileSvc *files.Service) error {
	a := app.NewWithID("dev.relaydesk.sos")
	sessCtx, endSession := context.WithCancel(ctx)
	defer endSession()
	var over, closing atomic.Bool
	var win *sosui.Window
	var chatSend func(string) // set below, before the window can be used
	win = sosui.New(a, sosui.Actions{
		End: func() {
			if over.Load() {
				a.Quit()
				return
			}
			endSession()
		},
		Close: func() {
			closing.Store(true)
			if over.Load() {
				a.Quit()
				return
			}
			endSession()
		},
		Chat: func(text string) { chatSend(text) },
		ClearDrawing: func() {
			if sh != nil {
				wg.Go(sh.ClearDrawing) // the X round trips stay off the UI goroutine
			}
		},
		CancelFile: func(id string) {
			if fileSvc != nil {
				fileSvc.Cancel(id)
			}
		},
		SendFile: func(path string) {
			if fileSvc == nil {
				win.Status("This app cannot send files here (it found no Downloads folder).")
				return
			}
			wg.Go(func() {
				if err := fileSvc.Upload(ctx, path); errors.Is(err, transport.ErrClosed) {
					win.Status("The file was not sent: " + (*ag).Explain(err))
				} else if err != nil {
					win.Status("The file was not sent: " + err.Error())
				}
			})
		},
		StopRecording: func() {
			wg.Go(func() {
				if err := (*ag).StopRecording(ctx); err != nil {
					log.Warn("recording not stopped", "err", err)
					win.Recording(proto.RecordState{On: true}) // the mark stays, its button works again
					win.Status("The recording was not stopped: " + (*ag).Explain(err))
				}
			})
		},
		Rate: func(stars int, comment string) {
			wg.Go(func() {
				err := (*ag).Rate(ctx, stars, comment)
				if err != nil {
					log.Warn("rating not sent", "err", err)
					win.Rated(false, (*ag).Explain(err))
					return
				}
				win.Rated(true, "")
			})
		},
	})
	cfg.UI = win
	if sh != nil {
		sh.OnDrawing(win.Drawing)
	}
	if fileSvc != nil {
		fileSvc.SetUI(win)
	}
	*ag = session.New(cfg)
	chatSend = chatSender(ctx, *ag, wg, win.ChatFailed)
	result := make(chan error, 1)
	go func() { // owned: main waits on result below
		err := (*ag).Serve(sessCtx, win)
		over.Store(true)
		if sh != nil {
			sh.SessionEnded() // nothing drawn stays on the screen
		}
		if win.OffersRating() { // the rating step: and the link to the session's screenshots
			wg.Go(func() {
				if link, err := (*ag).RecordsLink(ctx); err == nil {
					win.RecordsLink(link)
				} else {
					log.Warn("no link to the session's records", "err", err)
				}
			})
		}
		result <- err
		// Stay to show how it ended and for the rating; leave when the end
		// user closed the window, pressed Ctrl+C, gave up before the
		// session started, or ended a session there is nothing to rate for.
		endedHere := errors.Is(err, context.Canceled) && ctx.Err() == nil
		if ctx.Err() != nil || closing.Load() || (err != nil && !(endedHere && win.OffersRating())) {
			fyne.Do(a.Quit)
		}
	}()
	win.Show()
	a.Run()
	stop() // the window is gone: end the session if it still runs
	return <-result
}
