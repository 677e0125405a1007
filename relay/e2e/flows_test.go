package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/transport"
)

const codeLine = `Session code: (\d{3} \d{3} \d{3})`

func TestCodeFlowConsentGiven(t *testing.T) {
	parallel(t)
	r := startRelay(t)
	tech := r.login(t, "admin", r.adminPW)
	st := r.openStore(t)

	sos := start(t, nil, "sos", "--relay", r.addr, "--fingerprint", r.fp, "--no-gui")
	code := sos.expect(codeLine)[1]

	con := start(t, tech.env, "console", "connect", code)
	sos.expect(`admin wants to connect to this computer through the support server 127\.0\.0\.1\. They will be able to see your screen, use your mouse and keyboard and copy text to and from your clipboard\. Allow\? \[y = yes, v = view only, N = no\]`)
	sos.say("y")
	id := con.expect(`Connected to session ([0-9a-f]+) \(status Active\)`)[1]
	sos.expect(`admin is now connected to this computer`)
	waitStatus(t, st, id, proto.StatusActive)

	// The technician ends the session: the end user is told who ended it.
	con.signal(syscall.SIGTERM)
	sos.expect(`Session ended by admin`)
	if c := sos.wait(); c != 0 {
		t.Fatalf("sos exit code %d", c)
	}
	if c := con.wait(); c != 0 {
		t.Fatalf("console exit code %d", c)
	}
	s, _ := st.Session(context.Background(), id)
	if s.Status != proto.StatusClosed || s.EndedBy != "admin" || s.EndedAt.Before(s.StartedAt) {
		t.Fatalf("stored session %+v", s)
	}
}

