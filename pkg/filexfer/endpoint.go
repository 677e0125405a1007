package filexfer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// Channel is the part of a WebRTC data channel (*webrtc.DataChannel) the
// transfers use.
type Channel interface {
	Send(data []byte) error
	BufferedAmount() uint64
}

// lowNotifier is a Channel that says when its buffer drained
// (*webrtc.DataChannel is one).
type lowNotifier interface {
	SetBufferedAmountLowThreshold(th uint64)
	OnBufferedAmountLow(f func())
}

// Backpressure marks: a sender stops while more than highWater bytes wait
// in the channel's buffer and goes on once it is below lowWater.
const (
	highWater = 4 << 20
	lowWater  = 1 << 20
)

// Job is one transfer as one side runs it.
type Job struct {
	ID        string
	SessionID string
	Send      bool   // this side sends the file
	Path      string // sending: the local file
	Name      string // the file's name (receiving: the name it gets, made safe)
	Size      int64  // sending: its size; receiving: the announced size (0: not known yet)
	Limit     int64  // receiving: the most bytes taken (0: no limit)
}

// Event is a transfer's progress, or its end when State is set.
type Event struct {
	Job
	Done    int64         // bytes so far (the whole file, resumed parts included)
	Elapsed time.Duration // since this side started it
	Moved   int64         // bytes moved since then (for the speed)
	State   proto.FileState
	Path    string // received and stored: where
	Reason  string // a sentence when it did not work
	// Resumed says the transfer goes on from Done over a new channel
	// after the last one dropped.
	Resumed bool
}

// Speed is the bytes per second moved since the start.
func (e Event) Speed() float64 {
	if e.Elapsed <= 0 {
		return 0
	}
	return float64(e.Moved) / e.Elapsed.Seconds()
}

// Left is the time the rest takes at the speed so far (0: unknown).
func (e Event) Left() time.Duration {
	s := e.Speed()
	if s <= 0 || e.Size <= e.Done {
		return 0
	}
	return time.Duration(float64(e.Size-e.Done) / s * float64(time.Second))
}

// Endpoint runs the transfers of one side of one files channel: the
// console's for a session, the app's for one technician. The channel may
// be replaced (a new peer connection after a drop): the side that opened
// the transfers (Driver) opens them again and each goes on from the byte
// the receiver has.
type Endpoint struct {
	// Dir is where received files go; their partial files are kept there
	// too, hidden.
	Dir string
	// Driver is the console: it opens transfers (Start) and opens them
	// again on a new channel.
	Driver bool
	// Accept decides on an Open for a transfer this side does not run
	// (the app: only what the relay offered, a fetch after the end user's
	// click). It may block; an error's text goes to the other side.
	Accept func(ctx context.Context, m proto.FileMsg) (Job, error)
	// Report tells the relay how a transfer ended; may be nil.
	Report func(proto.FileReport)
	// OnEvent receives progress (a few times a second) and every end; may
	// be nil. It must not block.
	OnEvent func(Event)
	Logger  *slog.Logger

	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu   sync.Mutex
	ch   Channel
	wake chan struct{} // closed when the buffer drained or the channel changed
	jobs map[string]*job
	// ended keeps the final events of the driver's transfers for Wait.
	ended map[string]Event
}

type job struct {
	Job
	partial *Partial           // receiving
	stop    context.CancelFunc // sending: stops the running sender
	stopped chan struct{}      // sending: closed when it returned
	asked   int64              // receiving: the offset last asked for with Ready (-1: none)
	started time.Time
	from    int64 // the offset this side's work started at
	last    time.Time
	sum     string     // sending: the SHA-256 the last FileEnd gave
	done    chan Event // gets the final event
}

func (e *Endpoint) init() {
	e.once.Do(func() {
		e.ctx, e.cancel = context.WithCancel(context.Background())
		e.jobs = make(map[string]*job)
		e.ended = make(map[string]Event)
		e.wake = make(chan struct{})
		if e.Logger == nil {
			e.Logger = slog.Default()
		}
	})
}

