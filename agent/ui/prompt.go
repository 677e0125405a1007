package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/agent/session"
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

// relayConfirm asks, in a dev build, whether to connect to the support
// server the connection details name (a release build knows its server).
type relayConfirm struct {
	box             *fyne.Container
	text            *widget.Label
	connect, cancel *widget.Button
	answer          chan bool // the pending question's answer
}

func (r *relayConfirm) build(w *Window) {
	r.text = widget.NewLabel("")
	r.text.Wrapping = fyne.TextWrapWord
	r.connect = widget.NewButtonWithIcon("Connect", theme.LoginIcon(), func() { r.decide(w, true) })
	r.connect.Importance = widget.HighImportance
	r.cancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() { r.decide(w, false) })
	r.box = container.NewVBox(r.text, container.NewHBox(layout.NewSpacer(), r.cancel, r.connect))
	r.box.Hide()
}

// decide answers the question (UI goroutine).
func (r *relayConfirm) decide(w *Window, yes bool) {
	if ch := take(w, &r.answer); ch != nil {
		r.hide(w)
		ch <- yes
	}
}

func (r *relayConfirm) hide(w *Window) { r.box.Hide(); w.relayout() }

// ConfirmRelay implements session.Prompter: it names the support server
// and waits for Connect, Cancel or ctx (which counts as Cancel).
func (w *Window) ConfirmRelay(ctx context.Context, host string) bool {
	ch := make(chan bool, 1)
	ask(w, "relay", &w.relay.answer, ch, func() {
		w.heading.SetText("Connect to this support server?")
		w.status.SetText("")
		w.relay.text.SetText(session.RelayQuestion(host))
		w.relay.box.Show()
		w.relayout()
		w.win.RequestFocus()
	})
	select {
	case yes := <-ch:
		return yes
	case <-ctx.Done():
		withdraw(w, &w.relay.answer, ch, func() { w.relay.hide(w) })
		return false
	}
}
