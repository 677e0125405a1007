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
// Browsers may add " (1)" and the like; ParseFileName ignores that.
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

// TokenLen is the length of the relay's link tokens (256 bits, base64url).
const TokenLen = 43

// ParseFileName reads the connection details from a program's path. It
// tolerates what browsers and file managers do to a name: a different case
// of the prefix or the fingerprint, and suffixes such as " (1)", "(2)",
// "-1", " - Copy" or ".exe".
func ParseFileName(path string) (Target, error) {
	base := filepath.Base(path)
	i := indexFold(base, namePrefix)
	if i < 0 {
		return Target{}, ErrNoTarget
	}
	parts := strings.SplitN(base[i+len(namePrefix):], "__", 4)
	if len(parts) < 3 {
		return Target{}, ErrNoTarget
	}
	host := parts[0]
	if strings.Count(host, "-") > 1 && !strings.Contains(host, ".") && v6DashRe.MatchString(host) {
		host = strings.ReplaceAll(host, "-", ":") // an IPv6 address
	}
	port, err := strconv.Atoi(parts[1])
	if err != nil || port < 1 || port > 65535 || !hostRe.MatchString(host) {
		return Target{}, ErrNoTarget
	}
	// The fingerprint is exactly 64 hex digits; after it (in a name without
	// a token) comes only what a rename added, never another hex digit.
	fp := hexRunRe.FindString(parts[2])
	if len(fp) != 64 || (len(parts) == 4 && len(parts[2]) != 64) {
		return Target{}, ErrNoTarget
	}
	t := Target{Host: host, Port: port, Fingerprint: "sha256:" + strings.ToLower(fp)}
	if len(parts) == 4 {
		tok := tokenRe.FindString(parts[3])
		// "<token>-1": a rename's counter glued to a relay token.
		if len(tok) > TokenLen && renameCountRe.MatchString(tok[TokenLen:]) {
			tok = tok[:TokenLen]
		}
		if tok == "" {
			return Target{}, ErrNoTarget
		}
		t.Token = tok
	}
	return t, nil
}

// indexFold is strings.Index ignoring ASCII case, in byte offsets of s.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

var (
	v6DashRe      = regexp.MustCompile(`^[0-9a-fA-F-]+$`)
	hexRunRe      = regexp.MustCompile(`^[0-9a-fA-F]*`)
	renameCountRe = regexp.MustCompile(`^[-_]+\d{0,3}$`)
)
