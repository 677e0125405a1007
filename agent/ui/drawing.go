package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// buildDrawing makes the "Clear drawing" button, shown while a technician's
// drawing is on the end user's screen.
func (w *Window) buildDrawing() {
	w.clearDraw = widget.NewButtonWithIcon("Clear drawing", theme.ContentClearIcon(), func() {
		if w.act.ClearDrawing != nil {
			w.act.ClearDrawing()
		}
	})
	w.clearDraw.Hide()
}

// Drawing says how many shapes a technician has drawn on the end user's
// screen: the "Clear drawing" button shows while there are any.
func (w *Window) Drawing(shapes int) {
	fyne.Do(func() {
		if shapes > 0 && w.act.ClearDrawing != nil {
			w.clearDraw.Show()
		} else {
			w.clearDraw.Hide()
		}
		w.relayout()
	})
}
