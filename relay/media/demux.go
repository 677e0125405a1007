// Package media runs the relay's embedded TURN server (pion/turn) on the
// same UDP port as QUIC, so that media needs no port of its own: a demux
// sends STUN/TURN traffic to TURN and everything else to QUIC. TURN
// credentials are minted per peer of a session and stop working when it
// ends; TURN relays only to public internet addresses, never over TCP to
// peers (RFC 6062), within a per-peer quota, and a session's allocations
// end with it.
package media

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"
)

// Demux splits one UDP socket into a QUIC side and a TURN side. A datagram
// goes to TURN when it is a STUN message (RFC 5389 magic cookie), or when it
// comes from a trusted TURN client and looks like TURN ChannelData (first
// byte 0x40-0x7F, whose range overlaps QUIC short headers: the source
// address decides). A source becomes trusted only when TURN authenticated a
// request from it (a spoofed STUN packet cannot divert a QUIC client's
// packets), stays trusted for PeerTTL after its last authenticated request,
// and at most MaxPeers sources are trusted at once.
//
// quic-go's Transport.ReadNonQUICPacket is not enough to share the socket:
// quic-go keeps every datagram whose first byte has the QUIC bit (0x40)
// set, which includes all ChannelData, and drops it as an unknown
// connection ID. So the demux decides, where TURN's authentication is known.
type Demux struct {
	pc   net.PacketConn
	quic *half
	turn *half

	// PeerTTL and MaxPeers bound the trusted TURN sources (DefaultPeerTTL,
	// DefaultMaxPeers); set them before traffic flows.
	PeerTTL  time.Duration
	MaxPeers int
	now      func() time.Time

	mu        sync.Mutex
	turnPeers map[netip.AddrPort]time.Time // trusted source -> last authenticated request
	done      chan struct{}
	wg        sync.WaitGroup
}

// Bounds of the trusted TURN sources. pion's client refreshes permissions
// every few minutes, which renews its trust.
const (
	DefaultPeerTTL  = 10 * time.Minute
	DefaultMaxPeers = 16384
)

type packet struct {
	b    []byte
	addr net.Addr
}

// NewDemux starts reading pc; Close stops it.
func NewDemux(pc net.PacketConn) *Demux {
	d := &Demux{pc: pc, PeerTTL: DefaultPeerTTL, MaxPeers: DefaultMaxPeers, now: time.Now,
		turnPeers: make(map[netip.AddrPort]time.Time), done: make(chan struct{})}
	d.quic = &half{d: d, in: make(chan packet, 1024)}
	d.turn = &half{d: d, in: make(chan packet, 1024)}
	d.wg.Go(d.loop)
	return d
}

// QUIC is the PacketConn for quic-go.
func (d *Demux) QUIC() net.PacketConn { return d.quic }

// TURN is the PacketConn for the TURN server.
func (d *Demux) TURN() net.PacketConn { return d.turn }

func isSTUN(b []byte) bool {
	return len(b) >= 20 && b[0]&0xC0 == 0 && binary.BigEndian.Uint32(b[4:8]) == 0x2112A442
}

func isChannelData(b []byte) bool { return len(b) >= 4 && b[0] >= 0x40 && b[0] <= 0x7F }

func (d *Demux) loop() {
	buf := make([]byte, 65536)
	for {
		n, addr, err := d.pc.ReadFrom(buf)
		if err != nil {
			close(d.done)
			return
		}
		b := buf[:n]
		toTURN := isSTUN(b) || isChannelData(b) && d.trusted(addr)
		h := d.quic
		if toTURN {
			h = d.turn
		}
		p := packet{b: append([]byte(nil), b...), addr: addr}
		select {
		case h.in <- p:
		default: // the reader is behind: drop, as a full socket buffer would
		}
	}
}

func addrPort(a net.Addr) (netip.AddrPort, bool) {
	ua, ok := a.(*net.UDPAddr)
	if !ok {
		return netip.AddrPort{}, false
	}
	ap := ua.AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), true
}

// trust records a source TURN authenticated. When MaxPeers sources are
// trusted, expired ones are dropped first; if none expired, the new source
// is not recorded (its STUN still reaches TURN; only its ChannelData waits
// for room).
func (d *Demux) trust(a *net.UDPAddr) {
	key, _ := addrPort(a)
	now := d.now()
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, known := d.turnPeers[key]; !known && len(d.turnPeers) >= d.MaxPeers {
		for k, at := range d.turnPeers {
			if now.Sub(at) > d.PeerTTL {
				delete(d.turnPeers, k)
			}
		}
		if len(d.turnPeers) >= d.MaxPeers {
			return
		}
	}
	d.turnPeers[key] = now
}

// trusted reports whether a is a trusted TURN source, forgetting it when
// its trust expired.
func (d *Demux) trusted(a net.Addr) bool {
	key, ok := addrPort(a)
	if !ok {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	at, ok := d.turnPeers[key]
	if ok && d.now().Sub(at) > d.PeerTTL {
		delete(d.turnPeers, key)
		return false
	}
	return ok
}

// Close stops the demux (it closes the underlying socket).
func (d *Demux) Close() error {
	err := d.pc.Close()
	d.wg.Wait()
	return err
}

// half is one side of the demux.
type half struct {
	d        *Demux
	in       chan packet
	mu       sync.Mutex
	deadline time.Time
	closed   bool
}

var errClosed = errors.New("media: demux closed")

func (h *half) ReadFrom(b []byte) (int, net.Addr, error) {
	h.mu.Lock()
	dl := h.deadline
	h.mu.Unlock()
	var timeout <-chan time.Time
	if !dl.IsZero() {
		t := time.NewTimer(time.Until(dl))
		defer t.Stop()
		timeout = t.C
	}
	select {
	case p := <-h.in:
		return copy(b, p.b), p.addr, nil
	case <-h.d.done:
		return 0, nil, net.ErrClosed
	case <-timeout:
		return 0, nil, os.ErrDeadlineExceeded
	}
}

func (h *half) WriteTo(b []byte, addr net.Addr) (int, error) { return h.d.pc.WriteTo(b, addr) }

// Close closes the demux as a whole: both sides share one socket.
func (h *half) Close() error { return h.d.Close() }

func (h *half) LocalAddr() net.Addr { return h.d.pc.LocalAddr() }

func (h *half) SetDeadline(t time.Time) error { return h.SetReadDeadline(t) }

func (h *half) SetReadDeadline(t time.Time) error {
	h.mu.Lock()
	h.deadline = t
	h.mu.Unlock()
	return nil
}

func (h *half) SetWriteDeadline(time.Time) error { return nil }

// SetReadBuffer and SetWriteBuffer size the shared socket's buffers (quic-go
// asks for ~7 MiB); SyscallConn lets it check what it got.
func (h *half) SetReadBuffer(n int) error {
	if u, ok := h.d.pc.(*net.UDPConn); ok {
		return u.SetReadBuffer(n)
	}
	return errors.New("media: not a UDP socket")
}

func (h *half) SetWriteBuffer(n int) error {
	if u, ok := h.d.pc.(*net.UDPConn); ok {
		return u.SetWriteBuffer(n)
	}
	return errors.New("media: not a UDP socket")
}

func (h *half) SyscallConn() (syscall.RawConn, error) {
	if u, ok := h.d.pc.(*net.UDPConn); ok {
		return u.SyscallConn()
	}
	return nil, errors.New("media: not a UDP socket")
}