// SetChannel makes ch the channel of every transfer; the driver opens its
// unfinished transfers again on it.
func (e *Endpoint) SetChannel(ch Channel) {
	e.init()
	if ln, ok := ch.(lowNotifier); ok {
		ln.SetBufferedAmountLowThreshold(lowWater)
		ln.OnBufferedAmountLow(e.drained)
	}
	e.mu.Lock()
	e.ch = ch
	var open []proto.FileMsg
	for _, j := range e.jobs {
		if j.stop != nil {
			j.stop() // it sent on the last channel: the receiver says where to go on
		}
	}
	if e.Driver {
		for _, j := range e.jobs {
			m := proto.FileMsg{Kind: proto.FileOpen, ID: j.ID, Name: j.Name, Size: j.Size}
			if j.partial != nil {
				m.Offset = j.partial.Offset()
			}
			open = append(open, m)
		}
	}
	e.mu.Unlock()
	e.drained()
	for _, m := range open {
		e.send(m)
	}
}

// Use makes ch the channel unless it is already (SetChannel). Call it for
// every message too: a channel's first message may arrive before its
// open callback ran, and the answer must go back on that channel.
func (e *Endpoint) Use(ch Channel) {
	e.init()
	e.mu.Lock()
	same := e.ch == ch
	e.mu.Unlock()
	if !same {
		e.SetChannel(ch)
	}
}

// drained wakes the senders that wait for room in the buffer.
func (e *Endpoint) drained() {
	e.mu.Lock()
	close(e.wake)
	e.wake = make(chan struct{})
	e.mu.Unlock()
}

// send sends one message on the current channel.
func (e *Endpoint) send(m proto.FileMsg) error {
	e.mu.Lock()
	ch := e.ch
	e.mu.Unlock()
	if ch == nil {
		return errors.New("no files channel to the other side yet")
	}
	b, err := proto.Marshal(&m)
	if err != nil {
		return err
	}
	return ch.Send(b)
}

// Start runs j (the driver): a send waits for the receiver's offset, a
// receive opens its partial file in Dir and asks from its offset.
func (e *Endpoint) Start(j Job) error {
	e.init()
	jb := &job{Job: j, asked: -1, started: time.Now(), done: make(chan Event, 1)}
	m := proto.FileMsg{Kind: proto.FileOpen, ID: j.ID, Name: j.Name, Size: j.Size}
	if !j.Send {
		p, err := OpenPartial(e.Dir, j.ID)
		if err != nil {
			return err
		}
		jb.partial, jb.from, m.Offset = p, p.Offset(), p.Offset()
	}
	e.mu.Lock()
	e.jobs[j.ID] = jb
	e.mu.Unlock()
	if err := e.send(m); err != nil {
		e.Logger.Debug("open transfer: waiting for the channel", "id", j.ID, "err", err)
	}
	return nil
}

// Wait returns transfer id's final event, or ctx's end.
func (e *Endpoint) Wait(ctx context.Context, id string) (Event, error) {
	e.init()
	e.mu.Lock()
	j := e.jobs[id]
	ev, ended := e.ended[id]
	e.mu.Unlock()
	if ended {
		return ev, nil
	}
	if j == nil {
		return Event{}, fmt.Errorf("no transfer %s", id)
	}
	select {
	case ev := <-j.done:
		return ev, nil
	case <-ctx.Done():
		return Event{}, ctx.Err()
	}
}

// Cancel stops transfer id on both sides (reason says why).
func (e *Endpoint) Cancel(id, reason string) {
	e.init()
	e.send(proto.FileMsg{Kind: proto.FileCancel, ID: id, Reason: reason})
	e.end(id, proto.FileCancelled, reason, "", true)
}

// Close stops every sender and waits for them, and removes the partial
// files of unfinished transfers: a transfer resumes only while both
// programs run (the offers live in memory).
func (e *Endpoint) Close() {
	e.init()
	e.cancel()
	e.mu.Lock()
	for _, j := range e.jobs {
		if j.partial != nil {
			j.partial.Abort()
			j.partial = nil
		}
	}
	e.mu.Unlock()
	e.wg.Wait()
}

