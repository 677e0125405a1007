package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/pkg/adminapi"
)

// ---- groups ----

// ValidateGroup checks a group form and makes the change; the error is a
// sentence.
func ValidateGroup(name, description string, members []string) (adminapi.GroupPatch, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return adminapi.GroupPatch{}, errNoGroupNam
	case utf8.RuneCountInString(name) > maxAdminName:
		return adminapi.GroupPatch{}, fmt.Errorf("A group's name has at most %d characters.", maxAdminName)
	case utf8.RuneCountInString(description) > maxAdminDescription:
		return adminapi.GroupPatch{}, fmt.Errorf("A description has at most %d characters.", maxAdminDescription)
	}
	return adminapi.GroupPatch{Name: &name, Description: ptr(strings.TrimSpace(description)), Members: ptr(orEmpty(members))}, nil
}

// groupsView is the Groups screen: groups and their members.
type groupsView struct {
	a        *adminUI
	content  fyne.CanvasObject
	status   *widget.Label
	list     *widget.List
	groups   []adminapi.Group
	selected int

	name, description *widget.Entry
	members           *widget.CheckGroup
	channels          *widget.Label
	save, remove, add *widget.Button
}

func newGroupsView(a *adminUI) *groupsView {
	v := &groupsView{a: a, status: newStatus(), selected: -1}
	v.name, v.description = widget.NewEntry(), widget.NewMultiLineEntry()
	v.members = widget.NewCheckGroup(nil, nil)
	v.members.Horizontal = true
	v.channels = widget.NewLabel("")
	v.channels.Wrapping = fyne.TextWrapWord
	v.save = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), v.submit)
	v.save.Importance = widget.HighImportance
	v.remove = widget.NewButtonWithIcon("Delete…", theme.DeleteIcon(), v.confirmDelete)
	v.add = widget.NewButtonWithIcon("New group", theme.ContentAddIcon(), func() { v.list.UnselectAll(); v.edit(-1) })
	v.list = widget.NewList(func() int { return len(v.groups) },
		func() fyne.CanvasObject { return widget.NewLabel("group name") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			g := v.groups[i]
			o.(*widget.Label).SetText(fmt.Sprintf("%s (%d)", g.Name, len(g.Members)))
		})
	v.list.OnSelected = func(i widget.ListItemID) { v.edit(i) }
	form := widget.NewForm(
		widget.NewFormItem("Name", v.name),
		widget.NewFormItem("Description", v.description),
		widget.NewFormItem("Members", v.members),
		widget.NewFormItem("Serves", v.channels),
	)
	v.content = masterDetail(v.list, v.add, form, v.status, v.save, v.remove)
	v.edit(-1)
	v.reload("", "")
	return v
}

func (v *groupsView) reload(name, done string) {
	var gs []adminapi.Group
	var ts []adminapi.Technician
	v.a.call(v.status, "Reading the groups…", func(ctx context.Context) (err error) {
		if gs, err = v.a.api.Groups(ctx); err != nil {
			return err
		}
		ts, err = v.a.api.Technicians(ctx)
		return err
	}, func() {
		v.groups = gs
		v.members.Options = nil
		for _, t := range ts {
			v.members.Options = append(v.members.Options, t.Name)
		}
		v.members.Refresh()
		i := slices.IndexFunc(gs, func(g adminapi.Group) bool { return strings.EqualFold(g.Name, name) })
		reloaded(v.list, i, v.edit, v.status, done)
	})
}

func (v *groupsView) edit(i int) {
	v.selected = i
	var g adminapi.Group
	if i >= 0 && i < len(v.groups) {
		g = v.groups[i]
	}
	v.name.SetText(g.Name)
	v.description.SetText(g.Description)
	v.members.SetSelected(slices.Clone(g.Members))
	v.channels.SetText(strings.Join(g.Channels, ", "))
	enable(v.remove, i >= 0)
}

func (v *groupsView) submit() {
	change, err := ValidateGroup(v.name.Text, v.description.Text, v.members.Selected)
	if err != nil {
		invalid(v.status, err)
		return
	}
	old := ""
	if v.selected >= 0 {
		old = v.groups[v.selected].Name
	}
	api := v.a.api
	saveNamed(v.a, v.status, "group", old,
		func(ctx context.Context) (adminapi.Group, error) {
			return api.CreateGroup(ctx, adminapi.GroupCreate{Name: *change.Name, Description: *change.Description, Members: *change.Members})
		},
		func(ctx context.Context) (adminapi.Group, error) { return api.UpdateGroup(ctx, old, change) },
		func(g adminapi.Group) string { return g.Name }, v.reload)
}

