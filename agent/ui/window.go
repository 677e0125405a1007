// Package ui is the SOS app's window: the session code in large grouped
// digits (or whom the app waits for), the connection status in words, the
// end user's consent question, who is connected, and an always-visible End
// session button. It implements session.UI on an injected fyne.App and
// holds no protocol logic.
package ui

import (
	"context"
	"fmt"
	"image/color"
	"sort"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// Window is the SOS window.
type Window struct {
	win fyne.Window

	code     *canvas.Text
	copyCode *widget.Button
	heading  *widget.Label
	status   *widget.Label
	viewed   *widget.Label // "Your screen is being viewed and controlled by …"
	people   *widget.Label
	end      *widget.Button

	consentBox  *fyne.Container
	consentText *widget.Label
	allow, deny *widget.Button

	mu      sync.Mutex
	answer  chan bool // the pending consent question's answer
	peers   map[int64]string
	rawCode string
}

// New builds the window on app; onEnd runs when the end user ends the
// session (button or closing the window).
func New(app fyne.App, onEnd func()) *Window {
	w := &Window{win: app.NewWindow("Remote support"), peers: map[int64]string{}}
	w.code = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	w.code.TextSize = 40
	w.code.TextStyle = fyne.TextStyle{Bold: true}
	w.code.Alignment = fyne.TextAlignCenter
	w.copyCode = widget.NewButtonWithIcon("Copy code", theme.ContentCopyIcon(), func() {
		w.mu.Lock()
		c := w.rawCode
		w.mu.Unlock()
		app.Clipboard().SetContent(c)
	})
	w.copyCode.Hide()
	w.heading = widget.NewLabelWithStyle("Starting…", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	w.heading.Wrapping = fyne.TextWrapWord
	w.status = widget.NewLabel("Connecting to the support server…")
	w.status.Wrapping = fyne.TextWrapWord
	w.viewed = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	w.viewed.Wrapping = fyne.TextWrapWord
	w.viewed.Hide()
	w.people = widget.NewLabel("")
	w.people.Hide()

	w.consentText = widget.NewLabel("")
	w.consentText.Wrapping = fyne.TextWrapWord
	w.allow = widget.NewButtonWithIcon("Allow", theme.ConfirmIcon(), func() { w.decide(true) })
	w.allow.Importance = widget.HighImportance
	w.deny = widget.NewButtonWithIcon("Deny", theme.CancelIcon(), func() { w.decide(false) })
	w.consentBox = container.NewVBox(
		widget.NewSeparator(), w.consentText,
		container.NewHBox(layout.NewSpacer(), w.deny, w.allow),
	)
	w.consentBox.Hide()

	w.end = widget.NewButtonWithIcon("End session", theme.LogoutIcon(), onEnd)
	w.end.Importance = widget.DangerImportance
	bar := canvas.NewRectangle(color.NRGBA{R: 0xb0, G: 0x00, B: 0x20, A: 0xff})
	bar.SetMinSize(fyne.NewSize(0, 4))
	bar.Hide()
	w.win.SetContent(container.NewBorder(
		container.NewVBox(bar, w.heading),
		w.end, // always visible, at the bottom
		nil, nil,
		container.NewVBox(w.code, container.NewCenter(w.copyCode), w.status, w.viewed, w.people, w.consentBox),
	))
	w.win.SetCloseIntercept(onEnd)
	w.win.Resize(fyne.NewSize(420, 360))
	return w
}

// Show shows the window.
func (w *Window) Show() { w.win.Show() }

// Close closes the window.
func (w *Window) Close() { fyne.Do(w.win.Close) }

// Code implements session.UI.
func (w *Window) Code(code string, expires time.Time) {
	w.mu.Lock()
	w.rawCode = code
	w.mu.Unlock()
	fyne.Do(func() {
		w.heading.SetText("Read this code to your technician")
		w.code.Text = code[0:3] + " " + code[3:6] + " " + code[6:9]
		w.copyCode.Show()
		w.relayout()
	})
}

// Waiting implements session.UI.
func (w *Window) Waiting(technician string) {
	if technician == "" {
		technician = "your technician"
	}
	fyne.Do(func() {
		w.heading.SetText("Waiting for " + technician)
		w.code.Text = ""
		w.copyCode.Hide()
		w.relayout()
	})
}

// relayout lays the window out again after parts appeared, disappeared or
// changed size (Fyne does not do it for a hidden container shown later).
// Runs on the UI goroutine.
func (w *Window) relayout() { w.win.Content().Refresh() }

// Status implements session.UI.
func (w *Window) Status(text string) { fyne.Do(func() { w.status.SetText(text) }) }

// Consent implements session.UI: it shows the question and waits for
// Allow, Deny or ctx.
func (w *Window) Consent(ctx context.Context, req proto.ConsentRequest) bool {
	ch := make(chan bool, 1)
	w.mu.Lock()
	w.answer = ch
	w.mu.Unlock()
	who := req.Technician
	if req.Organisation != "" {
		who += " (" + req.Organisation + ")"
	}
	can := "view your screen"
	if len(req.Permissions) > 0 {
		can = describe(req.Permissions)
	}
	fyne.Do(func() {
		w.consentText.SetText(fmt.Sprintf("%s wants to connect to this computer. They will be able to %s. Nothing is shared until you click Allow.", who, can))
		w.consentBox.Show()
		w.relayout()
		w.win.RequestFocus()
	})
	defer fyne.Do(func() { w.consentBox.Hide(); w.relayout() })
	select {
	case a := <-ch:
		return a
	case <-ctx.Done():
		return false
	}
}

func describe(perms []string) string {
	words := map[string]string{"view": "see your screen", "control": "use your mouse and keyboard", "clipboard": "copy text to and from your clipboard"}
	var out []string
	for _, p := range perms {
		if s, ok := words[p]; ok {
			out = append(out, s)
		}
	}
	switch len(out) {
	case 0:
		return "view your screen"
	case 1:
		return out[0]
	}
	return strings.Join(out[:len(out)-1], ", ") + " and " + out[len(out)-1]
}

func (w *Window) decide(allow bool) {
	w.mu.Lock()
	ch := w.answer
	w.answer = nil
	w.mu.Unlock()
	if ch != nil {
		ch <- allow
	}
}

// Joined implements session.UI.
func (w *Window) Joined(p proto.Peer) {
	w.mu.Lock()
	w.peers[p.ID] = p.Name
	w.mu.Unlock()
	w.showPeers()
}

// Left implements session.UI.
func (w *Window) Left(p proto.Peer, _ string) {
	w.mu.Lock()
	delete(w.peers, p.ID)
	w.mu.Unlock()
	w.showPeers()
}

func (w *Window) showPeers() {
	w.mu.Lock()
	var names []string
	for _, n := range w.peers {
		names = append(names, n)
	}
	w.mu.Unlock()
	sort.Strings(names)
	fyne.Do(func() {
		defer w.relayout()
		if len(names) == 0 {
			w.viewed.Hide()
			w.people.Hide()
			return
		}
		w.viewed.SetText("Your screen is being viewed and controlled by " + strings.Join(names, ", ") + ".")
		w.viewed.Show()
		w.people.SetText("Connected: " + strings.Join(names, ", "))
		w.people.Show()
		w.code.Text = ""
		w.copyCode.Hide()
		w.heading.SetText("Remote support in progress")
		w.status.SetText("You can end the session at any time with the button below.")
	})
}

// Ended implements session.UI.
func (w *Window) Ended(e proto.SessionEnded) {
	w.mu.Lock()
	clear(w.peers)
	w.mu.Unlock()
	w.showPeers()
	text := "The session was ended by " + e.By + "."
	fyne.Do(func() {
		w.heading.SetText("Session ended")
		w.status.SetText(text)
		w.end.SetText("Close")
	})
}
