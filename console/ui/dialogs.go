package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// The Transfer... and Invite... dialogs of a session tab. Both load the
// directory afresh (availability changes by the minute), offer only the
// kinds of target the technician's permissions allow, and keep what was
// entered when the relay refuses, with its sentence under the form.

// TechLabel describes a colleague for a list: name, availability, load.
func TechLabel(ti proto.TechnicianInfo) string {
	a := ti.Availability
	if a == "" {
		a = proto.Available
	}
	parts := []string{string(a)}
	if !ti.Online {
		parts = []string{"offline"}
	}
	switch ti.Sessions {
	case 0:
	case 1:
		parts = append(parts, "1 session")
	default:
		parts = append(parts, fmt.Sprintf("%d sessions", ti.Sessions))
	}
	if len(ti.Languages) > 0 {
		parts = append(parts, strings.Join(ti.Languages, "/"))
	}
	return ti.Name + " — " + strings.Join(parts, ", ")
}

// Transfer targets.
const (
	toTechnician = "To a technician"
	toChannel    = "To a channel's queue"
)

// transferForm is the open Transfer... dialog.
type transferForm struct {
	c       *Console
	s       proto.SessionInfo
	done    func(text string, s proto.SessionInfo) // after the relay took it
	d       *dialog.CustomDialog
	kind    *widget.RadioGroup
	tech    *widget.Select
	names   map[string]string // tech label -> name
	channel *widget.Select
	note    *widget.Entry
	leave   *widget.Check
	send    *widget.Button
	result  *widget.Label
}

// transferDialog loads the directory and opens the dialog.
func (t *sessionTab) transferDialog() {
	s, _ := t.snapshot()
	t.c.transferDialog(s, t.setStatus, func(text string, got proto.SessionInfo) {
		t.updated(got)
		t.setStatus(text)
	})
}

// transferDialog loads the directory and opens the Transfer dialog for s;
// status hears progress, done the outcome.
func (c *Console) transferDialog(s proto.SessionInfo, status func(string), done func(string, proto.SessionInfo)) {
	status("Loading your colleagues and channels…")
	c.loadDirectory(func(err error) {
		if err != nil {
			status("The transfer dialog could not load the directory: " + sentence(err))
			return
		}
		status("")
		c.dk.transferForm = c.newTransferForm(s, done)
		c.dk.transferForm.d.Show()
	})
}

func (c *Console) newTransferForm(s proto.SessionInfo, done func(string, proto.SessionInfo)) *transferForm {
	f := &transferForm{c: c, s: s, done: done, names: map[string]string{}}
	var techs, chans []string
	for _, ti := range c.dk.dir.Technicians {
		if ti.Name != c.login.User && ti.Name != s.Owner {
			l := TechLabel(ti)
			f.names[l] = ti.Name
			techs = append(techs, l)
		}
	}
	for _, ch := range c.dk.dir.Channels {
		if ch.Name != s.Channel || s.Owner != "" {
			chans = append(chans, ch.Name)
		}
	}
	f.tech = widget.NewSelect(techs, nil)
	f.tech.PlaceHolder = "Choose a technician"
	f.channel = widget.NewSelect(chans, nil)
	f.channel.PlaceHolder = "Choose a channel"
	var kinds []string
	if c.may(proto.PermTransferTech) {
		kinds = append(kinds, toTechnician)
	}
	if c.may(proto.PermTransferChannel) {
		kinds = append(kinds, toChannel)
	}
	f.kind = widget.NewRadioGroup(kinds, func(k string) {
		if k == toChannel {
			f.tech.Disable()
			f.channel.Enable()
		} else {
			f.channel.Disable()
			f.tech.Enable()
		}
	})
	f.kind.Horizontal = true
	f.kind.Required = true
	if len(kinds) > 0 {
		f.kind.SetSelected(kinds[0])
	}
	f.note = widget.NewMultiLineEntry()
	f.note.SetPlaceHolder("A note for the new owner (optional; the end user never sees it)")
	f.note.SetMinRowsVisible(3)
	f.leave = widget.NewCheck("Stop watching at once (else when the new owner joins)", nil)
	f.result = widget.NewLabel("")
	f.result.Wrapping = fyne.TextWrapWord
	f.result.Importance = widget.DangerImportance
	f.send = widget.NewButton("Transfer", f.submit)
	f.send.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", func() { f.d.Hide() })
	form := widget.NewForm(
		widget.NewFormItem("Hand over", f.kind),
		widget.NewFormItem("Technician", f.tech),
		widget.NewFormItem("Channel", f.channel),
		widget.NewFormItem("Note", f.note),
	)
	body := container.NewVBox(form, f.leave, f.result)
	f.d = dialog.NewCustomWithoutButtons("Transfer the session of "+endUserName(s), container.NewGridWrap(fyne.NewSize(560, 330), body), c.win)
	f.d.SetButtons([]fyne.CanvasObject{cancel, f.send})
	return f
}

