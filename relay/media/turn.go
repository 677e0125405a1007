package media

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/pion/turn/v5"
)

// Realm is the TURN realm.
const Realm = "relaydesk"

// TURN is the embedded TURN server.
type TURN struct {
	srv    *turn.Server
	secret []byte
	addr   string // host:port clients use
	tcp    bool
	now    func() time.Time
}

// Config configures the TURN server.
type Config struct {
	// Conn is the TURN side of the demux.
	Conn net.PacketConn
	// TCP, when set, serves TURN over TCP (the TURN side of a TCPSplit).
	TCP net.Listener
	// PublicAddr is host:port clients reach the relay at; its IP is also
	// the relayed address handed out.
	PublicAddr string
	// Live reports whether a session is still going; its credentials stop
	// working when it ends.
	Live   func(sessionID string) bool
	Now    func() time.Time
	Logger *slog.Logger
}

// NewTURN starts TURN on cfg.Conn with a fresh secret (credentials do not
// survive a relay restart; clients get new ones when they reconnect).
func NewTURN(cfg Config) (*TURN, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	host, _, err := net.SplitHostPort(cfg.PublicAddr)
	if err != nil {
		return nil, fmt.Errorf("media: public address %q: %w", cfg.PublicAddr, err)
	}
	ip := net.ParseIP(host)
	if ip == nil {
		ips, err := net.LookupIP(host)
		if err != nil || len(ips) == 0 {
			return nil, fmt.Errorf("media: resolve %s for TURN relayed addresses: %v", host, err)
		}
		ip = ips[0]
	}
	t := &TURN{secret: make([]byte, 32), addr: cfg.PublicAddr, now: cfg.Now}
	rand.Read(t.secret)
	listen := "0.0.0.0"
	if ip.IsLoopback() {
		listen = ip.String()
	}
	log := cfg.Logger
	var listeners []turn.ListenerConfig
	if cfg.TCP != nil {
		listeners = append(listeners, turn.ListenerConfig{
			Listener:              cfg.TCP,
			RelayAddressGenerator: &turn.RelayAddressGeneratorStatic{RelayAddress: ip, Address: listen},
		})
	}
	t.tcp = cfg.TCP != nil
	t.srv, err = turn.NewServer(turn.ServerConfig{
		ListenerConfigs: listeners,
		Realm:           Realm,
		AuthHandler: func(ra *turn.RequestAttributes) (string, []byte, bool) {
			sessionID, ok := t.check(ra.Username)
			if !ok || !cfg.Live(sessionID) {
				log.Info("TURN request refused", "user", ra.Username, "from", ra.SrcAddr)
				return "", nil, false
			}
			return ra.Username, turn.GenerateAuthKey(ra.Username, Realm, t.password(ra.Username)), true
		},
		PacketConnConfigs: []turn.PacketConnConfig{{
			PacketConn:            cfg.Conn,
			RelayAddressGenerator: &turn.RelayAddressGeneratorStatic{RelayAddress: ip, Address: listen},
		}},
	})
	if err != nil {
		return nil, fmt.Errorf("media: start TURN: %w", err)
	}
	return t, nil
}

func (t *TURN) password(user string) string {
	m := hmac.New(sha256.New, t.secret)
	m.Write([]byte(user))
	return base64.RawStdEncoding.EncodeToString(m.Sum(nil))
}

// check parses "<expiry unix>:<session>" and reports the session if the
// credentials are current.
func (t *TURN) check(user string) (string, bool) {
	exp, sessionID, ok := strings.Cut(user, ":")
	if !ok {
		return "", false
	}
	sec, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || t.now().Unix() > sec {
		return "", false
	}
	return sessionID, true
}

// Credentials mints TURN credentials for one session, valid for ttl (and
// only while the session lives).
func (t *TURN) Credentials(sessionID string, ttl time.Duration) (urls []string, user, password string) {
	user = fmt.Sprintf("%d:%s", t.now().Add(ttl).Unix(), sessionID)
	urls = []string{"turn:" + t.addr + "?transport=udp"}
	if t.tcp {
		urls = append(urls, "turn:"+t.addr+"?transport=tcp")
	}
	return urls, user, t.password(user)
}

// Close stops the server.
func (t *TURN) Close() error { return t.srv.Close() }
