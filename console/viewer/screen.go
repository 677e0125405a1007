// Package viewer is the remote-screen widget of the technician's console:
// it shows the decoded frames it is fed (scaled to fit or 1:1), and while it
// has the keyboard focus turns the technician's pointer, wheel and keys into
// proto.Input events for the end user's computer. It holds no network code:
// frames come in through SetFrame and input goes out through an Input.
package viewer

import (
	"image"
	"image/color"
	"math"
	"sync"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// Input receives the technician's input for the remote computer.
type Input interface {
	SendInput(proto.Input) error
}

// Screen shows the remote screen and captures input for it.
type Screen struct {
	widget.BaseWidget

	input Input
	do    func(func()) // runs a function on the UI goroutine
	// OnInputError is called (on the UI goroutine) when input could not be
	// sent, e.g. because the end user's app offers none (view only).
	OnInputError func(error)

	mu      sync.Mutex
	front   *image.RGBA // shown by the raster
	back    *image.RGBA // filled by SetFrame
	fresh   bool        // back holds a frame not shown yet
	pending bool        // a swap is scheduled on the UI goroutine
	seq     int64       // frames swapped to the front so far
	drawn   int64       // the seq the renderer last drew

	// UI goroutine only.
	raster   *canvas.Raster
	bg       *canvas.Rectangle
	fit      bool
	viewOnly bool
	focused  bool
	keys     map[string]bool // keys held down on the remote
	buttons  map[string]bool
	textNext bool    // the next rune is a character without a key name
	wheelAcc float32 // scroll not yet sent, in Fyne units
	imgRect  fyne.Size

	painted  atomic.Int64 // distinct frames the renderer drew
	received atomic.Int64 // frames given to SetFrame
}

// NewScreen returns a screen that sends input to in; it starts scaled to
// fit. do runs a function on the UI goroutine (nil means fyne.Do): the
// console passes its own, which holds UI work while the app quits.
func NewScreen(in Input, do func(func())) *Screen {
	if do == nil {
		do = fyne.Do
	}
	s := &Screen{input: in, do: do, fit: true, keys: map[string]bool{}, buttons: map[string]bool{}}
	s.raster = canvas.NewRaster(s.generate)
	s.raster.ScaleMode = canvas.ImageScaleSmooth
	s.bg = canvas.NewRectangle(color.NRGBA{0x20, 0x20, 0x20, 0xff})
	s.ExtendBaseWidget(s)
	return s
}

// generate hands the renderer the current frame; it runs when Fyne paints
// the raster. A frame counts as painted the first time it is drawn: drawing
// it again (a relayout, a resize) does not count, and a frame replaced
// before the renderer got to it never counts.
func (s *Screen) generate(w, h int) image.Image {
	s.mu.Lock()
	img := s.front
	if img != nil && s.drawn != s.seq {
		s.drawn = s.seq
		s.painted.Add(1)
	}
	s.mu.Unlock()
	if img == nil {
		return image.NewUniform(color.Black)
	}
	return img
}

// SetFrame copies a decoded frame for display. It may be called from any
// goroutine and never blocks on the UI: frames that arrive faster than the
// UI paints replace each other.
func (s *Screen) SetFrame(img *image.RGBA) {
	s.received.Add(1)
	s.mu.Lock()
	if s.back == nil || s.back.Rect != img.Rect {
		s.back = image.NewRGBA(img.Rect)
	}
	copy(s.back.Pix, img.Pix)
	s.fresh = true
	schedule := !s.pending
	s.pending = true
	s.mu.Unlock()
	if schedule {
		s.do(s.swap)
	}
}

// swap shows the latest frame; UI goroutine.
func (s *Screen) swap() {
	s.mu.Lock()
	s.pending = false
	if !s.fresh {
		s.mu.Unlock()
		return
	}
	s.front, s.back = s.back, s.front
	s.fresh = false
	s.seq++
	resized := s.front.Rect.Dx() != int(s.imgRect.Width) || s.front.Rect.Dy() != int(s.imgRect.Height)
	if resized {
		s.imgRect = fyne.NewSize(float32(s.front.Rect.Dx()), float32(s.front.Rect.Dy()))
	}
	s.mu.Unlock()
	if resized {
		s.Refresh() // new size: lay out again (and the scroller around us)
		return
	}
	s.raster.Refresh()
}

// Frame returns a copy of the frame on screen, or nil before the first.
func (s *Screen) Frame() *image.RGBA {
	s.mu.Lock()
	defer s.mu.Unlock()
	src := s.front
	if s.fresh {
		src = s.back
	}
	if src == nil {
		return nil
	}
	img := image.NewRGBA(src.Rect)
	copy(img.Pix, src.Pix)
	return img
}

// Counts returns how many frames were received (SetFrame) and how many
// distinct frames the renderer painted; received minus painted were
// replaced by newer ones before they could be shown.
func (s *Screen) Counts() (received, painted int64) {
	return s.received.Load(), s.painted.Load()
}

// SetFit scales the picture to the widget (true) or shows it 1:1 (false,
// for a scroll container). UI goroutine.
func (s *Screen) SetFit(fit bool) {
	s.fit = fit
	s.Refresh()
}

// Fit reports whether the picture is scaled to fit.
func (s *Screen) Fit() bool { return s.fit }

// SetViewOnly stops (true) or resumes sending input. UI goroutine.
func (s *Screen) SetViewOnly(v bool) {
	if v {
		s.releaseAll()
	}
	s.viewOnly = v
}

// ViewOnly reports whether input is withheld.
func (s *Screen) ViewOnly() bool { return s.viewOnly }

// MinSize is the picture's size at 1:1, or a small size when fitting.
func (s *Screen) MinSize() fyne.Size {
	if !s.fit && s.imgRect.Width > 0 {
		return s.pixelsToUnits(s.imgRect)
	}
	return fyne.NewSize(320, 180)
}

func (s *Screen) scale() float32 {
	if c := fyne.CurrentApp().Driver().CanvasForObject(s); c != nil && c.Scale() > 0 {
		return c.Scale()
	}
	return 1
}

func (s *Screen) pixelsToUnits(px fyne.Size) fyne.Size {
	sc := s.scale()
	return fyne.NewSize(px.Width/sc, px.Height/sc)
}

// pictureRect is where the picture is drawn inside the widget.
func (s *Screen) pictureRect(size fyne.Size) (fyne.Position, fyne.Size) {
	if s.imgRect.Width == 0 || s.imgRect.Height == 0 {
		return fyne.Position{}, size
	}
	if !s.fit {
		return fyne.Position{}, s.pixelsToUnits(s.imgRect)
	}
	k := min(size.Width/s.imgRect.Width, size.Height/s.imgRect.Height)
	w, h := s.imgRect.Width*k, s.imgRect.Height*k
	return fyne.NewPos((size.Width-w)/2, (size.Height-h)/2), fyne.NewSize(w, h)
}

// normalise turns a position in the widget into remote coordinates (0..1).
func (s *Screen) normalise(p fyne.Position) (float64, float64, bool) {
	pos, size := s.pictureRect(s.Size())
	if size.Width <= 0 || size.Height <= 0 || s.imgRect.Width == 0 {
		return 0, 0, false
	}
	x := float64((p.X - pos.X) / size.Width)
	y := float64((p.Y - pos.Y) / size.Height)
	inside := x >= 0 && x <= 1 && y >= 0 && y <= 1
	return math.Min(math.Max(x, 0), 1), math.Min(math.Max(y, 0), 1), inside
}

// CreateRenderer implements fyne.Widget.
func (s *Screen) CreateRenderer() fyne.WidgetRenderer {
	return &screenRenderer{s: s}
}

type screenRenderer struct{ s *Screen }

func (r *screenRenderer) Layout(size fyne.Size) {
	r.s.bg.Resize(size)
	pos, sz := r.s.pictureRect(size)
	r.s.raster.Move(pos)
	r.s.raster.Resize(sz)
}
func (r *screenRenderer) MinSize() fyne.Size { return r.s.MinSize() }
func (r *screenRenderer) Refresh() {
	r.Layout(r.s.Size())
	r.s.raster.Refresh()
}
func (r *screenRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.s.bg, r.s.raster}
}
func (r *screenRenderer) Destroy() {}

