// Command relay is the RelayDesk server: `relay serve` runs it, `relay user`
// manages accounts (also while the relay runs), `relay group`, `relay
// channel`, `relay category`, `relay priority` and `relay apitoken`
// configure the service desk (also while the relay runs), `relay audit`
// prints the audit trail, `relay fingerprint` prints the key fingerprint
// that apps and consoles pin.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/relaydesk/relaydesk/relay"
	"github.com/relaydesk/relaydesk/relay/auth"
	"github.com/relaydesk/relaydesk/relay/identity"
	"github.com/relaydesk/relaydesk/relay/limit"
	"github.com/relaydesk/relaydesk/relay/server"
	"github.com/relaydesk/relaydesk/relay/store"
)

const usage = `usage:
  relay serve [--data DIR] [--addr HOST:PORT] [--cert FILE --key FILE] [flags]
  relay user add [--data DIR] --name NAME --role ROLE [--password-stdin]
  relay user list [--data DIR]
  relay user disable|enable|revoke [--data DIR] NAME
  relay user role [--data DIR] NAME ROLE
  relay user passwd [--data DIR] [--password-stdin] NAME
  relay user profile [--data DIR] NAME [--languages de,en] [--max-sessions N] [--availability available|busy|away]
  relay user permit [--data DIR] NAME PERMISSION allow|deny|inherit
  relay user permissions [--data DIR] NAME
  relay group add [--data DIR] --name NAME [--description TEXT] [--members USER,...]
  relay group list [--data DIR]
  relay group set [--data DIR] NAME [--name NEW] [--description TEXT] [--members USER,...]
                  [--add-members USER,...] [--remove-members USER,...]
  relay group delete [--data DIR] NAME
  relay channel add [--data DIR] --name NAME [CHANNEL FLAGS] [--public HOST:PORT]
  relay channel list [--data DIR] [--json] [--public HOST:PORT]
  relay channel show [--data DIR] NAME [--json] [--public HOST:PORT]
  relay channel set [--data DIR] NAME [--name NEW] [CHANNEL FLAGS] [--new-sos-token] [--public HOST:PORT]
  relay channel delete [--data DIR] NAME
  relay channel record [--data DIR] NAME [--policy off|allowed|required] [--keep-days N]
  relay category list|set [--data DIR] [NAME,NAME,...]
  relay priority list|set [--data DIR] [NAME,NAME,...]   (most urgent first)
  relay apitoken create [--data DIR] --name NAME --role ROLE
  relay apitoken list [--data DIR]
  relay apitoken revoke [--data DIR] NAME
  relay audit [--data DIR] [--since DURATION|TIME] [--json]
  relay fingerprint [--data DIR]
CHANNEL FLAGS: [--description TEXT] [--groups GROUP,...] [--managers USER,...] [--default]
  [--sos-call] [--link-ttl DURATION] [--assign off|least-busy|round-robin]
  [--sla DURATION] [--fallback CHANNEL] [--narrow PERMISSION,...]
  [--form name=MODE,problem=MODE,category=MODE,priority=MODE] (MODE: required, optional, off)
  channel set changes only what it is given: --sos-call=false and --default=false turn
  those off, an empty list ("") clears one, --form changes the fields it names.
  The SOS Call URL is https://HOST:PORT/c/TOKEN with --public HOST:PORT (default localhost:4433).
Roles: admin, technician-manager, channel-manager, technician.
Permissions: relay user permissions NAME lists them with their values.
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
	switch sub := deskCommands[args[0]]; {
	case sub != nil:
		if len(args) < 2 || sub[args[1]] == nil {
			fmt.Fprintf(os.Stderr, "Unknown command %q.\n%s", strings.Join(args, " "), usage)
			return 2
		}
		err = sub[args[1]](args[1], args[2:])
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

// openStore opens the data directory's database for a subcommand.
func openStore(ctx context.Context, dir string) (store.Store, error) {
	return relay.OpenStore(ctx, dir)
}

func fingerprint(args []string) error {
	fs := flag.NewFlagSet("relay fingerprint", flag.ContinueOnError)
	data := fs.String("data", "relay-data", "data `directory`")
	cert := fs.String("cert", "", "TLS certificate `file` (instead of the one in the data directory)")
	key := fs.String("key", "", "TLS key `file`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cert == "" && *key == "" {
		if _, err := os.Stat(filepath.Join(*data, identity.CertFile)); err != nil {
			return fmt.Errorf("no relay identity in %s yet; start the relay once with relay serve --data %s", *data, *data)
		}
	}
	c, err := relay.LoadIdentity(*data, *cert, *key)
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

// testTURNLoopback, set to 1 in the environment, lets TURN relay to
// loopback peers: the end-to-end tests run every peer on 127.0.0.1. It is
// not a user setting, and the relay warns loudly when it is set.
const testTURNLoopback = "RELAYDESK_TEST_TURN_LOOPBACK"

func serve(args []string) error {
	cfg := relay.DefaultConfig()
	fs := flag.NewFlagSet("relay serve", flag.ContinueOnError)
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data `directory` (database, TLS identity)")
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "`host:port`: UDP for QUIC and TURN, TCP for TURN (and HTTPS later)")
	fs.StringVar(&cfg.PublicAddr, "public", "", "`host:port` clients use to reach the relay, for link URLs (default: --addr)")
	fs.StringVar(&cfg.CertFile, "cert", "", "TLS certificate `file` (default: generated in the data directory)")
	fs.StringVar(&cfg.KeyFile, "key", "", "TLS key `file`")
	fs.StringVar(&cfg.Organisation, "org", "", "organisation `name` shown to end users")
	fs.DurationVar(&cfg.Queue.CodeTTL, "code-ttl", cfg.Queue.CodeTTL, "how long an unused session code stays valid")
	fs.DurationVar(&cfg.Queue.LinkTTL, "link-ttl", cfg.Queue.LinkTTL, "default lifetime of a support link")
	fs.DurationVar(&cfg.Queue.ConsentTimeout, "consent-timeout", cfg.Queue.ConsentTimeout, "how long the end user has to allow a connection")
	fs.DurationVar(&cfg.Queue.Grace, "grace", cfg.Queue.Grace, "how long a session waits for a dropped app or console to come back")
	fs.DurationVar(&cfg.TokenTTL, "token-ttl", cfg.TokenTTL, "how long a technician's sign-in lasts")
	fs.StringVar(&cfg.Downloads, "downloads", "", "`directory` with the SOS builds offered on the download pages (sos-<os>-<arch>[.exe])")
	logLevel := fs.String("log-level", "info", "`level`: debug, info, warn or error")
	fs.BoolVar(&cfg.TURN.AllowPrivate, "turn-allow-private", false, "let TURN relay to private addresses (RFC 1918, CGNAT, ULA), for a deployment where everyone is on the LAN")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to `file` until the relay stops (for benchmarks)")
	connsPerSource := fs.Int("conns-per-source", cfg.Limits.ConnsPerSource, "most QUIC connections from one IPv4 address or IPv6 /64 (0: no limit)")
	regsPerMinute := fs.Int("registrations-per-minute", cfg.Limits.Registrations.N, "most SOS app registrations a minute from one IPv4 address or IPv6 /64 (0: no limit)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg.Limits.ConnsPerSource = orOff(*connsPerSource)
	cfg.Limits.Registrations = limit.Rate{N: orOff(*regsPerMinute), Per: time.Minute}
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
	cfg.Logger = log
	cfg.TURN.AllowLoopback = os.Getenv(testTURNLoopback) == "1"

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	r, err := relay.New(cfg)
	if err != nil {
		return err
	}
	if path := r.AdminPasswordFile(); path != "" {
		fmt.Printf("Created the administrator account \"admin\"; its password is in %s (readable only by you).\n", path)
		fmt.Println("Sign in with it, then delete that file (relay user passwd admin sets a new one).")
	}
	if cfg.TURN.AllowLoopback {
		log.Warn("TEST MODE: TURN relays to loopback addresses (" + testTURNLoopback + "=1); never set this on a real relay")
	}
	pub, fp := r.PublicAddr(), r.Fingerprint()
	fmt.Printf("Relay listening on %s (UDP: QUIC control and TURN; TCP: HTTPS and TURN)\n", r.Addr())
	fmt.Printf("End users without a link: https://%s/sos\n", pub)
	fmt.Printf("Key fingerprint: %s\n", fp)
	fmt.Printf("Connect an SOS app:  sos --relay %s --fingerprint %s --no-gui\n", pub, fp)
	os.Stdout.Sync()

	err = r.Run(ctx)
	// Run has told every peer and waited ShutdownGrace; this only closes.
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return errors.Join(err, r.Shutdown(sctx))
}

// orOff maps a flag's 0 (no limit) to the negative value limits take for "none".
func orOff(n int) int {
	if n == 0 {
		return -1
	}
	return n
}
