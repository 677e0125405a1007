package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// The service desk on the queue screen: the directory (channels, colleagues
// and the technician's permissions), Pick up, the availability switch in
// the status bar, invitations and the other notices. The relay decides
// every action; the console only leaves out what it would refuse anyway.

// deskUI is the queue screen's service-desk state (UI goroutine).
type deskUI struct {
	desk   Desk // nil: the backend has no service desk
	dir    proto.Directory
	loaded bool // dir came from the relay

	pick, accept, decline *widget.Button
	link                  *widget.Button // Create support link… (app.go)
	avail                 *widget.Select
	availShown            proto.Availability // what the switch shows, set by the relay's answer
	// availSets counts the technician's availability changes: a directory
	// asked for before the latest one says an availability that is stale.
	availSets int

	super     *supervisor
	superItem *container.TabItem

	owned int // live sessions the technician owns, as last counted

	invitation, control *pendingDialog // the newest questions shown
	transferForm        *transferForm  // the newest Transfer... dialog
}

// availabilities are the switch's choices, in the order shown.
var availabilities = []string{string(proto.Available), string(proto.Busy), string(proto.Away)}

// newDeskUI builds the queue screen's desk widgets (ShowQueue).
func (c *Console) newDeskUI() {
	d, _ := c.be.(Desk)
	c.dk = deskUI{desk: d}
	c.dk.pick = widget.NewButtonWithIcon("Pick up", theme.ContentAddIcon(), c.pickSelected)
	c.dk.accept = widget.NewButtonWithIcon("Accept invitation", theme.ConfirmIcon(), func() { c.answerSelected(true) })
	c.dk.decline = widget.NewButtonWithIcon("Decline", theme.CancelIcon(), func() { c.answerSelected(false) })
	c.dk.avail = widget.NewSelect(availabilities, func(s string) {
		if a := proto.Availability(s); a != c.dk.availShown {
			c.setAvailability(a)
		}
	})
	c.dk.avail.PlaceHolder = "availability"
	c.dk.avail.Disable()
	c.dk.pick.Hide()
	c.dk.accept.Hide()
	c.dk.decline.Hide()
	if d == nil {
		c.dk.avail.Hide()
	}
}

// deskStatusBar is the availability switch for the queue's status bar.
func (c *Console) deskStatusBar() fyne.CanvasObject {
	return container.NewHBox(widget.NewLabel("You are"), c.dk.avail)
}

// deskButtons are the queue's actions on the selected row besides Connect.
func (c *Console) deskButtons() []fyne.CanvasObject {
	return []fyne.CanvasObject{c.dk.pick, c.dk.accept, c.dk.decline}
}

// may reports whether the relay said the technician may do p.
func (c *Console) may(p ...proto.Permission) bool {
	if c.dk.desk == nil || !c.dk.loaded {
		return false
	}
	for _, x := range p {
		if slices.Contains(c.dk.dir.Permissions, x) {
			return true
		}
	}
	return false
}

// deskRequest runs fn with the relay on one of the console's goroutines and
// then done with its error on the UI goroutine.
func (c *Console) deskRequest(fn func(ctx context.Context) error, done func(err error)) {
	c.wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		err := fn(ctx)
		c.do(func() { done(err) })
	})
}

// buttonRequest runs fn for button b: b is disabled and out says busy
// while it runs; then a refusal shows in out after refused (the entered
// text stays), or ok runs.
func (c *Console) buttonRequest(b *widget.Button, out *widget.Label, busy, refused string, fn func(ctx context.Context) error, ok func()) {
	b.Disable()
	out.SetText(busy)
	c.deskRequest(fn, func(err error) {
		b.Enable()
		if err != nil {
			out.SetText(refused + sentence(err))
			return
		}
		ok()
	})
}

// loadDirectory asks the relay for the directory, then shows what it
// allows: the channel filters, the availability, the supervisor view and
// the session tabs' actions. then, if set, runs after (with the error).
func (c *Console) loadDirectory(then func(error)) {
	if c.dk.desk == nil {
		return
	}
	l, dk, sets := c.login, c.dk.desk, c.dk.availSets
	var d proto.Directory
	c.deskRequest(func(ctx context.Context) (err error) {
		d, err = dk.Directory(ctx, l)
		return err
	}, func(err error) {
		if err == nil && c.login.Token == l.Token && c.tabs != nil { // still on the queue screen of that sign-in
			c.applyDirectory(d, sets == c.dk.availSets)
		}
		if then != nil {
			then(err)
		}
	})
}

