package terminal

import (
	"context"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/agent/files"
	"github.com/relaydesk/relaydesk/pkg/filexfer"
)

// AskFetch implements files.UI: the next line typed answers; y or yes
// allows, anything else declines.
func (t *Terminal) AskFetch(ctx context.Context, technician, path string, size int64) bool {
	line, ok := t.ask(ctx, technician+" wants to copy the file "+path+" ("+filexfer.Bytes(size)+") from this computer. Allow? [y/N]")
	if ok && (strings.EqualFold(strings.TrimSpace(line), "y") || strings.EqualFold(strings.TrimSpace(line), "yes")) {
		t.Say("You allowed %s to copy %s.", technician, path)
		return true
	}
	t.Say("You did not allow copying %s.", path)
	return false
}

// progressEvery is how often a transfer's progress is printed.
const progressEvery = 2 * time.Second

// FileEvent implements files.UI: a line when a transfer starts, its
// progress every two seconds, and how it ended (where a received file went).
func (t *Terminal) FileEvent(technician string, ev filexfer.Event) {
	line, progress := files.Describe(technician, ev)
	if progress {
		if last, ok := t.progress.Load(ev.ID); ok && time.Since(last.(time.Time)) < progressEvery {
			return
		}
		t.progress.Store(ev.ID, time.Now())
	} else {
		t.progress.Delete(ev.ID)
	}
	t.Say("%s", line)
}
