// Command console is the technician's console: with no command (or
// --connect CODE, or open sosconsole://connect/CODE) the desktop app, else
// the headless commands login, queue, link create, connect, session and
// the service desk's (pick, transfer, invite, accept, decline, note,
// classify, history, availability, channels, technicians, notices).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/relaydesk/relaydesk/console/client"
	"github.com/relaydesk/relaydesk/console/remote"
	"github.com/relaydesk/relaydesk/console/script"
	"github.com/relaydesk/relaydesk/pkg/filexfer"
	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/rtc"
	"github.com/relaydesk/relaydesk/pkg/transport"
)

const usage = `usage:
  console [--connect CODE | --session ID]          the desktop console (Fyne)
  console open sosconsole://connect/CODE           the desktop console, straight into that session
  console login --relay HOST:PORT --fingerprint sha256:<hex> --user NAME   (password on stdin)
  console logout                                   revoke the saved sign-in on the relay and forget it here
  console queue [--json] [--all] [--watch]
  console link create [--name NAME] [--expires 30m] [--channel NAME] [--category C] [--priority P]
                      [--ticket-system S --ticket KEY --ticket-url URL]
  console connect CODE | --session ID [--monitor] [--snapshot FILE.png] [--screenshot] [--input-script FILE] [--turn-only] [--record]
                  [--send FILE]... [--fetch PATH]... [--fetch-dir DIR]
  console session ID [--json] [--chat TEXT]        a session's details, chat, notes, history and recordings
  console recording get ID --out FILE.webm         download a recording of a session you may see
` + deskUsage + screenshotsUsage

func main() { os.Exit(run(os.Args[1:])) }

// fail prints err as one sentence and returns the exit code.
func fail(err error, relay string) int {
	if errors.Is(err, client.ErrNoLogin) {
		fmt.Fprintln(os.Stderr, "You are not signed in; run: console login --relay HOST:PORT --fingerprint sha256:<hex> --user NAME")
		return 1
	}
	var f *proto.Failure
	if errors.As(err, &f) && f.Code == proto.ErrUnauthenticated {
		fmt.Fprintln(os.Stderr, f.Message+" Run: console login")
		return 1
	}
	fmt.Fprintln(os.Stderr, transport.Describe(err, relay))
	return 1
}

func run(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && args[0] != "-h" && args[0] != "--help" {
		return cmdGUI(ctx, args, nil)
	}
	switch args[0] {
	case "open":
		if len(args) != 2 {
			fmt.Fprint(os.Stderr, usage)
			return 2
		}
		t, err := parseOpenURL(args[1])
		if err != nil {
			fmt.Fprintf(os.Stderr, "Cannot open %s.\n", strings.TrimSuffix(err.Error(), "."))
			return 2
		}
		return cmdGUI(ctx, nil, &t)
	case "login":
		return cmdLogin(ctx, args[1:])
	case "logout":
		return cmdLogout(ctx)
	case "queue":
		return cmdQueue(ctx, args[1:])
	case "link":
		if len(args) < 2 || args[1] != "create" {
			fmt.Fprint(os.Stderr, usage)
			return 2
		}
		return cmdLink(ctx, args[2:])
	case "connect":
		return cmdConnect(ctx, args[1:])
	case "session":
		return cmdSession(ctx, args[1:])
	case "pick":
		return cmdPick(ctx, args[1:])
	case "transfer":
		return cmdTransfer(ctx, args[1:])
	case "invite":
		return cmdInvite(ctx, args[1:])
	case "accept":
		return cmdAnswer(ctx, args[1:], true)
	case "decline":
		return cmdAnswer(ctx, args[1:], false)
	case "note":
		return cmdNote(ctx, args[1:])
	case "classify":
		return cmdClassify(ctx, args[1:])
	case "history":
		return cmdHistory(ctx, args[1:])
	case "availability":
		return cmdAvailability(ctx, args[1:])
	case "channels":
		return cmdChannels(ctx, args[1:])
	case "technicians":
		return cmdTechnicians(ctx, args[1:])
	case "notices":
		return cmdNotices(ctx, args[1:])
	case "control":
		return cmdControl(ctx, args[1:])
	case "screenshots":
		return cmdScreenshots(ctx, args[1:])
	case "visibility":
		return cmdVisibility(ctx, args[1:])
	case "recording":
		return cmdRecording(ctx, args[1:]) // record.go
	case "-h", "--help", "help":
		fmt.Print(usage)
		return 0
	}
	fmt.Fprintf(os.Stderr, "Unknown command %q.\n%s", args[0], usage)
	return 2
}