func TestCodeFlowConsentRefused(t *testing.T) {
	parallel(t)
	r := startRelay(t)
	tech := r.login(t, "admin", r.adminPW)
	sos := start(t, nil, "sos", "--relay", r.addr, "--fingerprint", r.fp, "--no-gui")
	code := sos.expect(codeLine)[1]

	con := start(t, tech.env, "console", "connect", strings.ReplaceAll(code, " ", ""))
	con.expect(`Asking the end user for permission`)
	sos.expect(`Allow\? \[y = yes, v = view only, N = no\]`)
	sos.say("n")
	con.expect(`The end user declined the connection\.`)
	if c := con.wait(); c == 0 {
		t.Fatal("console exited 0 after a refused connect")
	}
	// The end user's app keeps its session and code; the refusal is on record.
	st := r.openStore(t)
	evs, err := st.AuditEvents(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range evs {
		found = found || (e.Kind == "session.consent.refused" && e.Actor == "admin")
	}
	if !found {
		t.Fatalf("no refusal in the audit log: %+v", evs)
	}
	sos.signal(os.Interrupt)
	if c := sos.wait(); c != 0 {
		t.Fatalf("sos exit code %d after Ctrl+C", c)
	}
}

func queueOf(t *testing.T, tech technician, all bool) []proto.SessionInfo {
	t.Helper()
	args := []string{"queue", "--json"}
	if all {
		args = append(args, "--all")
	}
	out, code := run(t, tech.env, "", "console", args...)
	if code != 0 {
		t.Fatalf("queue: %s", out)
	}
	var ss []proto.SessionInfo
	if err := json.Unmarshal([]byte(out), &ss); err != nil {
		t.Fatalf("queue output %q: %v", out, err)
	}
	return ss
}

func TestLinkFlow(t *testing.T) {
	parallel(t)
	r := startRelay(t)
	r.addUser(t, "tina", "technician", "tina-password-1")
	tech := r.login(t, "tina", "tina-password-1")
	st := r.openStore(t)

	out, code := run(t, tech.env, "", "console", "link", "create", "--name", "Aaron", "--expires", "30m")
	if code != 0 {
		t.Fatalf("link create: %s", out)
	}
	url := strings.Fields(out)[0]
	if !strings.HasPrefix(url, "https://"+r.addr+"/s/") {
		t.Fatalf("link %q", url)
	}
	q := queueOf(t, tech, false)
	if len(q) != 1 || q[0].Status != "Waiting" || q[0].CustomerName != "Aaron" || q[0].Owner != "tina" {
		t.Fatalf("queue after link create: %+v", q)
	}
	id := q[0].ID

	// A watcher sees the session become Ready, pushed by the relay.
	watch := start(t, tech.env, "console", "queue", "--watch")
	watch.expect(id + `\s+Waiting`)

	sos := start(t, nil, "sos", "--link", url, "--fingerprint", r.fp, "--no-gui")
	sos.expect(`Waiting for tina to connect`)
	watch.expect(id + `\s+Ready\s+Aaron`)
	q = queueOf(t, tech, false)
	d := q[0].Device
	host, _ := os.Hostname()
	if q[0].Status != "Ready" || d == nil || d.Hostname != host || d.PublicIP != "127.0.0.1" || d.OS == "" || d.AgentVersion == "" {
		t.Fatalf("Ready session lacks device information: %+v %+v", q[0], d)
	}

	// A second device with the same link is refused with a sentence.
	out, code = run(t, nil, "", "sos", "--link", url, "--fingerprint", r.fp, "--no-gui")
	if code == 0 || !strings.Contains(out, "already used on another computer") {
		t.Fatalf("second device: %d %s", code, out)
	}

	con := start(t, tech.env, "console", "connect", "--session", id)
	sos.expect(`tina wants to connect to this computer through the support server 127\.0\.0\.1`)
	sos.say("yes")
	con.expect(`Connected to session ` + id)
	watch.expect(id + `\s+Active`)

	// The end user ends it; the technician is told who.
	sos.signal(os.Interrupt)
	con.expect(`The session was ended by Aaron \(end user\)`)
	if c := con.wait(); c != 0 {
		t.Fatalf("console exit %d", c)
	}
	if c := sos.wait(); c != 0 {
		t.Fatalf("sos exit %d", c)
	}
	watch.expect(id + `\s+Closed`)
	evs, _ := st.SessionEvents(context.Background(), id)
	var got []string
	for _, e := range evs {
		if len(got) == 0 || got[len(got)-1] != string(e.Status) {
			got = append(got, string(e.Status))
		}
	}
	if strings.Join(got, ">") != "Waiting>Ready>Active>Closed" {
		t.Fatalf("status history %v", got)
	}
}

func TestWrongCodesAreThrottled(t *testing.T) {
	parallel(t)
	r := startRelay(t)
	tech := r.login(t, "admin", r.adminPW)
	sos := start(t, nil, "sos", "--relay", r.addr, "--fingerprint", r.fp, "--no-gui")
	real := strings.ReplaceAll(sos.expect(codeLine)[1], " ", "")
	wrong := "000000000"
	if wrong == real {
		wrong = "000000001"
	}
	for i := 0; i < 4; i++ {
		out, code := run(t, tech.env, "", "console", "connect", wrong)
		if code == 0 || !strings.Contains(out, "No session has code") {
			t.Fatalf("wrong code %d: %d %s", i, code, out)
		}
	}
	// The next attempt is slowed down, even with the right code.
	out, code := run(t, tech.env, "", "console", "connect", real)
	if code == 0 || !strings.Contains(out, "Too many wrong session codes. Try again in") {
		t.Fatalf("after four wrong codes: %d %s", code, out)
	}
	// A wrong code is a sentence, not a stack trace.
	out, code = run(t, tech.env, "", "console", "connect", "12345")
	if code == 0 || strings.TrimSpace(out) != "A session code has 9 digits." {
		t.Fatalf("malformed code: %d %q", code, out)
	}
}

func TestWrongPasswordAndFingerprint(t *testing.T) {
	parallel(t)
	r := startRelay(t)
	env := []string{"XDG_CONFIG_HOME=" + t.TempDir()}
	out, code := run(t, env, "not-the-password\n", "console", "login", "--relay", r.addr, "--fingerprint", r.fp, "--user", "admin")
	if code == 0 || strings.TrimSpace(out) != "Wrong user name or password." {
		t.Fatalf("wrong password: %d %q", code, out)
	}
	bad := "sha256:" + strings.Repeat("ab", 32)
	out, code = run(t, env, r.adminPW+"\n", "console", "login", "--relay", r.addr, "--fingerprint", bad, "--user", "admin")
	if code == 0 || !strings.Contains(out, "different key than expected") {
		t.Fatalf("wrong fingerprint: %d %q", code, out)
	}
	out, code = run(t, env, "", "console", "queue")
	if code == 0 || !strings.Contains(out, "not signed in") {
		t.Fatalf("queue without login: %d %q", code, out)
	}
	// A malformed link is refused by the app; a well-formed unknown one by the relay.
	out, code = run(t, nil, "", "sos", "--link", "https://"+r.addr+"/s/nonexistent", "--fingerprint", r.fp, "--no-gui")
	if code == 0 || !strings.Contains(out, "is not a support link") {
		t.Fatalf("malformed link: %d %q", code, out)
	}
	out, code = run(t, nil, "", "sos", "--link", "https://"+r.addr+"/s/"+strings.Repeat("A", 43), "--fingerprint", r.fp, "--no-gui")
	if code == 0 || !strings.Contains(out, "This support link is not valid") {
		t.Fatalf("unknown link: %d %q", code, out)
	}
}

// TestRelayRestartMidSession kills the relay during an Active session and
// restarts it on the same data: the session, a Waiting link and a Ready
// code survive, and the app and console reconnect on their own.
func TestRelayRestartMidSession(t *testing.T) {
	parallel(t)
	r := startRelay(t)
	tech := r.login(t, "admin", r.adminPW)

	sos := start(t, nil, "sos", "--relay", r.addr, "--fingerprint", r.fp, "--no-gui")
	code := sos.expect(codeLine)[1]
	con := start(t, tech.env, "console", "connect", code)
	sos.expect(`Allow\?`)
	sos.say("y")
	id := con.expect(`Connected to session ([0-9a-f]+)`)[1]

	out, c := run(t, tech.env, "", "console", "link", "create", "--name", "Later")
	if c != 0 {
		t.Fatalf("link: %s", out)
	}
	waiting := queueOf(t, tech, true)
	other := start(t, nil, "sos", "--relay", r.addr, "--fingerprint", r.fp, "--no-gui")
	otherCode := other.expect(codeLine)[1]

	r.kill()
	con.expect(`Connection lost`)
	r.launch(t)
	con.expect(`Resumed session ` + id)
	st := r.openStore(t)
	waitStatus(t, st, id, proto.StatusActive)

	after := queueOf(t, tech, true)
	byID := map[string]proto.SessionInfo{}
	for _, s := range after {
		byID[s.ID] = s
	}
	for _, s := range waiting {
		if _, ok := byID[s.ID]; !ok {
			t.Fatalf("session %s (%s) lost in the restart", s.ID, s.Status)
		}
	}
	// The Ready session's code still works once its app is back.
	deadline := time.Now().Add(30 * time.Second)
	for {
		n := 0
		for _, s := range queueOf(t, tech, true) {
			if s.AgentOnline {
				n++
			}
		}
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the apps did not reconnect after the restart")
		}
		time.Sleep(100 * time.Millisecond)
	}
	con2 := start(t, tech.env, "console", "connect", otherCode)
	other.expect(`Allow\?`)
	other.say("y")
	con2.expect(`Connected to session`)

	con.signal(syscall.SIGTERM)
	sos.expect(`Session ended by admin`)
	if c := sos.wait(); c != 0 {
		t.Fatalf("sos exit %d", c)
	}
	waitStatus(t, st, id, proto.StatusClosed)
}

