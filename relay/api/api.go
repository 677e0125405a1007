// Package api is the relay's HTTPS admin API: JSON under /api/v1 for
// scripts and dashboards, on the relay's own TCP port beside the pages of
// relay/web. It configures the service desk (channels, groups,
// technicians, organisation settings), lists live sessions and searches
// the history, and reads the audit trail.
//
// A caller presents `Authorization: Bearer <token>`: an API token
// (created with `relay apitoken create`, stored as its sha256; it acts as
// a user named "api:NAME" with the token's role and no user ID, so it
// owns, serves and manages no channel) or a technician's sign-in token
// (the console's; it acts as that technician). Every handler asks
// relay/desk, the same policy the control protocol asks: a refusal is
// 403 with the desk's sentence and an audit event api.refused, and every
// change is audited (api.channel.created and so on) and applied to the
// running relay at once (Desk.Reload).
//
// The OpenAPI 3.1 document is served at /api/v1/openapi.json; each
// operation that needs a permission names it as x-permission, and the
// handler enforces exactly that one (see authorize).
//
// Routing, request validation and the document come from huma
// (github.com/danielgtaylor/huma/v2) on its humago adapter over a plain
// *http.ServeMux. The choice over the chi adapter: Go's ServeMux already
// matches methods and path wildcards ("GET /api/v1/channels/{name}"),
// relay/web uses it, and the relay needs none of chi's middleware, so a
// second router would only add a dependency and a second set of routing
// rules. The mux is wrapped to record every pattern registered on it, so
// a test compares the routes served with the document both ways.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/desk"
	"github.com/relaydesk/relaydesk/relay/limit"
	"github.com/relaydesk/relaydesk/relay/queue"
	"github.com/relaydesk/relaydesk/relay/store"
)

// Prefix is where the API lives on the relay's HTTPS port.
const Prefix = "/api/v1"

// Version is the API's version in its OpenAPI document.
const Version = "1.0.0"

// DefaultBadTokens limits failed token attempts per source (an IPv4
// address or IPv6 /64): the relay/server's limit for sign-in tokens.
var DefaultBadTokens = limit.Rate{N: 10, Per: 10 * time.Minute}

// Config is what the API needs. Store, Desk and Queue are required.
type Config struct {
	Store store.Store
	Desk  *desk.Desk
	Queue *queue.Manager
	// Organisation is what GET /settings shows while the organisation
	// setting is unset (the relay's --organisation).
	Organisation string
	// BadTokens limits failed token attempts per source; zero takes
	// DefaultBadTokens, a negative N no limit.
	BadTokens limit.Rate
	// Screenshots is the directory that keeps the screenshots' PNGs
	// (<data>/screenshots); "": the relay keeps none and refuses uploads.
	Screenshots string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives operational logs; nil means slog.Default().
	Logger *slog.Logger
}

// handler is the API: a recording mux with huma's operations on it.
type handler struct {
	cfg       Config
	st        store.Store
	desk      *desk.Desk
	q         *queue.Manager
	log       *slog.Logger
	mux       *recordingMux
	api       huma.API
	badTokens *limit.PerSource
	logs      *limit.Logs

	specOnce sync.Once
	spec     []byte
}

// New returns the API's handler; mount it at /api/ (it serves only paths
// under Prefix and answers others with a JSON 404).
func New(cfg Config) http.Handler {
	if cfg.Store == nil || cfg.Desk == nil || cfg.Queue == nil {
		panic("api: Config needs Store, Desk and Queue")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.BadTokens == (limit.Rate{}) {
		cfg.BadTokens = DefaultBadTokens
	}
	h := &handler{
		cfg: cfg, st: cfg.Store, desk: cfg.Desk, q: cfg.Queue, log: cfg.Logger,
		mux:       &recordingMux{ServeMux: http.NewServeMux()},
		badTokens: limit.NewPerSource(cfg.BadTokens, cfg.Now),
		logs:      limit.NewLogs(cfg.Logger, time.Minute, cfg.Now),
	}
	h.api = humago.New(h.mux, hconfig())
	h.api.UseMiddleware(h.authenticate, h.authorize)
	h.routes()
	// Anything else under /api/: JSON, not the mux's plain text.
	h.mux.ServeMux.HandleFunc("/api/", h.notFound)
	return h
}

// hconfig is huma's configuration: the JSON format, the bearer scheme,
// and none of the default extras (the docs page loads scripts from a
// CDN, and the $schema links point to routes this API does not serve);
// the document is served by an operation of its own (openapi).
func hconfig() huma.Config {
	c := huma.DefaultConfig("RelayDesk admin API", Version)
	c.OpenAPIPath, c.DocsPath, c.SchemasPath = "", "", ""
	c.CreateHooks = nil
	c.Info.Description = "Configure the RelayDesk service desk (channels, groups, technicians, settings), " +
		"list live sessions, search the history and read the audit trail. " +
		"Every operation but this document needs `Authorization: Bearer <token>`: an API token or a technician's sign-in token. " +
		"Operations that need a permission name it as `x-permission`; the permission table is GET /api/v1/permissions."
	c.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "An API token (`relay apitoken create`) or a technician's sign-in token."},
	}
	return c
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	h.mux.ServeHTTP(w, r)
}

