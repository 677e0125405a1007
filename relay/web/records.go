package web

import (
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/store"
	"github.com/relaydesk/relaydesk/relay/token"
)

// The records page (/r/<token>): the end user opens it through the link
// the SOS app showed at the end of a session (proto.RecordsLink). While the
// session is public it lists the session's screenshots with download links
// (/r/<token>/screenshots/<id>) and its finished recordings
// (/r/<token>/recordings/<id>); once a technician made it internal it
// says so and offers nothing. Like the other pages it works without
// JavaScript, in English, German and Dutch.

// recordsTexts is one language's wording of the records page.
type recordsTexts struct {
	Title       string
	Intro       string // %s technician, %s date
	IntroNoTech string // %s date
	Screenshots string
	// Shot describes one screenshot: %d its number, %s who took it, %s when.
	Shot     string
	Download string // the link's text: %d number, %s size
	// Recordings heads the recordings; Rec describes one: %d its number,
	// %s its length, %s who asked to record; RecDownload is its link's
	// text: %d number, %s size.
	Recordings, Rec, RecDownload string
	Nothing                      string
	Internal                     string
	Unknown                      string
}

var recordsCatalog = map[string]recordsTexts{
	"en": {
		Title: "Records of your support session", Intro: "Your session with %s on %s.", IntroNoTech: "Your support session on %s.",
		Screenshots: "Screenshots", Shot: "Screenshot %d, taken by %s at %s.", Download: "Download screenshot %d (PNG, %s)",
		Recordings: "Recordings", Rec: "Recording %d, %s long, asked for by %s.", RecDownload: "Download recording %d (WebM video, %s)",
		Nothing:  "There are no screenshots or recordings of this session.",
		Internal: "The records of this session are internal: only the support team can open them. Please ask them if you need one.",
		Unknown:  "This link is not valid. Please check the address.",
	},
	"de": {
		Title: "Unterlagen Ihrer Support-Sitzung", Intro: "Ihre Sitzung mit %s am %s.", IntroNoTech: "Ihre Support-Sitzung am %s.",
		Screenshots: "Bildschirmfotos", Shot: "Bildschirmfoto %d, aufgenommen von %s um %s.", Download: "Bildschirmfoto %d herunterladen (PNG, %s)",
		Recordings: "Aufzeichnungen", Rec: "Aufzeichnung %d, %s lang, gewünscht von %s.", RecDownload: "Aufzeichnung %d herunterladen (WebM-Video, %s)",
		Nothing:  "Zu dieser Sitzung gibt es keine Bildschirmfotos oder Aufzeichnungen.",
		Internal: "Die Unterlagen dieser Sitzung sind intern: Nur das Support-Team kann sie öffnen. Fragen Sie dort, wenn Sie eine brauchen.",
		Unknown:  "Dieser Link ist ungültig. Bitte prüfen Sie die Adresse.",
	},
	"nl": {
		Title: "Vastleggingen van uw supportsessie", Intro: "Uw sessie met %s op %s.", IntroNoTech: "Uw supportsessie op %s.",
		Screenshots: "Schermafbeeldingen", Shot: "Schermafbeelding %d, gemaakt door %s om %s.", Download: "Schermafbeelding %d downloaden (PNG, %s)",
		Recordings: "Opnamen", Rec: "Opname %d, %s lang, gevraagd door %s.", RecDownload: "Opname %d downloaden (WebM-video, %s)",
		Nothing:  "Er zijn geen schermafbeeldingen of opnamen van deze sessie.",
		Internal: "De vastleggingen van deze sessie zijn intern: alleen het supportteam kan ze openen. Vraag het hun als u er een nodig hebt.",
		Unknown:  "Deze link is niet geldig. Controleer het adres.",
	},
}

// recordsView is what the records page shows.
type recordsView struct {
	R        recordsTexts
	Intro    string
	Internal bool
	Shots    []recordItem
	Recs     []recordItem // finished recordings that are still kept
}

// recordItem is one record the page offers for download.
type recordItem struct {
	Text, Link, Href string
}

