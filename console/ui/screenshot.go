package ui

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/console/client"
	"github.com/relaydesk/relaydesk/console/markup"
	"github.com/relaydesk/relaydesk/pkg/adminapi"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// Records is the part of the admin API that keeps screenshots with a
// session and says who may open them (console/client.Admin). An Admin
// without it (a fake) leaves screenshots on this computer.
type Records interface {
	UploadScreenshot(ctx context.Context, sessionID string, png []byte, marked bool) (adminapi.Screenshot, error)
	SessionRecords(ctx context.Context, sessionID string) (adminapi.Records, error)
	SetVisibility(ctx context.Context, sessionID string, v proto.Visibility) (adminapi.Records, error)
}

var _ Records = (*client.Admin)(nil)

// records is the signed-in console's Records, or nil.
func (c *Console) records() Records {
	if c.adm == nil {
		return nil
	}
	r, _ := c.adm.api.(Records)
	return r
}

// screenshot opens the markup editor on the picture on screen; Save keeps
// it with the session on the relay (or, without the admin API or when the
// upload fails, on this computer, so nothing is lost).
func (t *sessionTab) screenshot() {
	img := t.screen.Frame()
	if img == nil {
		t.setStatus("No picture to save yet.")
		return
	}
	t.editor = newMarkupEditor(t.c, img, t.keepScreenshot)
	t.editor.win.Show()
}

// keepScreenshot uploads a (marked-up) screenshot's PNG, or saves it here.
func (t *sessionTab) keepScreenshot(data []byte, marked bool) {
	t.mu.Lock()
	id := t.sessionID
	t.mu.Unlock()
	t.setStatus("Keeping the screenshot with the session…")
	rec := t.c.records()
	t.c.wg.Go(func() {
		why := "this console has no connection to the relay's admin API"
		if rec != nil && id != "" {
			ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
			sh, err := rec.UploadScreenshot(ctx, id, data, marked)
			cancel()
			if err == nil {
				t.c.do(func() {
					t.setStatus("Screenshot kept with the session (" + sh.ID + "); the end user sees it while the session is public.")
				})
				return
			}
			why = "the relay did not keep it: " + strings.TrimSuffix(sentence(err), ".")
		}
		name := filepath.Join(t.c.opts.DataDir, "sessions", id, "screenshot-"+t.c.now().Format("20060102-150405.000")+".png")
		err := writeFile(name, data)
		t.c.do(func() {
			if err != nil {
				t.setStatus("The screenshot was not saved: " + sentence(err))
				return
			}
			t.mu.Lock()
			t.shots = append(t.shots, name)
			t.mu.Unlock()
			t.setStatus("Screenshot saved to " + name + " (" + why + ").")
		})
	})
}

// markupEditor is a window in which the technician marks a screenshot up
// (console/markup's tools and colours) before keeping it.
type markupEditor struct {
	c       *Console
	win     fyne.Window
	base    *image.RGBA
	shapes  []markup.Shape
	drawing *markup.Shape // the shape being dragged out
	tool    markup.Tool
	colour  color.NRGBA
	surface *markSurface
	tools   *widget.RadioGroup
	colours *widget.Select
	undo    *widget.Button
	save    *widget.Button
	keep    func(png []byte, marked bool)
}

var markTools = []markup.Tool{markup.Arrow, markup.Rect, markup.Freehand, markup.Text}

func newMarkupEditor(c *Console, img *image.RGBA, keep func([]byte, bool)) *markupEditor {
	e := &markupEditor{c: c, base: img, keep: keep, colour: markup.Colours[0].Colour}
	e.win = c.app.NewWindow("Screenshot: mark it up, then save")
	e.surface = newMarkSurface(e)
	var names []string
	for _, t := range markTools {
		names = append(names, t.String())
	}
	e.tools = widget.NewRadioGroup(names, func(s string) {
		for _, t := range markTools {
			if t.String() == s {
				e.tool = t
			}
		}
	})
	e.tools.Horizontal = true
	e.tools.Required = true
	e.tools.SetSelected(markup.Arrow.String())
	var colours []string
	for _, n := range markup.Colours {
		colours = append(colours, n.Name)
	}
	e.colours = widget.NewSelect(colours, func(s string) {
		for _, n := range markup.Colours {
			if n.Name == s {
				e.colour = n.Colour
			}
		}
	})
	e.colours.SetSelectedIndex(0)
	e.undo = widget.NewButtonWithIcon("Undo", theme.ContentUndoIcon(), e.undoLast)
	e.save = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), e.saveShot)
	e.save.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", e.win.Close)
	bar := container.NewHBox(e.tools, e.colours, e.undo, layout.NewSpacer(), cancel, e.save)
	e.win.SetContent(container.NewBorder(bar, nil, nil, nil, e.surface))
	e.win.Resize(fyne.NewSize(1024, 700))
	e.redraw()
	return e
}

