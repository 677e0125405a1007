package ui

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/console/client"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// fakeDesk is the Desk half of fakeBackend: it records the requests and
// answers with what the test set, as the relay would.
type fakeDesk struct {
	dmu         sync.Mutex
	dir         proto.Directory
	picks       []string
	pickErr     error
	transfers   []proto.Transfer
	transferErr error
	invites     []string
	inviteErr   error
	answers     []proto.InviteAnswer
	removed     []string
	controls    []proto.Control
	notesAdded  []string
	updates     []proto.SessionUpdate
	avails      []proto.Availability
	availErr    error
}

func (d *fakeDesk) Directory(context.Context, client.Login) (proto.Directory, error) {
	d.dmu.Lock()
	defer d.dmu.Unlock()
	return d.dir, nil
}

func (d *fakeDesk) Pick(_ context.Context, _ client.Login, id string) (proto.SessionInfo, error) {
	d.dmu.Lock()
	defer d.dmu.Unlock()
	d.picks = append(d.picks, id)
	if d.pickErr != nil {
		return proto.SessionInfo{}, d.pickErr
	}
	return proto.SessionInfo{ID: id, Status: proto.StatusReady, Owner: "tina", CustomerName: "Ann"}, nil
}

func (d *fakeDesk) Transfer(_ context.Context, _ client.Login, req proto.Transfer) (proto.SessionInfo, error) {
	d.dmu.Lock()
	defer d.dmu.Unlock()
	d.transfers = append(d.transfers, req)
	if d.transferErr != nil {
		return proto.SessionInfo{}, d.transferErr
	}
	return proto.SessionInfo{ID: req.SessionID, Status: proto.StatusActive, Owner: req.ToUser, Channel: req.ToChannel, CustomerName: "Ann"}, nil
}

func (d *fakeDesk) Invite(_ context.Context, _ client.Login, id, user string) error {
	d.dmu.Lock()
	defer d.dmu.Unlock()
	d.invites = append(d.invites, id+":"+user)
	return d.inviteErr
}

func (d *fakeDesk) RemoveGuest(_ context.Context, _ client.Login, id, user string) error {
	d.dmu.Lock()
	defer d.dmu.Unlock()
	d.removed = append(d.removed, id+":"+user)
	return nil
}

func (d *fakeDesk) AnswerInvite(_ context.Context, _ client.Login, id string, accept bool) error {
	d.dmu.Lock()
	defer d.dmu.Unlock()
	d.answers = append(d.answers, proto.InviteAnswer{SessionID: id, Accept: accept})
	return nil
}

func (d *fakeDesk) Control(_ context.Context, _ client.Login, req proto.Control) error {
	d.dmu.Lock()
	defer d.dmu.Unlock()
	d.controls = append(d.controls, req)
	return nil
}

func (d *fakeDesk) AddNote(_ context.Context, _ client.Login, _ string, text string) error {
	d.dmu.Lock()
	defer d.dmu.Unlock()
	d.notesAdded = append(d.notesAdded, text)
	return nil
}

func (d *fakeDesk) Notes(context.Context, client.Login, string) ([]proto.Note, string, error) {
	d.dmu.Lock()
	defer d.dmu.Unlock()
	var out []proto.Note
	for _, n := range d.notesAdded {
		out = append(out, proto.Note{Author: "tina", Text: n, At: time.Now()})
	}
	return out, "", nil
}

func (d *fakeDesk) UpdateSession(_ context.Context, _ client.Login, req proto.SessionUpdate) (proto.SessionInfo, error) {
	d.dmu.Lock()
	defer d.dmu.Unlock()
	d.updates = append(d.updates, req)
	s := proto.SessionInfo{ID: req.SessionID, Status: proto.StatusActive, Owner: "tina"}
	if req.Category != nil {
		s.Category = *req.Category
	}
	return s, nil
}

func (d *fakeDesk) SetAvailability(_ context.Context, _ client.Login, a proto.Availability) error {
	d.dmu.Lock()
	defer d.dmu.Unlock()
	d.avails = append(d.avails, a)
	return d.availErr
}

