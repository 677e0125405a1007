// Package transporttest gives tests a control-protocol listener on
// loopback: real QUIC on 127.0.0.1 with a fresh self-signed key, as a relay
// serves, for fake relays and in-process relays alike.
package transporttest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/transport"
)

// Loopback is a listener on 127.0.0.1 and what a client needs to reach it.
type Loopback struct {
	Listener    *transport.Listener
	Conn        net.PacketConn // the UDP socket under Listener
	Addr        string         // host:port
	Fingerprint string         // of its key, for clients to pin
}

// Listen opens a Loopback with a fresh key and transport.Listen's limits.
// The caller closes Listener, then Conn, once its server stopped.
func Listen(t testing.TB) Loopback {
	t.Helper()
	cert := SelfSigned(t)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := transport.Listen(pc, cert)
	if err != nil {
		pc.Close()
		t.Fatal(err)
	}
	return Loopback{Listener: ln, Conn: pc, Addr: pc.LocalAddr().String(), Fingerprint: transport.Fingerprint(cert.Leaf)}
}

// ListenShared opens a UDP socket and a TCP listener on one loopback port,
// as a relay serves QUIC and TURN on UDP and TURN and HTTPS on TCP, for an
// in-process relay (transport.ListenPair on port 0). Both close when the
// test ends, if their user did not close them.
func ListenShared(t testing.TB) (net.PacketConn, net.Listener) {
	t.Helper()
	pc, ln, err := transport.ListenPair("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close(); pc.Close() })
	return pc, ln
}

// SelfSigned is a fresh ECDSA P-256 certificate for localhost and 127.0.0.1.
func SelfSigned(t testing.TB) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test relay"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// Serve runs a fake relay on a fresh Loopback until the test ends: every
// connection's control stream is read by a transport.Peer whose messages
// go to handle (on that connection's reading goroutine). The Loopback is
// returned for its address and fingerprint; Serve closes it and waits for
// its goroutines when the test ends.
func Serve(t testing.TB, handle func(p *transport.Peer, env proto.Envelope)) Loopback {
	t.Helper()
	lb := Listen(t)
	var wg sync.WaitGroup
	t.Cleanup(func() { lb.Listener.Close(); lb.Conn.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			conn, err := lb.Listener.Accept(context.Background())
			if err != nil {
				return
			}
			wg.Go(func() {
				st, err := conn.AcceptStream(context.Background())
				if err != nil {
					return
				}
				p := transport.PeerOn(conn, st)
				p.Run(context.Background(), func(env proto.Envelope) { handle(p, env) })
			})
		}
	})
	return lb
}