// TestAgentNetworkDrop cuts the app's network for longer than QUIC's idle
// timeout: the app reconnects with backoff and resumes its session.
func TestAgentNetworkDrop(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about 25 seconds")
	}
	r := startRelay(t)
	tech := r.login(t, "admin", r.adminPW)
	px := newUDPProxy(t, r.addr)
	sos := start(t, nil, "sos", "--relay", px.addr(), "--fingerprint", r.fp, "--no-gui")
	code := sos.expect(codeLine)[1]
	con := start(t, tech.env, "console", "connect", code)
	sos.expect(`Allow\?`)
	sos.say("y")
	id := con.expect(`Connected to session ([0-9a-f]+)`)[1]

	px.drop.Store(true)
	con.expect(`The end user's app lost its connection`)
	sos.expect(`Connection lost`)
	time.Sleep(3 * time.Second) // a few reconnect attempts fail while the network is down
	px.drop.Store(false)
	con.expect(`The end user's app is back`)
	st := r.openStore(t)
	if s := sessionStatus(t, st, id); s != proto.StatusActive {
		t.Fatalf("status after the drop: %s", s)
	}
	sos.signal(os.Interrupt)
	con.expect(`The session was ended by end user`)
	if c := sos.wait(); c != 0 {
		t.Fatalf("sos exit %d", c)
	}
}

