// Package relay is the RelayDesk relay's composition root: New wires the
// store, the session queue, the QUIC control server, the embedded TURN
// server and the HTTPS side into one Relay; `relay serve` and in-process
// tests start the same one.
//
// Policy (who may do what, where a request goes) is relay/desk's, read
// from the store; the queue and the admin API ask the same Desk.
//
// The relay serves one port. On UDP, a demultiplexer (relay/media) gives
// STUN and TURN traffic to the TURN server and the rest to QUIC, where
// relay/server speaks the control protocol and hands requests to the queue
// (relay/queue). On TCP, a split gives connections that open with STUN to
// TURN and the rest to HTTPS: relay/web's support-link and download pages,
// and relay/api's admin API under /api/.
//
// Lifecycle:
//
//	r, err := relay.New(cfg) // open: data directory, identity, sockets, store, first admin
//	err = r.Run(ctx)         // serve until ctx ends, Shutdown is called or a fatal error
//	err = r.Shutdown(ctx)    // stop, tell peers, wait, close everything
//
// New opens everything and fails on a bad setting or a busy port; from
// then on the sockets are open, TURN answers and QUIC handshakes queue, but
// nothing is served. Run serves control connections and HTTPS and sweeps
// the queue; it owns those goroutines and waits for them before it
// returns. Shutdown stops in two phases: it ends Run, which stops
// accepting, closes every control connection with proto.ErrShuttingDown
// (clients reconnect by themselves) and waits up to Config.ShutdownGrace
// for them and for HTTPS requests; then it closes TURN, the sockets and
// the store. Shutdown waits for Run no longer than its ctx allows, and
// closes everything either way.
//
// The relay owns what Config hands it (PacketConn, Listener, Store) from
// New on: Shutdown closes them, as New does when it fails.
package relay

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/transport"
	"github.com/relaydesk/relaydesk/relay/api"
	"github.com/relaydesk/relaydesk/relay/desk"
	"github.com/relaydesk/relaydesk/relay/identity"
	"github.com/relaydesk/relaydesk/relay/media"
	"github.com/relaydesk/relaydesk/relay/queue"
	"github.com/relaydesk/relaydesk/relay/record"
	"github.com/relaydesk/relaydesk/relay/server"
	"github.com/relaydesk/relaydesk/relay/store"
	"github.com/relaydesk/relaydesk/relay/web"
)

// Errors of Run.
var (
	ErrClosed  = errors.New("relay: Shutdown was called")
	ErrRunning = errors.New("relay: Run was called before")
)

// Relay is a relay built by New.
type Relay struct {
	cfg Config
	log *slog.Logger
	fp  string
	// adminFile is the first administrator's password file, when New
	// created that account.
	adminFile string

	st      store.Store
	desk    *desk.Desk
	udp     net.PacketConn
	tcpLn   net.Listener
	demux   *media.Demux
	tcp     *media.TCPSplit
	turn    *media.TURN
	q       *queue.Manager
	rec     *record.Recorder // nil without a data directory
	ln      *transport.Listener
	srv     *server.Server
	https   *http.Server
	httpsLn net.Listener

	mu      sync.Mutex
	running bool          // Run was called
	closed  bool          // Shutdown was called
	quit    chan struct{} // closed by Shutdown
	ran     chan struct{} // closed when Run returns

	closeOnce sync.Once
	closeErr  error
}

