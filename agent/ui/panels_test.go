package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

func pressEnter(e interface{ TypedKey(*fyne.KeyEvent) }) {
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
}

func TestChatPanel(t *testing.T) {
	w, rec := newTestWindow(t)
	if !w.chat.box.Hidden {
		t.Fatal("chat shown before a technician connected")
	}
	w.Joined(proto.Peer{ID: 7, Name: "Tina"})
	if w.chat.box.Hidden {
		t.Fatal("chat hidden while a technician is connected")
	}
	// Enter sends; so does the button; blank input sends nothing.
	test.Type(w.chat.entry, "My printer is broken")
	pressEnter(w.chat.entry)
	test.Type(w.chat.entry, "   ")
	test.Tap(w.chat.send)
	test.Type(w.chat.entry, "It says E42")
	test.Tap(w.chat.send)
	if strings.Join(rec.chats, "|") != "My printer is broken|It says E42" || w.chat.entry.Text != "" {
		t.Fatalf("sent %q, entry %q", rec.chats, w.chat.entry.Text)
	}
	// Messages appear as the relay sends them back, with their senders.
	at := time.Date(2026, 11, 22, 10, 4, 0, 0, time.Local)
	w.Chat(proto.Chat{From: "Ann", FromPeer: 0, Text: "My printer is broken", At: at})
	w.Chat(proto.Chat{From: "Tina", FromPeer: 7, Text: "Let me look.", At: at})
	if got := strings.Join(w.chat.lines, "|"); got != "10:04 You: My printer is broken|10:04 Tina: Let me look." {
		t.Fatalf("log %q", got)
	}
	if len(w.chat.log.Objects) != 2 {
		t.Fatalf("%d lines drawn", len(w.chat.log.Objects))
	}
	// A message that was not sent says so and comes back into the entry.
	w.ChatFailed("It says E42", "the connection to the support server is down.")
	if w.chat.entry.Text != "It says E42" || !strings.Contains(w.chat.lines[2], "was not sent") {
		t.Fatalf("failure: entry %q, log %q", w.chat.entry.Text, w.chat.lines)
	}
	// Too long a message is not sent.
	w.chat.entry.SetText(strings.Repeat("x", proto.MaxChat+1))
	pressEnter(w.chat.entry)
	if len(rec.chats) != 2 || !strings.Contains(w.chat.lines[3], "too long") {
		t.Fatalf("long message: sent %d, log %q", len(rec.chats), w.chat.lines)
	}
	w.Ended(proto.SessionEnded{By: "Tina"})
	if !w.chat.box.Hidden {
		t.Fatal("chat still shown after the end")
	}
}

func TestRatingIsSent(t *testing.T) {
	w, rec := newTestWindow(t)
	w.Joined(proto.Peer{ID: 7, Name: "Tina"})
	w.Ended(proto.SessionEnded{By: "Tina"})
	if w.rating.box.Hidden || !w.OffersRating() {
		t.Fatal("no rating offered after a session with a technician")
	}
	test.Tap(w.rating.submit) // nothing chosen yet: disabled
	if len(rec.rates) != 0 {
		t.Fatalf("sent without stars: %q", rec.rates)
	}
	test.Tap(w.rating.stars[1])
	test.Tap(w.rating.stars[3])
	if w.rating.chosen.Text != "4 of 5 stars" || w.rating.stars[3].Icon != starFull || w.rating.stars[4].Icon != starEmpty {
		t.Fatalf("stars shown %q", w.rating.chosen.Text)
	}
	test.Type(w.rating.comment, "Quick and friendly. ")
	test.Tap(w.rating.submit)
	if len(rec.rates) != 1 || rec.rates[0] != "4 Quick and friendly." {
		t.Fatalf("sent %q", rec.rates)
	}
	if !w.rating.submit.Disabled() || w.rating.result.Text != "Sending your rating…" {
		t.Fatal("sending is not shown")
	}
	// A failure lets the end user send again; success thanks them.
	w.Rated(false, "the support server cannot be reached.")
	if w.rating.submit.Disabled() || !strings.Contains(w.rating.result.Text, "cannot be reached") {
		t.Fatalf("after a failure: %q", w.rating.result.Text)
	}
	test.Tap(w.rating.submit)
	w.Rated(true, "")
	if len(rec.rates) != 2 || !w.rating.box.Hidden || !strings.Contains(w.status.Text, "Thank you for your rating") {
		t.Fatalf("after success: %q %q", rec.rates, w.status.Text)
	}
}

