package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// connectPrompt asks for the connection details the download page shows,
// when the app's own name carries none (or they proved wrong).
type connectPrompt struct {
	box     *fyne.Container
	problem *widget.Label
	entry   *widget.Entry
	connect *widget.Button
	answer  chan string // the pending question's answer
}

func (p *connectPrompt) build(w *Window) {
	p.problem = widget.NewLabel("")
	p.problem.Wrapping = fyne.TextWrapWord
	p.entry = widget.NewEntry()
	p.entry.SetPlaceHolder("https://…#sha256:…")
	p.entry.OnSubmitted = func(string) { p.submit(w) }
	p.connect = widget.NewButtonWithIcon("Connect", theme.LoginIcon(), func() { p.submit(w) })
	p.connect.Importance = widget.HighImportance
	p.box = container.NewVBox(p.problem, widget.NewLabel("Connection details:"), container.NewBorder(nil, nil, nil, p.connect, p.entry))
	p.box.Hide()
}

// submit answers the question (UI goroutine).
func (p *connectPrompt) submit(w *Window) {
	line := strings.TrimSpace(p.entry.Text)
	if line == "" {
		return
	}
	if ch := take(w, &p.answer); ch != nil {
		w.hidePrompt()
		ch <- line
	}
}

func (w *Window) hidePrompt() {
	w.prompt.box.Hide()
	w.heading.SetText("Starting…")
	w.status.SetText("Connecting to the support server…")
	w.relayout()
}

// AskConnection implements session.Prompter: it shows problem and an entry
// for the connection line, and waits for Connect (or Enter) or ctx.
func (w *Window) AskConnection(ctx context.Context, problem string) (string, bool) {
	ch := make(chan string, 1)
	ask(w, "connect", &w.prompt.answer, ch, func() {
		w.heading.SetText("Connect to your technician")
		w.status.SetText("")
		w.prompt.problem.SetText(problem)
		w.prompt.box.Show()
		w.relayout()
		w.win.Canvas().Focus(w.prompt.entry)
	})
	select {
	case line := <-ch:
		return line, true
	case <-ctx.Done():
		withdraw(w, &w.prompt.answer, ch, w.hidePrompt)
		return "", false
	}
}

// Problem implements session.Prompter: it says why the session could not
// start and, with retry, offers Retry; it returns true when the end user
// chose it, false when ctx ended (they closed the window).
func (w *Window) Problem(ctx context.Context, text string, retry bool) bool {
	ch := make(chan struct{}, 1)
	ask(w, "problem", &w.retried, ch, func() {
		w.heading.SetText("Could not connect")
		w.status.SetText(text)
		w.end.SetText("Close")
		if retry {
			w.retry.Show()
		}
		w.relayout()
	})
	select {
	case <-ch:
		return true
	case <-ctx.Done():
		withdraw(w, &w.retried, ch, func() { w.retry.Hide(); w.relayout() })
		return false
	}
}

// doRetry answers a problem with Retry (UI goroutine).
func (w *Window) doRetry() {
	ch := take(w, &w.retried)
	if ch == nil {
		return
	}
	w.retry.Hide()
	w.heading.SetText("Starting…")
	w.status.SetText("Connecting to the support server…")
	w.end.SetText("End session")
	w.relayout()
	ch <- struct{}{}
}
