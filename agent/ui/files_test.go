package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/relaydesk/relaydesk/pkg/filexfer"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// A fetch is asked with the file and its size; Allow and Deny answer,
// a withdrawn question says no; progress and the end show under it.
func TestFetchQuestionAndProgress(t *testing.T) {
	w, _ := newTestWindow(t)
	for _, tc := range []struct {
		tap  func()
		want bool
	}{{func() { test.Tap(w.fetch.allow) }, true}, {func() { test.Tap(w.fetch.refuse) }, false}} {
		got := make(chan bool, 1)
		go func() { got <- w.AskFetch(context.Background(), "Tina", "/home/ann/log.txt", 2_500_000) }()
		w.waitShown(t, "fetch")
		if text := w.fetch.text.Text; text != "Tina wants to copy the file /home/ann/log.txt (2.5 MB) from this computer. Allow?" || w.fetch.box.Hidden {
			t.Fatalf("question %q hidden %v", text, w.fetch.box.Hidden)
		}
		tc.tap()
		select {
		case yes := <-got:
			if yes != tc.want {
				t.Fatalf("answer %v, want %v", yes, tc.want)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no answer")
		}
		if !w.fetch.box.Hidden {
			t.Fatal("the question stayed")
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan bool, 1)
	go func() { got <- w.AskFetch(ctx, "Tina", "/x", 1) }()
	w.waitShown(t, "fetch")
	cancel()
	if <-got {
		t.Fatal("a withdrawn question said yes")
	}

	cancelled := make(chan string, 1)
	w.act.CancelFile = func(id string) { cancelled <- id }
	w.FileEvent("Tina", filexfer.Event{Job: filexfer.Job{ID: "0e", Name: "report.pdf", Size: 2000}, Done: 1000})
	deadline := time.Now().Add(5 * time.Second)
	for w.fetch.cancel.Hidden && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	test.Tap(w.fetch.cancel)
	if id := <-cancelled; id != "0e" {
		t.Fatalf("cancelled %q", id)
	}
	w.FileEvent("Tina", filexfer.Event{Job: filexfer.Job{ID: "0e", Name: "report.pdf", Size: 2000}, State: proto.FileDone, Path: "/home/ann/Downloads/report (1).pdf"})
	for !strings.HasPrefix(w.fetch.progress.Text, "Received") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if text := w.fetch.progress.Text; !strings.Contains(text, "Received report.pdf (2.0 kB) from Tina; saved as report (1).pdf in /home/ann/Downloads.") || w.fetch.row.Hidden || !w.fetch.cancel.Hidden {
		t.Fatalf("progress %q", text)
	}
}
