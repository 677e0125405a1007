package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/pkg/adminapi"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// Limits the relay applies to the configuration's texts (relay/api).
const (
	maxAdminName        = 100
	maxAdminDescription = 1000
	maxAdminDuration    = 30 * 24 * time.Hour
)

var (
	fieldModes    = []string{string(proto.FieldOff), string(proto.FieldOptional), string(proto.FieldRequired)}
	assignModes   = []string{string(proto.AssignOff), string(proto.AssignLeastBusy), string(proto.AssignRoundRobin)}
	inSession     = permNames(proto.InSessionPermissions())
	noFallback    = "(none)"
	errNoName     = errors.New("Give the channel a name.")
	errNoGroupNam = errors.New("Give the group a name.")
)

// ChannelForm is what the channel screen's form holds, as typed.
type ChannelForm struct {
	Name, Description string
	Groups, Managers  []string
	Default, SOSCall  bool
	LinkTTL, SLA      string
	Form              adminapi.IntakeForm
	Assign, Fallback  string
	Narrow            []string
}

// ValidateChannel checks a channel form before it is sent and makes the
// change; the error is a sentence. The relay checks again.
func ValidateChannel(f ChannelForm) (adminapi.ChannelPatch, error) {
	name := strings.TrimSpace(f.Name)
	switch {
	case name == "":
		return adminapi.ChannelPatch{}, errNoName
	case utf8.RuneCountInString(name) > maxAdminName:
		return adminapi.ChannelPatch{}, fmt.Errorf("A channel's name has at most %d characters.", maxAdminName)
	case utf8.RuneCountInString(f.Description) > maxAdminDescription:
		return adminapi.ChannelPatch{}, fmt.Errorf("A description has at most %d characters.", maxAdminDescription)
	}
	sla, err := checkDuration("The SLA", f.SLA)
	if err != nil {
		return adminapi.ChannelPatch{}, err
	}
	ttl, err := checkDuration("The link lifetime", f.LinkTTL)
	if err != nil {
		return adminapi.ChannelPatch{}, err
	}
	if ttl > 0 && ttl < time.Minute {
		return adminapi.ChannelPatch{}, errors.New("The link lifetime is at least 1m, or 0s for the relay's default.")
	}
	fallback := strings.TrimSpace(f.Fallback)
	if fallback == noFallback {
		fallback = ""
	}
	if strings.EqualFold(fallback, name) {
		return adminapi.ChannelPatch{}, errors.New("A channel cannot fall back to itself.")
	}
	for _, m := range []string{f.Form.Name, f.Form.Problem, f.Form.Category, f.Form.Priority} {
		if !proto.FieldMode(m).Valid() {
			return adminapi.ChannelPatch{}, fmt.Errorf("A form field is off, optional or required, not %q.", m)
		}
	}
	if !proto.AutoAssign(f.Assign).Valid() {
		return adminapi.ChannelPatch{}, fmt.Errorf("Auto-assign is off, least-busy or round-robin, not %q.", f.Assign)
	}
	ch := adminapi.ChannelPatch{Name: &name, ChannelSettings: adminapi.ChannelSettings{
		Description: ptr(strings.TrimSpace(f.Description)),
		Groups:      ptr(orEmpty(f.Groups)), Managers: ptr(orEmpty(f.Managers)), Default: &f.Default,
		LinkTTL: ptr(ttl.String()), SOSCall: &f.SOSCall, Form: &f.Form, Assign: ptr(f.Assign),
		SLA: ptr(sla.String()), Fallback: &fallback, Narrow: ptr(orEmpty(f.Narrow)),
	}}
	return ch, nil
}

// checkDuration reads a Go duration ("15m", "1h30m"; "" is 0) within the
// relay's bounds; what names the field in the sentence.
func checkDuration(what, s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d > maxAdminDuration {
		return 0, fmt.Errorf("%s is a duration such as 15m or 24h, from 0s to 720h, not %q.", what, s)
	}
	return d, nil
}

