package web

import (
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/pkg/download"
	"github.com/relaydesk/relaydesk/relay/token"
)

// channel adds an SOS Call page and returns its token.
func (f *fixture) channel(name, description string) string {
	tok, _ := token.New()
	f.channels[tok] = [2]string{name, description}
	return tok
}

func TestCallPage(t *testing.T) {
	f := newFixture(t)
	tok := f.channel("Service Desk", "Accounts, printers & <e-mail>")
	res, body := f.get(t, "/c/"+tok, linuxUA, "")
	if res.StatusCode != 200 || !strings.Contains(body, `<html lang="en">`) {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	for _, want := range []string{
		"<h1>Ask for remote support</h1>",
		"Your request goes to Service Desk at Acme IT.",
		"Accounts, printers &amp; &lt;e-mail&gt;", // escaped
		"What happens next", "asks what the support team needs to know",
		"waits in the queue", "you decide what they may do", fp,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	m := downloadHref.FindStringSubmatch(body)
	if m == nil || m[1] != "/c/"+tok+"/download/sos-linux-amd64" {
		t.Fatalf("primary download for Linux: %v", m)
	}
	if !strings.Contains(body, `href="/c/`+tok+`/download/sos-windows-amd64.exe"`) || strings.Contains(body, "?t=") {
		t.Fatal("other systems are not listed under the page's downloads")
	}
	// The connection line leads to the channel, as the download's name does.
	line := connectionLine.FindStringSubmatch(body)
	want := download.Target{Host: "relay.example.com", Port: 4433, Fingerprint: fp, Channel: tok}
	if line == nil {
		t.Fatal("no connection line")
	}
	if got, err := download.ParseConnection(html.UnescapeString(line[1])); err != nil || got != want {
		t.Fatalf("connection line %q: %+v %v", line[1], got, err)
	}
	// Each language, by Accept-Language and by ?lang=.
	for lang, wants := range map[string][]string{
		"de-CH,de;q=0.9": {`<html lang="de">`, "Fernwartung anfragen", "Ihre Anfrage geht an Service Desk bei Acme IT.", "So geht es weiter", "Warteschlange"},
		"nl":             {`<html lang="nl">`, "Hulp op afstand aanvragen", "Uw aanvraag gaat naar Service Desk bij Acme IT.", "Wat er nu gebeurt", "wachtrij"},
		"fr":             {`<html lang="en">`, "Ask for remote support"},
	} {
		_, body := f.get(t, "/c/"+tok, linuxUA, lang)
		for _, w := range wants {
			if !strings.Contains(body, w) {
				t.Errorf("%s: lacks %q", lang, w)
			}
		}
	}
	if _, body := f.get(t, "/c/"+tok+"?lang=nl", linuxUA, "de"); !strings.Contains(body, `<html lang="nl">`) {
		t.Error("?lang=nl did not win over Accept-Language")
	}
	// A Windows visitor gets the Windows app (this server has it).
	if _, body := f.get(t, "/c/"+tok, winUA, ""); !strings.Contains(body, `id="download" href="/c/`+tok+`/download/sos-windows-amd64.exe"`) {
		t.Error("no Windows download for a Windows visitor")
	}
	// Without a Windows build, a Windows visitor hears it is not available
	// here yet, and sees the other systems.
	os.Remove(filepath.Join(f.h.cfg.Downloads, "sos-windows-amd64.exe"))
	_, body = f.get(t, "/c/"+tok, winUA, "")
	if !strings.Contains(body, "The support app for Windows is not available on this server yet.") || downloadHref.MatchString(body) || !strings.Contains(body, `href="/c/`+tok+`/download/sos-linux-amd64"`) {
		t.Errorf("Windows visitor without a Windows build: %s", body)
	}
}

// TestCallPageUnavailable: an unknown token, or a channel whose SOS Call
// was turned off (Config.Channel says no), gives a 404 page with a
// sentence and nothing to download, in the visitor's language.
func TestCallPageUnavailable(t *testing.T) {
	f := newFixture(t)
	tok := f.channel("Service Desk", "")
	delete(f.channels, tok) // SOS Call turned off
	for _, path := range []string{"/c/" + tok, "/c/unknown", "/c/" + tok + "/download/sos-linux-amd64"} {
		res, body := f.get(t, path, linuxUA, "")
		if res.StatusCode != 404 || !strings.Contains(body, "This support page is not available. Ask your IT department for the current address.") || strings.Contains(body, "/download/") {
			t.Errorf("%s: %d %s", path, res.StatusCode, body)
		}
	}
	for lang, want := range map[string]string{
		"de": "Diese Support-Seite ist nicht verfügbar. Fragen Sie Ihre IT-Abteilung nach der aktuellen Adresse.",
		"nl": "Deze supportpagina is niet beschikbaar. Vraag uw IT-afdeling naar het actuele adres.",
	} {
		res, body := f.get(t, "/c/"+tok, linuxUA, lang)
		if res.StatusCode != 404 || !strings.Contains(body, want) || !strings.Contains(body, `role="alert"`) {
			t.Errorf("%s: %d, lacks %q", lang, res.StatusCode, want)
		}
	}
	// Without a Channel lookup (no desk) there are no SOS Call pages.
	f.h.cfg.Channel = nil
	if res, _ := f.get(t, "/c/"+f.channel("X", ""), linuxUA, ""); res.StatusCode != 404 {
		t.Errorf("without Channel: %d", res.StatusCode)
	}
}

// TestCallDownloadNameCarriesTheChannel: the download's name reads back
// as the channel's token, never as a support link.
func TestCallDownloadNameCarriesTheChannel(t *testing.T) {
	f := newFixture(t)
	tok := f.channel("Service Desk", "")
	for _, c := range []struct{ file, ua string }{{"sos-windows-amd64.exe", winUA}, {"sos-linux-amd64", linuxUA}} {
		res, body := f.get(t, "/c/"+tok+"/download/"+c.file, c.ua, "")
		if res.StatusCode != 200 || body != "binary "+c.file {
			t.Fatalf("%s: %d %q", c.file, res.StatusCode, body)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(res.Header.Get("Content-Disposition"), `attachment; filename="`), `"`)
		got, err := download.ParseFileName(name)
		want := download.Target{Host: "relay.example.com", Port: 4433, Fingerprint: fp, Channel: tok}
		if err != nil || got != want || strings.HasSuffix(name, ".exe") != strings.HasSuffix(c.file, ".exe") {
			t.Fatalf("%q -> %+v %v, want %+v", name, got, err, want)
		}
	}
	for _, bad := range []string{"/c/" + tok + "/download/README", "/c/" + tok + "/download/sos-linux-arm64"} {
		if res, _ := f.get(t, bad, linuxUA, ""); res.StatusCode != 404 {
			t.Errorf("%s: %d", bad, res.StatusCode)
		}
	}
}
