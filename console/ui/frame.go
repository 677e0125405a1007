package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
)

// Who controls the session, as the remote screen's frame shows it.
const (
	controlNobody = iota // nobody has the mouse and keyboard (or not connected)
	controlMine          // this technician controls
	controlOther         // another technician controls
)

// controlFrame is the coloured frame around a session's remote screen: a
// tag on its top edge names who controls the end user's mouse and
// keyboard, and the colour says it at a glance (the theme's primary
// colour: you; warning orange: a colleague; grey: nobody). Built and
// changed on the UI goroutine.
type controlFrame struct {
	box     *fyne.Container
	edges   [4]*canvas.Rectangle // top, bottom, left, right
	tagBack *canvas.Rectangle
	tag     *canvas.Text
}

// frameWidth is the frame's thickness on the sides without the tag.
const frameWidth = 3

func newControlFrame(content fyne.CanvasObject) *controlFrame {
	f := &controlFrame{}
	for i := range f.edges {
		f.edges[i] = canvas.NewRectangle(color.Transparent)
		f.edges[i].SetMinSize(fyne.NewSize(frameWidth, frameWidth))
	}
	f.tag = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	f.tag.TextStyle = fyne.TextStyle{Bold: true}
	f.tag.TextSize = theme.CaptionTextSize()
	f.tagBack = canvas.NewRectangle(color.Transparent)
	tag := container.NewStack(f.tagBack, container.NewPadded(f.tag))
	top := container.NewStack(f.edges[0], container.NewHBox(tag, layout.NewSpacer()))
	f.box = container.NewBorder(top, f.edges[1], f.edges[2], f.edges[3], content)
	f.set(controlNobody, "")
	return f
}

// set shows who controls: whose is one of the control constants, text the
// tag's words ("" hides the frame: not connected).
func (f *controlFrame) set(whose int, text string) {
	c, on := theme.Color(theme.ColorNameDisabled), theme.Color(theme.ColorNameForeground)
	switch whose {
	case controlMine:
		c, on = theme.Color(theme.ColorNamePrimary), theme.Color(theme.ColorNameForegroundOnPrimary)
	case controlOther:
		c, on = theme.Color(theme.ColorNameWarning), theme.Color(theme.ColorNameForegroundOnWarning)
	}
	if text == "" {
		c = color.Transparent
	}
	for _, e := range f.edges {
		e.FillColor = c
		e.Refresh()
	}
	f.tagBack.FillColor = c
	f.tagBack.Refresh()
	f.tag.Text = text
	f.tag.Color = on
	f.tag.Refresh()
}