// orEmpty is s, or an empty list for nil (the API's lists are [], not null).
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// channelsView is the Channels screen: the list and the selected
// channel's form.
type channelsView struct {
	a       *adminUI
	content fyne.CanvasObject
	status  *widget.Label

	list     *widget.List
	channels []adminapi.Channel
	groups   []string
	techs    []string
	selected int // index in channels; -1: a new channel

	name, description, sla, linkTTL *widget.Entry
	groupsCheck, managers, narrow   *widget.CheckGroup
	isDefault, sosCall              *widget.Check
	sosLink                         *widget.Label
	copyLink                        *widget.Button
	formName, formProblem           *widget.Select
	formCategory, formPriority      *widget.Select
	assign, fallback                *widget.Select
	save, remove, add               *widget.Button
	form                            *widget.Form
	linkRow                         *fyne.Container
	rec                             *channelRecordingForm // nil: the API cannot (admin_recording.go)
}

func newChannelsView(a *adminUI) *channelsView {
	v := &channelsView{a: a, status: newStatus(), selected: -1}
	v.name, v.description = widget.NewEntry(), widget.NewMultiLineEntry()
	v.description.SetMinRowsVisible(2)
	v.sla, v.linkTTL = widget.NewEntry(), widget.NewEntry()
	v.sla.SetPlaceHolder("15m; 0s: no SLA")
	v.linkTTL.SetPlaceHolder("24h; 0s: the relay's default")
	v.groupsCheck, v.managers = widget.NewCheckGroup(nil, nil), widget.NewCheckGroup(nil, nil)
	v.groupsCheck.Horizontal, v.managers.Horizontal = true, true
	v.narrow = widget.NewCheckGroup(inSession, nil)
	v.narrow.Horizontal = true
	v.isDefault = widget.NewCheck("requests that name no channel go here", nil)
	v.sosLink = widget.NewLabel("")
	v.sosLink.Wrapping = fyne.TextWrapBreak
	v.copyLink = widget.NewButtonWithIcon("Copy link", theme.ContentCopyIcon(), func() {
		a.c.app.Clipboard().SetContent(v.sosLink.Text)
		v.status.Importance = widget.MediumImportance
		v.status.SetText("The SOS Call link is on the clipboard.")
	})
	v.sosCall = widget.NewCheck("on: the channel has a reusable SOS Call page", func(bool) { v.showLink() })
	mode := func() *widget.Select {
		s := widget.NewSelect(fieldModes, nil)
		s.SetSelected(string(proto.FieldOff))
		return s
	}
	v.formName, v.formProblem, v.formCategory, v.formPriority = mode(), mode(), mode(), mode()
	v.assign = widget.NewSelect(assignModes, nil)
	v.fallback = widget.NewSelect([]string{noFallback}, nil)
	v.save = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), v.submit)
	v.save.Importance = widget.HighImportance
	v.remove = widget.NewButtonWithIcon("Delete…", theme.DeleteIcon(), v.confirmDelete)
	v.add = widget.NewButtonWithIcon("New channel", theme.ContentAddIcon(), func() { v.list.UnselectAll(); v.edit(-1) })

	v.list = widget.NewList(func() int { return len(v.channels) },
		func() fyne.CanvasObject { return widget.NewLabel("channel name") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			ch := v.channels[i]
			text := ch.Name
			if ch.Default {
				text += " (default)"
			}
			if !ch.Manages {
				text += " (read only)"
			}
			o.(*widget.Label).SetText(text)
		})
	v.list.OnSelected = func(i widget.ListItemID) { v.edit(i) }

	v.linkRow = container.NewBorder(nil, nil, nil, v.copyLink, v.sosLink)
	form := widget.NewForm(
		widget.NewFormItem("Name", v.name),
		widget.NewFormItem("Description", v.description),
		widget.NewFormItem("Served by groups", v.groupsCheck),
		widget.NewFormItem("Managers", v.managers),
		widget.NewFormItem("Default channel", v.isDefault),
		widget.NewFormItem("SOS Call", container.NewVBox(v.sosCall, v.linkRow)),
		widget.NewFormItem("Form: name", v.formName),
		widget.NewFormItem("Form: problem", v.formProblem),
		widget.NewFormItem("Form: category", v.formCategory),
		widget.NewFormItem("Form: priority", v.formPriority),
		widget.NewFormItem("Auto-assign", v.assign),
		widget.NewFormItem("SLA", v.sla),
		widget.NewFormItem("Fallback after the SLA", v.fallback),
		widget.NewFormItem("Withhold in sessions", v.narrow),
		widget.NewFormItem("Support links valid for", v.linkTTL),
	)
	if v.rec = newChannelRecordingForm(a); v.rec != nil {
		form.AppendItem(widget.NewFormItem("Recording", v.rec.row))
	}
	v.form = form
	v.content = masterDetail(v.list, v.add, form, v.status, v.save, v.remove)
	v.edit(-1)
	v.reload("", "")
	return v
}

