package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// FileLimit is a channel's file size limit.
type FileLimit struct {
	Bytes   int64 `json:"bytes" doc:"The largest file its technicians may send or fetch, in bytes."`
	Default bool  `json:"default" doc:"The relay's default (2 GB), not set for the channel."`
}

type fileLimitOutput struct{ Body FileLimit }

func (h *handler) fileRoutes() {
	register(h, opts{id: "get-channel-file-limit", method: http.MethodGet, path: "/channels/{name}/file-limit", tag: "channels",
		summary: "Get a channel's file size limit", errs: []int{http.StatusNotFound}},
		func(ctx context.Context, in *channelName) (*fileLimitOutput, error) {
			ch, err := h.channel(in.Name)
			if err != nil {
				return nil, err
			}
			return h.fileLimit(ctx, ch.ID)
		})
	register(h, opts{id: "set-channel-file-limit", method: http.MethodPut, path: "/channels/{name}/file-limit", tag: "channels",
		summary: "Set a channel's file size limit (its managers: their own channels)", perm: proto.PermManageChannel,
		errs: []int{http.StatusBadRequest, http.StatusNotFound}},
		func(ctx context.Context, in *struct {
			Name string `path:"name" doc:"The channel's name (case does not matter)."`
			Body struct {
				Bytes int64 `json:"bytes" minimum:"0" maximum:"1125899906842624" doc:"The largest file in bytes; 0: the relay's default (2 GB)."`
			}
		}) (*fileLimitOutput, error) {
			c := from(ctx)
			ch, err := h.channel(in.Name)
			if err != nil {
				return nil, err
			}
			if err := h.desk.CanManageChannel(c.User, ch.ID); err != nil {
				return nil, h.refuse(ctx, c, err)
			}
			if err := h.st.SetChannelFileLimit(ctx, ch.ID, in.Body.Bytes); err != nil {
				return nil, h.fail("set the channel's file limit", err)
			}
			h.changed(ctx, c, "api.channel.updated", map[string]string{"channel": ch.Name, "changes": "file_limit", "file_limit": strconv.FormatInt(in.Body.Bytes, 10)})
			return h.fileLimit(ctx, ch.ID)
		})
}

func (h *handler) fileLimit(ctx context.Context, channelID int64) (*fileLimitOutput, error) {
	n, err := h.st.ChannelFileLimit(ctx, channelID)
	if err != nil {
		return nil, h.fail("read the channel's file limit", err)
	}
	if n == 0 {
		return &fileLimitOutput{Body: FileLimit{Bytes: proto.DefaultFileLimit, Default: true}}, nil
	}
	return &fileLimitOutput{Body: FileLimit{Bytes: n}}, nil
}
