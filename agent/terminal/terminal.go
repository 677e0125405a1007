// Package terminal is the SOS app's text interface (sos --no-gui): it
// prints what the window would show and reads the end user's answers and
// chat messages from standard input. While a question is asked (consent,
// rating) the next line answers it; any other line typed is a chat message.
package terminal

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/relaydesk/relaydesk/agent/session"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// Terminal implements session.UI on a line reader and writer.
type Terminal struct {
	out  io.Writer
	eof  chan struct{} // closed when the input ended
	mu   sync.Mutex
	q    chan string       // the question waiting for a line; nil: lines are chat
	chat func(text string) // receives lines typed while nothing is asked; nil: ignored
	seen bool              // a technician joined at some point
	// queued says the end user was told how to cancel a waiting request;
	// people is the last list of who is connected printed.
	queued bool
	people string
	// progress holds when each transfer's progress was printed last (files.go).
	progress sync.Map
	// recording says the session is being recorded; stopRec stops it
	// (record.go).
	recording bool
	stopRec   func()
}

// New returns a Terminal writing to out and reading in. The reading
// goroutine lives as long as in gives lines (standard input cannot be
// interrupted); it owns nothing but the Terminal's channels.
func New(in io.Reader, out io.Writer) *Terminal {
	t := &Terminal{out: out, eof: make(chan struct{})}
	go t.read(in)
	return t
}

func (t *Terminal) read(in io.Reader) {
	defer close(t.eof)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 4096), 1<<16)
	for sc.Scan() {
		line := sc.Text()
		t.mu.Lock()
		q := t.q
		t.q = nil
		switch {
		case q != nil:
		case t.stopsRecording(line): // record.go: not chat
		case t.chat != nil && strings.TrimSpace(line) != "":
			t.chat(line) // under t.mu: after SetChat(nil) returns, no more calls
		}
		t.mu.Unlock()
		if q != nil {
			q <- line // buffered
		}
	}
}

// SetChat sets what receives the lines typed while nothing is asked. It
// must return at once and not call the Terminal (start a goroutine for
// the network). nil stops the chat.
func (t *Terminal) SetChat(send func(text string)) {
	t.mu.Lock()
	t.chat = send
	t.mu.Unlock()
}

// ask prints prompt and waits for the next line, ctx's end or the end of input.
func (t *Terminal) ask(ctx context.Context, prompt string) (string, bool) {
	ch := make(chan string, 1)
	t.mu.Lock()
	t.q = ch
	t.mu.Unlock()
	t.Say("%s", prompt)
	select {
	case line := <-ch:
		return line, true
	case <-ctx.Done():
	case <-t.eof:
	}
	t.mu.Lock()
	if t.q == ch {
		t.q = nil
	}
	t.mu.Unlock()
	return "", false
}

// Say prints one line, without the control characters a chat text or a
// name could carry (terminal escapes), but newlines and tabs.
func (t *Terminal) Say(format string, args ...any) {
	line := proto.CleanText(fmt.Sprintf(format, args...))
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintln(t.out, line)
}

// Code implements session.UI.
func (t *Terminal) Code(code string, expires time.Time) {
	t.Say("Session code: %s %s %s", code[0:3], code[3:6], code[6:9])
	t.Say("Read this code to your technician. It is valid until %s.", expires.Local().Format("15:04"))
}

// Waiting implements session.UI.
func (t *Terminal) Waiting(technician string) {
	if technician == "" {
		technician = "your technician"
	}
	t.Say("Waiting for %s to connect.", technician)
}

// Status implements session.UI.
func (t *Terminal) Status(text string) { t.Say("%s", text) }

