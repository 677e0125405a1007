// Command relaybench measures a real relay process end to end on loopback:
// agents registered per second with many connecting at once, relay memory
// per connected idle agent, the latency from entering a code to an Active
// session, and relay memory with many connections that said Hello and then
// stalled in the middle of a frame announcing MaxFrame bytes (the memory
// exhaustion attack of the security review, H4). It prints a table and
// writes the figures as JSON. The relay runs without its per-source limits,
// since every bench connection comes from 127.0.0.1.
package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/relaydesk/relaydesk/pkg/procstat"
	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/transport"
)

type result struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
	Note  string  `json:"note,omitempty"`
}

func main() {
	relayBin := flag.String("relay", "bin/relay", "relay binary")
	agents := flag.Int("agents", 2000, "agents connecting at once")
	concurrency := flag.Int("concurrency", 200, "registrations in flight at once")
	latencyRuns := flag.Int("latency-runs", 100, "code-to-Active measurements")
	stalled := flag.Int("stalled", 10000, "connections that say Hello and stall mid-frame (0: skip)")
	flag.IntVar(&deskFlags.techs, "desk-techs", 50, "service desk: technicians signed in (0: skip the desk phase)")
	flag.IntVar(&deskFlags.queued, "desk-queued", 1000, "service desk: requests waiting in the channel's queue")
	flag.IntVar(&deskFlags.consoles, "desk-consoles", 500, "service desk: consoles subscribed to the queue (fan-out)")
	flag.IntVar(&deskFlags.picks, "desk-picks", 200, "service desk: pick-ups measured")
	out := flag.String("out", "bench.json", "JSON output file")
	cpuProfile = flag.String("relay-cpuprofile", "", "have the relay write a CPU profile to `file`")
	flag.Parse()
	if err := run(*relayBin, *agents, *concurrency, *latencyRuns, *stalled, *out); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

var cpuProfile *string

var deskFlags struct{ techs, queued, consoles, picks int }

type relayProc struct {
	cmd                   *exec.Cmd
	addr, fp, admin, data string
}

func startRelay(bin string) (*relayProc, func(), error) {
	dir, err := os.MkdirTemp("", "relaybench-")
	if err != nil {
		return nil, nil, err
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	args := []string{"serve", "--data", filepath.Join(dir, "data"), "--addr", addr, "--log-level", "error",
		"--conns-per-source", "0", "--registrations-per-minute", "0"}
	if *cpuProfile != "" {
		args = append(args, "--cpuprofile", *cpuProfile)
	}
	cmd := exec.Command(bin, args...)
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	stop := func() { cmd.Process.Signal(os.Interrupt); cmd.Wait(); os.RemoveAll(dir) }
	r := &relayProc{cmd: cmd, addr: addr, data: filepath.Join(dir, "data")}
	sc := bufio.NewScanner(stdout)
	pw := regexp.MustCompile(`its password is in (\S+) \(`)
	fp := regexp.MustCompile(`Key fingerprint: (\S+)`)
	for sc.Scan() {
		if m := pw.FindStringSubmatch(sc.Text()); m != nil {
			b, err := os.ReadFile(m[1]) // the first start leaves it in a file, never in the output
			if err != nil {
				stop()
				return nil, nil, fmt.Errorf("read the admin password: %w", err)
			}
			r.admin = strings.TrimSpace(string(b))
		}
		if m := fp.FindStringSubmatch(sc.Text()); m != nil {
			r.fp = m[1]
			break
		}
	}
	go func() {
		for sc.Scan() {
		}
	}()
	if r.fp == "" {
		stop()
		return nil, nil, errors.New("the relay did not start")
	}
	return r, stop, nil
}

// client is one control connection from the bench.
type client struct {
	conn *quic.Conn
	st   *quic.Stream
	peer *transport.Peer
	done chan struct{}
}

func dial(ctx context.Context, tr *quic.Transport, r *relayProc, role proto.Role, h transport.Handler) (*client, error) {
	conn, st, err := transport.DialVia(ctx, tr, r.addr, r.fp)
	if err != nil {
		return nil, err
	}
	c := &client{conn: conn, st: st, peer: transport.PeerOn(conn, st), done: make(chan struct{})}
	if h == nil {
		h = func(proto.Envelope) {}
	}
	go func() { c.peer.Run(context.Background(), h); close(c.done) }()
	if err := c.peer.Call(ctx, proto.TypeHello, &proto.Hello{Version: proto.Version, Role: role, Client: "relaybench"}, proto.TypeWelcome, nil); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

func (c *client) close() { c.peer.Close(); <-c.done }

// dialRetry dials like the SOS app: it retries with backoff when the relay
// refuses a handshake because too many are in flight, and says how often.
func dialRetry(ctx context.Context, tr *quic.Transport, r *relayProc, role proto.Role) (c *client, retries int, err error) {
	for attempt := range 8 {
		if c, err = dial(ctx, tr, r, role, nil); err == nil {
			return c, retries, nil
		}
		retries++
		time.Sleep(time.Duration(attempt+1) * 50 * time.Millisecond)
	}
	return nil, retries, err
}

func run(bin string, n, conc, runs, stalled int, out string) error {
	r, stop, err := startRelay(bin)
	if err != nil {
		return err
	}
	defer stop()
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	tr := &quic.Transport{Conn: udp}
	defer tr.Close()
	ctx := context.Background()
	var results []result

	time.Sleep(200 * time.Millisecond)
	before, err := procstat.RSSKiB(r.cmd.Process.Pid)
	if err != nil {
		return err
	}

	if n > 0 {
		res, err := registrations(ctx, tr, r, n, conc, before)
		if err != nil {
			return err
		}
		results = append(results, res...)
	}
	if runs > 0 {
		res, err := latency(ctx, tr, r, runs)
		if err != nil {
			return err
		}
		results = append(results, res...)
	}
	if deskFlags.techs > 0 {
		res, err := deskBench(ctx, tr, r, deskFlags.techs, deskFlags.queued, deskFlags.consoles, deskFlags.picks)
		if err != nil {
			return fmt.Errorf("service desk: %w", err)
		}
		results = append(results, res...)
	}
	if stalled > 0 {
		res, err := stalledFrames(ctx, tr, r, stalled, conc)
		if err != nil {
			return err
		}
		results = append(results, res...)
	}

	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MEASURE\tVALUE\tUNIT\tNOTE")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%.2f\t%s\t%s\n", r.Name, r.Value, r.Unit, r.Note)
	}
	tw.Flush()
	b, _ := json.MarshalIndent(map[string]any{"when": time.Now().UTC(), "cpus": runtime.NumCPU(), "results": results}, "", "  ")
	fmt.Println(string(b))
	return os.WriteFile(out, b, 0o644)
}

// registrations has n agents connect and register, conc at a time, and
// measures the rate, the relay's CPU per registration and its memory per
// idle agent (RSS before: before).
func registrations(ctx context.Context, tr *quic.Transport, r *relayProc, n, conc int, before int) ([]result, error) {
	clients := make([]*client, n)
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures, retries int
	var firstErr error
	cpu0, err := procstat.CPU(r.cmd.Process.Pid)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			c, tries, err := dialRetry(ctx, tr, r, proto.RoleAgent)
			mu.Lock()
			retries += tries
			mu.Unlock()
			if err == nil {
				err = c.peer.Call(ctx, proto.TypeAgentRegister, &proto.AgentRegister{Device: proto.DeviceInfo{OS: "linux", Hostname: fmt.Sprintf("bench-%d", i)}}, proto.TypeAgentRegistered, nil)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failures++
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			clients[i] = c
		})
	}
	wg.Wait()
	elapsed := time.Since(t0)
	if failures > 0 {
		return nil, fmt.Errorf("%d of %d registrations failed, first: %v", failures, n, firstErr)
	}
	cpu1, err := procstat.CPU(r.cmd.Process.Pid)
	if err != nil {
		return nil, err
	}
	perReg := (cpu1 - cpu0) / time.Duration(n)
	results := append([]result(nil),
		result{"agents registered per second", float64(n) / elapsed.Seconds(), "agents/s",
			fmt.Sprintf("%d agents, %d connecting at once, each a new QUIC connection with TLS 1.3 handshake (%d handshakes refused under load and retried); the load generator and the relay share %d cores", n, conc, retries, runtime.NumCPU())},
		result{"relay CPU per registration", float64(perReg.Microseconds()) / 1000, "ms",
			fmt.Sprintf("relay process only (handshake, register, SQLite insert): %.0f registrations/s per core of relay", float64(time.Second)/float64(perReg))})

	time.Sleep(2 * time.Second) // settle
	runtime.GC()
	after, err := procstat.RSSKiB(r.cmd.Process.Pid)
	if err != nil {
		return nil, err
	}
	results = append(results, result{"relay memory per idle agent", float64(after-before) / float64(n), "KiB",
		fmt.Sprintf("relay RSS %d KiB before, %d KiB with %d idle agents connected", before, after, n)})
	for _, c := range clients {
		c.close()
	}
	return results, nil
}

