package relay

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/relaydesk/relaydesk/pkg/transport"
	"github.com/relaydesk/relaydesk/relay/limit"
	"github.com/relaydesk/relaydesk/relay/queue"
	"github.com/relaydesk/relaydesk/relay/server"
	"github.com/relaydesk/relaydesk/relay/store"
)

// Config is what New needs to build a relay. DefaultConfig holds the
// settings `relay serve` starts with; a zero field of any Config takes the
// same default, except DataDir, which has none. Validate names a bad
// setting, by its `relay serve` flag where it has one.
type Config struct {
	// DataDir is the data directory: the database (relay.db) unless Store
	// is set, the TLS identity (relay.crt, relay.key) unless one is given,
	// and on the first start the administrator's password file. New
	// creates it (0700) and refuses one that other users may read. It may
	// be empty when Store and an identity are given; then New creates no
	// administrator.
	DataDir string
	// Store, when set, is the store instead of DataDir's database.
	Store store.Store

	// Addr is the host:port to listen on: UDP for QUIC and TURN, TCP (the
	// same port) for TURN and HTTPS. Unused when PacketConn is set.
	Addr string
	// PacketConn, when set, is the UDP socket to serve instead of one on
	// Addr (tests hand in a loopback one).
	PacketConn net.PacketConn
	// Listener, when set, is the TCP listener for TURN over TCP and HTTPS;
	// otherwise the relay listens on TCP at the UDP socket's address.
	Listener net.Listener
	// PublicAddr is the host:port clients reach the relay at, for link
	// URLs, TURN and download names; empty means Addr, or PacketConn's
	// address when that is set.
	PublicAddr string

	// CertFile and KeyFile are an operator's certificate and key (both or
	// neither); without them the relay uses the identity in DataDir,
	// created on the first start. With them, HTTPS sends HSTS.
	CertFile, KeyFile string
	// Certificate, when set, is the TLS identity, instead of the files.
	Certificate *tls.Certificate

	// Organisation is the name shown to end users.
	Organisation string
	// Downloads is the directory with the SOS builds the download pages
	// offer (sos-<os>-<arch>[.exe]); empty: none.
	Downloads string
	// TokenTTL is how long a technician's sign-in lasts.
	TokenTTL time.Duration
	// TURN configures the embedded TURN server.
	TURN TURNConfig
	// Queue is the session policy. The relay sets its LinkBase,
	// Organisation, ICE, ICERenew, SessionEnded, PeerLeft, Now and Logger.
	Queue queue.Config
	// Limits bound what one source may use.
	Limits Limits

	// ShutdownGrace is how long the relay, once stopping, waits for its
	// control connections and HTTPS requests to end.
	ShutdownGrace time.Duration
	// SweepInterval is how often the queue looks for expired codes, links
	// and grace periods.
	SweepInterval time.Duration
	// Now is the clock of every piece; nil means time.Now.
	Now func() time.Time
	// Logger receives operational logs; nil means slog.Default().
	Logger *slog.Logger
}

// TURNConfig configures the embedded TURN server.
type TURNConfig struct {
	// AllowPrivate lets TURN relay to private addresses (RFC 1918, CGNAT,
	// ULA), for a deployment where everyone is on the LAN.
	AllowPrivate bool
	// AllowLoopback lets TURN relay to loopback peers. For tests only
	// (every peer of a test is on 127.0.0.1): on a real relay it would
	// expose every service of the relay's host.
	AllowLoopback bool
	// CredentialTTL is how long TURN credentials allow new allocations;
	// sessions get fresh ones at half of it.
	CredentialTTL time.Duration
}

// Limits bound what one source (an IPv4 address or IPv6 /64) may use.
type Limits struct {
	// ConnsPerSource caps the open QUIC connections from one source; 0
	// takes transport.DefaultLimits, a negative value means no limit.
	ConnsPerSource int
	// Registrations limits SOS app registrations from one source; zero
	// takes server.DefaultRegistrations, a negative N means no limit.
	Registrations limit.Rate
}

// DefaultConfig returns the settings `relay serve` starts with.
func DefaultConfig() Config {
	return Config{
		DataDir:       "relay-data",
		Addr:          "127.0.0.1:4433",
		TokenTTL:      12 * time.Hour,
		TURN:          TURNConfig{CredentialTTL: 10 * time.Minute},
		Queue:         queue.DefaultConfig(),
		Limits:        Limits{ConnsPerSource: transport.DefaultLimits.PerSource, Registrations: server.DefaultRegistrations},
		ShutdownGrace: 5 * time.Second,
		SweepInterval: time.Second,
	}
}

// fill gives zero fields their defaults.
func (c *Config) fill() {
	d := DefaultConfig()
	if c.Addr == "" {
		c.Addr = d.Addr
	}
	if c.PublicAddr == "" {
		c.PublicAddr = c.Addr
		if c.PacketConn != nil {
			c.PublicAddr = c.PacketConn.LocalAddr().String()
		}
	}
	if c.TokenTTL == 0 {
		c.TokenTTL = d.TokenTTL
	}
	if c.TURN.CredentialTTL == 0 {
		c.TURN.CredentialTTL = d.TURN.CredentialTTL
	}
	if c.Limits.ConnsPerSource == 0 {
		c.Limits.ConnsPerSource = d.Limits.ConnsPerSource
	}
	if c.Limits.Registrations == (limit.Rate{}) {
		c.Limits.Registrations = d.Limits.Registrations
	}
	if c.ShutdownGrace == 0 {
		c.ShutdownGrace = d.ShutdownGrace
	}
	if c.SweepInterval == 0 {
		c.SweepInterval = d.SweepInterval
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate reports the settings that cannot work, each in a sentence that
// names it.
func (c Config) Validate() error {
	c.fill()
	var errs []error
	if c.DataDir == "" && (c.Store == nil || c.Certificate == nil && c.CertFile == "" && c.KeyFile == "") {
		errs = append(errs, errors.New("give a data directory with --data"))
	}
	if (c.CertFile == "") != (c.KeyFile == "") && c.Certificate == nil {
		errs = append(errs, errors.New("give both --cert and --key"))
	}
	if h, _, err := net.SplitHostPort(c.PublicAddr); err != nil || h == "" || net.ParseIP(h).IsUnspecified() {
		errs = append(errs, fmt.Errorf("clients cannot reach %q; give the address they use with --public HOST:PORT", c.PublicAddr))
	}
	if c.Downloads != "" {
		if fi, err := os.Stat(c.Downloads); err != nil || !fi.IsDir() {
			errs = append(errs, fmt.Errorf("--downloads %s is not a directory", c.Downloads))
		}
	}
	if c.TokenTTL < 0 {
		errs = append(errs, fmt.Errorf("--token-ttl %v is negative", c.TokenTTL))
	}
	if c.ShutdownGrace < 0 || c.SweepInterval < 0 {
		errs = append(errs, errors.New("the shutdown grace and the sweep interval cannot be negative"))
	}
	if err := c.queueConfig().Validate(); err != nil {
		errs = append(errs, fmt.Errorf("invalid setting: %w", err))
	}
	return errors.Join(errs...)
}

// queueConfig is Queue with what the relay sets; ICE and the TURN
// callbacks are New's.
func (c Config) queueConfig() queue.Config {
	q := c.Queue
	q.LinkBase = "https://" + c.PublicAddr
	q.Organisation = c.Organisation
	q.ICERenew = c.TURN.CredentialTTL / 2
	q.Now = c.Now
	q.Logger = c.Logger
	return q
}
