package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"

	"github.com/danielgtaylor/huma/v2"
)

// recordingRoutes serves session recordings (WebM) to who may see their
// session.
func (h *handler) recordingRoutes() {
	register(h, opts{id: "get-recording", method: http.MethodGet, path: "/recordings/{id}", tag: "sessions",
		summary: "A session recording as WebM (VP8), for who may see its session", errs: []int{http.StatusNotFound},
		responses: map[string]*huma.Response{"200": {Description: "The recording.", Content: map[string]*huma.MediaType{"video/webm": {}}}}},
		func(ctx context.Context, in *struct {
			ID string `path:"id" maxLength:"64"`
		}) (*huma.StreamResponse, error) {
			r, path, err := h.q.RecordingFile(ctx, from(ctx).tech(), in.ID)
			if err != nil {
				return nil, h.fail("read the recording", err)
			}
			f, err := os.Open(path)
			if err != nil {
				return nil, h.fail("read the recording", fmt.Errorf("open %s: %w", path, err))
			}
			return &huma.StreamResponse{Body: func(hc huma.Context) {
				defer f.Close()
				hc.SetHeader("Content-Type", "video/webm")
				if fi, err := f.Stat(); err == nil {
					hc.SetHeader("Content-Length", strconv.FormatInt(fi.Size(), 10))
				}
				hc.SetHeader("Content-Disposition", `attachment; filename="recording-`+r.ID+`.webm"`)
				if _, err := io.Copy(hc.BodyWriter(), f); err != nil {
					h.log.Warn("api: send a recording", "recording", r.ID, "err", err)
				}
			}}, nil
		})
}