// locked reads the fake's records under its lock.
func (d *fakeDesk) locked(f func()) {
	d.dmu.Lock()
	defer d.dmu.Unlock()
	f()
}

var (
	support = proto.ChannelInfo{Name: "Support", Serves: true, SLA: 5 * time.Minute}
	billing = proto.ChannelInfo{Name: "Billing", Serves: true}
	hr      = proto.ChannelInfo{Name: "HR"}
)

// deskConsole signs tina in with dir as the relay's directory and the
// sessions ss in the queue.
func deskConsole(t *testing.T, dir proto.Directory, ss ...proto.SessionInfo) (*Console, *fakeBackend, time.Time) {
	t.Helper()
	c, be, _ := newTestConsole(t)
	now := time.Now()
	c.opts.Now = func() time.Time { return now }
	be.dir = dir
	c.ShowQueue(client.Login{Relay: "relay:4433", User: "tina", Token: "t"})
	<-be.watching
	be.handler.Snapshot(ss)
	be.handler.Online(nil)
	eventually(t, "the directory", func() bool { return c.dk.loaded })
	return c, be, now
}

func request(id, channel string, waited time.Duration, now time.Time) proto.SessionInfo {
	s := session(id, proto.StatusReady, "", now.Add(-waited))
	s.Channel, s.Category, s.Priority, s.Language, s.CustomerName = channel, "network", "high", "de", "User "+id
	return s
}

func rowIDs(c *Console) string {
	var s []string
	for _, r := range c.rows {
		s = append(s, r.ID)
	}
	return strings.Join(s, ",")
}

func TestQueueOpensOnAllAndFiltersByChannelMineAndInvitationsAndMarksSLABreaches(t *testing.T) {
	now := time.Now()
	mine := session("m", proto.StatusActive, "tina", now.Add(-20*time.Minute))
	mine.StartedAt, mine.Channel = now.Add(-19*time.Minute), "Billing"
	c, be, _ := deskConsole(t, proto.Directory{Channels: []proto.ChannelInfo{support, billing, hr}},
		request("late", "Support", 7*time.Minute, now), request("fresh", "Support", 2*time.Minute, now),
		request("bill", "Billing", 30*time.Minute, now), request("hr", "HR", time.Minute, now), mine)
	c.opts.Now = func() time.Time { return now }

	want := []string{FilterMine, FilterInvitations, FilterAll, ChannelFilter("Billing"), ChannelFilter("Support")}
	if !slices.Equal(c.filter.Options, want) {
		t.Fatalf("filters %q, want %q (HR is not served)", c.filter.Options, want)
	}
	// The console opens on everything visible, so a new request is seen at once.
	if c.filter.Selected != FilterAll || rowIDs(c) != "bill,late,fresh,hr,m" {
		t.Fatalf("opens on %q: %s", c.filter.Selected, rowIDs(c))
	}
	c.filter.SetSelected(FilterMine)
	if got := rowIDs(c); got != "m" {
		t.Fatalf("Mine: %s", got)
	}
	c.filter.SetSelected(ChannelFilter("Support"))
	if got := rowIDs(c); got != "late,fresh" {
		t.Fatalf("Support: %s", got)
	}
	// Past the 5-minute SLA: "!" and the danger colour; within it: neither.
	late, fresh := c.rows[0], c.rows[1]
	if got := c.queue.Cell(late, WaitingColumn, now); got != "! 7m 00s / 5m 00s" {
		t.Fatalf("late waiting cell %q", got)
	}
	if got := c.queue.Cell(fresh, WaitingColumn, now); got != "2m 00s / 5m 00s" {
		t.Fatalf("fresh waiting cell %q", got)
	}
	cell := widget.NewLabel("")
	c.table.UpdateCell(widget.TableCellID{Row: 0, Col: WaitingColumn}, cell)
	if cell.Importance != widget.DangerImportance {
		t.Fatalf("a breached request's waiting cell has importance %v", cell.Importance)
	}
	c.table.UpdateCell(widget.TableCellID{Row: 1, Col: WaitingColumn}, cell)
	if cell.Importance == widget.DangerImportance {
		t.Fatal("a request within its SLA is marked")
	}
	for col, want := range map[int]string{1: "Support", 4: "network", 5: "high", 7: "de", 8: ""} {
		if got := c.queue.Cell(late, col, now); got != want {
			t.Errorf("%s: %q, want %q", Columns[col], got, want)
		}
	}
	// No SLA on Billing: no mark however long it waits.
	c.filter.SetSelected(ChannelFilter("Billing"))
	if got := rowIDs(c); got != "bill,m" || c.queue.Breached(c.rows[0], now) {
		t.Fatalf("Billing: %s", got)
	}
	// An invitation arrives: listed under Invitations, with who invites.
	c.filter.SetSelected(FilterInvitations)
	if got := rowIDs(c); got != "" {
		t.Fatalf("Invitations before any: %s", got)
	}
	inv := session("x", proto.StatusActive, "max", now.Add(-3*time.Minute))
	inv.Channel = "HR"
	be.handler.(client.NoticeHandler).Notice(proto.Notice{Kind: proto.NoticeInvitation, SessionID: "x", From: "max",
		Text: "max invites you to join the session of Bo.", Session: inv})
	testLoop.run()
	if got := rowIDs(c); got != "x" {
		t.Fatalf("Invitations: %s", got)
	}
	if got := c.queue.Cell(c.rows[0], 8, now); got != "max (invites you)" {
		t.Fatalf("assignee of an invitation %q", got)
	}
}

