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

// methodAllocate is stun.MethodAllocate (RFC 5766), without making
// pion/stun a direct dependency.
const methodAllocate = 0x003

// DefaultQuota is the number of allocations one peer of a session may hold
// at once. A peer connection gathers one relayed candidate per TURN URL
// (UDP and TCP: 2), and a reconnect gathers new ones before the old
// allocations are gone (x2); the agent holds one peer connection per
// technician, so 8 covers two technicians reconnecting, or four steady.
const DefaultQuota = 8

// TURN is the embedded TURN server.
type TURN struct {
	srv    *turn.Server
	relays *relays
	secret []byte
	addr   string // host:port clients use
	tcp    bool
	now    func() time.Time
	live   func(string, int64) bool
	log    *slog.Logger
}

// Allocation describes a TURN allocation for the audit log.
type Allocation struct {
	SessionID string
	Peer      int64  // technician's user ID; 0: the end user's app
	Source    string // the client's address
	Relayed   string // the relayed address handed out
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
	// Live reports whether a peer of a session may still use TURN (the
	// session goes on and the peer is part of it); its credentials stop
	// working when not (EndSession ends a session's allocations).
	Live func(sessionID string, peer int64) bool
	// AllowPrivate lets TURN relay to RFC 1918, CGNAT and ULA peers, for a
	// deployment where every end user and technician is on the LAN.
	AllowPrivate bool
	// AllowLoopback lets TURN relay to loopback peers. For tests only: on
	// a real relay it would expose every service of the relay's host.
	AllowLoopback bool
	// Quota is the number of allocations a peer may hold (DefaultQuota).
	Quota int
	// OnAllocated is told of every allocation (the audit log); may be nil.
	OnAllocated func(Allocation)
	Now         func() time.Time
	Logger      *slog.Logger
}

