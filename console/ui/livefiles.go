package ui

import (
	"context"
	"log/slog"
	"sync"

	"github.com/relaydesk/relaydesk/console/client"
	"github.com/relaydesk/relaydesk/pkg/filexfer"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// liveFiles is a live session's file transfers: fetched files go to the
// technician's Downloads folder; progress goes to whoever started the
// latest transfer.
type liveFiles struct {
	*client.Files
	mu      sync.Mutex
	onEvent func(filexfer.Event)
}

func newLiveFiles(sess *client.Session, log *slog.Logger) *liveFiles {
	dir, err := filexfer.DownloadDir()
	if err != nil {
		dir = "." // no home folder: the working directory
	}
	lf := &liveFiles{}
	lf.Files = client.NewFiles(sess, dir, func(ev filexfer.Event) {
		lf.mu.Lock()
		f := lf.onEvent
		lf.mu.Unlock()
		if f != nil {
			f(ev)
		}
	}, log)
	return lf
}

// offered fetches a file the end user sends; its progress and end go
// to the watcher.
func (lf *liveFiles) offered(o proto.FileOffer) { lf.Offered(o, nil) }

// CancelFile implements FileMover.
func (s *liveSession) CancelFile(id string) { s.files.Cancel(id) }

// WatchFiles implements FileMover.
func (s *liveSession) WatchFiles(onEvent func(filexfer.Event)) { s.files.watch(onEvent) }

func (lf *liveFiles) watch(f func(filexfer.Event)) {
	lf.mu.Lock()
	lf.onEvent = f
	lf.mu.Unlock()
}

// SendFile implements FileMover.
func (s *liveSession) SendFile(ctx context.Context, path string, onEvent func(filexfer.Event)) (filexfer.Event, error) {
	return s.move(ctx, onEvent, func(ctx context.Context) (filexfer.Event, error) { return s.files.Send(ctx, path) })
}

// FetchFile implements FileMover.
func (s *liveSession) FetchFile(ctx context.Context, path string, onEvent func(filexfer.Event)) (filexfer.Event, error) {
	return s.move(ctx, onEvent, func(ctx context.Context) (filexfer.Event, error) { return s.files.Fetch(ctx, path) })
}

// move runs one transfer until it ended, ctx ended or the session did.
func (s *liveSession) move(ctx context.Context, onEvent func(filexfer.Event), run func(context.Context) (filexfer.Event, error)) (filexfer.Event, error) {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	defer context.AfterFunc(s.ctx, stop)()
	s.files.watch(onEvent)
	return run(ctx)
}
