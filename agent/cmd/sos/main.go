// Command sos is the end user's support app: it shows a session code (or
// joins a support link), asks before anyone connects, and keeps the session
// until either side ends it.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
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

	"github.com/relaydesk/relaydesk/agent/capture"
	"github.com/relaydesk/relaydesk/agent/clipboard"
	"github.com/relaydesk/relaydesk/agent/device"
	"github.com/relaydesk/relaydesk/agent/input"
	"github.com/relaydesk/relaydesk/agent/session"
	"github.com/relaydesk/relaydesk/agent/share"
	sosui "github.com/relaydesk/relaydesk/agent/ui"
	"github.com/relaydesk/relaydesk/pkg/download"
	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/rtc"
	"github.com/relaydesk/relaydesk/pkg/transport"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run())
}

func run() int {
	fs := flag.NewFlagSet("sos", flag.ContinueOnError)
	relay := fs.String("relay", "", "relay address `host:port`")
	fp := fs.String("fingerprint", "", "the relay's key fingerprint, `sha256:<hex>`")
	link := fs.String("link", "", "support link `URL` sent by the technician")
	noGUI := fs.Bool("no-gui", false, "use the terminal instead of a window")
	turnOnly := fs.Bool("turn-only", false, "send the screen only through the relay's TURN server (troubleshooting)")
	turnTCP := fs.Bool("turn-tcp", false, "reach the relay's TURN server over TCP only (networks that block UDP)")
	maxFPS := fs.Int("max-fps", 30, "frame rate ceiling")
	maxKbps := fs.Int("max-kbps", 8000, "bitrate ceiling in kbit/s")
	verbose := fs.Bool("v", false, "log details to standard error")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return 2
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	cfg := session.Config{Relay: *relay, Fingerprint: *fp, Logger: log}
	// Downloaded from a relay's page, the file name carries everything.
	if *relay == "" && *fp == "" && *link == "" {
		if exe, err := os.Executable(); err == nil {
			if t, err := download.ParseFileName(exe); err == nil {
				cfg.Relay, cfg.Fingerprint, cfg.LinkToken = t.Addr(), t.Fingerprint, t.Token
			}
		}
		if t, err := download.ParseFileName(os.Args[0]); cfg.Relay == "" && err == nil {
			cfg.Relay, cfg.Fingerprint, cfg.LinkToken = t.Addr(), t.Fingerprint, t.Token
		}
	}
	if *link != "" {
		addr, tok, err := parseLink(*link)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		if cfg.Relay == "" {
			cfg.Relay = addr
		}
		cfg.LinkToken = tok
	}
	if cfg.Relay == "" || cfg.Fingerprint == "" {
		fmt.Fprintln(os.Stderr, "This app does not know which support server to use: download it again from your technician's link, or give --relay HOST:PORT and --fingerprint sha256:<hex>.")
		return 2
	}
	if *maxFPS < 1 || *maxFPS > 60 || *maxKbps < 200 || *maxKbps > 100000 {
		fmt.Fprintln(os.Stderr, "--max-fps must be 1 to 60 and --max-kbps 200 to 100000.")
		return 2
	}
	if _, err := transport.ParseFingerprint(cfg.Fingerprint); err != nil {
		fmt.Fprintln(os.Stderr, transport.Describe(err, cfg.Relay))
		return 2
	}
	gui := !*noGUI && (runtime.GOOS != "linux" || os.Getenv("DISPLAY") != "")
	if !*noGUI && !gui {
		fmt.Fprintln(os.Stderr, "There is no display for the SOS window; using the terminal.")
	}
	cfg.Device = device.Describe(version)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Screen sharing: one capture and encoder for every technician.
	var ag *session.Agent
	var sh *share.Sharer
	var wg sync.WaitGroup
	defer wg.Wait()
	if src, err := capture.Open(); err != nil {
		fmt.Fprintf(os.Stderr, "Screen sharing is not available here (%v); the session works without it.\n", err)
	} else {
		var clip clipboard.Clipboard
		if c, err := clipboard.OpenSystem(); err != nil {
			log.Warn("clipboard transfer unavailable", "err", err)
		} else {
			clip = c
		}
		sh, err = share.New(share.Config{
			Clipboard: clip,
			Source:    src,
			Injector:  input.Robotgo{},
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
		cfg.OnSignal = sh.OnSignal
		cfg.OnICE = func(ice []proto.ICEServer) {
			if *turnTCP {
				ice = rtc.OnlyTransport(ice, "tcp")
			}
			sh.SetICEServers(ice)
		}
	}
	var err error
	if gui {
		err = runWindow(ctx, stop, cfg, sh, &wg, log, &ag)
	} else {
		cfg.UI = &mediaUI{UI: newTerminal(os.Stdin, os.Stdout), sh: sh, wg: &wg, log: log}
		ag = session.New(cfg)
		err = ag.Run(ctx)
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, context.Canceled):
		fmt.Println("Session ended.")
		return 0
	}
	fmt.Fprintln(os.Stderr, transport.Describe(err, cfg.Relay))
	return 1
}

// runWindow runs the session behind the SOS window until the end user
// closes it. Fyne wants the main goroutine; the session runs beside it.
func runWindow(ctx context.Context, stop func(), cfg session.Config, sh *share.Sharer, wg *sync.WaitGroup, log *slog.Logger, ag **session.Agent) error {
	a := app.NewWithID("dev.relaydesk.sos")
	var over atomic.Bool
	win := sosui.New(a, func() {
		if over.Load() {
			a.Quit()
			return
		}
		stop() // the end user ends the session
	})
	cfg.UI = &mediaUI{UI: win, sh: sh, wg: wg, log: log}
	*ag = session.New(cfg)
	result := make(chan error, 1)
	go func() { // owned: main waits on result below
		err := (*ag).Run(ctx)
		over.Store(true)
		result <- err
		switch {
		case ctx.Err() != nil:
			fyne.Do(a.Quit) // ended from the window: nothing more to show
		case err != nil:
			win.Status(transport.Describe(err, cfg.Relay))
		}
	}()
	win.Show()
	a.Run()
	stop() // the window is gone: end the session if it still runs
	return <-result
}

// mediaUI starts and stops a technician's screen stream as they join and leave.
type mediaUI struct {
	session.UI
	sh  *share.Sharer
	wg  *sync.WaitGroup
	log *slog.Logger
}

func (u *mediaUI) Joined(p proto.Peer) {
	u.UI.Joined(p)
	if u.sh == nil {
		return
	}
	u.wg.Go(func() {
		if err := u.sh.Join(p.ID); err != nil {
			u.log.Error("start screen stream", "peer", p.Name, "err", err)
		}
	})
}

func (u *mediaUI) Left(p proto.Peer, reason string) {
	u.UI.Left(p, reason)
	if u.sh != nil {
		u.sh.Leave(p.ID)
	}
}

// parseLink takes https://HOST:PORT/s/<token> apart.
func parseLink(s string) (addr, tok string, err error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err == nil && u.Host != "" {
		if t, ok := strings.CutPrefix(u.Path, "/s/"); ok && t != "" && !strings.Contains(t, "/") {
			return u.Host, t, nil
		}
	}
	return "", "", fmt.Errorf("%q is not a support link; it should look like https://relay.example.com:4433/s/<token>", s)
}

// terminal is the --no-gui UI: lines on stdout, answers on stdin.
type terminal struct {
	out   io.Writer
	mu    sync.Mutex
	lines chan string
}

func newTerminal(in io.Reader, out io.Writer) *terminal {
	t := &terminal{out: out, lines: make(chan string)}
	// Reads stdin for the life of the process; it cannot be interrupted, and
	// it owns nothing but the channel it feeds.
	go func() {
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			t.lines <- sc.Text()
		}
		close(t.lines)
	}()
	return t
}

