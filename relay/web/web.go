// Package web is the relay's HTTPS side: the support-link page an end user
// opens (/s/<token>), a channel's SOS Call page (/c/<token>), the
// attended-support download page (/sos), and the SOS app downloads, whose
// file names carry the relay's address, key fingerprint and the link's (or
// channel page's) token. Pages work without JavaScript, in
// English, German and Dutch, and are built for screen readers and keyboards.
package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/pkg/download"
	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/store"
	"github.com/relaydesk/relaydesk/relay/token"
)

// Config configures the web side.
type Config struct {
	Store        store.Store
	Organisation string
	// OrganisationName, if set, gives the name to show now (the admin
	// may change it while the relay runs); Organisation is the fallback.
	OrganisationName func() string
	PublicHost       string // host clients use (for download names)
	PublicPort       int
	Fingerprint      string // sha256:<hex> of the relay's key, shown for comparison
	// Channel finds the channel whose SOS Call page has token: its name
	// and description; ok is false for an unknown token or a channel with
	// SOS Call off. nil: no SOS Call pages.
	Channel func(token string) (name, description string, ok bool)
	// Downloads holds the SOS binaries: sos-<goos>-<goarch>[.exe].
	Downloads string
	// HSTS sends Strict-Transport-Security: only with a certificate that
	// browsers trust (--cert), never with the relay's self-signed one.
	HSTS bool
	// Screenshots is the folder of the screenshots' PNGs (relay/store's
	// ScreenshotPath), which the records pages (/r/<token>) offer.
	Screenshots string
	// Recordings is the folder of the session recordings (relay/queue's
	// RecordingsDir; a recording's Path is relative to it), which the
	// records pages offer too.
	Recordings string
	// WriteStall is how long one write of a download may take (0: 30 s):
	// a slow but alive download keeps going, a stalled one ends.
	WriteStall time.Duration
	Now        func() time.Time
	Logger     *slog.Logger
}

// Handler serves the pages.
type Handler struct {
	cfg Config
	mux *http.ServeMux
}

// New returns the HTTP handler.
func New(cfg Config) *Handler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.WriteStall == 0 {
		cfg.WriteStall = 30 * time.Second
	}
	h := &Handler{cfg: cfg, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /s/{token}", h.linkPage)
	h.mux.HandleFunc("GET /sos", h.sosPage)
	h.mux.HandleFunc("GET /c/{token}", h.callPage)
	h.mux.HandleFunc("GET /c/{token}/download/{file}", h.callDownload)
	h.mux.HandleFunc("GET /download/{file}", h.download)
	h.mux.HandleFunc("GET /r/{token}", h.recordsPage)
	h.mux.HandleFunc("GET /r/{token}/screenshots/{id}", h.recordsScreenshot)
	h.mux.HandleFunc("GET /r/{token}/recordings/{id}", h.recordsRecording)
	h.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	h.mux.HandleFunc("GET /{$}", h.sosPage)
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'")
	w.Header().Set("X-Frame-Options", "DENY") // frame-ancestors for older browsers
	if h.cfg.HSTS {
		w.Header().Set("Strict-Transport-Security", "max-age=31536000")
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer") // the link token is in the URL
	w.Header().Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(w, r)
}

// platform is one downloadable build.
type platform struct {
	GOOS, GOARCH, Label, File string
}

var platformLabels = map[string]string{"windows": "Windows", "darwin": "macOS", "linux": "Linux"}

// platforms lists the SOS builds in the downloads directory.
func (h *Handler) platforms() []platform {
	entries, err := os.ReadDir(h.cfg.Downloads)
	if err != nil {
		return nil
	}
	var out []platform
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".exe")
		parts := strings.Split(name, "-")
		if len(parts) != 3 || parts[0] != "sos" || platformLabels[parts[1]] == "" || e.IsDir() {
			continue
		}
		out = append(out, platform{GOOS: parts[1], GOARCH: parts[2], Label: platformLabels[parts[1]] + " (" + parts[2] + ")", File: e.Name()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Label < out[j].Label })
	return out
}

