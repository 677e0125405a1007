package client

import (
	"bytes"
	"context"
	"net/http"

	"github.com/relaydesk/relaydesk/pkg/adminapi"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// UploadScreenshot keeps a PNG with session id on the relay, with the
// technician as who took it; marked says it was marked up.
func (a *Admin) UploadScreenshot(ctx context.Context, id string, png []byte, marked bool) (adminapi.Screenshot, error) {
	path := "/sessions/" + pathName(id) + "/screenshots"
	if marked {
		path += "?marked=true"
	}
	var sh adminapi.Screenshot
	b, _, err := a.exchange(ctx, http.MethodPost, path, "image/png", bytes.NewReader(png))
	if err == nil {
		err = decodeAnswer(b, &sh, "the screenshot upload")
	}
	return sh, err
}

// SessionRecords lists a session's screenshots with its visibility.
func (a *Admin) SessionRecords(ctx context.Context, id string) (adminapi.Records, error) {
	return send[adminapi.Records](ctx, a, http.MethodGet, "/sessions/"+pathName(id)+"/screenshots", nil)
}

// Screenshot downloads a screenshot's PNG.
func (a *Admin) Screenshot(ctx context.Context, id string) ([]byte, error) {
	b, _, err := a.exchange(ctx, http.MethodGet, "/screenshots/"+pathName(id), "", nil)
	return b, err
}

// SetVisibility makes a session's records public or internal.
func (a *Admin) SetVisibility(ctx context.Context, id string, v proto.Visibility) (adminapi.Records, error) {
	return send[adminapi.Records](ctx, a, http.MethodPut, "/sessions/"+pathName(id)+"/visibility", adminapi.VisibilityChange{Visibility: string(v)})
}
