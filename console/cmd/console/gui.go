package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/console/client"
	"github.com/relaydesk/relaydesk/console/remote"
	"github.com/relaydesk/relaydesk/console/ui"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// URLScheme is the scheme ITSM tools use to open a session in the console:
// sosconsole://connect/CODE or sosconsole://session/ID.
const URLScheme = "sosconsole"

// parseOpenURL reads a sosconsole:// URL into a connect target.
func parseOpenURL(raw string) (proto.Connect, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Scheme != URLScheme {
		return proto.Connect{}, fmt.Errorf("%q is not a %s:// link; expected %s://connect/CODE", raw, URLScheme, URLScheme)
	}
	arg := strings.Trim(u.Opaque+u.Path, "/")
	switch u.Host {
	case "connect":
		code := strings.NewReplacer(" ", "", "-", "", "%20", "").Replace(arg)
		if len(code) != 9 || strings.Trim(code, "0123456789") != "" {
			return proto.Connect{}, fmt.Errorf("the session code in %q must have 9 digits", raw)
		}
		return proto.Connect{Code: code}, nil
	case "session":
		if arg == "" || strings.ContainsAny(arg, "/?#") {
			return proto.Connect{}, fmt.Errorf("no session ID in %q", raw)
		}
		return proto.Connect{SessionID: arg}, nil
	}
	return proto.Connect{}, fmt.Errorf("%q: expected %s://connect/CODE or %s://session/ID", raw, URLScheme, URLScheme)
}

// confirmOpen asks the technician whether to connect to t, which came from
// a link or the command line (a web page can open sosconsole:// links), and
// calls connect only on Connect.
func confirmOpen(win fyne.Window, t proto.Connect, connect func(proto.Connect)) *dialog.ConfirmDialog {
	what := "the session " + t.SessionID
	if t.Code != "" {
		what = "the session with code " + ui.GroupCode(t.Code)
	}
	msg := widget.NewLabel(fmt.Sprintf("A link asks the console to connect to %s. Connect only if you expected it: a web page can open such links.", what))
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm("Connect to this session?", "Connect", "Cancel", msg, func(ok bool) {
		if ok {
			connect(t)
		}
	}, win)
	d.Resize(fyne.NewSize(420, 200))
	d.Show()
	return d
}

// dataDir is where the console keeps screenshots: $XDG_DATA_HOME/relaydesk
// or ~/.local/share/relaydesk.
func dataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "relaydesk")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "relaydesk")
	}
	return filepath.Join(os.TempDir(), "relaydesk")
}

// cmdGUI runs the desktop console, optionally straight into a session.
func cmdGUI(ctx context.Context, args []string, target *proto.Connect) int {
	if spec := os.Getenv(benchFeedEnv); spec != "" {
		return runBenchFeed(spec) // test only: see benchFeedEnv
	}
	fs := flag.NewFlagSet("console", flag.ContinueOnError)
	code := fs.String("connect", "", "open straight into the session with this `code` (a sosconsole:// link asks first)")
	sessionID := fs.String("session", "", "open straight into the Ready session with this `ID`")
	turnOnly := fs.Bool("turn-only", false, "receive screens only through the relay's TURN server (troubleshooting)")
	turnTCP := fs.Bool("turn-tcp", false, "reach the relay's TURN server over TCP only")
	stats := fs.Bool("stats", false, "print each session's stream figures (received and shown fps) every second")
	verbose := fs.Bool("v", false, "log details to standard error")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "Unexpected %q.\n%s", fs.Arg(0), usage)
		return 2
	}
	fromURL := target != nil // console open URL
	switch {
	case strings.HasPrefix(*code, URLScheme+":"):
		t, err := parseOpenURL(*code)
		if err != nil {
			fmt.Fprintf(os.Stderr, "Cannot open %s.\n", strings.TrimSuffix(err.Error(), "."))
			return 2
		}
		target, fromURL = &t, true
	case *code != "":
		t, err := parseOpenURL(URLScheme + "://connect/" + *code)
		if err != nil {
			fmt.Fprintln(os.Stderr, "The session code must have 9 digits.")
			return 2
		}
		target = &t
	case *sessionID != "":
		target = &proto.Connect{SessionID: *sessionID}
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	known, err := client.LoadKnownRelays("")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	a := app.NewWithID("io.relaydesk.console")
	be := &ui.Live{TurnOnly: *turnOnly, TurnTCP: *turnTCP, Logger: log}
	opts := ui.Options{
		DataDir:   dataDir(),
		Known:     known,
		SaveLogin: func(l client.Login) error { return l.Save() },
		Logger:    log,
		// History and Administration talk to the relay's admin API over
		// HTTPS, pinned to the same relay key as the sign-in.
		Admin: func(l client.Login) (ui.Admin, error) { return client.NewAdmin(l) },
	}
	if *stats {
		opts.StatsLog = func(title string, r remote.Report, shown float64) {
			fmt.Fprintf(os.Stderr, "Screen %s: %.1f fps received, %.1f fps shown, %.0f kbit/s, round trip %s, %s.\n",
				title, r.FPS, shown, r.Kbps, r.RTT, r.Path)
		}
		opts.OnSessionEnded = func(text string) { fmt.Fprintln(os.Stderr, text) }
	}
	c := ui.New(a, be, opts)
	l, err := client.LoadLogin()
	switch {
	case err == nil:
		c.ShowQueue(l)
	case errors.Is(err, client.ErrNoLogin):
		c.ShowSignIn(l.Relay, l.User, "")
	default:
		c.ShowSignIn("", "", err.Error())
	}
	switch {
	case fromURL:
		// A web page can open a sosconsole:// link: the technician decides.
		confirmOpen(c.Window(), *target, c.Connect)
	case target != nil: // typed on the command line
		c.Connect(*target)
	}
	// Ctrl+C or SIGTERM quits like closing the window.
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case <-ctx.Done():
			fyne.Do(c.Quit)
		case <-quit:
		}
	})
	c.Window().ShowAndRun()
	close(quit)
	wg.Wait()
	c.Shutdown()
	be.Wait()
	return 0
}
