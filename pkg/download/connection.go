package download

import (
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// The connection line is what the download pages show for the case the
// app cannot read its own name (a browser renamed the download): the
// support link, or the attended page, with the relay's key fingerprint as
// the URL's fragment. A browser opens it as the link (the fragment never
// reaches the server); the app takes everything it needs from it:
//
//	https://<host>:<port>/s/<token>#sha256:<hex>
//	https://<host>:<port>/c/<channel token>#sha256:<hex>   (SOS Call)
//	https://<host>:<port>/sos#sha256:<hex>

// Connection errors.
var (
	// ErrNoFingerprint means a support link without the relay's fingerprint.
	ErrNoFingerprint = errors.New("download: the link lacks the relay's key fingerprint")
	// ErrNotConnection means the text is neither a connection line nor a download name.
	ErrNotConnection = errors.New("download: not a connection line")
)

// ConnectionLine is the line the download pages show for t.
func ConnectionLine(t Target) string {
	path := "/sos"
	switch {
	case t.Token != "":
		path = "/s/" + t.Token
	case t.Channel != "":
		path = "/c/" + t.Channel
	}
	return "https://" + t.Addr() + path + "#" + t.Fingerprint
}

// ParseConnection reads what an end user pasted: a connection line, or
// the download's file name. A support link without the fingerprint gives
// ErrNoFingerprint, anything else unreadable ErrNotConnection.
func ParseConnection(s string) (Target, error) {
	s = strings.Trim(strings.TrimSpace(s), `"'<>`)
	if !strings.Contains(s, "://") {
		if t, err := ParseFileName(s); err == nil {
			return t, nil
		}
		return Target{}, ErrNotConnection
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Hostname() == "" || u.User != nil {
		return Target{}, ErrNotConnection
	}
	t := Target{Host: u.Hostname(), Port: 443}
	if p := u.Port(); p != "" {
		if t.Port, err = strconv.Atoi(p); err != nil || t.Port < 1 || t.Port > 65535 {
			return Target{}, ErrNotConnection
		}
	}
	if !hostRe.MatchString(t.Host) || (strings.Contains(t.Host, ":") && net.ParseIP(t.Host) == nil) {
		return Target{}, ErrNotConnection
	}
	if tok, ok := strings.CutPrefix(u.Path, "/s/"); ok {
		if t.Token = tokenRe.FindString(tok); t.Token != tok {
			return Target{}, ErrNotConnection
		}
	} else if tok, ok := strings.CutPrefix(u.Path, "/c/"); ok {
		if t.Channel = tokenRe.FindString(tok); t.Channel != tok {
			return Target{}, ErrNotConnection
		}
	} else if u.Path != "/sos" && u.Path != "/" && u.Path != "" {
		return Target{}, ErrNotConnection
	}
	if u.Fragment == "" {
		return Target{}, ErrNoFingerprint
	}
	fp, ok := strings.CutPrefix(strings.ToLower(strings.ReplaceAll(u.Fragment, ":", "")), "sha256")
	if !ok || len(fp) != 64 || hexRunRe.FindString(fp) != fp {
		return Target{}, ErrNotConnection
	}
	t.Fingerprint = "sha256:" + fp
	return t, nil
}