func (v *groupsView) confirmDelete() {
	if v.selected < 0 {
		return
	}
	v.a.confirmDelete(v.status, v.list, "group", v.groups[v.selected].Name, "It stops serving its channels; its members keep their accounts.",
		v.a.api.DeleteGroup, v.reload)
}

// ---- technicians ----

// Roles in the order the role menu offers them.
var roles = []string{"technician", "channel-manager", "technician-manager", "admin"}

// Choices of an override menu.
const (
	overrideDefault = "role default"
	overrideAllow   = "allow"
	overrideDeny    = "deny"
)

// TechnicianForm is what the technician screen's form holds, as typed.
type TechnicianForm struct {
	Role        string
	Enabled     bool
	Languages   string // comma-separated
	MaxSessions string
	Overrides   map[string]string // permission -> overrideAllow or overrideDeny
}

// ValidateTechnician checks a technician form and makes the change; the
// error is a sentence.
func ValidateTechnician(f TechnicianForm) (adminapi.TechnicianPatch, error) {
	if !slices.Contains(roles, f.Role) {
		return adminapi.TechnicianPatch{}, fmt.Errorf("Choose a role: %s.", strings.Join(roles, ", "))
	}
	langs := []string{}
	for _, l := range splitList(f.Languages, ",") {
		l = strings.ToLower(l)
		if !languageTag(l) {
			return adminapi.TechnicianPatch{}, fmt.Errorf("A language is a tag such as en or de-CH, not %q.", l)
		}
		if !slices.Contains(langs, l) {
			langs = append(langs, l)
		}
	}
	max := 0
	if s := strings.TrimSpace(f.MaxSessions); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 100 {
			return adminapi.TechnicianPatch{}, errors.New("The limit of concurrent sessions is a number from 0 (the relay's default) to 100.")
		}
		max = n
	}
	overrides := []adminapi.Override{}
	for _, p := range slices.Sorted(mapKeys(f.Overrides)) {
		switch f.Overrides[p] {
		case overrideAllow:
			overrides = append(overrides, adminapi.Override{Permission: p, Allow: true})
		case overrideDeny:
			overrides = append(overrides, adminapi.Override{Permission: p})
		}
	}
	disabled := !f.Enabled
	return adminapi.TechnicianPatch{Role: &f.Role, Disabled: &disabled,
		Profile: &adminapi.ProfilePatch{Languages: &langs, MaxSessions: &max}, Overrides: &overrides}, nil
}

// OnlyChanges keeps of c what differs from t as the relay showed it, so
// that a save sends (and the relay checks and audits) only what the
// person changed.
func OnlyChanges(c adminapi.TechnicianPatch, t adminapi.Technician) adminapi.TechnicianPatch {
	if c.Role != nil && *c.Role == t.Role {
		c.Role = nil
	}
	if c.Disabled != nil && *c.Disabled == t.Disabled {
		c.Disabled = nil
	}
	if p := c.Profile; p != nil {
		if p.Languages != nil && slices.Equal(*p.Languages, orEmpty(t.Languages)) {
			p.Languages = nil
		}
		if p.MaxSessions != nil && *p.MaxSessions == t.MaxSessions {
			p.MaxSessions = nil
		}
		if p.Languages == nil && p.MaxSessions == nil {
			c.Profile = nil
		}
	}
	if c.Overrides != nil {
		had := slices.Clone(t.Overrides)
		slices.SortFunc(had, func(a, b adminapi.Override) int { return strings.Compare(a.Permission, b.Permission) })
		if slices.Equal(*c.Overrides, orEmpty(had)) {
			c.Overrides = nil
		}
	}
	return c
}

