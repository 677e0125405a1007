package ui

import (
	"context"
	"fmt"
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/pkg/filexfer"
)

// FileMover is a Remote that moves files (the Live backend's sessions):
// the session tab then offers Send file and Fetch file and takes files
// dropped on the window.
type FileMover interface {
	// SendFile sends the local file at path to the end user's Downloads
	// folder; FetchFile copies the end user's file at path into the
	// technician's Downloads folder. Both block until the transfer ended
	// and give progress to onEvent (on any goroutine).
	SendFile(ctx context.Context, path string, onEvent func(filexfer.Event)) (filexfer.Event, error)
	FetchFile(ctx context.Context, path string, onEvent func(filexfer.Event)) (filexfer.Event, error)
	// WatchFiles sets what gets the progress and the end of the files the
	// end user sends (they arrive in the technician's Downloads folder).
	WatchFiles(onEvent func(filexfer.Event))
	// CancelFile stops transfer id on both sides.
	CancelFile(id string)
}

// fileTools are the session toolbar's file buttons (none when the
// backend moves no files).
func (t *sessionTab) fileTools() []fyne.CanvasObject {
	t.sendFile = widget.NewButtonWithIcon("Send file…", theme.UploadIcon(), func() {
		d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
			if err != nil || r == nil {
				return
			}
			r.Close()
			t.moveFiles([]fyne.URI{r.URI()})
		}, t.c.win)
		d.Show()
	})
	t.fetchFile = widget.NewButtonWithIcon("Fetch file…", theme.DownloadIcon(), func() {
		path := widget.NewEntry()
		path.SetPlaceHolder(`C:\Users\ann\Documents\log.txt`)
		dialog.ShowForm("Fetch a file from the end user's computer", "Fetch", "Cancel",
			[]*widget.FormItem{widget.NewFormItem("Path", path)}, func(ok bool) {
				if ok && path.Text != "" {
					t.fetch(path.Text)
				}
			}, t.c.win)
	})
	t.cancelFile = widget.NewButtonWithIcon("Cancel transfer", theme.CancelIcon(), func() {
		if m := t.mover(); m != nil && t.runningFile != "" {
			m.CancelFile(t.runningFile)
		}
	})
	t.cancelFile.Disable()
	return []fyne.CanvasObject{t.sendFile, t.fetchFile, t.cancelFile}
}

// mover is the tab's Remote as a FileMover, or nil.
func (t *sessionTab) mover() FileMover {
	m, _ := t.remote.(FileMover)
	return m
}

// moveFiles sends dropped or picked files one after the other, with a
// progress line in the status bar.
func (t *sessionTab) moveFiles(uris []fyne.URI) {
	m := t.mover()
	if m == nil {
		t.setStatus("This console cannot send files in this session.")
		return
	}
	var paths []string
	for _, u := range uris {
		if u.Scheme() != storage.NewFileURI("/").Scheme() {
			continue
		}
		paths = append(paths, u.Path())
	}
	if len(paths) == 0 {
		t.setStatus("Only files from this computer can be sent.")
		return
	}
	t.c.wg.Go(func() { // owned by the console, which waits for it on close
		for _, p := range paths {
			ev, err := m.SendFile(context.Background(), p, t.fileProgress) // ends with the session
			t.c.do(func() { t.fileEnded(filepath.Base(p), ev, err) })
		}
	})
}

// fetch copies one file from the end user's computer.
func (t *sessionTab) fetch(path string) {
	m := t.mover()
	if m == nil {
		t.setStatus("This console cannot fetch files in this session.")
		return
	}
	t.setStatus("Asking the end user to allow copying " + path + "…")
	t.c.wg.Go(func() {
		ev, err := m.FetchFile(context.Background(), path, t.fileProgress) // ends with the session
		t.c.do(func() { t.fileEnded(path, ev, err) })
	})
}

// fileProgress shows a transfer's progress, and how it ended (a file
// the end user sent too), in the status bar.
func (t *sessionTab) fileProgress(ev filexfer.Event) {
	t.c.do(func() {
		switch {
		case ev.State == "":
			t.runningFile = ev.ID
			t.cancelFile.Enable()
		case ev.ID == t.runningFile:
			t.runningFile = ""
			t.cancelFile.Disable()
		}
		switch {
		case ev.Resumed:
			t.setStatus(fmt.Sprintf("%s: the connection is back; going on from %s.", ev.Name, filexfer.Bytes(ev.Done)))
		case ev.State != "":
			t.fileEnded(ev.Name, ev, nil)
		default:
			t.setStatus(filexfer.Progress(ev))
		}
	})
}

// fileEnded says how a transfer ended.
func (t *sessionTab) fileEnded(what string, ev filexfer.Event, err error) {
	switch {
	case err != nil:
		t.setStatus(what + ": " + sentence(err))
	case ev.State != "done":
		t.setStatus(what + ": " + ev.Reason)
	case ev.Send:
		t.setStatus(fmt.Sprintf("Sent %s (%s); the end user's app saved it as %s.", what, filexfer.Bytes(ev.Size), ev.Path))
	default:
		t.setStatus(fmt.Sprintf("Received %s (%s) into %s.", what, filexfer.Bytes(ev.Size), ev.Path))
	}
}

// dropped sends files dropped on the console's window to the session of
// the selected tab.
func (c *Console) dropped(_ fyne.Position, uris []fyne.URI) {
	if c.tabs == nil {
		return
	}
	for _, t := range c.sessions {
		if c.tabs.Selected() == t.item {
			t.moveFiles(uris)
			return
		}
	}
}
