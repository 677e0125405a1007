package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// historyPage is how many sessions one search asks the relay for.
const historyPage = 50

// dateLayout is how the history's date fields are typed.
const dateLayout = "2006-01-02"

// ratings are the rating filter's choices; the index is the minimum.
var ratings = []string{"any rating", "★ or more", "★★ or more", "★★★ or more", "★★★★ or more", "★★★★★"}

// HistoryForm is what the history's search fields hold, as typed.
type HistoryForm struct {
	Channel, Technician, Customer, Hostname, Category, Priority string
	MinRating                                                   int
	From, To                                                    string // YYYY-MM-DD, local time; To is inclusive
	Closed, Expired                                             bool
}

// ValidateHistory checks the search fields and makes the request; the
// error is a sentence.
func ValidateHistory(f HistoryForm, loc *time.Location) (proto.HistoryRequest, error) {
	req := proto.HistoryRequest{
		Channel: strings.TrimSpace(f.Channel), Technician: strings.TrimSpace(f.Technician), Customer: strings.TrimSpace(f.Customer),
		Hostname: strings.TrimSpace(f.Hostname), Category: strings.TrimSpace(f.Category), Priority: strings.TrimSpace(f.Priority),
		MinRating: f.MinRating, Limit: historyPage,
	}
	if f.MinRating < 0 || f.MinRating > 5 {
		return req, errors.New("A rating is 1 to 5 stars.")
	}
	for _, d := range []struct {
		text string
		at   *time.Time
		what string
		add  time.Duration
	}{{f.From, &req.Since, "From", 0}, {f.To, &req.Until, "To", 24 * time.Hour}} {
		s := strings.TrimSpace(d.text)
		if s == "" {
			continue
		}
		t, err := time.ParseInLocation(dateLayout, s, loc)
		if err != nil {
			return req, fmt.Errorf("%s is a date such as 2026-11-30, not %q.", d.what, s)
		}
		*d.at = t.Add(d.add)
	}
	if !req.Since.IsZero() && !req.Until.IsZero() && !req.Since.Before(req.Until) {
		return req, errors.New("The From date is after the To date.")
	}
	if f.Closed {
		req.Statuses = append(req.Statuses, proto.StatusClosed)
	}
	if f.Expired {
		req.Statuses = append(req.Statuses, proto.StatusExpired)
	}
	if len(req.Statuses) == 0 {
		return req, errors.New("Choose closed sessions, expired ones, or both.")
	}
	return req, nil
}

// historyView is the History tab: search fields, the sessions found (a
// page at a time, as the relay pages them) and the chosen one's record.
type historyView struct {
	a       *adminUI
	content fyne.CanvasObject
	status  *widget.Label

	channel, technician, category, priority *widget.SelectEntry // typed, or chosen from the relay's lists
	customer, hostname, from, to            *widget.Entry
	rating                                  *widget.Select
	closed, expired                         *widget.Check
	search, more                            *widget.Button

	req      proto.HistoryRequest // the search the list shows
	next     string               // the relay's cursor for the next page
	sessions []proto.SessionInfo
	list     *widget.List
	left     *fyne.Container // the list with More under it
	record   *widget.Label
	shown    string // the session whose record is shown
	// recs: its screenshots and the switch to internal (screenshot.go).
	recs recordsToggle
	// plays: its recordings, each with Play (playback.go); player: the
	// player window opened last.
	plays  *fyne.Container
	player *playerWindow
}

