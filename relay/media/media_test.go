package media

import (
	"bytes"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/turn/v5"
)

// fixture is the relay's UDP port (demux + TURN) on loopback, with one
// session "live" that can be ended.
type fixture struct {
	tr    *TURN
	d     *Demux
	addr  string
	live  *atomic.Bool
	mu    sync.Mutex
	audit []Allocation
}

func newFixture(t *testing.T, cfg Config) *fixture {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{d: NewDemux(pc), addr: pc.LocalAddr().String(), live: &atomic.Bool{}}
	f.live.Store(true)
	cfg.Conn, cfg.PublicAddr = f.d.TURN(), f.addr
	cfg.Live = func(id string, peer int64) bool { return id == "live" && peer != 99 && f.live.Load() }
	cfg.OnAllocated = func(a Allocation) { f.mu.Lock(); f.audit = append(f.audit, a); f.mu.Unlock() }
	if f.tr, err = NewTURN(cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.tr.Close(); f.d.Close() })
	return f
}

// client is a real pion TURN client on its own UDP socket.
func (f *fixture) client(t *testing.T, user, pass string) *turn.Client {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(f.addr, user, pass, conn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); conn.Close() })
	return c
}

// allocate makes an allocation with fresh credentials of peer in session "live".
func (f *fixture) allocate(t *testing.T, peer int64) (*turn.Client, net.PacketConn) {
	t.Helper()
	_, user, pass := f.tr.Credentials("live", peer, time.Minute)
	c := f.client(t, user, pass)
	rc, err := c.Allocate()
	if err != nil {
		t.Fatalf("allocate: %v", err)
	}
	t.Cleanup(func() { rc.Close() })
	return c, rc
}

