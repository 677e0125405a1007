package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// A session tab's service desk: Transfer..., Invite..., the hand-over of
// the mouse and keyboard, Take over for a supervisor who monitors, and a
// panel with the session's classification, ticket and notes. What the
// relay would refuse is not offered; what it refuses anyway shows its
// sentence.

// sessionDesk is a tab's desk widgets and state (UI goroutine).
type sessionDesk struct {
	transfer, invite, takeOver, request, takeBack, panelToggle *widget.Button
	give                                                       *widget.Select
	controller                                                 *widget.Label // who has the mouse and keyboard
	frame                                                      *controlFrame // the same, on the remote screen's frame

	panel      fyne.CanvasObject
	panelShown bool
	category   *widget.Select
	priority   *widget.Select
	tkSystem   *widget.Entry
	tkKey      *widget.Entry
	tkURL      *widget.Entry
	save       *widget.Button
	saved      *widget.Label
	notes      *widget.Label
	noteEntry  *widget.Entry
	addNote    *widget.Button
	noteResult *widget.Label

	invited    map[string]string // colleague -> "" while pending, else their answer
	inviteForm *inviteForm       // the newest Invite... dialog
	then       func()            // runs once the session ended here (take over after monitoring)
}

func (t *sessionTab) newDesk() {
	d := &t.dk
	d.invited = map[string]string{}
	d.transfer = widget.NewButtonWithIcon("Transfer…", theme.MailForwardIcon(), t.transferDialog)
	d.invite = widget.NewButtonWithIcon("Invite…", theme.AccountIcon(), t.inviteDialog)
	d.takeOver = widget.NewButtonWithIcon("Take over", theme.LoginIcon(), t.takeOver)
	d.request = widget.NewButton("Request control", func() { t.control(proto.ControlRequest, "") })
	d.takeBack = widget.NewButton("Take control back", func() { t.control(proto.ControlTake, "") })
	d.give = widget.NewSelect(nil, func(name string) {
		if name != "" {
			t.control(proto.ControlGive, name)
			d.give.ClearSelected()
		}
	})
	d.give.PlaceHolder = "Give control to…"
	d.panelToggle = widget.NewButtonWithIcon("Notes & ticket", theme.DocumentIcon(), func() { t.showPanel(!d.panelShown) })
	d.controller = widget.NewLabelWithStyle("", fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
	d.frame = newControlFrame(t.scroller)

	d.category = widget.NewSelect(nil, nil)
	d.priority = widget.NewSelect(nil, nil)
	d.tkSystem, d.tkKey, d.tkURL = widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	d.tkSystem.SetPlaceHolder("e.g. Jira")
	d.tkKey.SetPlaceHolder("e.g. IT-1234")
	d.tkURL.SetPlaceHolder("https://…")
	d.save = widget.NewButton("Save", t.saveClassification)
	d.saved = widget.NewLabel("")
	d.saved.Wrapping = fyne.TextWrapWord
	d.notes = widget.NewLabel("")
	d.notes.Wrapping = fyne.TextWrapWord
	d.noteEntry = widget.NewMultiLineEntry()
	d.noteEntry.SetPlaceHolder("An internal note; the end user never sees it")
	d.noteEntry.SetMinRowsVisible(3)
	d.addNote = widget.NewButton("Add note", t.addNoteNow)
	d.noteResult = widget.NewLabel("")
	d.noteResult.Wrapping = fyne.TextWrapWord
	form := widget.NewForm(
		widget.NewFormItem("Category", d.category),
		widget.NewFormItem("Priority", d.priority),
		widget.NewFormItem("Ticket system", d.tkSystem),
		widget.NewFormItem("Ticket", d.tkKey),
		widget.NewFormItem("Ticket URL", d.tkURL),
	)
	bold := fyne.TextStyle{Bold: true}
	d.panel = container.NewVScroll(container.NewVBox(
		widget.NewLabelWithStyle("Classification", fyne.TextAlignLeading, bold), form, d.save, d.saved,
		widget.NewSeparator(),
		widget.NewLabelWithStyle("Notes", fyne.TextAlignLeading, bold), d.notes, d.noteEntry, d.addNote, d.noteResult))
	t.refreshDesk()
}

// deskTools are the toolbar's desk buttons.
func (t *sessionTab) deskTools() []fyne.CanvasObject {
	d := &t.dk
	return []fyne.CanvasObject{d.transfer, d.invite, d.give, d.takeBack, d.request, d.takeOver, d.panelToggle}
}

// id is the session's ID (any goroutine).
func (t *sessionTab) id() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sessionID
}

func (t *sessionTab) snapshot() (info proto.SessionInfo, ended bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.info, t.ended
}

