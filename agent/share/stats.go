package share

import (
	"context"
	"log/slog"
	"time"
)

// Stats counts what the sharer sent.
type Stats struct {
	Frames, Keyframes, Refines, Bytes int64
	// Blocks counts the 16x16 macroblocks coded (a whole 1080p frame has 8160).
	Blocks int64
	// GrabTime and EncodeTime add up the time spent grabbing and encoding
	// (conversion included) the frames sent.
	GrabTime, EncodeTime time.Duration
	BitrateKbps          int // the encoder's current target
}

// Stats returns the counters.
func (s *Sharer) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// sent implements audience: it counts a frame that went out and, when
// debug logging is on, logs its timing.
func (s *Sharer) sent(f sentFrame) {
	s.mu.Lock()
	s.stats.Frames++
	s.stats.Bytes += int64(f.bytes)
	s.stats.Blocks += int64(f.blocks)
	s.stats.GrabTime += f.grabEnd.Sub(f.grabStart)
	s.stats.EncodeTime += f.encoded.Sub(f.grabEnd)
	s.stats.BitrateKbps = f.bitrateKbps
	if f.key {
		s.stats.Keyframes++
	}
	if f.refine {
		s.stats.Refines++
	}
	s.mu.Unlock()
	if !s.log.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	// One line a frame, read by screenbench for a click's breakdown: clock
	// times in Unix microseconds (0: unknown), durations in microseconds.
	us := func(t time.Time) int64 {
		if t.IsZero() {
			return 0
		}
		return t.UnixMicro()
	}
	s.log.Debug("frame", "press", s.lastPress.Load(), "damage", us(f.damage), "grab", us(f.grabStart), "grabbed", us(f.grabEnd),
		"convert_us", f.convert.Microseconds(), "code_us", f.code.Microseconds(), "encoded", us(f.encoded), "sent", us(f.sent),
		"bytes", f.bytes, "blocks", f.blocks, "key", f.key, "refine", f.refine, "q", f.quantizer)
}
