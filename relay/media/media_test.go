package media

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/turn/v5"
)

// relayFixture runs the demux and TURN on a loopback socket, with a session
// "live" that can be ended.
func relayFixture(t *testing.T) (*TURN, *Demux, *atomic.Bool) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := NewDemux(pc)
	live := &atomic.Bool{}
	live.Store(true)
	tr, err := NewTURN(Config{Conn: d.TURN(), PublicAddr: pc.LocalAddr().String(), Live: func(id string) bool { return id == "live" && live.Load() }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr, d, live
}

func allocate(t *testing.T, server, user, pass string) error {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c, err := turn.NewClient(&turn.ClientConfig{STUNServerAddr: server, TURNServerAddr: server, Conn: conn, Username: user, Password: pass, Realm: Realm, RTO: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Listen(); err != nil {
		t.Fatal(err)
	}
	relayConn, err := c.Allocate()
	if err == nil {
		relayConn.Close()
	}
	return err
}

func TestTURNNeedsCurrentSessionCredentials(t *testing.T) {
	tr, d, live := relayFixture(t)
	addr := d.pc.LocalAddr().String()
	_, user, pass := tr.Credentials("live", time.Hour)
	if err := allocate(t, addr, user, pass); err != nil {
		t.Fatalf("valid credentials refused: %v", err)
	}
	if err := allocate(t, addr, user, pass+"x"); err == nil {
		t.Fatal("wrong password accepted: an open relay")
	}
	if err := allocate(t, addr, "anyone", "anything"); err == nil {
		t.Fatal("made-up credentials accepted: an open relay")
	}
	_, other, otherPass := tr.Credentials("gone", time.Hour)
	if err := allocate(t, addr, other, otherPass); err == nil {
		t.Fatal("credentials of an unknown session accepted")
	}
	_, old, oldPass := tr.Credentials("live", -time.Minute)
	if err := allocate(t, addr, old, oldPass); err == nil {
		t.Fatal("expired credentials accepted")
	}
	live.Store(false)
	if err := allocate(t, addr, user, pass); err == nil {
		t.Fatal("credentials still work after the session ended")
	}
}

func TestDemuxSplitsSTUNFromQUIC(t *testing.T) {
	pc, _ := net.ListenPacket("udp", "127.0.0.1:0")
	d := NewDemux(pc)
	defer d.Close()
	c, _ := net.Dial("udp", pc.LocalAddr().String())
	defer c.Close()
	stun := make([]byte, 20)
	stun[1] = 1                                                 // binding request
	stun[4], stun[5], stun[6], stun[7] = 0x21, 0x12, 0xA4, 0x42 // magic cookie
	quicShort := []byte{0x41, 1, 2, 3, 4, 5}
	c.Write(quicShort) // not yet a TURN peer: QUIC
	c.Write(stun)
	c.Write(quicShort) // now from a TURN peer: ChannelData
	buf := make([]byte, 100)
	d.QUIC().SetReadDeadline(time.Now().Add(2 * time.Second))
	if n, _, err := d.QUIC().ReadFrom(buf); err != nil || n != len(quicShort) {
		t.Fatalf("QUIC side: %d %v", n, err)
	}
	d.TURN().SetReadDeadline(time.Now().Add(2 * time.Second))
	for i, want := range []int{20, len(quicShort)} {
		if n, _, err := d.TURN().ReadFrom(buf); err != nil || n != want {
			t.Fatalf("TURN side packet %d: %d %v", i, n, err)
		}
	}
	d.QUIC().SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, _, err := d.QUIC().ReadFrom(buf); err == nil {
		t.Fatal("ChannelData from a TURN peer reached QUIC")
	}
}