// request is the Transfer the form asks for, or a sentence saying what is
// missing.
func (f *transferForm) request() (proto.Transfer, error) {
	req := proto.Transfer{SessionID: f.s.ID, Note: strings.TrimSpace(f.note.Text), Leave: f.leave.Checked}
	switch f.kind.Selected {
	case toTechnician:
		req.ToUser = f.names[f.tech.Selected]
		if req.ToUser == "" {
			return req, errors.New("Choose the technician to hand the session to.")
		}
	case toChannel:
		req.ToChannel = f.channel.Selected
		if req.ToChannel == "" {
			return req, errors.New("Choose the channel whose queue takes the session.")
		}
	default:
		return req, errors.New("You may not transfer sessions.")
	}
	if len(req.Note) > proto.MaxNote {
		return req, fmt.Errorf("The note is too long (%d bytes; at most %d).", len(req.Note), proto.MaxNote)
	}
	return req, nil
}

// submit sends the transfer; a refusal stays in the dialog.
func (f *transferForm) submit() {
	c := f.c
	req, err := f.request()
	if err != nil {
		f.result.SetText(err.Error())
		return
	}
	l := c.login
	var got proto.SessionInfo
	c.buttonRequest(f.send, f.result, "Transferring…", "Not transferred: ", func(ctx context.Context) (err error) {
		got, err = c.dk.desk.Transfer(ctx, l, req)
		return err
	}, func() {
		f.d.Hide()
		if req.ToUser != "" {
			f.done(fmt.Sprintf("The session is now %s's; %s was told.", req.ToUser, endUserName(got)), got)
		} else {
			f.done(fmt.Sprintf("The session now waits in the queue of channel %s; %s was told.", req.ToChannel, endUserName(got)), got)
		}
	})
}

// inviteForm is the open Invite... dialog.
type inviteForm struct {
	t       *sessionTab
	d       *dialog.CustomDialog
	search  *widget.Entry
	list    *widget.List
	shown   []proto.TechnicianInfo
	chosen  string
	pending *widget.Label
	send    *widget.Button
	result  *widget.Label
	guest   *widget.Select // a guest or an invitee to remove
	remove  *widget.Button
}

// inviteDialog loads the directory and opens the dialog.
func (t *sessionTab) inviteDialog() {
	t.setStatus("Loading your colleagues…")
	t.c.loadDirectory(func(err error) {
		if err != nil {
			t.setStatus("The invite dialog could not load the directory: " + sentence(err))
			return
		}
		t.setStatus("")
		t.dk.inviteForm = t.newInviteForm()
		t.dk.inviteForm.d.Show()
	})
}

func (t *sessionTab) newInviteForm() *inviteForm {
	c := t.c
	s, _ := t.snapshot()
	f := &inviteForm{t: t}
	f.search = widget.NewEntry()
	f.search.SetPlaceHolder("Search by name or language")
	f.list = widget.NewList(func() int { return len(f.shown) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(TechLabel(f.shown[i])) })
	f.list.OnSelected = func(i widget.ListItemID) {
		if i >= 0 && i < len(f.shown) {
			f.chosen = f.shown[i].Name
			f.send.Enable()
		}
	}
	f.search.OnChanged = func(q string) {
		f.shown = Invitable(c.dk.dir.Technicians, c.login.User, s, q)
		f.chosen = ""
		f.list.UnselectAll()
		f.send.Disable()
		f.list.Refresh()
	}
	f.pending = widget.NewLabel(PendingInvites(t.dk.invited, s))
	f.pending.Wrapping = fyne.TextWrapWord
	f.result = widget.NewLabel("")
	f.result.Wrapping = fyne.TextWrapWord
	f.send = widget.NewButton("Invite", f.submit)
	f.send.Importance = widget.HighImportance
	f.send.Disable()
	f.search.OnChanged("")
	f.guest = widget.NewSelect(nil, nil)
	f.guest.PlaceHolder = "Guest or invitation"
	f.remove = widget.NewButton("Remove", f.removeGuest)
	f.showGuests()
	done := widget.NewButton("Close", func() { f.d.Hide() })
	removeRow := container.NewBorder(nil, nil, widget.NewLabel("Remove"), f.remove, f.guest)
	body := container.NewBorder(f.search, container.NewVBox(f.pending, removeRow, f.result), nil, nil, f.list)
	f.d = dialog.NewCustomWithoutButtons("Invite a colleague to the session of "+endUserName(s), container.NewGridWrap(fyne.NewSize(520, 380), body), c.win)
	f.d.SetButtons([]fyne.CanvasObject{done, f.send})
	return f
}

