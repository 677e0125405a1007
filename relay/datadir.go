package relay

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/relaydesk/relaydesk/relay/auth"
	"github.com/relaydesk/relaydesk/relay/identity"
	"github.com/relaydesk/relaydesk/relay/server"
	"github.com/relaydesk/relaydesk/relay/store"
)

// DatabaseFile is the SQLite database's name inside the data directory.
const DatabaseFile = "relay.db"

// ScreenshotsDir is the folder of the data directory that keeps the
// screenshots' PNGs, one folder per session.
const ScreenshotsDir = "screenshots"

// screenshotsDir is the screenshots' folder of data directory dir ("": none).
func screenshotsDir(dir string) string {
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, ScreenshotsDir)
}

// adminPasswordFile is where the first start leaves the administrator's
// password, readable only by the relay's user: never on stdout or in a log.
const adminPasswordFile = "admin-password"

// secretFiles are the files of the data directory that nobody but the
// relay's user may read.
var secretFiles = []string{"relay.db", "relay.db-wal", "relay.db-shm", "relay.key", adminPasswordFile}

// prepareDataDir creates dir (0700) when it is missing and refuses it, or
// a secret file in it or one of extra, when group or others may use it.
func prepareDataDir(dir string, extra ...string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data directory %s: %w", dir, err)
	}
	if err := checkPrivate(dir, true); err != nil {
		return err
	}
	for _, f := range secretFiles {
		if err := checkPrivate(filepath.Join(dir, f), false); err != nil {
			return err
		}
	}
	for _, f := range extra {
		if err := checkPrivate(f, false); err != nil {
			return err
		}
	}
	return nil
}

// OpenStore opens (creating it when missing) the database in the data
// directory dir, after checking that dir and its secret files are private.
// The `relay user` and `relay audit` commands open it this way beside a
// running relay.
func OpenStore(ctx context.Context, dir string) (store.Store, error) {
	if err := prepareDataDir(dir); err != nil {
		return nil, err
	}
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, DatabaseFile))
	if err != nil {
		return nil, fmt.Errorf("open the database in %s: %w", dir, err)
	}
	return st, nil
}

// LoadIdentity returns the relay's TLS identity: the operator's
// certificate and key files when given (both or neither), or else the
// identity in the data directory dir, created there when it has none.
func LoadIdentity(dir, certFile, keyFile string) (tls.Certificate, error) {
	if certFile != "" || keyFile != "" {
		if certFile == "" || keyFile == "" {
			return tls.Certificate{}, fmt.Errorf("give both --cert and --key")
		}
		return identity.Load(certFile, keyFile)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return tls.Certificate{}, fmt.Errorf("create data directory %s: %w", dir, err)
	}
	c, _, err := identity.LoadOrCreate(dir)
	return c, err
}

// firstAdmin creates the admin account on a store without users and
// leaves its password in dir's password file, readable only by the
// relay's user; it returns that file's path, or "" when st has users.
func firstAdmin(ctx context.Context, st store.Store, dir string, now time.Time) (string, error) {
	n, err := st.CountUsers(ctx)
	if err != nil {
		return "", fmt.Errorf("count users: %w", err)
	}
	if n > 0 {
		return "", nil
	}
	pw := auth.NewPassword()
	path, err := writeAdminPassword(dir, pw)
	if err != nil {
		return "", err
	}
	if _, err := server.CreateUser(ctx, st, "admin", store.RoleAdmin, pw); err != nil {
		os.Remove(path)
		return "", err
	}
	st.Audit(ctx, &store.AuditEvent{At: now, Kind: "user.created", Actor: "relay", Detail: map[string]string{"user": "admin", "role": "admin"}})
	return path, nil
}

// writeAdminPassword leaves pw in dir's password file (0600, replacing an
// old one) and returns the file's path.
func writeAdminPassword(dir, pw string) (string, error) {
	p, err := filepath.Abs(filepath.Join(dir, adminPasswordFile))
	if err != nil {
		return "", fmt.Errorf("locate the password file: %w", err)
	}
	if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
		return "", fmt.Errorf("replace %s: %w", p, err)
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("write the administrator's password: %w", err)
	}
	_, err = fmt.Fprintln(f, pw)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(p)
		return "", fmt.Errorf("write the administrator's password to %s: %w", p, err)
	}
	return p, nil
}
