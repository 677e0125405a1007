// Package files is the SOS app's side of file transfer: it saves the
// files technicians send into the end user's Downloads folder and sends
// the files they fetch after the end user's click, only for transfers the
// relay offered, from the technician it offered them to, within the
// channel's limit (the app checks it again: it is the last line of
// defence). The bytes move over the "files" data channel (pkg/filexfer).
package files

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/relaydesk/relaydesk/pkg/filexfer"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// UI is what the end user sees of file transfers.
type UI interface {
	// AskFetch asks whether technician may copy the file at path (size
	// bytes) from this computer; it blocks until the end user answered or
	// ctx ended (false).
	AskFetch(ctx context.Context, technician, path string, size int64) bool
	// FileEvent shows a transfer's progress (a few times a second) or its
	// end (ev.State set); it must not block.
	FileEvent(technician string, ev filexfer.Event)
}

// Config configures a Service.
type Config struct {
	// Dir is where incoming files go (filexfer.DownloadDir).
	Dir string
	// Report tells the relay how a transfer ended (session.Agent.ReportFile).
	Report func(ctx context.Context, r proto.FileReport) error
	// Upload asks the relay to authorise a file the end user sends
	// (session.Agent.UploadFile); nil: the end user sends none.
	Upload func(ctx context.Context, name string, size int64) (proto.FileOffer, error)
	Logger *slog.Logger
}

// Service runs the app's transfers, one filexfer.Endpoint per technician.
type Service struct {
	cfg Config
	log *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	ui     UI
	offers map[string]proto.FileOffer
	peers  map[int64]*filexfer.Endpoint
}

// New returns a Service; Close ends it.
func New(cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{cfg: cfg, log: cfg.Logger, ctx: ctx, cancel: cancel,
		offers: make(map[string]proto.FileOffer), peers: make(map[int64]*filexfer.Endpoint)}
}

// SetUI sets what shows transfers and asks about fetches (nil: fetches
// are refused, incoming files are saved without a word).
func (s *Service) SetUI(ui UI) {
	s.mu.Lock()
	s.ui = ui
	s.mu.Unlock()
}

// Offer takes a transfer the relay authorised; a file over the limit is
// refused here too.
func (s *Service) Offer(o proto.FileOffer) error {
	switch {
	case !o.Direction.Valid() || o.ID == "" || o.Peer.ID == 0:
		return proto.Errorf(proto.ErrBadRequest, "The end user's app cannot read this transfer.")
	case o.Direction == proto.FileSend && o.Size > o.Limit:
		return proto.Errorf(proto.ErrFileTooLarge, "The end user's app takes files of at most %s; this one has %s.", filexfer.Bytes(o.Limit), filexfer.Bytes(o.Size))
	case o.Direction == proto.FileSend && s.cfg.Dir == "":
		return proto.Errorf(proto.ErrInternal, "The end user's app has no folder to save files in.")
	}
	s.mu.Lock()
	s.offers[o.ID] = o
	s.mu.Unlock()
	return nil
}

// Attach runs technician peer's files channel (a new one after a
// reconnect takes over, and unfinished transfers go on over it).
func (s *Service) Attach(peer int64, dc *webrtc.DataChannel) {
	s.mu.Lock()
	ep := s.peers[peer]
	if ep == nil {
		ep = &filexfer.Endpoint{Dir: s.cfg.Dir, Logger: s.log,
			Accept:  func(ctx context.Context, m proto.FileMsg) (filexfer.Job, error) { return s.accept(ctx, peer, m) },
			Report:  s.report,
			OnEvent: func(ev filexfer.Event) { s.event(ev) },
		}
		s.peers[peer] = ep
	}
	s.mu.Unlock()
	dc.OnOpen(func() { ep.Use(dc) })
	dc.OnMessage(func(m webrtc.DataChannelMessage) { ep.Use(dc); ep.OnMessage(m.Data) })
}

