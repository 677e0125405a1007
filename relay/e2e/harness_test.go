package e2e

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/store"
)

// bin holds the binaries built once for all tests.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "relaydesk-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = dir
	// RELAYDESK_E2E_RACE=1 (make test) builds the binaries with the race
	// detector; a race they report fails the test that ran them (see raced).
	build := []string{"build"}
	if os.Getenv("RELAYDESK_E2E_RACE") != "" {
		build = append(build, "-race")
	}
	for name, pkg := range map[string]string{"relay": "./relay/cmd/relay", "sos": "./agent/cmd/sos", "console": "./console/cmd/console"} {
		cmd := exec.Command("go", append(build, "-o", filepath.Join(dir, name), pkg)...)
		cmd.Dir = "../.."
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n", name, err)
			os.Exit(1)
		}
	}
	// The SOS app as an organisation releases it: built for its relay (here
	// the loopback one; any key) and no other.
	// Built like the others (with -race when they are), so that it reuses
	// their compiled packages: only the link differs.
	cmd := exec.Command("go", append(build, "-ldflags", "-X main.releaseRelays=127.0.0.1", "-o", filepath.Join(dir, "sos-release"), "./agent/cmd/sos")...)
	cmd.Dir = "../.."
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "build sos-release: %v\n", err)
		os.Exit(1)
	}
	flag.Parse()
	waitWindows := prebuildWindows(flag.Lookup("test.run").Value.String(), flag.Lookup("test.skip").Value.String())
	code := m.Run()
	waitWindows()
	os.RemoveAll(dir)
	os.Exit(code)
}

// parallel runs t beside the suite's other parallel tests (at most go
// test's -parallel at once, after the serial ones): most tests wait on
// their programs far more than they compute. A test stays serial when it
// times or counts what the machine's load would change (frame rates,
// shaped links, the moment a picture is sharp), drives Wine (one prefix,
// one wineserver) or a Fyne window. RELAYDESK_E2E_SERIAL=1 runs every
// test alone, to tell a test's own failure from its neighbours' load.
func parallel(t *testing.T) {
	if os.Getenv("RELAYDESK_E2E_SERIAL") == "" {
		t.Parallel()
	}
}

// baseEnv is the environment of the binaries under test. Fyne (linked into
// sos and console) logs a warning on standard error at start when the
// locale is "C" (not a language tag); a real language keeps the output
// the tests read free of it.
func baseEnv() []string {
	return append(os.Environ(), "LANG=en_US.UTF-8", "LC_ALL=", "LANGUAGE=")
}

// proc is a running binary whose output lines are collected.
type proc struct {
	t     *testing.T
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	mu    sync.Mutex
	lines []string
	seen  int // lines already consumed by expect
	wake  chan struct{}
	done  chan struct{}
	err   error
}

func start(t *testing.T, env []string, name string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, name: name, wake: make(chan struct{}, 1), done: make(chan struct{})}
	p.cmd = exec.Command(filepath.Join(bin, name), args...)
	p.cmd.Env = append(baseEnv(), env...)
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = p.cmd.Stdout
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
			select {
			case p.wake <- struct{}{}:
			default:
			}
		}
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
		out := p.output()
		raced(t, name, out)
		if t.Failed() {
			t.Logf("output of %s %s:\n%s", name, strings.Join(args, " "), out)
		}
	})
	return p
}

// raced fails t when a binary built with -race reported a data race.
func raced(t *testing.T, name, out string) bool {
	t.Helper()
	if !strings.Contains(out, "WARNING: DATA RACE") {
		return false
	}
	t.Errorf("%s reported a data race (its output follows)", name)
	return true
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// expect waits for a line matching re after the lines earlier expects
// consumed, and returns its submatches.
func (p *proc) expect(re string) []string {
	p.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.After(60 * time.Second)
	for {
		p.mu.Lock()
		lines := p.lines[p.seen:]
		p.mu.Unlock()
		for _, l := range lines {
			p.mu.Lock()
			p.seen++
			p.mu.Unlock()
			if m := rx.FindStringSubmatch(l); m != nil {
				return m
			}
		}
		select {
		case <-p.wake:
		case <-p.done:
			p.mu.Lock()
			more := len(p.lines) > p.seen
			p.mu.Unlock()
			if !more {
				p.t.Fatalf("%s exited (%v) without printing %q", p.name, p.err, re)
			}
		case <-deadline:
			p.t.Fatalf("%s did not print %q within 60s", p.name, re)
		}
	}
}

func (p *proc) say(line string) {
	p.t.Helper()
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		p.t.Fatalf("write to %s: %v", p.name, err)
	}
}