var _ = template.Must(pageTmpl.New("records").Parse(`{{with .Records}}<p>{{.Intro}}</p>
{{if .Internal}}<p id="internal">{{.R.Internal}}</p>
{{else if or .Shots .Recs}}{{if .Shots}}<h2>{{.R.Screenshots}}</h2>
<ul id="screenshots">{{range .Shots}}<li>{{.Text}} <a href="{{.Href}}" download>{{.Link}}</a></li>{{end}}</ul>
{{end}}{{if .Recs}}<h2>{{.R.Recordings}}</h2>
<ul id="recordings">{{range .Recs}}<li>{{.Text}} <a href="{{.Href}}" download>{{.Link}}</a></li>{{end}}</ul>
{{end}}{{else}}<p id="nothing">{{.R.Nothing}}</p>{{end}}{{end}}`))

// recordsSession resolves a records link's token to its session.
func (h *Handler) recordsSession(r *http.Request) (store.Session, error) {
	id, err := h.cfg.Store.RecordsLinkSession(r.Context(), token.Hash(r.PathValue("token")))
	if err != nil {
		return store.Session{}, err
	}
	return h.cfg.Store.Session(r.Context(), id)
}

func (h *Handler) recordsPage(w http.ResponseWriter, r *http.Request) {
	lang := chooseLang(r)
	rt := recordsCatalog[lang]
	d := pageData{Title: rt.Title}
	s, err := h.recordsSession(r)
	switch {
	case errors.Is(err, store.ErrNotFound):
		d.Problem = rt.Unknown
		h.render(w, r, http.StatusNotFound, d)
		return
	case err != nil:
		h.cfg.Logger.Error("look up a records link", "err", err)
		d.Problem = catalog[lang].Failure
		h.render(w, r, http.StatusInternalServerError, d)
		return
	}
	v := &recordsView{R: rt, Intro: fmt.Sprintf(rt.IntroNoTech, day(s.CreatedAt))}
	if u, err := h.cfg.Store.UserByID(r.Context(), s.OwnerID); err == nil {
		v.Intro = fmt.Sprintf(rt.Intro, u.Name, day(s.CreatedAt))
	}
	vis, err := h.cfg.Store.SessionVisibility(r.Context(), s.ID)
	if err != nil {
		h.fail(w, r, d, "read a session's visibility", err)
		return
	}
	v.Internal = vis != proto.VisibilityPublic
	if !v.Internal {
		shots, err := h.cfg.Store.Screenshots(r.Context(), s.ID)
		if err != nil {
			h.fail(w, r, d, "list a session's screenshots", err)
			return
		}
		for i, sh := range shots {
			v.Shots = append(v.Shots, recordItem{
				Text: fmt.Sprintf(rt.Shot, i+1, sh.TakenBy, sh.TakenAt.UTC().Format("2006-01-02 15:04 UTC")),
				Link: fmt.Sprintf(rt.Download, i+1, byteSize(sh.Size)),
				Href: "/r/" + r.PathValue("token") + "/screenshots/" + sh.ID,
			})
		}
		recs, err := h.keptRecordings(r, s.ID)
		if err != nil {
			h.fail(w, r, d, "list a session's recordings", err)
			return
		}
		for i, rec := range recs {
			v.Recs = append(v.Recs, recordItem{
				Text: fmt.Sprintf(rt.Rec, i+1, rec.Duration.Round(time.Second), rec.AskedBy),
				Link: fmt.Sprintf(rt.RecDownload, i+1, byteSize(rec.Bytes)),
				Href: "/r/" + r.PathValue("token") + "/recordings/" + rec.ID,
			})
		}
	}
	d.Records = v
	h.render(w, r, http.StatusOK, d)
}

// fail answers a storage failure with the generic sentence.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, d pageData, step string, err error) {
	h.cfg.Logger.Error(step, "err", err)
	d.Problem, d.Records = catalog[chooseLang(r)].Failure, nil
	h.render(w, r, http.StatusInternalServerError, d)
}