// languageTag reports whether s looks like a BCP 47 tag: letters, digits
// and hyphens, starting with 2 or 3 letters, at most 35 characters.
func languageTag(s string) bool {
	if len(s) < 2 || len(s) > 35 {
		return false
	}
	for i, r := range s {
		letter := r >= 'a' && r <= 'z'
		switch {
		case i < 2 && !letter:
			return false
		case !letter && !(r >= '0' && r <= '9') && r != '-':
			return false
		}
	}
	return !strings.HasSuffix(s, "-") && !strings.Contains(s, "--")
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// ValidatePassword checks a new password typed for a reset; "" lets the
// relay make one up.
func ValidatePassword(pw, again string) error {
	switch {
	case pw == "" && again == "":
		return nil
	case utf8.RuneCountInString(pw) < 8:
		return errors.New("A password has at least 8 characters; leave both fields empty to let the relay make one up.")
	case pw != again:
		return errors.New("The two passwords differ.")
	}
	return nil
}

// techniciansView is the Technicians screen.
type techniciansView struct {
	a        *adminUI
	content  fyne.CanvasObject
	status   *widget.Label
	list     *widget.List
	techs    []adminapi.Technician
	selected int

	role               *widget.Select
	enabled            *widget.Check
	languages, maxSess *widget.Entry
	overrides          map[string]*widget.Select
	overrideBox        *fyne.Container
	save, resetPW      *widget.Button
	formBox            fyne.CanvasObject
	form               *widget.Form
	title              *widget.Label
	pwEntry, pwAgain   *widget.Entry // the open reset dialog's
	pwSignOut          *widget.Check
	pwErr              *widget.Label
	pwName             string
	pwDialog           dialog.Dialog
	lastReset          adminapi.PasswordReset // the last reset's answer
}

func newTechniciansView(a *adminUI) *techniciansView {
	v := &techniciansView{a: a, status: newStatus(), selected: -1, overrides: map[string]*widget.Select{}}
	v.title = widget.NewLabelWithStyle("Select a technician.", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.role = widget.NewSelect(roles, nil)
	v.enabled = widget.NewCheck("may sign in", nil)
	v.languages, v.maxSess = widget.NewEntry(), widget.NewEntry()
	v.languages.SetPlaceHolder("en, de")
	v.maxSess.SetPlaceHolder("0: the relay's default")
	v.overrideBox = container.NewVBox()
	for _, row := range a.perms.Table {
		s := widget.NewSelect([]string{overrideDefault, overrideAllow, overrideDeny}, nil)
		s.SetSelected(overrideDefault)
		v.overrides[row.Name] = s
		label := widget.NewLabel(row.Name)
		label.TextStyle.Monospace = true
		doc := widget.NewLabel(fmt.Sprintf("%s (roles: %s)", row.Doc, strings.Join(row.Roles, ", ")))
		doc.Wrapping = fyne.TextWrapWord
		v.overrideBox.Add(container.NewBorder(nil, nil, container.NewHBox(label, s), nil, doc))
	}
	v.save = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), v.submit)
	v.save.Importance = widget.HighImportance
	v.resetPW = widget.NewButtonWithIcon("Reset password…", theme.AccountIcon(), v.resetDialog)
	v.list = widget.NewList(func() int { return len(v.techs) },
		func() fyne.CanvasObject { return widget.NewLabel("technician name (role)") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			t := v.techs[i]
			text := fmt.Sprintf("%s (%s)", t.Name, t.Role)
			if t.Disabled {
				text += ", disabled"
			}
			o.(*widget.Label).SetText(text)
		})
	v.list.OnSelected = func(i widget.ListItemID) { v.edit(i) }
	v.form = widget.NewForm(
		widget.NewFormItem("Role", v.role),
		widget.NewFormItem("Account", v.enabled),
		widget.NewFormItem("Languages", v.languages),
		widget.NewFormItem("Concurrent sessions", v.maxSess),
	)
	v.formBox = container.NewVBox(v.title, v.form, widget.NewLabelWithStyle("Per-permission overrides", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), v.overrideBox)
	v.content = masterDetail(v.list, nil, v.formBox, v.status, v.save, v.resetPW)
	v.edit(-1)
	v.reload("", "")
	return v
}

func (v *techniciansView) reload(name, done string) {
	var ts []adminapi.Technician
	v.a.call(v.status, "Reading the technicians…", func(ctx context.Context) (err error) {
		ts, err = v.a.api.Technicians(ctx)
		return err
	}, func() {
		v.techs = ts
		reloaded(v.list, slices.IndexFunc(ts, func(t adminapi.Technician) bool { return t.Name == name }), v.edit, v.status, done)
	})
}

func (v *techniciansView) edit(i int) {
	v.selected = i
	var t adminapi.Technician
	ok := i >= 0 && i < len(v.techs)
	if ok {
		t = v.techs[i]
		v.title.SetText(fmt.Sprintf("%s: %s", t.Name, strings.Join(nonEmpty(onlineText(t), t.Availability, fmt.Sprintf("%d live session(s)", t.Sessions)), ", ")))
	} else {
		v.title.SetText("Select a technician.")
	}
	v.role.SetSelected(t.Role)
	v.enabled.SetChecked(ok && !t.Disabled)
	v.languages.SetText(strings.Join(t.Languages, ", "))
	v.maxSess.SetText("")
	if t.MaxSessions > 0 {
		v.maxSess.SetText(strconv.Itoa(t.MaxSessions))
	}
	for p, s := range v.overrides {
		s.SetSelected(overrideDefault)
		for _, o := range t.Overrides {
			if o.Permission == p {
				s.SetSelected(map[bool]string{true: overrideAllow, false: overrideDeny}[o.Allow])
			}
		}
	}
	for _, w := range []fyne.Disableable{v.role, v.enabled, v.languages, v.maxSess, v.save, v.resetPW} {
		enable(w, ok)
	}
	for _, s := range v.overrides {
		enable(s, ok)
	}
	v.form.Refresh() // the labels follow their fields' state
}

