package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/console/client"
	"github.com/relaydesk/relaydesk/pkg/adminapi"
)

// ChannelRecordings is the part of the admin API that reads and sets a
// channel's recording policy and retention.
type ChannelRecordings interface {
	ChannelRecording(ctx context.Context, name string) (adminapi.ChannelRecording, error)
	SetChannelRecording(ctx context.Context, name string, rs adminapi.ChannelRecording) (adminapi.ChannelRecording, error)
}

// The program's admin client fits.
var _ ChannelRecordings = (*client.Admin)(nil)

// recordingPolicies are the policy choice's entries, as the relay names them.
var recordingPolicies = []string{"off", "allowed", "required"}

// ValidateRecording checks the recording row of the channel form: a
// policy and a number of days (empty: 0, kept until deleted by hand).
func ValidateRecording(policy, keepDays string) (adminapi.ChannelRecording, error) {
	rs := adminapi.ChannelRecording{Policy: policy}
	if !slices.Contains(recordingPolicies, policy) {
		return rs, errors.New("Choose whether the channel records: off, allowed or required.")
	}
	if k := strings.TrimSpace(keepDays); k != "" {
		n, err := strconv.Atoi(k)
		if err != nil || n < 0 || n > adminapi.MaxKeepDays {
			return rs, fmt.Errorf("Keep recordings for a number of days from 0 (until deleted by hand) to %d, not %q.", adminapi.MaxKeepDays, keepDays)
		}
		rs.KeepDays = n
	}
	return rs, nil
}

// channelRecordingForm is the Recording row of the channel form: the
// policy and the retention, read when a channel is shown and saved on its
// own (the relay keeps them apart from the channel's other settings).
type channelRecordingForm struct {
	a       *adminUI
	api     ChannelRecordings
	policy  *widget.Select
	keep    *widget.Entry
	save    *widget.Button
	note    *widget.Label // the row's own status: what was read or saved
	row     fyne.CanvasObject
	channel string // the channel shown; "" for a new one
}

// newChannelRecordingForm builds the row; nil when the admin API cannot
// set recording policies.
func newChannelRecordingForm(a *adminUI) *channelRecordingForm {
	api, ok := a.api.(ChannelRecordings)
	if !ok {
		return nil
	}
	f := &channelRecordingForm{a: a, api: api, note: widget.NewLabel("")}
	f.policy = widget.NewSelect(recordingPolicies, nil)
	f.keep = widget.NewEntry()
	f.keep.SetPlaceHolder("0: until deleted")
	f.save = widget.NewButtonWithIcon("Save recording", theme.DocumentSaveIcon(), f.submit)
	f.row = container.NewVBox(container.NewHBox(f.policy, widget.NewLabel("keep for"), container.NewGridWrap(fyne.NewSize(140, f.keep.MinSize().Height), f.keep),
		widget.NewLabel("days"), f.save), f.note)
	return f
}

// show reads channel name's policy into the row (""; a new channel: the
// row waits for the channel to be saved).
func (f *channelRecordingForm) show(name string, editable bool) {
	f.channel = name
	f.policy.ClearSelected()
	f.keep.SetText("")
	for _, w := range []fyne.Disableable{f.policy, f.keep, f.save} {
		w.Disable()
	}
	if name == "" {
		f.note.SetText("Save the channel first, then its recording policy.")
		return
	}
	var rs adminapi.ChannelRecording
	f.a.call(f.note, "Reading the recording policy…", func(ctx context.Context) (err error) {
		rs, err = f.api.ChannelRecording(ctx, name)
		return err
	}, func() {
		if f.channel != name {
			return
		}
		f.policy.SetSelected(rs.Policy)
		f.keep.SetText(strconv.Itoa(rs.KeepDays))
		for _, w := range []fyne.Disableable{f.policy, f.keep, f.save} {
			enable(w, editable)
		}
	})
}

// submit saves the row.
func (f *channelRecordingForm) submit() {
	rs, err := ValidateRecording(f.policy.Selected, f.keep.Text)
	if err != nil {
		invalid(f.note, err)
		return
	}
	name := f.channel
	f.a.call(f.note, "Saving the recording policy…", func(ctx context.Context) (err error) {
		rs, err = f.api.SetChannelRecording(ctx, name, rs)
		return err
	}, func() {
		kept := "kept until deleted by hand"
		if rs.KeepDays > 0 {
			kept = fmt.Sprintf("deleted %d days after they end", rs.KeepDays)
		}
		f.note.SetText(fmt.Sprintf("Channel %s: recording %s; recordings are %s.", name, rs.Policy, kept))
	})
}
