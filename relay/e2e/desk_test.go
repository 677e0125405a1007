package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/server"
	"github.com/relaydesk/relaydesk/relay/store"
)

// The service desk with the real binaries: the headless console's desk
// commands against an in-process relay whose groups and channels the test
// creates in the store (the relay rereads them within its sweep interval),
// and the SOS app in --no-gui mode answering on standard input.

// desk is an in-process relay with a service desk: channel Helpdesk,
// served by group helpdesk (tina, theo) and managed by carla (channel
// manager), and channel Finance, served by group finance (fred). Each
// technician is signed in with a console of their own.
type desk struct {
	addr, fp string
	st       store.Store
	techs    map[string]technician
}

func startDesk(t *testing.T) *desk {
	t.Helper()
	ctx := context.Background()
	addr, fp, st := inProcessRelay(t)
	d := &desk{addr: addr, fp: fp, st: st, techs: map[string]technician{}}
	ids := map[string]int64{}
	for _, u := range []struct {
		name string
		role store.Role
	}{{"tina", store.RoleTechnician}, {"theo", store.RoleTechnician}, {"fred", store.RoleTechnician}, {"carla", store.RoleChannelManager}} {
		made, err := server.CreateUser(ctx, st, u.name, u.role, u.name+"-password")
		if err != nil {
			t.Fatal(err)
		}
		ids[u.name] = made.ID
	}
	helpdesk := store.Group{Name: "helpdesk", Members: []int64{ids["tina"], ids["theo"]}}
	finance := store.Group{Name: "finance", Members: []int64{ids["fred"]}}
	for _, g := range []*store.Group{&helpdesk, &finance} {
		slices.Sort(g.Members)
		if err := st.CreateGroup(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	for _, ch := range []*store.Channel{
		{Name: "Helpdesk", Groups: []int64{helpdesk.ID}, Managers: []int64{ids["carla"]}},
		{Name: "Finance", Groups: []int64{finance.ID}},
	} {
		if err := st.CreateChannel(ctx, ch); err != nil {
			t.Fatal(err)
		}
	}
	for name := range ids {
		d.techs[name] = d.login(t, name)
	}
	// The relay rereads the desk's configuration on its next sweep.
	waitFor(t, "the relay to read the channels", func() bool {
		var chs []proto.ChannelInfo
		out, _, code := runSplit(t, d.techs["tina"].env, "", "console", "channels", "--json")
		if code != 0 || json.Unmarshal([]byte(out), &chs) != nil {
			return false
		}
		return slices.ContainsFunc(chs, func(c proto.ChannelInfo) bool { return c.Name == "Helpdesk" && c.Serves })
	})
	return d
}

func (d *desk) login(t *testing.T, user string) technician {
	t.Helper()
	tech := technician{env: []string{"XDG_CONFIG_HOME=" + t.TempDir()}}
	out, code := run(t, tech.env, user+"-password\n", "console", "login", "--relay", d.addr, "--fingerprint", d.fp, "--user", user)
	if code != 0 {
		t.Fatalf("login %s failed (%d): %s", user, code, out)
	}
	return tech
}

// console runs a console command as user and wants it to succeed.
func (d *desk) console(t *testing.T, user string, args ...string) string {
	t.Helper()
	out, code := run(t, d.techs[user].env, "", "console", args...)
	if code != 0 {
		t.Fatalf("%s: console %s: exit %d\n%s", user, strings.Join(args, " "), code, out)
	}
	return out
}

// refused runs a console command as user and wants it refused with the
// sentence want, alone on standard error, and nothing on standard output.
func (d *desk) refused(t *testing.T, user, want string, args ...string) {
	t.Helper()
	out, errOut, code := runSplit(t, d.techs[user].env, "", "console", args...)
	if code != 1 || out != "" || strings.TrimSpace(errOut) != want {
		t.Fatalf("%s: console %s: exit %d, stdout %q, stderr %q; want exit 1 with %q", user, strings.Join(args, " "), code, out, errOut, want)
	}
}

// consoleJSON runs a console command as user and decodes its standard output.
func (d *desk) consoleJSON(t *testing.T, user string, v any, args ...string) string {
	t.Helper()
	out, errOut, code := runSplit(t, d.techs[user].env, "", "console", args...)
	if code != 0 {
		t.Fatalf("%s: console %s: exit %d\n%s%s", user, strings.Join(args, " "), code, out, errOut)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("%s: console %s printed %q: %v", user, strings.Join(args, " "), out, err)
	}
	return out
}

// runSplit is run with standard output and standard error apart.
func runSplit(t *testing.T, env []string, stdin, name string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(bin, name), args...)
	cmd.Env = append(baseEnv(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	cmd.Run()
	if raced(t, name, e.String()) {
		t.Logf("output of %s %s:\n%s%s", name, strings.Join(args, " "), o.String(), e.String())
	}
	return o.String(), e.String(), cmd.ProcessState.ExitCode()
}

// request has tina create a link in Helpdesk for the end user name (with
// the extra link create flags) and an SOS app join it; it returns the app
// and the session's ID.
func (d *desk) request(t *testing.T, name string, env []string, flags ...string) (*proc, string) {
	t.Helper()
	out, code := run(t, d.techs["tina"].env, "", "console", append([]string{"link", "create", "--channel", "Helpdesk", "--name", name}, flags...)...)
	if code != 0 {
		t.Fatalf("link create: %s", out)
	}
	m := regexp.MustCompile(`Session ([0-9a-f]+) is Waiting`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("link create printed %q", out)
	}
	sos := start(t, env, "sos", "--link", strings.Fields(out)[0], "--fingerprint", d.fp, "--no-gui")
	sos.expect(`Waiting for your technician to connect`)
	return sos, m[1]
}

// queueEntry finds session id in a queue printed as JSON, also as raw
// fields (what a script reads).
func queueEntry(t *testing.T, out, id string) (proto.SessionInfo, map[string]any) {
	t.Helper()
	var ss []proto.SessionInfo
	var raw []map[string]any
	if json.Unmarshal([]byte(out), &ss) != nil || json.Unmarshal([]byte(out), &raw) != nil {
		t.Fatalf("queue JSON %q", out)
	}
	for i, s := range ss {
		if s.ID == id {
			return s, raw[i]
		}
	}
	t.Fatalf("session %s is not in the queue: %s", id, out)
	return proto.SessionInfo{}, nil
}

// TestDeskTransfer: tina creates a link in channel Helpdesk, the end
// user's app joins and tina connects; she transfers the session to theo
// with a note. The end user hears who takes over and stays connected
// (the app never registers again); tina keeps watching until theo joins
// (she may not hand the session on any more), then her console hears
// she left and ends; theo reads the transfer note.
func TestDeskTransfer(t *testing.T) {
	parallel(t)
	d := startDesk(t)
	notices := start(t, d.techs["theo"].env, "console", "notices")
	notices.expect(`Listening for notices to theo`)
	sos, id := d.request(t, "Ann", []string{"DISPLAY="}, "--category", "hardware", "--priority", "high")

	tina := start(t, d.techs["tina"].env, "console", "connect", "--session", id)
	sos.expect(`tina wants to connect to this computer through the support server 127\.0\.0\.1\..* Allow\? \[y = yes, v = view only, N = no\]`)
	sos.say("y")
	tina.expect(`Connected to session ` + id + ` \(status Active\)`)
	sos.expect(`tina is now connected to this computer`)
	s, raw := queueEntry(t, d.console(t, "tina", "queue", "--json"), id)
	if s.Owner != "tina" || raw["channel"] != "Helpdesk" || raw["owner"] != "tina" || raw["category"] != "hardware" || raw["priority"] != "high" {
		t.Fatalf("tina's queue: %+v", raw)
	}

	out := d.console(t, "tina", "transfer", id, "--to", "theo", "--note", "printer driver, see ticket IT-7")
	if !strings.Contains(out, "Session "+id+" is now theo's; Ann was told.") || !strings.Contains(out, "You keep watching until theo joins.") {
		t.Fatalf("transfer printed %q", out)
	}
	sos.expect(`^tina has handed your session to theo\.$`)
	notices.expect(`^\[assigned\] tina transferred the session of Ann to you\. Note: printer driver, see ticket IT-7 \(` + id + `\)$`)
	// No longer the owner, tina may not hand the session on.
	d.refused(t, "tina", "Only the session's owner or a manager of its channel may do this.", "transfer", id, "--channel", "Finance")
	s, raw = queueEntry(t, d.console(t, "theo", "queue", "--json"), id)
	if s.Owner != "theo" || s.Status != proto.StatusActive || !slices.Equal(s.Technicians, []string{"tina"}) || raw["owner"] != "theo" || raw["channel"] != "Helpdesk" {
		t.Fatalf("theo's queue after the transfer: %+v", s)
	}

	theo := start(t, d.techs["theo"].env, "console", "connect", "--session", id)
	sos.expect(`theo wants to connect to this computer through the support server 127\.0\.0\.1\..* Allow\? \[y = yes, v = view only, N = no\]`)
	sos.say("y")
	theo.expect(`Connected to session ` + id + ` \(status Active\)`)
	// theo joined: tina's view ends, her console hears it and stops
	// (without ending the session).
	tina.expect(`^You left the session \(handed the session to theo\)\.$`)
	if c := tina.wait(); c != 0 {
		t.Fatalf("tina's console exit %d", c)
	}
	sos.expect(`tina left the session \(handed the session to theo\)`)
	waitStatus(t, d.st, id, proto.StatusActive)

	out = d.console(t, "theo", "session", id)
	for _, want := range []string{"Channel:", "Helpdesk", "Owner:", "theo", "Notes:", "tina: Transfer note: printer driver, see ticket IT-7", "transferred to theo: printer driver"} {
		if !strings.Contains(out, want) {
			t.Fatalf("console session lacks %q:\n%s", want, out)
		}
	}

	theo.signal(syscall.SIGTERM)
	sos.expect(`Session ended by theo`)
	if c := sos.wait(); c != 0 {
		t.Fatalf("sos exit %d", c)
	}
	// The end user stayed connected throughout: one registration, no
	// reconnect, no new code.
	log := sos.output()
	waits := len(regexp.MustCompile(`(?m)^Waiting for`).FindAllString(log, -1))
	connects := strings.Count(log, "Connecting to the support server")
	if waits != 1 || connects != 1 || strings.Contains(log, "Session code") || strings.Contains(log, "Connection lost") {
		t.Fatalf("the app connected %d times and waited %d times, or lost its connection:\n%s", connects, waits, log)
	}
	waitStatus(t, d.st, id, proto.StatusClosed)
}

// TestDeskInvite: tina owns an active session and invites theo, whose
// `console notices` shows the invitation; a colleague outside the channel
// may not be invited. theo accepts and connects: the end user is asked
// whether he may watch, and he gets view only: his input script is
// refused and the pointer never moves. The session goes on after he left.
func TestDeskInvite(t *testing.T) {
	parallel(t)
	disp := xvfb(t, 640, 480)
	d := startDesk(t)
	notices := start(t, d.techs["theo"].env, "console", "notices")
	notices.expect(`Listening for notices to theo`)
	sos, id := d.request(t, "Ann", []string{"DISPLAY=" + disp})
	tina := start(t, d.techs["tina"].env, "console", "connect", "--session", id)
	sos.expect(`tina wants to connect to this computer.* Allow\? \[y = yes, v = view only, N = no\]`)
	sos.say("y")
	tina.expect(`Connected to session ` + id)

	d.refused(t, "tina", "You may not invite technicians from outside the session's channel.", "invite", id, "--user", "fred")
	d.refused(t, "theo", "There is no open session "+id+" in your queue.", "invite", id, "--user", "tina")
	d.refused(t, "theo", "You have no invitation to session "+id+".", "accept", id)
	out := d.console(t, "tina", "invite", id, "--user", "theo")
	if !strings.Contains(out, "Invited theo to session "+id) {
		t.Fatalf("invite printed %q", out)
	}
	notices.expect(`^\[invitation\] tina invites you to join the session of Ann \(` + id + `\)$`)
	out = d.console(t, "theo", "accept", id)
	if !strings.Contains(out, "console connect --session "+id) {
		t.Fatalf("accept printed %q", out)
	}

	// theo joins as a guest; the end user allows him control, but he has
	// none until tina hands it over: his moves go nowhere, then, once
	// handed control, they move the pointer.
	var lines []string
	lines = append(lines, "move 5 5")
	for range 60 {
		lines = append(lines, "wait 500ms", "move 40 40")
	}
	scr := filepath.Join(t.TempDir(), "script.txt")
	if err := os.WriteFile(scr, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	theo := start(t, d.techs["theo"].env, "console", "connect", "--session", id, "--input-script", scr)
	sos.expect(`^theo \(invited by the technician\) wants to see your screen through the support server 127\.0\.0\.1\. Your technician can hand them control of your mouse and keyboard; only one person controls at a time\. Allow\? \[y = yes, v = view only, N = no\]$`)
	sos.say("y")
	theo.expect(`Connected to session ` + id + ` \(status Active\)`)
	theo.expect(`^You joined tina's session as a guest\.$`)
	sos.expect(`theo is now connected to this computer`)
	pointer := func() string {
		loc := exec.Command("xdotool", "getmouselocation")
		loc.Env = append(os.Environ(), "DISPLAY="+disp)
		where, err := loc.CombinedOutput()
		if err != nil {
			t.Fatalf("xdotool: %v %s", err, where)
		}
		return string(where)
	}
	time.Sleep(3 * time.Second) // the script's first moves arrive and are dropped
	if where := pointer(); strings.HasPrefix(where, "x:5 y:5 ") || strings.HasPrefix(where, "x:40 y:40 ") {
		t.Fatalf("the guest moved the pointer without control: %q", where)
	}
	d.refused(t, "theo", "Only the session's owner hands control over; ask tina with a control request.", "control", id, "give", "--to", "theo")
	if out := d.console(t, "tina", "control", id, "give", "--to", "theo"); strings.TrimSpace(out) != "theo has control of the mouse and keyboard now." {
		t.Fatalf("control give printed %q", out)
	}
	sos.expect(`^tina handed control of your mouse and keyboard to theo\.$`)
	tina.expect(`^Control: theo has the mouse and keyboard\.$`)
	deadline := time.Now().Add(20 * time.Second)
	for !strings.HasPrefix(pointer(), "x:40 y:40 ") {
		if time.Now().After(deadline) {
			t.Fatalf("the guest with control did not move the pointer: %q", pointer())
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The script ends and theo leaves: control returns to tina.
	if c := theo.wait(); c != 0 {
		t.Fatalf("theo's console exit %d, want 0", c)
	}
	sos.expect(`^tina has control of your mouse and keyboard\.$`)
	// The guest leaving does not end the session; the record says how he joined.
	sos.expect(`theo left the session`)
	waitStatus(t, d.st, id, proto.StatusActive)
	var det proto.SessionDetails
	d.consoleJSON(t, "tina", &det, "session", id, "--json")
	var history []string
	for _, e := range det.History {
		history = append(history, e.Actor+": "+e.Detail)
	}
	for _, want := range []string{"tina: invited theo", "theo: accepted the invitation of tina", "theo: the end user allowed theo to join as a guest", "tina: gave control to theo"} {
		if !slices.Contains(history, want) {
			t.Fatalf("history lacks %q: %q", want, history)
		}
	}

	tina.signal(syscall.SIGTERM)
	sos.expect(`Session ended by tina`)
	if c := sos.wait(); c != 0 {
		t.Fatalf("sos exit %d", c)
	}
}

// TestDeskPickAndClassify: theo picks a request of Helpdesk up; tina,
// too late, hears who won. theo classifies it, adds a note, says he is
// busy; the directory shows it to his colleagues.
func TestDeskPickAndClassify(t *testing.T) {
	parallel(t)
	d := startDesk(t)
	sos, id := d.request(t, "Bob", []string{"DISPLAY="})
	s, _ := queueEntry(t, d.console(t, "theo", "queue", "--json"), id)
	if s.Status != proto.StatusReady || s.Owner != "" || s.Channel != "Helpdesk" {
		t.Fatalf("the request in theo's queue: %+v", s)
	}
	out := d.console(t, "theo", "pick", id)
	if !strings.Contains(out, "You picked up the request of Bob in Helpdesk (session "+id+")") {
		t.Fatalf("pick printed %q", out)
	}
	d.refused(t, "tina", "theo already picked this request up.", "pick", id)
	d.refused(t, "fred", "There is no open session "+id+" in your queue.", "pick", id)
	d.refused(t, "tina", "You have no invitation to session "+id+".", "decline", id)

	out = d.console(t, "theo", "classify", id, "--category", "network", "--priority", "low",
		"--ticket-system", "Jira", "--ticket", "IT-7", "--ticket-url", "https://jira.example/browse/IT-7")
	if strings.TrimSpace(out) != "Session "+id+": category network, priority low, ticket Jira IT-7 https://jira.example/browse/IT-7." {
		t.Fatalf("classify printed %q", out)
	}
	d.refused(t, "theo", `There is no priority "someday"; the priorities are: critical, high, medium, low, informational.`, "classify", id, "--priority", "someday")
	d.console(t, "theo", "note", id, "Called", "back;", "waiting", "for", "the", "driver.")
	d.refused(t, "tina", "There is no session "+id+" that you work on.", "note", id, "mine")
	s, raw := queueEntry(t, d.console(t, "theo", "queue", "--json"), id)
	if s.Owner != "theo" || raw["category"] != "network" || raw["priority"] != "low" || s.Ticket.Key != "IT-7" {
		t.Fatalf("theo's queue: %+v", raw)
	}
	out = d.console(t, "theo", "session", id)
	if !strings.Contains(out, "theo: Called back; waiting for the driver.") || !strings.Contains(out, "Ticket:") {
		t.Fatalf("console session:\n%s", out)
	}

	if out = d.console(t, "theo", "availability", "busy"); strings.TrimSpace(out) != "You are now busy." {
		t.Fatalf("availability busy printed %q", out)
	}
	if out = d.console(t, "theo", "availability"); strings.TrimSpace(out) != "You are busy, with 1 session." {
		t.Fatalf("availability printed %q", out)
	}
	if out, code := run(t, d.techs["theo"].env, "", "console", "availability", "asleep"); code != 2 || strings.TrimSpace(out) != "Availability is available, busy or away." {
		t.Fatalf("availability asleep: %d %q", code, out)
	}
	var techs []proto.TechnicianInfo
	d.consoleJSON(t, "tina", &techs, "technicians", "--json")
	i := slices.IndexFunc(techs, func(ti proto.TechnicianInfo) bool { return ti.Name == "theo" })
	if i < 0 || techs[i].Availability != proto.Busy || techs[i].Sessions != 1 {
		t.Fatalf("technicians: %+v", techs)
	}
	var chs []proto.ChannelInfo
	d.consoleJSON(t, "carla", &chs, "channels", "--json")
	i = slices.IndexFunc(chs, func(c proto.ChannelInfo) bool { return c.Name == "Helpdesk" })
	if len(chs) != 2 || i < 0 || !chs[i].Manages || chs[i].Serves {
		t.Fatalf("carla's channels: %+v", chs)
	}
	if out = d.console(t, "fred", "channels"); !regexp.MustCompile(`(?m)^Finance\s+serve\s*$`).MatchString(out) {
		t.Fatalf("fred's channels:\n%s", out)
	}

	sos.signal(os.Interrupt)
	if c := sos.wait(); c != 0 {
		t.Fatalf("sos exit %d", c)
	}
	waitStatus(t, d.st, id, proto.StatusClosed)
}

// TestDeskHistory: after two Helpdesk sessions ended (one that tina
// worked on, one the end user left before anyone came), the channel's
// manager finds both in the history, page by page; tina finds the one
// she worked on, and a technician of another channel neither.
func TestDeskHistory(t *testing.T) {
	parallel(t)
	d := startDesk(t)
	sos, worked := d.request(t, "Ann", []string{"DISPLAY="})
	tina := start(t, d.techs["tina"].env, "console", "connect", "--session", worked)
	sos.expect(`Allow\?`)
	sos.say("y")
	tina.expect(`Connected to session ` + worked)
	tina.signal(syscall.SIGTERM)
	sos.expect(`Session ended by tina`)
	sos.wait()
	tina.wait()
	sos, left := d.request(t, "Bob", []string{"DISPLAY="})
	sos.signal(os.Interrupt)
	sos.wait()
	waitStatus(t, d.st, worked, proto.StatusClosed)
	waitStatus(t, d.st, left, proto.StatusClosed)

	ids := func(p proto.HistoryPage) []string {
		var out []string
		for _, s := range p.Sessions {
			if s.Status != proto.StatusClosed || s.Channel != "Helpdesk" {
				t.Fatalf("history lists %+v", s)
			}
			out = append(out, s.ID)
		}
		return out
	}
	var p proto.HistoryPage
	d.consoleJSON(t, "carla", &p, "history", "--json", "--channel", "Helpdesk", "--status", "Closed")
	if got := ids(p); !slices.Equal(got, []string{left, worked}) || p.Next != "" { // newest first
		t.Fatalf("carla's history: %v, next %q", got, p.Next)
	}
	// One page of one, then all pages.
	p = proto.HistoryPage{}
	d.consoleJSON(t, "carla", &p, "history", "--json", "--channel", "Helpdesk", "--status", "Closed", "--limit", "1")
	if got := ids(p); !slices.Equal(got, []string{left}) || p.Next == "" {
		t.Fatalf("carla's first page: %v, next %q", got, p.Next)
	}
	next := p.Next
	p = proto.HistoryPage{}
	d.consoleJSON(t, "carla", &p, "history", "--json", "--channel", "Helpdesk", "--status", "Closed", "--limit", "1", "--cursor", next)
	if got := ids(p); !slices.Equal(got, []string{worked}) {
		t.Fatalf("carla's second page: %v", got)
	}
	p = proto.HistoryPage{}
	d.consoleJSON(t, "carla", &p, "history", "--json", "--channel", "Helpdesk", "--status", "Closed", "--limit", "1", "--all-pages")
	if got := ids(p); !slices.Equal(got, []string{left, worked}) || p.Next != "" {
		t.Fatalf("carla's history, all pages: %v, next %q", got, p.Next)
	}
	// The table, and the filters by end user and date.
	today := time.Now().Format("2006-01-02")
	out := d.console(t, "carla", "history", "--channel", "Helpdesk", "--customer", "ann", "--since", today, "--until", today)
	if !regexp.MustCompile(`(?m)^`+worked+`\s+Closed\s+`+today).MatchString(out) || strings.Contains(out, left) {
		t.Fatalf("carla's history table:\n%s", out)
	}
	if out = d.console(t, "carla", "history", "--until", "2000-01-01"); strings.TrimSpace(out) != "No session matches." {
		t.Fatalf("history before 2000:\n%s", out)
	}
	// tina sees what she worked on; fred, of Finance, sees nothing of Helpdesk.
	p = proto.HistoryPage{}
	d.consoleJSON(t, "tina", &p, "history", "--json", "--channel", "Helpdesk", "--status", "Closed")
	if got := ids(p); !slices.Equal(got, []string{worked}) {
		t.Fatalf("tina's history: %v", got)
	}
	p = proto.HistoryPage{}
	d.consoleJSON(t, "fred", &p, "history", "--json", "--channel", "Helpdesk", "--status", "Closed")
	if len(p.Sessions) != 0 {
		t.Fatalf("fred's history: %+v", p.Sessions)
	}
	d.refused(t, "fred", `There is no channel "Nowhere".`, "history", "--channel", "Nowhere")
}