// pair allocates for the agent (a) and a technician (b) of session
// "live"; b lets a's relayed address in.
func (f *fixture) pair(t *testing.T) (a, b net.PacketConn) {
	t.Helper()
	_, a = f.allocate(t, 0)
	cb, b := f.allocate(t, 7)
	if err := cb.CreatePermission(a.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	return a, b
}

func tryAllocate(t *testing.T, f *fixture, user, pass string) error {
	t.Helper()
	rc, err := f.client(t, user, pass).Allocate()
	if err == nil {
		rc.Close()
	}
	return err
}

func TestTURNNeedsCurrentSessionCredentials(t *testing.T) {
	f := newFixture(t, Config{})
	_, user, pass := f.tr.Credentials("live", 7, time.Hour)
	if err := tryAllocate(t, f, user, pass); err != nil {
		t.Fatalf("valid credentials refused: %v", err)
	}
	if err := tryAllocate(t, f, user, pass+"x"); err == nil {
		t.Fatal("wrong password accepted: an open relay")
	}
	if err := tryAllocate(t, f, "anyone", "anything"); err == nil {
		t.Fatal("made-up credentials accepted: an open relay")
	}
	_, other, otherPass := f.tr.Credentials("gone", 7, time.Hour)
	if err := tryAllocate(t, f, other, otherPass); err == nil {
		t.Fatal("credentials of an unknown session accepted")
	}
	_, left, leftPass := f.tr.Credentials("live", 99, time.Hour)
	if err := tryAllocate(t, f, left, leftPass); err == nil {
		t.Fatal("credentials of a peer no longer in the session accepted")
	}
	_, old, oldPass := f.tr.Credentials("live", 7, -time.Minute)
	if err := tryAllocate(t, f, old, oldPass); err == nil {
		t.Fatal("expired credentials accepted for a new allocation")
	}
	f.live.Store(false)
	if err := tryAllocate(t, f, user, pass); err == nil {
		t.Fatal("credentials still work after the session ended")
	}
}

// TestTURNRefusesPrivatePeers: the relay does not relay to its host, its
// networks or cloud metadata, over UDP; a public peer is allowed.
func TestTURNRefusesPrivatePeers(t *testing.T) {
	f := newFixture(t, Config{})
	c, _ := f.allocate(t, 0)
	for _, peer := range []string{"127.0.0.1", "10.1.2.3", "192.168.1.1", "172.16.0.1", "169.254.169.254", "100.64.0.1", "0.0.0.1", "224.0.0.1", "255.255.255.255"} {
		if err := c.CreatePermission(&net.UDPAddr{IP: net.ParseIP(peer), Port: 80}); err == nil {
			t.Errorf("permission to %s granted", peer)
		}
	}
	if err := c.CreatePermission(&net.UDPAddr{IP: net.ParseIP("203.0.113.9"), Port: 80}); err != nil {
		t.Fatalf("permission to a public peer refused: %v", err)
	}
	// --turn-allow-private opens the LAN, not loopback or metadata.
	lan := newFixture(t, Config{AllowPrivate: true})
	c, _ = lan.allocate(t, 0)
	if err := c.CreatePermission(&net.UDPAddr{IP: net.ParseIP("10.1.2.3"), Port: 80}); err != nil {
		t.Fatalf("private peer refused with AllowPrivate: %v", err)
	}
	for _, peer := range []string{"127.0.0.1", "169.254.169.254"} {
		if err := c.CreatePermission(&net.UDPAddr{IP: net.ParseIP(peer), Port: 80}); err == nil {
			t.Errorf("permission to %s granted with AllowPrivate", peer)
		}
	}
}

// recv reads one datagram from pc within d.
func recv(pc net.PacketConn, d time.Duration) ([]byte, error) {
	buf := make([]byte, 1500)
	pc.SetReadDeadline(time.Now().Add(d))
	n, _, err := pc.ReadFrom(buf)
	return buf[:n], err
}

// TestTURNRefusesRelaysOwnPort: even where loopback peers are allowed
// (tests), nothing is relayed to the relay's own ports (its QUIC port
// here), while two peers relayed through the relay reach each other.
func TestTURNRefusesRelaysOwnPort(t *testing.T) {
	f := newFixture(t, Config{AllowLoopback: true})
	a, b := f.pair(t)
	quicLike := []byte{0x41, 1, 2, 3, 4, 5, 6, 7}
	if _, err := a.WriteTo(quicLike, f.d.pc.LocalAddr()); err != nil {
		t.Fatalf("send to the relay's own port: %v", err)
	}
	if _, err := a.WriteTo([]byte("hello"), b.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	if got, err := recv(b, 5*time.Second); err != nil || string(got) != "hello" {
		t.Fatalf("relay to relay: %q %v", got, err)
	}
	if got, err := recv(f.d.QUIC(), 500*time.Millisecond); err == nil {
		t.Fatalf("the relay's QUIC port received %x through TURN", got)
	}
}

// TestTURNRefusesTCPAllocations: RFC 6062 allocations (the relay dialling
// TCP peers) are refused over TURN-over-TCP.
func TestTURNRefusesTCPAllocations(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	split := NewTCPSplit(ln, TCPLimits{})
	defer split.Close()
	f := newFixture(t, Config{TCP: split.TURN()})
	_, user, pass := f.tr.Credentials("live", 0, time.Minute)
	tc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	c, err := NewClient(ln.Addr().String(), user, pass, turn.NewSTUNConn(tc))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if alloc, err := c.AllocateTCP(); err == nil {
		alloc.Close()
		t.Fatal("a TCP allocation was granted")
	}
	// The same connection may still make a UDP allocation (TURN over TCP).
	rc, err := c.Allocate()
	if err != nil {
		t.Fatalf("UDP allocation over TCP refused: %v", err)
	}
	rc.Close()
}

// TestTURNAllocationsEndWithTheSession: once the session ends, relaying
// stops at once, not when permissions lapse; allocations are audited.
func TestTURNAllocationsEndWithTheSession(t *testing.T) {
	f := newFixture(t, Config{AllowLoopback: true})
	a, b := f.pair(t)
	send := func() error {
		if _, err := a.WriteTo([]byte("frame"), b.LocalAddr()); err != nil {
			return err
		}
		_, err := recv(b, 2*time.Second)
		return err
	}
	if err := send(); err != nil {
		t.Fatalf("relaying before the end: %v", err)
	}
	f.mu.Lock()
	audited := len(f.audit)
	f.mu.Unlock()
	if audited != 2 || f.audit[0].SessionID != "live" {
		t.Fatalf("audited allocations: %+v", f.audit)
	}
	if n := f.tr.EndPeer("live", 8); n != 0 {
		t.Fatalf("ending a peer without allocations ended %d", n)
	}
	f.live.Store(false)
	start := time.Now()
	if n := f.tr.EndSession("live"); n != 2 {
		t.Fatalf("ended %d allocations, want 2", n)
	}
	if _, err := a.WriteTo([]byte("frame"), b.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	if _, err := recv(b, 300*time.Millisecond); err == nil { // the first datagram after the end
		t.Fatal("relaying goes on after the session ended")
	}
	for f.tr.relays.count() != 0 {
		if time.Since(start) > 3*time.Second {
			t.Fatalf("%d relayed sockets still open 3s after the session ended", f.tr.relays.count())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("relayed sockets closed %v after the session's end", time.Since(start).Round(10*time.Millisecond))
}

// TestTURNExpiredCredentialsKeepTheirAllocation: credentials that expired
// during a session still refresh and extend what they allocated, but make
// no new allocation.
func TestTURNExpiredCredentialsKeepTheirAllocation(t *testing.T) {
	var skew atomic.Int64
	f := newFixture(t, Config{Now: func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }})
	c, _ := f.allocate(t, 0)
	skew.Store(int64(time.Hour))
	if err := c.CreatePermission(&net.UDPAddr{IP: net.ParseIP("203.0.113.9"), Port: 80}); err != nil {
		t.Fatalf("expired credentials cannot keep their allocation: %v", err)
	}
	_, user, pass := f.tr.Credentials("live", 0, -time.Minute)
	if err := tryAllocate(t, f, user, pass); err == nil {
		t.Fatal("expired credentials made a new allocation")
	}
	f.live.Store(false)
	if err := c.CreatePermission(&net.UDPAddr{IP: net.ParseIP("203.0.113.10"), Port: 80}); err == nil {
		t.Fatal("expired credentials still work after the session ended")
	}
}

// TestTURNEndPeer: a technician who left loses its allocations; the other
// peers of the session keep theirs.
func TestTURNEndPeer(t *testing.T) {
	f := newFixture(t, Config{AllowLoopback: true})
	a, b := f.pair(t)
	if n := f.tr.EndPeer("live", 7); n != 1 {
		t.Fatalf("ended %d allocations of the technician, want 1", n)
	}
	if _, err := a.WriteTo([]byte("frame"), b.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	if _, err := recv(b, time.Second); err == nil {
		t.Fatal("the technician's allocation still receives after it left")
	}
	time.Sleep(closeDelay + 500*time.Millisecond)
	if f.tr.relays.count() != 1 {
		t.Fatalf("%d relayed sockets open, want the agent's", f.tr.relays.count())
	}
}

func TestTURNQuotaPerPeer(t *testing.T) {
	f := newFixture(t, Config{Quota: 2})
	_, user, pass := f.tr.Credentials("live", 0, time.Minute)
	for i := range 2 {
		if _, err := f.client(t, user, pass).Allocate(); err != nil {
			t.Fatalf("allocation %d refused: %v", i+1, err)
		}
	}
	if _, err := f.client(t, user, pass).Allocate(); err == nil {
		t.Fatal("a third allocation was granted over a quota of 2")
	}
	f.allocate(t, 7) // another peer of the session has its own quota
}

func TestPeerFilter(t *testing.T) {
	f := &peerFilter{own: ownAddresses(net.ParseIP("198.51.100.1"))}
	for _, c := range []struct {
		ip   string
		want bool
	}{
		{"203.0.113.9", true}, {"8.8.8.8", true}, {"2606:4700::1111", true},
		{"127.0.0.1", false}, {"127.9.9.9", false}, {"::1", false}, {"::ffff:127.0.0.1", false},
		{"10.0.0.1", false}, {"::ffff:10.0.0.1", false}, {"172.31.255.255", false}, {"192.168.0.1", false},
		{"100.64.0.1", false}, {"100.127.255.254", false}, {"169.254.169.254", false}, {"::ffff:169.254.169.254", false},
		{"fe80::1", false}, {"fc00::1", false}, {"fd12:3456::1", false}, {"ff02::1", false},
		{"224.0.0.251", false}, {"239.255.255.250", false}, {"255.255.255.255", false}, {"0.0.0.0", false}, {"0.1.2.3", false}, {"::", false},
	} {
		if got := f.permits(net.ParseIP(c.ip)); got != c.want {
			t.Errorf("permits(%s) = %v, want %v", c.ip, got, c.want)
		}
	}
	if !f.isOwn(net.ParseIP("198.51.100.1")) || !f.isOwn(net.ParseIP("::ffff:198.51.100.1")) {
		t.Error("the relay's public address is not its own")
	}
	lan := &peerFilter{allowPrivate: true}
	if !lan.permits(net.ParseIP("192.168.0.1")) || !lan.permits(net.ParseIP("fd00::1")) || lan.permits(net.ParseIP("127.0.0.1")) || lan.permits(net.ParseIP("169.254.169.254")) {
		t.Error("AllowPrivate opens the wrong ranges")
	}
}

func stunPacket() []byte {
	stun := make([]byte, 20)
	stun[1] = 1                                                 // binding request
	stun[4], stun[5], stun[6], stun[7] = 0x21, 0x12, 0xA4, 0x42 // magic cookie
	return stun
}

func TestDemuxSplitsSTUNFromQUIC(t *testing.T) {
	pc, _ := net.ListenPacket("udp", "127.0.0.1:0")
	d := NewDemux(pc)
	defer d.Close()
	c, _ := net.Dial("udp", pc.LocalAddr().String())
	defer c.Close()
	quicShort := []byte{0x41, 1, 2, 3, 4, 5}
	c.Write(stunPacket())
	c.Write(quicShort) // STUN alone does not make a TURN client: QUIC
	d.TURN().SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 100)
	if n, _, err := d.TURN().ReadFrom(buf); err != nil || n != 20 {
		t.Fatalf("TURN side: %d %v", n, err)
	}
	if got, err := recv(d.QUIC(), 2*time.Second); err != nil || !bytes.Equal(got, quicShort) {
		t.Fatalf("QUIC side: %x %v (a spoofed STUN packet diverted a QUIC client)", got, err)
	}
	d.trust(c.LocalAddr().(*net.UDPAddr)) // TURN authenticated it
	c.Write(quicShort)                    // now ChannelData
	if got, err := recv(d.TURN(), 2*time.Second); err != nil || !bytes.Equal(got, quicShort) {
		t.Fatalf("ChannelData of a trusted source: %x %v", got, err)
	}
	if _, err := recv(d.QUIC(), 100*time.Millisecond); err == nil {
		t.Fatal("ChannelData from a TURN peer reached QUIC")
	}
}

func TestDemuxTrustExpiresAndIsCapped(t *testing.T) {
	pc, _ := net.ListenPacket("udp", "127.0.0.1:0")
	d := NewDemux(pc)
	defer d.Close()
	var now atomic.Int64
	d.now = func() time.Time { return time.Unix(now.Load(), 0) }
	d.MaxPeers = 2
	addr := func(port int) *net.UDPAddr { return &net.UDPAddr{IP: net.IPv4(198, 51, 100, 1), Port: port} }
	d.trust(addr(1))
	d.trust(addr(2))
	d.trust(addr(3)) // full: not recorded
	if !d.trusted(addr(1)) || d.trusted(addr(3)) {
		t.Fatal("cap not applied")
	}
	now.Store(int64(DefaultPeerTTL/time.Second) + 1)
	if d.trusted(addr(1)) {
		t.Fatal("trust did not expire")
	}
	d.trust(addr(3)) // the expired entries make room
	d.trust(addr(4))
	if !d.trusted(addr(3)) || !d.trusted(addr(4)) || len(d.turnPeers) != 2 {
		t.Fatalf("expired entries not pruned: %v", d.turnPeers)
	}
}

func TestTCPSplitCapsAndTimesOutTURN(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := NewTCPSplit(ln, TCPLimits{TURNIdle: 300 * time.Millisecond, MaxTURN: 1})
	defer s.Close()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.Write(stunPacket())
		return c
	}
	dial()
	accepted, err := s.TURN().Accept()
	if err != nil {
		t.Fatal(err)
	}
	second := dial() // over the cap: closed by the relay
	second.SetReadDeadline(time.Now().Add(2 * time.Second))
	var ne net.Error
	if _, err := second.Read(make([]byte, 1)); err == nil || errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("a TURN connection over the cap was kept: %v", err)
	}
	buf := make([]byte, 20)
	if _, err := accepted.Read(buf); err != nil {
		t.Fatalf("first read: %v", err)
	}
	start := time.Now()
	if _, err := accepted.Read(buf); err == nil {
		t.Fatal("an idle TURN connection was not timed out")
	}
	if idle := time.Since(start); idle > 2*time.Second {
		t.Fatalf("idle connection kept %v", idle)
	}
	accepted.Close()
	dial() // room again
	if _, err := s.TURN().Accept(); err != nil {
		t.Fatalf("after a close: %v", err)
	}
}
