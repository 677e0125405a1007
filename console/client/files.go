package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/relaydesk/relaydesk/pkg/filexfer"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// StartFile asks the relay to authorise a transfer in the session.
func (s *Session) StartFile(ctx context.Context, req proto.FileStart) (proto.FileStarted, error) {
	c, id, err := s.current()
	if err != nil {
		return proto.FileStarted{}, err
	}
	req.SessionID = id
	var r proto.FileStarted
	err = c.peer.Call(ctx, proto.TypeFileStart, &req, proto.TypeFileStarted, &r)
	return r, err
}

// ReportFile tells the relay how a transfer ended.
func (s *Session) ReportFile(ctx context.Context, r proto.FileReport) error {
	c, id, err := s.current()
	if err != nil {
		return err
	}
	r.SessionID = id
	return c.peer.Call(ctx, proto.TypeFileReport, &r, proto.TypeOK, nil)
}

// ErrNoFilesChannel means the end user's app opened no files channel.
var ErrNoFilesChannel = errors.New("The end user's app has no file channel open to you (it allows you to watch only, or it is an older app).")

// Files moves files in the session a Session runs: the relay authorises
// each transfer, the bytes go over the files data channel, and a transfer
// cut by a dropped connection goes on over the next channel from the byte
// the receiver has.
type Files struct {
	sess *Session
	ep   filexfer.Endpoint
	log  *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	opened  chan struct{} // closed when the first files channel opened
	once    sync.Once
	sending int // reports on their way to the relay
}

