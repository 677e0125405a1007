// Command screenbench measures remote view and control end to end with
// the real relay and sos binaries and an in-process console viewer, on
// exactly the desktop, workloads and metrics of the peer harness
// (shared/peers/vnc, which measures TigerVNC's x0vncserver and x11vnc),
// so the two tables can be set side by side. For each workload a fresh
// 1920x1080x24 Xvfb gets the same desktop (solid #2e3440, two static
// xterms, the clicker: a 200x200 window at +1680+40 that toggles
// #d02020/#2040d0 on every press); the workload runs (still; typing ~10
// characters/s into an xterm running cat; scroll, ~350 numbered lines/s;
// move, a 100x30 xterm bounced ~28 times/s); the SOS app shares it and
// the viewer connects. After the first frame and a warm-up it measures
// frames/s, bytes/s and the CPU of the SOS app and of Xvfb over the
// window, then 30 clicks at random 150-400 ms gaps into the clicker's
// lower-right quarter, each timed until the viewer decoded the frame in
// which a probe pixel of its upper-left quarter shows the other colour,
// with where the milliseconds went (the agent's per-frame debug lines
// and the viewer's frame timing). It prints a table and writes JSON.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/relaydesk/relaydesk/agent/capture/testscreen"
	"github.com/relaydesk/relaydesk/console/client"
	"github.com/relaydesk/relaydesk/console/remote"
	"github.com/relaydesk/relaydesk/pkg/procstat"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

type result struct {
	Workload    string  `json:"workload"`
	FPS         float64 `json:"fps"`
	BytesPerSec float64 `json:"bytes_per_sec"`
	AgentCPU    float64 `json:"agent_cpu_percent"`
	XvfbCPU     float64 `json:"xvfb_cpu_percent"`
	Seconds     float64 `json:"seconds"`
	ClickP50    float64 `json:"click_latency_p50_ms"`
	ClickP95    float64 `json:"click_latency_p95_ms"`
	Clicks      int     `json:"clicks"`
	Quantizer   float64 `json:"normal_quantizer_mean"` // of normal frames (0-63, lower is sharper); -1: none
	Breakdown   []stage `json:"click_breakdown,omitempty"`
	Note        string  `json:"note,omitempty"`

	firstFrame time.Duration
	matched    int
}

func main() {
	var cfg config
	flag.StringVar(&cfg.bin, "bin", "bin", "directory with relay and sos")
	flag.StringVar(&cfg.agentLogs, "agent-logs", "", "directory to keep each workload's sos log in (sos-WORKLOAD.log, -v)")
	flag.DurationVar(&cfg.warmup, "warmup", 2*time.Second, "wait after the first frame before measuring")
	flag.DurationVar(&cfg.dur, "duration", 10*time.Second, "measurement window of each workload")
	flag.IntVar(&cfg.clicks, "clicks", 30, "click-to-screen measurements per workload")
	wls := flag.String("workloads", "still,typing,scroll,move", "workloads to run, comma-separated")
	out := flag.String("out", "bench-screen.json", "JSON output file")
	flag.Parse()
	cfg.workloads = strings.Split(*wls, ",")
	// An interrupt ends the run early, but through its clean-up: every
	// process it started (Xvfb, relay, sos, terminals) ends with it.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, *out); err != nil {
		stop()
		fmt.Fprintln(os.Stderr, "screenbench:", err)
		os.Exit(1)
	}
}

func cpuTime(pid int) time.Duration {
	d, _ := procstat.CPU(pid)
	return d
}

// lines feeds a process's output lines to a channel.
func lines(r io.Reader) <-chan string {
	ch := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			ch <- sc.Text()
		}
		close(ch)
	}()
	return ch
}

func expect(ch <-chan string, re string) ([]string, error) {
	rx := regexp.MustCompile(re)
	timeout := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-ch:
			if !ok {
				return nil, fmt.Errorf("output ended before %q", re)
			}
			if m := rx.FindStringSubmatch(l); m != nil {
				return m, nil
			}
		case <-timeout:
			return nil, fmt.Errorf("no %q within 30s", re)
		}
	}
}

