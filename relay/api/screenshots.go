package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"

	"github.com/danielgtaylor/huma/v2"

	"github.com/relaydesk/relaydesk/pkg/adminapi"
	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/store"
)

// Screenshots and the visibility of a session's records. A screenshot is
// a PNG the console took of a session's screen (perhaps marked up); the
// relay checks that it is one, keeps it under Config.Screenshots as
// <session>/<id>.png and records who took it and when. Who may read them:
// technicians who may see the session (relay/desk's Sees), and while the
// session is public the end user through the records page (relay/web).

// errNoScreenshots answers on a relay without a data directory.
var errNoScreenshots = newError(http.StatusServiceUnavailable, "This relay keeps no screenshots: it runs without a data directory.")

// safeID matches the session and screenshot IDs the relay makes (hex,
// base32): nothing that could leave the directory.
var safeID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

type screenshotUpload struct {
	ID      string `path:"id" maxLength:"64"`
	Marked  bool   `query:"marked" doc:"The technician marked the screenshot up before saving."`
	RawBody []byte `contentType:"image/png"`
}

type screenshotOutput struct{ Body adminapi.Screenshot }

type recordsOutput struct{ Body adminapi.Records }

type pngOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               []byte
}

type visibilityInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body adminapi.VisibilityChange
}