func newHistoryView(a *adminUI) *historyView {
	v := &historyView{a: a, status: newStatus()}
	entry := func(hint string) *widget.Entry {
		e := widget.NewEntry()
		e.SetPlaceHolder(hint)
		e.OnSubmitted = func(string) { v.Search() }
		return e
	}
	choice := func(hint string) *widget.SelectEntry {
		e := widget.NewSelectEntry(nil)
		e.SetPlaceHolder(hint)
		e.OnSubmitted = func(string) { v.Search() }
		return e
	}
	v.channel, v.technician, v.category, v.priority = choice("any channel"), choice("any technician"), choice("any category"), choice("any priority")
	v.customer, v.hostname = entry("part of the name"), entry("part of the host name")
	v.from, v.to = entry("YYYY-MM-DD"), entry("YYYY-MM-DD")
	v.rating = widget.NewSelect(ratings, nil)
	v.rating.SetSelectedIndex(0)
	v.closed, v.expired = widget.NewCheck("closed", nil), widget.NewCheck("expired", nil)
	v.closed.SetChecked(true)
	v.expired.SetChecked(true)
	v.search = widget.NewButtonWithIcon("Search", theme.SearchIcon(), v.Search)
	v.search.Importance = widget.HighImportance
	v.more = widget.NewButtonWithIcon("More results", theme.MoreVerticalIcon(), v.More)
	v.more.Hide()
	filters := container.NewGridWithColumns(4,
		labelled("Channel", v.channel), labelled("Technician", v.technician), labelled("End user", v.customer), labelled("Host name", v.hostname),
		labelled("Category", v.category), labelled("Priority", v.priority), labelled("Rating", v.rating),
		labelled("Sessions", container.NewHBox(v.closed, v.expired)),
		labelled("From", v.from), labelled("To", v.to), container.NewVBox(widget.NewLabel(""), v.search))
	v.list = widget.NewList(func() int { return len(v.sessions) },
		func() fyne.CanvasObject { return widget.NewLabel("2026-11-30 12:00  Closed  channel  end user  host") },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(HistoryRow(v.sessions[i])) })
	v.list.OnSelected = func(i widget.ListItemID) { v.Open(v.sessions[i].ID) }
	v.record = widget.NewLabel("Search, then choose a session to read its record.")
	v.record.Wrapping = fyne.TextWrapWord
	v.left = container.NewBorder(nil, v.more, nil, nil, v.list)
	v.recs.build(a.c, func() string { return v.shown }, v.status.SetText)
	v.recs.list = widget.NewLabel("")
	v.plays = container.NewVBox()
	recs := container.NewVBox(v.recs.check, v.recs.list, v.plays)
	split := container.NewHSplit(v.left, container.NewBorder(recs, nil, nil, nil, container.NewVScroll(v.record)))
	split.Offset = 0.45
	v.content = container.NewBorder(container.NewVBox(filters, v.status, widget.NewSeparator()), nil, nil, nil, split)
	v.offerChoices()
	return v
}

// offerChoices fills the channel, technician, category and priority
// menus from the relay (what it lists to everyone); the fields still take
// what is typed, and a list that cannot be read leaves its menu empty.
func (v *historyView) offerChoices() {
	c := v.a.c
	api, ctx := v.a.api, v.a.ctx
	c.wg.Go(func() {
		ctx, cancel := context.WithTimeout(ctx, adminTimeout)
		defer cancel()
		var channels, techs []string
		if chs, err := api.Channels(ctx); err == nil {
			for _, ch := range chs {
				channels = append(channels, ch.Name)
			}
		}
		if ts, err := api.Technicians(ctx); err == nil {
			for _, t := range ts {
				techs = append(techs, t.Name)
			}
		}
		s, err := api.Settings(ctx)
		if err != nil {
			c.log.Debug("history: read the categories", "err", err)
		}
		c.do(func() {
			v.channel.SetOptions(channels)
			v.technician.SetOptions(techs)
			v.category.SetOptions(s.Categories)
			v.priority.SetOptions(s.Priorities)
		})
	})
}

func labelled(text string, w fyne.CanvasObject) fyne.CanvasObject {
	return container.NewVBox(widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), w)
}

// Form returns what the search fields hold.
func (v *historyView) Form() HistoryForm {
	return HistoryForm{Channel: v.channel.Text, Technician: v.technician.Text, Customer: v.customer.Text, Hostname: v.hostname.Text,
		Category: v.category.Text, Priority: v.priority.Text, MinRating: max(0, v.rating.SelectedIndex()), From: v.from.Text, To: v.to.Text,
		Closed: v.closed.Checked, Expired: v.expired.Checked}
}

// Search runs a new search from the first page.
func (v *historyView) Search() {
	req, err := ValidateHistory(v.Form(), time.Local)
	if err != nil {
		invalid(v.status, err)
		return
	}
	v.fetch(req, false)
}

// More asks for the next page of the shown search.
func (v *historyView) More() {
	if v.next == "" {
		return
	}
	req := v.req
	req.Cursor = v.next
	v.fetch(req, true)
}

func (v *historyView) fetch(req proto.HistoryRequest, appendPage bool) {
	var page proto.HistoryPage
	v.search.Disable()
	v.more.Disable()
	v.a.callThen(v.status, "Searching…", func(ctx context.Context) (err error) {
		page, err = v.a.api.History(ctx, req)
		return err
	}, func() {
		if !appendPage {
			v.sessions = nil
			v.list.UnselectAll()
		}
		req.Cursor = ""
		v.req, v.next = req, page.Next
		v.sessions = append(v.sessions, page.Sessions...)
		v.list.Refresh()
		v.status.Importance = widget.MediumImportance
		switch {
		case len(v.sessions) == 0:
			v.status.SetText("No session matches.")
		case v.next != "":
			v.status.SetText(fmt.Sprintf("%d sessions shown; there are more.", len(v.sessions)))
		default:
			v.status.SetText(fmt.Sprintf("%d session(s) found.", len(v.sessions)))
		}
	}, func() {
		v.search.Enable()
		v.more.Enable()
		if v.next != "" {
			v.more.Show()
		} else {
			v.more.Hide()
		}
		v.left.Refresh()
	})
}

