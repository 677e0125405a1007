package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"

	"github.com/danielgtaylor/huma/v2"

	"github.com/relaydesk/relaydesk/pkg/adminapi"
	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/store"
)

type channelRecordingOutput struct{ Body adminapi.ChannelRecording }

// recordingRoutes serves session recordings (WebM) to who may see their
// session, and a channel's recording policy: read by any technician, set
// by who may manage the channel (audited like `relay channel record`).
func (h *handler) recordingRoutes() {
	register(h, opts{id: "get-channel-recording", method: http.MethodGet, path: "/channels/{name}/recording", tag: "channels",
		summary: "A channel's recording policy and retention", errs: []int{http.StatusNotFound}},
		func(ctx context.Context, in *channelName) (*channelRecordingOutput, error) {
			ch, err := h.channel(in.Name)
			if err != nil {
				return nil, err
			}
			rs, err := h.st.ChannelRecording(ctx, ch.ID)
			if err != nil {
				return nil, h.fail("read the channel's recording policy", err)
			}
			return &channelRecordingOutput{Body: adminapi.ChannelRecording{Policy: string(rs.Policy), KeepDays: rs.KeepDays}}, nil
		})
	register(h, opts{id: "set-channel-recording", method: http.MethodPut, path: "/channels/{name}/recording", tag: "channels",
		summary: "Set a channel's recording policy and retention (its managers: their own channels)", perm: proto.PermManageChannel,
		errs: []int{http.StatusBadRequest, http.StatusNotFound}},
		func(ctx context.Context, in *struct {
			Name string `path:"name" doc:"The channel's name (case does not matter)."`
			Body adminapi.ChannelRecording
		}) (*channelRecordingOutput, error) {
			c := from(ctx)
			ch, err := h.managedChannel(ctx, c, in.Name)
			if err != nil {
				return nil, err
			}
			rs := store.RecordSettings{Policy: proto.RecordPolicy(in.Body.Policy), KeepDays: in.Body.KeepDays}
			if !rs.Policy.Valid() || rs.KeepDays < 0 || rs.KeepDays > adminapi.MaxKeepDays {
				return nil, bad("A recording policy is off, allowed or required, and recordings are kept 0 (until deleted by hand) to %d days.", adminapi.MaxKeepDays)
			}
			old, err := h.st.ChannelRecording(ctx, ch.ID)
			if err != nil {
				return nil, h.fail("read the channel's recording policy", err)
			}
			if old != rs {
				if err := h.st.SetChannelRecording(ctx, ch.ID, rs); err != nil {
					return nil, h.fail("set the channel's recording policy", err)
				}
				h.audit(ctx, c, "api.channel.recording", map[string]string{"channel": ch.Name, "policy": string(rs.Policy),
					"keep_days": fmt.Sprint(rs.KeepDays), "was": fmt.Sprintf("%s, %d days", old.Policy, old.KeepDays)})
			}
			return &channelRecordingOutput{Body: in.Body}, nil
		})
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
