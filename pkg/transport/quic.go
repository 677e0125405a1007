// Package transport sets up the QUIC connections of the control plane (TLS
// 1.3, the protocol's ALPN, relay key pinning) and runs the framed protocol
// of pkg/proto on a connection's control stream (Peer).
package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// ErrFingerprintMismatch means the relay's key is not the pinned one.
var ErrFingerprintMismatch = errors.New("transport: the relay's key does not match the expected fingerprint")

// QUICConfig is the QUIC configuration both sides use. Keep-alives hold NAT
// bindings open; the idle timeout decides how fast a dead peer is noticed.
func QUICConfig() *quic.Config {
	return &quic.Config{
		HandshakeIdleTimeout:           5 * time.Second,
		MaxIdleTimeout:                 15 * time.Second,
		KeepAlivePeriod:                5 * time.Second,
		MaxIncomingStreams:             4,
		MaxIncomingUniStreams:          -1,
		InitialStreamReceiveWindow:     64 << 10,
		MaxStreamReceiveWindow:         1 << 20,
		InitialConnectionReceiveWindow: 64 << 10,
		MaxConnectionReceiveWindow:     2 << 20,
	}
}

// ServerTLS is the relay's TLS configuration for cert.
func ServerTLS(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS13,
		NextProtos:   []string{proto.ALPN},
	}
}

// ClientTLS is a client's TLS configuration that trusts exactly the relay
// key with the given fingerprint (see ParseFingerprint), whatever its
// certificate chain says: the fingerprint travels with the download or is
// read from the relay operator.
func ClientTLS(fingerprint string) (*tls.Config, error) {
	fp, err := ParseFingerprint(fingerprint)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		NextProtos:         []string{proto.ALPN},
		InsecureSkipVerify: true, // replaced by the pin check below
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			got, err := presentedKey(raw)
			if err != nil {
				return err
			}
			if got != fp {
				return fmt.Errorf("%w (got %s)", ErrFingerprintMismatch, got)
			}
			return nil
		},
	}, nil
}

// Dial connects to the relay at addr, pinning its key, and opens the control
// stream.
func Dial(ctx context.Context, addr, fingerprint string) (*quic.Conn, *quic.Stream, error) {
	return DialVia(ctx, nil, addr, fingerprint)
}

// DialVia is Dial over a shared quic.Transport (one UDP socket for many
// connections, as load generators need); tr nil opens a socket of its own.
func DialVia(ctx context.Context, tr *quic.Transport, addr, fingerprint string) (*quic.Conn, *quic.Stream, error) {
	tlsConf, err := ClientTLS(fingerprint)
	if err != nil {
		return nil, nil, err
	}
	var conn *quic.Conn
	if tr == nil {
		conn, err = quic.DialAddr(ctx, addr, tlsConf, QUICConfig())
	} else {
		var ua *net.UDPAddr
		if ua, err = net.ResolveUDPAddr("udp", addr); err == nil {
			conn, err = tr.Dial(ctx, ua, tlsConf, QUICConfig())
		}
	}
	if err != nil {
		return nil, nil, err
	}
	st, err := conn.OpenStreamSync(ctx)
	if err != nil {
		conn.CloseWithError(quic.ApplicationErrorCode(proto.ErrInternal), "open control stream")
		return nil, nil, err
	}
	return conn, st, nil
}

// PeerOn returns a Peer on a connection's control stream that closes the
// connection, with the QUIC application error code matching the reason,
// when it stops.
func PeerOn(conn *quic.Conn, st *quic.Stream) *Peer {
	return NewPeer(st, func(err error) {
		code, msg := proto.ErrNone, "bye"
		var f *proto.Failure
		if errors.As(err, &f) {
			code, msg = f.Code, f.Message
		} else if errors.Is(err, ErrSlowConsumer) {
			code, msg = proto.ErrProtocol, err.Error()
		}
		conn.CloseWithError(quic.ApplicationErrorCode(code), msg)
	})
}

// Describe turns a connection error into a sentence for a person.
func Describe(err error, addr string) string {
	var f *proto.Failure
	var appErr *quic.ApplicationError
	var idle *quic.IdleTimeoutError
	var hs *quic.HandshakeTimeoutError
	var tlsAlert tls.AlertError
	switch {
	case errors.As(err, &f):
		return f.Message
	case errors.Is(err, ErrFingerprintMismatch):
		return fmt.Sprintf("The relay at %s presented a different key than expected; it may be an impostor. Check the fingerprint with the relay's operator.", addr)
	case errors.As(err, &appErr):
		if appErr.ErrorCode == quic.ApplicationErrorCode(proto.ErrShuttingDown) {
			return "The relay is restarting."
		}
		if appErr.ErrorMessage != "" {
			return fmt.Sprintf("The relay closed the connection: %s.", strings.TrimSuffix(appErr.ErrorMessage, "."))
		}
		return "The relay closed the connection."
	case errors.As(err, &hs), errors.As(err, &idle):
		return fmt.Sprintf("The relay at %s does not answer.", addr)
	case errors.As(err, &tlsAlert):
		return fmt.Sprintf("The relay at %s refused the secure connection (%v); it may run another protocol version.", addr, err)
	case errors.Is(err, ErrBadFingerprint):
		return "The fingerprint must look like sha256: followed by 64 hexadecimal digits."
	}
	return fmt.Sprintf("Could not reach the relay at %s: %v.", addr, err)
}