// Consent implements session.UI: the next line typed answers; y or yes
// allows what was asked, v or view allows seeing the screen only, anything
// else declines.
func (t *Terminal) Consent(ctx context.Context, req proto.ConsentRequest, relayHost string) proto.Grant {
	choices := "[y = yes, v = view only, N = no]"
	if proto.Grant(req.Permissions).ViewOnly() {
		choices = "[y/N]"
	}
	line, ok := t.ask(ctx, session.ConsentQuestion(req, relayHost)+" Allow? "+choices)
	if !ok {
		if ctx.Err() != nil {
			t.Say("The request to connect was withdrawn.")
		}
		return nil
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		t.Say("You allowed %s to connect.", req.Technician)
		return req.Permissions
	case "v", "view":
		if proto.Grant(req.Permissions).Has(proto.PermView) {
			t.Say("You allowed %s to see your screen only.", req.Technician)
			return proto.Grant{proto.PermView}
		}
	}
	t.Say("You declined.")
	return nil
}

// Intake implements session.IntakeUI: one line for each field the
// channel's form asks (session.FormFields), required ones marked and not
// skipped; category and priority are chosen by number from a numbered
// list (or typed as listed). After a refusal it shows the relay's
// sentence first, and an empty line keeps the earlier answer.
func (t *Terminal) Intake(ctx context.Context, form proto.CallFormInfo, refusal string, last proto.Intake) (proto.Intake, bool) {
	if refusal != "" {
		t.Say("%s", refusal)
	}
	var in proto.Intake
	for _, f := range session.FormFields(form) {
		keep := *f.Value(&last)
		if f.Choices != nil && !slices.Contains(f.Choices, keep) {
			keep = "" // no longer on the list
		}
		v, ok := t.askField(ctx, f, keep)
		if !ok {
			return proto.Intake{}, false
		}
		*f.Value(&in) = v
	}
	return in, true
}

// askField asks one field of the SOS Call form until the answer fits:
// Enter keeps keep, skips an optional field and is refused for a
// required one; a choice must be a number of the list (or an entry of it).
func (t *Terminal) askField(ctx context.Context, f session.Field, keep string) (string, bool) {
	var note []string
	if f.Choices != nil {
		for i, c := range f.Choices {
			t.Say("  %d. %s", i+1, c)
		}
		note = append(note, fmt.Sprintf("1-%d", len(f.Choices)))
	}
	switch {
	case keep != "" && f.Choices == nil:
		note = append(note, "press Enter to keep \""+keep+"\"")
	case keep != "":
		note = append(note, "Enter to keep \""+keep+"\"")
	case f.Mode == proto.FieldRequired:
		note = append(note, "required")
	case f.Choices != nil:
		note = append(note, "Enter to skip")
	}
	prompt := f.Label + ":"
	if len(note) > 0 {
		prompt = f.Label + " (" + strings.Join(note, ", ") + "):"
	}
	for {
		line, ok := t.ask(ctx, prompt)
		if !ok {
			return "", false
		}
		v := strings.TrimSpace(line)
		switch {
		case v == "" && keep != "":
			return keep, true
		case v == "" && f.Mode == proto.FieldRequired:
			t.Say("%s", f.Required)
			continue
		case v == "" || f.Choices == nil:
			return v, true
		}
		if n, err := strconv.Atoi(v); err == nil && n >= 1 && n <= len(f.Choices) {
			return f.Choices[n-1], true
		}
		if i := slices.IndexFunc(f.Choices, func(c string) bool { return strings.EqualFold(c, v) }); i >= 0 {
			return f.Choices[i], true
		}
		t.Say("Please type a number from 1 to %d.", len(f.Choices))
	}
}

// ConfirmRelay asks whether to connect to the support server at host (a
// dev build asks once before connecting); only y or yes connect.
func (t *Terminal) ConfirmRelay(ctx context.Context, host string) bool {
	line, ok := t.ask(ctx, session.RelayQuestion(host)+" Connect? [y/N]")
	a := strings.ToLower(strings.TrimSpace(line))
	return ok && (a == "y" || a == "yes")
}

