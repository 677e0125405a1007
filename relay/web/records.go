package web

import (
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/store"
	"github.com/relaydesk/relaydesk/relay/token"
)

// The records page (/r/<token>): the end user opens it through the link
// the SOS app showed at the end of a session (proto.RecordsLink). While the
// session is public it lists the session's screenshots with download links
// (/r/<token>/screenshots/<id>); once a technician made it internal it
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
	Nothing  string
	Internal string
	Unknown  string
}

var recordsCatalog = map[string]recordsTexts{
	"en": {
		Title: "Records of your support session", Intro: "Your session with %s on %s.", IntroNoTech: "Your support session on %s.",
		Screenshots: "Screenshots", Shot: "Screenshot %d, taken by %s at %s.", Download: "Download screenshot %d (PNG, %s)",
		Nothing:  "There are no screenshots or recordings of this session.",
		Internal: "The records of this session are internal: only the support team can open them. Please ask them if you need one.",
		Unknown:  "This link is not valid. Please check the address.",
	},
	"de": {
		Title: "Unterlagen Ihrer Support-Sitzung", Intro: "Ihre Sitzung mit %s am %s.", IntroNoTech: "Ihre Support-Sitzung am %s.",
		Screenshots: "Bildschirmfotos", Shot: "Bildschirmfoto %d, aufgenommen von %s um %s.", Download: "Bildschirmfoto %d herunterladen (PNG, %s)",
		Nothing:  "Zu dieser Sitzung gibt es keine Bildschirmfotos oder Aufzeichnungen.",
		Internal: "Die Unterlagen dieser Sitzung sind intern: Nur das Support-Team kann sie öffnen. Fragen Sie dort, wenn Sie eine brauchen.",
		Unknown:  "Dieser Link ist ungültig. Bitte prüfen Sie die Adresse.",
	},
	"nl": {
		Title: "Vastleggingen van uw supportsessie", Intro: "Uw sessie met %s op %s.", IntroNoTech: "Uw supportsessie op %s.",
		Screenshots: "Schermafbeeldingen", Shot: "Schermafbeelding %d, gemaakt door %s om %s.", Download: "Schermafbeelding %d downloaden (PNG, %s)",
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
	// Recordings joins here: the recording slice lists a session's
	// recordings as recordItems of their own (a heading and links to
	// /r/<token>/recordings/<id>), from its recordings table.
}

// recordItem is one record the page offers for download.
type recordItem struct {
	Text, Link, Href string
}

var _ = template.Must(pageTmpl.New("records").Parse(`{{with .Records}}<p>{{.Intro}}</p>
{{if .Internal}}<p id="internal">{{.R.Internal}}</p>
{{else if .Shots}}<h2>{{.R.Screenshots}}</h2>
<ul id="screenshots">{{range .Shots}}<li>{{.Text}} <a href="{{.Href}}" download>{{.Link}}</a></li>{{end}}</ul>
{{else}}<p id="nothing">{{.R.Nothing}}</p>{{end}}{{end}}`))

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
