package share

import "time"

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

// sent implements audience: it counts a frame that went out.
func (s *Sharer) sent(f sentFrame) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Frames++
	s.stats.Bytes += int64(f.bytes)
	s.stats.Blocks += int64(f.blocks)
	s.stats.GrabTime += f.grab
	s.stats.EncodeTime += f.encode
	s.stats.BitrateKbps = f.bitrateKbps
	if f.key {
		s.stats.Keyframes++
	}
	if f.refine {
		s.stats.Refines++
	}
}
