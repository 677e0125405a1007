package terminal

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/agent/session"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// screen is what the terminal printed, safe to read while it prints.
type screen struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *screen) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }

func (s *screen) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// waitFor waits until the output contains want.
func (s *screen) waitFor(t *testing.T, want string) { t.Helper(); s.waitForN(t, want, 1) }

// waitForN waits until the output contains want n times.
func (s *screen) waitForN(t *testing.T, want string, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		got := s.b.String()
		s.mu.Unlock()
		if strings.Count(got, want) >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("output lacks %q:\n%s", want, got)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type lines struct {
	mu  sync.Mutex
	got []string
	ch  chan struct{}
}

func (l *lines) add(s string) {
	l.mu.Lock()
	l.got = append(l.got, s)
	l.mu.Unlock()
	l.ch <- struct{}{}
}

func newTerm(t *testing.T) (*Terminal, *io.PipeWriter, *screen, *lines) {
	t.Helper()
	r, w := io.Pipe()
	t.Cleanup(func() { w.Close() })
	out := &screen{}
	term := New(r, out)
	chat := &lines{ch: make(chan struct{}, 16)}
	term.SetChat(chat.add)
	return term, w, out, chat
}

func TestLinesAreChatUnlessAQuestionIsAsked(t *testing.T) {
	term, in, out, chat := newTerm(t)
	// The empty line first: once the chat line arrived, both were read
	// (an empty line read after the question was asked would answer it).
	io.WriteString(in, "\nmy printer is broken\n")
	<-chat.ch
	answer := make(chan proto.Grant, 1)
	req := proto.ConsentRequest{Technician: "Tina", Organisation: "Acme IT", PeerID: 7, Permissions: proto.AllPermissions}
	go func() { answer <- term.Consent(context.Background(), req, "relay.example.com") }()
	out.waitFor(t, "Tina (Acme IT) wants to connect to this computer through the support server relay.example.com. They will be able to see your screen, use your mouse and keyboard and copy text to and from your clipboard. Allow? [y = yes, v = view only, N = no]")
	io.WriteString(in, "y\n")
	if g := <-answer; g.String() != "view,control,clipboard" {
		t.Fatalf("y granted %v", g)
	}
	go func() { answer <- term.Consent(context.Background(), req, "relay.example.com") }()
	out.waitForN(t, "Allow? [y = yes, v = view only, N = no]", 2)
	io.WriteString(in, " V \n")
	if g := <-answer; g.String() != "view" {
		t.Fatalf("v granted %v, want view only", g)
	}
	io.WriteString(in, "thanks\n")
	<-chat.ch
	if strings.Join(chat.got, "|") != "my printer is broken|thanks" {
		t.Fatalf("chat lines %q (the answer or an empty line was sent)", chat.got)
	}
	// A withdrawn question takes no line; anything but y declines.
	ctx, cancel := context.WithCancel(context.Background())
	go func() { answer <- term.Consent(ctx, proto.ConsentRequest{Technician: "Tina"}, "r") }()
	out.waitFor(t, "Tina wants to connect")
	cancel()
	if g := <-answer; g != nil {
		t.Fatal("a withdrawn question allowed")
	}
	out.waitFor(t, "The request to connect was withdrawn.")
	go func() { answer <- term.Consent(context.Background(), proto.ConsentRequest{Technician: "Bob"}, "r") }()
	out.waitFor(t, "Bob wants to connect")
	io.WriteString(in, "yess\n")
	if g := <-answer; g != nil {
		t.Fatal("yess allowed")
	}
	term.SetChat(nil)
	io.WriteString(in, "ignored\n")
	in.Close()
	<-term.eof
	if len(chat.got) != 2 {
		t.Fatalf("chat after SetChat(nil): %q", chat.got)
	}
}

func TestChatLines(t *testing.T) {
	term, _, out, _ := newTerm(t)
	term.Chat(proto.Chat{From: "Tina", FromPeer: 3, Text: "two\nlines"})
	term.Chat(proto.Chat{From: "Ann", Text: "hi"})
	out.waitFor(t, "Chat from Tina: two\n  lines\nYou wrote: hi\n")
	// Escape sequences in a name or text never reach the terminal.
	term.Chat(proto.Chat{From: "Eve\x1b[2J", FromPeer: 4, Text: "\x1b]52;c;ZXZpbA==\x07pwned\u009b"})
	out.waitFor(t, "Chat from Eve[2J: ]52;c;ZXZpbA==pwned\n")
	out.mu.Lock()
	defer out.mu.Unlock()
	if strings.ContainsAny(out.b.String(), "\x1b\x07\u009b") {
		t.Fatalf("control characters printed: %q", out.b.String())
	}
}

func TestRatingInTheTerminal(t *testing.T) {
	term, in, out, _ := newTerm(t)
	var sent []string
	fail := true
	done := make(chan struct{})
	go func() {
		term.Rate(context.Background(), func(stars int, comment string) error {
			sent = append(sent, strings.TrimSpace(strings.Repeat("*", stars)+" "+comment))
			if fail {
				fail = false
				return errors.New("the support server cannot be reached")
			}
			return nil
		})
		close(done)
	}()
	out.waitFor(t, "How was the support?")
	io.WriteString(in, "great\n")
	out.waitFor(t, "Please type a number from 1 to 5")
	io.WriteString(in, "6\n")
	out.waitForN(t, "Please type a number from 1 to 5", 2)
	io.WriteString(in, "4 stars Quick and friendly\n")
	out.waitFor(t, "Type the rating again to retry")
	io.WriteString(in, "4/5 Quick and friendly\n")
	<-done
	out.waitFor(t, "Thank you for your rating.")
	if strings.Join(sent, "|") != "**** Quick and friendly|**** Quick and friendly" {
		t.Fatalf("sent %q", sent)
	}
	// Enter skips, and so does the end of input.
	for i, finish := range []func(){func() { io.WriteString(in, "\n") }, func() { in.Close() }} {
		done := make(chan struct{})
		n := len(sent)
		go func() {
			term.Rate(context.Background(), func(int, string) error { sent = append(sent, "x"); return nil })
			close(done)
		}()
		out.waitForN(t, "How was the support?", 2+i)
		finish()
		<-done
		if len(sent) != n {
			t.Fatal("a skipped rating was sent")
		}
	}
}

func TestParseRating(t *testing.T) {
	for in, want := range map[string]struct {
		stars   int
		comment string
	}{
		"5": {5, ""}, " 1 ": {1, ""}, "4 Quick and friendly": {4, "Quick and friendly"}, "3/5 ok": {3, "ok"}, "2 stars slow": {2, "slow"},
	} {
		s, c, err := ParseRating(in)
		if err != nil || s != want.stars || c != want.comment {
			t.Errorf("%q: %d %q %v", in, s, c, err)
		}
	}
	for _, bad := range []string{"", "0", "6", "five", "-1", "4.5"} {
		if _, _, err := ParseRating(bad); !errors.Is(err, ErrBadRating) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestConfirmRelayInTheTerminal(t *testing.T) {
	term, in, out, chat := newTerm(t)
	for i, tc := range []struct {
		line string
		want bool
	}{{"y", true}, {"", false}, {"no", false}} {
		got := make(chan bool, 1)
		go func() { got <- term.ConfirmRelay(context.Background(), "relay.example.com") }()
		out.waitForN(t, "This app will connect to the support server relay.example.com. Connect only if your technician's organisation uses this server. Connect? [y/N]", i+1)
		io.WriteString(in, tc.line+"\n")
		if a := <-got; a != tc.want {
			t.Fatalf("%q: %v, want %v", tc.line, a, tc.want)
		}
	}
	if len(chat.got) != 0 {
		t.Fatalf("answers went to the chat: %q", chat.got)
	}
}

// TestIntakeInTheTerminal: one line each for the name and the problem;
// after a refusal the relay's sentence comes first and Enter keeps the
// earlier answer; the end of input gives up.
func TestIntakeInTheTerminal(t *testing.T) {
	term, in, out, chat := newTerm(t)
	type answer struct {
		in proto.Intake
		ok bool
	}
	got := make(chan answer, 1)
	go func() {
		i, ok := term.Intake(context.Background(), session.FallbackForm, "", proto.Intake{})
		got <- answer{i, ok}
	}()
	out.waitFor(t, "Your name:")
	io.WriteString(in, "  Ann Example \n")
	out.waitFor(t, "Describe your problem:")
	io.WriteString(in, "\n")
	if a := <-got; !a.ok || a.in != (proto.Intake{Name: "Ann Example"}) {
		t.Fatalf("first answer %+v", a)
	}
	go func() {
		i, ok := term.Intake(context.Background(), session.FallbackForm, "Please describe your problem.", proto.Intake{Name: "Ann Example"})
		got <- answer{i, ok}
	}()
	out.waitFor(t, "Please describe your problem.\nYour name (press Enter to keep \"Ann Example\"):")
	io.WriteString(in, "\n")
	out.waitForN(t, "Describe your problem:", 2)
	io.WriteString(in, "The printer jams.\n")
	if a := <-got; !a.ok || a.in != (proto.Intake{Name: "Ann Example", Problem: "The printer jams."}) {
		t.Fatalf("second answer %+v", a)
	}
	if len(chat.ch) != 0 {
		t.Fatal("an answer went to the chat")
	}
	go func() {
		i, ok := term.Intake(context.Background(), session.FallbackForm, "", proto.Intake{})
		got <- answer{i, ok}
	}()
	out.waitForN(t, "Your name:", 2)
	in.Close()
	if a := <-got; a.ok {
		t.Fatalf("answered after the input ended: %+v", a)
	}
}

// TestIntakeFollowsTheChannelsForm: the terminal asks only the fields the
// channel's form asks, marks required ones and asks them again when left
// empty, offers category and priority as a numbered list, refuses a
// number out of range, and keeps an earlier choice on Enter.
func TestIntakeFollowsTheChannelsForm(t *testing.T) {
	term, in, out, chat := newTerm(t)
	form := proto.CallFormInfo{Channel: "Service Desk",
		Form:       proto.IntakeForm{Name: proto.FieldOff, Problem: proto.FieldRequired, Category: proto.FieldRequired, Priority: proto.FieldOptional},
		Categories: proto.DefaultCategories, Priorities: proto.DefaultPriorities}
	got := make(chan proto.Intake, 1)
	go func() {
		if i, ok := term.Intake(context.Background(), form, "", proto.Intake{}); ok {
			got <- i
		}
	}()
	out.waitFor(t, "Describe your problem (required):")
	io.WriteString(in, "  \n")
	out.waitFor(t, "Please describe your problem; it is required.\nDescribe your problem (required):")
	io.WriteString(in, "The printer jams.\n")
	out.waitFor(t, "  1. hardware\n  2. software\n")
	out.waitFor(t, "  10. other\nCategory (1-10, required):")
	io.WriteString(in, "\n")
	out.waitFor(t, "Please choose a category; it is required.\nCategory (1-10, required):")
	io.WriteString(in, "11\n")
	out.waitFor(t, "Please type a number from 1 to 10.\nCategory (1-10, required):")
	io.WriteString(in, "three\n")
	out.waitForN(t, "Please type a number from 1 to 10.\nCategory (1-10, required):", 2)
	io.WriteString(in, "3\n")
	out.waitFor(t, "  5. informational\nPriority (1-5, Enter to skip):")
	io.WriteString(in, "\n")
	if i := <-got; i != (proto.Intake{Problem: "The printer jams.", Category: "network"}) {
		t.Fatalf("answer %+v", i)
	}
	if strings.Contains(out.String(), "Your name") {
		t.Fatalf("asked the name, which is off:\n%s", out.String())
	}
	// Asked again: Enter keeps the earlier answers; a choice typed as
	// listed counts too.
	go func() {
		if i, ok := term.Intake(context.Background(), form, "There is no priority.", proto.Intake{Problem: "The printer jams.", Category: "network"}); ok {
			got <- i
		}
	}()
	out.waitFor(t, "There is no priority.\nDescribe your problem (press Enter to keep \"The printer jams.\"):")
	io.WriteString(in, "\n")
	out.waitFor(t, "Category (1-10, Enter to keep \"network\"):")
	io.WriteString(in, "\n")
	out.waitForN(t, "Priority (1-5, Enter to skip):", 2)
	io.WriteString(in, "High\n")
	if i := <-got; i != (proto.Intake{Problem: "The printer jams.", Category: "network", Priority: "high"}) {
		t.Fatalf("second answer %+v", i)
	}
	if len(chat.ch) != 0 {
		t.Fatal("an answer went to the chat")
	}
}

// TestQueueAndParticipantsAreLines: every position is a line (the first
// says how to cancel), and so is every change of who is connected.
func TestQueueAndParticipantsAreLines(t *testing.T) {
	term, _, out, _ := newTerm(t)
	term.Queue(proto.QueuePosition{Channel: "Printing", Position: 3, Estimate: 4 * time.Minute})
	term.Queue(proto.QueuePosition{Channel: "Printing", Position: 2})
	term.Queue(proto.QueuePosition{Channel: "Printing", Technician: "Anna Berg"})
	anna := proto.Participant{Peer: proto.Peer{ID: 1, Name: "Anna Berg", Role: proto.PeerOwner}, Controls: true}
	tom := proto.Participant{Peer: proto.Peer{ID: 2, Name: "Tom Weber", Role: proto.PeerGuest}}
	term.Participants(nil) // nothing to say yet
	term.Participants([]proto.Participant{anna})
	term.Participants([]proto.Participant{anna}) // unchanged: no line
	term.Participants([]proto.Participant{anna, tom})
	term.Participants(nil)
	want := strings.Join([]string{
		"You are number 3 in the queue of Printing. Estimated wait: about 4 minutes.",
		"Press Ctrl+C to cancel your request.",
		"You are number 2 in the queue of Printing.",
		"Anna Berg has taken your request and will ask you for permission to connect.",
		"Connected: Anna Berg (your technician, controls your mouse and keyboard).",
		"Connected: Anna Berg (your technician, controls your mouse and keyboard), Tom Weber (guest, invited by your technician).",
		"Nobody is connected.",
	}, "\n") + "\n"
	if got := out.String(); got != want {
		t.Fatalf("printed:\n%s\nwant:\n%s", got, want)
	}
}