// OnMessage handles one message from the channel (pion calls it in order).
func (e *Endpoint) OnMessage(data []byte) {
	e.init()
	m, err := proto.DecodeFileMsg(data)
	if err != nil {
		e.Logger.Warn("unreadable files message", "err", err)
		return
	}
	e.mu.Lock()
	j := e.jobs[m.ID]
	e.mu.Unlock()
	switch {
	case m.Kind == proto.FileOpen && j == nil && !e.Driver:
		e.accept(m)
	case j == nil:
		if m.Kind != proto.FileCancel && m.Kind != proto.FileOK {
			e.send(proto.FileMsg{Kind: proto.FileCancel, ID: m.ID, Reason: "This side knows no such transfer."})
		}
	case m.Kind == proto.FileOpen: // the driver opens it again on a new channel
		if j.Send {
			e.startSender(j, m.Offset)
		} else {
			e.ready(j)
		}
		e.resumed(j, m.Offset)
	case m.Kind == proto.FileReady:
		if j.Send {
			e.startSender(j, m.Offset)
			e.resumed(j, m.Offset)
			return
		}
		e.mu.Lock()
		if j.Size == 0 {
			j.Size = m.Size
		}
		e.mu.Unlock()
		if j.Limit > 0 && m.Size > j.Limit {
			e.Cancel(j.ID, fmt.Sprintf("The file has %s; at most %s are allowed.", Bytes(m.Size), Bytes(j.Limit)))
		}
	case m.Kind == proto.FileData && !j.Send:
		e.data(j, m)
	case m.Kind == proto.FileEnd && !j.Send:
		e.finish(j, m)
	case m.Kind == proto.FileOK && j.Send:
		// The receiver reports done too; the relay keeps the first. Both
		// do, so that a session ended at once by the side that heard
		// last (a console's --send) does not lose the record.
		e.mu.Lock()
		sum := j.sum
		e.mu.Unlock()
		e.report(j.Job, proto.FileDone, j.Size, sum, "")
		e.end(j.ID, proto.FileDone, "", m.Name, false)
	case m.Kind == proto.FileCancel:
		reason := m.Reason
		if reason == "" {
			reason = "The other side cancelled the transfer."
		}
		e.end(j.ID, proto.FileCancelled, reason, "", true)
	}
}

// accept asks Accept about a transfer the other side opens, off the
// channel's goroutine (the end user may be asked).
func (e *Endpoint) accept(m proto.FileMsg) {
	if e.Accept == nil {
		e.send(proto.FileMsg{Kind: proto.FileCancel, ID: m.ID, Reason: "This side takes no files."})
		return
	}
	e.wg.Go(func() {
		spec, err := e.Accept(e.ctx, m)
		if err != nil {
			e.send(proto.FileMsg{Kind: proto.FileCancel, ID: m.ID, Reason: err.Error()})
			return
		}
		spec.ID = m.ID
		jb := &job{Job: spec, asked: -1, started: time.Now(), done: make(chan Event, 1)}
		if !spec.Send {
			p, err := OpenPartial(e.Dir, spec.ID)
			if err != nil {
				e.Logger.Error("receive a file", "id", spec.ID, "err", err)
				e.send(proto.FileMsg{Kind: proto.FileCancel, ID: m.ID, Reason: "The file cannot be stored on this computer."})
				e.report(spec, proto.FileFailed, 0, "", "The file cannot be stored on the end user's computer.")
				return
			}
			jb.partial, jb.from = p, p.Offset()
		}
		e.mu.Lock()
		if old := e.jobs[spec.ID]; old != nil { // opened twice while the first was asked
			e.mu.Unlock()
			if jb.partial != nil {
				jb.partial.Close()
			}
			return
		}
		e.jobs[spec.ID] = jb
		e.mu.Unlock()
		e.emit(jb, jb.from, true)
		if spec.Send {
			e.send(proto.FileMsg{Kind: proto.FileReady, ID: spec.ID, Name: filepath.Base(spec.Path), Size: spec.Size})
			e.startSender(jb, m.Offset)
			return
		}
		e.ready(jb)
	})
}

// ready tells the sender to go on from the partial file's offset.
func (e *Endpoint) ready(j *job) {
	e.mu.Lock()
	off := j.partial.Offset()
	j.asked = off
	e.mu.Unlock()
	e.send(proto.FileMsg{Kind: proto.FileReady, ID: j.ID, Offset: off})
}

