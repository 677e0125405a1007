package ui

import (
	"context"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/agent/session"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// recordPanel is the recording question and, while the session is
// recorded, the red "Recording" mark with a Stop recording button.
type recordPanel struct {
	box         *fyne.Container // the question
	text        *widget.Label
	allow, deny *widget.Button
	mark        *fyne.Container // shown while recording
	markText    *widget.Label
	stop        *widget.Button
	answer      chan bool // the pending question's answer
}

func (p *recordPanel) build(w *Window) {
	p.text = widget.NewLabel("")
	p.text.Wrapping = fyne.TextWrapWord
	p.allow = widget.NewButtonWithIcon("Allow recording", theme.ConfirmIcon(), func() { p.decide(w, true) })
	p.allow.Importance = widget.HighImportance
	p.deny = widget.NewButtonWithIcon("Don't record", theme.CancelIcon(), func() { p.decide(w, false) })
	p.box = container.NewVBox(widget.NewSeparator(), p.text, container.NewHBox(layout.NewSpacer(), p.deny, p.allow))
	p.box.Hide()
	dot := canvas.NewCircle(color.NRGBA{R: 0xd0, G: 0x10, B: 0x20, A: 0xff})
	dot.Resize(fyne.NewSize(12, 12))
	p.markText = widget.NewLabelWithStyle("Recording", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.markText.Wrapping = fyne.TextWrapWord
	p.stop = widget.NewButtonWithIcon("Stop recording", theme.MediaStopIcon(), func() {
		p.stop.Disable() // until the relay says it stopped
		if w.act.StopRecording != nil {
			w.act.StopRecording()
		}
	})
	p.mark = container.NewBorder(nil, nil, container.NewCenter(container.NewGridWrap(fyne.NewSize(12, 12), dot)), p.stop, p.markText)
	p.mark.Hide()
}

// decide answers the recording question (UI goroutine).
func (p *recordPanel) decide(w *Window, allow bool) {
	if ch := take(w, &p.answer); ch != nil {
		p.hide(w)
		ch <- allow
	}
}

func (p *recordPanel) hide(w *Window) { p.box.Hide(); w.relayout() }

// RecordConsent implements session.RecordUI: the question with Allow
// recording and Don't record; nothing is recorded before Allow.
func (w *Window) RecordConsent(ctx context.Context, req proto.RecordConsent) bool {
	ch := make(chan bool, 1)
	ask(w, "record", &w.record.answer, ch, func() {
		w.record.text.SetText(session.RecordQuestion(req.Technician) + " Nothing is recorded unless you click Allow recording; you can stop it at any time.")
		w.record.box.Show()
		w.relayout()
		w.win.RequestFocus()
	})
	select {
	case ok := <-ch:
		return ok
	case <-ctx.Done():
		withdraw(w, &w.record.answer, ch, func() { w.record.hide(w) })
		return false
	}
}

// Recording implements session.RecordUI: the mark while the session is
// recorded, a status line when it starts or stops.
func (w *Window) Recording(st proto.RecordState) {
	fyne.Do(func() {
		p := &w.record
		switch {
		case st.On && st.By == "relay":
			p.markText.SetText("Recording: this support channel records every session.")
		case st.On:
			p.markText.SetText("Recording: " + st.By + " is recording this session.")
		}
		if st.On {
			p.stop.Enable()
			p.mark.Show()
			w.status.SetText("This session is being recorded.")
		} else {
			p.mark.Hide()
			text := "The recording stopped."
			if st.Reason != "" {
				text = "The recording stopped (" + st.Reason + ")."
			}
			w.status.SetText(text)
		}
		w.relayout()
	})
}
