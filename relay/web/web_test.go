package web

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/download"
	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/store"
	"github.com/relaydesk/relaydesk/relay/token"
)

const (
	winUA   = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36"
	linuxUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36"
	fp      = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)

type fixture struct {
	h   *Handler
	st  store.Store
	now time.Time
	// channels are the SOS Call pages by token: name and description
	// (Config.Channel answers from it; a channel with SOS Call off is not in it).
	channels map[string][2]string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	dl := filepath.Join(dir, "downloads")
	os.Mkdir(dl, 0o755)
	for _, n := range []string{"sos-linux-amd64", "sos-windows-amd64.exe", "README"} {
		os.WriteFile(filepath.Join(dl, n), []byte("binary "+n), 0o755)
	}
	f := &fixture{st: st, now: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC), channels: map[string][2]string{}}
	channel := func(tok string) (string, string, bool) {
		c, ok := f.channels[tok]
		return c[0], c[1], ok
	}
	f.h = New(Config{Store: st, Organisation: "Acme IT", PublicHost: "relay.example.com", PublicPort: 4433, Fingerprint: fp, Downloads: dl, Channel: channel, Now: func() time.Time { return f.now }})
	return f
}

func (f *fixture) link(t *testing.T, status proto.Status) string {
	t.Helper()
	ctx := context.Background()
	u := store.User{Name: "Tina", Role: store.RoleTechnician, PasswordHash: "x"}
	if _, err := f.st.UserByName(ctx, "Tina"); err != nil {
		f.st.CreateUser(ctx, &u)
	} else {
		u, _ = f.st.UserByName(ctx, "Tina")
	}
	tok, hash := token.New()
	s := store.Session{ID: tok[:12], Kind: proto.KindLink, Status: status, OwnerID: u.ID, LinkTokenHash: hash, LinkExpiresAt: f.now.Add(time.Hour), CreatedAt: f.now}
	if err := f.st.CreateSession(ctx, &s, store.StatusEvent{SessionID: s.ID, At: f.now, Status: status}); err != nil {
		t.Fatal(err)
	}
	return tok
}