// redraw shows the screenshot with the marks so far.
func (e *markupEditor) redraw() {
	shapes := e.shapes
	if e.drawing != nil {
		shapes = append(shapes[:len(shapes):len(shapes)], *e.drawing)
	}
	e.surface.img.Image = markup.Marked(e.base, shapes)
	e.surface.img.Refresh()
	if len(e.shapes) == 0 {
		e.undo.Disable()
	} else {
		e.undo.Enable()
	}
}

func (e *markupEditor) undoLast() {
	if len(e.shapes) > 0 {
		e.shapes = e.shapes[:len(e.shapes)-1]
		e.redraw()
	}
}

// drag extends the shape being drawn from a to b (image pixels).
func (e *markupEditor) drag(a, b markup.Point) {
	if e.tool == markup.Text {
		return
	}
	if e.drawing == nil {
		e.drawing = &markup.Shape{Tool: e.tool, Colour: e.colour, Points: []markup.Point{a}}
	}
	if e.tool == markup.Freehand {
		e.drawing.Points = append(e.drawing.Points, b)
	} else {
		e.drawing.Points = []markup.Point{e.drawing.Points[0], b}
	}
	e.redraw()
}

// dragEnd keeps the shape drawn.
func (e *markupEditor) dragEnd() {
	if e.drawing != nil {
		e.shapes = append(e.shapes, *e.drawing)
		e.drawing = nil
		e.redraw()
	}
}

// tap places a text at p with the Text tool.
func (e *markupEditor) tap(p markup.Point) {
	if e.tool != markup.Text {
		return
	}
	entry := widget.NewEntry()
	entry.SetPlaceHolder("Text on the screenshot")
	dialog.ShowForm("Add text", "Add", "Cancel", []*widget.FormItem{widget.NewFormItem("Text", entry)}, func(ok bool) {
		e.addText(p, entry.Text, ok)
	}, e.win)
}

// addText adds a text shape when the technician confirmed one.
func (e *markupEditor) addText(p markup.Point, text string, ok bool) {
	text = strings.TrimSpace(text)
	if !ok || text == "" {
		return
	}
	e.shapes = append(e.shapes, markup.Shape{Tool: markup.Text, Points: []markup.Point{p}, Text: text, Colour: e.colour})
	e.redraw()
}

// saveShot encodes the marked-up screenshot and hands it on; the window closes.
func (e *markupEditor) saveShot() {
	img := markup.Marked(e.base, e.shapes)
	marked := len(e.shapes) > 0
	e.save.Disable()
	e.c.wg.Go(func() { // encoding 1080p takes a moment: not on the UI goroutine
		var buf bytes.Buffer
		err := png.Encode(&buf, img)
		e.c.do(func() {
			e.win.Close()
			if err != nil {
				dialog.ShowError(err, e.c.win)
				return
			}
			e.keep(buf.Bytes(), marked)
		})
	})
}

// markSurface shows the screenshot, fitted into its space, and turns
// drags and taps into image pixels for the editor.
type markSurface struct {
	widget.BaseWidget
	e   *markupEditor
	img *canvas.Image
}

func newMarkSurface(e *markupEditor) *markSurface {
	s := &markSurface{e: e, img: canvas.NewImageFromImage(e.base)}
	s.img.FillMode = canvas.ImageFillContain
	s.img.ScaleMode = canvas.ImageScaleSmooth
	s.ExtendBaseWidget(s)
	return s
}

func (s *markSurface) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(s.img) }

// MinSize keeps the picture usable in a small window.
func (s *markSurface) MinSize() fyne.Size { return fyne.NewSize(320, 200) }