func cmdLogin(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("console login", flag.ContinueOnError)
	relay := fs.String("relay", "", "relay address `host:port`")
	fp := fs.String("fingerprint", "", "the relay's key fingerprint, `sha256:<hex>`")
	user := fs.String("user", "", "user `name`")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *relay == "" || *fp == "" || *user == "" {
		fmt.Fprintln(os.Stderr, "Give --relay, --fingerprint and --user; the password is read from standard input.")
		return 2
	}
	norm, err := transport.ParseFingerprint(*fp)
	if err != nil {
		return fail(err, *relay)
	}
	pw, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintln(os.Stderr, "Could not read the password from standard input.")
		return 1
	}
	pw = strings.TrimRight(pw, "\r\n")
	if pw == "" {
		fmt.Fprintln(os.Stderr, "No password on standard input.")
		return 2
	}
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, err := client.Dial(dctx, *relay, norm, nil)
	if err != nil {
		return fail(err, *relay)
	}
	defer c.Close()
	ok, err := c.Login(dctx, *user, pw)
	if err != nil {
		return fail(err, *relay)
	}
	l := client.Login{Relay: *relay, Fingerprint: norm, User: ok.User, Role: ok.Role, Token: ok.Token, ExpiresAt: ok.ExpiresAt}
	// The key given here is the one the desktop console trusts too.
	if known, err := client.LoadKnownRelays(""); err == nil {
		if err := known.Trust(*relay, norm); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	if err := l.Save(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("Signed in as %s (%s) until %s.\n", ok.User, ok.Role, ok.ExpiresAt.Local().Format("2006-01-02 15:04"))
	return 0
}

// cmdLogout forgets the saved sign-in on this computer and asks the relay
// to revoke it, so that a copy of the saved login is worthless.
func cmdLogout(ctx context.Context) int {
	l, err := client.LoadLogin()
	if errors.Is(err, client.ErrNoLogin) {
		fmt.Println("You are not signed in.")
		return 0
	}
	if err != nil {
		return fail(err, "")
	}
	old := l
	l.Token = ""
	if err := l.Save(); err != nil { // the relay and user name stay for the next sign-in
		return fail(err, "")
	}
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	c, err := old.Open(dctx, nil)
	if proto.CodeOf(err) == proto.ErrUnauthenticated || proto.CodeOf(err) == proto.ErrRevoked {
		fmt.Println("Signed out (the relay no longer took this sign-in).")
		return 0
	}
	if err == nil {
		defer c.Close()
		err = c.Logout(dctx)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "Signed out on this computer, but the relay could not be told (%s); the sign-in stays valid there until it expires.\n", transport.Describe(err, old.Relay))
		return 1
	}
	fmt.Printf("Signed out of %s; the relay revoked this sign-in.\n", old.Relay)
	return 0
}

// open connects with the saved login.
func open(ctx context.Context, onEvent func(proto.Envelope)) (*client.Conn, client.Login, int) {
	l, err := client.LoadLogin()
	if err != nil {
		return nil, l, fail(err, "")
	}
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	c, err := l.Open(dctx, onEvent)
	if err != nil {
		return nil, l, fail(err, l.Relay)
	}
	return c, l, 0
}

