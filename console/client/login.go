package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// Login is a saved sign-in: which relay, its pinned key, and the token.
type Login struct {
	Relay       string    `json:"relay"`
	Fingerprint string    `json:"fingerprint"`
	User        string    `json:"user"`
	Role        string    `json:"role,omitempty"`
	Token       string    `json:"token"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// ErrNoLogin means there is no saved login.
var ErrNoLogin = errors.New("client: not signed in")

// Open connects and authenticates with the saved token.
func (l Login) Open(ctx context.Context, onEvent func(proto.Envelope)) (*Conn, error) {
	c, err := Dial(ctx, l.Relay, l.Fingerprint, onEvent)
	if err != nil {
		return nil, err
	}
	if _, err := c.Auth(ctx, l.Token); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// LoginPath is where the login is kept: $XDG_CONFIG_HOME/relaydesk/console.json
// (or the platform's user config directory).
func LoginPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the config directory: %w", err)
	}
	return filepath.Join(dir, "relaydesk", "console.json"), nil
}

// Save writes the login, readable only by the user.
func (l Login) Save() error {
	p, err := LoginPath()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("save login: %w", err)
	}
	b, _ := json.MarshalIndent(l, "", "  ")
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("save login: %w", err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return fmt.Errorf("save login: %w", err)
	}
	return nil
}

// LoadLogin reads the saved login; ErrNoLogin when there is none, or when
// the technician signed out (then the relay and user name are returned).
func LoadLogin() (Login, error) {
	p, err := LoginPath()
	if err != nil {
		return Login{}, err
	}
	return ReadLogin(p)
}

// ReadLogin reads a login saved at p, as LoadLogin does its own.
func ReadLogin(p string) (Login, error) {
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return Login{}, ErrNoLogin
	}
	if err != nil {
		return Login{}, fmt.Errorf("read login: %w", err)
	}
	var l Login
	if err := json.Unmarshal(b, &l); err != nil || l.Relay == "" {
		return Login{}, fmt.Errorf("the saved login in %s is damaged; sign in again", p)
	}
	if l.Token == "" { // signed out: the relay and user name are kept for the next sign-in
		return l, ErrNoLogin
	}
	return l, nil
}
