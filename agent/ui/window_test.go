package ui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// recorder records what the end user did.
type recorder struct {
	mu    sync.Mutex
	ended bool
	chats []string
	rates []string
}

func (r *recorder) actions() Actions {
	return Actions{
		End:  func() { r.mu.Lock(); r.ended = true; r.mu.Unlock() },
		Chat: func(text string) { r.mu.Lock(); r.chats = append(r.chats, text); r.mu.Unlock() },
		Rate: func(stars int, comment string) {
			r.mu.Lock()
			r.rates = append(r.rates, fmt.Sprintf("%d %s", stars, comment))
			r.mu.Unlock()
		},
	}
}

func newTestWindow(t *testing.T) (*Window, *recorder) {
	t.Helper()
	a := test.NewApp()
	t.Cleanup(a.Quit)
	rec := &recorder{}
	w := New(a, rec.actions())
	w.Show()
	testApp = a
	return w, rec
}

// waitShown waits up to 5 s until the question is on screen (asked from
// another goroutine, which then only waits for the answer).
func (w *Window) waitShown(t *testing.T, question string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		w.mu.Lock()
		shown := w.shown
		w.mu.Unlock()
		if shown == question {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s was not shown (showing %q)", question, shown)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var testApp interface{ Clipboard() fyne.Clipboard }

func TestCodeIsShownGrouped(t *testing.T) {
	w, _ := newTestWindow(t)
	w.Code("012345678", time.Now().Add(10*time.Minute))
	if w.code.Text != "012 345 678" || w.copyCode.Hidden {
		t.Fatalf("code %q, copy button hidden %v", w.code.Text, w.copyCode.Hidden)
	}
	test.Tap(w.copyCode)
	if got := testApp.Clipboard().Content(); got != "012345678" {
		t.Fatalf("clipboard %q", got)
	}
	w.Waiting("Tina")
	if w.heading.Text != "Waiting for Tina" || w.code.Text != "" {
		t.Fatalf("waiting: %q %q", w.heading.Text, w.code.Text)
	}
}

func TestConsentAllowViewOnlyAndDeny(t *testing.T) {
	w, _ := newTestWindow(t)
	req := proto.ConsentRequest{Technician: "Tina", Organisation: "Acme IT", PeerID: 7, Permissions: proto.AllPermissions}
	for _, tc := range []struct {
		button *widget.Button
		want   proto.Grant
	}{{w.allow, proto.AllPermissions}, {w.viewOnly, proto.Grant{proto.PermView}}, {w.deny, nil}} {
		got := make(chan proto.Grant, 1)
		go func() { got <- w.Consent(context.Background(), req, "relay.example.com") }()
		w.waitShown(t, "consent")
		text := w.consentText.Text
		for _, want := range []string{"Tina (Acme IT)", "support server relay.example.com", "see your screen", "use your mouse and keyboard", "clipboard", "Nothing is shared until you click Allow"} {
			if !strings.Contains(text, want) {
				t.Fatalf("question %q lacks %q", text, want)
			}
		}
		if w.viewOnly.Hidden {
			t.Fatal("no view-only choice for a request to control")
		}
		test.Tap(tc.button)
		select {
		case g := <-got:
			if g.String() != tc.want.String() {
				t.Fatalf("%s: answer %v, want %v", tc.button.Text, g, tc.want)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no answer")
		}
		if tc.button == w.viewOnly { // the indicator tells what the technician may do
			w.Joined(proto.Peer{ID: 7, Name: "Tina"})
			if w.viewed.Text != "Your screen is being viewed (not controlled) by Tina." {
				t.Fatalf("view-only indicator %q", w.viewed.Text)
			}
			w.Left(proto.Peer{ID: 7, Name: "Tina"}, "")
		}
	}
	// A withdrawn question answers no.
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan proto.Grant, 1)
	go func() { got <- w.Consent(ctx, req, "relay.example.com") }()
	cancel()
	if g := <-got; g != nil {
		t.Fatalf("a withdrawn question answered %v", g)
	}
}

func TestConnectedIndicatorAndEnd(t *testing.T) {
	w, rec := newTestWindow(t)
	w.Joined(proto.Peer{ID: 1, Name: "Tina"})
	w.Joined(proto.Peer{ID: 2, Name: "Bob"})
	if w.viewed.Hidden || w.viewed.Text != "Your screen is being viewed and controlled by Bob, Tina." {
		t.Fatalf("indicator %q hidden=%v", w.viewed.Text, w.viewed.Hidden)
	}
	w.Left(proto.Peer{ID: 2, Name: "Bob"}, "")
	if w.people.Text != "Connected: Tina" {
		t.Fatalf("people %q", w.people.Text)
	}
	test.Tap(w.end)
	if !rec.ended {
		t.Fatal("End session did nothing")
	}
	w.Ended(proto.SessionEnded{By: "Tina"})
	if !w.viewed.Hidden || w.status.Text != "The session was ended by Tina." {
		t.Fatalf("after end: %q hidden=%v", w.status.Text, w.viewed.Hidden)
	}
}

// The "Clear drawing" button shows while a technician's drawing is on the
// screen and clears it.
func TestClearDrawingButton(t *testing.T) {
	a := test.NewApp()
	t.Cleanup(a.Quit)
	cleared := 0
	w := New(a, Actions{End: func() {}, ClearDrawing: func() { cleared++ }})
	w.Show()
	if !w.clearDraw.Hidden {
		t.Fatal("Clear drawing shows before anything was drawn")
	}
	w.Drawing(2)
	if w.clearDraw.Hidden {
		t.Fatal("Clear drawing is hidden while a drawing shows")
	}
	test.Tap(w.clearDraw)
	if cleared != 1 {
		t.Fatalf("the button cleared %d times", cleared)
	}
	w.Drawing(0)
	if !w.clearDraw.Hidden {
		t.Fatal("Clear drawing still shows after the drawing went")
	}
}
