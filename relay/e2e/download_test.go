package e2e

import (
	"html"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// downloadFromPage opens a download page of the relay at addr (key
// fingerprint fp) as a browser with User-Agent ua
// and Accept-Language lang would (over HTTPS, the relay's key pinned),
// downloads the app it offers first and saves it under the name the relay
// gives, with " (1)" added as a browser does for a second copy. It returns
// the page's status and text and the saved file ("" when nothing is offered).
func downloadFromPage(t *testing.T, addr, fp, link, ua, lang string) (int, string, string) {
	t.Helper()
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: pinned(t, fp)}}
	req, _ := http.NewRequest("GET", link, nil)
	req.Header.Set("User-Agent", ua)
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := regexp.MustCompile(`id="download" href="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		return res.StatusCode, string(page), ""
	}
	dl, err := hc.Get("https://" + addr + html.UnescapeString(string(m[1])))
	if err != nil {
		t.Fatal(err)
	}
	defer dl.Body.Close()
	_, params, err := mime.ParseMediaType(dl.Header.Get("Content-Disposition"))
	if err != nil || params["filename"] == "" {
		t.Fatalf("Content-Disposition %q", dl.Header.Get("Content-Disposition"))
	}
	name := params["filename"]
	ext := filepath.Ext(name)
	if ext != ".exe" {
		ext = ""
	}
	dst := filepath.Join(t.TempDir(), strings.TrimSuffix(name, ext)+" (1)"+ext)
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, dl.Body); err != nil {
		t.Fatalf("download: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(page), dst
}