// NewFiles returns the file transfers of sess; fetched files go into dir;
// onEvent (may be nil) gets progress and ends and must not block.
func NewFiles(sess *Session, dir string, onEvent func(filexfer.Event), log *slog.Logger) *Files {
	if log == nil {
		log = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &Files{sess: sess, log: log, ctx: ctx, cancel: cancel, opened: make(chan struct{})}
	f.ep = filexfer.Endpoint{Dir: dir, Driver: true, OnEvent: onEvent, Logger: log, Report: f.report}
	return f
}

// Attach takes a files channel the end user's app opened (remote.Viewer's
// OnFilesChannel); a newer one replaces the last.
func (f *Files) Attach(dc *webrtc.DataChannel) {
	use := func() {
		f.ep.Use(dc)
		f.once.Do(func() { close(f.opened) })
	}
	dc.OnOpen(use)
	dc.OnMessage(func(m webrtc.DataChannelMessage) { use(); f.ep.OnMessage(m.Data) })
}

// ready waits for the first files channel, at most wait once the
// session is connected.
func (f *Files) ready(ctx context.Context, wait time.Duration) error {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	var connected time.Time
	for {
		select {
		case <-f.opened:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case now := <-t.C:
			switch {
			case f.sess.ID() == "":
			case connected.IsZero():
				connected = now
			case now.Sub(connected) > wait:
				return ErrNoFilesChannel
			}
		}
	}
}

// Send sends the local file at path to the end user's Downloads folder
// and returns how it ended.
func (f *Files) Send(ctx context.Context, path string) (filexfer.Event, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return filexfer.Event{}, fmt.Errorf("%s cannot be read: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return filexfer.Event{}, fmt.Errorf("%s is not a file", path)
	}
	if err := f.ready(ctx, 30*time.Second); err != nil {
		return filexfer.Event{}, err
	}
	name := filepath.Base(path) // as it is: the end user's app makes it safe
	st, err := f.sess.StartFile(ctx, proto.FileStart{Direction: proto.FileSend, Name: name, Size: fi.Size()})
	if err != nil {
		return filexfer.Event{}, err
	}
	return f.run(ctx, filexfer.Job{ID: st.ID, SessionID: f.sess.ID(), Send: true, Path: path, Name: name, Size: fi.Size()})
}

// Fetch copies the file at remotePath on the end user's computer (after
// their click) into the folder NewFiles was given.
func (f *Files) Fetch(ctx context.Context, remotePath string) (filexfer.Event, error) {
	if err := f.ready(ctx, 30*time.Second); err != nil {
		return filexfer.Event{}, err
	}
	st, err := f.sess.StartFile(ctx, proto.FileStart{Direction: proto.FileFetch, Name: remotePath})
	if err != nil {
		return filexfer.Event{}, err
	}
	return f.run(ctx, filexfer.Job{ID: st.ID, SessionID: f.sess.ID(), Name: filexfer.SafeName(remotePath), Limit: st.Limit})
}

// Offered takes a file the end user sends (a FileOffer event with
// Direction FileUp): it is fetched into the folder NewFiles was given,
// and done gets how it ended, on a goroutine f owns.
func (f *Files) Offered(o proto.FileOffer, done func(filexfer.Event)) {
	if o.Direction != proto.FileUp {
		return
	}
	j := filexfer.Job{ID: o.ID, SessionID: o.SessionID, Name: filexfer.SafeName(o.Name), Size: o.Size, Limit: o.Limit}
	f.wg.Go(func() {
		ev, err := f.run(f.ctx, j)
		if err != nil {
			ev = filexfer.Event{Job: j, State: proto.FileFailed, Reason: sentenceOf(err)}
		}
		if done != nil {
			done(ev)
		}
	})
}

// sentenceOf is err as a sentence for a person.
func sentenceOf(err error) string {
	var fail *proto.Failure
	if errors.As(err, &fail) {
		return fail.Message
	}
	return err.Error()
}

// run starts j and waits for its end; ctx's end cancels it on both sides.
func (f *Files) run(ctx context.Context, j filexfer.Job) (filexfer.Event, error) {
	if err := f.ep.Start(j); err != nil {
		f.report(proto.FileReport{SessionID: j.SessionID, ID: j.ID, State: proto.FileFailed, Reason: "The console could not store the file."})
		return filexfer.Event{}, err
	}
	ev, err := f.ep.Wait(ctx, j.ID)
	if err != nil {
		f.ep.Cancel(j.ID, "The technician cancelled the transfer.")
		return filexfer.Event{}, err
	}
	return ev, nil
}

// Cancel stops transfer id on both sides.
func (f *Files) Cancel(id string) { f.ep.Cancel(id, "The technician cancelled the transfer.") }

// report tells the relay on a goroutine f owns, retrying while the
// connection is down.
func (f *Files) report(r proto.FileReport) {
	f.mu.Lock()
	f.sending++
	f.mu.Unlock()
	f.wg.Go(func() {
		defer func() {
			f.mu.Lock()
			f.sending--
			f.mu.Unlock()
		}()
		for try := 0; ; try++ {
			ctx, cancel := context.WithTimeout(f.ctx, 10*time.Second)
			err := f.sess.ReportFile(ctx, r)
			cancel()
			var fail *proto.Failure
			if err == nil || errors.As(err, &fail) || try == 30 || f.ctx.Err() != nil {
				if err != nil {
					f.log.Warn("report a transfer to the relay", "id", r.ID, "err", err)
				}
				return
			}
			select {
			case <-f.ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	})
}

// Settle waits until the relay has every report sent so far (or ctx
// ends): a session ended right after a transfer keeps its record.
func (f *Files) Settle(ctx context.Context) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		f.mu.Lock()
		n := f.sending
		f.mu.Unlock()
		if n == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Close stops the transfers (unfinished files are removed) and waits for the
// reports still being sent, at most a few seconds.
func (f *Files) Close() {
	f.ep.Close()
	done := make(chan struct{})
	go func() { f.wg.Wait(); close(done) }() // owned: Close waits for it or cancels what it waits for
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		f.cancel()
		<-done
	}
	f.cancel()
}

// ID is the session's ID ("" before it connected).
func (s *Session) ID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.id
}

// FileList lists the transfers of a session the technician may see.
func (c *Conn) FileList(ctx context.Context, sessionID string) (proto.FileList, error) {
	var l proto.FileList
	err := c.peer.Call(ctx, proto.TypeFileList, &proto.FileListRequest{SessionID: sessionID}, proto.TypeFileListed, &l)
	return l, err
}