// accept decides on a transfer technician peer opens: one the relay
// offered for them; a fetch after the end user's click.
func (s *Service) accept(ctx context.Context, peer int64, m proto.FileMsg) (filexfer.Job, error) {
	o, ok := s.offer(ctx, m.ID)
	s.mu.Lock()
	ui := s.ui
	s.mu.Unlock()
	if !ok || o.Peer.ID != peer {
		s.log.Warn("refused a transfer the relay did not offer", "id", m.ID, "peer", peer)
		return filexfer.Job{}, errors.New("The relay did not announce this transfer; the end user's app refused it.")
	}
	if o.Direction == proto.FileSend {
		name := filexfer.SafeName(o.Name)
		return filexfer.Job{SessionID: o.SessionID, Name: name, Size: o.Size, Limit: o.Size}, nil
	}
	if o.Direction == proto.FileUp { // the end user chose it: no question
		if fi, err := os.Stat(o.Name); err != nil || fi.Size() != o.Size {
			return filexfer.Job{}, errors.New("The file changed on the end user's computer; they may send it again.")
		}
		return filexfer.Job{SessionID: o.SessionID, Send: true, Path: o.Name, Name: filepath.Base(o.Name), Size: o.Size}, nil
	}
	refuse := func(reason string) (filexfer.Job, error) {
		s.report(proto.FileReport{SessionID: o.SessionID, ID: o.ID, State: proto.FileRefused, Reason: reason})
		return filexfer.Job{}, errors.New(reason)
	}
	fi, err := os.Stat(o.Name)
	switch {
	case err != nil || !fi.Mode().IsRegular():
		return refuse(fmt.Sprintf("There is no file %s on the end user's computer.", o.Name))
	case fi.Size() > o.Limit:
		return refuse(fmt.Sprintf("%s has %s; at most %s may be transferred.", o.Name, filexfer.Bytes(fi.Size()), filexfer.Bytes(o.Limit)))
	case ui == nil:
		return refuse("The end user's app cannot ask the end user, so it sends no files.")
	}
	if !ui.AskFetch(ctx, o.Peer.Name, o.Name, fi.Size()) {
		return refuse(fmt.Sprintf("The end user did not allow copying %s.", o.Name))
	}
	return filexfer.Job{SessionID: o.SessionID, Send: true, Path: o.Name, Name: filepath.Base(o.Name), Size: fi.Size()}, nil
}

// offer finds offer id, waiting a little: the relay's answer to an
// upload may reach the app after the console opened it.
func (s *Service) offer(ctx context.Context, id string) (proto.FileOffer, bool) {
	for try := 0; ; try++ {
		s.mu.Lock()
		o, ok := s.offers[id]
		s.mu.Unlock()
		if ok || try == 50 {
			return o, ok
		}
		select {
		case <-ctx.Done():
			return o, false
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// report tells the relay on a goroutine the Service owns.
func (s *Service) report(r proto.FileReport) {
	if s.cfg.Report == nil {
		return
	}
	s.wg.Go(func() {
		// The connection to the relay may be down (it comes back): retry
		// for a minute; an answer from the relay, even a refusal, ends it.
		for try := 0; ; try++ {
			err := s.cfg.Report(s.ctx, r)
			var f *proto.Failure
			if err == nil || errors.As(err, &f) || try == 60 {
				if err != nil {
					s.log.Warn("report a transfer to the relay", "id", r.ID, "state", r.State, "err", err)
				}
				return
			}
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	})
}

func (s *Service) event(ev filexfer.Event) {
	s.mu.Lock()
	ui, o := s.ui, s.offers[ev.ID]
	if ev.State.Final() {
		delete(s.offers, ev.ID)
	}
	s.mu.Unlock()
	if ui != nil {
		ui.FileEvent(o.Peer.Name, ev)
	}
}

// Upload sends the end user's file at path to the technician who
// controls: the relay authorises it and offers it to their console,
// which fetches it over the files channel.
func (s *Service) Upload(ctx context.Context, path string) error {
	if s.cfg.Upload == nil {
		return errors.New("This app cannot send files.")
	}
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a file that can be read.", path)
	}
	o, err := s.cfg.Upload(ctx, path, fi.Size())
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.offers[o.ID] = o
	s.mu.Unlock()
	return nil
}

// Cancel stops transfer id (the end user's Cancel).
func (s *Service) Cancel(id string) {
	s.mu.Lock()
	o, ok := s.offers[id]
	ep := s.peers[o.Peer.ID]
	s.mu.Unlock()
	if ok && ep != nil {
		ep.Cancel(id, "The end user cancelled the transfer.")
	}
}

// Close stops every transfer (unfinished files are removed) and waits
// for its goroutines.
func (s *Service) Close() {
	s.mu.Lock()
	eps := make([]*filexfer.Endpoint, 0, len(s.peers))
	for _, ep := range s.peers {
		eps = append(eps, ep)
	}
	s.mu.Unlock()
	for _, ep := range eps {
		ep.Close()
	}
	s.cancel()
	s.wg.Wait()
}

// Describe is ev as a sentence for the end user; progress says it is a
// progress line (not the end).
func Describe(technician string, ev filexfer.Event) (line string, progress bool) {
	if technician == "" {
		technician = "The technician"
	}
	what := "Receiving " + ev.Name + " from " + technician
	if ev.Send {
		what = "Sending " + ev.Name + " to " + technician
	}
	switch {
	case ev.Resumed:
		return fmt.Sprintf("%s: the connection is back; going on from %s.", what, filexfer.Bytes(ev.Done)), false
	case ev.State == "":
		return what + ": " + strings.TrimPrefix(filexfer.Progress(ev), ev.Name+": "), true
	case ev.State == proto.FileDone:
		if ev.Send {
			return fmt.Sprintf("Sent %s (%s) to %s.", ev.Name, filexfer.Bytes(ev.Size), technician), false
		}
		return fmt.Sprintf("Received %s (%s) from %s; saved as %s in %s.", ev.Name, filexfer.Bytes(ev.Size), technician, filepath.Base(ev.Path), filepath.Dir(ev.Path)), false
	}
	return what + " stopped: " + ev.Reason, false
}