func (t *terminal) say(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.out, format+"\n", args...)
}

func (t *terminal) Code(code string, expires time.Time) {
	t.say("Session code: %s %s %s", code[0:3], code[3:6], code[6:9])
	t.say("Read this code to your technician. It is valid until %s.", expires.Local().Format("15:04"))
}

func (t *terminal) Waiting(technician string) {
	if technician == "" {
		technician = "your technician"
	}
	t.say("Waiting for %s to connect.", technician)
}

func (t *terminal) Status(text string) { t.say("%s", text) }

func (t *terminal) Consent(ctx context.Context, req proto.ConsentRequest) bool {
	who := req.Technician
	if req.Organisation != "" {
		who += " (" + req.Organisation + ")"
	}
	// A line typed after an earlier question was withdrawn must not answer this one.
	for drained := false; !drained; {
		select {
		case <-t.lines:
		default:
			drained = true
		}
	}
	t.say("%s wants to view and control this computer. Allow? [y/N]", who)
	select {
	case line, ok := <-t.lines:
		a := strings.ToLower(strings.TrimSpace(line))
		allow := ok && (a == "y" || a == "yes")
		if allow {
			t.say("You allowed %s to connect.", req.Technician)
		} else {
			t.say("You declined.")
		}
		return allow
	case <-ctx.Done():
		t.say("The request to connect was withdrawn.")
		return false
	}
}

func (t *terminal) Joined(p proto.Peer) { t.say("%s is now connected to this computer.", p.Name) }

func (t *terminal) Left(p proto.Peer, reason string) {
	t.say("%s left the session (%s).", p.Name, reason)
}

func (t *terminal) Ended(e proto.SessionEnded) {
	if e.Reason != "" {
		t.say("Session ended by %s: %s.", e.By, e.Reason)
		return
	}
	t.say("Session ended by %s.", e.By)
}
