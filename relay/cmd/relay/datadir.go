package main

import (
	"fmt"
	"os"
	"path/filepath"
)

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
