// Package download names the SOS app's downloads so that the file name
// carries the relay's address, its key fingerprint and a support link's
// token (or an SOS Call channel page's token): running the download needs no typing and no change to the
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
//	RelayDesk-SOS__<host>__<port>__<fingerprint hex>__call+<channel token>[.exe]
//
// The "call+" marker tells a channel token from a link token: "+" is no
// base64url character, so no link token starts with it. Names without it
// read as before.
// Browsers may add " (1)" and the like; ParseFileName ignores that.
const namePrefix = "RelayDesk-SOS__"

// Target is what a download name carries.
type Target struct {
	Host        string
	Port        int
	Fingerprint string // sha256:<hex>
	Token       string // a support link's token; empty: attended code (or Channel)
	// Channel is an SOS Call channel page's token (/c/<token>); never set
	// together with Token.
	Channel string
}

// callMarker starts the last part of a download name for an SOS Call.
const callMarker = "call+"

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
	switch {
	case t.Token != "":
		n += "__" + t.Token
	case t.Channel != "":
		n += "__" + callMarker + t.Channel
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
		rest, call := cutPrefixFold(parts[3], callMarker)
		tok := tokenRe.FindString(rest)
		// "<token>-1": a rename's counter glued to a relay token.
		if len(tok) > TokenLen && renameCountRe.MatchString(tok[TokenLen:]) {
			tok = tok[:TokenLen]
		}
		if tok == "" {
			return Target{}, ErrNoTarget
		}
		if call {
			t.Channel = tok
		} else {
			t.Token = tok
		}
	}
	return t, nil
}

// cutPrefixFold is strings.CutPrefix ignoring ASCII case.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// ValidToken reports whether tok can be a link's or channel page's token.
func ValidToken(tok string) bool { return len(tok) >= 22 && tokenRe.FindString(tok) == tok }

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