// handler feeds the viewer and notes when the session connected.
type handler struct {
	viewer    *remote.Viewer
	connected chan time.Time
	wg        *sync.WaitGroup
}

func (h handler) Stage(string) {}
func (h handler) Connected(c proto.Connected) {
	h.viewer.SetICE(c.ICE, false)
	select {
	case h.connected <- time.Now():
	default:
	}
}
func (h handler) Event(env proto.Envelope) {
	var sig proto.Signal
	if env.Type == proto.TypeSignal && env.Decode(&sig) == nil {
		h.wg.Go(func() { h.viewer.HandleSignal(sig) })
	}
}

// hit is the moment the probe saw the colour, with the frame's timing in the viewer.
type hit struct {
	at   time.Time
	view remote.FrameTiming
}

// probe watches decoded frames for a colour change at a point.
type probe struct {
	viewer *remote.Viewer
	mu     sync.Mutex
	at     image.Point
	want   [3]uint8
	armed  bool
	hit    chan hit
	frames atomic.Int64
	first  chan time.Time
	once   sync.Once
}

func (p *probe) onFrame(img *image.RGBA) {
	p.frames.Add(1)
	p.once.Do(func() { p.first <- time.Now() })
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.armed || !p.at.In(img.Rect) {
		return
	}
	o := img.PixOffset(p.at.X, p.at.Y)
	near := func(a, b uint8) bool { d := int(a) - int(b); return d > -40 && d < 40 }
	if near(img.Pix[o], p.want[0]) && near(img.Pix[o+1], p.want[1]) && near(img.Pix[o+2], p.want[2]) {
		p.armed = false
		p.hit <- hit{time.Now(), p.viewer.LastTiming()}
	}
}

// config is what a run measures.
type config struct {
	bin         string
	agentLogs   string // a directory for each workload's sos log; "": none
	warmup, dur time.Duration
	clicks      int
	workloads   []string
	relay, fp   string
	login       client.Login
}

// The peer harness's desktop (shared/peers/vnc/README.md).
var (
	clickerRect    = image.Rect(1680, 40, 1880, 240)
	clickerColours = [2]uint32{0xd02020, 0x2040d0}
	probeAt        = image.Pt(1680+50, 40+50)   // upper-left quarter
	clickAt        = image.Pt(1680+150, 40+150) // lower-right quarter: the pointer cannot hide the probe
)

// workloads are the peer harness's, as shell commands (started in their own
// process group, ended with it) and what they do, in words.
var workloads = map[string]struct{ note, xterm, driver string }{
	"still": {note: "the desktop alone: two static xterms and the clicker"},
	"typing": {note: "xdotool types ~10 characters/s word by word into a focused xterm running cat",
		xterm:  "-T peers-typing -geometry 100x30+40+560 -e cat",
		driver: `while :; do for w in The quick brown fox jumps over the lazy dog 0123456789; do xdotool type --delay 200 "$w "; done; xdotool key Return; done`},
	"scroll": {note: "an xterm printing 20 numbered lines every ~50 ms (~350 lines/s)",
		xterm: `-T peers-scroll -geometry 100x30+40+560 -e bash -c 'f=/usr/share/common-licenses/GPL-3; [ -r $f ] || f=/etc/services; while :; do cat $f; done | awk '"'"'{print NR": "$0; fflush(); if (NR%20==0) system("sleep 0.05")}'"'"''`},
	"move": {note: "a 100x30 xterm bounced around by xdotool windowmove, ~28 moves/s, never over the clicker",
		xterm:  `-T peers-move -geometry 100x30+40+480 -e bash -c 'ls -l /usr/bin | head -29; exec sleep infinity'`,
		driver: `wid=$(xdotool search --sync --onlyvisible --name '^peers-move$' | head -1); x=40 y=480 dx=16 dy=6; while :; do xdotool windowmove $wid $x $y; x=$((x+dx)); y=$((y+dy)); ((x<40||x>1000)) && dx=$((-dx)); ((y<480||y>660)) && dy=$((-dy)); sleep 0.026; done`},
}