// send delivers one event unless the view is view only.
func (s *Screen) send(in proto.Input) bool {
	if s.viewOnly || s.input == nil {
		return false
	}
	if err := s.input.SendInput(in); err != nil {
		if s.OnInputError != nil {
			s.OnInputError(err)
		}
		return false
	}
	return true
}

// releaseAll lets go of every key and button the remote holds for us.
func (s *Screen) releaseAll() {
	if len(s.keys) == 0 && len(s.buttons) == 0 {
		return
	}
	s.send(proto.Input{Kind: proto.InputRelAll})
	clear(s.keys)
	clear(s.buttons)
}

// SendKeys presses keys in order and releases them in reverse (toolbar
// combinations such as Ctrl+Alt+Del).
func (s *Screen) SendKeys(keys []string) {
	for _, k := range keys {
		if !s.send(proto.Input{Kind: proto.InputKeyDn, Key: k}) {
			return
		}
	}
	for i := len(keys) - 1; i >= 0; i-- {
		s.send(proto.Input{Kind: proto.InputKeyUp, Key: keys[i]})
	}
}

// Pointer.

// MouseIn implements desktop.Hoverable.
func (s *Screen) MouseIn(e *desktop.MouseEvent) { s.MouseMoved(e) }

// MouseMoved implements desktop.Hoverable.
func (s *Screen) MouseMoved(e *desktop.MouseEvent) {
	if !s.focused {
		return
	}
	if x, y, in := s.normalise(e.Position); in {
		s.send(proto.Input{Kind: proto.InputMove, X: x, Y: y})
	}
}

