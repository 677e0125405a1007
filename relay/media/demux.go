// Package media runs the relay's embedded TURN server (pion/turn) on the
// same UDP port as QUIC, so that media needs no port of its own: a demux
// sends STUN/TURN traffic to TURN and everything else to QUIC. TURN
// credentials are minted per session and stop working when it ends.
package media

import (
	"encoding/binary"
	"errors"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// Demux splits one UDP socket into a QUIC side and a TURN side. A datagram
// goes to TURN when it is a STUN message (RFC 5389 magic cookie), or when it
// comes from an address that spoke STUN before and looks like TURN
// ChannelData (first byte 0x40-0x7F, whose range overlaps QUIC short
// headers: the source address decides).
type Demux struct {
	pc   net.PacketConn
	quic *half
	turn *half

	mu        sync.Mutex
	turnPeers map[string]time.Time // source address -> last STUN seen
	done      chan struct{}
	wg        sync.WaitGroup
}

type packet struct {
	b    []byte
	addr net.Addr
}

// NewDemux starts reading pc; Close stops it.
func NewDemux(pc net.PacketConn) *Demux {
	d := &Demux{pc: pc, turnPeers: make(map[string]time.Time), done: make(chan struct{})}
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
		toTURN := false
		key := addr.String()
		switch {
		case isSTUN(b):
			toTURN = true
			d.mu.Lock()
			d.turnPeers[key] = time.Now()
			d.mu.Unlock()
		case isChannelData(b):
			d.mu.Lock()
			_, toTURN = d.turnPeers[key]
			d.mu.Unlock()
		}
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