// detectOS guesses the visitor's OS from the User-Agent.
func detectOS(ua string) string {
	ua = strings.ToLower(ua)
	switch {
	case strings.Contains(ua, "android") || strings.Contains(ua, "iphone") || strings.Contains(ua, "ipad"):
		return "" // no app for these yet (phones say "like Mac OS X" or "Linux" too)
	case strings.Contains(ua, "windows"):
		return "windows"
	case strings.Contains(ua, "mac os") || strings.Contains(ua, "macintosh"):
		return "darwin"
	case strings.Contains(ua, "linux") || strings.Contains(ua, "x11"):
		return "linux"
	}
	return ""
}

type pageData struct {
	T           texts
	Lang        string
	Langs       []langLink
	Title       string
	Problem     string // set: the link cannot be used; nothing to download
	Technician  string
	Org         string
	Primary     *platform
	Others      []platform
	Fingerprint string
	Expires     string
	Query       string // ?token for download links
	DownloadDir string // where the downloads are: "/download/" unless set
	Call        bool   // an SOS Call page: Channel and Description name the channel
	Channel     string
	Description string
	Connection  string // the line the app accepts when its name was changed
	NoBuilds    bool
	Missing     string // the visitor's system when it is one we build for but this server has no build of
	// Records makes it a records page (/r/<token>).
	Records *recordsView
}