func run(parent context.Context, cfg config, out string) error {
	for _, wl := range cfg.workloads {
		if _, ok := workloads[wl]; !ok {
			return fmt.Errorf("unknown workload %q (still, typing, scroll, move)", wl)
		}
	}
	dir, _ := os.MkdirTemp("", "screenbench-")
	defer os.RemoveAll(dir)
	pc, _ := net.ListenPacket("udp", "127.0.0.1:0")
	cfg.relay = pc.LocalAddr().String()
	pc.Close()
	relay := exec.Command(filepath.Join(cfg.bin, "relay"), "serve", "--data", filepath.Join(dir, "data"), "--addr", cfg.relay, "--log-level", "error")
	rout, _ := relay.StdoutPipe()
	if err := relay.Start(); err != nil {
		return err
	}
	defer func() { relay.Process.Kill(); relay.Wait() }()
	defer context.AfterFunc(parent, func() { relay.Process.Kill() })()
	rl := lines(rout)
	m, err := expect(rl, `its password is in (\S+) \(`)
	if err != nil {
		return err
	}
	pwFile, err := os.ReadFile(m[1]) // the first start leaves it in a file, never in the output
	if err != nil {
		return fmt.Errorf("read the admin password: %w", err)
	}
	if m, err = expect(rl, `Key fingerprint: (\S+)`); err != nil {
		return err
	}
	cfg.fp = m[1]
	c, err := client.Dial(parent, cfg.relay, cfg.fp, nil)
	if err != nil {
		return err
	}
	ok, err := c.Login(parent, "admin", strings.TrimSpace(string(pwFile)))
	c.Close()
	if err != nil {
		return err
	}
	cfg.login = client.Login{Relay: cfg.relay, Fingerprint: cfg.fp, User: "admin", Token: ok.Token}

	var results []result
	for _, wl := range cfg.workloads {
		r, err := cell(parent, cfg, wl)
		if err != nil {
			return fmt.Errorf("%s: %w", wl, err)
		}
		results = append(results, r)
	}

	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "consent to first frame\t%.1f ms\n", ms(results[0].firstFrame))
	fmt.Fprintln(tw, "\nWORKLOAD\tFPS\tKB/S\tSOS CPU %\tXVFB CPU %\tCLICK P50 / P95 MS\tMEAN Q\tNOTE")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f / %.1f\t%.1f\t%s\n", r.Workload, r.FPS, r.BytesPerSec/1000, r.AgentCPU, r.XvfbCPU, r.ClickP50, r.ClickP95, r.Quantizer, r.Note)
	}
	fmt.Fprintln(tw, "\nCLICK BREAKDOWN (p50 ms)\tclicks matched")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%d of %d\t", r.Workload, r.matched, r.Clicks)
		for _, st := range r.Breakdown {
			fmt.Fprintf(tw, "%s %.1f  ", st.Stage, st.P50)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	first := results[0]
	b, _ := json.MarshalIndent(map[string]any{
		"when": time.Now().UTC(), "cpus": runtime.NumCPU(), "screen": "1920x1080x24 Xvfb, a fresh one per workload (shared/peers/vnc's desktop)",
		"consent_to_first_frame_ms": ms(first.firstFrame), "click_latency_p50_ms": first.ClickP50, "click_latency_p95_ms": first.ClickP95,
		"workloads": results, "click_breakdown": first.Breakdown,
		"notes": "the top-level click latency and breakdown are the first workload's (still); bytes/s count VP8 payload received (RTP/SRTP headers add a few percent); " +
			"CPU is user+system in percent of one core over the window; fps counts frames decoded by the viewer; " +
			"normal_quantizer_mean: libvpx's mean quantizer (0-63, lower is sharper) of the frames of normal quality, not keyframes nor refines, in the window; " +
			"click_breakdown: p50 per stage of the clicks whose frame the agent logged (inject: press sent to its injection; x_and_damage: to the damage heard, 0 when damage of other changes was pending; wait: to the grab; packetize_send: encoded to the first packet in the viewer; receive_assemble: to the whole frame; display: decoded to seen by the probe)",
	}, "", "  ")
	fmt.Println(string(b))
	return os.WriteFile(out, b, 0o644)
}

