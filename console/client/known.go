package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// KnownRelays remembers the key fingerprint of every relay the technician
// chose to trust (trust on first use), so that a relay presenting another
// key later is refused with a warning instead of silently trusted.
type KnownRelays struct {
	path string
	keys map[string]string // relay address -> sha256:<hex>
}

// KnownRelaysPath is $XDG_CONFIG_HOME/relaydesk/known_relays.json.
func KnownRelaysPath() (string, error) {
	p, err := LoginPath()
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(p), "known_relays.json"), nil
}

// LoadKnownRelays reads the trusted keys from path ("" for the default); a
// missing file is an empty list.
func LoadKnownRelays(path string) (*KnownRelays, error) {
	if path == "" {
		var err error
		if path, err = KnownRelaysPath(); err != nil {
			return nil, err
		}
	}
	k := &KnownRelays{path: path, keys: map[string]string{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return k, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read trusted relays: %w", err)
	}
	if err := json.Unmarshal(b, &k.keys); err != nil {
		return nil, fmt.Errorf("the list of trusted relays in %s is damaged (%v); fix or remove it", path, err)
	}
	return k, nil
}

// Key returns the trusted fingerprint of relay, if any.
func (k *KnownRelays) Key(relay string) (string, bool) {
	fp, ok := k.keys[relay]
	return fp, ok
}

// Path is the file the list lives in.
func (k *KnownRelays) Path() string { return k.path }

// Trust remembers fingerprint for relay and saves the list.
func (k *KnownRelays) Trust(relay, fingerprint string) error {
	k.keys[relay] = fingerprint
	if err := os.MkdirAll(filepath.Dir(k.path), 0o700); err != nil {
		return fmt.Errorf("save trusted relays: %w", err)
	}
	b, _ := json.MarshalIndent(k.keys, "", "  ")
	tmp := k.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("save trusted relays: %w", err)
	}
	if err := os.Rename(tmp, k.path); err != nil {
		return fmt.Errorf("save trusted relays: %w", err)
	}
	return nil
}
