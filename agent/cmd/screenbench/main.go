// Command screenbench measures remote view and control end to end on a
// 1920x1080 Xvfb with the real relay and sos binaries and an in-process
// console viewer: time from consent to first frame, frames per second
// delivered, bytes per second, agent CPU for scripted workloads (still
// desktop, typing in a terminal, scrolling text, dragging a window), and
// click-to-screen latency with where its milliseconds go (from the agent's
// per-frame debug lines and the viewer's frame timing). It prints a table
// and writes JSON.
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
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
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
	Seconds     float64 `json:"seconds"`
	Note        string  `json:"note,omitempty"`
}

func main() {
	bin := flag.String("bin", "bin", "directory with relay and sos")
	dur := flag.Duration("duration", 5*time.Second, "length of each workload")
	clicks := flag.Int("clicks", 30, "click-to-screen measurements")
	out := flag.String("out", "bench-screen.json", "JSON output file")
	flag.Parse()
	// An interrupt ends the run early, but through its clean-up: every
	// process it started (Xvfb, relay, sos, terminals) ends with it.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *bin, *dur, *clicks, *out); err != nil {
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

func run(parent context.Context, bin string, dur time.Duration, nclicks int, out string) error {
	// sleep waits d, or less when the run is interrupted.
	sleep := func(d time.Duration) {
		select {
		case <-parent.Done():
		case <-time.After(d):
		}
	}
	x, err := testscreen.StartXvfb(1920, 1080)
	if err != nil {
		return err
	}
	defer x.Close()
	env := append(os.Environ(), "DISPLAY="+x.Display)
	bg, err := testscreen.FullScreen(x.Display)
	if err != nil {
		return err
	}
	defer bg.Close()
	if err := bg.Show(testscreen.Image(1920, 1080, 0)); err != nil {
		return err
	}

	dir, _ := os.MkdirTemp("", "screenbench-")
	defer os.RemoveAll(dir)
	pc, _ := net.ListenPacket("udp", "127.0.0.1:0")
	addr := pc.LocalAddr().String()
	pc.Close()
	relay := exec.Command(filepath.Join(bin, "relay"), "serve", "--data", filepath.Join(dir, "data"), "--addr", addr, "--log-level", "error")
	rout, _ := relay.StdoutPipe()
	if err := relay.Start(); err != nil {
		return err
	}
	defer func() { relay.Process.Kill(); relay.Wait() }()
	rl := lines(rout)
	m, err := expect(rl, `its password is in (\S+) \(`)
	if err != nil {
		return err
	}
	pwFile, err := os.ReadFile(m[1]) // the first start leaves it in a file, never in the output
	if err != nil {
		return fmt.Errorf("read the admin password: %w", err)
	}
	adminPW := strings.TrimSpace(string(pwFile))
	if m, err = expect(rl, `Key fingerprint: (\S+)`); err != nil {
		return err
	}
	fp := m[1]

	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	c, err := client.Dial(ctx, addr, fp, nil)
	if err != nil {
		return err
	}
	ok, err := c.Login(ctx, "admin", adminPW)
	c.Close()
	if err != nil {
		return err
	}
	login := client.Login{Relay: addr, Fingerprint: fp, User: "admin", Token: ok.Token}

	sos := exec.Command(filepath.Join(bin, "sos"), "--relay", addr, "--fingerprint", fp, "--no-gui", "-v")
	sos.Env = env
	sin, _ := sos.StdinPipe()
	sout, _ := sos.StdoutPipe()
	serr, _ := sos.StderrPipe()
	var agent agentFrames
	var reader sync.WaitGroup
	reader.Go(func() { agent.read(serr) }) // ends when sos does
	if err := sos.Start(); err != nil {
		return err
	}
	defer func() { sos.Process.Kill(); sos.Wait(); reader.Wait() }()
	sl := lines(sout)
	// Interrupted: the relay and the app stop now, so every step after
	// fails at once and run returns through its clean-up.
	defer context.AfterFunc(parent, func() { relay.Process.Kill(); sos.Process.Kill() })()
	if m, err = expect(sl, `Session code: (\d{3} \d{3} \d{3})`); err != nil {
		return err
	}
	code := strings.ReplaceAll(m[1], " ", "")

	pr := &probe{hit: make(chan hit, 1), first: make(chan time.Time, 1)}
	var sess client.Session
	var wg sync.WaitGroup
	viewer := remote.NewViewer(sess.Signal, pr.onFrame, slog.New(slog.NewTextHandler(io.Discard, nil)))
	pr.viewer = viewer
	defer func() { cancel(); viewer.Close(); wg.Wait() }()
	h := handler{viewer: viewer, connected: make(chan time.Time, 1), wg: &wg}
	sessDone := make(chan error, 1)
	wg.Go(func() {
		sessDone <- sess.Run(ctx, client.SessionOptions{Login: login, Target: proto.Connect{Code: code}}, h)
	})
	if _, err := expect(sl, `Allow\?`); err != nil {
		return err
	}
	io.WriteString(sin, "y\n")
	var tConn, tFirst time.Time
	select {
	case tConn = <-h.connected:
	case err := <-sessDone:
		return fmt.Errorf("connect: %v", err)
	case <-time.After(30 * time.Second):
		return errors.New("no connection within 30s")
	}
	select {
	case tFirst = <-pr.first:
	case <-time.After(30 * time.Second):
		return errors.New("no frame within 30s")
	}
	firstFrame := tFirst.Sub(tConn)
	sleep(time.Second)

	var results []result
	measure := func(name, note string, work func(stop <-chan struct{})) {
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() { defer close(done); work(stop) }()
		sleep(300 * time.Millisecond) // let the workload start
		st0, cpu0, t0 := viewer.Stats(), cpuTime(sos.Process.Pid), time.Now()
		sleep(dur)
		st1, cpu1, t1 := viewer.Stats(), cpuTime(sos.Process.Pid), time.Now()
		close(stop)
		<-done
		secs := t1.Sub(t0).Seconds()
		results = append(results, result{
			Workload: name, Seconds: secs, Note: note,
			FPS:         float64(st1.Frames-st0.Frames) / secs,
			BytesPerSec: float64(st1.Bytes-st0.Bytes) / secs,
			AgentCPU:    100 * (cpu1 - cpu0).Seconds() / secs,
		})
		sleep(500 * time.Millisecond)
	}

	measure("still desktop", "a full-screen test image, nothing moves", func(stop <-chan struct{}) { <-stop })

	term := func(args ...string) (*exec.Cmd, error) {
		cmd := exec.Command("xterm", append([]string{"-geometry", "100x40+100+100"}, args...)...)
		cmd.Env = env
		return cmd, cmd.Start()
	}
	xdo := func(args ...string) error {
		cmd := exec.Command("xdotool", args...)
		cmd.Env = env
		return cmd.Run()
	}
	if tt, err := term("-e", "cat"); err == nil {
		sleep(500 * time.Millisecond)
		xdo("mousemove", "300", "300")
		measure("typing in a terminal", "xdotool types 10 characters/s into an xterm running cat", func(stop <-chan struct{}) {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				xdo("type", "--delay", "100", "lorem ipsum ")
			}
		})
		tt.Process.Kill()
		tt.Wait()
	} else {
		fmt.Fprintln(os.Stderr, "xterm not available: typing, scrolling and dragging skipped:", err)
	}
	if tt, err := term("-e", "sh", "-c", "i=0; while :; do i=$((i+1)); echo \"$i lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor\"; sleep 0.01; done"); err == nil {
		measure("scrolling text", "an xterm printing ~100 lines/s", func(stop <-chan struct{}) { <-stop })
		tt.Process.Kill()
		tt.Wait()
	}
	if tt, err := term("-e", "sh", "-c", "seq 1 40; sleep 600"); err == nil {
		sleep(500 * time.Millisecond)
		measure("dragging a window", "an 100x40 xterm moved 12 px every 16 ms", func(stop <-chan struct{}) {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-time.After(16 * time.Millisecond):
				}
				x := 100 + (i*12)%1200
				xdo("search", "--class", "xterm", "windowmove", "%@", strconv.Itoa(x), "150")
			}
		})
		tt.Process.Kill()
		tt.Wait()
	}

	// Click-to-screen: a 200x200 window that changes colour on each click.
	pw, err := testscreen.NewWindow(x.Display, image.Rect(1600, 100, 1800, 300))
	if err != nil {
		return err
	}
	defer pw.Close()
	colours := [2]uint32{0xff0000, 0x0000ff}
	pw.ToggleOnClick(colours[0], colours[1])
	sleep(500 * time.Millisecond)
	var lat []time.Duration
	var clicks []click
	cx, cy := 1700.0/1919, 200.0/1079
	viewer.SendInput(proto.Input{Kind: proto.InputMove, X: cx, Y: cy})
	for i := 1; i <= nclicks && parent.Err() == nil; i++ {
		next := colours[i%2]
		pr.mu.Lock()
		pr.at, pr.armed = image.Pt(1700, 200), true
		pr.want = [3]uint8{uint8(next >> 16), uint8(next >> 8), uint8(next)}
		pr.mu.Unlock()
		t0 := time.Now()
		viewer.SendInput(proto.Input{Kind: proto.InputDown, X: cx, Y: cy, Button: "left"})
		viewer.SendInput(proto.Input{Kind: proto.InputUp, X: cx, Y: cy, Button: "left"})
		select {
		case h := <-pr.hit:
			lat = append(lat, h.at.Sub(t0))
			clicks = append(clicks, click{t0, h})
		case <-time.After(3 * time.Second):
			return fmt.Errorf("click %d never showed on the screen", i)
		}
		sleep(150 * time.Millisecond)
	}
	if err := parent.Err(); err != nil {
		return fmt.Errorf("interrupted: %w", err)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	p50, p95 := ms(lat[len(lat)/2]), ms(lat[len(lat)*95/100])
	path := viewer.Path()
	sleep(200 * time.Millisecond) // the agent's last frame lines
	stages, matched := agent.breakdown(clicks)

	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "consent to first frame\t%.1f ms\n", ms(firstFrame))
	fmt.Fprintf(tw, "click-to-screen latency\tp50 %.1f ms, p95 %.1f ms (%d clicks)\n", p50, p95, len(lat))
	fmt.Fprintf(tw, "media path\t%s\n", path)
	fmt.Fprintf(tw, "click breakdown (p50 ms, %d of %d clicks)\t", matched, len(clicks))
	for _, st := range stages {
		fmt.Fprintf(tw, "%s %.1f  ", st.Stage, st.P50)
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "\nWORKLOAD\tFPS\tBYTES/S\tAGENT CPU %\tNOTE")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%.1f\t%.0f\t%.1f\t%s\n", r.Workload, r.FPS, r.BytesPerSec, r.AgentCPU, r.Note)
	}
	tw.Flush()
	b, _ := json.MarshalIndent(map[string]any{
		"when": time.Now().UTC(), "cpus": runtime.NumCPU(), "screen": "1920x1080x24 Xvfb",
		"consent_to_first_frame_ms": ms(firstFrame), "click_latency_p50_ms": p50, "click_latency_p95_ms": p95,
		"media_path": path, "workloads": results, "click_breakdown": stages,
		"notes": "bytes/s count VP8 payload received (RTP/SRTP headers add a few percent); agent CPU is the sos process, user+system, in percent of one core; " +
			"click_breakdown: p50 per stage of the clicks whose frame the agent logged (inject: press sent to its injection; x_and_damage: to the damage heard; wait: to the grab; packetize_send: encoded to the first packet in the viewer; receive_assemble: to the whole frame; display: decoded to seen by the probe)",
	}, "", "  ")
	fmt.Println(string(b))
	cancel()
	return os.WriteFile(out, b, 0o644)
}
