// Command consolebench measures whether the console keeps up with a remote
// screen: on a 1920x1080 Xvfb it runs the real console binary in its
// test-only frame-feed mode (RELAYDESK_BENCH_FEED, see
// console/cmd/console/benchfeed.go), which opens the real window with a
// session tab and hands it synthetic decoded 1080p frames at 30 fps, the way
// a session hands it the decoder's frames. A synthetic feeder, so that no
// encoder shares the machine. It reports frames fed and painted per second
// and the console's CPU and memory, over several runs, as a table and JSON.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"text/tabwriter"
	"time"

	"github.com/relaydesk/relaydesk/agent/capture/testscreen"
	"github.com/relaydesk/relaydesk/pkg/procstat"
)

type result struct {
	Run        int     `json:"run"`
	FedFPS     float64 `json:"fed_fps"`
	PaintedFPS float64 `json:"painted_fps"`
	Painted    float64 `json:"painted_share_percent"`
	ConsoleCPU float64 `json:"console_cpu_percent"`
	RSSMiB     float64 `json:"console_rss_mib"`
	Seconds    float64 `json:"seconds"`
}

const width, height = 1920, 1080

func main() {
	bin := flag.String("bin", "bin", "directory with the console binary")
	runs := flag.Int("runs", 3, "how many runs")
	fps := flag.Int("fps", 30, "frames fed per second")
	dur := flag.Duration("duration", 10*time.Second, "length of each measured run (after 1 s of warm-up)")
	out := flag.String("out", "bench-console.json", "JSON output file")
	flag.Parse()
	if err := run(filepath.Join(*bin, "console"), *runs, *fps, *dur, *out); err != nil {
		fmt.Fprintln(os.Stderr, "consolebench:", err)
		os.Exit(1)
	}
}

func run(console string, runs, fps int, dur time.Duration, out string) error {
	x, err := testscreen.StartXvfb(width, height)
	if err != nil {
		return err
	}
	defer x.Close()
	var results []result
	for i := 1; i <= runs; i++ {
		r, err := once(console, x.Display, fps, dur)
		if err != nil {
			return fmt.Errorf("run %d: %w", i, err)
		}
		r.Run = i
		results = append(results, r)
	}

	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "console fed %dx%d at %d fps on a %dx%d Xvfb (software GL), %d runs of %s\n\n", width, height, fps, width, height, runs, dur)
	fmt.Fprintln(tw, "RUN\tFED FPS\tPAINTED FPS\tPAINTED %\tCONSOLE CPU %\tRSS MiB")
	for _, r := range results {
		fmt.Fprintf(tw, "%d\t%.1f\t%.1f\t%.0f\t%.0f\t%.0f\n", r.Run, r.FedFPS, r.PaintedFPS, r.Painted, r.ConsoleCPU, r.RSSMiB)
	}
	tw.Flush()
	b, _ := json.MarshalIndent(map[string]any{
		"when": time.Now().UTC(), "cpus": runtime.NumCPU(), "screen": fmt.Sprintf("%dx%dx24 Xvfb, Mesa software GL", width, height),
		"feed": fmt.Sprintf("%dx%d RGBA, scrolling 8 rows a frame, %d fps", width, height, fps),
		"runs": results,
		"notes": "the console binary's test-only frame feed (RELAYDESK_BENCH_FEED) hands synthetic decoded frames to the session view as the decoder would (no network, no decoding); " +
			"painted counts distinct frames the remote-screen widget drew; console CPU is user+system of the console process in percent of one core, RSS at the end of the run",
	}, "", "  ")
	fmt.Println(string(b))
	return os.WriteFile(out, b, 0o644)
}

// once runs the console's feed for one run and reads its figures.
func once(console, display string, fps int, dur time.Duration) (result, error) {
	cmd := exec.Command(console)
	cmd.Env = append(os.Environ(), "DISPLAY="+display, fmt.Sprintf("RELAYDESK_BENCH_FEED=%dx%d@%d/1s/%s", width, height, fps, dur))
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return result{}, err
	}
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	pid := cmd.Process.Pid
	defer func() { cmd.Process.Kill(); cmd.Wait() }()

	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func() (string, error) {
		select {
		case l, ok := <-lines:
			if !ok {
				return "", fmt.Errorf("the console exited before it reported its figures")
			}
			return l, nil
		case <-time.After(dur + 30*time.Second):
			return "", fmt.Errorf("the console reported nothing for %s", dur+30*time.Second)
		}
	}

	var r0, p0, r1, p1, fed int64
	var secs float64
	l, err := next()
	if err != nil {
		return result{}, err
	}
	cpu0, t0 := cpuTime(pid), time.Now()
	if _, err := fmt.Sscanf(l, "bench-feed start received=%d painted=%d", &r0, &p0); err != nil {
		return result{}, fmt.Errorf("unexpected %q", l)
	}
	if l, err = next(); err != nil {
		return result{}, err
	}
	cpu1, t1 := cpuTime(pid), time.Now()
	rss, _ := procstat.RSSKiB(pid)
	if _, err := fmt.Sscanf(l, "bench-feed end received=%d painted=%d fed=%d seconds=%g", &r1, &p1, &fed, &secs); err != nil || secs <= 0 {
		return result{}, fmt.Errorf("unexpected %q", l)
	}
	// The console quits by itself: read to the end, then reap it.
	for ended := false; !ended; {
		select {
		case _, ok := <-lines:
			ended = !ok
		case <-time.After(15 * time.Second):
			return result{}, fmt.Errorf("the console did not quit after the run")
		}
	}
	if err := cmd.Wait(); err != nil {
		return result{}, fmt.Errorf("console: %w", err)
	}
	if r1-r0 != fed {
		return result{}, fmt.Errorf("fed %d frames but the screen received %d", fed, r1-r0)
	}
	return result{
		FedFPS:     float64(fed) / secs,
		PaintedFPS: float64(p1-p0) / secs,
		Painted:    100 * float64(p1-p0) / float64(max(fed, 1)),
		ConsoleCPU: 100 * (cpu1 - cpu0).Seconds() / t1.Sub(t0).Seconds(),
		RSSMiB:     float64(rss) / 1024,
		Seconds:    secs,
	}, nil
}

func cpuTime(pid int) time.Duration {
	d, _ := procstat.CPU(pid)
	return d
}
