// Package download names the SOS app's downloads so that the file name
// carries the relay's address, its key fingerprint and a support link's
// token: running the download needs no typing and no change to the
// (signed) binary.
package download

import (
	"errors"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// The name's form:
//
//	RelayDesk-SOS__<host>__<port>__<fingerprint hex>[__<link token>][.exe]
//
// Browsers may add " (1)" and the like; Parse ignores that.
const namePrefix = "RelayDesk-SOS__"

// Target is what a download name carries.
type Target struct {
	Host        string
	Port        int
	Fingerprint string // sha256:<hex>
	Token       string // empty: attended code
}

// Addr is host:port.
func (t Target) Addr() string { return joinHostPort(t.Host, t.Port) }

func joinHostPort(h string, p int) string {
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	return h + ":" + strconv.Itoa(p)
}

// ErrNoTarget means a file name carries no connection details.
var ErrNoTarget = errors.New("download: the file name carries no connection details")

var (
	hexRe   = regexp.MustCompile(`^[0-9a-f]{64}$`)
	tokenRe = regexp.MustCompile(`^[A-Za-z0-9_-]{22,}`)
	hostRe  = regexp.MustCompile(`^[A-Za-z0-9.\-]+$|^[0-9a-fA-F:]+$`)
)

// FileName is the download name for t on an OS ("windows" adds .exe).
func FileName(t Target, goos string) string {
	fp := strings.TrimPrefix(t.Fingerprint, "sha256:")
	host := strings.ReplaceAll(t.Host, ":", "-") // IPv6 colons are not allowed in Windows names
	n := namePrefix + host + "__" + strconv.Itoa(t.Port) + "__" + fp
	if t.Token != "" {
		n += "__" + t.Token
	}
	if goos == "windows" {
		n += ".exe"
	}
	return n
}

// ParseFileName reads the connection details from a program's path.
func ParseFileName(path string) (Target, error) {
	base := filepath.Base(path)
	i := strings.Index(base, namePrefix)
	if i < 0 {
		return Target{}, ErrNoTarget
	}
	parts := strings.SplitN(base[i+len(namePrefix):], "__", 4)
	if len(parts) < 3 {
		return Target{}, ErrNoTarget
	}
	host := parts[0]
	if strings.Count(host, "-") > 1 && !strings.Contains(host, ".") && regexp.MustCompile(`^[0-9a-fA-F-]+$`).MatchString(host) {
		host = strings.ReplaceAll(host, "-", ":") // an IPv6 address
	}
	port, err := strconv.Atoi(parts[1])
	if err != nil || port < 1 || port > 65535 || !hostRe.MatchString(host) {
		return Target{}, ErrNoTarget
	}
	fp := parts[2]
	if len(parts) == 3 {
		fp = trimSuffixes(fp)
	}
	if !hexRe.MatchString(fp) {
		return Target{}, ErrNoTarget
	}
	t := Target{Host: host, Port: port, Fingerprint: "sha256:" + fp}
	if len(parts) == 4 {
		tok := tokenRe.FindString(parts[3])
		if tok == "" {
			return Target{}, ErrNoTarget
		}
		t.Token = tok
	}
	return t, nil
}

// trimSuffixes drops ".exe", " (1)", "(2)" and such from the end of the name.
func trimSuffixes(s string) string {
	if i := strings.IndexAny(s, " .("); i >= 0 {
		return s[:i]
	}
	return s
}