// updated takes a pushed state of the tab's session.
func (t *sessionTab) updated(s proto.SessionInfo) {
	t.mu.Lock()
	if s.Device == nil {
		s.Device = t.info.Device
	}
	t.info = s
	t.mu.Unlock()
	t.refreshDesk()
	if t.dk.inviteForm != nil {
		t.dk.inviteForm.showGuests()
	}
}

// refreshDesk shows the actions the technician has in this session now:
// the owner transfers, invites and hands control over; a guest asks for
// control; a supervisor who monitors may take over or transfer.
func (t *sessionTab) refreshDesk() {
	d := &t.dk
	c := t.c
	s, ended := t.snapshot()
	connected := !ended && s.ID != ""
	me := c.login.User
	owner := connected && s.Owner == me && !t.target.Monitor
	monitor := connected && t.target.Monitor
	guest := connected && !owner && !monitor
	show := func(w fyne.CanvasObject, on bool) {
		if on {
			w.Show()
		} else {
			w.Hide()
		}
	}
	show(d.transfer, (owner || monitor) && c.may(proto.PermTransferTech, proto.PermTransferChannel))
	show(d.invite, owner && c.may(proto.PermInviteChannel, proto.PermInviteOutside))
	show(d.takeOver, monitor && c.may(proto.PermTakeOver))
	guests := slices.DeleteFunc(slices.Clone(s.Guests), func(g string) bool { return g == me })
	d.give.SetOptions(guests)
	show(d.give, owner && len(guests) > 0 && c.dk.desk != nil)
	show(d.takeBack, owner && s.Controller != "" && s.Controller != me && c.dk.desk != nil)
	show(d.request, guest && s.Controller != me && c.dk.desk != nil)
	show(d.panelToggle, connected && c.dk.desk != nil)
	if !connected && d.panelShown {
		t.showPanel(false)
	}
	whose, who := controlNobody, ""
	switch {
	case !connected:
	case s.Controller == "":
		who = "Nobody controls"
	case s.Controller == me:
		whose, who = controlMine, "You control"
	default:
		whose, who = controlOther, s.Controller+" controls"
	}
	d.controller.SetText(who)
	d.frame.set(whose, who)
	d.category.SetOptions(append([]string{""}, c.dk.dir.Categories...))
	d.priority.SetOptions(append([]string{""}, c.dk.dir.Priorities...))
}

// ControlChanged implements SessionView.
func (t *sessionTab) ControlChanged(cc proto.ControlChanged) {
	t.mu.Lock()
	t.info.Controller = cc.Controller.Name
	t.mu.Unlock()
	t.c.do(func() {
		t.refreshDesk()
		me := t.c.login.User
		switch {
		case cc.Controller.Name == me:
			t.setStatus("You have control of the mouse and keyboard.")
		case cc.Controller.Name != "" && cc.By != "":
			t.setStatus(fmt.Sprintf("%s gave control to %s.", cc.By, cc.Controller.Name))
		case cc.Controller.Name != "":
			t.setStatus(cc.Controller.Name + " has control of the mouse and keyboard.")
		}
	})
}

// control gives, takes back or requests control.
func (t *sessionTab) control(action, to string) {
	c := t.c
	if c.dk.desk == nil {
		return
	}
	l, req := c.login, proto.Control{SessionID: t.id(), Action: action, To: to}
	c.deskRequest(func(ctx context.Context) error { return c.dk.desk.Control(ctx, l, req) }, func(err error) {
		switch {
		case err != nil:
			t.setStatus("Control was not handed over: " + sentence(err))
		case action == proto.ControlRequest:
			t.setStatus("Asked the session's owner for control.")
		case action == proto.ControlGive:
			t.setStatus(to + " has control of the mouse and keyboard now.")
		default:
			t.setStatus("You have control of the mouse and keyboard again.")
		}
	})
}

// takeOver ends monitoring and connects as the session's new owner (the
// relay hands it over and tells the previous owner and the end user).
func (t *sessionTab) takeOver() {
	s, _ := t.snapshot()
	dialog.ShowConfirm("Take the session over?", fmt.Sprintf("%s loses the session; the end user is told that you take over.", orSomeone(s.Owner)), func(yes bool) {
		if yes {
			t.startTakeOver()
		}
	}, t.c.win)
}

func (t *sessionTab) startTakeOver() {
	s, ended := t.snapshot()
	open := func() {
		t.c.closeTab(t)
		t.c.OpenSession(proto.Connect{SessionID: s.ID}, sessionTitle(s))
	}
	if ended || t.remote == nil {
		open()
		return
	}
	t.dk.then = open
	t.setStatus("Taking the session over…")
	t.remote.End()
}

func orSomeone(name string) string {
	if name == "" {
		return "Nobody"
	}
	return name
}

// inviteAnswered records a colleague's answer to an invitation.
func (t *sessionTab) inviteAnswered(from, text string) {
	t.dk.invited[from] = text
	t.setStatus(text)
}