func TestPickUpConnectsOrSaysWhoWon(t *testing.T) {
	now := time.Now()
	c, be, _ := deskConsole(t, proto.Directory{Channels: []proto.ChannelInfo{support, hr}},
		request("r", "Support", time.Minute, now), request("h", "HR", time.Minute, now))
	c.filter.SetSelected(FilterAll)
	if rowIDs(c) != "h,r" && rowIDs(c) != "r,h" {
		t.Fatalf("rows %s", rowIDs(c))
	}
	sel := func(id string) {
		c.table.Select(widget.TableCellID{Row: slices.IndexFunc(c.rows, func(s proto.SessionInfo) bool { return s.ID == id }), Col: 0})
	}
	sel("h")
	if c.dk.pick.Visible() {
		t.Fatal("Pick up offered on a request of a channel tina does not serve")
	}
	sel("r")
	if !c.dk.pick.Visible() {
		t.Fatal("no Pick up on an unassigned request of a served channel")
	}
	be.locked(func() {
		be.pickErr = &proto.Failure{Code: proto.ErrTaken, Message: "max already picked this request up."}
	})
	test.Tap(c.dk.pick)
	eventually(t, "the refusal", func() bool { return strings.Contains(c.queueStatus.Text, "max already picked this request up.") })
	if len(be.opened) != 0 {
		t.Fatalf("a lost race opened %+v", be.opened)
	}
	be.locked(func() { be.pickErr = nil })
	test.Tap(c.dk.pick)
	eventually(t, "the session tab", func() bool { return len(be.opened) == 1 })
	if be.opened[0] != (proto.Connect{SessionID: "r"}) || !strings.Contains(c.queueStatus.Text, "You picked up the request of Ann") {
		t.Fatalf("opened %+v, status %q", be.opened, c.queueStatus.Text)
	}
}

func TestAvailabilityInTheStatusBar(t *testing.T) {
	c, be, _ := deskConsole(t, proto.Directory{Me: proto.TechnicianInfo{Name: "tina", Availability: proto.Busy}})
	if c.dk.avail.Selected != "busy" || c.dk.avail.Disabled() {
		t.Fatalf("shown %q, disabled %v", c.dk.avail.Selected, c.dk.avail.Disabled())
	}
	c.dk.avail.SetSelected("away")
	eventually(t, "the answer", func() bool { return strings.Contains(c.queueStatus.Text, "You are away now.") })
	be.locked(func() { be.availErr = &proto.Failure{Code: proto.ErrForbidden, Message: "Your account is disabled."} })
	c.dk.avail.SetSelected("available")
	eventually(t, "the refusal", func() bool { return strings.Contains(c.queueStatus.Text, "Your account is disabled.") })
	if c.dk.avail.Selected != "away" {
		t.Fatalf("after a refusal the switch shows %q, want away", c.dk.avail.Selected)
	}
	be.locked(func() {
		if !slices.Equal(be.avails, []proto.Availability{proto.Away, proto.Available}) {
			t.Fatalf("asked %v", be.avails)
		}
		be.dir.Me.Availability = proto.Busy // at the limit of concurrent sessions
	})
	// A session becomes tina's: the switch shows what the relay says now.
	be.handler.Update(session("s1", proto.StatusActive, "tina", time.Now()))
	eventually(t, "busy", func() bool { return c.dk.avail.Selected == "busy" })
}

