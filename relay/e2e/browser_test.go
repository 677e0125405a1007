package e2e

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/relaydesk/relaydesk/pkg/download"
	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/token"
)

// chromium starts headless Chromium (Debian's) with the flags this machine
// needs, and returns a browser context.
func chromium(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed; run installers/deps.sh")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		// The relay's own self-signed identity: a person compares the fingerprint the page shows.
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancel3)
	if err := chromedp.Run(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// TestDownloadPageInChromium loads the support-link page in a real browser:
// language from Accept-Language, the download for the visitor's OS, the
// downloaded file's name, and the plain message of an expired link.
func TestDownloadPageInChromium(t *testing.T) {
	parallel(t)
	r := startRelay(t, "--downloads", downloadsDir(t), "--org", "Acme IT")
	tech := r.login(t, "admin", r.adminPW)
	out, code := run(t, tech.env, "", "console", "link", "create", "--name", "Ann")
	if code != 0 {
		t.Fatal(out)
	}
	link := strings.Fields(out)[0]

	ctx := chromium(t)
	saveDir := t.TempDir()
	var lang, h1, button, fpText string
	err := chromedp.Run(ctx,
		emulation.SetUserAgentOverride("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36").WithAcceptLanguage("nl-NL,nl;q=0.9"),
		chromedp.Navigate(link),
		chromedp.AttributeValue("html", "lang", &lang, nil),
		chromedp.Text("h1", &h1),
		chromedp.Text("#download", &button),
		chromedp.Text("footer code", &fpText),
	)
	if err != nil {
		t.Fatal(err)
	}
	if lang != "nl" || h1 != "Hulp op afstand" || !strings.Contains(button, "Windows") || fpText != r.fp {
		t.Fatalf("page: lang %q, h1 %q, button %q, fingerprint %q", lang, h1, button, fpText)
	}

	// The switcher changes the language without JavaScript.
	var intro string
	if err := chromedp.Run(ctx, chromedp.Click(`a[hreflang="de"]`), chromedp.WaitVisible(`html[lang="de"]`), chromedp.Text("main p", &intro)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(intro, "admin von Acme IT möchte Ihnen") {
		t.Fatalf("German intro %q", intro)
	}

	// Download with the browser: the file name carries relay, key and token.
	names := make(chan string, 1)
	chromedp.ListenTarget(ctx, func(ev any) {
		if e, ok := ev.(*browser.EventDownloadWillBegin); ok {
			names <- e.SuggestedFilename
		}
	})
	if err := chromedp.Run(ctx,
		browser.SetDownloadBehavior(browser.SetDownloadBehaviorBehaviorAllow).WithDownloadPath(saveDir).WithEventsEnabled(true),
		chromedp.Click("#download"),
	); err != nil {
		t.Fatal(err)
	}
	select {
	case name := <-names:
		tg, err := download.ParseFileName(name)
		tok := link[strings.LastIndex(link, "/")+1:]
		if err != nil || tg.Addr() != r.addr || tg.Fingerprint != r.fp || tg.Token != tok || !strings.HasSuffix(name, ".exe") {
			t.Fatalf("downloaded as %q: %+v %v", name, tg, err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the browser started no download")
	}

	// An expired link: a plain sentence and nothing to download.
	st := r.openStore(t)
	s, err := st.SessionByLinkHash(context.Background(), token.Hash(link[strings.LastIndex(link, "/")+1:]))
	if err != nil {
		t.Fatal(err)
	}
	s.Status = proto.StatusExpired
	if err := st.UpdateSession(context.Background(), &s, nil); err != nil {
		t.Fatal(err)
	}
	var alert string
	var downloads int
	if err := chromedp.Run(ctx,
		emulation.SetUserAgentOverride("Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0").WithAcceptLanguage("en"),
		chromedp.Navigate(link),
		chromedp.Text(`[role="alert"]`, &alert),
		chromedp.Evaluate(`document.querySelectorAll('a[href^="/download/"]').length`, &downloads),
	); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(alert, "This support link has expired") || downloads != 0 {
		t.Fatalf("expired link: %q, %d downloads offered", alert, downloads)
	}
}
