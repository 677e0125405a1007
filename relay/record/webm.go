package record

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/at-wat/ebml-go/mkvcore"
	"github.com/at-wat/ebml-go/webm"
)

// ErrNoKeyframe means a recording ended before its first keyframe arrived:
// there is no picture to keep.
var ErrNoKeyframe = errors.New("record: no keyframe arrived; nothing was recorded")

// Writer muxes VP8 frames into a WebM file. The file is created with the
// first keyframe (whose header carries the frame size); frames before it
// cannot be decoded and are dropped. Not safe for concurrent use.
type Writer struct {
	path          string
	f             *os.File
	bw            webm.BlockWriteCloser
	first, last   time.Duration // of the written frames, from the first one
	width, height int
	frames        int
	end           time.Duration // SetEnd's, relative to the first frame (0: the last frame's time)
	failed        chan error    // the muxer's first error (it writes on its own goroutine)
}

// NewWriter returns a Writer that will create path.
func NewWriter(path string) *Writer { return &Writer{path: path, failed: make(chan error, 1)} }

// fail keeps the muxer's first error for WriteFrame and Close.
func (w *Writer) fail(err error) {
	select {
	case w.failed <- err:
	default:
	}
}

// Keyframe reports whether a VP8 frame is a keyframe (RFC 6386 9.1: the
// frame tag's lowest bit is 0).
func Keyframe(frame []byte) bool { return len(frame) > 0 && frame[0]&1 == 0 }

// frameSize reads the width and height from a VP8 keyframe's header.
func frameSize(frame []byte) (w, h int, ok bool) {
	if len(frame) < 10 || !Keyframe(frame) || frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a {
		return 0, 0, false
	}
	w = int(frame[6]) | int(frame[7]&0x3f)<<8
	h = int(frame[8]) | int(frame[9]&0x3f)<<8
	return w, h, w > 0 && h > 0
}

// WriteFrame adds one VP8 frame at time at (from any fixed origin; only
// differences count). Frames must come in order.
func (w *Writer) WriteFrame(frame []byte, at time.Duration) error {
	if w.bw == nil {
		width, height, ok := frameSize(frame)
		if !ok {
			return nil // wait for a keyframe
		}
		if err := w.open(width, height); err != nil {
			return err
		}
		w.first = at
	}
	select {
	case err := <-w.failed:
		w.fail(err) // Close reports it too
		return fmt.Errorf("record: write %s: %w", w.path, err)
	default:
	}
	ts := at - w.first
	if ts < w.last {
		ts = w.last // a late frame keeps the order
	}
	if _, err := w.bw.Write(Keyframe(frame), ts.Milliseconds(), frame); err != nil {
		return fmt.Errorf("record: write frame to %s: %w", w.path, err)
	}
	w.last = ts
	w.frames++
	return nil
}

func (w *Writer) open(width, height int) error {
	f, err := os.OpenFile(w.path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("record: create %s: %w", w.path, err)
	}
	info := *webm.DefaultSegmentInfo
	info.MuxingApp, info.WritingApp = "RelayDesk relay (ebml-go)", "RelayDesk relay"
	ws, err := webm.NewSimpleBlockWriter(f, []webm.TrackEntry{{
		Name: "Screen", TrackNumber: 1, TrackUID: 1, CodecID: "V_VP8", TrackType: 1,
		Video: &webm.Video{PixelWidth: uint64(width), PixelHeight: uint64(height)},
	}}, mkvcore.WithSegmentInfo(&info), mkvcore.WithSeekHead(true), mkvcore.WithCues(64<<10),
		mkvcore.WithMaxKeyframeInterval(1, 10_000), mkvcore.WithOnErrorHandler(w.fail), mkvcore.WithOnFatalHandler(w.fail))
	if err != nil {
		f.Close()
		os.Remove(w.path)
		return fmt.Errorf("record: start WebM %s: %w", w.path, err)
	}
	w.f, w.bw, w.width, w.height = f, ws[0], width, height
	return nil
}

// SetEnd sets when the recording ended, in WriteFrame's timeline: a
// screen that stood still since the last frame still counts in the
// file's duration (a player shows the last picture until then).
func (w *Writer) SetEnd(at time.Duration) {
	if w.bw != nil {
		w.end = at - w.first
	}
}

// Stats describes a finished recording.
type Stats struct {
	Bytes         int64
	Duration      time.Duration // from the first frame to the last
	Frames        int
	Width, Height int
}

// Close finishes the file (duration and cues) and reports what it holds;
// ErrNoKeyframe when no frame was written (no file exists then).
func (w *Writer) Close() (Stats, error) {
	if w.bw == nil {
		return Stats{}, ErrNoKeyframe
	}
	err := w.bw.Close() // closes the file too
	w.bw = nil
	st := Stats{Duration: w.last, Frames: w.frames, Width: w.width, Height: w.height}
	if w.end > w.last && err == nil {
		if err = patchDuration(w.path, w.end); err == nil {
			st.Duration = w.end
		}
	}
	if fi, serr := os.Stat(w.path); serr == nil {
		st.Bytes = fi.Size()
	}
	if err == nil {
		select {
		case err = <-w.failed:
		default:
		}
	}
	if err != nil {
		return st, fmt.Errorf("record: finish %s: %w", w.path, err)
	}
	return st, nil
}

// patchDuration rewrites the Duration of the segment's Info in the WebM at
// path (the muxer writes the last frame's time there): the first Duration
// element (ID 0x4489, an 8-byte float of milliseconds) after the Info ID.
func patchDuration(path string, d time.Duration) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("record: set the duration of %s: %w", path, err)
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	info := bytes.Index(head, []byte{0x15, 0x49, 0xa9, 0x66})
	if info < 0 {
		return fmt.Errorf("record: set the duration of %s: no segment info", path)
	}
	at := bytes.Index(head[info:], []byte{0x44, 0x89, 0x88})
	if at < 0 {
		return fmt.Errorf("record: set the duration of %s: no duration", path)
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], math.Float64bits(float64(d)/float64(time.Millisecond)))
	if _, err := f.WriteAt(b[:], int64(info+at+3)); err != nil {
		return fmt.Errorf("record: set the duration of %s: %w", path, err)
	}
	return nil
}