func TestInvitationNoticeAcceptOpensAsGuestDeclineAnswers(t *testing.T) {
	c, be, _ := deskConsole(t, proto.Directory{})
	nh := be.handler.(client.NoticeHandler)
	nh.Notice(proto.Notice{Kind: proto.NoticeInvitation, SessionID: "s1", From: "max", Text: "max invites you to join the session of Ann.",
		Session: proto.SessionInfo{ID: "s1", Status: proto.StatusActive, Owner: "max", CustomerName: "Ann"}})
	testLoop.run()
	if c.dk.invitation == nil || !strings.Contains(c.queueStatus.Text, "max invites you") {
		t.Fatalf("no invitation shown; status %q", c.queueStatus.Text)
	}
	test.Tap(c.dk.invitation.yes)
	eventually(t, "the guest tab", func() bool { return len(be.opened) == 1 })
	if be.opened[0] != (proto.Connect{SessionID: "s1"}) || c.sessions[0].title != "Ann" {
		t.Fatalf("opened %+v", be.opened)
	}
	nh.Notice(proto.Notice{Kind: proto.NoticeInvitation, SessionID: "s2", From: "max", Text: "max invites you to join the session of Bo."})
	testLoop.run()
	test.Tap(c.dk.invitation.no)
	eventually(t, "the answer", func() bool { return strings.Contains(c.queueStatus.Text, "You declined") })
	be.locked(func() {
		want := []proto.InviteAnswer{{SessionID: "s1", Accept: true}, {SessionID: "s2"}}
		if !slices.Equal(be.answers, want) {
			t.Fatalf("answers %+v", be.answers)
		}
	})
	if len(be.opened) != 1 {
		t.Fatalf("declining opened %+v", be.opened)
	}
	if _, ok := c.queue.Invitation("s2"); ok {
		t.Fatal("a declined invitation stays listed")
	}
}

// ownSession opens a session tab connected to s.
func ownSession(t *testing.T, c *Console, be *fakeBackend, s proto.SessionInfo, monitor bool) *sessionTab {
	t.Helper()
	c.OpenSession(proto.Connect{SessionID: s.ID, Monitor: monitor}, "")
	tab := c.sessions[len(c.sessions)-1]
	be.views[len(be.views)-1].Connected(proto.Connected{Session: s, Granted: proto.Grant{proto.PermView, proto.PermControl}})
	testLoop.run()
	return tab
}