func TestRatingSkipSendsNothing(t *testing.T) {
	w, rec := newTestWindow(t)
	w.Joined(proto.Peer{ID: 7, Name: "Tina"})
	w.Ended(proto.SessionEnded{By: "you"})
	test.Tap(w.rating.stars[4])
	test.Tap(w.rating.skip)
	if len(rec.rates) != 0 || !w.rating.box.Hidden || !strings.Contains(w.status.Text, "Thank you") {
		t.Fatalf("skip: sent %q, status %q", rec.rates, w.status.Text)
	}
}

func TestNoRatingWithoutATechnician(t *testing.T) {
	w, _ := newTestWindow(t)
	w.Waiting("Tina")
	w.Ended(proto.SessionEnded{By: "you"})
	if !w.rating.box.Hidden || w.OffersRating() {
		t.Fatal("rating offered for a session nobody joined")
	}
	if w.end.Text != "Close" {
		t.Fatalf("end button %q", w.end.Text)
	}
}

func TestConnectionPrompt(t *testing.T) {
	w, _ := newTestWindow(t)
	type answer struct {
		line string
		ok   bool
	}
	got := make(chan answer, 1)
	go func() { l, ok := w.AskConnection(context.Background(), "The name was changed."); got <- answer{l, ok} }()
	w.waitShown(t, "connect")
	if w.prompt.problem.Text != "The name was changed." || w.heading.Text != "Connect to your technician" {
		t.Fatalf("prompt %q / %q", w.prompt.problem.Text, w.heading.Text)
	}
	pressEnter(w.prompt.entry) // empty: nothing happens
	line := "https://relay.example.com:4433/s/tok#sha256:ab"
	test.Type(w.prompt.entry, "  "+line+" ")
	pressEnter(w.prompt.entry)
	select {
	case a := <-got:
		if !a.ok || a.line != line {
			t.Fatalf("answer %+v", a)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no answer")
	}
	if !w.prompt.box.Hidden {
		t.Fatal("prompt still shown")
	}
	// Closing the window (ctx ends) answers that the end user gave up;
	// the Connect button works like Enter.
	ctx, cancel := context.WithCancel(context.Background())
	go func() { l, ok := w.AskConnection(ctx, "again"); got <- answer{l, ok} }()
	w.waitShown(t, "connect")
	cancel()
	if a := <-got; a.ok {
		t.Fatalf("cancelled prompt answered %+v", a)
	}
	go func() { l, ok := w.AskConnection(context.Background(), "third"); got <- answer{l, ok} }()
	w.waitShown(t, "connect")
	test.Tap(w.prompt.connect)
	if a := <-got; !a.ok || a.line != line {
		t.Fatalf("Connect button: %+v", a)
	}
}

func TestProblemOffersRetry(t *testing.T) {
	w, rec := newTestWindow(t)
	got := make(chan bool, 1)
	go func() { got <- w.Problem(context.Background(), "The support server cannot be reached.", true) }()
	w.waitShown(t, "problem")
	if w.heading.Text != "Could not connect" || w.status.Text != "The support server cannot be reached." || w.end.Text != "Close" {
		t.Fatalf("problem shown as %q / %q / %q", w.heading.Text, w.status.Text, w.end.Text)
	}
	test.Tap(w.retry)
	if !<-got || !w.retry.Hidden || w.end.Text != "End session" {
		t.Fatal("Retry did not retry")
	}
	// Without retry there is no Retry button; Close (the End action, which
	// ends ctx) gives up.
	ctx, cancel := context.WithCancel(context.Background())
	go func() { got <- w.Problem(ctx, "This support link has expired.", false) }()
	w.waitShown(t, "problem")
	if !w.retry.Hidden {
		t.Fatal("Retry offered for a link that expired")
	}
	test.Tap(w.end)
	cancel()
	if <-got || !rec.ended {
		t.Fatal("Close did not give up")
	}
}

func TestConfirmRelayNamesTheServer(t *testing.T) {
	w, _ := newTestWindow(t)
	for _, tc := range []struct {
		tap  func() *widget.Button
		want bool
	}{{func() *widget.Button { return w.relay.connect }, true}, {func() *widget.Button { return w.relay.cancel }, false}} {
		got := make(chan bool, 1)
		go func() { got <- w.ConfirmRelay(context.Background(), "relay.example.com") }()
		w.waitShown(t, "relay")
		if !strings.Contains(w.relay.text.Text, "support server relay.example.com") {
			t.Fatalf("question %q does not name the server", w.relay.text.Text)
		}
		test.Tap(tc.tap())
		if a := <-got; a != tc.want {
			t.Fatalf("answer %v, want %v", a, tc.want)
		}
		if !w.relay.box.Hidden {
			t.Fatal("question still shown")
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan bool, 1)
	go func() { got <- w.ConfirmRelay(ctx, "relay.example.com") }()
	w.waitShown(t, "relay")
	cancel()
	if <-got {
		t.Fatal("a withdrawn question confirmed")
	}
}