func (p *proc) signal(s os.Signal) { p.cmd.Process.Signal(s) }

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait() int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		p.t.Fatalf("%s did not exit", p.name)
	}
	return p.cmd.ProcessState.ExitCode()
}

// run runs a binary to completion with stdin and returns its output and exit code.
func run(t *testing.T, env []string, stdin, name string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(bin, name), args...)
	cmd.Env = append(baseEnv(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	out, _ := cmd.CombinedOutput()
	if raced(t, name, string(out)) {
		t.Logf("output of %s %s:\n%s", name, strings.Join(args, " "), out)
	}
	return string(out), cmd.ProcessState.ExitCode()
}

// relay is a relay process with its data directory and address.
type relay struct {
	*proc
	data, addr, fp, adminPW string
	extra                   []string
	strictTURN              bool // TURN refuses loopback peers, as on a real relay
}

// dataDir is a data directory the relay creates itself (0700): the relay
// refuses one that others may read, as t.TempDir() is.
func dataDir(t *testing.T) string { return filepath.Join(t.TempDir(), "relay-data") }

func startRelay(t *testing.T, extra ...string) *relay {
	t.Helper()
	r := &relay{data: dataDir(t), extra: extra}
	r.launch(t)
	return r
}

func (r *relay) launch(t *testing.T) {
	t.Helper()
	addr := r.addr
	if addr == "" { // the first start takes any free port; a restart keeps it
		addr = "127.0.0.1:0"
	}
	args := append([]string{"serve", "--data", r.data, "--addr", addr, "--log-level", "debug"}, r.extra...)
	// Every peer of these tests is on 127.0.0.1, so TURN must relay to
	// loopback: a test-only switch (the relay warns about it).
	env := []string{"RELAYDESK_TEST_TURN_LOOPBACK=1"}
	if r.strictTURN {
		env = nil
	}
	r.proc = start(t, env, "relay", args...)
	if r.adminPW == "" { // the first start leaves it in a file, never in the output
		path := r.expect(`administrator account "admin"; its password is in (\S+) \(readable only by you\)`)[1]
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("read the admin password: %v", err)
		}
		r.adminPW = strings.TrimSpace(string(b))
	}
	r.addr = r.expect(`Relay listening on (\S+) `)[1]
	r.fp = r.expect(`Key fingerprint: (sha256:[0-9a-f]{64})`)[1]
}

// kill stops the relay at once, as a crash would.
func (r *relay) kill() {
	r.cmd.Process.Signal(syscall.SIGKILL)
	<-r.done
}

