// Command relaybench measures a real relay process end to end on loopback:
// agents registered per second with many connecting at once, relay memory
// per connected idle agent, and the latency from entering a code to an
// Active session. It prints a table and writes the figures as JSON.
package main

import (
	"bufio"
	"context"
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
	"sync"
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
	out := flag.String("out", "bench.json", "JSON output file")
	cpuProfile = flag.String("relay-cpuprofile", "", "have the relay write a CPU profile to `file`")
	flag.Parse()
	if err := run(*relayBin, *agents, *concurrency, *latencyRuns, *out); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

var cpuProfile *string

type relayProc struct {
	cmd             *exec.Cmd
	addr, fp, admin string
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
	args := []string{"serve", "--data", filepath.Join(dir, "data"), "--addr", addr, "--log-level", "error"}
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
	r := &relayProc{cmd: cmd, addr: addr}
	sc := bufio.NewScanner(stdout)
	pw := regexp.MustCompile(`password: (\S+)`)
	fp := regexp.MustCompile(`Key fingerprint: (\S+)`)
	for sc.Scan() {
		if m := pw.FindStringSubmatch(sc.Text()); m != nil {
			r.admin = m[1]
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
	peer *transport.Peer
	done chan struct{}
}

func dial(ctx context.Context, tr *quic.Transport, r *relayProc, role proto.Role, h transport.Handler) (*client, error) {
	conn, st, err := transport.DialVia(ctx, tr, r.addr, r.fp)
	if err != nil {
		return nil, err
	}
	c := &client{conn: conn, peer: transport.PeerOn(conn, st), done: make(chan struct{})}
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

func run(bin string, n, conc, runs int, out string) error {
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

	// 1. n agents connect and register, conc at a time.
	clients := make([]*client, n)
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures, retries int
	var firstErr error
	cpu0, err := procstat.CPU(r.cmd.Process.Pid)
	if err != nil {
		return err
	}
	t0 := time.Now()
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			// Like the SOS app, retry with backoff when the relay refuses a
			// handshake because too many are in flight.
			var c *client
			var err error
			for attempt := range 8 {
				if c, err = dial(ctx, tr, r, proto.RoleAgent, nil); err == nil {
					break
				}
				mu.Lock()
				retries++
				mu.Unlock()
				time.Sleep(time.Duration(attempt+1) * 50 * time.Millisecond)
			}
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
		return fmt.Errorf("%d of %d registrations failed, first: %v", failures, n, firstErr)
	}
	cpu1, err := procstat.CPU(r.cmd.Process.Pid)
	if err != nil {
		return err
	}
	perReg := (cpu1 - cpu0) / time.Duration(n)
	results = append(results,
		result{"agents registered per second", float64(n) / elapsed.Seconds(), "agents/s",
			fmt.Sprintf("%d agents, %d connecting at once, each a new QUIC connection with TLS 1.3 handshake (%d handshakes refused under load and retried); the load generator and the relay share %d cores", n, conc, retries, runtime.NumCPU())},
		result{"relay CPU per registration", float64(perReg.Microseconds()) / 1000, "ms",
			fmt.Sprintf("relay process only (handshake, register, SQLite insert): %.0f registrations/s per core of relay", float64(time.Second)/float64(perReg))})

	time.Sleep(2 * time.Second) // settle
	runtime.GC()
	after, err := procstat.RSSKiB(r.cmd.Process.Pid)
	if err != nil {
		return err
	}
	results = append(results, result{"relay memory per idle agent", float64(after-before) / float64(n), "KiB",
		fmt.Sprintf("relay RSS %d KiB before, %d KiB with %d idle agents connected", before, after, n)})
	for _, c := range clients {
		c.close()
	}

	// 2. code-to-Active latency: an agent that allows at once, a technician who types the code.
	var tech *client
	tech, err = dial(ctx, tr, r, proto.RoleTechnician, nil)
	if err != nil {
		return err
	}
	defer tech.close()
	if err := tech.peer.Call(ctx, proto.TypeLogin, &proto.Login{User: "admin", Password: r.admin}, proto.TypeLoginOK, nil); err != nil {
		return fmt.Errorf("login: %w", err)
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
			return err
		}
		var reg proto.AgentRegistered
		if err := ag.peer.Call(ctx, proto.TypeAgentRegister, &proto.AgentRegister{}, proto.TypeAgentRegistered, &reg); err != nil {
			return err
		}
		t := time.Now()
		var c proto.Connected
		if err := tech.peer.Call(ctx, proto.TypeConnect, &proto.Connect{Code: reg.Code}, proto.TypeConnected, &c); err != nil {
			return fmt.Errorf("connect: %w", err)
		}
		lat = append(lat, time.Since(t))
		if err := tech.peer.Call(ctx, proto.TypeEnd, &proto.End{SessionID: c.Session.ID}, proto.TypeOK, nil); err != nil {
			return err
		}
		ag.close()
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	note := fmt.Sprintf("%d runs: technician sends the code, relay asks the agent, agent allows, relay persists Active", runs)
	results = append(results,
		result{"code-to-Active latency p50", ms(lat[len(lat)/2]), "ms", note},
		result{"code-to-Active latency p95", ms(lat[len(lat)*95/100]), "ms", note})

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