// showPanel shows or hides the notes and classification panel.
func (t *sessionTab) showPanel(on bool) {
	t.dk.panelShown = on
	t.layoutSide()
	if on {
		s, _ := t.snapshot()
		t.dk.category.SetSelected(s.Category)
		t.dk.priority.SetSelected(s.Priority)
		t.dk.tkSystem.SetText(s.Ticket.System)
		t.dk.tkKey.SetText(s.Ticket.Key)
		t.dk.tkURL.SetText(s.Ticket.URL)
		t.loadNotes()
	}
}

// layoutSide puts the chat and the desk panel beside the screen.
func (t *sessionTab) layoutSide() {
	var side fyne.CanvasObject
	switch {
	case t.chatShown && t.dk.panelShown:
		side = container.NewVSplit(t.chatBox, t.dk.panel)
	case t.chatShown:
		side = t.chatBox
	case t.dk.panelShown:
		side = t.dk.panel
	}
	if side == nil {
		t.body.Objects = []fyne.CanvasObject{t.screenArea}
	} else {
		t.split.Trailing = side
		t.split.Refresh()
		t.body.Objects = []fyne.CanvasObject{t.split}
	}
	t.body.Refresh()
}

// loadNotes shows the session's notes.
func (t *sessionTab) loadNotes() {
	c := t.c
	if c.dk.desk == nil {
		return
	}
	l, id := c.login, t.id()
	var notes []proto.Note
	var withheld string
	c.deskRequest(func(ctx context.Context) (err error) {
		notes, withheld, err = c.dk.desk.Notes(ctx, l, id)
		return err
	}, func(err error) {
		switch {
		case err != nil:
			t.dk.notes.SetText("The notes could not be read: " + sentence(err))
		case withheld != "":
			t.dk.notes.SetText(withheld)
		default:
			t.dk.notes.SetText(NotesText(notes))
		}
	})
}

// NotesText lists notes, oldest first, one paragraph each.
func NotesText(notes []proto.Note) string {
	if len(notes) == 0 {
		return "No notes yet."
	}
	var b strings.Builder
	for i, n := range notes {
		if i > 0 {
			b.WriteString("\n\n")
		}
		fmt.Fprintf(&b, "%s, %s:\n%s", n.At.Local().Format("Jan 2 15:04"), n.Author, strings.TrimSpace(n.Text))
	}
	return b.String()
}

// addNoteNow sends the note; a refusal keeps the text for another try.
func (t *sessionTab) addNoteNow() {
	c := t.c
	text := strings.TrimSpace(t.dk.noteEntry.Text)
	switch {
	case c.dk.desk == nil:
		return
	case text == "":
		t.dk.noteResult.SetText("The note is empty.")
		return
	case len(text) > proto.MaxNote:
		t.dk.noteResult.SetText(fmt.Sprintf("The note is too long (%d bytes; at most %d).", len(text), proto.MaxNote))
		return
	}
	l, id := c.login, t.id()
	c.buttonRequest(t.dk.addNote, t.dk.noteResult, "Adding the note…", "The note was not added: ", func(ctx context.Context) error {
		return c.dk.desk.AddNote(ctx, l, id, text)
	}, func() {
		t.dk.noteEntry.SetText("")
		t.dk.noteResult.SetText("Note added.")
		t.loadNotes()
	})
}

// ClassifyRequest is the SessionUpdate that changes what differs from s.
func ClassifyRequest(s proto.SessionInfo, category, priority string, tk proto.Ticket) (proto.SessionUpdate, bool) {
	req := proto.SessionUpdate{SessionID: s.ID}
	if category != s.Category {
		req.Category = &category
	}
	if priority != s.Priority {
		req.Priority = &priority
	}
	tk = proto.Ticket{System: strings.TrimSpace(tk.System), Key: strings.TrimSpace(tk.Key), URL: strings.TrimSpace(tk.URL)}
	if tk != s.Ticket {
		req.Ticket = &tk
	}
	return req, req.Category != nil || req.Priority != nil || req.Ticket != nil
}

// saveClassification sends the changed category, priority and ticket.
func (t *sessionTab) saveClassification() {
	c := t.c
	d := &t.dk
	s, _ := t.snapshot()
	req, changed := ClassifyRequest(s, d.category.Selected, d.priority.Selected,
		proto.Ticket{System: d.tkSystem.Text, Key: d.tkKey.Text, URL: d.tkURL.Text})
	if !changed || c.dk.desk == nil {
		d.saved.SetText("Nothing changed.")
		return
	}
	l := c.login
	var got proto.SessionInfo
	c.buttonRequest(d.save, d.saved, "Saving…", "Not saved: ", func(ctx context.Context) (err error) {
		got, err = c.dk.desk.UpdateSession(ctx, l, req)
		return err
	}, func() {
		t.updated(got)
		d.saved.SetText("Saved.")
	})
}