// toImage maps a position in the widget to image pixels (the picture is
// fitted and centred, as ImageFillContain draws it).
func (s *markSurface) toImage(p fyne.Position) markup.Point {
	size := s.Size()
	iw, ih := float32(s.e.base.Rect.Dx()), float32(s.e.base.Rect.Dy())
	scale := min(size.Width/iw, size.Height/ih)
	if scale <= 0 {
		return markup.Point{}
	}
	ox, oy := (size.Width-iw*scale)/2, (size.Height-ih*scale)/2
	return markup.Point{X: (p.X - ox) / scale, Y: (p.Y - oy) / scale}
}

// Dragged implements fyne.Draggable.
func (s *markSurface) Dragged(ev *fyne.DragEvent) {
	start := ev.Position.Subtract(ev.Dragged)
	s.e.drag(s.toImage(start), s.toImage(ev.Position))
}

// DragEnd implements fyne.Draggable.
func (s *markSurface) DragEnd() { s.e.dragEnd() }

// Tapped implements fyne.Tappable.
func (s *markSurface) Tapped(ev *fyne.PointEvent) { s.e.tap(s.toImage(ev.Position)) }

// recordsToggle is the switch between public and internal records of
// the session view and of History; the relay decides who may change it
// (the owner, a manager of the channel), so it is enabled only when the
// relay says the technician may. In History it lists the screenshots too.
type recordsToggle struct {
	c        *Console
	id       func() string // the session's ID
	say      func(string)  // the view's status line
	check    *widget.Check
	list     *widget.Label // History: the session's screenshots; nil in a session view
	applying bool          // the check is being set from the relay's answer
}

func (r *recordsToggle) build(c *Console, id func() string, say func(string)) {
	r.c, r.id, r.say = c, id, say
	r.check = widget.NewCheck("Internal records", r.changed)
	r.check.Disable()
}

// load asks the relay for the session's visibility and screenshots.
func (r *recordsToggle) load(id string) {
	rec := r.c.records()
	if rec == nil || id == "" {
		return
	}
	r.c.wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
		defer cancel()
		got, err := rec.SessionRecords(ctx, id)
		if err != nil {
			r.c.log.Warn("read the session's records", "session", id, "err", err)
			return
		}
		r.c.do(func() {
			if r.id() == id {
				r.show(got)
			}
		})
	})
}

// show sets the switch (and the list) to the relay's answer.
func (r *recordsToggle) show(rec adminapi.Records) {
	r.set(rec.Visibility == string(proto.VisibilityInternal), rec.MayChange)
	if r.list != nil {
		r.list.SetText(ScreenshotList(rec))
	}
}

// set puts the switch on internal or public without asking the relay.
func (r *recordsToggle) set(internal, enabled bool) {
	r.applying = true
	r.check.SetChecked(internal)
	r.applying = false
	if enabled {
		r.check.Enable()
	} else {
		r.check.Disable()
	}
}

// ScreenshotList is a session's screenshots as History lists them.
func ScreenshotList(rec adminapi.Records) string {
	if len(rec.Screenshots) == 0 {
		return "No screenshots."
	}
	lines := []string{"Screenshots:"}
	for _, s := range rec.Screenshots {
		mark := ""
		if s.Marked {
			mark = ", marked up"
		}
		lines = append(lines, fmt.Sprintf("%s  by %s  %dx%d%s  (%s)", s.TakenAt.Local().Format("2006-01-02 15:04"), s.TakenBy, s.Width, s.Height, mark, s.ID))
	}
	return strings.Join(lines, "\n")
}

// changed asks the relay to make the records internal or public.
func (r *recordsToggle) changed(internal bool) {
	rec := r.c.records()
	if r.applying || rec == nil {
		return
	}
	id := r.id()
	v := proto.VisibilityPublic
	if internal {
		v = proto.VisibilityInternal
	}
	r.check.Disable()
	r.c.wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
		defer cancel()
		got, err := rec.SetVisibility(ctx, id, v)
		r.c.do(func() {
			if err != nil {
				r.set(!internal, true) // as it was
				r.say("Who may see the screenshots did not change: " + sentence(err))
				return
			}
			r.show(got)
			if got.Visibility == string(proto.VisibilityInternal) {
				r.say("The session's screenshots are internal: only technicians who may see the session can open them.")
			} else {
				r.say("The session's screenshots are public: the end user can open them through the link the app showed at the end.")
			}
		})
	})
}
