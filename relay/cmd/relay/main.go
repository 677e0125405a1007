// Command relay is the RelayDesk server: `relay serve` runs it, `relay user`
// manages accounts (also while the relay runs), `relay audit` prints the
// audit trail, `relay fingerprint` prints the key fingerprint that apps and
// consoles pin.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/transport"
	"github.com/relaydesk/relaydesk/relay/auth"
	"github.com/relaydesk/relaydesk/relay/identity"
	"github.com/relaydesk/relaydesk/relay/limit"
	"github.com/relaydesk/relaydesk/relay/media"
	"github.com/relaydesk/relaydesk/relay/queue"
	"github.com/relaydesk/relaydesk/relay/server"
	"github.com/relaydesk/relaydesk/relay/store"
	"github.com/relaydesk/relaydesk/relay/web"
)

const usage = `usage:
  relay serve [--data DIR] [--addr HOST:PORT] [--cert FILE --key FILE] [flags]
  relay user add [--data DIR] --name NAME --role ROLE [--password-stdin]
  relay user list [--data DIR]
  relay user disable|enable|revoke [--data DIR] NAME
  relay user role [--data DIR] NAME ROLE
  relay user passwd [--data DIR] [--password-stdin] NAME
  relay audit [--data DIR] [--since DURATION|TIME] [--json]
  relay fingerprint [--data DIR]
Roles: admin, technician-manager, channel-manager, technician.
`

func main() {
	restrictUmask()
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return 2
	}
	var err error
	switch {
	case args[0] == "serve":
		err = serve(args[1:])
	case args[0] == "user" && len(args) > 1 && args[1] == "add":
		err = userAdd(args[2:])
	case args[0] == "user" && len(args) > 1 && userCommands[args[1]] != nil:
		err = userCommands[args[1]](args[1], args[2:])
	case args[0] == "audit":
		err = auditCmd(args[1:])
	case args[0] == "fingerprint":
		err = fingerprint(args[1:])
	case args[0] == "-h" || args[0] == "--help" || args[0] == "help":
		fmt.Print(usage)
		return 0
	default:
		fmt.Fprintf(os.Stderr, "Unknown command %q.\n%s", strings.Join(args, " "), usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) || errors.Is(err, errUsage) {
		return 2
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, sentence(err))
		return 1
	}
	return 0
}

var errUsage = errors.New("usage")

// sentence makes an error read as one sentence.
func sentence(err error) string {
	s := err.Error()
	if s == "" {
		return "Failed."
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

func openStore(ctx context.Context, dir string) (store.Store, error) {
	if err := prepareDataDir(dir); err != nil {
		return nil, err
	}
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, "relay.db"))
	if err != nil {
		return nil, fmt.Errorf("open the database in %s: %w", dir, err)
	}
	return st, nil
}

