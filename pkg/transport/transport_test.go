package transport

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// echoServer answers every request with OK over real QUIC on loopback.
func echoServer(t *testing.T, cert tls.Certificate) string {
	t.Helper()
	_, addr, _, _ := limitedServer(t, cert, Limits{}, 0)
	return addr
}

func TestQUICRequestReplyWithPinnedKey(t *testing.T) {
	cert := selfSigned(t)
	addr := echoServer(t, cert)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, st, err := Dial(ctx, addr, Fingerprint(cert.Leaf))
	if err != nil {
		t.Fatal(err)
	}
	if got := conn.ConnectionState().TLS.NegotiatedProtocol; got != proto.ALPN {
		t.Fatalf("ALPN %q", got)
	}
	if v := conn.ConnectionState().TLS.Version; v != tls.VersionTLS13 {
		t.Fatalf("TLS version %x", v)
	}
	p := PeerOn(conn, st)
	done := make(chan error, 1)
	go func() { done <- p.Run(context.Background(), func(proto.Envelope) {}) }()
	for i := 0; i < 3; i++ {
		if err := p.Call(ctx, proto.TypeHello, &proto.Hello{Version: 1}, proto.TypeOK, nil); err != nil {
			t.Fatal(err)
		}
	}
	p.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("Run returned %v", err)
	}
}

func TestQUICRefusesWrongFingerprint(t *testing.T) {
	addr := echoServer(t, selfSigned(t))
	other := selfSigned(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _, err := Dial(ctx, addr, Fingerprint(other.Leaf))
	if !errors.Is(err, ErrFingerprintMismatch) {
		t.Fatalf("got %v, want ErrFingerprintMismatch", err)
	}
	if s := Describe(err, addr); s == "" || s[0] != 'T' {
		t.Fatalf("sentence %q", s)
	}
}

func TestParseFingerprint(t *testing.T) {
	hex := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	got, err := ParseFingerprint(" SHA256:" + hex + " ")
	if err != nil || got != "sha256:"+hex {
		t.Fatalf("got %q %v", got, err)
	}
	for _, bad := range []string{"", hex, "sha256:abc", "md5:" + hex, "sha256:" + hex + "00"} {
		if _, err := ParseFingerprint(bad); !errors.Is(err, ErrBadFingerprint) {
			t.Errorf("%q: got %v", bad, err)
		}
	}
}

func TestPeerOverPipe(t *testing.T) {
	a, b := net.Pipe()
	pa, pb := NewPeer(a, func(error) { a.Close() }), NewPeer(b, func(error) { b.Close() })
	var wg sync.WaitGroup
	events := make(chan proto.Envelope, 4)
	wg.Go(func() { pa.Run(context.Background(), func(env proto.Envelope) { events <- env }) })
	wg.Go(func() {
		pb.Run(context.Background(), func(env proto.Envelope) {
			switch env.Type {
			case proto.TypeConnect:
				pb.ReplyError(env.ID, proto.Errorf(proto.ErrWrongCode, "No session has that code."))
			case proto.TypeEnd:
				pb.ReplyError(env.ID, errors.New("disk on fire"))
			case proto.TypeHello:
				pb.Send(proto.TypePeerState, &proto.PeerState{SessionID: "s"})
				pb.Reply(env.ID, proto.TypeWelcome, &proto.Welcome{Version: 1})
			}
		})
	})
	ctx := context.Background()
	var w proto.Welcome
	if err := pa.Call(ctx, proto.TypeHello, &proto.Hello{}, proto.TypeWelcome, &w); err != nil || w.Version != 1 {
		t.Fatalf("hello: %v %+v", err, w)
	}
	if ev := <-events; ev.Type != proto.TypePeerState {
		t.Fatalf("event type %d", ev.Type)
	}
	_, err := pa.Request(ctx, proto.TypeConnect, &proto.Connect{Code: "1"})
	if proto.CodeOf(err) != proto.ErrWrongCode || err.Error() != "No session has that code." {
		t.Fatalf("got %v", err)
	}
	_, err = pa.Request(ctx, proto.TypeEnd, &proto.End{})
	if proto.CodeOf(err) != proto.ErrInternal || err.Error() == "disk on fire" {
		t.Fatalf("internal error leaked or lost: %v", err)
	}
	// A request pending when the peer goes away fails instead of hanging.
	pending := make(chan error, 1)
	go func() {
		_, err := pa.Request(ctx, proto.TypeConsentRequest, &proto.ConsentRequest{})
		pending <- err
	}()
	time.Sleep(10 * time.Millisecond)
	pb.Close()
	select {
	case err := <-pending:
		if err == nil {
			t.Fatal("pending request succeeded after close")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("pending request hangs after the peer closed")
	}
	wg.Wait()
}

func TestPeerClosesOnMalformedFrame(t *testing.T) {
	a, b := net.Pipe()
	var got error
	p := NewPeer(a, func(err error) { got = err; a.Close() })
	done := make(chan error, 1)
	go func() { done <- p.Run(context.Background(), func(proto.Envelope) {}) }()
	b.Write([]byte{0, 0, 0, 3, 0xff, 0xff, 0xff})
	err := <-done
	if proto.CodeOf(err) != proto.ErrProtocol || proto.CodeOf(got) != proto.ErrProtocol {
		t.Fatalf("got %v / %v, want a protocol failure", err, got)
	}
	b.Close()
}

func TestProbeReadsTheRelayKey(t *testing.T) {
	cert := selfSigned(t)
	addr := echoServer(t, cert)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fp, err := Probe(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	if fp != Fingerprint(cert.Leaf) || fp == Fingerprint(selfSigned(t).Leaf) {
		t.Fatalf("probed %s, want %s", fp, Fingerprint(cert.Leaf))
	}
	// The probed key is the one a pinned dial accepts.
	conn, _, err := Dial(ctx, addr, fp)
	if err != nil {
		t.Fatal(err)
	}
	conn.CloseWithError(0, "")
}
