package terminal

import (
	"github.com/relaydesk/relaydesk/agent/session"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// RecordsLink shows the link to the session's records page, at the
// rating step.
func (t *Terminal) RecordsLink(l proto.RecordsLink) {
	t.Say("%s %s", session.RecordsSentence(l), l.URL)
}
