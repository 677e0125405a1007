package terminal

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// screen is what the terminal printed, safe to read while it prints.
type screen struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *screen) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }

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
	io.WriteString(in, "my printer is broken\n\n")
	<-chat.ch
	answer := make(chan bool, 1)
	go func() {
		answer <- term.Consent(context.Background(), proto.ConsentRequest{Technician: "Tina", Organisation: "Acme IT"})
	}()
	out.waitFor(t, "Tina (Acme IT) wants to view and control this computer. Allow? [y/N]")
	io.WriteString(in, "y\n")
	if !<-answer {
		t.Fatal("y did not allow")
	}
	io.WriteString(in, "thanks\n")
	<-chat.ch
	if strings.Join(chat.got, "|") != "my printer is broken|thanks" {
		t.Fatalf("chat lines %q (the answer or an empty line was sent)", chat.got)
	}
	// A withdrawn question takes no line; anything but y declines.
	ctx, cancel := context.WithCancel(context.Background())
	go func() { answer <- term.Consent(ctx, proto.ConsentRequest{Technician: "Tina"}) }()
	out.waitFor(t, "Tina wants to view")
	cancel()
	if <-answer {
		t.Fatal("a withdrawn question allowed")
	}
	out.waitFor(t, "The request to connect was withdrawn.")
	go func() { answer <- term.Consent(context.Background(), proto.ConsentRequest{Technician: "Bob"}) }()
	out.waitFor(t, "Bob wants to view")
	io.WriteString(in, "yess\n")
	if <-answer {
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