// New builds a relay from cfg (see the package doc for what it opens).
func New(cfg Config) (_ *Relay, err error) {
	// A public address taken from Addr takes the port chosen for port 0.
	public := cfg.PublicAddr == "" && cfg.PacketConn == nil
	cfg.fill()
	r := &Relay{cfg: cfg, log: cfg.Logger, st: cfg.Store, udp: cfg.PacketConn, tcpLn: cfg.Listener,
		quit: make(chan struct{}), ran: make(chan struct{})}
	defer func() {
		if err != nil {
			r.close()
		}
	}()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ctx := context.Background()
	log := r.log

	if cfg.DataDir != "" {
		var extra []string
		if cfg.KeyFile != "" {
			extra = append(extra, cfg.KeyFile)
		}
		if err := prepareDataDir(cfg.DataDir, extra...); err != nil {
			return nil, err
		}
	}
	var tlsCert tls.Certificate
	if cfg.Certificate != nil {
		tlsCert = *cfg.Certificate
	} else if tlsCert, err = LoadIdentity(cfg.DataDir, cfg.CertFile, cfg.KeyFile); err != nil {
		return nil, err
	}
	if r.fp, err = identity.Fingerprint(tlsCert); err != nil {
		return nil, err
	}
	if r.udp == nil && r.tcpLn == nil {
		if r.udp, r.tcpLn, err = transport.ListenPair(cfg.Addr); err != nil {
			return nil, err
		}
	}
	if r.udp == nil {
		if r.udp, err = net.ListenPacket("udp", cfg.Addr); err != nil {
			return nil, fmt.Errorf("listen on UDP %s: %w", cfg.Addr, err)
		}
	}
	if host, port, _ := net.SplitHostPort(cfg.PublicAddr); public && port == "0" {
		_, port, _ = net.SplitHostPort(r.udp.LocalAddr().String())
		cfg.PublicAddr = net.JoinHostPort(host, port)
		r.cfg.PublicAddr = cfg.PublicAddr
	}
	if r.st == nil {
		if r.st, err = OpenStore(ctx, cfg.DataDir); err != nil {
			return nil, err
		}
	}

	// QUIC and TURN share the UDP port; the TCP port of the same number
	// carries TURN over TCP and HTTPS.
	if r.tcpLn == nil {
		if r.tcpLn, err = net.Listen("tcp", r.udp.LocalAddr().String()); err != nil {
			return nil, fmt.Errorf("listen on TCP %s: %w", cfg.Addr, err)
		}
	}
	r.tcp = media.NewTCPSplit(r.tcpLn, media.TCPLimits{})
	r.demux = media.NewDemux(r.udp)

	// The queue before TURN: TURN asks it about sessions as soon as it
	// runs, while the queue calls TURN only once Run serves.
	if r.desk, err = desk.New(ctx, r.st, log); err != nil {
		return nil, err
	}
	qcfg := cfg.queueConfig()
	qcfg.Desk = r.desk
	ttl := cfg.TURN.CredentialTTL
	qcfg.ICE = func(id string, peer int64) []proto.ICEServer {
		urls, user, pw := r.turn.Credentials(id, peer, ttl)
		return []proto.ICEServer{{URLs: urls, Username: user, Credential: pw}}
	}
	qcfg.SessionEnded = func(id string) { r.turn.EndSession(id) }
	qcfg.PeerLeft = func(id string, peer int64) { r.turn.EndPeer(id, peer) }
	if cfg.DataDir != "" { // recordings live under the data directory
		if r.rec, err = record.New(log); err != nil {
			return nil, err
		}
		qcfg.Recorder, qcfg.RecordingsDir = r.rec, queue.RecordingsDir(cfg.DataDir)
	}
	if r.q, err = queue.New(ctx, r.st, qcfg); err != nil {
		return nil, err
	}
	if r.turn, err = media.NewTURN(media.Config{
		Conn: r.demux.TURN(), TCP: r.tcp.TURN(), PublicAddr: cfg.PublicAddr, Live: r.q.TURNAllowed,
		AllowPrivate: cfg.TURN.AllowPrivate, AllowLoopback: cfg.TURN.AllowLoopback, Now: cfg.Now, Logger: log,
		OnAllocated: r.auditAllocation,
	}); err != nil {
		return nil, err
	}

	if r.ln, err = transport.ListenWith(r.demux.QUIC(), tlsCert, transport.Limits{PerSource: cfg.Limits.ConnsPerSource}); err != nil {
		return nil, fmt.Errorf("start QUIC on %s: %w", cfg.Addr, err)
	}
	r.srv = server.New(r.st, r.q, server.Config{TokenTTL: cfg.TokenTTL, Organisation: cfg.Organisation, Now: cfg.Now, Logger: log,
		Registrations: cfg.Limits.Registrations})

	// HTTPS on the TCP port: download pages for end users, and the admin
	// API under /api/ on the same desk and queue as the control protocol.
	pubHost, pubPortStr, _ := net.SplitHostPort(cfg.PublicAddr)
	pubPort, _ := strconv.Atoi(pubPortStr)
	mux := http.NewServeMux()
	shots, recs := screenshotsDir(cfg.DataDir), ""
	if cfg.DataDir != "" {
		recs = queue.RecordingsDir(cfg.DataDir)
	}
	mux.Handle("/api/", api.New(api.Config{Store: r.st, Desk: r.desk, Queue: r.q, Organisation: cfg.Organisation, Now: cfg.Now, Logger: log,
		Screenshots: shots}))
	mux.Handle("/", web.New(web.Config{
		Store: r.st, Organisation: cfg.Organisation, OrganisationName: r.q.Organisation, PublicHost: pubHost, PublicPort: pubPort,
		Screenshots: shots, Recordings: recs,
		Fingerprint: r.fp, Downloads: cfg.Downloads, Now: cfg.Now, Logger: log, HSTS: cfg.CertFile != "",
		Channel: func(tok string) (string, string, bool) {
			ch, ok := r.desk.ChannelBySOSToken(tok)
			return ch.Name, ch.Description, ok
		},
	}))
	r.https = web.NewServer(mux, &tls.Config{Certificates: []tls.Certificate{tlsCert}, MinVersion: tls.VersionTLS12}, log)
	r.httpsLn = web.LimitListener(r.tcp.HTTPS(), web.MaxConns, web.MaxConnsPerSource, log)

	// Last, so that a relay that fails to start leaves no password behind
	// that nobody was told about.
	if cfg.DataDir != "" {
		if r.adminFile, err = firstAdmin(ctx, r.st, cfg.DataDir, cfg.Now()); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// auditAllocation records a TURN allocation in the audit trail.
func (r *Relay) auditAllocation(a media.Allocation) {
	src, _, _ := net.SplitHostPort(a.Source)
	ev := &store.AuditEvent{At: r.cfg.Now(), Kind: "turn.allocated", Actor: "technician " + strconv.FormatInt(a.Peer, 10),
		Source: src, SessionID: a.SessionID, Detail: map[string]string{"client": a.Source, "relayed": a.Relayed}}
	if a.Peer == queue.AgentPeer {
		ev.Actor = "end user"
	}
	if err := r.st.Audit(context.Background(), ev); err != nil {
		r.log.Error("audit event not stored", "kind", ev.Kind, "err", err)
	}
}

// Addr is the address of the relay's UDP socket.
func (r *Relay) Addr() net.Addr { return r.udp.LocalAddr() }

// PublicAddr is the host:port clients reach the relay at.
func (r *Relay) PublicAddr() string { return r.cfg.PublicAddr }

// Fingerprint is the fingerprint of the relay's key, which clients pin.
func (r *Relay) Fingerprint() string { return r.fp }

// Store is the relay's store (closed by Shutdown).
func (r *Relay) Store() store.Store { return r.st }

// AdminPasswordFile is the path of the file with the administrator's
// password when New created that account (a store without users and a data
// directory), or "".
func (r *Relay) AdminPasswordFile() string { return r.adminFile }

// Run serves until ctx ends, Shutdown is called or accepting connections
// fails; then it stops serving (see the package doc) and returns, nil
// unless accepting failed. It runs once; after Shutdown it returns ErrClosed.
func (r *Relay) Run(ctx context.Context) error {
	r.mu.Lock()
	switch {
	case r.closed:
		r.mu.Unlock()
		return ErrClosed
	case r.running:
		r.mu.Unlock()
		return ErrRunning
	}
	r.running = true
	r.mu.Unlock()
	defer close(r.ran)
	if ctx.Err() != nil {
		return nil
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { // Shutdown ends the serving as ctx does
		select {
		case <-r.quit:
			cancel()
		case <-ctx.Done():
		}
	})
	wg.Go(func() { r.q.Run(ctx, r.cfg.SweepInterval) })
	wg.Go(func() {
		if err := r.https.ServeTLS(r.httpsLn, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			r.log.Error("HTTPS stopped", "err", err)
		}
	})
	wg.Go(func() {
		<-ctx.Done()
		sctx, stop := context.WithTimeout(context.Background(), r.cfg.ShutdownGrace)
		defer stop()
		r.https.Shutdown(sctx)
	})
	err := r.srv.Serve(ctx, r.ln, r.cfg.ShutdownGrace)
	cancel()
	wg.Wait()
	r.log.Info("relay stopped")
	return err
}

// Shutdown stops the relay: it ends Run (which stops accepting, tells
// every peer and waits for them), waits for Run until ctx ends, then
// closes TURN, the sockets and the store. It returns ctx's error when Run
// did not return in time, or the store's error on closing. It may be
// called without Run, and more than once.
func (r *Relay) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.quit)
	}
	running := r.running
	r.mu.Unlock()
	var err error
	if running {
		select {
		case <-r.ran:
		case <-ctx.Done():
			err = fmt.Errorf("wait for the relay to stop: %w", ctx.Err())
		}
	}
	return errors.Join(err, r.close())
}

// close closes what New opened, once: TURN and the UDP socket under the
// demux, then the QUIC transport on it, HTTPS, the TCP side, the store.
func (r *Relay) close() error {
	r.closeOnce.Do(func() {
		if r.rec != nil {
			if r.q != nil {
				r.q.StopRecordings(context.Background(), "the relay shut down") // rows finished, everyone told
			}
			r.rec.Close() // waits for the files to be finished
		}
		if r.turn != nil {
			r.turn.Close()
		}
		if r.demux != nil {
			r.demux.Close()
		} else if r.udp != nil {
			r.udp.Close()
		}
		if r.ln != nil {
			r.ln.CloseTransport() // its reader has ended with the demux
		}
		if r.https != nil {
			r.https.Close()
		}
		if r.tcp != nil {
			r.tcp.Close()
		} else if r.tcpLn != nil {
			r.tcpLn.Close()
		}
		if r.st != nil {
			if err := r.st.Close(); err != nil {
				r.closeErr = fmt.Errorf("close the store: %w", err)
			}
		}
	})
	return r.closeErr
}