// openStore opens the relay's database beside the running relay.
func (r *relay) openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(r.data, "relay.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// technician signs in with a console of its own config directory.
type technician struct {
	env []string
}

func (r *relay) login(t *testing.T, user, password string) technician {
	t.Helper()
	tech := technician{env: []string{"XDG_CONFIG_HOME=" + t.TempDir()}}
	out, code := run(t, tech.env, password+"\n", "console", "login", "--relay", r.addr, "--fingerprint", r.fp, "--user", user)
	if code != 0 {
		t.Fatalf("login failed (%d): %s", code, out)
	}
	return tech
}

func (r *relay) addUser(t *testing.T, name, role, password string) {
	t.Helper()
	out, code := run(t, nil, password+"\n", "relay", "user", "add", "--data", r.data, "--name", name, "--role", role, "--password-stdin")
	if code != 0 {
		t.Fatalf("user add: %s", out)
	}
}

// sessionStatus reads a session's status from the relay's database.
func sessionStatus(t *testing.T, st store.Store, id string) proto.Status {
	t.Helper()
	s, err := st.Session(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return s.Status
}

// waitStatus polls the database until the session has status want.
func waitStatus(t *testing.T, st store.Store, id string, want proto.Status) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := sessionStatus(t, st, id)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("session %s is %s, want %s", id, got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// udpProxy forwards UDP between clients and a target; Drop blackholes
// traffic in both directions, as a network outage does.
type udpProxy struct {
	pc     net.PacketConn
	target *net.UDPAddr // under mu
	drop   atomic.Bool
	// limit, when set, shapes traffic to this many bytes per second in each
	// direction, as a slow line with a 200 ms buffer does.
	limit atomic.Int64
	links [2]link
	// sent and dropped count packets in each direction (0: to the target)
	// while limit is set.
	sent, dropped [2]atomic.Int64
	mu            sync.Mutex
	ups           map[string]*net.UDPConn
	wg            sync.WaitGroup
}

// newUDPProxy forwards to target; an empty one drops what comes until
// setTarget (a relay that takes its port when it starts needs the proxy's
// address first, for --public).
func newUDPProxy(t *testing.T, target string) *udpProxy {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &udpProxy{pc: pc, ups: make(map[string]*net.UDPConn)}
	if target != "" {
		p.setTarget(t, target)
	}
	p.wg.Go(p.loop)
	t.Cleanup(func() {
		pc.Close()
		p.mu.Lock()
		for _, u := range p.ups {
			u.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

func (p *udpProxy) addr() string { return p.pc.LocalAddr().String() }

func (p *udpProxy) setTarget(t *testing.T, target string) {
	t.Helper()
	ta, err := net.ResolveUDPAddr("udp", target)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.target = ta
	p.mu.Unlock()
}

// link shapes one direction like a slow line with a buffer: packets leave
// at the limit's rate, and a packet that would wait more than 200 ms in
// the buffer is dropped.
type link struct {
	mu   sync.Mutex
	next time.Time // when the line is free again
}

// delay returns how long a packet of n bytes waits, or false to drop it.
func (p *udpProxy) delay(dir, n int) (time.Duration, bool) {
	rate := float64(p.limit.Load())
	if rate == 0 {
		return 0, true
	}
	l := &p.links[dir]
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	start := l.next
	if start.Before(now) {
		start = now
	}
	if start.Sub(now) > 200*time.Millisecond {
		p.dropped[dir].Add(1)
		return 0, false
	}
	p.sent[dir].Add(1)
	l.next = start.Add(time.Duration(float64(n) / rate * float64(time.Second)))
	return l.next.Sub(now), true
}

// send forwards a packet after its shaping delay (in order: delays grow).
func (p *udpProxy) send(dir int, b []byte, write func([]byte)) {
	d, ok := p.delay(dir, len(b))
	if !ok {
		return
	}
	if d <= 0 {
		write(b)
		return
	}
	b = append([]byte(nil), b...)
	p.wg.Add(1)
	time.AfterFunc(d, func() { defer p.wg.Done(); write(b) })
}

func (p *udpProxy) loop() {
	buf := make([]byte, 65536)
	for {
		n, from, err := p.pc.ReadFrom(buf)
		if err != nil {
			return
		}
		if p.drop.Load() {
			continue
		}
		p.mu.Lock()
		up := p.ups[from.String()]
		if up == nil && p.target == nil {
			p.mu.Unlock()
			continue
		}
		if up == nil {
			up, err = net.DialUDP("udp", nil, p.target)
			if err != nil {
				p.mu.Unlock()
				continue
			}
			p.ups[from.String()] = up
			p.wg.Go(func() {
				b := make([]byte, 65536)
				for {
					n, err := up.Read(b)
					if err != nil {
						return
					}
					if !p.drop.Load() {
						p.send(1, b[:n], func(b []byte) { p.pc.WriteTo(b, from) })
					}
				}
			})
		}
		p.mu.Unlock()
		p.send(0, buf[:n], func(b []byte) { up.Write(b) })
	}
}