func (h *handler) recordRoutes() {
	register(h, opts{id: "upload-screenshot", method: http.MethodPost, path: "/sessions/{id}/screenshots", tag: "records",
		summary: "Keep a screenshot (a PNG body) with a session the caller takes part in or may see",
		perm:    proto.PermScreenshot, status: http.StatusCreated, maxBody: adminapi.MaxScreenshot,
		errs: []int{http.StatusBadRequest, http.StatusNotFound, http.StatusConflict, http.StatusRequestEntityTooLarge, http.StatusServiceUnavailable}},
		h.uploadScreenshot)
	register(h, opts{id: "list-records", method: http.MethodGet, path: "/sessions/{id}/screenshots", tag: "records",
		summary: "A session's screenshots and its visibility", errs: []int{http.StatusNotFound}},
		func(ctx context.Context, in *struct {
			ID string `path:"id" maxLength:"64"`
		}) (*recordsOutput, error) {
			s, err := h.visibleSession(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			return h.records(ctx, &s)
		})
	register(h, opts{id: "get-screenshot", method: http.MethodGet, path: "/screenshots/{id}", tag: "records",
		summary: "A screenshot's PNG", errs: []int{http.StatusNotFound, http.StatusServiceUnavailable},
		responses: map[string]*huma.Response{"200": {Description: "The PNG.", Content: map[string]*huma.MediaType{
			"image/png": {Schema: &huma.Schema{Type: huma.TypeString, Format: "binary"}}}}}},
		h.getScreenshot)
	register(h, opts{id: "set-visibility", method: http.MethodPut, path: "/sessions/{id}/visibility", tag: "records",
		summary: "Make a session's records public (the end user may open them) or internal (only technicians who may see the session); its owner or a manager of its channel",
		errs:    []int{http.StatusNotFound}},
		func(ctx context.Context, in *visibilityInput) (*recordsOutput, error) {
			c := from(ctx)
			s, err := h.visibleSession(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			v := proto.Visibility(in.Body.Visibility)
			if err := h.desk.CanSetVisibility(c.User, &s); err != nil {
				return nil, h.refuse(ctx, c, err)
			}
			before, err := h.st.SessionVisibility(ctx, s.ID)
			if err != nil {
				return nil, h.fail("read the session's visibility", err)
			}
			if before != v {
				if err := h.st.SetSessionVisibility(ctx, s.ID, v); err != nil {
					return nil, h.fail("change the session's visibility", err)
				}
				h.auditSession(ctx, c, "session.visibility.changed", s.ID, map[string]string{"from": string(before), "to": string(v)})
			}
			return h.records(ctx, &s)
		})
}

// visibleSession loads session id if the caller may see it (relay/desk's
// Sees, with everyone who ever took part), else a 404 that does not tell
// an unknown session from one the caller may not see.
func (h *handler) visibleSession(ctx context.Context, id string) (store.Session, error) {
	s, tookPart, err := h.sessionOf(ctx, id)
	if err != nil {
		return s, err
	}
	if !h.desk.Sees(from(ctx).User, &s, tookPart) {
		return s, unknownSession(id)
	}
	return s, nil
}

func unknownSession(id string) error {
	return newError(http.StatusNotFound, fmt.Sprintf("There is no session %s that you may see.", id))
}

// sessionOf loads session id and reports whether the caller ever took part in it.
func (h *handler) sessionOf(ctx context.Context, id string) (store.Session, bool, error) {
	s, err := h.st.Session(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !safeID.MatchString(s.ID)) {
		return s, false, unknownSession(id)
	} else if err != nil {
		return s, false, h.fail("look up the session", err)
	}
	ids, err := h.st.Participants(ctx, id)
	if err != nil {
		return s, false, h.fail("look up the session", err)
	}
	return s, slices.Contains(ids, from(ctx).User.ID), nil
}

// records answers a session's screenshots with its visibility.
func (h *handler) records(ctx context.Context, s *store.Session) (*recordsOutput, error) {
	v, err := h.st.SessionVisibility(ctx, s.ID)
	if err != nil {
		return nil, h.fail("read the session's visibility", err)
	}
	list, err := h.st.Screenshots(ctx, s.ID)
	if err != nil {
		return nil, h.fail("list the screenshots", err)
	}
	out := &recordsOutput{Body: adminapi.Records{SessionID: s.ID, Visibility: string(v), Screenshots: []adminapi.Screenshot{},
		MayChange: h.desk.CanSetVisibility(from(ctx).User, s) == nil}}
	for _, sh := range list {
		out.Body.Screenshots = append(out.Body.Screenshots, screenshotOf(sh))
	}
	return out, nil
}

func screenshotOf(sh store.Screenshot) adminapi.Screenshot {
	return adminapi.Screenshot{ID: sh.ID, SessionID: sh.SessionID, TakenBy: sh.TakenBy, TakenAt: sh.TakenAt,
		Width: sh.Width, Height: sh.Height, Size: sh.Size, Marked: sh.Marked}
}

// uploadScreenshot checks and keeps a screenshot: the caller needs the
// screenshot permission for this session (relay/desk's Can: they own it,
// are attached, may take it or manage its channel, and the channel does
// not narrow the permission away), and the body must be a whole PNG of a
// sane size. The file is written before the record, and removed again if
// the record fails, so a listed screenshot always has its PNG.
func (h *handler) uploadScreenshot(ctx context.Context, in *screenshotUpload) (*screenshotOutput, error) {
	c := from(ctx)
	s, tookPart, err := h.sessionOf(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	attached := false
	if tookPart {
		ids, err := h.st.Attached(ctx, s.ID)
		if err != nil {
			return nil, h.fail("look up the session", err)
		}
		attached = slices.Contains(ids, c.User.ID)
	}
	if err := h.desk.Can(c.User, proto.PermScreenshot, &s, attached); err != nil {
		if proto.CodeOf(err) == proto.ErrSessionUnknown {
			err = proto.Errorf(proto.ErrForbidden, "You may keep screenshots only of sessions you take part in, own or manage.")
		}
		return nil, h.refuse(ctx, c, err)
	}
	if s.StartedAt.IsZero() { // nobody saw its screen (and the relay's purge may delete such sessions)
		return nil, newError(http.StatusConflict, fmt.Sprintf("No technician has seen the screen of session %s yet, so it has no screenshots.", s.ID))
	}
	if h.cfg.Screenshots == "" {
		return nil, errNoScreenshots
	}
	w, ht, err := checkPNG(in.RawBody)
	if err != nil {
		h.auditSession(ctx, c, "screenshot.refused", s.ID, map[string]string{"reason": sentence(err)})
		return nil, bad("%s", sentence(err))
	}
	sh := store.Screenshot{ID: rand.Text(), SessionID: s.ID, UserID: c.User.ID, TakenBy: c.User.Name, TakenAt: h.cfg.Now(),
		Width: w, Height: ht, Size: int64(len(in.RawBody)), Marked: in.Marked}
	path := store.ScreenshotPath(h.cfg.Screenshots, s.ID, sh.ID)
	if err := writeFile(path, in.RawBody); err != nil {
		return nil, h.fail("keep the screenshot", err)
	}
	if err := h.st.AddScreenshot(ctx, &sh); err != nil {
		os.Remove(path)
		return nil, h.fail("record the screenshot", err)
	}
	h.auditSession(ctx, c, "screenshot.saved", s.ID, map[string]string{"screenshot": sh.ID, "size": fmt.Sprint(sh.Size),
		"width": fmt.Sprint(w), "height": fmt.Sprint(ht), "marked": fmt.Sprint(sh.Marked)})
	return &screenshotOutput{Body: screenshotOf(sh)}, nil
}

// checkPNG reports a PNG's size, or why data is not a whole PNG the relay keeps.
func checkPNG(data []byte) (w, h int, err error) {
	if len(data) == 0 {
		return 0, 0, proto.Errorf(proto.ErrBadRequest, "Send the screenshot as a PNG body (Content-Type: image/png).")
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return 0, 0, proto.Errorf(proto.ErrBadRequest, "The screenshot is not a PNG image.")
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width*cfg.Height > adminapi.MaxScreenshotPixels {
		return 0, 0, proto.Errorf(proto.ErrBadRequest, "The screenshot is %d×%d pixels; the relay keeps screenshots of at most %d pixels.",
			cfg.Width, cfg.Height, adminapi.MaxScreenshotPixels)
	}
	if _, err := png.Decode(bytes.NewReader(data)); err != nil {
		return 0, 0, proto.Errorf(proto.ErrBadRequest, "The screenshot is not a whole PNG image (%v).", err)
	}
	return cfg.Width, cfg.Height, nil
}

// writeFile writes data to path through a temporary file, so that a
// crash leaves no half screenshot behind.
func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create the screenshots folder: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".upload-*")
	if err != nil {
		return fmt.Errorf("write the screenshot: %w", err)
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write the screenshot: %w", err)
	}
	return nil
}

// getScreenshot serves a screenshot's PNG to a caller who may see its session.
func (h *handler) getScreenshot(ctx context.Context, in *struct {
	ID string `path:"id" maxLength:"64"`
}) (*pngOutput, error) {
	c := from(ctx)
	gone := newError(http.StatusNotFound, fmt.Sprintf("There is no screenshot %s that you may see.", in.ID))
	if !safeID.MatchString(in.ID) {
		return nil, gone
	}
	sh, err := h.st.ScreenshotByID(ctx, in.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, gone
	} else if err != nil {
		return nil, h.fail("look up the screenshot", err)
	}
	if _, err := h.visibleSession(ctx, sh.SessionID); err != nil {
		return nil, gone
	}
	if h.cfg.Screenshots == "" {
		return nil, errNoScreenshots
	}
	b, err := os.ReadFile(store.ScreenshotPath(h.cfg.Screenshots, sh.SessionID, sh.ID))
	if err != nil {
		return nil, h.fail("read the screenshot", fmt.Errorf("screenshot %s: %w", sh.ID, err))
	}
	h.auditSession(ctx, c, "screenshot.read", sh.SessionID, map[string]string{"screenshot": sh.ID})
	return &pngOutput{ContentType: "image/png", ContentDisposition: `attachment; filename="screenshot-` + sh.ID + `.png"`, Body: b}, nil
}
