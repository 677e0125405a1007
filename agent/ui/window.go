// Package ui is the SOS window: the session code in large grouped digits
// (or whom the app waits for), the connection status in words, the end
// user's consent question, who is connected, the chat with the
// technicians, an always-visible End session button, the rating after the
// end, and before the start the connection details prompt and problems
// with a Retry. It implements session.UI and session.Prompter on an
// injected fyne.App and holds no protocol logic: what the end user does
// goes to the Actions it is given.
package ui

import (
	"context"
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

	"github.com/relaydesk/relaydesk/agent/session"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// Actions are what the end user can do. They run on the UI goroutine and
// must return at once: slow work (the network) belongs elsewhere.
type Actions struct {
	// End runs on the End session (later: Close) button.
	End func()
	// Close runs when the end user closes the window; nil: End.
	Close func()
	// Chat sends a chat message; the relay's echo comes back through Chat.
	Chat func(text string)
	// Rate sends the rating; the outcome comes back through Rated.
	Rate func(stars int, comment string)
	// ClearDrawing removes a technician's drawing from the screen (drawing.go).
	ClearDrawing func()
	// SendFile sends the end user's file at path to the technician
	// (files.go); nil: no Send file button. CancelFile stops transfer id.
	SendFile   func(path string)
	CancelFile func(id string)
	// StopRecording asks the relay to stop recording (the Recording
	// mark's button); the outcome comes back through Recording.
	StopRecording func()
}

// Window is the SOS window.
type Window struct {
	win fyne.Window
	act Actions

	code     *canvas.Text
	copyCode *widget.Button
	heading  *widget.Label
	status   *widget.Label
	viewed   *widget.Label // "Your screen is being viewed and controlled by …"
	people   *widget.Label
	queue    *widget.Label // "You are number 3 in the queue of Printing. …"
	end      *widget.Button
	retry    *widget.Button

	clearDraw *widget.Button // "Clear drawing", while a technician's drawing shows

	consentBox  *fyne.Container
	consentText *widget.Label
	allow, deny *widget.Button
	viewOnly    *widget.Button // "Allow view only": no mouse, keyboard or clipboard
	asked       proto.Grant    // what the pending question asks

	chat   chatPanel
	rating ratingPanel
	prompt connectPrompt
	relay  relayConfirm
	form   intakeForm
	fetch  fetchQuestion // files.go

	// records: the link to the session's screenshots, after the end.
	records recordsPanel

	record recordPanel // record.go

	mu          sync.Mutex
	answer      chan proto.Grant // the pending consent question's answer (nil: deny)
	retried     chan struct{}
	peers       map[int64]string
	viewOnlyIDs map[int64]bool // technicians the end user allowed to view only
	rawCode     string
	hadPeers    bool // a technician joined at some point: the session can be rated
	rateOffered bool
	shown       string // the question on screen: "consent", "connect", "intake", "problem", "fetch" or ""
	// roles is who the relay says is connected, with roles and who
	// controls (only those the end user allowed); empty: not told (an
	// older relay), the names from Joined are shown.
	roles []proto.Participant
}

// New builds the window on app.
func New(app fyne.App, act Actions) *Window {
	if act.Close == nil {
		act.Close = act.End
	}
	w := &Window{win: app.NewWindow("Remote support"), act: act, peers: map[int64]string{}, viewOnlyIDs: map[int64]bool{}}
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
	w.people.Wrapping = fyne.TextWrapWord
	w.people.Hide()
	w.queue = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	w.queue.Wrapping = fyne.TextWrapWord
	w.queue.Hide()

	w.consentText = widget.NewLabel("")
	w.consentText.Wrapping = fyne.TextWrapWord
	w.allow = widget.NewButtonWithIcon("Allow", theme.ConfirmIcon(), func() { w.decide(w.asked) })
	w.allow.Importance = widget.HighImportance
	w.viewOnly = widget.NewButtonWithIcon("Allow view only", theme.VisibilityIcon(), func() { w.decide(proto.Grant{proto.PermView}) })
	w.deny = widget.NewButtonWithIcon("Deny", theme.CancelIcon(), func() { w.decide(nil) })
	w.consentBox = container.NewVBox(
		widget.NewSeparator(), w.consentText,
		container.NewHBox(layout.NewSpacer(), w.deny, w.viewOnly, w.allow),
	)
	w.consentBox.Hide()

	w.chat.build(w)
	w.rating.build(w)
	w.records.build()
	w.prompt.build(w)
	w.relay.build(w)
	w.form.build(w)
	w.buildDrawing()
	w.fetch.build(w)
	w.record.build(w)

	w.end = widget.NewButtonWithIcon("End session", theme.LogoutIcon(), func() { w.act.End() })
	w.end.Importance = widget.DangerImportance
	w.retry = widget.NewButtonWithIcon("Retry", theme.ViewRefreshIcon(), w.doRetry)
	w.retry.Importance = widget.HighImportance
	w.retry.Hide()
	bar := canvas.NewRectangle(color.NRGBA{R: 0xb0, G: 0x00, B: 0x20, A: 0xff})
	bar.SetMinSize(fyne.NewSize(0, 4))
	bar.Hide()
	w.win.SetContent(container.NewBorder(
		container.NewVBox(bar, w.heading, w.record.mark),
		container.NewVBox(w.fetch.send, w.retry, w.clearDraw, w.end), // always visible, at the bottom
		nil, nil,
		container.NewBorder(
			container.NewVBox(w.code, container.NewCenter(w.copyCode), w.queue, w.status, w.viewed, w.people, w.consentBox, w.record.box, w.fetch.box, w.fetch.row, w.prompt.box, w.relay.box, w.form.box, w.rating.box, w.records.box),
			nil, nil, nil,
			w.chat.box, // takes the room that is left
		),
	))
	w.win.SetCloseIntercept(func() { w.act.Close() })
	w.win.Resize(fyne.NewSize(460, 520))
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

// A question (consent, connection details, problem) waits for its answer
// on a channel kept in one of the window's slots. ask registers the
// channel (before the end user can answer), shows the question on the UI
// goroutine and then counts it as shown. The answer's handler (UI
// goroutine) takes the channel back with take, hides the question and
// wakes the asker; if the asker's ctx ends first, withdraw hides it, unless
// it was answered or a newer question replaced it.
func ask[T any](w *Window, name string, slot *chan T, ch chan T, show func()) {
	w.mu.Lock()
	*slot = ch
	w.mu.Unlock()
	fyne.DoAndWait(show)
	w.mu.Lock()
	if *slot == ch {
		w.shown = name
	}
	w.mu.Unlock()
}

// take removes the pending question's channel from slot; nil when nothing is asked.
func take[T any](w *Window, slot *chan T) chan T {
	w.mu.Lock()
	defer w.mu.Unlock()
	ch := *slot
	*slot, w.shown = nil, ""
	return ch
}

// withdraw hides the question of ch if it is still the one in slot.
func withdraw[T any](w *Window, slot *chan T, ch chan T, hide func()) {
	w.mu.Lock()
	mine := *slot == ch
	if mine {
		*slot, w.shown = nil, ""
	}
	w.mu.Unlock()
	if mine {
		fyne.DoAndWait(hide)
	}
}

// Status implements session.UI.
func (w *Window) Status(text string) { fyne.Do(func() { w.status.SetText(text) }) }

// Consent implements session.UI: it shows the question, naming the
// technician and the support server, and waits for Allow (what was
// asked), Allow view only, Deny or ctx.
func (w *Window) Consent(ctx context.Context, req proto.ConsentRequest, relayHost string) proto.Grant {
	ch := make(chan proto.Grant, 1)
	ask(w, "consent", &w.answer, ch, func() {
		w.asked = req.Permissions
		w.consentText.SetText(session.ConsentQuestion(req, relayHost) + " Nothing is shared until you click Allow.")
		if proto.Grant(req.Permissions).ViewOnly() || !proto.Grant(req.Permissions).Has(proto.PermView) {
			w.viewOnly.Hide() // nothing less to offer
		} else {
			w.viewOnly.Show()
		}
		w.consentBox.Show()
		w.relayout()
		w.win.RequestFocus()
	})
	select {
	case g := <-ch:
		w.mu.Lock()
		w.viewOnlyIDs[req.PeerID] = g.ViewOnly()
		w.mu.Unlock()
		return g
	case <-ctx.Done():
		withdraw(w, &w.answer, ch, w.hideConsent)
		return nil
	}
}

func (w *Window) hideConsent() { w.consentBox.Hide(); w.relayout() }

// decide answers the consent question with g, nil to deny (UI goroutine).
func (w *Window) decide(g proto.Grant) {
	if ch := take(w, &w.answer); ch != nil {
		w.hideConsent()
		ch <- g
	}
}

// Joined implements session.UI.
func (w *Window) Joined(p proto.Peer) {
	w.mu.Lock()
	w.peers[p.ID] = p.Name
	w.hadPeers = true
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
	var names, control, view []string
	people := ""
	if roles := joinedRoles(w.roles, w.peers); len(roles) > 0 {
		people = session.ParticipantsSentence(roles)
	}
	for id, n := range w.peers {
		names = append(names, n)
		if w.viewOnlyIDs[id] {
			view = append(view, n)
		} else {
			control = append(control, n)
		}
	}
	w.mu.Unlock()
	sort.Strings(names)
	sort.Strings(control)
	sort.Strings(view)
	var viewed []string
	if len(control) > 0 {
		viewed = append(viewed, "Your screen is being viewed and controlled by "+strings.Join(control, ", ")+".")
	}
	if len(view) > 0 {
		viewed = append(viewed, "Your screen is being viewed (not controlled) by "+strings.Join(view, ", ")+".")
	}
	fyne.Do(func() {
		defer w.relayout()
		if len(names) == 0 {
			w.viewed.Hide()
			w.people.Hide()
			w.chat.box.Hide()
			return
		}
		w.viewed.SetText(strings.Join(viewed, " "))
		w.viewed.Show()
		if people == "" {
			people = "Connected: " + strings.Join(names, ", ")
		}
		w.people.SetText(people)
		w.people.Show()
		w.queue.Hide()
		w.end.SetText("End session")
		w.chat.box.Show()
		w.code.Text = ""
		w.copyCode.Hide()
		w.heading.SetText("Remote support in progress")
		w.status.SetText("You can end the session at any time with the button below.")
	})
}

// Ended implements session.UI. When a technician had joined, the end user
// is offered to rate the session.
func (w *Window) Ended(e proto.SessionEnded) {
	w.mu.Lock()
	clear(w.peers)
	offer := w.hadPeers
	w.rateOffered = offer
	w.mu.Unlock()
	w.showPeers()
	text := "The session was ended by " + e.By + "."
	fyne.Do(func() {
		w.heading.SetText("Session ended")
		w.status.SetText(text)
		w.end.SetText("Close")
		if offer {
			w.rating.open()
		}
		w.relayout()
	})
}

// OffersRating reports whether the window offers (or sent) a rating: then
// it stays open after the end until the end user closes it.
func (w *Window) OffersRating() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.rateOffered
}
