package main

import (
	"bufio"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// agentFrame is one "msg=frame" debug line of the sos app (agent/share):
// clock times in Unix microseconds, durations in microseconds.
type agentFrame struct {
	press, damage, grab, grabbed, encoded, sent int64
	convert, code                               int64
	q                                           int64 // libvpx's quantizer; -1: unknown
	key, refine                                 bool
}

// agentFrames collects the sos app's frame lines.
type agentFrames struct {
	mu     sync.Mutex
	frames []agentFrame
}

// read parses r (the sos app's standard error) until it ends.
func (a *agentFrames) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, " msg=frame ") {
			continue
		}
		v, flag := map[string]int64{"q": -1}, map[string]bool{}
		for _, f := range strings.Fields(line) {
			if k, val, ok := strings.Cut(f, "="); ok {
				if n, err := strconv.ParseInt(val, 10, 64); err == nil {
					v[k] = n
				} else if b, err := strconv.ParseBool(val); err == nil {
					flag[k] = b
				}
			}
		}
		a.mu.Lock()
		a.frames = append(a.frames, agentFrame{press: v["press"], damage: v["damage"], grab: v["grab"], grabbed: v["grabbed"],
			encoded: v["encoded"], sent: v["sent"], convert: v["convert_us"], code: v["code_us"],
			q: v["q"], key: flag["key"], refine: flag["refine"]})
		a.mu.Unlock()
	}
}

// meanQuantizer is the mean quantizer of the frames of normal quality (not
// keyframes, not refines) encoded from t0 to t1; -1 when there were none or
// the agent did not tell.
func (a *agentFrames) meanQuantizer(t0, t1 time.Time) float64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	var sum, n float64
	for _, f := range a.frames {
		if f.encoded >= t0.UnixMicro() && f.encoded <= t1.UnixMicro() && !f.key && !f.refine && f.q >= 0 {
			sum += float64(f.q)
			n++
		}
	}
	if n == 0 {
		return -1
	}
	return sum / n
}

// click is one click-to-screen measurement: when the press was sent and
// when (and in which frame) the probe saw it.
type click struct {
	sent time.Time
	seen hit
}

// stage is one step of a click's way, with its median in milliseconds.
type stage struct {
	Stage string  `json:"stage"`
	P50   float64 `json:"p50_ms"`
}

// breakdown matches every click with the agent's frame that the viewer
// then received (the last one encoded before the frame's first packet
// came: sending is synchronous, so the first packet arrives before the
// send returns) and returns the median of each step, in the order a click
// goes through them, with how many clicks it could match.
func (a *agentFrames) breakdown(clicks []click) ([]stage, int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	names := []string{"inject", "x_and_damage", "wait", "grab", "convert", "encode", "packetize_send", "receive_assemble", "decode", "display"}
	per := make([][]float64, len(names))
	matched := 0
	us := func(t time.Time) int64 { return t.UnixMicro() }
	for _, c := range clicks {
		var f *agentFrame
		for i := range a.frames {
			fr := &a.frames[i]
			if fr.encoded >= us(c.sent) && fr.encoded <= us(c.seen.view.Received) {
				f = fr
			}
		}
		if f == nil || f.press < us(c.sent) || f.damage == 0 {
			continue // a frame without the press, or without damage (a keyframe)
		}
		matched++
		v := c.seen.view
		ms := func(d int64) float64 { return float64(d) / 1000 }
		// While other things change (a moving window), the frame's damage
		// was first heard before the press: the click's own is not told
		// apart, and its time counts in the wait.
		damage := max(f.damage, f.press)
		steps := []float64{
			ms(f.press - us(c.sent)), ms(damage - f.press), ms(f.grab - damage), ms(f.grabbed - f.grab),
			ms(f.convert), ms(f.encoded - f.grabbed - f.convert), ms(us(v.Received) - f.encoded),
			ms(us(v.Assembled) - us(v.Received)), ms(us(v.Decoded) - us(v.Assembled)), ms(us(c.seen.at) - us(v.Decoded)),
		}
		for i, d := range steps {
			per[i] = append(per[i], d)
		}
	}
	if matched == 0 {
		return nil, 0
	}
	out := make([]stage, len(names))
	for i, name := range names {
		sort.Float64s(per[i])
		out[i] = stage{Stage: name, P50: per[i][len(per[i])/2]}
	}
	return out, matched
}