// HistoryRow is one line of the history list.
func HistoryRow(s proto.SessionInfo) string {
	parts := []string{s.CreatedAt.Local().Format("2006-01-02 15:04"), string(s.Status)}
	parts = append(parts, nonEmpty(s.Channel, s.CustomerName)...)
	if s.Device != nil && s.Device.Hostname != "" {
		parts = append(parts, s.Device.Hostname)
	}
	if s.Owner != "" {
		parts = append(parts, "by "+s.Owner)
	}
	parts = append(parts, nonEmpty(s.Category, s.Priority)...)
	if s.Rating > 0 {
		parts = append(parts, strings.Repeat("★", s.Rating)+strings.Repeat("☆", 5-s.Rating))
	}
	return strings.Join(parts, "  ")
}

// Open reads a session's record and shows it.
func (v *historyView) Open(id string) {
	var d proto.SessionDetails
	v.shown = id
	v.record.SetText("Reading the session " + id + "…")
	v.recs.list.SetText("")
	v.plays.RemoveAll()
	v.recs.set(false, false)
	v.recs.load(id)
	v.a.call(v.status, "Reading the session…", func(ctx context.Context) (err error) {
		d, err = v.a.api.SessionDetails(ctx, id)
		return err
	}, func() {
		if v.shown == id {
			v.record.SetText(SessionRecord(d, v.a.c.now()))
			v.a.c.recordingList(v.plays, d.Recordings, v.status, func(w *playerWindow) { v.player = w })
		}
	})
}

// SessionRecord is a session's record as the history shows it: details,
// notes, chat transcript and status history.
func SessionRecord(d proto.SessionDetails, now time.Time) string {
	s := d.Session
	var b strings.Builder
	b.WriteString(Details(s, now))
	b.WriteString("\n")
	for _, f := range []struct{ name, value string }{
		{"Channel", s.Channel}, {"Category", s.Category}, {"Priority", s.Priority}, {"Ticket", ticketText(s.Ticket)},
		{"Problem", s.Problem}, {"Language", s.Language}, {"Ended", endedText(s)},
	} {
		if f.value != "" {
			fmt.Fprintf(&b, "\n%s: %s", f.name, f.value)
		}
	}
	if !s.Escalated.IsZero() {
		fmt.Fprintf(&b, "\nPassed its SLA at %s.", s.Escalated.Local().Format("2006-01-02 15:04"))
	}
	if d.Withheld != "" {
		fmt.Fprintf(&b, "\n\n%s", d.Withheld)
	}
	if len(d.Notes) > 0 {
		b.WriteString("\n\nNotes:")
		for _, n := range d.Notes {
			fmt.Fprintf(&b, "\n%s %s: %s", n.At.Local().Format("01-02 15:04"), n.Author, n.Text)
		}
	}
	if len(d.Chat) > 0 || d.ChatOmitted > 0 {
		b.WriteString("\n\nChat:")
		if d.ChatOmitted > 0 {
			fmt.Fprintf(&b, "\n(%d earlier messages are not shown)", d.ChatOmitted)
		}
		for _, m := range d.Chat {
			from := m.From
			if from == "" {
				from = "End user"
			}
			fmt.Fprintf(&b, "\n%s %s: %s", m.At.Local().Format("15:04:05"), from, m.Text)
		}
	} else if d.Withheld == "" {
		b.WriteString("\n\nNo chat.")
	}
	if len(d.History) > 0 {
		b.WriteString("\n\nHistory:")
		if d.HistoryOmitted > 0 {
			fmt.Fprintf(&b, "\n(%d earlier entries are not shown)", d.HistoryOmitted)
		}
		for _, e := range d.History {
			line := fmt.Sprintf("\n%s %s", e.At.Local().Format("2006-01-02 15:04:05"), e.Status)
			if e.Actor != "" {
				line += " by " + e.Actor
			}
			if e.Detail != "" {
				line += ": " + e.Detail
			}
			b.WriteString(line)
		}
	}
	return b.String()
}

func ticketText(t proto.Ticket) string {
	return strings.Join(nonEmpty(t.Key, t.URL), " ")
}

func endedText(s proto.SessionInfo) string {
	if s.EndedAt.IsZero() {
		return ""
	}
	text := s.EndedAt.Local().Format("2006-01-02 15:04")
	if !s.StartedAt.IsZero() {
		text += fmt.Sprintf(" after %s", Duration(s.EndedAt.Sub(s.StartedAt)))
	}
	if s.EndReason != "" {
		text += " (" + s.EndReason + ")"
	}
	return text
}