// Joined implements session.UI.
func (t *Terminal) Joined(p proto.Peer) {
	t.mu.Lock()
	t.seen = true
	t.mu.Unlock()
	t.Say("%s is now connected to this computer. Type a line to chat with them.", p.Name)
}

// Left implements session.UI.
func (t *Terminal) Left(p proto.Peer, reason string) {
	t.Say("%s left the session (%s).", p.Name, reason)
}

// Ended implements session.UI.
func (t *Terminal) Ended(e proto.SessionEnded) {
	if e.Reason != "" {
		t.Say("Session ended by %s: %s.", e.By, e.Reason)
		return
	}
	t.Say("Session ended by %s.", e.By)
}

// Chat implements session.UI.
func (t *Terminal) Chat(c proto.Chat) {
	text := strings.ReplaceAll(c.Text, "\n", "\n  ")
	if c.FromPeer == 0 {
		t.Say("You wrote: %s", text)
		return
	}
	t.Say("Chat from %s: %s", c.From, text)
}

// HadTechnician reports whether a technician joined the session at some point.
func (t *Terminal) HadTechnician() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.seen
}

// ErrBadRating is a rating line that is not 1-5 stars.
var ErrBadRating = errors.New("terminal: a rating is a number from 1 to 5, optionally followed by a comment")

// ParseRating reads "4" or "4 Quick and friendly" (or "4/5 …", "4 stars").
func ParseRating(line string) (stars int, comment string, err error) {
	first, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
	first = strings.TrimSuffix(first, "/5")
	stars, err = strconv.Atoi(first)
	if err != nil || stars < 1 || stars > 5 {
		return 0, "", ErrBadRating
	}
	rest = strings.TrimSpace(rest)
	if w, after, _ := strings.Cut(rest, " "); strings.EqualFold(w, "stars") || strings.EqualFold(w, "star") {
		rest = strings.TrimSpace(after)
	}
	return stars, rest, nil
}

// Rate asks for a rating after the session and hands it to send, until it
// was sent, the end user skipped (an empty line), the input ended or ctx ended.
func (t *Terminal) Rate(ctx context.Context, send func(stars int, comment string) error) {
	prompt := "How was the support? Type 1 to 5 stars, optionally followed by a comment (for example: 5 Thank you!), or press Enter to skip."
	for {
		line, ok := t.ask(ctx, prompt)
		if !ok || strings.TrimSpace(line) == "" {
			t.Say("No rating sent.")
			return
		}
		stars, comment, err := ParseRating(line)
		if err != nil {
			prompt = "Please type a number from 1 to 5 (and a comment if you like), or press Enter to skip."
			continue
		}
		if err := send(stars, comment); err != nil {
			t.Say("Your rating was not sent: %v", err)
			prompt = "Type the rating again to retry, or press Enter to skip."
			continue
		}
		t.Say("Thank you for your rating.")
		return
	}
}

// Queue implements session.QueueUI: one line each time the position
// changes; while waiting, the first also says how to cancel.
func (t *Terminal) Queue(p proto.QueuePosition) {
	t.Say("%s", session.PositionSentence(p))
	t.mu.Lock()
	first := !t.queued && p.Position > 0
	t.queued = t.queued || first
	t.mu.Unlock()
	if first {
		t.Say("Press Ctrl+C to cancel your request.")
	}
}

// Participants implements session.ParticipantsUI: a line whenever who is
// connected, their role or who controls changes.
func (t *Terminal) Participants(list []proto.Participant) {
	line := session.ParticipantsSentence(list)
	t.mu.Lock()
	same := line == t.people || (t.people == "" && len(list) == 0)
	t.people = line
	t.mu.Unlock()
	if !same {
		t.Say("%s", line)
	}
}

var (
	_ session.IntakeUI       = (*Terminal)(nil)
	_ session.QueueUI        = (*Terminal)(nil)
	_ session.ParticipantsUI = (*Terminal)(nil)
)
