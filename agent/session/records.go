package session

import (
	"context"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// RecordsLink asks the relay, after the session ended, for the link to
// the session's records page (its screenshots), which the end user may
// open in a browser; like Rate it connects once more and proves with the
// session's resume key that this app ran the session.
func (a *Agent) RecordsLink(ctx context.Context) (proto.RecordsLink, error) {
	var link proto.RecordsLink
	err := a.callAfter(ctx, func(id, key string) (proto.Type, any) {
		return proto.TypeRecordsLinkRequest, &proto.RecordsLinkRequest{SessionID: id, ResumeKey: key}
	}, proto.TypeRecordsLink, &link)
	return link, err
}

// RecordsSentence is how the app tells the end user where the session's
// screenshots are, in the terminal and in the window.
func RecordsSentence(l proto.RecordsLink) string {
	if l.Internal {
		return "The support team keeps this session's screenshots and recordings internal; this page says whether that changes:"
	}
	return "The screenshots and recordings of this session, to open in your browser:"
}
