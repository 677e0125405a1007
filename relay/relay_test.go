package relay_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/transport"
	"github.com/relaydesk/relaydesk/pkg/transport/transporttest"
	"github.com/relaydesk/relaydesk/relay"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// loopbackConfig is a relay on a fresh data directory and loopback sockets.
func loopbackConfig(t *testing.T) relay.Config {
	udp, tcp := transporttest.ListenShared(t)
	return relay.Config{DataDir: filepath.Join(t.TempDir(), "data"), PacketConn: udp, Listener: tcp, Logger: quiet()}
}

// A relay started as `relay serve` starts it: the first administrator
// signs in over QUIC, HTTPS answers on the same port, and Shutdown tells
// the connection, stops Run within its deadline and closes the store.
func TestRunAndShutdown(t *testing.T) {
	r, err := relay.New(loopbackConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(r.AdminPasswordFile())
	if err != nil {
		t.Fatalf("the first start left no admin password: %v", err)
	}
	run := make(chan error, 1)
	go func() { run <- r.Run(context.Background()) }()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, st, err := transport.Dial(ctx, r.Addr().String(), r.Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	p := transport.PeerOn(conn, st)
	closed := make(chan error, 1)
	go func() { closed <- p.Run(context.Background(), func(proto.Envelope) {}) }()
	defer p.Close()
	if err := p.Call(ctx, proto.TypeHello, &proto.Hello{Version: proto.Version, Role: proto.RoleTechnician, Client: "test"}, proto.TypeWelcome, nil); err != nil {
		t.Fatalf("hello: %v", err)
	}
	var ok proto.LoginOK
	if err := p.Call(ctx, proto.TypeLogin, &proto.Login{User: "admin", Password: strings.TrimSpace(string(b))}, proto.TypeLoginOK, &ok); err != nil || ok.Token == "" {
		t.Fatalf("admin sign-in: %+v %v", ok, err)
	}

	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := hc.Get("https://" + r.Addr().String() + "/healthz")
	if err != nil {
		t.Fatalf("HTTPS on the relay's port: %v", err)
	}
	resp.Body.Close()
	hc.CloseIdleConnections()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("health check: %s", resp.Status)
	}

	sctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	start := time.Now()
	if err := r.Shutdown(sctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("shutdown took %v", d)
	}
	select {
	case err := <-run:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(time.Second): // Run has returned: Shutdown waited for it
		t.Fatal("Run did not return")
	}
	select {
	case err := <-closed:
		var ae *quic.ApplicationError
		if !errors.As(err, &ae) || proto.ErrorCode(ae.ErrorCode) != proto.ErrShuttingDown {
			t.Fatalf("the client's connection ended with %v, not ErrShuttingDown", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the client's connection is still open")
	}
	if _, err := r.Store().CountUsers(context.Background()); err == nil {
		t.Fatal("the store is still open")
	}
	if err := r.Run(context.Background()); !errors.Is(err, relay.ErrClosed) {
		t.Fatalf("Run after Shutdown: %v", err)
	}
	if err := r.Shutdown(sctx); err != nil {
		t.Fatalf("second shutdown: %v", err)
	}
}

// Run ends with its context, and a restart on the same data directory
// keeps the identity and creates no second administrator.
func TestRunEndsWithItsContextAndRestartKeepsTheIdentity(t *testing.T) {
	cfg := loopbackConfig(t)
	r, err := relay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	run := make(chan error, 1)
	go func() { run <- r.Run(ctx) }()
	cancel()
	select {
	case err := <-run:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	// `relay serve` sets a umask that keeps the database private; a test does not.
	dbs, _ := filepath.Glob(filepath.Join(cfg.DataDir, "relay.db*"))
	for _, f := range dbs {
		os.Chmod(f, 0o600)
	}
	again := loopbackConfig(t)
	again.DataDir = cfg.DataDir
	r2, err := relay.New(again)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Shutdown(context.Background())
	if r2.Fingerprint() != r.Fingerprint() || r2.AdminPasswordFile() != "" {
		t.Fatalf("restart: fingerprint %s (was %s), admin file %q", r2.Fingerprint(), r.Fingerprint(), r2.AdminPasswordFile())
	}
}

// A bad setting fails New with a sentence naming it, and New closes the
// sockets it was given.
func TestNewRefusesBadSettings(t *testing.T) {
	for _, c := range []struct {
		set  func(*relay.Config)
		want string
	}{
		{func(c *relay.Config) { c.PublicAddr = "0.0.0.0:4433" }, "--public"},
		{func(c *relay.Config) { c.Downloads = filepath.Join(t.TempDir(), "none") }, "--downloads"},
		{func(c *relay.Config) { c.CertFile = "relay.crt" }, "--cert and --key"},
		{func(c *relay.Config) { c.Queue.CodeTTL = time.Second }, "code TTL"},
		{func(c *relay.Config) { c.DataDir = "" }, "--data"},
	} {
		cfg := loopbackConfig(t)
		c.set(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate: %v, want %q", err, c.want)
		}
		if _, err := relay.New(cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New: %v, want %q", err, c.want)
		}
		if _, err := cfg.PacketConn.WriteTo([]byte("x"), cfg.PacketConn.LocalAddr()); err == nil {
			t.Errorf("%s: New failed and left its socket open", c.want)
		}
	}
}
