package e2e

import (
	"context"
	"html"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/download"
	"github.com/relaydesk/relaydesk/pkg/proto"
	relayroot "github.com/relaydesk/relaydesk/relay"
	"github.com/relaydesk/relaydesk/relay/server"
	"github.com/relaydesk/relaydesk/relay/store"
	"github.com/relaydesk/relaydesk/relay/token"
)

// TestSOSCallFromThePage: a channel with SOS Call on and a form that
// requires the problem and a category, with the priority off. The end
// user opens the channel's page over HTTPS, downloads the app and runs it
// (sos --no-gui under the download's name, which carries the channel's
// token): it learns the channel's form from the relay, asks their name
// (optional), their problem (required: asked again when left empty) and a
// category from the numbered list (a number out of range is refused), not
// the priority, then says the request waits in the channel's queue. A
// technician of the channel sees it in `console queue --json` with the
// channel, name, problem, category and the end user's language, connects,
// and the end user consents.
func TestSOSCallFromThePage(t *testing.T) {
	parallel(t)
	ctx := context.Background()
	addr, fp, st := inProcessRelay(t, func(c *relayroot.Config) { c.Downloads, c.Organisation = downloadsDir(t), "Acme IT" })
	d := &desk{addr: addr, fp: fp, st: st, techs: map[string]technician{}}
	tina, err := server.CreateUser(ctx, st, "tina", store.RoleTechnician, "tina-password")
	if err != nil {
		t.Fatal(err)
	}
	g := store.Group{Name: "servicedesk", Members: []int64{tina.ID}}
	if err := st.CreateGroup(ctx, &g); err != nil {
		t.Fatal(err)
	}
	tok, _ := token.New()
	ch := store.Channel{
		Name: "Service Desk", Description: "Accounts, printers and e-mail", Groups: []int64{g.ID},
		SOSCall: true, SOSToken: tok,
		Form: proto.IntakeForm{Name: proto.FieldOptional, Problem: proto.FieldRequired, Category: proto.FieldRequired, Priority: proto.FieldOff},
	}
	if err := st.CreateChannel(ctx, &ch); err != nil {
		t.Fatal(err)
	}
	d.techs["tina"] = d.login(t, "tina")

	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: pinned(t, fp)}}
	get := func(path, lang string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", "https://"+addr+path, nil)
		req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0")
		req.Header.Set("Accept-Language", lang)
		res, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res, string(body)
	}
	// The relay reads the new channel on its next sweep.
	var page string
	waitFor(t, "the channel's SOS Call page", func() bool {
		res, body := get("/c/"+tok, "nl-NL,nl;q=0.9")
		page = body
		return res.StatusCode == http.StatusOK
	})
	for _, want := range []string{`<html lang="nl">`, "Uw aanvraag gaat naar Service Desk bij Acme IT.", "Accounts, printers and e-mail", "Wat er nu gebeurt", fp} {
		if !strings.Contains(page, want) {
			t.Fatalf("page lacks %q:\n%s", want, page)
		}
	}
	if res, body := get("/c/"+strings.Repeat("A", 43), "en"); res.StatusCode != http.StatusNotFound || !strings.Contains(body, "This support page is not available. Ask your IT department for the current address.") {
		t.Fatalf("unknown page: %d %s", res.StatusCode, body)
	}
	m := regexp.MustCompile(`id="download" href="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no download offered:\n%s", page)
	}
	res, err := hc.Get("https://" + addr + html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(res.Header.Get("Content-Disposition"))
	if err != nil || params["filename"] == "" {
		t.Fatalf("Content-Disposition %q", res.Header.Get("Content-Disposition"))
	}
	if tg, err := download.ParseFileName(params["filename"]); err != nil || tg.Channel != tok || tg.Token != "" || tg.Addr() != addr || tg.Fingerprint != fp {
		t.Fatalf("download name %q: %+v %v", params["filename"], tg, err)
	}
	dst := filepath.Join(t.TempDir(), params["filename"])
	f, _ := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o755)
	io.Copy(f, res.Body)
	f.Close()
	res.Body.Close()
	rel, err := filepath.Rel(bin, dst)
	if err != nil {
		t.Fatal(err)
	}

	// No arguments but --no-gui: the name says where and to which channel.
	sos := start(t, []string{"DISPLAY=", "LANG=de_CH.UTF-8"}, rel, "--no-gui")
	sos.expect(`This app will connect to the support server 127\.0\.0\.1\..*Connect\? \[y/N\]`) // a dev build asks
	sos.say("y")
	sos.expect(`^Your name:$`)
	sos.say("Ann Example")
	sos.expect(`^Describe your problem \(required\):$`)
	sos.say("")
	sos.expect(`^Please describe your problem; it is required\.$`)
	sos.expect(`^Describe your problem \(required\):$`)
	sos.say("The printer jams since Monday.")
	sos.expect(`^  1\. hardware$`)
	sos.expect(`^  10\. other$`)
	sos.expect(`^Category \(1-10, required\):$`)
	sos.say("12")
	sos.expect(`^Please type a number from 1 to 10\.$`)
	sos.expect(`^Category \(1-10, required\):$`)
	sos.say("1")
	sos.expect(`^You are number 1 in the queue of Service Desk\.$`) // the relay pushes the position (no history yet: no estimate)
	if strings.Contains(sos.output(), "Priority") {
		t.Fatalf("the app asked the priority, which is off:\n%s", sos.output())
	}

	var q []proto.SessionInfo
	d.consoleJSON(t, "tina", &q, "queue", "--json")
	var id string
	for _, s := range q {
		if s.Channel == "Service Desk" {
			if s.CustomerName != "Ann Example" || s.Problem != "The printer jams since Monday." || s.Category != "hardware" || s.Priority != "" ||
				s.Language != "de-CH" || s.Status != proto.StatusReady || s.Kind != proto.KindCall {
				t.Fatalf("the request in the queue: %+v", s)
			}
			id = s.ID
		}
	}
	if id == "" {
		t.Fatalf("no request in Service Desk's queue: %+v", q)
	}

	con := start(t, d.techs["tina"].env, "console", "connect", "--session", id)
	sos.expect(`tina \(Acme IT\) wants to connect to this computer through the support server 127\.0\.0\.1\..* Allow\? \[y = yes, v = view only, N = no\]`)
	sos.say("y")
	con.expect(`Connected to session ` + id + ` \(status Active\)`)
	sos.expect(`tina is now connected to this computer`)
	waitStatus(t, st, id, proto.StatusActive)

	con.signal(syscall.SIGTERM)
	sos.expect(`Session ended by tina`)
	if c := sos.wait(); c != 0 {
		t.Fatalf("sos exit %d", c)
	}
	// One connection to learn the form, one to register: no more.
	if n := strings.Count(sos.output(), "Connecting to the support server"); n != 2 {
		t.Fatalf("the app connected %d times:\n%s", n, sos.output())
	}
}