// recordsScreenshot serves one screenshot of a public session through its
// records link, and audits the download.
func (h *Handler) recordsScreenshot(w http.ResponseWriter, r *http.Request) {
	rt := recordsCatalog[chooseLang(r)]
	s, err := h.recordsSession(r)
	if err != nil {
		http.Error(w, rt.Unknown, http.StatusNotFound)
		return
	}
	if vis, err := h.cfg.Store.SessionVisibility(r.Context(), s.ID); err != nil || vis != proto.VisibilityPublic {
		http.Error(w, rt.Internal, http.StatusForbidden)
		return
	}
	sh, err := h.cfg.Store.ScreenshotByID(r.Context(), r.PathValue("id"))
	if err != nil || sh.SessionID != s.ID || h.cfg.Screenshots == "" {
		http.Error(w, rt.Unknown, http.StatusNotFound)
		return
	}
	b, err := os.ReadFile(store.ScreenshotPath(h.cfg.Screenshots, s.ID, sh.ID))
	if err != nil {
		h.cfg.Logger.Error("read a screenshot", "screenshot", sh.ID, "err", err)
		http.Error(w, catalog[chooseLang(r)].Failure, http.StatusInternalServerError)
		return
	}
	src, _, _ := net.SplitHostPort(r.RemoteAddr)
	ev := &store.AuditEvent{At: h.cfg.Now(), Kind: "screenshot.downloaded", Actor: "end user", Source: src, SessionID: s.ID,
		Detail: map[string]string{"screenshot": sh.ID}}
	if err := h.cfg.Store.Audit(r.Context(), ev); err != nil {
		h.cfg.Logger.Error("audit event not stored", "kind", ev.Kind, "err", err)
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Disposition", `attachment; filename="screenshot-`+sh.ID+`.png"`)
	w.Write(b)
}

// keptRecordings lists session id's finished recordings whose files are
// still kept (none on a relay that keeps no recordings).
func (h *Handler) keptRecordings(r *http.Request, id string) ([]store.Recording, error) {
	if h.cfg.Recordings == "" {
		return nil, nil
	}
	all, err := h.cfg.Store.SessionRecordings(r.Context(), id)
	var kept []store.Recording
	for _, rec := range all {
		if !rec.Ended.IsZero() && rec.Deleted.IsZero() {
			kept = append(kept, rec)
		}
	}
	return kept, err
}

// recordsRecording serves one recording of a public session through its
// records link (with ranges, so that a browser can seek in it), and
// audits the download.
func (h *Handler) recordsRecording(w http.ResponseWriter, r *http.Request) {
	rt := recordsCatalog[chooseLang(r)]
	s, err := h.recordsSession(r)
	if err != nil {
		http.Error(w, rt.Unknown, http.StatusNotFound)
		return
	}
	if vis, err := h.cfg.Store.SessionVisibility(r.Context(), s.ID); err != nil || vis != proto.VisibilityPublic {
		http.Error(w, rt.Internal, http.StatusForbidden)
		return
	}
	recs, err := h.keptRecordings(r, s.ID)
	i := slices.IndexFunc(recs, func(rec store.Recording) bool { return rec.ID == r.PathValue("id") })
	if err != nil || i < 0 {
		http.Error(w, rt.Unknown, http.StatusNotFound)
		return
	}
	rec := recs[i]
	f, err := os.Open(filepath.Join(h.cfg.Recordings, rec.Path))
	if err != nil {
		h.cfg.Logger.Error("read a recording", "recording", rec.ID, "err", err)
		http.Error(w, catalog[chooseLang(r)].Failure, http.StatusInternalServerError)
		return
	}
	defer f.Close()
	if r.Header.Get("Range") == "" { // one event per download, not per range a player asks for
		src, _, _ := net.SplitHostPort(r.RemoteAddr)
		ev := &store.AuditEvent{At: h.cfg.Now(), Kind: "recording.downloaded", Actor: "end user", Source: src, SessionID: s.ID,
			Detail: map[string]string{"recording": rec.ID}}
		if err := h.cfg.Store.Audit(r.Context(), ev); err != nil {
			h.cfg.Logger.Error("audit event not stored", "kind", ev.Kind, "err", err)
		}
	}
	w.Header().Set("Content-Type", "video/webm")
	w.Header().Set("Content-Disposition", `attachment; filename="recording-`+rec.ID+`.webm"`)
	http.ServeContent(w, r, "", rec.Ended, f)
}

// day is a date as the records page shows it.
func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// byteSize is n bytes for a person: "812 KB", "1.4 MB".
func byteSize(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%d KB", (n+500)/1000)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}