// data writes one chunk; one past a gap (the channel changed) asks the
// sender once to go on from what arrived.
func (e *Endpoint) data(j *job, m proto.FileMsg) {
	e.mu.Lock()
	p := j.partial
	if p == nil {
		e.mu.Unlock()
		return
	}
	off := p.Offset()
	if m.Offset != off {
		ask := m.Offset > off && j.asked != off
		e.mu.Unlock()
		if ask {
			e.ready(j)
		}
		return
	}
	if j.Limit > 0 && off+int64(len(m.Data)) > j.Limit {
		e.mu.Unlock()
		reason := fmt.Sprintf("The file is larger than the %s allowed.", Bytes(j.Limit))
		e.fail(j.ID, reason)
		return
	}
	err := p.Write(m.Offset, m.Data)
	done := p.Offset()
	e.mu.Unlock()
	if err != nil {
		e.Logger.Error("receive a file", "id", j.ID, "err", err)
		reason := "The file could not be written to disk."
		e.fail(j.ID, reason)
		return
	}
	e.emit(j, done, false)
}

// finish checks and names a received file and tells both the sender and
// the relay.
func (e *Endpoint) finish(j *job, m proto.FileMsg) {
	e.mu.Lock()
	p := j.partial
	if p == nil {
		e.mu.Unlock()
		return
	}
	if p.Offset() < m.Size { // the end of an earlier run on a dropped channel
		e.mu.Unlock()
		return
	}
	j.partial = nil
	e.mu.Unlock()
	path, err := p.Finish(m.Size, m.SHA256, j.Name)
	if err != nil {
		reason := "The file could not be stored."
		if errors.Is(err, ErrDamaged) || errors.Is(err, ErrSize) {
			reason = "The file arrived damaged (its SHA-256 differs from the sender's); nothing was kept."
		}
		e.Logger.Error("finish a received file", "id", j.ID, "err", err)
		e.fail(j.ID, reason)
		return
	}
	e.mu.Lock()
	j.Size = m.Size
	e.mu.Unlock()
	e.send(proto.FileMsg{Kind: proto.FileOK, ID: j.ID, Name: filepath.Base(path)})
	e.report(j.Job, proto.FileDone, m.Size, m.SHA256, "")
	e.end(j.ID, proto.FileDone, "", path, false)
}

// startSender (re)starts sending j from offset, after the previous
// sender of j returned.
func (e *Endpoint) startSender(j *job, offset int64) {
	e.mu.Lock()
	stop, stopped := j.stop, j.stopped
	e.mu.Unlock()
	if stop != nil {
		stop()
		<-stopped
	}
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan struct{})
	e.mu.Lock()
	if e.jobs[j.ID] != j { // ended meanwhile
		e.mu.Unlock()
		cancel()
		return
	}
	j.stop, j.stopped, j.from = cancel, done, offset
	e.mu.Unlock()
	e.wg.Go(func() {
		defer close(done)
		defer cancel()
		if err := e.sendFile(ctx, j, offset); err != nil && ctx.Err() == nil {
			e.Logger.Warn("send a file", "id", j.ID, "err", err)
			var local *localError
			if errors.As(err, &local) {
				e.fail(j.ID, local.reason)
			}
			// else the channel went away: the driver opens it again on the next one
		}
	})
}

// localError is a failure of this side's file, not of the channel.
type localError struct {
	reason string
	err    error
}

func (l *localError) Error() string { return l.reason + ": " + l.err.Error() }

// sendFile hashes the file up to offset, then sends the rest in chunks,
// waiting while the channel's buffer is full, then the end with the
// whole file's SHA-256.
func (e *Endpoint) sendFile(ctx context.Context, j *job, offset int64) error {
	f, err := os.Open(j.Path)
	if err != nil {
		return &localError{"The file could not be read.", err}
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.CopyN(h, f, offset); err != nil {
		return &localError{"The file changed while it was sent.", err}
	}
	buf := make([]byte, proto.MaxFileChunk)
	off := offset
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, rerr := io.ReadFull(f, buf)
		if n > 0 {
			h.Write(buf[:n])
			if err := e.room(ctx); err != nil {
				return err
			}
			if err := e.send(proto.FileMsg{Kind: proto.FileData, ID: j.ID, Offset: off, Data: buf[:n]}); err != nil {
				return err
			}
			off += int64(n)
			e.emit(j, off, false)
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			return &localError{"The file could not be read.", rerr}
		}
	}
	if off != j.Size {
		return &localError{"The file changed while it was sent.", fmt.Errorf("%d bytes, announced %d", off, j.Size)}
	}
	sum := hex.EncodeToString(h.Sum(nil))
	e.mu.Lock()
	j.sum = sum
	e.mu.Unlock()
	return e.send(proto.FileMsg{Kind: proto.FileEnd, ID: j.ID, Size: off, SHA256: sum})
}