// reload reads channels, groups and technicians, then selects name and
// says done (a sentence, or "").
func (v *channelsView) reload(name, done string) {
	var chs []adminapi.Channel
	var gs []adminapi.Group
	var ts []adminapi.Technician
	v.a.call(v.status, "Reading the channels…", func(ctx context.Context) (err error) {
		if chs, err = v.a.api.Channels(ctx); err != nil {
			return err
		}
		if gs, err = v.a.api.Groups(ctx); err != nil {
			return err
		}
		ts, err = v.a.api.Technicians(ctx)
		return err
	}, func() {
		v.channels, v.groups, v.techs = chs, nil, nil
		for _, g := range gs {
			v.groups = append(v.groups, g.Name)
		}
		for _, t := range ts {
			v.techs = append(v.techs, t.Name)
		}
		v.groupsCheck.Options, v.managers.Options = v.groups, v.techs
		v.groupsCheck.Refresh()
		v.managers.Refresh()
		i := slices.IndexFunc(chs, func(c adminapi.Channel) bool { return strings.EqualFold(c.Name, name) })
		reloaded(v.list, i, v.edit, v.status, done)
	})
}

// managesAll reports whether the user manages every channel: only such a
// user (a technician manager) may create or delete channels, choose
// managers or the default channel; the relay refuses the others anyway.
func (v *channelsView) managesAll() bool {
	for _, ch := range v.channels {
		if !ch.Manages {
			return false
		}
	}
	return true
}

// edit shows channel i (-1: an empty form for a new channel).
func (v *channelsView) edit(i int) {
	v.selected = i
	ch := adminapi.Channel{Assign: string(proto.AssignOff), SLA: "0s", LinkTTL: "0s"}
	if i >= 0 && i < len(v.channels) {
		ch = v.channels[i]
	}
	v.name.SetText(ch.Name)
	v.description.SetText(ch.Description)
	v.groupsCheck.SetSelected(slices.Clone(ch.Groups))
	v.managers.SetSelected(slices.Clone(ch.Managers))
	v.isDefault.SetChecked(ch.Default)
	v.sosCall.SetChecked(ch.SOSCall)
	v.formName.SetSelected(modeOr(ch.Form.Name))
	v.formProblem.SetSelected(modeOr(ch.Form.Problem))
	v.formCategory.SetSelected(modeOr(ch.Form.Category))
	v.formPriority.SetSelected(modeOr(ch.Form.Priority))
	v.assign.SetSelected(ch.Assign)
	v.sla.SetText(ch.SLA)
	v.linkTTL.SetText(ch.LinkTTL)
	v.narrow.SetSelected(slices.Clone(ch.Narrow))
	others := []string{noFallback}
	for _, o := range v.channels {
		if o.Name != ch.Name {
			others = append(others, o.Name)
		}
	}
	v.fallback.Options = others
	v.fallback.SetSelected(noFallback)
	if ch.Fallback != "" {
		v.fallback.SetSelected(ch.Fallback)
	}
	v.showLink()

	all := v.managesAll()
	editable := i < 0 && all || i >= 0 && ch.Manages
	for _, w := range []fyne.Disableable{v.name, v.description, v.groupsCheck, v.sosCall, v.formName, v.formProblem, v.formCategory,
		v.formPriority, v.assign, v.sla, v.fallback, v.narrow, v.linkTTL, v.save} {
		enable(w, editable)
	}
	enable(v.managers, editable && all)
	enable(v.isDefault, editable && all)
	enable(v.remove, i >= 0 && all)
	enable(v.add, all)
	if v.rec != nil {
		v.rec.show(ch.Name, editable)
	}
	if v.form != nil {
		v.form.Refresh() // the labels follow their fields' state
	}
}