// applyDirectory shows what d allows; its availability only when
// availFresh (asked for after the technician's last change of it).
func (c *Console) applyDirectory(d proto.Directory, availFresh bool) {
	c.dk.dir, c.dk.loaded = d, true
	c.queue.SetChannels(d.Channels)
	sel := c.filter.Selected
	c.filter.SetOptions(c.queue.Filters())
	if slices.Contains(c.filter.Options, sel) {
		c.filter.Selected = sel
	} else {
		c.filter.SetSelected(FilterAll)
	}
	c.filter.Refresh()
	if availFresh { // else a change since is shown, or in flight (and enables the switch when answered)
		c.showAvailability(d.Me.Availability)
		c.dk.avail.Enable()
	}
	if c.may(proto.PermCreateLinks) {
		c.dk.link.Show()
	} else {
		c.dk.link.Hide()
	}
	if c.may(proto.PermUseCodes) {
		c.code.Enable()
		c.code.SetPlaceHolder("123 456 789")
	} else {
		c.code.SetText("")
		c.code.Disable()
		c.code.SetPlaceHolder("not allowed for you")
	}
	c.showSupervisor(c.may(proto.PermMonitor, proto.PermTakeOver) && slices.ContainsFunc(d.Channels, func(ch proto.ChannelInfo) bool { return ch.Manages }))
	for _, t := range c.sessions {
		t.refreshDesk()
	}
	c.refreshQueue()
}

// showAvailability sets the switch without asking the relay.
func (c *Console) showAvailability(a proto.Availability) {
	if a == "" {
		a = proto.Available
	}
	c.dk.availShown = a
	c.dk.avail.SetSelected(string(a))
}

// setAvailability asks the relay; a refusal puts the switch back.
func (c *Console) setAvailability(a proto.Availability) {
	if c.dk.desk == nil {
		return
	}
	prev, l := c.dk.availShown, c.login
	c.dk.availShown = a
	c.dk.availSets++
	c.dk.avail.Disable()
	c.deskRequest(func(ctx context.Context) error {
		return c.dk.desk.SetAvailability(ctx, l, a)
	}, func(err error) {
		c.dk.avail.Enable()
		if err != nil {
			c.showAvailability(prev)
			c.queueStatus.SetText("Your availability was not changed: " + sentence(err))
			return
		}
		c.queueStatus.SetText(fmt.Sprintf("You are %s now.", a))
	})
}

// deskDetails shows the desk's buttons for the selected row.
func (c *Console) deskDetails(s proto.SessionInfo, ok bool) {
	_, invited := c.queue.Invitation(s.ID)
	show := func(b *widget.Button, on bool) {
		if on && c.dk.desk != nil {
			b.Show()
		} else {
			b.Hide()
		}
	}
	show(c.dk.pick, ok && c.queue.Pickable(s))
	show(c.dk.accept, ok && invited)
	show(c.dk.decline, ok && invited)
	c.dk.pick.Enable()
	c.dk.accept.Enable()
	c.dk.decline.Enable()
}

// pickSelected takes the selected request and connects to it; a lost race
// says who was first (the relay's sentence).
func (c *Console) pickSelected() {
	s, ok := c.selectedRow()
	if !ok || c.dk.desk == nil || !c.queue.Pickable(s) {
		return
	}
	l := c.login
	c.dk.pick.Disable()
	c.queueStatus.SetText("Picking up the request of " + endUserName(s) + "…")
	var got proto.SessionInfo
	c.deskRequest(func(ctx context.Context) (err error) {
		got, err = c.dk.desk.Pick(ctx, l, s.ID)
		return err
	}, func(err error) {
		c.dk.pick.Enable()
		if err != nil {
			c.queueStatus.SetText("Not picked up: " + sentence(err))
			return
		}
		c.queue.Apply(got)
		c.refreshQueue()
		c.queueStatus.SetText("You picked up the request of " + endUserName(got) + "; the end user is asked to allow the connection.")
		c.OpenSession(proto.Connect{SessionID: got.ID}, sessionTitle(got))
	})
}

// endUserName names a session's end user for a sentence.
func endUserName(s proto.SessionInfo) string {
	if t := sessionTitle(s); t != "" {
		return t
	}
	return "the end user"
}

func (c *Console) answerSelected(accept bool) {
	if s, ok := c.selectedRow(); ok {
		c.answerInvitation(s.ID, accept)
	}
}

// answerInvitation answers the relay; accepted, the session opens as a
// guest (the end user is asked).
func (c *Console) answerInvitation(id string, accept bool) {
	n, ok := c.queue.Invitation(id)
	if !ok || c.dk.desk == nil {
		return
	}
	l := c.login
	c.dk.accept.Disable()
	c.dk.decline.Disable()
	c.deskRequest(func(ctx context.Context) error {
		return c.dk.desk.AnswerInvite(ctx, l, id, accept)
	}, func(err error) {
		c.dk.accept.Enable()
		c.dk.decline.Enable()
		if err != nil {
			c.queueStatus.SetText("The invitation was not answered: " + sentence(err))
			return
		}
		c.queue.Answered(id)
		c.refreshQueue()
		if !accept {
			c.queueStatus.SetText("You declined the invitation to the session of " + endUserName(n.Session) + ".")
			return
		}
		c.queueStatus.SetText("You accepted the invitation; the end user is asked to let you watch.")
		c.OpenSession(proto.Connect{SessionID: id}, sessionTitle(n.Session))
	})
}