func (f *fixture) get(t *testing.T, path, ua, lang string) (*http.Response, string) {
	t.Helper()
	r := httptest.NewRequest("GET", path, nil)
	r.Header.Set("User-Agent", ua)
	if lang != "" {
		r.Header.Set("Accept-Language", lang)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	body, _ := io.ReadAll(w.Result().Body)
	return w.Result(), string(body)
}

var downloadHref = regexp.MustCompile(`id="download" href="([^"]+)"`)

func TestLinkPage(t *testing.T) {
	f := newFixture(t)
	tok := f.link(t, proto.StatusWaiting)
	res, body := f.get(t, "/s/"+tok, winUA, "")
	if res.StatusCode != 200 || !strings.Contains(body, `<html lang="en">`) || !strings.Contains(body, "Tina from Acme IT asked to help you") {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	m := downloadHref.FindStringSubmatch(body)
	if m == nil || m[1] != "/download/sos-windows-amd64.exe?t="+tok {
		t.Fatalf("primary download for Windows: %v", m)
	}
	if !strings.Contains(body, "/download/sos-linux-amd64?t="+tok) || strings.Contains(body, "README") {
		t.Fatal("other systems are not listed, or a stray file is")
	}
	if !strings.Contains(body, fp) {
		t.Fatal("fingerprint not shown")
	}
	_, body = f.get(t, "/s/"+tok, linuxUA, "")
	if m := downloadHref.FindStringSubmatch(body); m == nil || !strings.HasPrefix(m[1], "/download/sos-linux-amd64") {
		t.Fatalf("primary download for Linux: %v", m)
	}
	// Languages: Accept-Language with weights, and the switcher.
	for lang, want := range map[string]string{
		"de-DE,de;q=0.9,en;q=0.8":   "Tina von Acme IT möchte Ihnen",
		"fr-FR, nl;q=0.7, de;q=0.5": "Tina van Acme IT wil u helpen",
		"fr":                        "Tina from Acme IT",
	} {
		if _, body := f.get(t, "/s/"+tok, winUA, lang); !strings.Contains(body, want) {
			t.Errorf("%s: missing %q", lang, want)
		}
	}
	if _, body := f.get(t, "/s/"+tok+"?lang=nl", winUA, "de"); !strings.Contains(body, `<html lang="nl">`) {
		t.Error("?lang=nl did not win over Accept-Language")
	}
}

func TestUnusableLinksOfferNothing(t *testing.T) {
	f := newFixture(t)
	cases := map[string]struct {
		path   string
		status int
		want   string
	}{
		"unknown": {"/s/nonexistent", 404, "not valid"},
		"expired": {"/s/" + f.link(t, proto.StatusExpired), 410, "has expired"},
		"closed":  {"/s/" + f.link(t, proto.StatusClosed), 410, "has ended"},
		"used":    {"/s/" + f.link(t, proto.StatusReady), 409, "already used"},
	}
	for name, c := range cases {
		res, body := f.get(t, c.path, winUA, "")
		if res.StatusCode != c.status || !strings.Contains(body, c.want) || strings.Contains(body, "/download/") || !strings.Contains(body, `role="alert"`) {
			t.Errorf("%s: %d, body without %q or with a download", name, res.StatusCode, c.want)
		}
	}
	// A Waiting link past its expiry is expired too, even before the relay's sweep.
	tok := f.link(t, proto.StatusWaiting)
	f.now = f.now.Add(2 * time.Hour)
	if res, body := f.get(t, "/s/"+tok, winUA, ""); res.StatusCode != 410 || strings.Contains(body, "/download/") {
		t.Errorf("stale Waiting link: %d", res.StatusCode)
	}
	if res, _ := f.get(t, "/download/sos-windows-amd64.exe?t="+tok, winUA, ""); res.StatusCode != 410 {
		t.Errorf("download with an expired token: %d", res.StatusCode)
	}
}

func TestDownloadNameCarriesTheLink(t *testing.T) {
	f := newFixture(t)
	tok := f.link(t, proto.StatusWaiting)
	res, body := f.get(t, "/download/sos-windows-amd64.exe?t="+tok, winUA, "")
	if res.StatusCode != 200 || body != "binary sos-windows-amd64.exe" {
		t.Fatalf("%d %q", res.StatusCode, body)
	}
	cd := res.Header.Get("Content-Disposition")
	name := strings.TrimSuffix(strings.TrimPrefix(cd, `attachment; filename="`), `"`)
	got, err := download.ParseFileName(name)
	if err != nil || got.Addr() != "relay.example.com:4433" || got.Fingerprint != fp || got.Token != tok || !strings.HasSuffix(name, ".exe") {
		t.Fatalf("%s -> %+v %v", cd, got, err)
	}
	// The code-based app: no token in the name.
	res, _ = f.get(t, "/download/sos-linux-amd64", linuxUA, "")
	name = strings.TrimSuffix(strings.TrimPrefix(res.Header.Get("Content-Disposition"), `attachment; filename="`), `"`)
	if got, err := download.ParseFileName(name); err != nil || got.Token != "" {
		t.Fatalf("attended download %q: %+v %v", name, got, err)
	}
	for _, bad := range []string{"/download/README", "/download/..%2fr.db", "/download/sos-linux-arm64"} {
		if res, _ := f.get(t, bad, linuxUA, ""); res.StatusCode != 404 {
			t.Errorf("%s: %d", bad, res.StatusCode)
		}
	}
	res, body = f.get(t, "/sos", linuxUA, "nl")
	if res.StatusCode != 200 || !strings.Contains(body, "code van 9 cijfers") || downloadHref.FindStringSubmatch(body) == nil {
		t.Fatalf("/sos: %d", res.StatusCode)
	}
	if res.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatal("the link token could leak through Referer")
	}
}

var connectionLine = regexp.MustCompile(`<code id="connection"[^>]*>([^<]+)</code>`)

// TestPagesShowTheConnectionLine: the line the app asks for when its name
// was changed leads where the download's name does; unusable links show none.
func TestPagesShowTheConnectionLine(t *testing.T) {
	f := newFixture(t)
	tok := f.link(t, proto.StatusWaiting)
	for _, page := range []struct{ path, token string }{{"/s/" + tok, tok}, {"/sos", ""}} {
		res, body := f.get(t, page.path, linuxUA, "de")
		m := connectionLine.FindStringSubmatch(body)
		if res.StatusCode != 200 || m == nil || !strings.Contains(body, "Verbindungsdaten") {
			t.Fatalf("%s: %d, connection line %v", page.path, res.StatusCode, m)
		}
		got, err := download.ParseConnection(html.UnescapeString(m[1]))
		want := download.Target{Host: "relay.example.com", Port: 4433, Fingerprint: fp, Token: page.token}
		if err != nil || got != want {
			t.Fatalf("%s: line %q gives %+v %v, want %+v", page.path, m[1], got, err, want)
		}
	}
	used := f.link(t, proto.StatusReady)
	if _, body := f.get(t, "/s/"+used, linuxUA, ""); connectionLine.MatchString(body) {
		t.Fatal("a used link's page shows a connection line")
	}
}

// TestVisitorWithoutABuild: a Windows visitor on a server that has only the
// Linux app is told that the Windows app is not available here yet (not
// that no app exists for Windows), and still sees the other systems; a
// phone is told to use a computer.
func TestVisitorWithoutABuild(t *testing.T) {
	f := newFixture(t)
	os.Remove(filepath.Join(f.h.cfg.Downloads, "sos-windows-amd64.exe"))
	_, body := f.get(t, "/sos", winUA, "")
	if !strings.Contains(body, "The support app for Windows is not available on this server yet.") || strings.Contains(body, "Please use a Windows") {
		t.Fatalf("Windows visitor without a Windows build: %s", body)
	}
	if downloadHref.MatchString(body) || !strings.Contains(body, "/download/sos-linux-amd64") {
		t.Fatalf("the Linux app should be offered under other systems only: %s", body)
	}
	_, body = f.get(t, "/sos", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)", "de")
	if !strings.Contains(body, "Für Ihr Gerät gibt es keine Support-App") {
		t.Fatalf("phone visitor: %s", body)
	}
}
