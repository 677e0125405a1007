package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// Star icons (Material Design "star" and "star_border", Apache 2.0, like Fyne's own icons).
var (
	starFull = theme.NewPrimaryThemedResource(fyne.NewStaticResource("star.svg", []byte(
		`<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24"><path d="M12 17.27L18.18 21l-1.64-7.03L22 9.24l-7.19-.61L12 2 9.19 8.63 2 9.24l5.46 4.73L5.82 21z"/></svg>`)))
	starEmpty = theme.NewThemedResource(fyne.NewStaticResource("star-border.svg", []byte(
		`<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24"><path d="M22 9.24l-7.19-.62L12 2 9.19 8.63 2 9.24l5.46 4.73L5.82 21 12 17.27 18.18 21l-1.63-7.03L22 9.24zM12 15.4l-3.76 2.27 1-4.28-3.32-2.88 4.38-.38L12 6.1l1.71 4.04 4.38.38-3.32 2.88 1 4.28L12 15.4z"/></svg>`)))
)

// ratingPanel offers 1-5 stars and an optional comment after the session,
// with Send rating and Skip.
type ratingPanel struct {
	w       *Window
	box     *fyne.Container
	stars   [5]*widget.Button
	chosen  *widget.Label
	comment *widget.Entry
	submit  *widget.Button
	skip    *widget.Button
	result  *widget.Label
	value   int // stars chosen, 0: none yet
}

func (r *ratingPanel) build(w *Window) {
	r.w = w
	row := container.NewHBox(layout.NewSpacer())
	for i := range r.stars {
		r.stars[i] = widget.NewButtonWithIcon("", starEmpty, func() { r.choose(i + 1) })
		r.stars[i].Importance = widget.LowImportance
		row.Add(r.stars[i])
	}
	row.Add(layout.NewSpacer())
	r.chosen = widget.NewLabelWithStyle("Choose 1 to 5 stars.", fyne.TextAlignCenter, fyne.TextStyle{})
	r.comment = widget.NewMultiLineEntry()
	r.comment.SetPlaceHolder("Comment (optional)")
	r.comment.SetMinRowsVisible(2)
	r.submit = widget.NewButtonWithIcon("Send rating", theme.MailSendIcon(), r.send)
	r.submit.Importance = widget.HighImportance
	r.submit.Disable()
	r.skip = widget.NewButton("Skip", r.close)
	r.result = widget.NewLabel("")
	r.result.Wrapping = fyne.TextWrapWord
	r.result.Hide()
	r.box = container.NewVBox(
		widget.NewSeparator(),
		widget.NewLabelWithStyle("How was the support?", fyne.TextAlignCenter, fyne.TextStyle{Bold: true}),
		row, r.chosen, r.comment,
		container.NewHBox(layout.NewSpacer(), r.skip, r.submit),
		r.result,
	)
	r.box.Hide()
}

// open shows the panel. Runs on the UI goroutine.
func (r *ratingPanel) open() { r.box.Show() }

// choose sets the number of stars.
func (r *ratingPanel) choose(n int) {
	r.value = n
	for i, b := range r.stars {
		if i < n {
			b.SetIcon(starFull)
		} else {
			b.SetIcon(starEmpty)
		}
	}
	r.chosen.SetText(fmt.Sprintf("%d of 5 stars", n))
	r.submit.Enable()
}

// send hands the rating to the Rate action; Rated reports the outcome.
func (r *ratingPanel) send() {
	comment := strings.TrimSpace(r.comment.Text)
	switch {
	case r.value == 0:
		return
	case len(comment) > proto.MaxRatingComment:
		r.say(fmt.Sprintf("The comment is too long: at most %d characters.", proto.MaxRatingComment))
		return
	}
	r.submit.Disable()
	r.skip.Disable()
	r.say("Sending your rating…")
	if r.w.act.Rate != nil {
		r.w.act.Rate(r.value, comment)
	}
}

// close hides the panel without sending anything.
func (r *ratingPanel) close() {
	r.box.Hide()
	r.w.status.SetText("Thank you. You can close this window now.")
	r.w.relayout()
}

func (r *ratingPanel) say(text string) {
	r.result.SetText(text)
	r.result.Show()
	r.w.relayout()
}

// Rated reports whether the rating reached the relay; why is the sentence
// when it did not (the end user may send again).
func (w *Window) Rated(ok bool, why string) {
	fyne.Do(func() {
		if ok {
			w.rating.close()
			w.status.SetText("Thank you for your rating. You can close this window now.")
			return
		}
		w.rating.say("Your rating was not sent: " + why)
		w.rating.submit.Enable()
		w.rating.skip.Enable()
	})
}
