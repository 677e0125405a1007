package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"syscall"

	"github.com/quic-go/quic-go"
)

// ErrTooManyConns is why a connection beyond Limits.PerSource is refused.
var ErrTooManyConns = errors.New("transport: too many connections from this network")

// Limits bounds what one source may hold on a relay's QUIC listener.
type Limits struct {
	// PerSource caps the open connections (handshakes included) from one
	// IPv4 address or IPv6 /64; 0 means DefaultLimits' value, negative none.
	PerSource int
	// VerifyAbove turns on source-address validation (a QUIC Retry, one
	// more round trip) for new connections while more than this many are
	// open, so spoofed sources cannot start handshakes under load; 0 means
	// DefaultLimits' value, negative: always validate.
	VerifyAbove int
}

// DefaultLimits are the relay's limits: room for a large office behind one
// NAT address, Retry once the relay holds a few thousand connections.
var DefaultLimits = Limits{PerSource: 256, VerifyAbove: 2000}

func (l Limits) fill() Limits {
	if l.PerSource == 0 {
		l.PerSource = DefaultLimits.PerSource
	}
	if l.VerifyAbove == 0 {
		l.VerifyAbove = DefaultLimits.VerifyAbove
	}
	return l
}

// SourceKey is the key under which per-source limits count an address: the
// IPv4 address, or the /64 of an IPv6 one (one subscriber's prefix).
func SourceKey(a net.Addr) string {
	var ip netip.Addr
	switch a := a.(type) {
	case *net.UDPAddr:
		ip, _ = netip.AddrFromSlice(a.IP)
	case *net.TCPAddr:
		ip, _ = netip.AddrFromSlice(a.IP)
	default:
		ap, err := netip.ParseAddrPort(a.String())
		if err != nil {
			return a.String()
		}
		ip = ap.Addr()
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// ListenPair opens a UDP socket and the TCP listener of the same port, as
// a relay serves QUIC and TURN on UDP and TURN and HTTPS on TCP. Port 0
// takes any free pair: the system picks the UDP port, and when the TCP port
// of that number is taken it tries another (a few times, then says so).
func ListenPair(addr string) (net.PacketConn, net.Listener, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("address %q: %w", addr, err)
	}
	tries := 1
	if port == "0" {
		tries = 20
	}
	for i := 0; ; i++ {
		udp, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("listen on UDP %s: %w", addr, err)
		}
		tcp, err := net.Listen("tcp", udp.LocalAddr().String())
		if err == nil {
			return udp, tcp, nil
		}
		udp.Close()
		if i+1 >= tries || !errors.Is(err, syscall.EADDRINUSE) {
			return nil, nil, fmt.Errorf("listen on TCP %s: %w", udp.LocalAddr(), err)
		}
	}
}

// Listener is a QUIC listener on its own quic.Transport that enforces Limits.
type Listener struct {
	*quic.Listener
	tr *quic.Transport

	lim   Limits
	mu    sync.Mutex
	open  int
	per   map[string]int
	stats Stats
}

// Stats counts what the limits did.
type Stats struct {
	Open     int // connections open now
	Refused  int // connections refused by PerSource
	Verified int // connection attempts sent through a Retry
}

// Listen serves QUIC on pc, a UDP socket the caller owns, with DefaultLimits.
func Listen(pc net.PacketConn, cert tls.Certificate) (*Listener, error) {
	return ListenWith(pc, cert, Limits{})
}

// ListenWith serves QUIC on pc with the given limits. Close stops
// accepting; CloseTransport ends the connections too (pc stays open).
func ListenWith(pc net.PacketConn, cert tls.Certificate, lim Limits) (*Listener, error) {
	l := &Listener{lim: lim.fill(), per: make(map[string]int)}
	l.tr = &quic.Transport{Conn: pc, ConnContext: l.connContext, VerifySourceAddress: l.verify}
	ln, err := l.tr.Listen(ServerTLS(cert), QUICConfig())
	if err != nil {
		return nil, fmt.Errorf("listen QUIC: %w", err)
	}
	l.Listener = ln
	return l, nil
}

// connContext counts the connection against its source until quic-go
// cancels ctx (the connection closed or its handshake failed).
func (l *Listener) connContext(ctx context.Context, ci *quic.ClientInfo) (context.Context, error) {
	key := SourceKey(ci.RemoteAddr)
	l.mu.Lock()
	if l.lim.PerSource > 0 && l.per[key] >= l.lim.PerSource {
		l.stats.Refused++
		l.mu.Unlock()
		return nil, fmt.Errorf("%w (%s)", ErrTooManyConns, key)
	}
	l.per[key]++
	l.open++
	l.mu.Unlock()
	context.AfterFunc(ctx, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.open--
		if l.per[key]--; l.per[key] <= 0 {
			delete(l.per, key)
		}
	})
	return ctx, nil
}

// verify asks for a Retry while the relay holds more than VerifyAbove connections.
func (l *Listener) verify(net.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open > l.lim.VerifyAbove {
		l.stats.Verified++
		return true
	}
	return false
}

// Stats returns the counters.
func (l *Listener) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stats
	s.Open = l.open
	return s
}

// Close stops accepting; connections already accepted stay open, so their
// owner can close them with a reason (proto.ErrShuttingDown).
func (l *Listener) Close() error { return l.Listener.Close() }

// CloseTransport closes the transport, and with it every connection still
// open, and waits for its reading goroutine, which needs a pc whose
// SetReadDeadline wakes a blocked read (a *net.UDPConn does; the relay's
// demultiplexed socket does not: there, closing pc ends the transport).
// pc stays open.
func (l *Listener) CloseTransport() error {
	l.Listener.Close()
	return l.tr.Close()
}

// ServePeers accepts connections on l until it is closed and calls serve,
// on a goroutine of its own, with a Peer on each connection's control
// stream (not yet running: serve runs it). It returns once l is closed and
// every serve returned. It suits small in-process relays (tests, tools);
// the relay's server tracks its connections itself.
func (l *Listener) ServePeers(serve func(*Peer)) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		conn, err := l.Accept(context.Background())
		if err != nil {
			return
		}
		wg.Go(func() {
			st, err := conn.AcceptStream(conn.Context())
			if err != nil {
				return
			}
			serve(PeerOn(conn, st))
		})
	}
}