// recordingMux is a ServeMux that remembers the patterns huma registers.
type recordingMux struct {
	*http.ServeMux
	mu       sync.Mutex
	patterns []string
}

func (m *recordingMux) HandleFunc(pattern string, fn func(http.ResponseWriter, *http.Request)) {
	m.mu.Lock()
	m.patterns = append(m.patterns, pattern)
	m.mu.Unlock()
	m.ServeMux.HandleFunc(pattern, fn)
}

// Routes lists the "METHOD /path" patterns registered through huma.
func (m *recordingMux) Routes() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.patterns)
}

// notFound answers paths under /api/ that no operation serves: 405 with
// Allow when another method serves the path, else 404.
func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := h.mux.ServeMux.Handler(probe); pattern != "/api/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	status, msg := http.StatusNotFound, fmt.Sprintf("There is no API endpoint %s; the endpoints are listed in %s/openapi.json.", r.URL.Path, Prefix)
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		status, msg = http.StatusMethodNotAllowed, fmt.Sprintf("%s does not answer %s; it answers %s.", r.URL.Path, r.Method, strings.Join(allow, ", "))
	}
	writeJSON(w, status, newError(status, msg))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// ---- errors ----

// Error is the body of every error answer: huma's problem details (RFC
// 9457) whose detail is a sentence for a person, and the same sentence
// as error, so that a script can print body.error.
type Error struct {
	huma.ErrorModel
	Sentence string `json:"error" doc:"What went wrong, as a sentence for a person." example:"You may not manage technicians or groups."`
}

func init() {
	// huma builds every error (its own validation failures too) with
	// NewError; the relay has no other huma API, so replacing it here
	// makes every answer of this one carry the sentence.
	huma.NewError = newError
}

// newError makes an Error; msg is a sentence, or one of huma's phrases
// ("validation failed"), which errs then explain.
func newError(status int, msg string, errs ...error) huma.StatusError {
	e := &Error{ErrorModel: huma.ErrorModel{Status: status, Title: http.StatusText(status)}}
	var parts []string
	for _, err := range errs {
		if err == nil {
			continue
		}
		var d huma.ErrorDetailer
		if errors.As(err, &d) {
			det := d.ErrorDetail()
			e.Errors = append(e.Errors, det)
			if det.Location != "" {
				parts = append(parts, det.Location+": "+det.Message)
				continue
			}
			parts = append(parts, det.Message)
			continue
		}
		e.Errors = append(e.Errors, &huma.ErrorDetail{Message: err.Error()})
		parts = append(parts, err.Error())
	}
	s := strings.TrimSpace(msg)
	switch {
	case s == "validation failed" || s == "request body is required":
		s = "The request is not valid"
		if msg == "request body is required" {
			s = "The request needs a body: JSON, or the PNG of a screenshot upload"
		}
	case strings.HasPrefix(s, "request body is too large"):
		s = "The request is too large"
		if _, limit, ok := strings.Cut(msg, "limit="); ok {
			s += " (at most " + strings.TrimSpace(limit) + ")"
		}
	case s == "":
		s = http.StatusText(status)
	}
	if len(parts) > 0 {
		s = strings.TrimSuffix(s, ".") + ": " + strings.Join(parts, "; ")
	}
	if s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
		if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "?") {
			s += "."
		}
	}
	e.Detail, e.Sentence = s, s
	return e
}

