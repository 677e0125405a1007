package download

import (
	"errors"
	"fmt"
	"net"
	"strings"
)

// ErrOtherRelay means connection details point at a relay (or key) other
// than the one a release build of the SOS app was built for.
var ErrOtherRelay = errors.New("download: not the support server this app was built for")

// Pin is what a release build of the SOS app may connect to: the relay's
// host names (or addresses) and its key fingerprint, set at build time
// (-ldflags -X). The zero Pin is a dev build, which allows any relay (and
// asks the end user). A file name or pasted line cannot change a Pin: it
// is part of the signed binary.
type Pin struct {
	Hosts       []string // lower case, without port
	Fingerprint string   // sha256:<hex>; empty: any key of the allowed hosts
}

// ParsePin reads the build-time values: hosts separated by commas or
// spaces, and the fingerprint ("sha256:<hex>", case-insensitive).
func ParsePin(hosts, fingerprint string) Pin {
	var p Pin
	for _, h := range strings.FieldsFunc(hosts, func(r rune) bool { return r == ',' || r == ' ' }) {
		p.Hosts = append(p.Hosts, strings.ToLower(strings.Trim(h, "[]")))
	}
	p.Fingerprint = strings.ToLower(strings.TrimSpace(fingerprint))
	return p
}

// Release reports whether p restricts the relay (a release build).
func (p Pin) Release() bool { return len(p.Hosts) > 0 || p.Fingerprint != "" }

// Check returns nil when the relay at addr (host:port) with the key
// fingerprint may be used, else an error that wraps ErrOtherRelay and
// reads as a sentence for the end user.
func (p Pin) Check(addr, fingerprint string) error {
	if !p.Release() {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	host = strings.ToLower(strings.Trim(host, "[]"))
	hostOK := len(p.Hosts) == 0
	for _, h := range p.Hosts {
		hostOK = hostOK || h == host
	}
	keyOK := p.Fingerprint == "" || strings.EqualFold(strings.TrimSpace(fingerprint), p.Fingerprint)
	if hostOK && keyOK {
		return nil
	}
	return &OtherRelayError{Host: host, Allowed: p.Hosts, WrongKey: hostOK}
}

// OtherRelayError is Check's refusal.
type OtherRelayError struct {
	Host     string   // the host the details point at
	Allowed  []string // the hosts the app was built for
	WrongKey bool     // the host is allowed, its key is not
}

func (e *OtherRelayError) Error() string {
	if e.WrongKey || len(e.Allowed) == 0 {
		return fmt.Sprintf("The connection details carry a key for %s that this app was not built for, so it will not connect. Download the app again from your organisation's support page.", e.Host)
	}
	return fmt.Sprintf("This app only connects to the support server %s; these connection details point at %s, so it will not connect. Download the app again from your organisation's support page.", strings.Join(e.Allowed, " or "), e.Host)
}

// Unwrap makes errors.Is(err, ErrOtherRelay) hold.
func (e *OtherRelayError) Unwrap() error { return ErrOtherRelay }