func TestTransferDialogSendsAndShowsTheRefusal(t *testing.T) {
	dir := proto.Directory{
		Channels:    []proto.ChannelInfo{support, billing},
		Technicians: []proto.TechnicianInfo{{Name: "tina", Online: true}, {Name: "max", Availability: proto.Away, Online: true, Sessions: 2}},
		Permissions: []proto.Permission{proto.PermTransferTech},
	}
	c, be, _ := deskConsole(t, dir)
	tab := ownSession(t, c, be, proto.SessionInfo{ID: "s1", Status: proto.StatusActive, Owner: "tina", Channel: "Support", CustomerName: "Ann"}, false)
	if !tab.dk.transfer.Visible() || tab.dk.invite.Visible() {
		t.Fatalf("transfer shown %v, invite shown %v (may transfer to a technician only)", tab.dk.transfer.Visible(), tab.dk.invite.Visible())
	}
	test.Tap(tab.dk.transfer)
	eventually(t, "the dialog", func() bool { return c.dk.transferForm != nil })
	f := c.dk.transferForm
	if !slices.Equal(f.kind.Options, []string{toTechnician}) {
		t.Fatalf("targets %q: a channel is not allowed", f.kind.Options)
	}
	if !slices.Equal(f.tech.Options, []string{"max — away, 2 sessions"}) {
		t.Fatalf("technicians %q", f.tech.Options)
	}
	test.Tap(f.send)
	if f.result.Text != "Choose the technician to hand the session to." {
		t.Fatalf("empty form: %q", f.result.Text)
	}
	f.tech.SetSelected("max — away, 2 sessions")
	test.Type(f.note, "printer driver, see IT-12")
	be.locked(func() {
		be.transferErr = &proto.Failure{Code: proto.ErrForbidden, Message: "max is away and takes no sessions."}
	})
	test.Tap(f.send)
	eventually(t, "the refusal", func() bool { return strings.Contains(f.result.Text, "max is away and takes no sessions.") })
	if f.note.Text != "printer driver, see IT-12" {
		t.Fatal("the refusal lost the note")
	}
	be.locked(func() { be.transferErr = nil })
	test.Tap(f.send)
	eventually(t, "the transfer", func() bool { return strings.Contains(tab.status.Text, "now max's") })
	be.locked(func() {
		want := proto.Transfer{SessionID: "s1", ToUser: "max", Note: "printer driver, see IT-12"}
		if len(be.transfers) != 2 || be.transfers[1] != want {
			t.Fatalf("sent %+v", be.transfers)
		}
	})
	// The session is max's now: tina no longer transfers or invites.
	if tab.dk.transfer.Visible() {
		t.Fatal("Transfer still offered after handing the session over")
	}
}

func TestInviteDialogSearchesSendsAndListsPending(t *testing.T) {
	dir := proto.Directory{
		Technicians: []proto.TechnicianInfo{{Name: "tina"}, {Name: "max", Online: true, Languages: []string{"de"}},
			{Name: "bob", Online: true}, {Name: "sam", Languages: []string{"nl"}}},
		Permissions: []proto.Permission{proto.PermInviteOutside},
	}
	c, be, _ := deskConsole(t, dir)
	tab := ownSession(t, c, be, proto.SessionInfo{ID: "s1", Status: proto.StatusActive, Owner: "tina", Technicians: []string{"tina", "bob"}, Guests: []string{"bob"}}, false)
	if tab.dk.transfer.Visible() || !tab.dk.invite.Visible() {
		t.Fatal("want Invite without Transfer")
	}
	test.Tap(tab.dk.invite)
	eventually(t, "the dialog", func() bool { return tab.dk.inviteForm != nil })
	f := tab.dk.inviteForm
	names := func() (out []string) {
		for _, ti := range f.shown {
			out = append(out, ti.Name)
		}
		return out
	}
	if got := names(); !slices.Equal(got, []string{"max", "sam"}) {
		t.Fatalf("invitable %q (bob is in the session already)", got)
	}
	test.Type(f.search, "DE")
	if got := names(); !slices.Equal(got, []string{"max"}) {
		t.Fatalf("search de: %q", got)
	}
	if !f.send.Disabled() {
		t.Fatal("Invite enabled with nobody chosen")
	}
	f.list.Select(0)
	be.locked(func() {
		be.inviteErr = &proto.Failure{Code: proto.ErrForbidden, Message: "You may invite only technicians of this session's channel."}
	})
	test.Tap(f.send)
	eventually(t, "the refusal", func() bool { return strings.Contains(f.result.Text, "only technicians of this session's channel") })
	be.locked(func() { be.inviteErr = nil })
	test.Tap(f.send)
	eventually(t, "the invitation", func() bool { return strings.Contains(f.pending.Text, "Invited, no answer yet: max.") })
	if !strings.Contains(f.pending.Text, "guests: bob") {
		t.Fatalf("pending %q", f.pending.Text)
	}
	// Remove: the guest bob, or max's unanswered invitation.
	if !slices.Equal(f.guest.Options, []string{"bob", "max"}) {
		t.Fatalf("removable %q", f.guest.Options)
	}
	test.Tap(f.remove)
	if f.result.Text != "Choose the guest to remove." {
		t.Fatalf("remove nobody: %q", f.result.Text)
	}
	f.guest.SetSelected("bob")
	test.Tap(f.remove)
	eventually(t, "the removal", func() bool { return strings.Contains(f.result.Text, "bob is no longer in the session") })
	be.handler.Update(proto.SessionInfo{ID: "s1", Status: proto.StatusActive, Owner: "tina", Technicians: []string{"tina"}})
	testLoop.run()
	if !slices.Equal(f.guest.Options, []string{"max"}) || strings.Contains(f.pending.Text, "bob") {
		t.Fatalf("after bob left: removable %q, pending %q", f.guest.Options, f.pending.Text)
	}
	be.locked(func() {
		if !slices.Equal(be.invites, []string{"s1:max", "s1:max"}) || !slices.Equal(be.removed, []string{"s1:bob"}) {
			t.Fatalf("sent %q, removed %q", be.invites, be.removed)
		}
	})
	// max declines: the tab hears it.
	be.handler.(client.NoticeHandler).Notice(proto.Notice{Kind: proto.NoticeInviteReply, SessionID: "s1", From: "max", Text: "max declined your invitation."})
	testLoop.run()
	s, _ := tab.snapshot()
	if got := PendingInvites(tab.dk.invited, s); strings.Contains(got, "no answer yet") || !strings.Contains(got, "max declined") {
		t.Fatalf("after the answer: %q", got)
	}
}