// Notice implements client.NoticeHandler: the relay's notices to the
// technician come onto the UI goroutine.
func (h queueHandler) Notice(n proto.Notice) { h.c.do(func() { h.c.notice(n) }) }

// notice shows one of the relay's notices.
func (c *Console) notice(n proto.Notice) {
	if c.queue == nil {
		return
	}
	if n.Session.ID != "" {
		if old, ok := c.queue.Get(n.Session.ID); !ok || live(old.Status) {
			c.queue.Apply(n.Session)
		}
	}
	text := strings.Join(strings.Fields(n.Text), " ")
	c.queueStatus.SetText(text)
	switch n.Kind {
	case proto.NoticeInvitation:
		c.queue.Invited(n)
		c.app.SendNotification(fyne.NewNotification("Invitation", text))
		c.askInvitation(n)
	case proto.NoticeControl:
		c.askControl(n)
	case proto.NoticeRemoved:
		c.queue.Answered(n.SessionID) // a withdrawn invitation
	case proto.NoticeInviteReply:
		for _, t := range c.sessions {
			if t.id() == n.SessionID {
				t.inviteAnswered(n.From, text)
			}
		}
	case proto.NoticeAssigned, proto.NoticeEscalated:
		c.app.SendNotification(fyne.NewNotification("RelayDesk", text))
	}
	c.refreshQueue()
}

// askInvitation shows an invitation with Accept and Decline; closed
// without an answer, it stays under Invitations in the queue.
func (c *Console) askInvitation(n proto.Notice) {
	msg := widget.NewLabel(strings.Join(strings.Fields(n.Text), " ") + "\n\nAccepting opens the session; the end user is asked to let you watch.")
	msg.Wrapping = fyne.TextWrapWord
	var d *dialog.CustomDialog
	accept := widget.NewButtonWithIcon("Accept", theme.ConfirmIcon(), func() { d.Hide(); c.answerInvitation(n.SessionID, true) })
	accept.Importance = widget.HighImportance
	decline := widget.NewButtonWithIcon("Decline", theme.CancelIcon(), func() { d.Hide(); c.answerInvitation(n.SessionID, false) })
	later := widget.NewButton("Later", func() { d.Hide() })
	d = dialog.NewCustomWithoutButtons("Invitation from "+n.From, container.NewGridWrap(fyne.NewSize(460, 140), msg), c.win)
	d.SetButtons([]fyne.CanvasObject{later, decline, accept})
	c.dk.invitation = &pendingDialog{d: d, yes: accept, no: decline}
	d.Show()
}

// askControl asks the owner whether to hand control to the guest who
// asked for it.
func (c *Console) askControl(n proto.Notice) {
	text := strings.Join(strings.Fields(n.Text), " ")
	var d *dialog.CustomDialog
	give := widget.NewButton("Give control to "+n.From, func() {
		d.Hide()
		for _, t := range c.sessions {
			if t.id() == n.SessionID {
				t.control(proto.ControlGive, n.From)
				return
			}
		}
	})
	give.Importance = widget.HighImportance
	keep := widget.NewButton("Keep control", func() { d.Hide() })
	msg := widget.NewLabel(text)
	msg.Wrapping = fyne.TextWrapWord
	d = dialog.NewCustomWithoutButtons("Control requested", container.NewGridWrap(fyne.NewSize(420, 80), msg), c.win)
	d.SetButtons([]fyne.CanvasObject{keep, give})
	c.dk.control = &pendingDialog{d: d, yes: give, no: keep}
	d.Show()
}

// pendingDialog is a question on screen, for tests to answer.
type pendingDialog struct {
	d       *dialog.CustomDialog
	yes, no *widget.Button
}

// sessionUpdated passes a pushed session state to its open tabs. When the
// number of sessions the technician owns changes, the directory is asked
// again: the relay shows a technician at their limit as busy.
func (c *Console) sessionUpdated(s proto.SessionInfo) {
	for _, t := range c.sessions {
		if t.id() == s.ID {
			t.updated(s)
		}
	}
	if n := c.queue.Owned(); n != c.dk.owned {
		c.dk.owned = n
		if c.dk.loaded {
			c.loadDirectory(nil)
		}
	}
}