// MouseOut implements desktop.Hoverable.
func (s *Screen) MouseOut() {}

func buttonName(b desktop.MouseButton) string {
	switch b {
	case desktop.MouseButtonPrimary:
		return "left"
	case desktop.MouseButtonSecondary:
		return "right"
	case desktop.MouseButtonTertiary:
		return "middle"
	}
	return ""
}

// MouseDown implements desktop.Mouseable: the first click only takes the
// focus, so that clicking into the view never clicks on the remote.
func (s *Screen) MouseDown(e *desktop.MouseEvent) {
	if !s.focused {
		if c := fyne.CurrentApp().Driver().CanvasForObject(s); c != nil {
			c.Focus(s)
		}
		return
	}
	b := buttonName(e.Button)
	x, y, in := s.normalise(e.Position)
	if b == "" || !in {
		return
	}
	if s.send(proto.Input{Kind: proto.InputDown, Button: b, X: x, Y: y}) {
		s.buttons[b] = true
	}
}

// MouseUp implements desktop.Mouseable.
func (s *Screen) MouseUp(e *desktop.MouseEvent) {
	b := buttonName(e.Button)
	if !s.buttons[b] {
		return
	}
	x, y, _ := s.normalise(e.Position)
	s.send(proto.Input{Kind: proto.InputUp, Button: b, X: x, Y: y})
	delete(s.buttons, b)
}

// Dragged implements fyne.Draggable: the pointer moves with a button held.
func (s *Screen) Dragged(e *fyne.DragEvent) {
	if !s.focused {
		return
	}
	x, y, _ := s.normalise(e.Position)
	s.send(proto.Input{Kind: proto.InputMove, X: x, Y: y})
}

// DragEnd implements fyne.Draggable: a button released outside the view
// is released on the remote too.
func (s *Screen) DragEnd() {
	for b := range s.buttons {
		s.send(proto.Input{Kind: proto.InputUp, Button: b, X: -1, Y: -1})
	}
	clear(s.buttons)
}

// wheelNotch is how many Fyne units one wheel notch scrolls on desktops.
const wheelNotch = 25

// Scrolled implements fyne.Scrollable.
func (s *Screen) Scrolled(e *fyne.ScrollEvent) {
	if !s.focused {
		return
	}
	s.wheelAcc += e.Scrolled.DY
	n := int(s.wheelAcc / wheelNotch)
	if n == 0 {
		return
	}
	s.wheelAcc -= float32(n) * wheelNotch
	// Fyne's DY is positive upwards, the protocol's downwards.
	s.send(proto.Input{Kind: proto.InputWheel, DY: -n})
}

// Keyboard.

// FocusGained implements fyne.Focusable.
func (s *Screen) FocusGained() { s.focused = true; s.Refresh() }

// FocusLost implements fyne.Focusable: nothing stays pressed on the remote.
func (s *Screen) FocusLost() {
	s.focused = false
	s.releaseAll()
	s.Refresh()
}

// Focused reports whether the view has the keyboard.
func (s *Screen) Focused() bool { return s.focused }

// AcceptsTab implements fyne.Tabbable: Tab goes to the remote.
func (s *Screen) AcceptsTab() bool { return true }

// KeyDown implements desktop.Keyable.
func (s *Screen) KeyDown(e *fyne.KeyEvent) {
	if !s.focused {
		return
	}
	k, ok := Keysym(e.Name)
	if !ok {
		s.textNext = true
		return
	}
	s.textNext = false
	if s.send(proto.Input{Kind: proto.InputKeyDn, Key: k}) {
		s.keys[k] = true
	}
}

// KeyUp implements desktop.Keyable.
func (s *Screen) KeyUp(e *fyne.KeyEvent) {
	k, ok := Keysym(e.Name)
	if !ok || !s.keys[k] {
		return
	}
	s.send(proto.Input{Kind: proto.InputKeyUp, Key: k})
	delete(s.keys, k)
}

// TypedRune implements fyne.Focusable: characters without a key name (a
// non-US layout's letters, dead-key compositions) travel as text.
func (s *Screen) TypedRune(r rune) {
	if !s.textNext {
		return
	}
	s.textNext = false
	s.send(proto.Input{Kind: proto.InputText, Text: string(r)})
}

// TypedKey implements fyne.Focusable; keys already went out in KeyDown.
func (s *Screen) TypedKey(*fyne.KeyEvent) {}

// TypedShortcut implements fyne.Shortcutable, so that the console's own
// shortcuts (copy, paste...) do not act while the remote has the keyboard:
// the keys themselves already went out in KeyDown.
func (s *Screen) TypedShortcut(fyne.Shortcut) {}
