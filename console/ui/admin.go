package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/console/client"
	"github.com/relaydesk/relaydesk/pkg/adminapi"
	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/transport"
)

// Admin is what the History and Administration screens do with the
// relay's admin API (console/client.Admin in the program, a fake in
// tests). The relay decides and audits; a refusal is an error whose text
// is the relay's sentence.
type Admin interface {
	Permissions(ctx context.Context) (adminapi.Permissions, error)
	History(ctx context.Context, req proto.HistoryRequest) (proto.HistoryPage, error)
	SessionDetails(ctx context.Context, id string) (proto.SessionDetails, error)

	Channels(ctx context.Context) ([]adminapi.Channel, error)
	CreateChannel(ctx context.Context, ch adminapi.ChannelCreate) (adminapi.Channel, error)
	UpdateChannel(ctx context.Context, name string, ch adminapi.ChannelPatch) (adminapi.Channel, error)
	DeleteChannel(ctx context.Context, name string) error

	Groups(ctx context.Context) ([]adminapi.Group, error)
	CreateGroup(ctx context.Context, g adminapi.GroupCreate) (adminapi.Group, error)
	UpdateGroup(ctx context.Context, name string, g adminapi.GroupPatch) (adminapi.Group, error)
	DeleteGroup(ctx context.Context, name string) error

	Technicians(ctx context.Context) ([]adminapi.Technician, error)
	UpdateTechnician(ctx context.Context, name string, t adminapi.TechnicianPatch) (adminapi.Technician, error)
	ResetPassword(ctx context.Context, name, password string, signOut bool) (adminapi.PasswordReset, error)

	Settings(ctx context.Context) (adminapi.Settings, error)
	UpdateSettings(ctx context.Context, s adminapi.SettingsPatch) (adminapi.Settings, error)
}

// The program's admin client fits.
var _ Admin = (*client.Admin)(nil)

// adminTimeout bounds one admin API call.
const adminTimeout = 20 * time.Second

// permsRetry is the first wait before the permissions are asked again
// after a failure; it doubles up to a minute.
var permsRetry = time.Second

// adminUI is the state of the History and Administration entries of a
// signed-in console.
type adminUI struct {
	c        *Console
	api      Admin
	ctx      context.Context // ends at sign-out, a new sign-in or Shutdown
	cancel   context.CancelFunc
	perms    adminapi.Permissions
	history  *widget.Button
	admin    *widget.Button
	histItem *container.TabItem
	admItem  *container.TabItem
	hist     *historyView
	adm      *adminView
}

// adminTools builds the toolbar entries for l's History and
// Administration screens: History for everyone (the relay shows each
// technician what they may see), Administration once the relay reports a
// permission that one of its screens needs.
func (c *Console) adminTools(l client.Login) fyne.CanvasObject {
	c.adm = nil
	if c.opts.Admin == nil {
		return container.NewHBox()
	}
	api, err := c.opts.Admin(l)
	if err != nil {
		c.log.Warn("admin API", "err", err)
		return container.NewHBox()
	}
	a := &adminUI{c: c, api: api}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	c.adm = a
	a.history = widget.NewButtonWithIcon("History", theme.HistoryIcon(), a.openHistory)
	a.admin = widget.NewButtonWithIcon("Administration", theme.SettingsIcon(), a.openAdmin)
	a.admin.Hide()
	c.wg.Go(a.readPermissions)
	return container.NewHBox(a.history, a.admin)
}

// readPermissions asks the relay what the user may do, again after a
// failure (the relay may be restarting), until it answers or a.ctx ends;
// then it shows Administration when some screen is for the user.
func (a *adminUI) readPermissions() {
	wait := permsRetry
	for {
		ctx, cancel := context.WithTimeout(a.ctx, adminTimeout)
		p, err := a.api.Permissions(ctx)
		cancel()
		if err == nil {
			a.c.do(func() {
				if a.ctx.Err() != nil {
					return // signed out or in again meanwhile
				}
				a.perms = p
				if a.anyAdmin() {
					a.admin.Show()
					a.c.win.Content().Refresh() // lay the toolbar out again
				}
			})
			return
		}
		a.c.log.Warn("read the permissions from the admin API; trying again", "err", err, "in", wait)
		select {
		case <-a.ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Minute)
	}
}

