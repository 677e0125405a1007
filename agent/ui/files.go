package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/agent/files"
	"github.com/relaydesk/relaydesk/pkg/filexfer"
)

// fetchQuestion asks whether a technician may copy a file from this
// computer, naming the file and its size.
type fetchQuestion struct {
	box           *fyne.Container
	text          *widget.Label
	allow, refuse *widget.Button
	answer        chan bool // the pending question's answer
	progress      *widget.Label
	send          *widget.Button // Send file…: the end user sends a file to the technician
	cancel        *widget.Button // stops the running transfer
	running       string         // the ID of the transfer the progress line shows, while it runs
	row           *fyne.Container
}

func (f *fetchQuestion) build(w *Window) {
	f.text = widget.NewLabel("")
	f.text.Wrapping = fyne.TextWrapWord
	f.allow = widget.NewButtonWithIcon("Allow", theme.ConfirmIcon(), func() { f.decide(w, true) })
	f.allow.Importance = widget.HighImportance
	f.refuse = widget.NewButtonWithIcon("Deny", theme.CancelIcon(), func() { f.decide(w, false) })
	f.box = container.NewVBox(widget.NewSeparator(), f.text, container.NewHBox(layout.NewSpacer(), f.refuse, f.allow))
	f.box.Hide()
	f.progress = widget.NewLabel("")
	f.progress.Wrapping = fyne.TextWrapWord
	f.cancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() {
		if f.running != "" && w.act.CancelFile != nil {
			w.act.CancelFile(f.running)
		}
	})
	f.cancel.Hide()
	f.row = container.NewBorder(nil, nil, nil, f.cancel, f.progress)
	f.row.Hide()
	f.send = widget.NewButtonWithIcon("Send file…", theme.UploadIcon(), func() {
		dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
			if err != nil || r == nil {
				return
			}
			r.Close()
			if r.URI().Scheme() == "file" {
				w.act.SendFile(r.URI().Path())
			}
		}, w.win).Show()
	})
	if w.act.SendFile == nil {
		f.send.Hide()
	}
}

// decide answers the question (UI goroutine).
func (f *fetchQuestion) decide(w *Window, yes bool) {
	if ch := take(w, &f.answer); ch != nil {
		f.hide(w)
		ch <- yes
	}
}

func (f *fetchQuestion) hide(w *Window) { f.box.Hide(); w.relayout() }

// AskFetch implements files.UI: the technician, the file and its size,
// Allow or Deny; ctx's end counts as Deny.
func (w *Window) AskFetch(ctx context.Context, technician, path string, size int64) bool {
	ch := make(chan bool, 1)
	ask(w, "fetch", &w.fetch.answer, ch, func() {
		w.fetch.text.SetText(technician + " wants to copy the file " + path + " (" + filexfer.Bytes(size) + ") from this computer. Allow?")
		w.fetch.box.Show()
		w.relayout()
		w.win.RequestFocus()
	})
	select {
	case yes := <-ch:
		return yes
	case <-ctx.Done():
		withdraw(w, &w.fetch.answer, ch, func() { w.fetch.hide(w) })
		return false
	}
}

// FileEvent implements files.UI: a line under the status with the
// transfer's progress and a Cancel button, then where the file went (or
// why it stopped).
func (w *Window) FileEvent(technician string, ev filexfer.Event) {
	line, _ := files.Describe(technician, ev)
	fyne.Do(func() {
		w.fetch.progress.SetText(line)
		w.fetch.row.Show()
		if ev.State == "" {
			w.fetch.running = ev.ID
			w.fetch.cancel.Show()
		} else if w.fetch.running == ev.ID {
			w.fetch.running = ""
			w.fetch.cancel.Hide()
		}
		w.relayout()
	})
}