func TestControlHandOverAndControllerShown(t *testing.T) {
	c, be, _ := deskConsole(t, proto.Directory{})
	tab := ownSession(t, c, be, proto.SessionInfo{ID: "s1", Status: proto.StatusActive, Owner: "tina", Controller: "tina",
		Technicians: []string{"tina", "max"}, Guests: []string{"max"}}, false)
	if tab.dk.controller.Text != "You control" || !tab.dk.give.Visible() || tab.dk.takeBack.Visible() || tab.dk.request.Visible() {
		t.Fatalf("owner in control: label %q give %v takeBack %v request %v", tab.dk.controller.Text, tab.dk.give.Visible(), tab.dk.takeBack.Visible(), tab.dk.request.Visible())
	}
	if !slices.Equal(tab.dk.give.Options, []string{"max"}) {
		t.Fatalf("give to %q", tab.dk.give.Options)
	}
	tab.dk.give.SetSelected("max")
	eventually(t, "the hand-over", func() bool { return strings.Contains(tab.status.Text, "max has control") })
	be.views[0].ControlChanged(proto.ControlChanged{SessionID: "s1", Controller: proto.Peer{ID: 7, Name: "max"}, By: "tina"})
	testLoop.run()
	if tab.dk.controller.Text != "max controls" || !tab.dk.takeBack.Visible() {
		t.Fatalf("after giving: label %q, take back shown %v", tab.dk.controller.Text, tab.dk.takeBack.Visible())
	}
	test.Tap(tab.dk.takeBack)
	eventually(t, "taking back", func() bool { return strings.Contains(tab.status.Text, "again") })
	be.locked(func() {
		want := []proto.Control{{SessionID: "s1", Action: proto.ControlGive, To: "max"}, {SessionID: "s1", Action: proto.ControlTake}}
		if !slices.Equal(be.controls, want) {
			t.Fatalf("sent %+v", be.controls)
		}
	})

	// As a guest: only Request control.
	g := ownSession(t, c, be, proto.SessionInfo{ID: "s2", Status: proto.StatusActive, Owner: "max", Controller: "max",
		Technicians: []string{"max", "tina"}, Guests: []string{"tina"}}, false)
	if !g.dk.request.Visible() || g.dk.give.Visible() || g.dk.takeBack.Visible() || g.dk.controller.Text != "max controls" {
		t.Fatalf("guest: request %v give %v takeBack %v label %q", g.dk.request.Visible(), g.dk.give.Visible(), g.dk.takeBack.Visible(), g.dk.controller.Text)
	}
	if !strings.HasPrefix(g.status.Text, "Connected as a guest of max;") {
		t.Fatalf("guest's status %q", g.status.Text)
	}
	test.Tap(g.dk.request)
	eventually(t, "the request", func() bool { return strings.Contains(g.status.Text, "Asked the session's owner") })

	// The owner is asked when a guest requests control.
	be.handler.(client.NoticeHandler).Notice(proto.Notice{Kind: proto.NoticeControl, SessionID: "s1", From: "max", Text: "max asks for control of the session of Ann."})
	testLoop.run()
	test.Tap(c.dk.control.yes)
	eventually(t, "giving", func() bool { be.dmu.Lock(); defer be.dmu.Unlock(); return len(be.controls) == 4 })
}

