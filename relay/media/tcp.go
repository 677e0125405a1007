package media

import (
	"bufio"
	"net"
	"sync"
	"time"
)

// TCPSplit shares the relay's TCP port: connections that open with a STUN
// message (first byte 0x00 or 0x01) are TURN over TCP, for networks that
// block UDP; anything else (TLS starts with 0x16) goes to the HTTPS side.
// TURN connections are capped and closed when idle (TCPLimits).
type TCPSplit struct {
	ln    net.Listener
	lim   TCPLimits
	turn  *chanListener
	other *chanListener
	wg    sync.WaitGroup

	mu       sync.Mutex
	turnOpen int // TURN connections handed out and not closed
}

// TCPLimits bound TURN over TCP.
type TCPLimits struct {
	// TURNIdle closes a TURN connection that received nothing this long
	// (DefaultTURNIdle): longer than pion's client waits between refreshes
	// (permissions every 2 minutes, the allocation every 5), so only a
	// connection whose client is gone or silent is closed.
	TURNIdle time.Duration
	// MaxTURN is the number of TURN connections open at once
	// (DefaultMaxTURN); more are closed at once.
	MaxTURN int
}

// Defaults of TCPLimits.
const (
	DefaultTURNIdle = 6 * time.Minute
	DefaultMaxTURN  = 1024
)

// NewTCPSplit starts accepting on ln.
func NewTCPSplit(ln net.Listener, lim TCPLimits) *TCPSplit {
	if lim.TURNIdle == 0 {
		lim.TURNIdle = DefaultTURNIdle
	}
	if lim.MaxTURN == 0 {
		lim.MaxTURN = DefaultMaxTURN
	}
	mk := func() *chanListener {
		return &chanListener{addr: ln.Addr(), conns: make(chan net.Conn), done: make(chan struct{})}
	}
	s := &TCPSplit{ln: ln, lim: lim, turn: mk(), other: mk()}
	s.wg.Go(s.loop)
	return s
}

// TURN is the listener for the TURN server.
func (s *TCPSplit) TURN() net.Listener { return s.turn }

// HTTPS is the listener for everything else.
func (s *TCPSplit) HTTPS() net.Listener { return s.other }

func (s *TCPSplit) loop() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			s.turn.close()
			s.other.close()
			return
		}
		s.wg.Go(func() { s.route(c) })
	}
}

// route peeks at the first byte (waiting at most 10s for it).
func (s *TCPSplit) route(c net.Conn) {
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	b, err := br.Peek(1)
	c.SetReadDeadline(time.Time{})
	if err != nil {
		c.Close()
		return
	}
	var conn net.Conn = &peekedConn{Conn: c, r: br}
	to := s.other
	if b[0] <= 0x01 {
		to = s.turn
		s.mu.Lock()
		full := s.turnOpen >= s.lim.MaxTURN
		if !full {
			s.turnOpen++
		}
		s.mu.Unlock()
		if full {
			c.Close()
			return
		}
		conn = &idleConn{Conn: conn, idle: s.lim.TURNIdle, closed: s.turnClosed}
	}
	select {
	case to.conns <- conn:
	case <-to.done:
		conn.Close()
	}
}

func (s *TCPSplit) turnClosed() {
	s.mu.Lock()
	s.turnOpen--
	s.mu.Unlock()
}

// idleConn is a TURN connection that times out when nothing arrives for
// idle, and tells the split when it closes.
type idleConn struct {
	net.Conn
	idle   time.Duration
	closed func()
	once   sync.Once
}

func (c *idleConn) Read(b []byte) (int, error) {
	c.Conn.SetReadDeadline(time.Now().Add(c.idle))
	return c.Conn.Read(b)
}

func (c *idleConn) Close() error {
	c.once.Do(c.closed)
	return c.Conn.Close()
}

// Close stops accepting and waits for routing to finish.
func (s *TCPSplit) Close() error {
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (p *peekedConn) Read(b []byte) (int, error) { return p.r.Read(b) }

// chanListener is a net.Listener fed by TCPSplit.
type chanListener struct {
	addr  net.Addr
	conns chan net.Conn
	once  sync.Once
	done  chan struct{}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) close() { l.once.Do(func() { close(l.done) }) }

func (l *chanListener) Close() error { l.close(); return nil }

func (l *chanListener) Addr() net.Addr { return l.addr }