// close ends the screens' requests and drops the client's connections.
func (a *adminUI) close() {
	a.cancel()
	if c, ok := a.api.(interface{ Close() }); ok {
		c.Close()
	}
}

// can reports whether the relay listed p for the signed-in user.
func (a *adminUI) can(p proto.Permission) bool { return a.perms.You.Can(p) }

// anyAdmin reports whether some Administration screen is for the user.
func (a *adminUI) anyAdmin() bool {
	return a.can(proto.PermManageChannel) || a.can(proto.PermManageTechnicians) || a.can(proto.PermManageSettings)
}

// openTab selects it when it is open, else appends and selects the new one.
func (a *adminUI) openTab(it **container.TabItem, make func() *container.TabItem) {
	tabs := a.c.tabs
	for _, open := range tabs.Items {
		if open == *it {
			tabs.Select(open)
			return
		}
	}
	*it = make()
	tabs.Append(*it)
	tabs.Select(*it)
}

// closeTab closes it when it is the History or Administration tab.
func (a *adminUI) closeTab(it *container.TabItem) bool {
	switch it {
	case a.histItem:
		a.histItem, a.hist = nil, nil
	case a.admItem:
		a.admItem, a.adm = nil, nil
	default:
		return false
	}
	a.c.tabs.Remove(it)
	return true
}

func (a *adminUI) openHistory() {
	a.openTab(&a.histItem, func() *container.TabItem {
		a.hist = newHistoryView(a)
		return container.NewTabItemWithIcon("History", theme.HistoryIcon(), a.hist.content)
	})
}

func (a *adminUI) openAdmin() {
	if !a.anyAdmin() {
		return
	}
	a.openTab(&a.admItem, func() *container.TabItem {
		a.adm = newAdminView(a)
		return container.NewTabItemWithIcon("Administration", theme.SettingsIcon(), a.adm.tabs)
	})
}

// call runs fn against the admin API off the UI goroutine, says what
// happens on status meanwhile, and then runs done (on success) on the UI
// goroutine; a failure shows the relay's sentence on status.
func (a *adminUI) call(status *widget.Label, doing string, fn func(ctx context.Context) error, done func()) {
	a.callThen(status, doing, fn, done, nil)
}

// callThen is call with then, which runs on the UI goroutine after done
// or the failure's sentence, whatever the outcome (nil: nothing).
func (a *adminUI) callThen(status *widget.Label, doing string, fn func(ctx context.Context) error, done, then func()) {
	status.Importance = widget.MediumImportance
	status.SetText(doing)
	c := a.c
	c.wg.Go(func() {
		ctx, cancel := context.WithTimeout(a.ctx, adminTimeout)
		defer cancel()
		err := fn(ctx)
		c.do(func() {
			if then != nil {
				defer then()
			}
			if err != nil {
				status.Importance = widget.DangerImportance
				status.SetText(a.sentence(err))
				return
			}
			status.SetText("")
			done()
		})
	})
}

// sentence is what the person reads of a failed call: the relay's own
// sentence when it answered, else why it could not be reached.
func (a *adminUI) sentence(err error) string {
	var ae *client.AdminError
	switch {
	case errors.As(err, &ae):
		return ae.Text
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("The relay at %s does not answer; try again.", a.c.login.Relay)
	}
	return transport.Describe(err, a.c.login.Relay)
}

// adminView is the Administration tab: one inner tab per screen the user
// may use.
type adminView struct {
	a        *adminUI
	tabs     *container.AppTabs
	channels *channelsView
	groups   *groupsView
	techs    *techniciansView
	settings *settingsView
}

