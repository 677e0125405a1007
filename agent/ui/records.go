package ui

import (
	"net/url"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/agent/session"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// recordsPanel shows, after the session, the link to its records page
// (the screenshots the technicians kept), which opens in the browser.
type recordsPanel struct {
	box  *fyne.Container
	text *widget.Label
	link *widget.Hyperlink
}

func (r *recordsPanel) build() {
	r.text = widget.NewLabel("")
	r.text.Wrapping = fyne.TextWrapWord
	r.link = widget.NewHyperlink("", nil)
	r.link.Wrapping = fyne.TextWrapBreak
	r.box = container.NewVBox(r.text, r.link)
	r.box.Hide()
}

// RecordsLink shows the link to the session's records page under the
// rating; a URL that does not parse is not shown.
func (w *Window) RecordsLink(l proto.RecordsLink) {
	u, err := url.Parse(l.URL)
	if err != nil || u.Scheme != "https" {
		return
	}
	fyne.Do(func() {
		w.records.text.SetText(session.RecordsSentence(l))
		w.records.link.SetText(l.URL)
		w.records.link.SetURL(u)
		w.records.box.Show()
		w.relayout()
	})
}