// statusOf maps a protocol failure's code to an HTTP status.
func statusOf(err error) int {
	switch proto.CodeOf(err) {
	case proto.ErrBadRequest:
		return http.StatusBadRequest
	case proto.ErrForbidden:
		return http.StatusForbidden
	case proto.ErrSessionUnknown:
		return http.StatusNotFound
	case proto.ErrThrottled:
		return http.StatusTooManyRequests
	case proto.ErrUnauthenticated:
		return http.StatusUnauthorized
	case proto.ErrTaken, proto.ErrSessionState:
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

// sentence is what a person reads of err: a Failure's message.
func sentence(err error) string {
	var f *proto.Failure
	if errors.As(err, &f) {
		return f.Message
	}
	return err.Error()
}

// fail turns a protocol failure into an answer; storage and other
// unexpected errors become a 500 whose sentence hides them.
func (h *handler) fail(step string, err error) error {
	var f *proto.Failure
	if errors.As(err, &f) && f.Code != proto.ErrInternal {
		return newError(statusOf(err), f.Message)
	}
	h.log.Error("api: "+step, "err", err)
	return newError(http.StatusInternalServerError, fmt.Sprintf("The relay could not %s; please try again.", step))
}

// bad is a 400 with a sentence.
func bad(format string, args ...any) error {
	return newError(http.StatusBadRequest, fmt.Sprintf(format, args...))
}

// ---- operations ----

// opts describes one operation for register.
type opts struct {
	id, method, path, summary, tag string
	// perm is the permission the operation needs before its handler runs
	// ("": any authenticated caller); it is documented as x-permission.
	perm proto.Permission
	// public operations need no token.
	public bool
	status int
	errs   []int
	// responses, when set, documents the answers instead of the output type.
	responses map[string]*huma.Response
	// maxBody is the largest request body in bytes (0: 64 KiB).
	maxBody int64
}

// register adds an operation to the API.
func register[I, O any](h *handler, o opts, fn func(context.Context, *I) (*O, error)) {
	op := huma.Operation{
		OperationID: o.id, Method: o.method, Path: Prefix + o.path, Summary: o.summary, Tags: []string{o.tag},
		DefaultStatus: o.status, MaxBodyBytes: 64 << 10, Metadata: map[string]any{}, Responses: o.responses,
	}
	if o.maxBody > 0 {
		op.MaxBodyBytes = o.maxBody
	}
	if !o.public {
		op.Security = []map[string][]string{{"bearer": {}}}
		op.Errors = append([]int{http.StatusUnauthorized, http.StatusTooManyRequests}, o.errs...)
	}
	if o.perm != "" {
		op.Metadata[metaPermission] = o.perm
		op.Extensions = map[string]any{"x-permission": string(o.perm)}
		if !slices.Contains(op.Errors, http.StatusForbidden) {
			op.Errors = append(op.Errors, http.StatusForbidden)
		}
		op.Description = fmt.Sprintf("Needs the permission `%s`.", o.perm)
	}
	huma.Register(h.api, op, fn)
}

// routes registers every operation.
func (h *handler) routes() {
	h.openapiRoute()
	h.permissionRoutes()
	h.channelRoutes()
	h.fileRoutes()
	h.groupRoutes()
	h.technicianRoutes()
	h.sessionRoutes()
	h.recordingRoutes() // recordings.go
	h.settingsRoutes()
	h.auditRoutes()
	h.recordRoutes()
}

// openapiOutput is the document, as raw JSON.
type openapiOutput struct {
	ContentType string `header:"Content-Type"`
	Body        []byte
}

// openapiRoute serves the OpenAPI document, which lists itself too. It is
// marshalled once, on the first request, when every operation is in it.
func (h *handler) openapiRoute() {
	register(h, opts{id: "get-openapi", method: http.MethodGet, path: "/openapi.json", tag: "meta", public: true,
		summary: "This API's OpenAPI 3.1 document",
		responses: map[string]*huma.Response{"200": {Description: "The document.", Content: map[string]*huma.MediaType{
			"application/openapi+json": {Schema: &huma.Schema{Type: huma.TypeObject}}}}}},
		func(ctx context.Context, _ *struct{}) (*openapiOutput, error) {
			h.specOnce.Do(func() {
				var err error
				if h.spec, err = json.Marshal(h.api.OpenAPI()); err != nil {
					h.log.Error("api: marshal the OpenAPI document", "err", err)
				}
			})
			if h.spec == nil {
				return nil, newError(http.StatusInternalServerError, "The relay could not write the API's description.")
			}
			return &openapiOutput{ContentType: "application/openapi+json", Body: h.spec}, nil
		})
}