// NewTURN starts TURN on cfg.Conn with a fresh secret (credentials do not
// survive a relay restart; clients get new ones when they reconnect).
// Every listener refuses TCP allocations and peers that are not public
// internet addresses (see peerFilter), and ends a session's allocations
// when EndSession is called.
func NewTURN(cfg Config) (*TURN, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Quota <= 0 {
		cfg.Quota = DefaultQuota
	}
	if cfg.Conn == nil || cfg.Live == nil {
		return nil, fmt.Errorf("media: TURN needs a UDP socket (Conn) and a session check (Live)")
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
	log := cfg.Logger
	t := &TURN{secret: make([]byte, 32), addr: cfg.PublicAddr, now: cfg.Now, live: cfg.Live, log: log, tcp: cfg.TCP != nil}
	rand.Read(t.secret)
	listen := "0.0.0.0"
	if ip.IsLoopback() {
		listen = ip.String()
	}
	own := []net.IP{ip}
	if ua, ok := cfg.Conn.LocalAddr().(*net.UDPAddr); ok {
		own = append(own, ua.IP)
	}
	filter := &peerFilter{allowPrivate: cfg.AllowPrivate, allowLoopback: cfg.AllowLoopback, own: ownAddresses(own...)}
	t.relays = newRelays(ip, listen, cfg.Quota, filter)
	permit := func(client net.Addr, peer net.IP) bool {
		if !filter.permits(peer) {
			log.Debug("TURN permission refused", "peer", peer, "from", client)
			return false
		}
		return true
	}
	var listeners []turn.ListenerConfig
	if cfg.TCP != nil {
		listeners = append(listeners, turn.ListenerConfig{Listener: syncListener{cfg.TCP, t.relays}, RelayAddressGenerator: t.relays, PermissionHandler: permit})
	}
	demux, _ := cfg.Conn.(*half)
	t.srv, err = turn.NewServer(turn.ServerConfig{
		ListenerConfigs: listeners,
		Realm:           Realm,
		AuthHandler:     t.auth,
		QuotaHandler: func(userID, _ string, src net.Addr) bool {
			if !t.relays.allowed(userID) {
				log.Warn("TURN allocation quota reached", "peer", userID, "from", src)
				return false
			}
			return true
		},
		EventHandler: turn.EventHandler{
			OnAuth: func(src, _ net.Addr, _, _, _, _ string, ok bool) {
				// Only an authenticated source may send ChannelData that
				// looks like QUIC (M2 in the security review).
				if ua, isUDP := src.(*net.UDPAddr); ok && isUDP && demux != nil {
					demux.d.trust(ua)
				}
			},
			OnAllocationCreated: func(src, _ net.Addr, _, userID, _ string, relayed net.Addr, _ int) {
				session, peer := splitUserID(userID)
				log.Info("TURN allocation", "session", session, "peer", peer, "from", src, "relayed", relayed)
				if cfg.OnAllocated != nil {
					cfg.OnAllocated(Allocation{SessionID: session, Peer: peer, Source: src.String(), Relayed: relayed.String()})
				}
			},
		},
		PacketConnConfigs: []turn.PacketConnConfig{{PacketConn: syncConn{cfg.Conn, t.relays}, RelayAddressGenerator: t.relays, PermissionHandler: permit}},
	})
	if err != nil {
		return nil, fmt.Errorf("media: start TURN: %w", err)
	}
	return t, nil
}

// auth is the AuthHandler. Credentials are "<expiry>:<session>:<peer>" with
// an HMAC password. Current credentials of a live session may allocate;
// expired ones may only keep what they allocated (Refresh,
// CreatePermission, ChannelBind: pion's client refreshes with the
// credentials it allocated with) while the session lives. The user ID is
// "<session>/<peer>": quotas and allocations are per peer.
func (t *TURN) auth(ra *turn.RequestAttributes) (string, []byte, bool) {
	expired, session, peer, ok := t.check(ra.Username)
	switch {
	case !ok:
	case expired && ra.Method == methodAllocate:
		ok = false
	default:
		ok = t.live(session, peer)
	}
	if !ok {
		t.log.Debug("TURN request refused", "user", ra.Username, "from", ra.SrcAddr, "method", ra.Method)
		return "", nil, false
	}
	return userID(session, peer), turn.GenerateAuthKey(ra.Username, Realm, t.password(ra.Username)), true
}

func (t *TURN) password(user string) string {
	m := hmac.New(sha256.New, t.secret)
	m.Write([]byte(user))
	return base64.RawStdEncoding.EncodeToString(m.Sum(nil))
}

// check parses "<expiry unix>:<session>:<peer>".
func (t *TURN) check(user string) (expired bool, session string, peer int64, ok bool) {
	parts := strings.Split(user, ":")
	if len(parts) != 3 || parts[1] == "" {
		return false, "", 0, false
	}
	sec, err1 := strconv.ParseInt(parts[0], 10, 64)
	peer, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || peer < 0 {
		return false, "", 0, false
	}
	return t.now().Unix() > sec, parts[1], peer, true
}

// userID names one peer of a session to pion: quotas and allocations are
// per peer.
func userID(session string, peer int64) string { return session + "/" + strconv.FormatInt(peer, 10) }

func splitUserID(userID string) (string, int64) {
	session, p, _ := strings.Cut(userID, "/")
	peer, _ := strconv.ParseInt(p, 10, 64)
	return session, peer
}

// Credentials mints TURN credentials for one peer of a session (a
// technician's user ID, or 0 for the end user's app), valid for ttl for new
// allocations, and only while the session lives.
func (t *TURN) Credentials(sessionID string, peer int64, ttl time.Duration) (urls []string, user, password string) {
	user = fmt.Sprintf("%d:%s:%d", t.now().Add(ttl).Unix(), sessionID, peer)
	urls = []string{"turn:" + t.addr + "?transport=udp"}
	if t.tcp {
		urls = append(urls, "turn:"+t.addr+"?transport=tcp")
	}
	return urls, user, t.password(user)
}

// EndSession ends every allocation of a session: they relay nothing from
// now on, and their relayed sockets close a second later, so pion deletes
// the allocations. It reports how many it ended.
func (t *TURN) EndSession(sessionID string) int {
	n := t.relays.end(func(userID string) bool { s, _ := splitUserID(userID); return s == sessionID })
	if n > 0 {
		t.log.Info("TURN allocations ended with the session", "session", sessionID, "allocations", n)
	}
	return n
}

// EndPeer ends the allocations of one peer of a session (a technician who
// left, or the app when no technician is left), as EndSession does.
func (t *TURN) EndPeer(sessionID string, peer int64) int {
	user := userID(sessionID, peer)
	n := t.relays.end(func(userID string) bool { return userID == user })
	if n > 0 {
		t.log.Info("TURN allocations ended with the peer's part in the session", "session", sessionID, "peer", peer, "allocations", n)
	}
	return n
}

// Close stops the server and waits for the delayed closes of ended
// allocations.
func (t *TURN) Close() error {
	err := t.srv.Close()
	t.relays.wait()
	return err
}
