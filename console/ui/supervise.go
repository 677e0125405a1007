package ui

import (
	"cmp"
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

// The supervisor view, shown to who may monitor or take over sessions and
// manages a channel: the live sessions of the channels they manage,
// grouped by technician, SLA breaches first. Monitor opens a session view
// only (the end user is asked and sees a supervisor watching); Take over
// and Transfer act on it. The relay checks each again.

// SupervisorGroup is one technician's live sessions ("" Technician: the
// requests nobody has picked up yet).
type SupervisorGroup struct {
	Technician string
	Sessions   []proto.SessionInfo
	Breaches   int
}

// Supervised groups the live sessions of the channels the technician
// manages by owner: groups with SLA breaches first (most first), then the
// waiting requests, then technicians by name; in a group, breaches first,
// then the oldest.
func (q *Queue) Supervised(now time.Time) []SupervisorGroup {
	byOwner := map[string]*SupervisorGroup{}
	for _, s := range q.sessions {
		if !live(s.Status) || !q.channels[s.Channel].Manages {
			continue
		}
		g := byOwner[s.Owner]
		if g == nil {
			g = &SupervisorGroup{Technician: s.Owner}
			byOwner[s.Owner] = g
		}
		g.Sessions = append(g.Sessions, s)
		if q.Breached(s, now) {
			g.Breaches++
		}
	}
	out := make([]SupervisorGroup, 0, len(byOwner))
	for _, g := range byOwner {
		slices.SortFunc(g.Sessions, func(a, b proto.SessionInfo) int {
			if ba, bb := q.Breached(a, now), q.Breached(b, now); ba != bb {
				if ba {
					return -1
				}
				return 1
			}
			return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
		})
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b SupervisorGroup) int {
		if a.Breaches != b.Breaches {
			return b.Breaches - a.Breaches
		}
		if (a.Technician == "") != (b.Technician == "") {
			if a.Technician == "" {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Technician, b.Technician)
	})
	return out
}

// SupervisorLine describes a session in the supervisor view.
func (q *Queue) SupervisorLine(s proto.SessionInfo, now time.Time) string {
	parts := []string{endUserName(s), s.Channel}
	if c := strings.Join(nonEmpty(s.Category, s.Priority), ", "); c != "" {
		parts = append(parts, c)
	}
	w := "waited " + Duration(Waiting(s, now))
	if s.StartedAt.IsZero() {
		w = "waiting " + Duration(Waiting(s, now))
	}
	if sla := q.SLA(s); sla > 0 {
		w += " (SLA " + Duration(sla) + ")"
	}
	parts = append(parts, w)
	if !s.StartedAt.IsZero() {
		parts = append(parts, "active "+Duration(now.Sub(s.StartedAt)))
	}
	if len(s.Guests) > 0 {
		parts = append(parts, "with "+strings.Join(s.Guests, ", "))
	}
	line := strings.Join(parts, " · ")
	if q.Breached(s, now) {
		line = "! " + line
	}
	return line
}

// supervisorRow is a line of the view: a group's heading or a session.
type supervisorRow struct {
	heading string
	s       proto.SessionInfo
}

// supervisor is the supervisor tab (UI goroutine).
type supervisor struct {
	c        *Console
	rows     []supervisorRow
	list     *widget.List
	selected string
	monitor  *widget.Button
	takeOver *widget.Button
	transfer *widget.Button
	status   *widget.Label
}

func newSupervisor(c *Console) *supervisor {
	v := &supervisor{c: c}
	v.list = widget.NewList(func() int { return len(v.rows) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			l := o.(*widget.Label)
			if i >= len(v.rows) {
				return
			}
			r := v.rows[i]
			l.TextStyle = fyne.TextStyle{Bold: r.heading != ""}
			l.Importance = widget.MediumImportance
			if r.heading != "" {
				l.SetText(r.heading)
				return
			}
			if c.queue.Breached(r.s, c.now()) {
				l.Importance = widget.DangerImportance
			}
			l.SetText("    " + c.queue.SupervisorLine(r.s, c.now()))
		})
	v.list.OnSelected = func(i widget.ListItemID) {
		if i >= 0 && i < len(v.rows) && v.rows[i].heading == "" {
			v.selected = v.rows[i].s.ID
		} else {
			v.selected = ""
		}
		v.buttons()
	}
	v.monitor = widget.NewButtonWithIcon("Monitor", theme.VisibilityIcon(), v.doMonitor)
	v.takeOver = widget.NewButtonWithIcon("Take over", theme.LoginIcon(), v.doTakeOver)
	v.transfer = widget.NewButtonWithIcon("Transfer…", theme.MailForwardIcon(), v.doTransfer)
	v.status = widget.NewLabel("Live sessions of the channels you manage, by technician; SLA breaches first.")
	v.status.Wrapping = fyne.TextWrapWord
	v.buttons()
	return v
}

func (v *supervisor) content() fyne.CanvasObject {
	return container.NewBorder(nil, container.NewVBox(widget.NewSeparator(),
		container.NewBorder(nil, nil, nil, container.NewHBox(v.monitor, v.takeOver, v.transfer), v.status)), nil, nil, v.list)
}

// refresh rebuilds the rows from the queue, keeping the selection.
func (v *supervisor) refresh() {
	now := v.c.now()
	v.rows = v.rows[:0]
	for _, g := range v.c.queue.Supervised(now) {
		h := g.Technician
		if h == "" {
			h = "Waiting for a technician"
		}
		h = fmt.Sprintf("%s (%d)", h, len(g.Sessions))
		if g.Breaches > 0 {
			h += fmt.Sprintf(" — %d past SLA", g.Breaches)
		}
		v.rows = append(v.rows, supervisorRow{heading: h})
		for _, s := range g.Sessions {
			v.rows = append(v.rows, supervisorRow{s: s})
		}
	}
	i := slices.IndexFunc(v.rows, func(r supervisorRow) bool { return r.heading == "" && r.s.ID == v.selected })
	if i < 0 {
		v.selected = ""
		v.list.UnselectAll()
	} else {
		v.list.Select(i)
	}
	v.list.Refresh()
	v.buttons()
}

func (v *supervisor) chosen() (proto.SessionInfo, bool) {
	for _, r := range v.rows {
		if r.heading == "" && r.s.ID == v.selected && v.selected != "" {
			return r.s, true
		}
	}
	return proto.SessionInfo{}, false
}

// buttons offers what the permissions allow for the selected session.
func (v *supervisor) buttons() {
	s, ok := v.chosen()
	c := v.c
	set := func(b *widget.Button, shown, enabled bool) {
		if !shown {
			b.Hide()
			return
		}
		b.Show()
		if enabled {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	mine := ok && s.Owner == c.login.User
	set(v.monitor, c.may(proto.PermMonitor), ok && !mine && s.Status == proto.StatusActive)
	set(v.takeOver, c.may(proto.PermTakeOver), ok && !mine && s.Owner != "")
	set(v.transfer, c.may(proto.PermTransferTech, proto.PermTransferChannel), ok)
}

func (v *supervisor) doMonitor() {
	if s, ok := v.chosen(); ok {
		v.c.OpenSession(proto.Connect{SessionID: s.ID, Monitor: true}, "Monitor: "+orSomeone(sessionTitle(s)))
	}
}

func (v *supervisor) doTakeOver() {
	s, ok := v.chosen()
	if !ok {
		return
	}
	dialog.ShowConfirm("Take the session over?", fmt.Sprintf("%s loses the session; the end user is told that you take over.", orSomeone(s.Owner)), func(yes bool) {
		if yes {
			v.c.OpenSession(proto.Connect{SessionID: s.ID}, sessionTitle(s))
		}
	}, v.c.win)
}

func (v *supervisor) doTransfer() {
	s, ok := v.chosen()
	if !ok {
		return
	}
	v.c.transferDialog(s, v.status.SetText, func(text string, got proto.SessionInfo) {
		v.c.queue.Apply(got)
		v.status.SetText(text)
		v.refresh()
	})
}

// showSupervisor adds or removes the supervisor tab.
func (c *Console) showSupervisor(on bool) {
	switch {
	case on && c.dk.super == nil:
		c.dk.super = newSupervisor(c)
		c.dk.superItem = container.NewTabItemWithIcon("Supervise", theme.VisibilityIcon(), c.dk.super.content())
		sel := c.tabs.Selected() // a session opened from --session keeps the front
		c.tabs.Items = append([]*container.TabItem{c.tabs.Items[0], c.dk.superItem}, c.tabs.Items[1:]...)
		c.tabs.Refresh()
		if sel != nil {
			c.tabs.Select(sel)
		}
		c.dk.super.refresh()
	case !on && c.dk.super != nil:
		c.tabs.Remove(c.dk.superItem)
		c.dk.super, c.dk.superItem = nil, nil
	}
}