func onlineText(t adminapi.Technician) string {
	if t.Online {
		return "online"
	}
	return "offline"
}

// Form returns what the form holds.
func (v *techniciansView) Form() TechnicianForm {
	f := TechnicianForm{Role: v.role.Selected, Enabled: v.enabled.Checked, Languages: v.languages.Text,
		MaxSessions: v.maxSess.Text, Overrides: map[string]string{}}
	for p, s := range v.overrides {
		if s.Selected != overrideDefault {
			f.Overrides[p] = s.Selected
		}
	}
	return f
}

func (v *techniciansView) submit() {
	if v.selected < 0 {
		return
	}
	change, err := ValidateTechnician(v.Form())
	if err != nil {
		invalid(v.status, err)
		return
	}
	t := v.techs[v.selected]
	name := t.Name
	change = OnlyChanges(change, t)
	if change == (adminapi.TechnicianPatch{}) {
		v.status.Importance = widget.MediumImportance
		v.status.SetText("Nothing changed.")
		return
	}
	v.a.call(v.status, "Saving "+name+"…", func(ctx context.Context) error {
		_, err := v.a.api.UpdateTechnician(ctx, name, change)
		return err
	}, func() { v.reload(name, name+" saved.") })
}

// resetDialog asks for a new password (or none: the relay makes one up)
// and whether to end the technician's sign-ins.
func (v *techniciansView) resetDialog() {
	if v.selected < 0 {
		return
	}
	name := v.techs[v.selected].Name
	v.pwEntry, v.pwAgain = widget.NewPasswordEntry(), widget.NewPasswordEntry()
	v.pwEntry.SetPlaceHolder("empty: the relay makes one up")
	v.pwSignOut = widget.NewCheck("End their sign-ins (their consoles must sign in again)", nil)
	v.pwErr = widget.NewLabel("")
	v.pwErr.Wrapping = fyne.TextWrapWord
	v.pwErr.Importance = widget.DangerImportance
	form := widget.NewForm(widget.NewFormItem("New password", v.pwEntry), widget.NewFormItem("Again", v.pwAgain))
	reset := widget.NewButton("Reset", nil)
	reset.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", nil)
	box := container.NewVBox(form, v.pwSignOut, v.pwErr, container.NewHBox(cancel, reset))
	d := dialog.NewCustomWithoutButtons("Reset the password of "+name, container.NewGridWrap(fyne.NewSize(460, 240), box), v.a.c.win)
	v.pwName, v.pwDialog = name, d
	cancel.OnTapped = d.Hide
	reset.OnTapped = v.submitReset
	d.Show()
}

// submitReset checks the reset dialog and asks the relay.
func (v *techniciansView) submitReset() {
	if err := ValidatePassword(v.pwEntry.Text, v.pwAgain.Text); err != nil {
		v.pwErr.SetText(err.Error())
		return
	}
	name, d := v.pwName, v.pwDialog
	pw, signOut := v.pwEntry.Text, v.pwSignOut.Checked
	var got adminapi.PasswordReset
	v.a.call(v.pwErr, "Resetting…", func(ctx context.Context) (err error) {
		got, err = v.a.api.ResetPassword(ctx, name, pw, signOut)
		return err
	}, func() {
		d.Hide()
		v.lastReset = got
		v.showReset(name, got)
	})
}

// showReset says what the reset did; a password the relay made up is
// shown once, with a button to copy it.
func (v *techniciansView) showReset(name string, r adminapi.PasswordReset) {
	msg := "The password of " + name + " is changed."
	if r.SignedOut > 0 {
		msg += fmt.Sprintf(" %d sign-in(s) ended.", r.SignedOut)
	}
	v.status.Importance = widget.SuccessImportance
	v.status.SetText(msg)
	if r.Password == "" {
		return
	}
	pw := widget.NewEntry()
	pw.SetText(r.Password)
	copyBtn := widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() { v.a.c.app.Clipboard().SetContent(r.Password) })
	text := widget.NewLabel("Give " + name + " this password over a safe channel; it is not shown again.")
	text.Wrapping = fyne.TextWrapWord
	dialog.ShowCustom("New password for "+name, "Done", container.NewGridWrap(fyne.NewSize(420, 140),
		container.NewVBox(text, container.NewBorder(nil, nil, nil, copyBtn, pw))), v.a.c.win)
}
