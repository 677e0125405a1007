package playback

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/at-wat/ebml-go"
	"github.com/at-wat/ebml-go/webm"

	"github.com/relaydesk/relaydesk/pkg/codec"
)

// Errors of Open and Read; each is a sentence for the technician.
var (
	ErrNotWebM     = errors.New("playback: the file is not a WebM recording")
	ErrNoVideo     = errors.New("playback: the recording has no VP8 video track")
	ErrTruncated   = errors.New("playback: the recording is cut short (the download or the file is incomplete)")
	ErrNoFrames    = errors.New("playback: the recording holds no picture")
	ErrTooLarge    = errors.New("playback: the recording is too large to play here")
	ErrNoKeyframes = errors.New("playback: the recording starts without a keyframe, so no picture can be decoded")
)

// MaxBytes is the largest recording Read accepts: it holds the frames in
// memory (a busy screen records at about 1 Mbit/s, so 2 GiB is hours).
const MaxBytes = 2 << 30

// Frame is one VP8 frame of a recording.
type Frame struct {
	At   time.Duration // from the start of the recording
	Key  bool
	Data []byte
}

// Recording is an indexed recording: its frames in time order.
type Recording struct {
	Width, Height int
	Duration      time.Duration // the segment's, at least the last frame's time
	Frames        []Frame
}

// Open reads the recording at path.
func Open(path string) (*Recording, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("playback: open %s: %w", path, err)
	}
	defer f.Close()
	rec, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return rec, nil
}

// ebmlMagic starts every EBML file (the EBML header's ID).
var ebmlMagic = []byte{0x1a, 0x45, 0xdf, 0xa3}

// Read indexes a WebM recording from r.
func Read(r io.Reader) (*Recording, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("playback: read the recording: %w", err)
	}
	if len(data) > MaxBytes {
		return nil, ErrTooLarge
	}
	if !bytes.HasPrefix(data, ebmlMagic) {
		return nil, ErrNotWebM
	}
	if truncated(data) {
		return nil, ErrTruncated
	}
	var file struct {
		Header  webm.EBMLHeader `ebml:"EBML"`
		Segment webm.Segment    `ebml:"Segment"`
	}
	if err := ebml.Unmarshal(bytes.NewReader(data), &file, ebml.WithIgnoreUnknown(true)); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, ErrTruncated
		}
		return nil, fmt.Errorf("%w: %v", ErrNotWebM, err)
	}
	if file.Header.DocType != "webm" && file.Header.DocType != "matroska" {
		return nil, ErrNotWebM
	}
	seg := file.Segment
	var track *webm.TrackEntry
	for i, t := range seg.Tracks.TrackEntry {
		if t.CodecID == "V_VP8" {
			track = &seg.Tracks.TrackEntry[i]
			break
		}
	}
	if track == nil {
		return nil, ErrNoVideo
	}
	scale := time.Duration(seg.Info.TimecodeScale)
	if scale == 0 {
		scale = time.Millisecond
	}
	rec := &Recording{Duration: time.Duration(seg.Info.Duration * float64(scale))}
	if track.Video != nil {
		rec.Width, rec.Height = int(track.Video.PixelWidth), int(track.Video.PixelHeight)
	}
	add := func(cluster uint64, b ebml.Block) {
		if b.TrackNumber != track.TrackNumber {
			return
		}
		at := (time.Duration(cluster) + time.Duration(b.Timecode)) * scale
		for _, d := range b.Data {
			_, _, key := codec.VP8KeyframeSize(d)
			rec.Frames = append(rec.Frames, Frame{At: at, Key: key, Data: d})
		}
	}
	for _, c := range seg.Cluster {
		for _, b := range c.SimpleBlock {
			add(c.Timecode, b)
		}
		for _, g := range c.BlockGroup {
			add(c.Timecode, g.Block)
		}
	}
	if len(rec.Frames) == 0 {
		return nil, ErrNoFrames
	}
	slices.SortStableFunc(rec.Frames, func(a, b Frame) int { return int(a.At - b.At) })
	if !rec.Frames[0].Key {
		return nil, ErrNoKeyframes
	}
	if last := rec.Frames[len(rec.Frames)-1].At; rec.Duration < last {
		rec.Duration = last
	}
	if w, h, ok := codec.VP8KeyframeSize(rec.Frames[0].Data); ok && (rec.Width == 0 || rec.Height == 0) {
		rec.Width, rec.Height = w, h
	}
	return rec, nil
}

// KeyframeAt is the index of the last keyframe at or before at (the
// first frame when at is before it).
func (r *Recording) KeyframeAt(at time.Duration) int {
	k := r.FrameAt(at)
	for k > 0 && !r.Frames[k].Key {
		k--
	}
	return k
}

// FrameAt is the index of the frame shown at at: the last one at or
// before it (the first frame when at is before it).
func (r *Recording) FrameAt(at time.Duration) int {
	i, _ := slices.BinarySearchFunc(r.Frames, at, func(f Frame, t time.Duration) int {
		if f.At <= t {
			return -1
		}
		return 1
	})
	return max(i-1, 0)
}

// truncated reports whether the Segment (after the EBML header), or one
// of its elements (a cluster cut by an incomplete download), declares more
// bytes than data holds. Elements of unknown size (a live stream) are
// taken as they are.
func truncated(data []byte) bool {
	at := len(ebmlMagic)
	size, n, _ := vint(data[at:])
	at += n + int(size)
	if n == 0 || at+4 > len(data) || at < 0 {
		return true
	}
	if !bytes.Equal(data[at:at+4], []byte{0x18, 0x53, 0x80, 0x67}) { // Segment
		return false // Unmarshal says what is wrong
	}
	at += 4
	size, n, unknown := vint(data[at:])
	if n == 0 || !unknown && uint64(len(data)-at-n) < size {
		return true
	}
	for at += n; at < len(data); {
		_, idLen, _ := vint(data[at:]) // an ID is coded like a size
		if idLen == 0 || idLen > 4 {
			return true
		}
		size, n, unknown := vint(data[at+idLen:])
		if n == 0 {
			return true
		}
		if unknown {
			return false
		}
		if uint64(len(data)-at-idLen-n) < size {
			return true
		}
		at += idLen + n + int(size)
	}
	return false
}

// vint reads an EBML variable-size integer: its value, its length (0 when
// data is too short) and whether it is the "unknown size" marker.
func vint(data []byte) (v uint64, n int, unknown bool) {
	if len(data) == 0 || data[0] == 0 {
		return 0, 0, false
	}
	for n = 1; data[0]&(0x80>>(n-1)) == 0; n++ {
	}
	if len(data) < n {
		return 0, 0, false
	}
	v = uint64(data[0] & (0xff >> n))
	all := v == uint64(0xff>>n)
	for _, b := range data[1:n] {
		v = v<<8 | uint64(b)
		all = all && b == 0xff
	}
	return v, n, all
}