func TestDeskActionsHiddenWithoutPermission(t *testing.T) {
	now := time.Now()
	c, be, _ := deskConsole(t, proto.Directory{Channels: []proto.ChannelInfo{{Name: "Support", Serves: true, Manages: true}}},
		request("r", "Support", time.Minute, now))
	if c.dk.super != nil || len(c.tabs.Items) != 1 {
		t.Fatal("the supervisor view is shown to someone who may not monitor or take over")
	}
	if c.dk.link.Visible() || !c.code.Disabled() {
		t.Fatal("links or codes offered without links.create and codes.use")
	}
	tab := ownSession(t, c, be, proto.SessionInfo{ID: "s1", Status: proto.StatusActive, Owner: "tina"}, false)
	if tab.dk.transfer.Visible() || tab.dk.invite.Visible() || tab.dk.takeOver.Visible() {
		t.Fatal("transfer, invite or take over offered without the permissions")
	}
	if !tab.dk.panelToggle.Visible() {
		t.Fatal("notes panel missing")
	}
}

func TestNotesAndClassification(t *testing.T) {
	c, be, _ := deskConsole(t, proto.Directory{Categories: []string{"hardware", "network"}, Priorities: []string{"high", "low"},
		Permissions: []proto.Permission{proto.PermCreateLinks, proto.PermUseCodes}})
	if !c.dk.link.Visible() || c.code.Disabled() {
		t.Fatal("links or codes hidden with links.create and codes.use")
	}
	tab := ownSession(t, c, be, proto.SessionInfo{ID: "s1", Status: proto.StatusActive, Owner: "tina", Category: "hardware"}, false)
	test.Tap(tab.dk.panelToggle)
	eventually(t, "the notes", func() bool { return tab.dk.notes.Text == "No notes yet." })
	test.Tap(tab.dk.addNote)
	if tab.dk.noteResult.Text != "The note is empty." {
		t.Fatalf("empty note: %q", tab.dk.noteResult.Text)
	}
	test.Type(tab.dk.noteEntry, "Rebooted the router.")
	test.Tap(tab.dk.addNote)
	eventually(t, "the note listed", func() bool { return strings.Contains(tab.dk.notes.Text, "tina:\nRebooted the router.") })
	if tab.dk.category.Selected != "hardware" || !slices.Equal(tab.dk.category.Options, []string{"", "hardware", "network"}) {
		t.Fatalf("category %q of %q", tab.dk.category.Selected, tab.dk.category.Options)
	}
	tab.dk.category.SetSelected("network")
	test.Type(tab.dk.tkKey, " IT-7 ")
	test.Tap(tab.dk.save)
	eventually(t, "saved", func() bool { return tab.dk.saved.Text == "Saved." })
	be.locked(func() {
		u := be.updates[0]
		if len(be.updates) != 1 || u.Category == nil || *u.Category != "network" || u.Priority != nil || u.Ticket == nil || u.Ticket.Key != "IT-7" {
			t.Fatalf("sent %+v", be.updates)
		}
	})
}