// latency measures code-to-Active: an agent that allows at once, a
// technician who types the code.
func latency(ctx context.Context, tr *quic.Transport, r *relayProc, runs int) ([]result, error) {
	tech, err := dial(ctx, tr, r, proto.RoleTechnician, nil)
	if err != nil {
		return nil, err
	}
	defer tech.close()
	if err := tech.peer.Call(ctx, proto.TypeLogin, &proto.Login{User: "admin", Password: r.admin}, proto.TypeLoginOK, nil); err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	var lat []time.Duration
	for range runs {
		var ag *client
		ag, err = dial(ctx, tr, r, proto.RoleAgent, func(env proto.Envelope) {
			if env.Type == proto.TypeConsentRequest {
				ag.peer.Reply(env.ID, proto.TypeConsentAnswer, &proto.ConsentAnswer{Allow: true})
			}
		})
		if err != nil {
			return nil, err
		}
		var reg proto.AgentRegistered
		if err := ag.peer.Call(ctx, proto.TypeAgentRegister, &proto.AgentRegister{}, proto.TypeAgentRegistered, &reg); err != nil {
			return nil, err
		}
		t := time.Now()
		var c proto.Connected
		if err := tech.peer.Call(ctx, proto.TypeConnect, &proto.Connect{Code: reg.Code}, proto.TypeConnected, &c); err != nil {
			return nil, fmt.Errorf("connect: %w", err)
		}
		lat = append(lat, time.Since(t))
		if err := tech.peer.Call(ctx, proto.TypeEnd, &proto.End{SessionID: c.Session.ID}, proto.TypeOK, nil); err != nil {
			return nil, err
		}
		ag.close()
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	note := fmt.Sprintf("%d runs: technician sends the code, relay asks the agent, agent allows, relay persists Active", runs)
	return []result{
		{"code-to-Active latency p50", ms(lat[len(lat)/2]), "ms", note},
		{"code-to-Active latency p95", ms(lat[len(lat)*95/100]), "ms", note},
	}, nil
}

// stalledFrames opens n connections (conc at a time) that each say Hello,
// then at once send a frame header announcing proto.MaxFrame bytes for a
// message type allowed that much (QueueSnapshot) and 1 KiB of it, and
// stall. The relay closes such a connection when it has not signed in or
// registered within its Hello timeout (10 s), or when the frame is not
// whole within proto.FrameTimeout, whichever comes first; so the relay's
// memory must stay flat however long the flood lasts. It reports the
// relay's peak RSS during the flood and how many connections the relay
// closed by itself.
func stalledFrames(ctx context.Context, tr *quic.Transport, r *relayProc, n, conc int) ([]result, error) {
	pid := r.cmd.Process.Pid
	base, err := procstat.RSSKiB(pid)
	if err != nil {
		return nil, err
	}
	frame := binary.BigEndian.AppendUint32(nil, proto.MaxFrame)
	frame = append(frame, 0xa2, 0x01, 0x18, byte(proto.TypeQueueSnapshot), 0x04, 0x5a) // {1: 24, 4: bytes(...
	frame = binary.BigEndian.AppendUint32(frame, proto.MaxFrame-10)
	frame = append(frame, make([]byte, 1<<10)...)

	// Sample the relay's RSS every 250 ms until the flood is over.
	var peak atomic.Int64
	peak.Store(int64(base))
	sampling := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-sampling:
				return
			case <-t.C:
				if v, err := procstat.RSSKiB(pid); err == nil && int64(v) > peak.Load() {
					peak.Store(int64(v))
				}
			}
		}
	})
	clients := make([]*client, n)
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures, stalled int
	var firstErr error
	t0 := time.Now()
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			c, _, err := dialRetry(ctx, tr, r, proto.RoleAgent)
			if err == nil {
				clients[i] = c
				_, err = c.st.Write(frame)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failures++
				firstErr = cmp.Or(firstErr, err)
				return
			}
			stalled++
		})
	}
	wg.Wait()
	floodTime := time.Since(t0)
	defer func() {
		for _, c := range clients {
			if c != nil {
				c.close()
			}
		}
	}()
	if stalled < n*9/10 {
		return nil, fmt.Errorf("only %d of %d connections stalled; first failure: %v", stalled, n, firstErr)
	}
	// Every connection ends by the relay's deadlines (+ a lost close: the
	// client's idle timeout).
	wctx, cancel := context.WithTimeout(ctx, proto.FrameTimeout+30*time.Second)
	defer cancel()
	closed := 0
	for _, c := range clients {
		if c == nil {
			continue
		}
		select {
		case <-c.done:
			closed++
		case <-wctx.Done():
		}
	}
	closedAfter := time.Since(t0)
	close(sampling)
	sampler.Wait()
	after, err := procstat.RSSKiB(pid)
	if err != nil {
		return nil, err
	}
	rate := float64(stalled) / floodTime.Seconds()
	note := fmt.Sprintf("%d connections in %v (%.0f/s; %d failed) each said Hello, announced a %d-byte frame, sent 1 KiB of it and stalled; relay RSS %d KiB before, %d KiB at the peak, %d KiB after the relay closed %d of them (%v after the flood began)",
		n, floodTime.Round(time.Second), rate, failures, proto.MaxFrame, base, peak.Load(), after, closed, closedAfter.Round(time.Second))
	return []result{
		{"relay memory added by a Hello-and-stall flood (peak)", float64(peak.Load()-int64(base)) / 1024, "MiB", note},
		{"Hello-and-stall connections the relay closed by itself", float64(closed), "connections", fmt.Sprintf("of %d, within %v of the flood's start (sign-in deadline 10 s, proto.FrameTimeout %v)", stalled, closedAfter.Round(time.Second), proto.FrameTimeout)},
	}, nil
}
