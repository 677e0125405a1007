// Package script reads and runs technician input scripts: one action per
// line (move, down, up, click, wheel, key, type, clipboard, display, wait, snapshot, draw), so that a
// remote session can be driven from a file. Parsing checks every line before
// anything is sent.
package script

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// ErrSyntax is wrapped by every parse error; the message names the line.
var ErrSyntax = errors.New("script: syntax error")

// Action is one line of a script. Verbs: move X Y, down|up|click BUTTON,
// wheel DY, key COMBO, type TEXT, clipboard TEXT (put TEXT on the remote
// clipboard), display N (show the remote display N, from 0), wait DURATION,
// snapshot FILE, draw SHAPE … (draw.go: on the end user's screen).
type Action struct {
	Line   int
	Verb   string // move, down, up, click, wheel, key, type, wait, snapshot
	X, Y   int
	Button string
	DY     int      // wheel notches; display: the display index
	Keys   []string // key: the combo's keys, modifiers first
	Text   string   // type: the text; snapshot: the file
	Wait   time.Duration
	Shape  proto.DrawShape // draw: kind, colour and width; Points unset
	Pixels []int           // draw: x0, y0, x1, y1, … on the remote screen; none: clear
}

var buttonNames = map[string]bool{"left": true, "right": true, "middle": true}

var modifierKeys = map[string]string{
	"ctrl": "Control_L", "control": "Control_L", "alt": "Alt_L", "shift": "Shift_L",
	"super": "Super_L", "win": "Super_L", "cmd": "Super_L", "meta": "Meta_L", "altgr": "ISO_Level3_Shift",
}

// Parse reads a whole script. Blank lines and lines starting with # are skipped.
func Parse(r io.Reader) ([]Action, error) {
	sc := bufio.NewScanner(r)
	var out []Action
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		verb, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		a := Action{Line: n, Verb: verb}
		bad := func(format string, args ...any) error {
			return fmt.Errorf("%w: line %d: %s", ErrSyntax, n, fmt.Sprintf(format, args...))
		}
		switch verb {
		case "move":
			f := strings.Fields(rest)
			if len(f) != 2 {
				return nil, bad("move takes X Y in pixels")
			}
			var err1, err2 error
			a.X, err1 = strconv.Atoi(f[0])
			a.Y, err2 = strconv.Atoi(f[1])
			if err1 != nil || err2 != nil || a.X < 0 || a.Y < 0 {
				return nil, bad("move takes X Y as non-negative whole pixels, not %q", rest)
			}
		case "down", "up", "click":
			if !buttonNames[rest] {
				return nil, bad("%s takes left, right or middle, not %q", verb, rest)
			}
			a.Button = rest
		case "wheel":
			dy, err := strconv.Atoi(rest)
			if err != nil || dy == 0 || dy > 100 || dy < -100 {
				return nil, bad("wheel takes a number of notches between -100 and 100 (positive scrolls down), not %q", rest)
			}
			a.DY = dy
		case "key":
			if rest == "" || strings.Contains(rest, " ") {
				return nil, bad("key takes one combination such as ctrl+alt+t or Return")
			}
			for _, k := range strings.Split(rest, "+") {
				if k == "" {
					return nil, bad("empty key in %q", rest)
				}
				if m, ok := modifierKeys[strings.ToLower(k)]; ok {
					k = m
				}
				a.Keys = append(a.Keys, k)
			}
		case "type", "clipboard":
			if rest == "" {
				return nil, bad("%s needs text", verb)
			}
			a.Text = strings.TrimPrefix(line, verb+" ")
		case "display":
			n, err := strconv.Atoi(rest)
			if err != nil || n < 0 || n > 15 {
				return nil, bad("display takes a display number from 0, not %q", rest)
			}
			a.DY = n
		case "wait":
			d, err := time.ParseDuration(rest)
			if err != nil || d < 0 || d > time.Hour {
				return nil, bad("wait takes a duration such as 200ms or 2s, not %q", rest)
			}
			a.Wait = d
		case "snapshot":
			if rest == "" {
				return nil, bad("snapshot needs a file name")
			}
			a.Text = rest
		case "draw":
			if err := parseDraw(&a, strings.Fields(rest)); err != nil {
				return nil, bad("%v", err)
			}
		default:
			return nil, bad("unknown action %q (move, down, up, click, wheel, key, type, clipboard, display, wait, snapshot, draw)", verb)
		}
		out = append(out, a)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("script: read: %w", err)
	}
	return out, nil
}