func fingerprint(args []string) error {
	fs := flag.NewFlagSet("relay fingerprint", flag.ContinueOnError)
	data := fs.String("data", "relay-data", "data `directory`")
	cert := fs.String("cert", "", "TLS certificate `file` (instead of the one in the data directory)")
	key := fs.String("key", "", "TLS key `file`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := loadIdentity(*data, *cert, *key, false)
	if err != nil {
		return err
	}
	fp, err := identity.Fingerprint(c)
	if err != nil {
		return err
	}
	fmt.Println(fp)
	return nil
}

func userAdd(args []string) error {
	fs := flag.NewFlagSet("relay user add", flag.ContinueOnError)
	data := fs.String("data", "relay-data", "data `directory`")
	name := fs.String("name", "", "user `name`")
	role := fs.String("role", "technician", "`role`: admin, technician-manager, channel-manager or technician")
	stdin := fs.Bool("password-stdin", false, "read the password from standard input instead of generating one")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *name == "" {
		fmt.Fprintln(os.Stderr, "Give the user's name with --name.")
		return errUsage
	}
	pw := auth.NewPassword()
	if *stdin {
		var err error
		if pw, err = readPassword(); err != nil {
			return err
		}
	}
	ctx := context.Background()
	st, err := openStore(ctx, *data)
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := server.CreateUser(ctx, st, *name, store.Role(*role), pw)
	if err != nil {
		return err
	}
	st.Audit(ctx, &store.AuditEvent{At: time.Now(), Kind: "user.created", Actor: "relay user add", Detail: map[string]string{"user": u.Name, "role": string(u.Role)}})
	fmt.Printf("Created %s %q.\n", u.Role, u.Name)
	if !*stdin {
		fmt.Printf("Password: %s\n", pw)
	}
	return nil
}

func loadIdentity(data, cert, key string, create bool) (tlsCert tls.Certificate, err error) {
	switch {
	case cert != "" || key != "":
		if cert == "" || key == "" {
			return tlsCert, fmt.Errorf("give both --cert and --key")
		}
		return identity.Load(cert, key)
	case create:
		if err := os.MkdirAll(data, 0o700); err != nil {
			return tlsCert, fmt.Errorf("create data directory %s: %w", data, err)
		}
		c, _, err := identity.LoadOrCreate(data)
		return c, err
	}
	if _, err := os.Stat(filepath.Join(data, "relay.crt")); err != nil {
		return tlsCert, fmt.Errorf("no relay identity in %s yet; start the relay once with relay serve --data %s", data, data)
	}
	c, _, err := identity.LoadOrCreate(data)
	return c, err
}

// turnCredentialTTL is how long TURN credentials allow new allocations;
// sessions get fresh ones at half of it.
const turnCredentialTTL = 10 * time.Minute

// testTURNLoopback, set to 1 in the environment, lets TURN relay to
// loopback peers: the end-to-end tests run every peer on 127.0.0.1. It is
// not a user setting, and the relay warns loudly when it is set.
const testTURNLoopback = "RELAYDESK_TEST_TURN_LOOPBACK"

func serve(args []string) error {
	fs := flag.NewFlagSet("relay serve", flag.ContinueOnError)
	data := fs.String("data", "relay-data", "data `directory` (database, TLS identity)")
	addr := fs.String("addr", "127.0.0.1:4433", "`host:port`: UDP for QUIC and TURN, TCP for TURN (and HTTPS later)")
	public := fs.String("public", "", "`host:port` clients use to reach the relay, for link URLs (default: --addr)")
	cert := fs.String("cert", "", "TLS certificate `file` (default: generated in the data directory)")
	key := fs.String("key", "", "TLS key `file`")
	org := fs.String("org", "", "organisation `name` shown to end users")
	def := queue.DefaultConfig()
	codeTTL := fs.Duration("code-ttl", def.CodeTTL, "how long an unused session code stays valid")
	linkTTL := fs.Duration("link-ttl", def.LinkTTL, "default lifetime of a support link")
	consent := fs.Duration("consent-timeout", def.ConsentTimeout, "how long the end user has to allow a connection")
	grace := fs.Duration("grace", def.Grace, "how long a session waits for a dropped app or console to come back")
	tokenTTL := fs.Duration("token-ttl", 12*time.Hour, "how long a technician's sign-in lasts")
	downloads := fs.String("downloads", "", "`directory` with the SOS builds offered on the download pages (sos-<os>-<arch>[.exe])")
	logLevel := fs.String("log-level", "info", "`level`: debug, info, warn or error")
	turnPrivate := fs.Bool("turn-allow-private", false, "let TURN relay to private addresses (RFC 1918, CGNAT, ULA), for a deployment where everyone is on the LAN")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to `file` until the relay stops (for benchmarks)")
	connsPerSource := fs.Int("conns-per-source", transport.DefaultLimits.PerSource, "most QUIC connections from one IPv4 address or IPv6 /64 (0: no limit)")
	regsPerMinute := fs.Int("registrations-per-minute", server.DefaultRegistrations.N, "most SOS app registrations a minute from one IPv4 address or IPv6 /64 (0: no limit)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("create CPU profile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("start CPU profile: %w", err)
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level must be debug, info, warn or error")
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var extra []string
	if *key != "" {
		extra = append(extra, *key)
	}
	if err := prepareDataDir(*data, extra...); err != nil {
		return err
	}
	tlsCert, err := loadIdentity(*data, *cert, *key, true)
	if err != nil {
		return err
	}
	fp, err := identity.Fingerprint(tlsCert)
	if err != nil {
		return err
	}
	udp, err := net.ListenPacket("udp", *addr)
	if err != nil {
		return fmt.Errorf("listen on UDP %s: %w", *addr, err)
	}
	defer udp.Close()
	st, err := openStore(ctx, *data)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := firstAdmin(ctx, st, *data); err != nil {
		return err
	}

	pub := *public
	if pub == "" {
		pub = *addr
	}
	if h, _, err := net.SplitHostPort(pub); err != nil || h == "" || net.ParseIP(h).IsUnspecified() {
		return fmt.Errorf("clients cannot reach %q; give the address they use with --public HOST:PORT", pub)
	}
	// QUIC and TURN share the UDP port; the TCP port of the same number
	// carries TURN over TCP (and, later, HTTPS).
	tcpLn, err := net.Listen("tcp", udp.LocalAddr().String())
	if err != nil {
		return fmt.Errorf("listen on TCP %s: %w", *addr, err)
	}
	tcp := media.NewTCPSplit(tcpLn, media.TCPLimits{})
	defer tcp.Close()
	demux := media.NewDemux(udp)
	var q *queue.Manager
	turnLoopback := os.Getenv(testTURNLoopback) == "1"
	if turnLoopback {
		log.Warn("TEST MODE: TURN relays to loopback addresses (" + testTURNLoopback + "=1); never set this on a real relay")
	}
	turnSrv, err := media.NewTURN(media.Config{
		Conn: demux.TURN(), TCP: tcp.TURN(), PublicAddr: pub, Live: func(id string, peer int64) bool { return q.TURNAllowed(id, peer) },
		AllowPrivate: *turnPrivate, AllowLoopback: turnLoopback, Logger: log,
		OnAllocated: func(a media.Allocation) {
			src, _, _ := net.SplitHostPort(a.Source)
			ev := &store.AuditEvent{At: time.Now(), Kind: "turn.allocated", Actor: "technician " + strconv.FormatInt(a.Peer, 10),
				Source: src, SessionID: a.SessionID, Detail: map[string]string{"client": a.Source, "relayed": a.Relayed}}
			if a.Peer == queue.AgentPeer {
				ev.Actor = "end user"
			}
			if err := st.Audit(ctx, ev); err != nil {
				log.Error("audit event not stored", "kind", ev.Kind, "err", err)
			}
		},
	})
	if err != nil {
		return err
	}
	defer turnSrv.Close()
	qcfg := queue.Config{
		CodeTTL: *codeTTL, LinkTTL: *linkTTL, ConsentTimeout: *consent, Grace: *grace,
		LinkBase: "https://" + pub, Organisation: *org, Logger: log,
		ICE: func(id string, peer int64) []proto.ICEServer {
			urls, user, pw := turnSrv.Credentials(id, peer, turnCredentialTTL)
			return []proto.ICEServer{{URLs: urls, Username: user, Credential: pw}}
		},
		ICERenew:     turnCredentialTTL / 2,
		SessionEnded: func(id string) { turnSrv.EndSession(id) },
		PeerLeft:     func(id string, peer int64) { turnSrv.EndPeer(id, peer) },
	}
	if err := qcfg.Validate(); err != nil {
		return fmt.Errorf("invalid setting: %w", err)
	}
	if q, err = queue.New(ctx, st, qcfg); err != nil {
		return err
	}
	ln, err := transport.ListenWith(demux.QUIC(), tlsCert, transport.Limits{PerSource: orOff(*connsPerSource)})
	if err != nil {
		return fmt.Errorf("start QUIC on %s: %w", *addr, err)
	}
	srv := server.New(st, q, server.Config{TokenTTL: *tokenTTL, Organisation: *org, Logger: log,
		Registrations: limit.Rate{N: orOff(*regsPerMinute), Per: time.Minute}})

	// HTTPS on the TCP port: download pages for end users.
	pubHost, pubPortStr, _ := net.SplitHostPort(pub)
	pubPort, _ := strconv.Atoi(pubPortStr)
	if *downloads != "" {
		if fi, err := os.Stat(*downloads); err != nil || !fi.IsDir() {
			return fmt.Errorf("--downloads %s is not a directory", *downloads)
		}
	}
	httpsSrv := web.NewServer(web.New(web.Config{
		Store: st, Organisation: *org, PublicHost: pubHost, PublicPort: pubPort,
		Fingerprint: fp, Downloads: *downloads, Logger: log, HSTS: *cert != "",
	}), &tls.Config{Certificates: []tls.Certificate{tlsCert}, MinVersion: tls.VersionTLS12}, log)
	httpsDone := make(chan struct{})
	go func() {
		defer close(httpsDone)
		httpsLn := web.LimitListener(tcp.HTTPS(), web.MaxConns, web.MaxConnsPerSource, log)
		if err := httpsSrv.ServeTLS(httpsLn, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("HTTPS stopped", "err", err)
		}
	}()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		httpsSrv.Shutdown(sctx)
		<-httpsDone
	}()

	fmt.Printf("Relay listening on %s (UDP: QUIC control and TURN; TCP: HTTPS and TURN)\n", udp.LocalAddr())
	fmt.Printf("End users without a link: https://%s/sos\n", pub)
	fmt.Printf("Key fingerprint: %s\n", fp)
	fmt.Printf("Connect an SOS app:  sos --relay %s --fingerprint %s --no-gui\n", pub, fp)
	os.Stdout.Sync()

	sweepCtx, stopSweep := context.WithCancel(context.Background())
	sweepDone := make(chan struct{})
	go func() { defer close(sweepDone); q.Run(sweepCtx, time.Second) }()
	err = srv.Serve(ctx, ln, 5*time.Second)
	stopSweep()
	<-sweepDone
	log.Info("relay stopped")
	return err
}

// orOff maps a flag's 0 (no limit) to the negative value limits take for "none".
func orOff(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// firstAdmin creates the admin account on a fresh database and leaves its
// password in a file only the relay's user can read; the console line says
// where.
func firstAdmin(ctx context.Context, st store.Store, dir string) error {
	n, err := st.CountUsers(ctx)
	if err != nil {
		return fmt.Errorf("count users: %w", err)
	}
	if n > 0 {
		return nil
	}
	pw := auth.NewPassword()
	path, err := writeAdminPassword(dir, pw)
	if err != nil {
		return err
	}
	if _, err := server.CreateUser(ctx, st, "admin", store.RoleAdmin, pw); err != nil {
		os.Remove(path)
		return err
	}
	st.Audit(ctx, &store.AuditEvent{At: time.Now(), Kind: "user.created", Actor: "relay", Detail: map[string]string{"user": "admin", "role": "admin"}})
	fmt.Printf("Created the administrator account \"admin\"; its password is in %s (readable only by you).\n", path)
	fmt.Println("Sign in with it, then delete that file (relay user passwd admin sets a new one).")
	return nil
}