// cell measures one workload on a fresh Xvfb with the harness's desktop;
// every process it starts ends with it.
func cell(parent context.Context, cfg config, wl string) (result, error) {
	res := result{Workload: wl, Note: workloads[wl].note}
	sleep := func(d time.Duration) {
		select {
		case <-parent.Done():
		case <-time.After(d):
		}
	}
	x, err := testscreen.StartXvfb(1920, 1080)
	if err != nil {
		return res, err
	}
	defer x.Close()
	env := append(os.Environ(), "DISPLAY="+x.Display)
	var procs []*exec.Cmd
	defer func() {
		for _, p := range procs {
			syscall.Kill(-p.Process.Pid, syscall.SIGKILL) // its process group: bash and its xdotool too
			p.Wait()
		}
	}()
	start := func(name string, args ...string) error {
		cmd := exec.Command(name, args...)
		cmd.Env = env
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("start %s: %w", name, err)
		}
		procs = append(procs, cmd)
		return nil
	}
	shell := func(script string) error { return start("bash", "-c", script) }
	xdo := func(args ...string) error {
		cmd := exec.Command("xdotool", args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("xdotool %v: %v %s", args, err, out)
		}
		return nil
	}
	waitWindow := func(title string) error {
		return xdo("search", "--sync", "--onlyvisible", "--name", "^"+title+"$")
	}

	// The desktop.
	if cmd := exec.Command("xsetroot", "-solid", "#2e3440"); true {
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			return res, fmt.Errorf("xsetroot: %v %s", err, out)
		}
	}
	clicker, err := testscreen.NewWindow(x.Display, clickerRect)
	if err != nil {
		return res, err
	}
	defer clicker.Close()
	if err := clicker.ToggleOnClick(clickerColours[0], clickerColours[1]); err != nil {
		return res, err
	}
	if err := shell(`exec xterm -T peers-static1 -geometry 100x30+40+40 -e bash -c 'ls -l /usr/bin | head -60; exec sleep infinity'`); err != nil {
		return res, err
	}
	if err := shell(`exec xterm -T peers-static2 -geometry 80x24+700+40 -e bash -c 'cat /etc/os-release; uname -a; df -h; exec sleep infinity'`); err != nil {
		return res, err
	}
	for _, t := range []string{"peers-static1", "peers-static2"} {
		if err := waitWindow(t); err != nil {
			return res, err
		}
	}
	// The workload.
	w := workloads[wl]
	if w.xterm != "" {
		if err := shell("exec xterm " + w.xterm); err != nil {
			return res, err
		}
		title := "peers-" + wl
		if err := waitWindow(title); err != nil {
			return res, err
		}
		if wl == "typing" {
			if err := xdo("search", "--sync", "--onlyvisible", "--name", "^"+title+"$", "windowfocus", "--sync"); err != nil {
				return res, err
			}
		}
	}
	if w.driver != "" {
		if err := shell(w.driver); err != nil {
			return res, err
		}
	}

	// The SOS app shares the desktop; the viewer connects.
	sos := exec.Command(filepath.Join(cfg.bin, "sos"), "--relay", cfg.relay, "--fingerprint", cfg.fp, "--no-gui", "-v")
	sos.Env = env
	sin, _ := sos.StdinPipe()
	sout, _ := sos.StdoutPipe()
	serr, _ := sos.StderrPipe()
	var agentLog io.Reader = serr
	if cfg.agentLogs != "" {
		f, err := os.Create(filepath.Join(cfg.agentLogs, "sos-"+wl+".log"))
		if err != nil {
			return res, err
		}
		defer f.Close()
		agentLog = io.TeeReader(serr, f)
	}
	var agent agentFrames
	var reader sync.WaitGroup
	reader.Go(func() { agent.read(agentLog) }) // ends when sos does
	if err := sos.Start(); err != nil {
		return res, err
	}
	defer func() { sos.Process.Kill(); sos.Wait(); reader.Wait() }()
	defer context.AfterFunc(parent, func() { sos.Process.Kill() })()
	sl := lines(sout)
	m, err := expect(sl, `Session code: (\d{3} \d{3} \d{3})`)
	if err != nil {
		return res, err
	}
	code := strings.ReplaceAll(m[1], " ", "")

	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	pr := &probe{hit: make(chan hit, 1), first: make(chan time.Time, 1)}
	var sess client.Session
	var wg sync.WaitGroup
	viewer := remote.NewViewer(sess.Signal, pr.onFrame, slog.New(slog.NewTextHandler(io.Discard, nil)))
	pr.viewer = viewer
	defer func() { cancel(); viewer.Close(); wg.Wait() }()
	h := handler{viewer: viewer, connected: make(chan time.Time, 1), wg: &wg}
	sessDone := make(chan error, 1)
	wg.Go(func() {
		sessDone <- sess.Run(ctx, client.SessionOptions{Login: cfg.login, Target: proto.Connect{Code: code}}, h)
	})
	if _, err := expect(sl, `Allow\?`); err != nil {
		return res, err
	}
	io.WriteString(sin, "y\n")
	var tConn, tFirst time.Time
	select {
	case tConn = <-h.connected:
	case err := <-sessDone:
		return res, fmt.Errorf("connect: %v", err)
	case <-time.After(30 * time.Second):
		return res, errors.New("no connection within 30s")
	}
	select {
	case tFirst = <-pr.first:
	case <-time.After(30 * time.Second):
		return res, errors.New("no frame within 30s")
	}
	res.firstFrame = tFirst.Sub(tConn)

	// The window.
	sleep(cfg.warmup)
	st0, a0, x0, t0 := viewer.Stats(), cpuTime(sos.Process.Pid), cpuTime(x.Pid()), time.Now()
	sleep(cfg.dur)
	st1, a1, x1, t1 := viewer.Stats(), cpuTime(sos.Process.Pid), cpuTime(x.Pid()), time.Now()
	secs := t1.Sub(t0).Seconds()
	res.Seconds = secs
	res.FPS = float64(st1.Frames-st0.Frames) / secs
	res.BytesPerSec = float64(st1.Bytes-st0.Bytes) / secs
	res.AgentCPU = 100 * (a1 - a0).Seconds() / secs
	res.XvfbCPU = 100 * (x1 - x0).Seconds() / secs
	res.Quantizer = agent.meanQuantizer(t0, t1)

	// The clicks, the workload still running.
	rng := mrand.New(mrand.NewPCG(uint64(time.Now().UnixNano()), 1))
	fx, fy := func(px int) float64 { return float64(px) / 1919 }, func(py int) float64 { return float64(py) / 1079 }
	viewer.SendInput(proto.Input{Kind: proto.InputMove, X: fx(clickAt.X), Y: fy(clickAt.Y)})
	var lat []time.Duration
	var clicks []click
	for i := 1; i <= cfg.clicks && parent.Err() == nil; i++ {
		sleep(time.Duration(150+rng.IntN(250)) * time.Millisecond)
		next := clickerColours[i%2]
		pr.mu.Lock()
		pr.at, pr.armed = probeAt, true
		pr.want = [3]uint8{uint8(next >> 16), uint8(next >> 8), uint8(next)}
		pr.mu.Unlock()
		t0 := time.Now()
		viewer.SendInput(proto.Input{Kind: proto.InputDown, X: fx(clickAt.X), Y: fy(clickAt.Y), Button: "left"})
		viewer.SendInput(proto.Input{Kind: proto.InputUp, X: fx(clickAt.X), Y: fy(clickAt.Y), Button: "left"})
		select {
		case h := <-pr.hit:
			lat = append(lat, h.at.Sub(t0))
			clicks = append(clicks, click{t0, h})
		case <-time.After(3 * time.Second):
			return res, fmt.Errorf("click %d never showed on the screen", i)
		}
	}
	if err := parent.Err(); err != nil {
		return res, fmt.Errorf("interrupted: %w", err)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	res.Clicks = len(lat)
	res.ClickP50, res.ClickP95 = ms(lat[len(lat)/2]), ms(lat[len(lat)*95/100])
	sleep(200 * time.Millisecond) // the agent's last frame lines
	res.Breakdown, res.matched = agent.breakdown(clicks)
	return res, nil
}
