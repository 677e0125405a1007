package e2e

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/relaydesk/relaydesk/pkg/download"
	relayroot "github.com/relaydesk/relaydesk/relay"
	"github.com/relaydesk/relaydesk/relay/store"
	"github.com/relaydesk/relaydesk/relay/token"
)

// downloadsDir is a relay's --downloads: the built sos for Linux and a
// stand-in for the Windows build.
func downloadsDir(t *testing.T) string {
	t.Helper()
	dl := t.TempDir()
	sosBin, err := os.ReadFile(filepath.Join(bin, "sos"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dl, "sos-linux-amd64"), sosBin, 0o755)
	os.WriteFile(filepath.Join(dl, "sos-windows-amd64.exe"), []byte("MZ placeholder for the Windows build"), 0o755)
	return dl
}

// waitForPage waits until the relay whose key is fp serves url (it
// reads a new SOS Call channel on its next sweep).
func waitForPage(t *testing.T, fp, url string) {
	t.Helper()
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: pinned(t, fp)}}
	waitFor(t, "the page "+url, func() bool {
		res, err := hc.Get(url)
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
}

// TestCallPageInChromium loads a channel's SOS Call page (/c/<token>) in
// a real browser, as TestDownloadPageInChromium does the link page: the
// language from Accept-Language (German, Dutch, English) and the
// language switcher, the download for the visitor's OS (Windows, Linux),
// the downloaded file's name (relay, key and the channel's token, no
// link token), and the plain sentence of an unknown page with nothing to
// download.
func TestCallPageInChromium(t *testing.T) {
	parallel(t)
	addr, fp, st := inProcessRelay(t, func(c *relayroot.Config) { c.Downloads, c.Organisation = downloadsDir(t), "Acme IT" })
	tok, _ := token.New()
	ch := store.Channel{Name: "Service Desk", Description: "Accounts, printers and e-mail", SOSCall: true, SOSToken: tok}
	if err := st.CreateChannel(context.Background(), &ch); err != nil {
		t.Fatal(err)
	}
	page := "https://" + addr + "/c/" + tok
	waitForPage(t, fp, page)

	bctx := chromium(t)
	names := make(chan string, 4)
	chromedp.ListenTarget(bctx, func(ev any) {
		if e, ok := ev.(*browser.EventDownloadWillBegin); ok {
			names <- e.SuggestedFilename
		}
	})
	saveDir := t.TempDir()
	if err := chromedp.Run(bctx, browser.SetDownloadBehavior(browser.SetDownloadBehaviorBehaviorAllow).WithDownloadPath(saveDir).WithEventsEnabled(true)); err != nil {
		t.Fatal(err)
	}
	downloaded := func() string { // the file's name, checked
		t.Helper()
		if err := chromedp.Run(bctx, chromedp.Click("#download")); err != nil {
			t.Fatal(err)
		}
		select {
		case name := <-names:
			tg, err := download.ParseFileName(name)
			if err != nil || tg.Addr() != addr || tg.Fingerprint != fp || tg.Channel != tok || tg.Token != "" {
				t.Fatalf("downloaded as %q: %+v %v", name, tg, err)
			}
			return name
		case <-time.After(20 * time.Second):
			t.Fatal("the browser started no download")
		}
		return ""
	}

	// German on Windows.
	var lang, h1, intro, desc, button, fpText string
	if err := chromedp.Run(bctx,
		emulation.SetUserAgentOverride("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36").WithAcceptLanguage("de-DE,de;q=0.9,en;q=0.5"),
		chromedp.Navigate(page),
		chromedp.AttributeValue("html", "lang", &lang, nil),
		chromedp.Text("h1", &h1),
		chromedp.Text("main p", &intro),
		chromedp.Text("#channel-description", &desc),
		chromedp.Text("#download", &button),
		chromedp.Text("footer code", &fpText),
	); err != nil {
		t.Fatal(err)
	}
	if lang != "de" || h1 != "Fernwartung anfragen" || intro != "Ihre Anfrage geht an Service Desk bei Acme IT." ||
		desc != "Accounts, printers and e-mail" || !strings.Contains(button, "Windows") || fpText != fp {
		t.Fatalf("German page: lang %q, h1 %q, intro %q, description %q, button %q, fingerprint %q", lang, h1, intro, desc, button, fpText)
	}
	if name := downloaded(); !strings.HasSuffix(name, ".exe") {
		t.Fatalf("Windows download %q", name)
	}

	// The switcher changes the language without JavaScript: Dutch.
	if err := chromedp.Run(bctx, chromedp.Click(`a[hreflang="nl"]`), chromedp.WaitVisible(`html[lang="nl"]`),
		chromedp.Text("h1", &h1), chromedp.Text("main p", &intro)); err != nil {
		t.Fatal(err)
	}
	if h1 != "Hulp op afstand aanvragen" || intro != "Uw aanvraag gaat naar Service Desk bij Acme IT." {
		t.Fatalf("Dutch page: h1 %q, intro %q", h1, intro)
	}

	// English on Linux.
	if err := chromedp.Run(bctx,
		emulation.SetUserAgentOverride("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36").WithAcceptLanguage("en-GB,en;q=0.9"),
		chromedp.Navigate(page),
		chromedp.AttributeValue("html", "lang", &lang, nil),
		chromedp.Text("h1", &h1),
		chromedp.Text("main p", &intro),
		chromedp.Text("#download", &button),
	); err != nil {
		t.Fatal(err)
	}
	if lang != "en" || h1 != "Ask for remote support" || intro != "Your request goes to Service Desk at Acme IT." || !strings.Contains(button, "Linux") {
		t.Fatalf("English page: lang %q, h1 %q, intro %q, button %q", lang, h1, intro, button)
	}
	if name := downloaded(); strings.HasSuffix(name, ".exe") {
		t.Fatalf("Linux download %q", name)
	}

	// A page that does not exist: a plain sentence, nothing to download.
	var alert string
	var downloads int
	if err := chromedp.Run(bctx,
		chromedp.Navigate("https://"+addr+"/c/"+strings.Repeat("A", 43)),
		chromedp.Text(`[role="alert"]`, &alert),
		chromedp.Evaluate(`document.querySelectorAll('a[download]').length`, &downloads),
	); err != nil {
		t.Fatal(err)
	}
	if alert != "This support page is not available. Ask your IT department for the current address." || downloads != 0 {
		t.Fatalf("unknown page: %q, %d downloads offered", alert, downloads)
	}
}
