// Command filebench measures file transfer with the real relay, sos and
// console binaries on loopback: a file of -size MB sent with `console
// connect --send` to an SOS app on a small Xvfb, directly (peer to peer)
// and through the relay's TURN server (--turn-only on both sides). It
// prints MB/s from the first byte to the receiver's confirmation and the
// CPU of the console, the app and the relay over that time, and writes
// JSON.
package main

import (
	"bufio"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/agent/capture/testscreen"
	"github.com/relaydesk/relaydesk/pkg/procstat"
)

type result struct {
	Path       string  `json:"path"`
	Bytes      int64   `json:"bytes"`
	Seconds    float64 `json:"seconds"`
	MBPerSec   float64 `json:"mb_per_sec"`
	ConsoleCPU float64 `json:"console_cpu_percent"`
	AppCPU     float64 `json:"sos_cpu_percent"`
	RelayCPU   float64 `json:"relay_cpu_percent"`
}

func main() {
	bin := flag.String("bin", "bin", "directory with relay, sos and console")
	size := flag.Int("size", 200, "file size in MB")
	out := flag.String("out", "bench-files.json", "JSON output file")
	flag.Parse()
	if err := run(*bin, int64(*size)*1_000_000, *out); err != nil {
		fmt.Fprintln(os.Stderr, "filebench:", err)
		os.Exit(1)
	}
}

// proc is a started binary whose output lines arrive on a channel.
type proc struct {
	cmd   *exec.Cmd
	lines chan string
	stdin io.WriteCloser
}

func start(bin string, env []string, name string, args ...string) (*proc, error) {
	p := &proc{cmd: exec.Command(filepath.Join(bin, name), args...), lines: make(chan string, 1000)}
	p.cmd.Env = append(os.Environ(), env...)
	r, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p.cmd.Stderr = p.cmd.Stdout
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() { // ends with the process's output
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			select {
			case p.lines <- sc.Text():
			default: // nobody reads progress lines this fast: drop them
			}
		}
		close(p.lines)
	}()
	return p, nil
}

func (p *proc) stop() { p.cmd.Process.Kill(); p.cmd.Wait() }

func (p *proc) expect(re string, within time.Duration) ([]string, error) {
	rx := regexp.MustCompile(re)
	timeout := time.After(within)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				return nil, fmt.Errorf("%s ended before %q", filepath.Base(p.cmd.Path), re)
			}
			if m := rx.FindStringSubmatch(l); m != nil {
				return m, nil
			}
		case <-timeout:
			return nil, fmt.Errorf("%s printed no %q within %s", filepath.Base(p.cmd.Path), re, within)
		}
	}
}

func cpu(p *proc) time.Duration { d, _ := procstat.CPU(p.cmd.Process.Pid); return d }

func run(bin string, size int64, out string) error {
	dir, err := os.MkdirTemp("", "filebench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "payload.bin")
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.CopyN(f, rand.Reader, size); err != nil {
		f.Close()
		return err
	}
	f.Close()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	// Every peer is on 127.0.0.1, so TURN must relay to loopback (a test-only switch).
	relay, err := start(bin, []string{"RELAYDESK_TEST_TURN_LOOPBACK=1"}, "relay", "serve", "--data", filepath.Join(dir, "data"), "--addr", addr, "--log-level", "error")
	if err != nil {
		return err
	}
	defer relay.stop()
	m, err := relay.expect(`its password is in (\S+) \(`, 30*time.Second)
	if err != nil {
		return err
	}
	pw, err := os.ReadFile(m[1])
	if err != nil {
		return fmt.Errorf("read the admin password: %w", err)
	}
	if m, err = relay.expect(`Key fingerprint: (\S+)`, 10*time.Second); err != nil {
		return err
	}
	fp := m[1]
	conEnv := []string{"XDG_CONFIG_HOME=" + filepath.Join(dir, "console")}
	login := exec.Command(filepath.Join(bin, "console"), "login", "--relay", addr, "--fingerprint", fp, "--user", "admin")
	login.Env, login.Stdin = append(os.Environ(), conEnv...), strings.NewReader(strings.TrimSpace(string(pw))+"\n")
	if b, err := login.CombinedOutput(); err != nil {
		return fmt.Errorf("console login: %v: %s", err, b)
	}
	x, err := testscreen.StartXvfb(640, 480)
	if err != nil {
		return err
	}
	defer x.Close()

	var results []result
	for _, path := range []string{"direct", "turn"} {
		r, err := transfer(bin, dir, addr, fp, x.Display, conEnv, file, size, path, relay)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		results = append(results, r)
		fmt.Printf("%-6s %7.1f MB/s  console CPU %5.1f%%  sos CPU %5.1f%%  relay CPU %5.1f%%  (%d MB in %.1f s)\n",
			r.Path, r.MBPerSec, r.ConsoleCPU, r.AppCPU, r.RelayCPU, r.Bytes/1_000_000, r.Seconds)
	}
	b, _ := json.MarshalIndent(map[string]any{"when": time.Now().UTC(), "cpus": runtime.NumCPU(), "results": results,
		"notes": "console connect --send to sos --no-gui on loopback; time from the console's first progress line to its 'Sent' line " +
			"(the receiver has checked the SHA-256 and named the file); CPU is user+system in percent of one core over that time"}, "", "  ")
	return os.WriteFile(out, b, 0o644)
}

// transfer sends file once over path ("direct" or "turn") and measures it.
func transfer(bin, dir, addr, fp, display string, conEnv []string, file string, size int64, path string, relay *proc) (result, error) {
	var extra []string
	if path == "turn" {
		extra = []string{"--turn-only"}
	}
	downloads := filepath.Join(dir, "downloads-"+path)
	sos, err := start(bin, []string{"DISPLAY=" + display, "XDG_DOWNLOAD_DIR=" + downloads}, "sos",
		append([]string{"--relay", addr, "--fingerprint", fp, "--no-gui"}, extra...)...)
	if err != nil {
		return result{}, err
	}
	defer sos.stop()
	m, err := sos.expect(`Session code: (\d{3}) (\d{3}) (\d{3})`, 30*time.Second)
	if err != nil {
		return result{}, err
	}
	con, err := start(bin, conEnv, "console", append([]string{"connect", m[1] + m[2] + m[3], "--send", file}, extra...)...)
	if err != nil {
		return result{}, err
	}
	defer con.stop()
	if _, err := sos.expect(`Allow\?`, 30*time.Second); err != nil {
		return result{}, err
	}
	fmt.Fprintln(sos.stdin, "y")
	if _, err := con.expect(`payload\.bin: `, 60*time.Second); err != nil { // the first progress line
		return result{}, err
	}
	t0, c0, a0, r0 := time.Now(), cpu(con), cpu(sos), cpu(relay)
	if _, err := con.expect(`^Sent `, 10*time.Minute); err != nil {
		return result{}, err
	}
	secs := time.Since(t0).Seconds()
	pct := func(a, b time.Duration) float64 { return (b - a).Seconds() / secs * 100 }
	r := result{Path: path, Bytes: size, Seconds: secs, MBPerSec: float64(size) / 1e6 / secs,
		ConsoleCPU: pct(c0, cpu(con)), AppCPU: pct(a0, cpu(sos)), RelayCPU: pct(r0, cpu(relay))}
	if fi, err := os.Stat(filepath.Join(downloads, "payload.bin")); err != nil || fi.Size() != size {
		return r, errors.New("the file did not arrive whole")
	}
	return r, nil
}
