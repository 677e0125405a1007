package api

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/limit"
	"github.com/relaydesk/relaydesk/relay/store"
)

// The OpenAPI document stays true: every operation it lists is served
// (an admin's request is neither 404 nor 405), every route registered on
// the router is in it, and huma's own list of operations is the same.
func TestOpenAPIDocumentMatchesTheRoutes(t *testing.T) {
	f := newFixture(t, limit.Rate{N: -1})
	admin := f.apiToken(store.RoleAdmin)
	s := store.Session{ID: "s1", Kind: proto.KindLink, Status: proto.StatusClosed, OwnerID: f.users["tina"].ID,
		ChannelID: f.mac.ID, CreatedAt: time.Now(), EndedAt: time.Now()}
	if err := f.st.CreateSession(f.ctx, &s, store.StatusEvent{SessionID: "s1", At: s.CreatedAt, Status: s.Status, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	// A screenshot s1 of session s1, for GET /screenshots/{id}.
	if err := f.st.AddScreenshot(f.ctx, &store.Screenshot{ID: "s1", SessionID: "s1", TakenBy: "tina", TakenAt: time.Now(), Width: 1, Height: 1}); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(store.ScreenshotPath(f.h.cfg.Screenshots, "s1", "s1"), testPNG(t, 1, 1)); err != nil {
		t.Fatal(err)
	}
	// A recording of s1 with the same ID, so that GET /recordings/{id} finds one.
	webm := filepath.Join(t.TempDir(), "s1.webm")
	os.WriteFile(webm, []byte("webm"), 0o600)
	if err := f.st.CreateRecording(f.ctx, &store.Recording{ID: "s1", SessionID: "s1", Started: s.CreatedAt, Ended: s.EndedAt, Path: webm, AskedBy: "tina"}); err != nil {
		t.Fatal(err)
	}
	doc := f.document()
	var documented []string
	for _, op := range doc {
		documented = append(documented, op.Method+" "+op.Path)
		if op.ID == "" {
			t.Errorf("%s %s has no operationId", op.Method, op.Path)
		}
		if op.Path == "/api/v1/openapi.json" {
			if len(op.Security) != 0 {
				t.Errorf("the document itself needs a token")
			}
			continue
		}
		if len(op.Security) == 0 {
			t.Errorf("%s %s needs no token", op.Method, op.Path)
		}
		if _, ok := op.Responses["401"]; !ok {
			t.Errorf("%s %s documents no 401", op.Method, op.Path)
		}
	}

	// Every documented operation is served. Deletes go last: they remove
	// what the others read.
	slices.SortStableFunc(doc, func(a, b operation) int {
		return boolInt(a.Method == http.MethodDelete) - boolInt(b.Method == http.MethodDelete)
	})
	params := strings.NewReplacer("{name}", url.PathEscape("Mac support"), "{id}", "s1")
	for _, op := range doc {
		path := params.Replace(op.Path)
		switch {
		case strings.HasPrefix(op.Path, "/api/v1/groups/"):
			path = "/api/v1/groups/mac"
		case strings.HasPrefix(op.Path, "/api/v1/technicians/"):
			path = strings.Replace(op.Path, "{name}", "tina", 1) // and what follows the name
		}
		var body any
		if op.Method == http.MethodPost || op.Method == http.MethodPatch {
			body = map[string]any{}
		}
		r := f.do(op.Method, path, admin, body)
		if r.status == http.StatusNotFound || r.status == http.StatusMethodNotAllowed {
			t.Errorf("%s %s (documented as %s): %d %s", op.Method, path, op.Path, r.status, r.body)
		}
	}

	// Every route on the router is documented, and huma's list is the document.
	routes := f.h.mux.Routes()
	slices.Sort(routes)
	slices.Sort(documented)
	if !slices.Equal(routes, documented) {
		t.Errorf("routes on the router:\n%s\ndocumented:\n%s", strings.Join(routes, "\n"), strings.Join(documented, "\n"))
	}
	var humaOps []string
	for path, item := range f.h.api.OpenAPI().Paths {
		for method, op := range map[string]*huma.Operation{"GET": item.Get, "POST": item.Post, "PATCH": item.Patch, "PUT": item.Put, "DELETE": item.Delete, "HEAD": item.Head, "OPTIONS": item.Options} {
			if op != nil {
				humaOps = append(humaOps, method+" "+path)
			}
		}
	}
	slices.Sort(humaOps)
	if !slices.Equal(humaOps, documented) {
		t.Errorf("huma's operations:\n%s\ndocumented:\n%s", strings.Join(humaOps, "\n"), strings.Join(documented, "\n"))
	}
	if len(documented) < 19 {
		t.Errorf("only %d operations documented", len(documented))
	}

	// What no operation serves is a JSON 404, and a known path with
	// another method a JSON 405 that says which methods it answers.
	r := f.do(http.MethodGet, "/api/v1/nothing", admin, nil)
	if r.status != http.StatusNotFound || !strings.Contains(r.sentence(t), "openapi.json") {
		t.Errorf("unknown path: %d %s", r.status, r.body)
	}
	r = f.do(http.MethodPut, "/api/v1/channels", admin, nil)
	if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "GET, POST" || r.sentence(t) == "" {
		t.Errorf("wrong method: %d %v %s", r.status, r.header, r.body)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
