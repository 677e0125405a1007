package ui

import (
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// After the end the window shows the link to the session's screenshots
// with a sentence that says whether they are internal; a link that is not
// HTTPS is not shown.
func TestRecordsLinkShownAfterTheEnd(t *testing.T) {
	w, _ := newTestWindow(t)
	if !w.records.box.Hidden {
		t.Fatal("records shown before the end")
	}
	w.Joined(proto.Peer{ID: 7, Name: "Tina"})
	w.Ended(proto.SessionEnded{By: "Tina"})
	w.RecordsLink(proto.RecordsLink{URL: "javascript:alert(1)"})
	if !w.records.box.Hidden {
		t.Fatal("a link that is not HTTPS is shown")
	}
	w.RecordsLink(proto.RecordsLink{URL: "https://relay.example.com:4433/r/abc"})
	if w.records.box.Hidden || w.records.link.URL == nil || w.records.link.URL.String() != "https://relay.example.com:4433/r/abc" ||
		w.records.link.Text != "https://relay.example.com:4433/r/abc" || !strings.Contains(w.records.text.Text, "open in your browser") {
		t.Fatalf("shown %v: %q %v", !w.records.box.Hidden, w.records.text.Text, w.records.link.URL)
	}
	w.RecordsLink(proto.RecordsLink{URL: "https://relay.example.com:4433/r/abc", Internal: true})
	if !strings.Contains(w.records.text.Text, "internal") {
		t.Fatalf("internal: %q", w.records.text.Text)
	}
}
