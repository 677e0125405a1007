package media

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/turn/v5"
)

var (
	errTCPAllocation = errors.New("media: TCP allocations (RFC 6062) are not offered")
	errQuota         = errors.New("media: allocation quota of this peer reached")
)

// relays is the TURN server's RelayAddressGenerator. It opens UDP relayed
// sockets only (TCP allocations are refused), counts them per peer for the
// quota, and ends a session's (or a peer's) sockets when told: they stop
// relaying at once and close closeDelay later, and pion then deletes the
// allocation instead of waiting for its permissions to lapse. A relayed
// socket also refuses, on every send, the addresses the filter refuses and
// the relay's own address on any port that is not a relayed socket (two
// peers relayed through this relay reach each other).
//
// The delay and mu order pion's deletion of an allocation (on the
// socket's reading goroutine) after any request TURN was still handling
// for it: pion adds a permission's timer outside its lock, and a deletion
// meeting that would race (and could panic). TURN's reading goroutines
// pass through mu before each read (syncConn), the socket's reader after
// its last.
type relays struct {
	ip     net.IP // the relayed address handed out
	listen string // the address relayed sockets listen on
	quota  int    // allocations per peer
	filter *peerFilter

	mu     sync.Mutex
	byPeer map[string]map[*relayConn]bool // userID "session/peer" -> open sockets
	ports  map[int]bool                   // ports of open relayed sockets
	wg     sync.WaitGroup                 // delayed closes
}

// closeDelay is how long an ended socket stays open, relaying nothing,
// before it closes: longer than TURN takes to handle a request in flight.
const closeDelay = time.Second

func newRelays(ip net.IP, listen string, quota int, f *peerFilter) *relays {
	return &relays{ip: ip, listen: listen, quota: quota, filter: f,
		byPeer: make(map[string]map[*relayConn]bool), ports: make(map[int]bool)}
}

var _ turn.RelayAddressGenerator = (*relays)(nil)

func (r *relays) Validate() error { return nil }

// allowed reports whether userID may make one more allocation (the
// QuotaHandler; AllocatePacketConn checks again under the same lock).
func (r *relays) allowed(userID string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byPeer[userID]) < r.quota
}

func (r *relays) AllocatePacketConn(c turn.AllocateListenerConfig) (net.PacketConn, net.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.byPeer[c.UserID]) >= r.quota {
		return nil, nil, errQuota
	}
	pc, err := net.ListenPacket(c.Network, net.JoinHostPort(r.listen, "0"))
	if err != nil {
		return nil, nil, fmt.Errorf("media: open relayed socket: %w", err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	rc := &relayConn{PacketConn: pc, r: r, user: c.UserID, port: port}
	if r.byPeer[c.UserID] == nil {
		r.byPeer[c.UserID] = make(map[*relayConn]bool)
	}
	r.byPeer[c.UserID][rc] = true
	r.ports[port] = true
	return rc, &net.UDPAddr{IP: r.ip, Port: port}, nil
}

func (r *relays) AllocateListener(turn.AllocateListenerConfig) (net.Listener, net.Addr, error) {
	return nil, nil, errTCPAllocation
}

func (r *relays) AllocateConn(turn.AllocateConnConfig) (net.Conn, error) {
	return nil, errTCPAllocation
}

// end stops the relayed sockets of every user ID ("session/peer") that
// match accepts at once, and closes them closeDelay later.
func (r *relays) end(match func(userID string) bool) int {
	r.mu.Lock()
	var conns []*relayConn
	for user, set := range r.byPeer {
		if match(user) {
			for rc := range set {
				conns = append(conns, rc)
			}
		}
	}
	r.mu.Unlock()
	for _, rc := range conns {
		rc.dead.Store(true)
	}
	if len(conns) > 0 {
		r.wg.Add(1)
		time.AfterFunc(closeDelay, func() {
			defer r.wg.Done()
			for _, rc := range conns {
				rc.Close()
			}
		})
	}
	return len(conns)
}

// wait waits for the delayed closes.
func (r *relays) wait() { r.wg.Wait() }

// pass orders the caller after everything that went through mu before.
func (r *relays) pass() {
	r.mu.Lock()
	r.mu.Unlock() // empty on purpose: only the ordering counts (see relays)
}

// count is the number of open relayed sockets.
func (r *relays) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.ports)
}

func (r *relays) relayedPort(port int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ports[port]
}

// relayConn is one allocation's relayed socket.
type relayConn struct {
	net.PacketConn
	r    *relays
	user string
	port int
	dead atomic.Bool // the session or peer ended: relay nothing
	once sync.Once
}

// ReadFrom passes on what peers send, nothing once the socket is dead.
func (c *relayConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(b)
		if err != nil {
			c.r.pass() // pion deletes the allocation next, on this goroutine
			return n, addr, err
		}
		if !c.dead.Load() {
			return n, addr, nil
		}
	}
}

// WriteTo sends to a peer unless the filter refuses it or it is the relay's
// own address on a port that is not a relayed socket (QUIC, TURN, HTTPS or
// any other service of the relay's host). A refused datagram is dropped
// silently, as a firewall would: an error would make pion log every one.
func (c *relayConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return 0, fmt.Errorf("media: relay to %v: not a UDP address", addr)
	}
	if c.dead.Load() || !c.r.filter.permits(ua.IP) || c.r.filter.isOwn(ua.IP) && !c.r.relayedPort(ua.Port) {
		return len(b), nil
	}
	return c.PacketConn.WriteTo(b, addr)
}

// Close closes the socket and forgets it (pion closes it when the
// allocation ends; endSession closes it first when the session ends).
func (c *relayConn) Close() error {
	var err error
	c.once.Do(func() {
		c.r.mu.Lock()
		delete(c.r.byPeer[c.user], c)
		if len(c.r.byPeer[c.user]) == 0 {
			delete(c.r.byPeer, c.user)
		}
		delete(c.r.ports, c.port)
		c.r.mu.Unlock()
		err = c.PacketConn.Close()
	})
	return err
}

// syncConn is TURN's UDP socket; its reader passes through relays.mu
// before each read, that is after handling each request.
type syncConn struct {
	net.PacketConn
	r *relays
}

func (c syncConn) ReadFrom(b []byte) (int, net.Addr, error) {
	c.r.pass()
	return c.PacketConn.ReadFrom(b)
}

// syncListener gives TURN over TCP connections whose readers pass through
// relays.mu before each read.
type syncListener struct {
	net.Listener
	r *relays
}

func (l syncListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return syncNetConn{Conn: c, r: l.r}, nil
}

type syncNetConn struct {
	net.Conn
	r *relays
}

func (c syncNetConn) Read(b []byte) (int, error) {
	c.r.pass()
	return c.Conn.Read(b)
}