// TestDownloadedAppJoinsTheLink fetches the link's page over HTTPS (on the
// relay's TCP port, its key pinned), downloads the app it offers, and runs
// the download with no arguments under Xvfb (its window opens): the
// session becomes Ready.
func TestDownloadedAppJoinsTheLink(t *testing.T) {
	parallel(t)
	dl := t.TempDir()
	sosBin, err := os.ReadFile(filepath.Join(bin, "sos-release"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dl, "sos-linux-amd64"), sosBin, 0o755) // a release build for this relay: it asks nothing before connecting
	r := startRelay(t, "--downloads", dl, "--org", "Acme IT")
	r.addUser(t, "tina", "technician", "tina-password-1")
	tech := r.login(t, "tina", "tina-password-1")
	out, code := run(t, tech.env, "", "console", "link", "create", "--name", "Ann")
	if code != 0 {
		t.Fatal(out)
	}
	link := strings.Fields(out)[0]

	status, page, dst := downloadFromPage(t, r.addr, r.fp, link, "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0", "de-DE,de;q=0.9")
	if status != 200 || !strings.Contains(page, "tina von Acme IT möchte Ihnen") {
		t.Fatalf("page: %d %s", status, page)
	}
	if dst == "" {
		t.Fatalf("no download offered: %s", page)
	}

	// No arguments (the name says it all), and a display: the SOS window opens.
	app := exec.Command(dst)
	app.Env = append(os.Environ(), "DISPLAY="+xvfb(t, 1280, 720))
	app.Stdin = strings.NewReader("")
	outb := &strings.Builder{}
	app.Stdout, app.Stderr = outb, outb
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Process.Kill(); app.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		q := queueOf(t, tech, false)
		if len(q) == 1 && q[0].Status == "Ready" && q[0].CustomerName == "Ann" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the downloaded app did not make the session Ready: %+v\n%s", q, outb.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The link is used now: the page says so and offers nothing.
	status, page, dst = downloadFromPage(t, r.addr, r.fp, link, "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0", "")
	if status != http.StatusConflict || dst != "" || strings.Contains(page, "/download/") {
		t.Fatalf("used link page: %d", status)
	}
}

// pinned is a TLS client configuration that trusts exactly the relay's key.
func pinned(t *testing.T, fp string) *tls.Config {
	t.Helper()
	return &tls.Config{InsecureSkipVerify: true, VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
		c, err := x509.ParseCertificate(raw[0])
		if err != nil {
			return err
		}
		if transport.Fingerprint(c) != fp {
			return fmt.Errorf("fingerprint %s, want %s", transport.Fingerprint(c), fp)
		}
		return nil
	}}
}
