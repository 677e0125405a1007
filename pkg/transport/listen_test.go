package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// limitedServer accepts connections on a Listener with lim and runs a Peer
// on each that answers every request with OK, reporting why each peer stopped.
func limitedServer(t *testing.T, cert tls.Certificate, lim Limits, frameTimeout time.Duration) (ln *Listener, addr, fp string, stopped <-chan error) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err = ListenWith(pc, cert, lim)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan error, 64)
	done := make(chan struct{})
	t.Cleanup(func() { ln.CloseTransport(); <-done; pc.Close() })
	go func() {
		defer close(done)
		ln.ServePeers(func(p *Peer) {
			p.FrameTimeout = frameTimeout
			err := p.Run(context.Background(), func(env proto.Envelope) {
				if env.ID != 0 {
					p.Reply(env.ID, proto.TypeOK, &proto.OK{})
				}
			})
			select {
			case stop <- err:
			default:
			}
		})
	}()
	return ln, pc.LocalAddr().String(), Fingerprint(cert.Leaf), stop
}

// dialAs connects to addr, pinning fp, and says Hello.
func dialAs(ctx context.Context, addr, fp string) (*quic.Conn, error) {
	conn, st, err := Dial(ctx, addr, fp)
	if err != nil {
		return nil, err
	}
	p := PeerOn(conn, st)
	go p.Run(context.Background(), func(proto.Envelope) {})
	if _, err := p.Request(ctx, proto.TypeHello, &proto.Hello{Version: proto.Version, Role: proto.RoleAgent}); err != nil {
		conn.CloseWithError(0, "")
		return nil, err
	}
	return conn, nil
}

func TestPerSourceConnectionCap(t *testing.T) {
	ln, addr, fp, _ := limitedServer(t, selfSigned(t), Limits{PerSource: 3}, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var conns []*quic.Conn
	for i := range 3 {
		c, err := dialAs(ctx, addr, fp)
		if err != nil {
			t.Fatalf("connection %d of 3: %v", i+1, err)
		}
		conns = append(conns, c)
	}
	if _, err := dialAs(ctx, addr, fp); err == nil {
		t.Fatal("a 4th connection from the same address was accepted with PerSource 3")
	}
	if s := ln.Stats(); s.Refused == 0 || s.Open != 3 {
		t.Fatalf("stats %+v, want 3 open and a refusal", s)
	}
	conns[0].CloseWithError(0, "bye")
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := dialAs(ctx, addr, fp)
		if err == nil {
			c.CloseWithError(0, "bye")
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a closed connection's slot was not given back: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, c := range conns[1:] {
		c.CloseWithError(0, "bye")
	}
}

// Under load (here: always) new connections go through a Retry and still work.
func TestSourceAddressValidationUnderLoad(t *testing.T) {
	ln, addr, fp, _ := limitedServer(t, selfSigned(t), Limits{VerifyAbove: -1}, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := dialAs(ctx, addr, fp)
	if err != nil {
		t.Fatalf("a validated client could not connect: %v", err)
	}
	defer c.CloseWithError(0, "bye")
	if ln.Stats().Verified == 0 {
		t.Fatal("no connection attempt was sent through a Retry")
	}
}

// A frame that starts and stalls closes the connection with ErrSlowFrame.
func TestStalledFrameClosesTheConnection(t *testing.T) {
	_, addr, fp, stopped := limitedServer(t, selfSigned(t), Limits{}, 300*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, st, err := Dial(ctx, addr, fp)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseWithError(0, "bye")
	st.Write([]byte{0x00, 0x10, 0x00, 0x00, 0xa2}) // announces 1 MiB, sends one byte
	select {
	case err := <-stopped:
		var f *proto.Failure
		if !errors.As(err, &f) || f.Code != proto.ErrSlowFrame {
			t.Fatalf("the relay side stopped with %v, want ErrSlowFrame", err)
		}
	case <-ctx.Done():
		t.Fatal("a stalled frame kept the connection open")
	}
	<-conn.Context().Done()
	var appErr *quic.ApplicationError
	if err := context.Cause(conn.Context()); !errors.As(err, &appErr) || appErr.ErrorCode != quic.ApplicationErrorCode(proto.ErrSlowFrame) {
		t.Fatalf("the client saw %v, want application error %d", err, proto.ErrSlowFrame)
	}
}

func TestSourceKey(t *testing.T) {
	cases := map[string]string{
		"192.0.2.7:4433":                    "192.0.2.7",
		"[::ffff:192.0.2.7]:1":              "192.0.2.7",
		"[2001:db8:1:2:aaaa::1]:5":          "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff:ffff:ffff:1]:6": "2001:db8:1:2::/64",
	}
	for in, want := range cases {
		a, err := net.ResolveUDPAddr("udp", in)
		if err != nil {
			t.Fatal(err)
		}
		if got := SourceKey(a); got != want {
			t.Errorf("SourceKey(%s) = %s, want %s", in, got, want)
		}
	}
}

// ListenPair on port 0 opens UDP and TCP on one port; on a given port whose
// TCP side is taken it says so and leaves the UDP port free again.
func TestListenPair(t *testing.T) {
	pc, ln, err := ListenPair("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if pc.LocalAddr().String() != ln.Addr().String() {
		t.Fatalf("UDP on %s, TCP on %s", pc.LocalAddr(), ln.Addr())
	}
	addr := ln.Addr().String()
	pc.Close() // the UDP port is free, its TCP port still taken
	if _, _, err := ListenPair(addr); err == nil || !strings.Contains(err.Error(), "listen on TCP "+addr) {
		t.Fatalf("ListenPair(%s) with its TCP port taken: %v", addr, err)
	}
	again, err := net.ListenPacket("udp", addr)
	if err != nil {
		t.Fatalf("the failed ListenPair kept the UDP port: %v", err)
	}
	again.Close()
	ln.Close()
	if _, _, err := ListenPair("no-port"); err == nil {
		t.Fatal("ListenPair accepted an address without a port")
	}
}
