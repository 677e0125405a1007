package playback

import (
	"context"
	"errors"
	"fmt"
	"image"
	"slices"
	"sync"
	"time"

	"github.com/relaydesk/relaydesk/pkg/codec"
)

// Speeds are the playback speeds a player offers.
var Speeds = []float64{0.5, 1, 2, 4}

// ErrSpeed refuses a speed that is not one of Speeds.
var ErrSpeed = errors.New("playback: the speed is not 0.5, 1, 2 or 4")

// Decoder decodes VP8 frames; *codec.VP8Decoder is one.
type Decoder interface {
	Decode(data []byte, dst *image.RGBA) (*image.RGBA, error)
	Close()
}

// Options configure a Player.
type Options struct {
	// Now is the clock playback runs on (time.Now when nil).
	Now func() time.Time
	// OnFrame receives each picture shown and its position. The image is
	// the player's and is overwritten by the next one: copy what you keep.
	// It is called with the player's picture locked: it must not call the
	// player's Seek (other methods are fine).
	OnFrame func(img *image.RGBA, at time.Duration)
	// Decoder decodes the frames (a new VP8 decoder when nil); the player
	// closes it.
	Decoder Decoder
	// OnTick hears the position after each of Run's steps while playing
	// (a still screen shows no new picture, but its time goes on); playing
	// is false at the step that reached the end.
	OnTick func(at time.Duration, playing bool)
	// Interval is how often Run advances the picture (1/60 s when 0).
	Interval time.Duration
}

// Player plays a Recording. Its methods are safe for concurrent use; Run
// is its only goroutine and the caller owns it.
type Player struct {
	rec      *Recording
	now      func() time.Time
	onFrame  func(*image.RGBA, time.Duration)
	onTick   func(time.Duration, bool)
	interval time.Duration

	mu      sync.Mutex // guards the clock state
	playing bool
	speed   float64
	base    time.Duration // the position at anchor
	anchor  time.Time

	pic  sync.Mutex // guards the decoder and the picture
	dec  Decoder
	img  *image.RGBA
	next int // the index of the next frame to decode; 0 before the first
}

// NewPlayer opens a player on rec, paused at its start. Close it.
func NewPlayer(rec *Recording, o Options) (*Player, error) {
	p := &Player{rec: rec, now: o.Now, onFrame: o.OnFrame, onTick: o.OnTick, interval: o.Interval, speed: 1, dec: o.Decoder}
	if p.now == nil {
		p.now = time.Now
	}
	if p.interval <= 0 {
		p.interval = time.Second / 60
	}
	if p.dec == nil {
		d, err := codec.NewVP8Decoder()
		if err != nil {
			return nil, fmt.Errorf("playback: start the decoder: %w", err)
		}
		p.dec = d
	}
	return p, nil
}

// Close frees the decoder; call it after Run returned.
func (p *Player) Close() {
	p.pic.Lock()
	defer p.pic.Unlock()
	if p.dec != nil {
		p.dec.Close()
		p.dec = nil
	}
}

// Recording is what the player plays.
func (p *Player) Recording() *Recording { return p.rec }

// position is where playback is at now; p.mu held.
func (p *Player) position(now time.Time) time.Duration {
	pos := p.base
	if p.playing {
		pos += time.Duration(float64(now.Sub(p.anchor)) * p.speed)
	}
	return min(max(pos, 0), p.rec.Duration)
}

// Position is where playback is.
func (p *Player) Position() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.position(p.now())
}

// Playing reports whether the player plays.
func (p *Player) Playing() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.playing
}

// Speed is the playback speed.
func (p *Player) Speed() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.speed
}

// Play plays from where it is (from the start when it had ended).
func (p *Player) Play() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.playing {
		return
	}
	now := p.now()
	if p.base >= p.rec.Duration {
		p.base = 0
	}
	p.playing, p.anchor = true, now
}

// Pause stops the picture where it is.
func (p *Player) Pause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	p.base = p.position(now)
	p.playing, p.anchor = false, now
}

// SetSpeed changes the speed (one of Speeds) from the current position on.
func (p *Player) SetSpeed(s float64) error {
	if !slices.Contains(Speeds, s) {
		return fmt.Errorf("%w (%g)", ErrSpeed, s)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	p.base, p.anchor, p.speed = p.position(now), now, s
	return nil
}

// Seek moves playback to to (clamped to the recording) and shows the
// picture there: it decodes from the keyframe at or before it.
func (p *Player) Seek(to time.Duration) error {
	return p.show(true, func() time.Duration {
		p.mu.Lock()
		defer p.mu.Unlock()
		to = min(max(to, 0), p.rec.Duration)
		p.base, p.anchor = to, p.now()
		return to
	})
}

// Tick brings the picture to the current position; Run calls it. It
// reports whether the player still plays (false once the end is reached:
// the player pauses there).
func (p *Player) Tick() (bool, error) {
	playing := false
	err := p.show(false, func() time.Duration {
		p.mu.Lock()
		defer p.mu.Unlock()
		now := p.now()
		pos := p.position(now)
		if p.playing && pos >= p.rec.Duration {
			p.base, p.playing, p.anchor = pos, false, now
		}
		playing = p.playing
		return pos
	})
	return playing, err
}

// show decodes up to the frame at the position where returns (asked with
// the picture locked, so that a Tick and a Seek at the same time show
// their pictures in the order of their positions) and hands it on when it
// is new, or always when force.
func (p *Player) show(force bool, where func() time.Duration) error {
	p.pic.Lock()
	defer p.pic.Unlock()
	if p.dec == nil {
		return errors.New("playback: the player is closed")
	}
	pos := where()
	target := p.rec.FrameAt(pos)
	if target < p.next-1 || p.next == 0 {
		p.next = p.rec.KeyframeAt(pos) // backwards or the first picture
	} else if k := p.rec.KeyframeAt(pos); k > p.next {
		p.next = k // skip what a later keyframe replaces
	}
	decoded := false
	for ; p.next <= target; p.next++ {
		f := p.rec.Frames[p.next]
		img, err := p.dec.Decode(f.Data, p.img)
		if err != nil {
			p.next = 0 // start again from a keyframe
			return fmt.Errorf("playback: the frame at %s does not decode: %w", Clock(f.At), err)
		}
		if img != nil {
			p.img, decoded = img, true
		}
	}
	if (decoded || force) && p.img != nil && p.onFrame != nil {
		p.onFrame(p.img, pos)
	}
	return nil
}

// Run advances the picture every Interval while playing, until ctx ends
// or a frame fails to decode.
func (p *Player) Run(ctx context.Context) error {
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if !p.Playing() {
			continue
		}
		playing, err := p.Tick()
		if err != nil {
			p.Pause()
			return err
		}
		if p.onTick != nil {
			p.onTick(p.Position(), playing)
		}
	}
}

// Clock formats a position as a player shows it: 0:42, 3:10, 1:02:03.
func Clock(d time.Duration) string {
	s := int(d / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
