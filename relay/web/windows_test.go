package web

import (
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// TestWindowsVisitorsSeeTheSmartScreenLine: every page that offers the app
// (support link, /sos, SOS Call) offers the .exe to a Windows visitor with
// the line on SmartScreen's warning, in the page's language; a Linux
// visitor gets neither.
func TestWindowsVisitorsSeeTheSmartScreenLine(t *testing.T) {
	f := newFixture(t)
	link := f.link(t, proto.StatusWaiting)
	call := f.channel("Service Desk", "")
	pages := map[string]string{
		"/s/" + link: "/download/sos-windows-amd64.exe?t=" + link,
		"/sos":       "/download/sos-windows-amd64.exe",
		"/c/" + call: "/c/" + call + "/download/sos-windows-amd64.exe",
	}
	words := map[string][]string{
		"en": {"More info", "Run anyway"},
		"de": {"Weitere Informationen", "Trotzdem ausführen"},
		"nl": {"Meer informatie", "Toch uitvoeren"},
	}
	for page, href := range pages {
		for lang, want := range words {
			_, body := f.get(t, page+"?lang="+lang, winUA, "")
			if m := downloadHref.FindStringSubmatch(body); m == nil || m[1] != href {
				t.Errorf("%s (%s): primary download %v, want %s", page, lang, m, href)
			}
			if !strings.Contains(body, `id="smartscreen"`) {
				t.Errorf("%s (%s): no SmartScreen line for a Windows visitor", page, lang)
				continue
			}
			for _, w := range want {
				if !strings.Contains(body, w) {
					t.Errorf("%s (%s): the SmartScreen line lacks %q", page, lang, w)
				}
			}
		}
		if _, body := f.get(t, page, linuxUA, ""); strings.Contains(body, `id="smartscreen"`) {
			t.Errorf("%s: a Linux visitor is told about SmartScreen", page)
		}
	}
}
