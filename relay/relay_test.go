package relay_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net"
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
	"github.com/relaydesk/relaydesk/relay/identity"
	"github.com/relaydesk/relaydesk/relay/store"
	"github.com/relaydesk/relaydesk/relay/token"
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

// The admin API answers on the relay's HTTPS port, verified against the
// relay's own certificate: an API token changes the service desk, and the
// running relay's queue (the control protocol's Directory) has the change
// at once; the administrator's sign-in token works on the API too.
func TestAdminAPIOnTheRelaysPort(t *testing.T) {
	cfg := loopbackConfig(t)
	r, err := relay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	run := make(chan error, 1)
	go func() { run <- r.Run(context.Background()) }()
	defer func() {
		sctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		if err := r.Shutdown(sctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-run; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	certPEM, err := os.ReadFile(filepath.Join(cfg.DataDir, identity.CertFile))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(certPEM) {
		t.Fatal("the relay's certificate does not parse")
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 20 * time.Second}
	base := "https://" + r.Addr().String() + "/api/v1"
	call := func(method, path, tok, body string) (int, []byte) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("%s %s on the relay's port: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}

	if code, b := call(http.MethodGet, "/openapi.json", "", ""); code != http.StatusOK || !strings.Contains(string(b), `"openapi":"3.1.0"`) {
		t.Fatalf("openapi.json: %d %.200s", code, b)
	}
	if code, b := call(http.MethodGet, "/channels", "", ""); code != http.StatusUnauthorized || !strings.Contains(string(b), `"error":"Send a token`) {
		t.Fatalf("without a token: %d %s", code, b)
	}
	// An API token, as `relay apitoken create` makes one.
	tok, hash := token.New()
	if err := r.Store().CreateAPIToken(ctx, &store.APIToken{Name: "ci", Role: store.RoleAdmin, Hash: hash, CreatedBy: "test"}); err != nil {
		t.Fatal(err)
	}
	if code, b := call(http.MethodPost, "/groups", tok, `{"name":"mac","members":["admin"]}`); code != http.StatusCreated {
		t.Fatalf("create a group: %d %s", code, b)
	}
	if code, b := call(http.MethodPost, "/channels", tok, `{"name":"Mac support","groups":["mac"],"sla":"15m"}`); code != http.StatusCreated || !strings.Contains(string(b), `"sla":"15m"`) {
		t.Fatalf("create a channel: %d %s", code, b)
	}

	// The administrator signs in over QUIC: the queue's directory has the
	// channel, served by the admin, without a restart or a sweep.
	pw, err := os.ReadFile(r.AdminPasswordFile())
	if err != nil {
		t.Fatal(err)
	}
	conn, st, err := transport.Dial(ctx, r.Addr().String(), r.Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	p := transport.PeerOn(conn, st)
	go p.Run(context.Background(), func(proto.Envelope) {})
	defer p.Close()
	if err := p.Call(ctx, proto.TypeHello, &proto.Hello{Version: proto.Version, Role: proto.RoleTechnician, Client: "test"}, proto.TypeWelcome, nil); err != nil {
		t.Fatalf("hello: %v", err)
	}
	var ok proto.LoginOK
	if err := p.Call(ctx, proto.TypeLogin, &proto.Login{User: "admin", Password: strings.TrimSpace(string(pw))}, proto.TypeLoginOK, &ok); err != nil {
		t.Fatalf("admin sign-in: %v", err)
	}
	var dir proto.Directory
	if err := p.Call(ctx, proto.TypeDirectory, &proto.DirectoryRequest{}, proto.TypeDirectoryReply, &dir); err != nil {
		t.Fatalf("directory: %v", err)
	}
	if len(dir.Channels) != 1 || dir.Channels[0].Name != "Mac support" || !dir.Channels[0].Serves || dir.Channels[0].SLA != 15*time.Minute {
		t.Fatalf("the queue's directory: %+v", dir.Channels)
	}
	// The console's sign-in token works on the API and acts as the admin.
	code, b := call(http.MethodGet, "/permissions", ok.Token, "")
	if code != http.StatusOK || !strings.Contains(string(b), `"name":"admin","role":"admin","api_token":false`) {
		t.Fatalf("permissions with the sign-in token: %d %s", code, b)
	}
	// The pages of relay/web are still served beside it.
	resp, err := hc.Get("https://" + r.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("health check: %s", resp.Status)
	}
}

// `relay serve --addr 127.0.0.1:0` takes a free port for UDP and TCP, and
// links and TURN then name that port, not 0.
func TestPortZeroIsTheChosenPortEverywhere(t *testing.T) {
	r, err := relay.New(relay.Config{DataDir: filepath.Join(t.TempDir(), "data"), Addr: "127.0.0.1:0", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(context.Background())
	addr := r.Addr().String()
	if strings.HasSuffix(addr, ":0") || r.PublicAddr() != addr {
		t.Fatalf("listening on %s, public address %s", addr, r.PublicAddr())
	}
	c, err := net.Dial("tcp", addr) // HTTPS and TURN over TCP
	if err != nil {
		t.Fatalf("no TCP listener on %s: %v", addr, err)
	}
	c.Close()
}