func TestSupervisorGroupsBreachesFirstAndMonitorsThenTakesOver(t *testing.T) {
	now := time.Now()
	managed := proto.ChannelInfo{Name: "Support", Manages: true, SLA: 5 * time.Minute}
	active := func(id, owner string, waited, active time.Duration) proto.SessionInfo {
		s := request(id, "Support", waited+active, now)
		s.Status, s.Owner, s.StartedAt = proto.StatusActive, owner, now.Add(-active)
		return s
	}
	other := active("o", "zoe", time.Hour, time.Minute)
	other.Channel = "HR" // not managed by tina
	c, be, _ := deskConsole(t, proto.Directory{
		Channels:    []proto.ChannelInfo{managed, hr},
		Permissions: []proto.Permission{proto.PermMonitor, proto.PermTakeOver},
	},
		active("b1", "bob", time.Minute, 10*time.Minute), active("a1", "amy", time.Minute, 3*time.Minute),
		active("b2", "bob", 9*time.Minute, time.Minute), request("w1", "Support", 2*time.Minute, now), other)
	if c.dk.super == nil || c.tabs.Items[1] != c.dk.superItem {
		t.Fatal("no supervisor tab beside the queue")
	}
	var got []string
	for _, r := range c.dk.super.rows {
		if r.heading != "" {
			got = append(got, r.heading)
		} else {
			got = append(got, r.s.ID)
		}
	}
	want := []string{"bob (2) — 1 past SLA", "b2", "b1", "Waiting for a technician (1)", "w1", "amy (1)", "a1"}
	if !slices.Equal(got, want) {
		t.Fatalf("rows %q, want %q", got, want)
	}
	if line := c.queue.SupervisorLine(c.dk.super.rows[1].s, now); !strings.HasPrefix(line, "! User b2 · Support") || !strings.Contains(line, "waited 9m 00s (SLA 5m 00s) · active 1m 00s") {
		t.Fatalf("line %q", line)
	}
	v := c.dk.super
	v.list.Select(4) // w1: waiting, nobody to monitor
	if v.monitor.Disabled() == false || v.takeOver.Disabled() == false {
		t.Fatal("Monitor or Take over enabled on a waiting request")
	}
	if v.transfer.Visible() {
		t.Fatal("Transfer offered without a transfer permission")
	}
	v.list.Select(1)
	test.Tap(v.monitor)
	if len(be.opened) != 1 || be.opened[0] != (proto.Connect{SessionID: "b2", Monitor: true}) {
		t.Fatalf("monitor opened %+v", be.opened)
	}
	tab := c.sessions[0]
	be.views[0].Connected(proto.Connected{Session: c.dk.super.rows[1].s, Granted: proto.Grant{proto.PermView}})
	testLoop.run()
	if !strings.HasPrefix(tab.status.Text, "Watching bob's session as a supervisor") {
		t.Fatalf("supervisor's status %q", tab.status.Text)
	}
	if !tab.dk.takeOver.Visible() || tab.dk.give.Visible() || tab.dk.request.Visible() {
		t.Fatal("a monitoring supervisor: want Take over only")
	}
	tab.startTakeOver()
	if !be.remotes[0].ended {
		t.Fatal("monitoring did not end before taking over")
	}
	be.views[0].Ended(nil)
	testLoop.run()
	if len(be.opened) != 2 || be.opened[1] != (proto.Connect{SessionID: "b2"}) || slices.Contains(c.sessions, tab) {
		t.Fatalf("take over opened %+v; monitor tab kept %v", be.opened, slices.Contains(c.sessions, tab))
	}
}

func TestSupervisorTabLeavesAnOpenSessionInFront(t *testing.T) {
	c, be, _ := newTestConsole(t)
	be.dir = proto.Directory{Channels: []proto.ChannelInfo{{Name: "Support", Manages: true}}, Permissions: []proto.Permission{proto.PermMonitor}}
	c.Connect(proto.Connect{SessionID: "s1"}) // console --session s1: opens right after the sign-in
	c.ShowQueue(client.Login{Relay: "relay:4433", User: "tina", Token: "t"})
	front := c.tabs.Selected()
	eventually(t, "the directory", func() bool { return c.dk.loaded })
	if c.dk.superItem == nil || c.tabs.Items[1] != c.dk.superItem {
		t.Fatal("no supervisor tab")
	}
	if c.tabs.Selected() != front || front != c.sessions[0].item {
		t.Fatal("the supervisor tab took the front from the session opened at start")
	}
}