// room waits while the channel's buffer holds more than highWater.
func (e *Endpoint) room(ctx context.Context) error {
	for {
		e.mu.Lock()
		ch, wake := e.ch, e.wake
		e.mu.Unlock()
		if ch == nil || ch.BufferedAmount() <= highWater {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		case <-time.After(100 * time.Millisecond): // a channel that never says it drained
		}
	}
}

// resumed tells OnEvent that j goes on from the byte the receiver has
// (this side sends: from; else what the partial file holds).
func (e *Endpoint) resumed(j *job, from int64) {
	e.mu.Lock()
	if j.partial != nil {
		from = j.partial.Offset()
	}
	e.mu.Unlock()
	if from > 0 && e.OnEvent != nil {
		e.OnEvent(Event{Job: j.Job, Done: from, Resumed: true})
	}
}

// emit sends a progress event at most four times a second (force: now).
func (e *Endpoint) emit(j *job, done int64, force bool) {
	if e.OnEvent == nil {
		return
	}
	now := time.Now()
	e.mu.Lock()
	if !force && now.Sub(j.last) < 250*time.Millisecond {
		e.mu.Unlock()
		return
	}
	j.last = now
	ev := Event{Job: j.Job, Done: done, Elapsed: now.Sub(j.started), Moved: done - j.from}
	e.mu.Unlock()
	e.OnEvent(ev)
}

// end finishes job id once: its partial file removed unless it was
// stored, its sender stopped, the relay told (report) and the final event
// delivered.
func (e *Endpoint) end(id string, state proto.FileState, reason, path string, report bool) {
	e.mu.Lock()
	j := e.jobs[id]
	if j == nil {
		e.mu.Unlock()
		return
	}
	delete(e.jobs, id)
	p, stop := j.partial, j.stop
	j.partial = nil
	var done int64
	if p != nil {
		done = p.Offset()
	}
	e.mu.Unlock()
	if stop != nil {
		stop()
	}
	if p != nil {
		p.Abort()
	}
	if state == proto.FileDone {
		done = j.Size
	}
	if report {
		e.report(j.Job, state, done, "", reason)
	}
	ev := Event{Job: j.Job, Done: done, Elapsed: time.Since(j.started), Moved: done - j.from, State: state, Path: path, Reason: reason}
	if e.Driver {
		e.mu.Lock()
		e.ended[id] = ev
		e.mu.Unlock()
	}
	j.done <- ev
	if e.OnEvent != nil {
		e.OnEvent(ev)
	}
}

// fail stops transfer id on both sides because this side cannot go on.
func (e *Endpoint) fail(id, reason string) {
	e.send(proto.FileMsg{Kind: proto.FileCancel, ID: id, Reason: reason})
	e.end(id, proto.FileFailed, reason, "", true)
}

func (e *Endpoint) report(j Job, state proto.FileState, size int64, sum, reason string) {
	if e.Report != nil {
		e.Report(proto.FileReport{SessionID: j.SessionID, ID: j.ID, State: state, Size: size, SHA256: sum, Reason: reason})
	}
}

// Bytes is n in words: "512 B", "3.4 MB", "2.0 GB" (powers of 1000).
func Bytes(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	case n < 1000*1000*1000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.1f GB", float64(n)/1e9)
}

// Progress is an event as one line: "report.pdf: 12.3 MB of 50.0 MB
// (24%), 8.1 MB/s, 5s left".
func Progress(ev Event) string {
	s := fmt.Sprintf("%s: %s", ev.Name, Bytes(ev.Done))
	if ev.Size > 0 {
		s += fmt.Sprintf(" of %s (%d%%)", Bytes(ev.Size), ev.Done*100/ev.Size)
	}
	if sp := ev.Speed(); sp > 0 {
		s += fmt.Sprintf(", %s/s", Bytes(int64(sp)))
	}
	if left := ev.Left(); left > 0 {
		s += fmt.Sprintf(", %s left", left.Round(time.Second))
	}
	return s
}
