package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/pkg/adminapi"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// ValidateSettings checks the organisation form (categories and
// priorities one per line) and makes the change; the error is a sentence.
func ValidateSettings(org, categories, priorities string) (adminapi.SettingsPatch, error) {
	org = strings.TrimSpace(org)
	if utf8.RuneCountInString(org) > 200 {
		return adminapi.SettingsPatch{}, fmt.Errorf("The organisation's name has at most 200 characters.")
	}
	cats, err := checkList(categories, "categories", 50)
	if err != nil {
		return adminapi.SettingsPatch{}, err
	}
	prios, err := checkList(priorities, "priorities", 20)
	if err != nil {
		return adminapi.SettingsPatch{}, err
	}
	return adminapi.SettingsPatch{Organisation: &org, Categories: &cats, Priorities: &prios}, nil
}

// checkList reads one entry per line: none empty, none twice, 1 to max.
func checkList(text, what string, max int) ([]string, error) {
	var out []string
	for _, s := range strings.Split(text, "\n") {
		s = strings.TrimSpace(s)
		switch {
		case s == "":
			continue
		case len(s) > proto.MaxField:
			return nil, fmt.Errorf("Each of the %s has at most %d characters.", what, proto.MaxField)
		case slices.Contains(out, s):
			return nil, fmt.Errorf("%q is twice in the %s.", s, what)
		}
		out = append(out, s)
	}
	switch {
	case len(out) == 0:
		return nil, fmt.Errorf("The %s cannot be empty: give one per line.", what)
	case len(out) > max:
		return nil, fmt.Errorf("There are at most %d %s.", max, what)
	}
	return out, nil
}

// settingsView is the Organisation screen: its name, categories and
// priorities.
type settingsView struct {
	a                           *adminUI
	content                     fyne.CanvasObject
	status                      *widget.Label
	org, categories, priorities *widget.Entry
	save                        *widget.Button
}

func newSettingsView(a *adminUI) *settingsView {
	v := &settingsView{a: a, status: newStatus()}
	v.org = widget.NewEntry()
	v.categories, v.priorities = widget.NewMultiLineEntry(), widget.NewMultiLineEntry()
	v.categories.SetMinRowsVisible(6)
	v.priorities.SetMinRowsVisible(4)
	v.save = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), v.submit)
	v.save.Importance = widget.HighImportance
	form := widget.NewForm(
		widget.NewFormItem("Organisation", v.org),
		widget.NewFormItem("Categories (one per line)", v.categories),
		widget.NewFormItem("Priorities (most urgent first)", v.priorities),
	)
	v.content = container.NewBorder(nil, container.NewVBox(v.status, container.NewHBox(v.save)), nil, nil, container.NewVScroll(form))
	var s adminapi.Settings
	a.call(v.status, "Reading the settings…", func(ctx context.Context) (err error) {
		s, err = a.api.Settings(ctx)
		return err
	}, func() { v.show(s, "") })
	return v
}

func (v *settingsView) show(s adminapi.Settings, done string) {
	v.org.SetText(s.Organisation)
	v.categories.SetText(strings.Join(s.Categories, "\n"))
	v.priorities.SetText(strings.Join(s.Priorities, "\n"))
	v.status.Importance = widget.SuccessImportance
	v.status.SetText(done)
}

func (v *settingsView) submit() {
	change, err := ValidateSettings(v.org.Text, v.categories.Text, v.priorities.Text)
	if err != nil {
		invalid(v.status, err)
		return
	}
	var s adminapi.Settings
	v.a.call(v.status, "Saving the settings…", func(ctx context.Context) (err error) {
		s, err = v.a.api.UpdateSettings(ctx, change)
		return err
	}, func() { v.show(s, "Settings saved; they apply at once.") })
}
