// Package queue runs the life of support sessions on the relay: attended
// codes and support links, the Waiting -> Ready -> Active -> Closed/Expired
// lifecycle, end-user consent, chat and the end user's rating, technicians attaching and resuming, the
// grace period after a dropped connection, signalling between the agent and
// each technician, and the live queue pushed to subscribed technicians.
// Every change is written to the store before anyone is told of it, so a
// relay restart loses nothing.
package queue

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/desk"
	"github.com/relaydesk/relaydesk/relay/record"
	"github.com/relaydesk/relaydesk/relay/throttle"
)

// Config holds the session policy. Zero fields take the defaults of DefaultConfig.
type Config struct {
	// CodeTTL is how long an attended code stays valid unused.
	CodeTTL time.Duration
	// LinkTTL is a support link's default lifetime; LinkMaxTTL caps what a technician may ask for.
	LinkTTL, LinkMaxTTL time.Duration
	// ConsentTimeout is how long the end user has to answer a consent request.
	ConsentTimeout time.Duration
	// Grace is how long a session waits for a dropped agent or technician to come back.
	Grace time.Duration
	// RatingWindow is how long after a session's end the end user may rate it.
	RatingWindow time.Duration
	// KeepUnattended is how long a session that ended without a technician
	// ever joining (an anonymous registration, an unused link) is kept
	// before it is purged with its history and chat; audit events stay.
	KeepUnattended time.Duration
	// LinkBase is the start of support-link URLs, e.g. "https://relay.example.com:4433".
	LinkBase string
	// Organisation is shown to end users in consent requests.
	Organisation string
	// CodeThrottle limits wrong codes per technician account.
	CodeThrottle throttle.Config
	// CodeSourceThrottle limits wrong codes per source address (IPv6 by
	// /64), whichever account sends them.
	CodeSourceThrottle throttle.Config
	// CodeDailyThrottle is the per-technician ceiling of wrong codes that
	// no success resets.
	CodeDailyThrottle throttle.Config
	// ICE mints the ICE servers (TURN with credentials) for one peer of a
	// session: a technician's user ID, or AgentPeer for the end user's app;
	// nil: none. The agent gets them only once a technician joined.
	ICE func(sessionID string, peer int64) []proto.ICEServer
	// ICERenew is how often a session with technicians attached gets fresh
	// ICE credentials (ICERenewed); shorter than the credentials' lifetime.
	ICERenew time.Duration
	// SessionEnded, if set, is told when a session ended (TURN ends its
	// allocations). It runs with the manager's lock held: it must not call
	// back into the manager.
	SessionEnded func(sessionID string)
	// PeerLeft, if set, is told when a technician left a session, and with
	// AgentPeer when no technician is left (TURN ends that peer's
	// allocations). Like SessionEnded, it runs with the manager's lock held.
	PeerLeft func(sessionID string, peer int64)
	// Desk is the service desk's policy; nil: New reads one from the store.
	Desk *desk.Desk
	// AssignTimeout is how long a technician auto-assign chose has to
	// connect before the request moves on to another.
	AssignTimeout time.Duration
	// Recorder records sessions (both sides agreed) into RecordingsDir;
	// nil: this relay does not record.
	Recorder      *record.Recorder
	RecordingsDir string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives operational logs; nil means slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		CodeTTL:        10 * time.Minute,
		LinkTTL:        24 * time.Hour,
		LinkMaxTTL:     30 * 24 * time.Hour,
		ConsentTimeout: 60 * time.Second,
		Grace:          2 * time.Minute,
		RatingWindow:   10 * time.Minute,
		KeepUnattended: 7 * 24 * time.Hour,
		ICERenew:       5 * time.Minute,
		AssignTimeout:  time.Minute,
		LinkBase:       "https://localhost:4433",
		CodeThrottle:   throttle.DefaultCodes,

		CodeSourceThrottle: throttle.DefaultCodeSources,

		CodeDailyThrottle: throttle.DefaultCodesDaily,
	}
}

func (c *Config) fill() {
	d := DefaultConfig()
	if c.CodeTTL == 0 {
		c.CodeTTL = d.CodeTTL
	}
	if c.LinkTTL == 0 {
		c.LinkTTL = d.LinkTTL
	}
	if c.LinkMaxTTL == 0 {
		c.LinkMaxTTL = d.LinkMaxTTL
	}
	if c.ConsentTimeout == 0 {
		c.ConsentTimeout = d.ConsentTimeout
	}
	if c.Grace == 0 {
		c.Grace = d.Grace
	}
	if c.RatingWindow == 0 {
		c.RatingWindow = d.RatingWindow
	}
	if c.KeepUnattended == 0 {
		c.KeepUnattended = d.KeepUnattended
	}
	if c.LinkBase == "" {
		c.LinkBase = d.LinkBase
	}
	if c.AssignTimeout == 0 {
		c.AssignTimeout = d.AssignTimeout
	}
	if c.ICERenew == 0 {
		c.ICERenew = d.ICERenew
	}
	if c.CodeThrottle == (throttle.Config{}) {
		c.CodeThrottle = d.CodeThrottle
	}
	if c.CodeSourceThrottle == (throttle.Config{}) {
		c.CodeSourceThrottle = d.CodeSourceThrottle
	}
	if c.CodeDailyThrottle == (throttle.Config{}) {
		c.CodeDailyThrottle = d.CodeDailyThrottle
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate reports the first setting that cannot work, naming it.
func (c Config) Validate() error {
	c.fill()
	var errs []error
	if c.CodeTTL < time.Minute {
		errs = append(errs, fmt.Errorf("code TTL %v is shorter than a minute", c.CodeTTL))
	}
	if c.LinkTTL < time.Minute || c.LinkTTL > c.LinkMaxTTL {
		errs = append(errs, fmt.Errorf("link TTL %v must be between a minute and the maximum %v", c.LinkTTL, c.LinkMaxTTL))
	}
	if c.ConsentTimeout < time.Second {
		errs = append(errs, fmt.Errorf("consent timeout %v is shorter than a second", c.ConsentTimeout))
	}
	if c.Grace < time.Second {
		errs = append(errs, fmt.Errorf("grace period %v is shorter than a second", c.Grace))
	}
	if c.RatingWindow < time.Minute {
		errs = append(errs, fmt.Errorf("rating window %v is shorter than a minute", c.RatingWindow))
	}
	if c.ICERenew < time.Second {
		errs = append(errs, fmt.Errorf("ICE renewal interval %v is shorter than a second", c.ICERenew))
	}
	if err := c.CodeThrottle.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("code throttle: %w", err))
	}
	if err := c.CodeSourceThrottle.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("code source throttle: %w", err))
	}
	if err := c.CodeDailyThrottle.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("daily code throttle: %w", err))
	}
	return errors.Join(errs...)
}
