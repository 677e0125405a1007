package ui

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"

	"github.com/relaydesk/relaydesk/pkg/filexfer"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// moverRemote is a session that moves files: sends succeed, fetches are
// refused with the relay's sentence.
type moverRemote struct {
	*fakeRemote
	mu        sync.Mutex
	sent      []string
	watch     func(filexfer.Event)
	cancelled []string
}

func (m *moverRemote) SendFile(_ context.Context, path string, onEvent func(filexfer.Event)) (filexfer.Event, error) {
	m.mu.Lock()
	m.sent = append(m.sent, path)
	m.mu.Unlock()
	job := filexfer.Job{ID: "id-" + filepath.Base(path), Send: true, Name: filepath.Base(path), Size: 2000}
	onEvent(filexfer.Event{Job: job, Done: 1000})
	return filexfer.Event{Job: job, Done: 2000, State: proto.FileDone, Path: filepath.Base(path)}, nil
}

func (m *moverRemote) FetchFile(context.Context, string, func(filexfer.Event)) (filexfer.Event, error) {
	return filexfer.Event{}, &proto.Failure{Code: proto.ErrForbidden, Message: "You may not transfer files."}
}

func (m *moverRemote) WatchFiles(onEvent func(filexfer.Event)) {
	m.mu.Lock()
	m.watch = onEvent
	m.mu.Unlock()
}

func (m *moverRemote) CancelFile(id string) {
	m.mu.Lock()
	m.cancelled = append(m.cancelled, id)
	m.mu.Unlock()
}

func (m *moverRemote) sentFiles() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.sent...)
}

// Files dropped on the window go to the selected session; the status bar
// says how each ended; a session that moves no files (or only lets the
// technician watch) offers no file buttons.
func TestDroppedFilesAreSent(t *testing.T) {
	c, be, tab := sessionConsole(t, proto.Connect{Code: "123456789"})
	tab.Connected(proto.Connected{Session: proto.SessionInfo{ID: "s1", Status: "Active"}})
	testLoop.run()
	if !tab.sendFile.Disabled() || !tab.fetchFile.Disabled() {
		t.Fatal("a session that moves no files offers the file buttons")
	}
	m := &moverRemote{fakeRemote: be.remotes[0]}
	tab.remote = m
	tab.Connected(proto.Connected{Session: proto.SessionInfo{ID: "s1", Status: "Active"}, Resumed: true})
	testLoop.run()
	if tab.sendFile.Disabled() || tab.fetchFile.Disabled() {
		t.Fatal("the file buttons are off")
	}
	c.dropped(fyne.NewPos(10, 10), []fyne.URI{storage.NewFileURI("/home/tina/report.pdf"), storage.NewFileURI("/home/tina/b.txt")})
	eventually(t, "both files sent", func() bool {
		return len(m.sentFiles()) == 2 && tab.status.Text == "Sent b.txt (2.0 kB); the end user's app saved it as b.txt."
	})
	if got := m.sentFiles(); got[0] != "/home/tina/report.pdf" || got[1] != "/home/tina/b.txt" {
		t.Fatalf("sent %q", got)
	}
	u, _ := storage.ParseURI("https://example.com/x")
	c.dropped(fyne.NewPos(10, 10), []fyne.URI{u})
	testLoop.run()
	if tab.status.Text != "Only files from this computer can be sent." {
		t.Fatalf("status %q", tab.status.Text)
	}
	// A running transfer can be cancelled.
	m.mu.Lock()
	watch := m.watch
	m.mu.Unlock()
	watch(filexfer.Event{Job: filexfer.Job{ID: "0f", Name: "big.iso", Size: 3000}, Done: 100})
	eventually(t, "the cancel button", func() bool { return !tab.cancelFile.Disabled() })
	test.Tap(tab.cancelFile)
	if m.cancelled[0] != "0f" {
		t.Fatalf("cancelled %q", m.cancelled)
	}
	watch(filexfer.Event{Job: filexfer.Job{ID: "0f", Name: "big.iso"}, State: proto.FileCancelled, Reason: "The technician cancelled the transfer."})
	eventually(t, "the cancel", func() bool {
		return tab.cancelFile.Disabled() && tab.status.Text == "big.iso: The technician cancelled the transfer."
	})
	// A file the end user sent: its end shows.
	watch(filexfer.Event{Job: filexfer.Job{Name: "error.png", Size: 3000}, State: proto.FileDone, Path: "/home/tina/Downloads/error.png"})
	eventually(t, "the received file", func() bool {
		return tab.status.Text == "Received error.png (3.0 kB) into /home/tina/Downloads/error.png."
	})
	tab.fetch("/etc/passwd")
	eventually(t, "the refusal", func() bool { return tab.status.Text == "/etc/passwd: You may not transfer files." })

	tab.Connected(proto.Connected{Session: proto.SessionInfo{ID: "s1", Status: "Active"}, Granted: proto.Grant{proto.PermView}, Resumed: true})
	testLoop.run()
	if !tab.sendFile.Disabled() {
		t.Fatal("a technician who only watches may send files")
	}
}