func cmdQueue(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("console queue", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	all := fs.Bool("all", false, "every session visible to you, not only yours")
	watch := fs.Bool("watch", false, "keep printing changes until interrupted")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	updates := make(chan proto.SessionInfo, 64)
	c, l, code := open(ctx, func(env proto.Envelope) {
		var u proto.QueueUpdate
		if env.Type == proto.TypeQueueUpdate && env.Decode(&u) == nil {
			select {
			case updates <- u.Session:
			default:
			}
		}
	})
	if c == nil {
		return code
	}
	defer c.Close()
	snap, err := c.Subscribe(ctx, *all)
	if err != nil {
		return fail(err, l.Relay)
	}
	printQueue(os.Stdout, snap.Sessions, *asJSON)
	if !*watch {
		return 0
	}
	enc := json.NewEncoder(os.Stdout)
	for {
		select {
		case <-ctx.Done():
			return 0
		case <-c.Done():
			return fail(c.Err(), l.Relay)
		case s := <-updates:
			if *asJSON {
				enc.Encode(s)
			} else {
				fmt.Fprintf(cleanWriter{os.Stdout}, "%s  %-8s %s\n", s.ID, s.Status, describe(s))
			}
		}
	}
}

func describe(s proto.SessionInfo) string {
	var parts []string
	if s.CustomerName != "" {
		parts = append(parts, s.CustomerName)
	}
	if d := s.Device; d != nil {
		parts = append(parts, strings.TrimSpace(d.OS+" "+d.OSVersion), d.Hostname, d.PublicIP)
	}
	return strings.Join(parts, ", ")
}

// printJSON writes v as indented JSON, as every --json output is.
func printJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func printQueue(w io.Writer, ss []proto.SessionInfo, asJSON bool) {
	if asJSON {
		printJSON(w, ss)
		return
	}
	if len(ss) == 0 {
		fmt.Fprintln(w, "The queue is empty.")
		return
	}
	sort.SliceStable(ss, func(i, j int) bool { return ss[i].CreatedAt.Before(ss[j].CreatedAt) })
	now := time.Now()
	waiting := column{"WAITING", false, func(s proto.SessionInfo) string {
		since := s.CreatedAt
		if !s.ReadyAt.IsZero() {
			since = s.ReadyAt
		}
		return now.Sub(since).Round(time.Second).String()
	}}
	printSessions(w, ss, []column{colSession, colStatus, waiting, colChannel, colOwner, colCategory, colPriority, colEndUser})
}

func cmdLink(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("console link create", flag.ContinueOnError)
	name := fs.String("name", "", "the end user's `name`, shown in the queue")
	expires := fs.Duration("expires", 0, "how long the link stays usable (default: the channel's, else the relay's, 24h)")
	channel := fs.String("channel", "", "put the request in this `channel`'s queue (default: your own)")
	category := fs.String("category", "", "the request's `category`")
	priority := fs.String("priority", "", "the request's `priority`")
	var tk proto.Ticket
	fs.StringVar(&tk.System, "ticket-system", "", "the ticketing `system` (e.g. Jira)")
	fs.StringVar(&tk.Key, "ticket", "", "the ticket's `key` (e.g. IT-1234)")
	fs.StringVar(&tk.URL, "ticket-url", "", "the ticket's `URL`")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	c, l, code := open(ctx, nil)
	if c == nil {
		return code
	}
	defer c.Close()
	link, err := c.CreateLink(ctx, proto.LinkCreate{CustomerName: *name, Expires: *expires, Channel: *channel,
		Category: *category, Priority: *priority, Ticket: tk})
	if err != nil {
		return fail(err, l.Relay)
	}
	fmt.Println(link.URL)
	fmt.Fprintf(os.Stderr, "Session %s is Waiting; the link expires at %s.\n", link.SessionID, link.ExpiresAt.Local().Format("2006-01-02 15:04"))
	return 0
}

// printer shows a session's progress on the terminal and feeds the screen
// viewer its signalling.
type printer struct {
	user     string // the technician signed in
	viewer   *remote.Viewer
	turnOnly bool
	turnTCP  bool
	wg       *sync.WaitGroup
	log      *slog.Logger
	// sessionID, when set, receives the session's ID once connected.
	sessionID *atomic.Value
	files     *client.Files // takes the files the end user sends
	// connected, if set, runs once connected (on the session's goroutine:
	// it must return at once).
	connected func()
}

func (printer) Stage(text string) { fmt.Println(text) }

func (p printer) Connected(c proto.Connected) {
	p.setICE(c.ICE)
	if p.sessionID != nil {
		p.sessionID.Store(c.Session.ID)
	}
	if c.Resumed {
		fmt.Printf("Resumed session %s.\n", c.Session.ID)
		return
	}
	fmt.Printf("Connected to session %s (status %s).\n", c.Session.ID, c.Session.Status)
	if slices.Contains(c.Session.Guests, p.user) && c.Session.Owner != "" {
		fmt.Fprintf(cleanWriter{os.Stdout}, "You joined %s's session as a guest.\n", c.Session.Owner)
	}
	if c.Granted.ViewOnly() {
		fmt.Println("The end user allowed view only: no mouse, keyboard or clipboard.")
	}
	if p.connected != nil {
		p.connected()
	}
}

// setICE gives the viewer the session's newest TURN credentials.
func (p printer) setICE(ice []proto.ICEServer) {
	if p.turnTCP {
		ice = rtc.OnlyTransport(ice, "tcp")
	}
	p.viewer.SetICE(ice, p.turnOnly)
}

func (p printer) Event(env proto.Envelope) {
	if ice, ok := client.RenewedICE(env); ok {
		p.setICE(ice)
	}
	switch env.Type {
	case proto.TypeSignal:
		var sig proto.Signal
		if env.Decode(&sig) == nil && p.viewer != nil {
			// Answering waits for ICE gathering: not on the reading goroutine.
			p.wg.Go(func() {
				if err := p.viewer.HandleSignal(sig); err != nil {
					p.log.Warn("signalling", "err", err)
				}
			})
		}
	case proto.TypeChat:
		printChat(os.Stdout, env)
	case proto.TypeFileOffer:
		var o proto.FileOffer
		if env.Decode(&o) == nil && p.files != nil {
			fmt.Fprintf(cleanWriter{os.Stdout}, "The end user sends %s (%s).\n", o.Name, filexfer.Bytes(o.Size))
			p.files.Offered(o, uploaded(os.Stdout))
		}
	case proto.TypeRecordState:
		if st, ok := client.RecordStateOf(env); ok {
			fmt.Fprintln(cleanWriter{os.Stdout}, client.RecordSentence(st))
		}
	case proto.TypeControlChanged:
		var cc proto.ControlChanged
		if env.Decode(&cc) == nil {
			who := cc.Controller.Name
			if who == "" {
				who = "nobody"
			}
			fmt.Fprintf(cleanWriter{os.Stdout}, "Control: %s has the mouse and keyboard.\n", who)
		}
	case proto.TypePeerState:
		var ps proto.PeerState
		if env.Decode(&ps) == nil && ps.Peer.ID == 0 {
			if ps.Online {
				fmt.Println("The end user's app is back.")
			} else {
				fmt.Println("The end user's app lost its connection; waiting for it to come back.")
			}
		}
	}
}

func cmdConnect(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("console connect", flag.ContinueOnError)
	sessionID := fs.String("session", "", "connect to a Ready session from the queue by `ID`")
	snapshot := fs.String("snapshot", "", "write the first screen image to this PNG `file` and end the session")
	keep := fs.Bool("screenshot", false, "keep the first screen image with the session on the relay (who took it, when) and end the session")
	scriptFile := fs.String("input-script", "", "replay the input actions in `file`, then end the session")
	monitor := fs.Bool("monitor", false, "with --session: watch a colleague's session as a supervisor, view only (managers)")
	turnOnly := fs.Bool("turn-only", false, "receive the screen only through the relay's TURN server (troubleshooting)")
	turnTCP := fs.Bool("turn-tcp", false, "reach the relay's TURN server over TCP only (networks that block UDP)")
	record := fs.Bool("record", false, "ask the end user to record the session once connected (the channel must allow it)")
	verbose := fs.Bool("v", false, "log details to standard error")
	var sends, fetches fileList
	fs.Var(&sends, "send", "send this local `file` to the end user's Downloads folder, then end the session (repeatable)")
	fs.Var(&fetches, "fetch", "copy the file at this `path` on the end user's computer, after their click, then end the session (repeatable)")
	fetchDir := fs.String("fetch-dir", ".", "`folder` for fetched files and those the end user sends")
	// Accept the code before or after the flags.
	var code string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		code, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if code == "" {
		code = strings.Join(fs.Args(), "")
	}
	if (code == "") == (*sessionID == "") {
		fmt.Fprintln(os.Stderr, "Give either a session code or --session ID.")
		return 2
	}
	if *monitor && *sessionID == "" {
		fmt.Fprintln(os.Stderr, "--monitor watches a session from the queue: give --session ID.")
		return 2
	}
	l, err := client.LoadLogin()
	if err != nil {
		return fail(err, "")
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	opts := client.SessionOptions{
		Login:  l,
		Target: proto.Connect{Code: code, SessionID: *sessionID, Monitor: *monitor},
		Logger: log,
	}
	var actions []script.Action
	if *scriptFile != "" {
		f, err := os.Open(*scriptFile)
		if err != nil {
			fmt.Fprintf(os.Stderr, "Could not read the input script: %v.\n", err)
			return 2
		}
		actions, err = script.Parse(f)
		f.Close()
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v.\n", *scriptFile, strings.TrimPrefix(err.Error(), "script: "))
			return 2
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var sess client.Session
	var wg sync.WaitGroup
	var snapErr error
	var once sync.Once
	screen := &lastFrame{first: make(chan struct{})}
	var connectedID atomic.Value // the session's ID once connected, for --screenshot
	var kept bool                // --screenshot: the screen is kept
	var viewer *remote.Viewer
	viewer = remote.NewViewer(sess.Signal, func(img *image.RGBA) {
		if actions != nil {
			screen.set(img)
		}
		if *snapshot == "" && !*keep {
			return
		}
		once.Do(func() {
			if *snapshot != "" {
				snapErr = writePNG(*snapshot, img)
				if snapErr == nil {
					fmt.Printf("Saved the screen (%dx%d) to %s.\n", img.Rect.Dx(), img.Rect.Dy(), *snapshot)
					fmt.Printf("Media path: %s.\n", viewer.Path())
				}
			}
			if *keep && snapErr == nil {
				id, _ := connectedID.Load().(string)
				if snapErr = keepScreenshot(ctx, l, id, img); snapErr == nil {
					kept = true
				}
			}
			cancel()
		})
	}, log)
	viewer.OnDrawState(func(st proto.DrawState) {
		if st.Code == 0 && st.Message != "" { // cleared by the end user or the app
			fmt.Println(st.Message)
		}
	})
	viewer.OnClipboard(func(text string) {
		if len(text) > 200 {
			text = text[:200] + "…"
		}
		fmt.Printf("The end user's clipboard: %q\n", text)
	})
	// The stream's figures, every few seconds while connected.
	statsEvery := 5 * time.Second
	if *verbose {
		statsEvery = time.Second
	}
	wg.Go(func() {
		t := time.NewTicker(statsEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if r := viewer.Sample(); r.Path != "" {
					fmt.Printf("Screen: %.0f fps, %.0f kbit/s, round trip %s, %s.\n", r.FPS, r.Kbps, r.RTT.Round(time.Millisecond/10), r.Path)
				}
			}
		}
	})
	var fileErr error
	fx := client.NewFiles(&sess, *fetchDir, progressLines(os.Stderr), log)
	viewer.OnFilesChannel(fx.Attach)
	if len(sends)+len(fetches) > 0 {
		wg.Go(func() {
			defer cancel()
			fileErr = runTransfers(ctx, fx, sends, fetches, os.Stdout, os.Stderr)
			// The relay records how each transfer ended before the session ends.
			settle, stop := context.WithTimeout(context.Background(), 5*time.Second)
			defer stop()
			fx.Settle(settle)
		})
	}
	var scriptErr error
	if actions != nil {
		wg.Go(func() {
			defer cancel()
			scriptErr = runScript(ctx, viewer, &sess, screen, actions)
		})
	}
	var onConnected func()
	if *record {
		var asked sync.Once
		onConnected = func() { asked.Do(func() { wg.Go(func() { askRecording(ctx, &sess) }) }) }
	}
	err = sess.Run(ctx, opts, printer{user: l.User, viewer: viewer, turnOnly: *turnOnly, turnTCP: *turnTCP, wg: &wg, log: log, sessionID: &connectedID, files: fx, connected: onConnected})
	cancel()
	viewer.Close()
	wg.Wait()
	fx.Close()
	if fileErr != nil {
		var ended *client.ErrEnded
		var left *client.ErrLeft
		switch {
		case errors.As(err, &ended):
			fmt.Println(ended.Error())
		case errors.As(err, &left):
			fmt.Fprintln(cleanWriter{os.Stdout}, left.Error())
		case err != nil: // the connect failed: that is the news
			return fail(err, l.Relay)
		}
		fmt.Fprintf(os.Stderr, "File transfer: %v.\n", fileErr)
		return 1
	}
	if scriptErr != nil && !errors.Is(scriptErr, context.Canceled) {
		fmt.Fprintf(os.Stderr, "The input script stopped: %v.\n", strings.TrimSuffix(scriptErr.Error(), "."))
		return 1
	}
	var ended *client.ErrEnded
	var left *client.ErrLeft
	switch {
	case snapErr != nil:
		fmt.Fprintln(os.Stderr, snapErr)
		return 1
	case (*snapshot != "" && !fileExists(*snapshot) || *keep && !kept) && err == nil && ctx.Err() != nil:
		fmt.Fprintln(os.Stderr, "The session ended before the screen arrived.")
		return 1
	case err == nil:
		fmt.Println("Session ended.")
		return 0
	case errors.As(err, &ended):
		fmt.Println(ended.Error())
		if *snapshot != "" && !fileExists(*snapshot) || *keep && !kept {
			return 1
		}
		return 0
	case errors.As(err, &left):
		// Taken off a session that goes on (its new owner joined): done here.
		fmt.Fprintln(cleanWriter{os.Stdout}, left.Error())
		if *snapshot != "" && !fileExists(*snapshot) || *keep && !kept {
			return 1
		}
		return 0
	}
	return fail(err, l.Relay)
}

// lastFrame keeps a copy of the latest screen for script snapshots.
type lastFrame struct {
	mu    sync.Mutex
	img   *image.RGBA
	first chan struct{}
}

func (l *lastFrame) set(img *image.RGBA) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.img == nil {
		l.img = image.NewRGBA(img.Rect)
		close(l.first)
	} else if l.img.Rect != img.Rect {
		l.img = image.NewRGBA(img.Rect)
	}
	copy(l.img.Pix, img.Pix)
}

// scriptRemote adapts the viewer, the session and the last frame to script.Remote.
type scriptRemote struct {
	*remote.Viewer
	sess   *client.Session
	screen *lastFrame
}

// ShowDisplay asks the agent for another display and waits for its first frame.
func (r scriptRemote) ShowDisplay(n int) error {
	before := r.Viewer.Stats().Frames
	if err := r.sess.Signal(rtc.KindDisplay, []byte(strconv.Itoa(n))); err != nil {
		return err
	}
	deadline := time.Now().Add(5 * time.Second)
	for r.Viewer.Stats().Frames == before {
		if time.Now().After(deadline) {
			return fmt.Errorf("display %d did not arrive (does the end user have it?)", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// Snapshot saves the picture as it is now; the file's modification time is
// that moment, not the end of the (slower) PNG encoding, which goes on
// without holding up the screen.
func (r scriptRemote) Snapshot(file string) error {
	r.screen.mu.Lock()
	img := image.NewRGBA(r.screen.img.Rect)
	copy(img.Pix, r.screen.img.Pix)
	r.screen.mu.Unlock()
	taken := time.Now()
	remote.DrawCursor(img, r.Viewer.Cursor())
	if err := writePNG(file, img); err != nil {
		return err
	}
	if err := os.Chtimes(file, taken, taken); err != nil {
		return fmt.Errorf("Could not write %s: %v.", file, err)
	}
	fmt.Printf("Saved the screen to %s.\n", file)
	return nil
}

// DrawShape draws on the end user's screen and says so once the app drew it.
func (r scriptRemote) DrawShape(s proto.DrawShape) error {
	st, err := r.Viewer.Draw(context.Background(), s)
	if err != nil {
		return err
	}
	fmt.Printf("Drawn on the end user's screen: %s (%d shapes shown).\n", s.Kind, st.Shapes)
	return nil
}

// ClearDrawing clears the end user's screen of drawings.
func (r scriptRemote) ClearDrawing() error {
	if err := r.Viewer.ClearDrawing(context.Background()); err != nil {
		return err
	}
	fmt.Println("Cleared the drawing on the end user's screen.")
	return nil
}

// runScript waits for the screen and, for a script that sends input, the
// input channel, then replays actions.
func runScript(ctx context.Context, v *remote.Viewer, sess *client.Session, screen *lastFrame, actions []script.Action) error {
	select {
	case <-screen.first:
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(30 * time.Second):
		return errors.New("the end user's screen did not arrive within 30s")
	}
	deadline := time.Now().Add(10 * time.Second)
	for script.SendsInput(actions) && v.SendInput(proto.Input{Kind: proto.InputRelAll}) != nil {
		if time.Now().After(deadline) {
			return errors.New("the end user's computer accepts no input (view only)")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	fmt.Println("Replaying the input script…")
	if err := script.Run(ctx, scriptRemote{v, sess, screen}, actions); err != nil {
		return err
	}
	fmt.Println("Input script done.")
	return nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// writePNG saves img atomically.
func writePNG(path string, img *image.RGBA) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("Could not write %s: %v.", path, err)
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("Could not write %s: %v.", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("Could not write %s: %v.", path, err)
	}
	return os.Rename(tmp, path)
}