type langLink struct {
	Code, Name, Href string
	Current          bool
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, d pageData) {
	lang := chooseLang(r)
	d.T, d.Lang = catalog[lang], lang
	for _, l := range langOrder {
		d.Langs = append(d.Langs, langLink{Code: l, Name: catalog[l].LangName, Href: r.URL.Path + "?lang=" + l, Current: l == lang})
	}
	d.Fingerprint = h.cfg.Fingerprint
	if d.DownloadDir == "" {
		d.DownloadDir = "/download/"
	}
	d.Org = h.cfg.Organisation
	if h.cfg.OrganisationName != nil {
		d.Org = h.cfg.OrganisationName()
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", lang)
	w.WriteHeader(status)
	if err := pageTmpl.Execute(w, d); err != nil {
		h.cfg.Logger.Error("render page", "err", err)
	}
}

// offer fills the download choices for the visitor's OS.
func (h *Handler) offer(r *http.Request, d *pageData) {
	ps := h.platforms()
	if len(ps) == 0 {
		d.NoBuilds = true
		return
	}
	os := detectOS(r.UserAgent())
	for i := range ps {
		if d.Primary == nil && ps[i].GOOS == os {
			p := ps[i]
			d.Primary = &p
			continue
		}
		d.Others = append(d.Others, ps[i])
	}
	if d.Primary == nil {
		d.Missing = platformLabels[os]
	}
}

func (h *Handler) linkPage(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	t := catalog[chooseLang(r)]
	s, err := h.cfg.Store.SessionByLinkHash(r.Context(), token.Hash(tok))
	d := pageData{Title: t.LinkTitle}
	switch {
	case errors.Is(err, store.ErrNotFound):
		d.Problem = t.LinkUnknown
		h.render(w, r, http.StatusNotFound, d)
		return
	case err != nil:
		h.cfg.Logger.Error("look up link", "err", err)
		d.Problem = t.Failure
		h.render(w, r, http.StatusInternalServerError, d)
		return
	case s.Status == proto.StatusExpired || (s.Status == proto.StatusWaiting && !h.cfg.Now().Before(s.LinkExpiresAt)):
		d.Problem = t.LinkExpired
		h.render(w, r, http.StatusGone, d)
		return
	case s.Status == proto.StatusClosed:
		d.Problem = t.LinkClosed
		h.render(w, r, http.StatusGone, d)
		return
	case s.Status != proto.StatusWaiting:
		d.Problem = t.LinkUsed
		h.render(w, r, http.StatusConflict, d)
		return
	}
	if u, err := h.cfg.Store.UserByID(r.Context(), s.OwnerID); err == nil {
		d.Technician = u.Name
	}
	d.Expires = s.LinkExpiresAt.UTC().Format("2006-01-02 15:04 UTC")
	d.Query = "?t=" + tok
	d.Connection = download.ConnectionLine(h.target(tok))
	h.offer(r, &d)
	h.render(w, r, http.StatusOK, d)
}

func (h *Handler) sosPage(w http.ResponseWriter, r *http.Request) {
	d := pageData{Title: catalog[chooseLang(r)].SOSTitle, Connection: download.ConnectionLine(h.target(""))}
	h.offer(r, &d)
	h.render(w, r, http.StatusOK, d)
}

// channel looks up the channel whose SOS Call page has token tok.
func (h *Handler) channel(tok string) (name, description string, ok bool) {
	if h.cfg.Channel == nil || tok == "" {
		return "", "", false
	}
	return h.cfg.Channel(tok)
}

// callPage is a channel's SOS Call page: the end user downloads the app,
// which asks their name and problem and puts the request in the
// channel's queue.
func (h *Handler) callPage(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	t := catalog[chooseLang(r)]
	d := pageData{Title: t.CallTitle, Call: true}
	name, desc, ok := h.channel(tok)
	if !ok {
		d.Problem = t.CallUnknown
		h.render(w, r, http.StatusNotFound, d)
		return
	}
	d.Channel, d.Description = name, desc
	d.DownloadDir = "/c/" + tok + "/download/"
	d.Connection = download.ConnectionLine(h.channelTarget(tok))
	h.offer(r, &d)
	h.render(w, r, http.StatusOK, d)
}

// callDownload serves a build for a channel's SOS Call page.
func (h *Handler) callDownload(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	if _, _, ok := h.channel(tok); !ok {
		http.Error(w, catalog[chooseLang(r)].CallUnknown, http.StatusNotFound)
		return
	}
	h.serveBuild(w, r, r.PathValue("file"), h.channelTarget(tok))
}

// target is where the app connects to, for the link token tok ("": attended).
func (h *Handler) target(tok string) download.Target {
	return download.Target{Host: h.cfg.PublicHost, Port: h.cfg.PublicPort, Fingerprint: h.cfg.Fingerprint, Token: tok}
}

// channelTarget is where the app connects to for the SOS Call page tok.
func (h *Handler) channelTarget(tok string) download.Target {
	t := h.target("")
	t.Channel = tok
	return t
}

// download serves a build under a name that carries the connection details
// (and the link's token, given as ?t=, after checking it is still usable).
func (h *Handler) download(w http.ResponseWriter, r *http.Request) {
	t := h.target("")
	if tok := r.URL.Query().Get("t"); tok != "" {
		s, err := h.cfg.Store.SessionByLinkHash(r.Context(), token.Hash(tok))
		if err != nil || s.Status != proto.StatusWaiting || !h.cfg.Now().Before(s.LinkExpiresAt) {
			http.Error(w, catalog[chooseLang(r)].LinkExpired, http.StatusGone)
			return
		}
		t.Token = tok
	}
	h.serveBuild(w, r, r.PathValue("file"), t)
}

// serveBuild serves the build file under the name that carries t.
func (h *Handler) serveBuild(w http.ResponseWriter, r *http.Request, file string, t download.Target) {
	var found *platform
	for _, p := range h.platforms() {
		if p.File == file {
			found = &p
			break
		}
	}
	if found == nil {
		http.Error(w, "No such download.", http.StatusNotFound)
		return
	}
	f, err := os.Open(filepath.Join(h.cfg.Downloads, found.File))
	if err != nil {
		http.Error(w, "The download is not available.", http.StatusNotFound)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		http.Error(w, "The download is not available.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="`+download.FileName(t, found.GOOS)+`"`)
	http.ServeContent(&stallWriter{ResponseWriter: w, rc: http.NewResponseController(w), stall: h.cfg.WriteStall}, r, "", fi.ModTime(), f)
}

// stallWriter moves the connection's write deadline forward before every
// write, so a download may take longer than the server's WriteTimeout as
// long as each write completes within stall.
type stallWriter struct {
	http.ResponseWriter
	rc    *http.ResponseController
	stall time.Duration
}

func (s *stallWriter) Write(p []byte) (int, error) {
	s.rc.SetWriteDeadline(time.Now().Add(s.stall))
	return s.ResponseWriter.Write(p)
}
