package api

import (
	"net/http"
	"testing"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/limit"
)

// A channel's manager sets its file limit; a technician reads it but may
// not change it; 0 goes back to the default; every change is audited.
func TestChannelFileLimit(t *testing.T) {
	f := newFixture(t, limit.Rate{N: -1})
	carla, tina := f.signIn("carla"), f.signIn("tina")
	var got FileLimit
	r := f.do(http.MethodGet, "/api/v1/channels/mac%20support/file-limit", tina, nil)
	r.decode(t, &got)
	if r.status != http.StatusOK || got != (FileLimit{Bytes: proto.DefaultFileLimit, Default: true}) {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r := f.do(http.MethodPut, "/api/v1/channels/Mac%20support/file-limit", tina, map[string]any{"bytes": 10}); r.status != http.StatusForbidden {
		t.Fatalf("a technician set it: %d %s", r.status, r.body)
	}
	r = f.do(http.MethodPut, "/api/v1/channels/Mac%20support/file-limit", carla, map[string]any{"bytes": 500_000_000})
	r.decode(t, &got)
	if r.status != http.StatusOK || got != (FileLimit{Bytes: 500_000_000}) {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if n, _ := f.st.ChannelFileLimit(f.ctx, f.mac.ID); n != 500_000_000 {
		t.Fatalf("stored %d", n)
	}
	if r := f.do(http.MethodPut, "/api/v1/channels/Mac%20support/file-limit", carla, map[string]any{"bytes": -1}); r.status != http.StatusUnprocessableEntity && r.status != http.StatusBadRequest {
		t.Fatalf("a negative limit: %d %s", r.status, r.body)
	}
	r = f.do(http.MethodPut, "/api/v1/channels/Mac%20support/file-limit", carla, map[string]any{"bytes": 0})
	r.decode(t, &got)
	if !got.Default {
		t.Fatalf("%s", r.body)
	}
	if r := f.do(http.MethodGet, "/api/v1/channels/nope/file-limit", tina, nil); r.status != http.StatusNotFound {
		t.Fatalf("unknown channel: %d", r.status)
	}
	if evs := f.audits("api.channel.updated"); len(evs) != 2 || evs[0].Detail["file_limit"] != "500000000" {
		t.Fatalf("audit: %+v", evs)
	}
}