func enable(w fyne.Disableable, on bool) {
	if on {
		w.Enable()
	} else {
		w.Disable()
	}
}

func modeOr(m string) string {
	if m == "" {
		return string(proto.FieldOff)
	}
	return m
}

// showLink shows the SOS Call page's address when the relay gave its token.
func (v *channelsView) showLink() {
	link := ""
	if v.selected >= 0 && v.selected < len(v.channels) {
		if ch := v.channels[v.selected]; ch.SOSCall && ch.SOSToken != "" {
			link = "https://" + v.a.c.login.Relay + "/c/" + ch.SOSToken
		}
	}
	switch {
	case link != "" && v.sosCall.Checked:
		v.sosLink.SetText(link)
		v.copyLink.Show()
	case v.sosCall.Checked:
		v.sosLink.SetText("The link appears once the channel is saved.")
		v.copyLink.Hide()
	default:
		v.sosLink.SetText("")
		v.copyLink.Hide()
	}
	if v.linkRow != nil {
		v.linkRow.Refresh()
	}
}

// Form returns what the form holds.
func (v *channelsView) Form() ChannelForm {
	return ChannelForm{
		Name: v.name.Text, Description: v.description.Text, Groups: v.groupsCheck.Selected, Managers: v.managers.Selected,
		Default: v.isDefault.Checked, SOSCall: v.sosCall.Checked, LinkTTL: v.linkTTL.Text, SLA: v.sla.Text,
		Form:   adminapi.IntakeForm{Name: v.formName.Selected, Problem: v.formProblem.Selected, Category: v.formCategory.Selected, Priority: v.formPriority.Selected},
		Assign: v.assign.Selected, Fallback: v.fallback.Selected, Narrow: v.narrow.Selected,
	}
}

// submit validates the form and creates or changes the channel.
func (v *channelsView) submit() {
	change, err := ValidateChannel(v.Form())
	if err != nil {
		invalid(v.status, err)
		return
	}
	old := ""
	if v.selected >= 0 {
		old = v.channels[v.selected].Name
		if !v.managesAll() { // only a technician manager's change: leave them as they are
			change.Managers, change.Default = nil, nil
		}
	}
	api := v.a.api
	saveNamed(v.a, v.status, "channel", old,
		func(ctx context.Context) (adminapi.Channel, error) {
			return api.CreateChannel(ctx, adminapi.ChannelCreate{Name: *change.Name, ChannelSettings: change.ChannelSettings})
		},
		func(ctx context.Context) (adminapi.Channel, error) { return api.UpdateChannel(ctx, old, change) },
		func(ch adminapi.Channel) string { return ch.Name }, v.reload)
}

func (v *channelsView) confirmDelete() {
	if v.selected < 0 {
		return
	}
	v.a.confirmDelete(v.status, v.list, "channel", v.channels[v.selected].Name, "Its SOS Call link stops working; its history stays.",
		v.a.api.DeleteChannel, v.reload)
}

// permNames are the permissions' names, in order.
func permNames(ps []proto.Permission) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	return out
}