func newAdminView(a *adminUI) *adminView {
	v := &adminView{a: a, tabs: container.NewAppTabs()}
	if a.can(proto.PermManageChannel) {
		v.channels = newChannelsView(a)
		v.tabs.Append(container.NewTabItem("Channels", v.channels.content))
	}
	if a.can(proto.PermManageTechnicians) {
		v.groups = newGroupsView(a)
		v.techs = newTechniciansView(a)
		v.tabs.Append(container.NewTabItem("Groups", v.groups.content))
		v.tabs.Append(container.NewTabItem("Technicians", v.techs.content))
	}
	if a.can(proto.PermManageSettings) {
		v.settings = newSettingsView(a)
		v.tabs.Append(container.NewTabItem("Organisation", v.settings.content))
	}
	return v
}

// invalid shows a form's sentence on status; nothing was sent.
func invalid(status *widget.Label, err error) {
	status.Importance = widget.DangerImportance
	status.SetText(err.Error())
}

// saveNamed creates (old "") or changes the item old through the API,
// then reload shows the saved item, named by nameOf, and says so.
func saveNamed[T any](a *adminUI, status *widget.Label, what, old string, create, update func(context.Context) (T, error),
	nameOf func(T) string, reload func(name, done string)) {
	doing, fn, done := "Creating the "+what+"…", create, "created."
	if old != "" {
		doing, fn, done = "Saving the "+what+"…", update, "saved."
	}
	var saved T
	a.call(status, doing, func(ctx context.Context) (err error) {
		saved, err = fn(ctx)
		return err
	}, func() {
		n := nameOf(saved)
		reload(n, capital(what)+" "+n+" "+done)
	})
}

// confirmDelete asks before deleting the item name, saying what follows,
// then deletes it (deleteNamed).
func (a *adminUI) confirmDelete(status *widget.Label, list *widget.List, what, name, follows string,
	del func(context.Context, string) error, reload func(name, done string)) {
	dialog.ShowConfirm("Delete "+what+"?", fmt.Sprintf("Delete the %s %s? %s", what, name, follows), func(yes bool) {
		if yes {
			a.deleteNamed(status, list, what, name, del, reload)
		}
	}, a.c.win)
}

// deleteNamed deletes the item name through the API and reads the
// screen again.
func (a *adminUI) deleteNamed(status *widget.Label, list *widget.List, what, name string,
	del func(context.Context, string) error, reload func(name, done string)) {
	a.call(status, "Deleting the "+what+"…", func(ctx context.Context) error { return del(ctx, name) },
		func() { list.UnselectAll(); reload("", capital(what)+" "+name+" deleted.") })
}

func capital(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// masterDetail lays a screen out: the list (with under it, when not
// nil) on the left; on the right the form, the status line and buttons.
func masterDetail(list, under, form fyne.CanvasObject, status *widget.Label, buttons ...fyne.CanvasObject) fyne.CanvasObject {
	right := container.NewBorder(nil, container.NewVBox(status, container.NewHBox(buttons...)), nil, nil, container.NewVScroll(form))
	left := list
	if under != nil {
		left = container.NewBorder(nil, under, nil, nil, list)
	}
	split := container.NewHSplit(left, right)
	split.Offset = 0.25
	return split
}

// reloaded shows row i of a list read again (-1: none, an empty form),
// and says done on status (a sentence, or "").
func reloaded(list *widget.List, i int, edit func(int), status *widget.Label, done string) {
	list.Refresh()
	if i >= 0 {
		list.Select(i)
	}
	edit(i)
	status.Importance = widget.SuccessImportance
	status.SetText(done)
}

// newStatus is a screen's line for progress and the relay's sentences.
func newStatus() *widget.Label {
	l := widget.NewLabel("")
	l.Wrapping = fyne.TextWrapWord
	return l
}

// splitList reads one item per line (or comma), trimmed, without blanks.
func splitList(s string, sep string) []string {
	out := []string{}
	for _, part := range strings.Split(s, sep) {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ptr returns a pointer to v, for the API's optional fields.
func ptr[T any](v T) *T { return &v }