// SendsInput reports whether any action needs the input channel (the
// mouse and keyboard), which a technician allowed to view only lacks.
func SendsInput(actions []Action) bool {
	for _, a := range actions {
		switch a.Verb {
		case "move", "down", "up", "click", "wheel", "key", "type":
			return true
		}
	}
	return false
}

// Remote is what a script drives.
type Remote interface {
	SendInput(proto.Input) error
	ScreenSize() image.Point
	// Snapshot writes the current screen to file.
	Snapshot(file string) error
	// SendClipboard puts text on the remote clipboard.
	SendClipboard(text string) error
	// ShowDisplay asks the agent to capture display n.
	ShowDisplay(n int) error
}

// Run performs the actions in order. Pixel coordinates are normalised to
// the remote screen's size.
func Run(ctx context.Context, r Remote, actions []Action) error {
	var x, y float64
	norm := func(px, py int) (float64, float64, error) {
		s := r.ScreenSize()
		if s.X < 2 || s.Y < 2 {
			return 0, 0, errors.New("script: the remote screen size is not known yet")
		}
		if px >= s.X || py >= s.Y {
			return 0, 0, fmt.Errorf("script: %d,%d is outside the remote screen (%dx%d)", px, py, s.X, s.Y)
		}
		return float64(px) / float64(s.X-1), float64(py) / float64(s.Y-1), nil
	}
	for _, a := range actions {
		var err error
		switch a.Verb {
		case "move":
			var nx, ny float64
			if nx, ny, err = norm(a.X, a.Y); err == nil {
				x, y = nx, ny
				err = r.SendInput(proto.Input{Kind: proto.InputMove, X: x, Y: y})
			}
		case "down":
			err = r.SendInput(proto.Input{Kind: proto.InputDown, X: x, Y: y, Button: a.Button})
		case "up":
			err = r.SendInput(proto.Input{Kind: proto.InputUp, X: x, Y: y, Button: a.Button})
		case "click":
			if err = r.SendInput(proto.Input{Kind: proto.InputDown, X: x, Y: y, Button: a.Button}); err == nil {
				err = r.SendInput(proto.Input{Kind: proto.InputUp, X: x, Y: y, Button: a.Button})
			}
		case "wheel":
			err = r.SendInput(proto.Input{Kind: proto.InputWheel, DY: a.DY})
		case "key":
			for _, k := range a.Keys {
				if err = r.SendInput(proto.Input{Kind: proto.InputKeyDn, Key: k}); err != nil {
					break
				}
			}
			for i := len(a.Keys) - 1; i >= 0 && err == nil; i-- {
				err = r.SendInput(proto.Input{Kind: proto.InputKeyUp, Key: a.Keys[i]})
			}
		case "type":
			err = r.SendInput(proto.Input{Kind: proto.InputText, Text: a.Text})
		case "clipboard":
			err = r.SendClipboard(a.Text)
		case "display":
			err = r.ShowDisplay(a.DY)
		case "wait":
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(a.Wait):
			}
		case "snapshot":
			err = r.Snapshot(a.Text)
		case "draw":
			err = draw(r, a, norm)
		}
		if err != nil {
			return fmt.Errorf("line %d (%s): %w", a.Line, a.Verb, err)
		}
	}
	return nil
}