// Invitable lists the colleagues the search query q matches (name or
// language, any case) who are not in session s already, nor me.
func Invitable(ts []proto.TechnicianInfo, me string, s proto.SessionInfo, q string) []proto.TechnicianInfo {
	q = strings.ToLower(strings.TrimSpace(q))
	var out []proto.TechnicianInfo
	for _, ti := range ts {
		if ti.Name == me || ti.Name == s.Owner || slices.Contains(s.Technicians, ti.Name) {
			continue
		}
		match := q == "" || strings.Contains(strings.ToLower(ti.Name), q) ||
			slices.ContainsFunc(ti.Languages, func(l string) bool { return strings.EqualFold(l, q) })
		if match {
			out = append(out, ti)
		}
	}
	return out
}

// PendingInvites describes the invitations sent from this tab: who has
// not answered yet (nor joined), and the answers.
func PendingInvites(invited map[string]string, s proto.SessionInfo) string {
	var pending, answered []string
	for name, answer := range invited {
		switch {
		case slices.Contains(s.Technicians, name):
		case answer == "":
			pending = append(pending, name)
		default:
			answered = append(answered, answer)
		}
	}
	slices.Sort(pending)
	slices.Sort(answered)
	var lines []string
	if len(pending) > 0 {
		lines = append(lines, "Invited, no answer yet: "+strings.Join(pending, ", ")+".")
	}
	if len(s.Guests) > 0 {
		lines = append(lines, "In the session as guests: "+strings.Join(s.Guests, ", ")+".")
	}
	lines = append(lines, answered...)
	if len(lines) == 0 {
		return "No invitations pending."
	}
	return strings.Join(lines, "\n")
}

// submit invites the chosen colleague; the dialog stays open for more.
func (f *inviteForm) submit() {
	t, c := f.t, f.t.c
	if f.chosen == "" {
		f.result.SetText("Choose a colleague from the list.")
		return
	}
	l, id, who := c.login, t.id(), f.chosen
	c.buttonRequest(f.send, f.result, "Inviting "+who+"…", "Not invited: ", func(ctx context.Context) error {
		return c.dk.desk.Invite(ctx, l, id, who)
	}, func() {
		t.dk.invited[who] = ""
		f.showGuests()
		f.result.SetText(who + " is invited; their console shows the invitation.")
		t.setStatus("Invited " + who + ".")
	})
}

// Removable lists whom the owner may remove from s: its guests and the
// colleagues invited from this tab who have not answered.
func Removable(invited map[string]string, s proto.SessionInfo) []string {
	out := slices.Clone(s.Guests)
	for name, answer := range invited {
		if answer == "" && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// showGuests lists the pending invitations and whom to remove.
func (f *inviteForm) showGuests() {
	s, _ := f.t.snapshot()
	f.pending.SetText(PendingInvites(f.t.dk.invited, s))
	f.guest.SetOptions(Removable(f.t.dk.invited, s))
	if !slices.Contains(f.guest.Options, f.guest.Selected) {
		f.guest.ClearSelected()
	}
	if len(f.guest.Options) == 0 {
		f.remove.Disable()
	} else {
		f.remove.Enable()
	}
}

// removeGuest takes the chosen guest off the session (or withdraws their
// invitation); the relay tells them and the end user.
func (f *inviteForm) removeGuest() {
	t, c := f.t, f.t.c
	who := f.guest.Selected
	if who == "" {
		f.result.SetText("Choose the guest to remove.")
		return
	}
	l, id := c.login, t.id()
	c.buttonRequest(f.remove, f.result, "Removing "+who+"…", "Not removed: ", func(ctx context.Context) error {
		return c.dk.desk.RemoveGuest(ctx, l, id, who)
	}, func() {
		delete(t.dk.invited, who)
		f.showGuests()
		f.result.SetText(who + " is no longer in the session nor invited.")
		t.setStatus("Removed " + who + " from the session.")
	})
}
