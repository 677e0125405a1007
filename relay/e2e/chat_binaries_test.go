package e2e

import (
	"encoding/json"
	"strings"
	"syscall"
	"testing"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// TestChatAndRatingWithTheBinaries: the end user (sos --no-gui) and the
// technician (console connect, console session --chat) chat both ways
// through the relay; after the technician ends the session the end user
// rates it, and `console session ID --json` shows the rating and the
// transcript, to the technician and to nobody else.
func TestChatAndRatingWithTheBinaries(t *testing.T) {
	parallel(t)
	r := startRelay(t)
	r.addUser(t, "tina", "technician", "tina-password-1")
	tech := r.login(t, "tina", "tina-password-1")
	out, code := run(t, tech.env, "", "console", "link", "create", "--name", "Ann")
	if code != 0 {
		t.Fatalf("link create: %s", out)
	}
	sos := start(t, nil, "sos", "--link", strings.Fields(out)[0], "--fingerprint", r.fp, "--no-gui", "--ask-rating")
	sos.expect(`Waiting for tina to connect`)
	id := queueOf(t, tech, false)[0].ID

	con := start(t, tech.env, "console", "connect", "--session", id)
	sos.expect(`tina wants to connect to this computer through the support server 127\.0\.0\.1\..* Allow\? \[y = yes, v = view only, N = no\]`)
	sos.say("y")
	con.expect(`Connected to session ` + id)
	sos.expect(`tina is now connected to this computer`)

	sos.say("My printer says E42")
	con.expect(`^Chat from Ann: My printer says E42$`)
	sos.expect(`^You wrote: My printer says E42$`)
	out, code = run(t, tech.env, "", "console", "session", id, "--chat", "Please turn it off and on again.")
	if code != 0 {
		t.Fatalf("console session --chat: %d %s", code, out)
	}
	sos.expect(`^Chat from tina: Please turn it off and on again\.$`)
	con.expect(`^Chat from tina: Please turn it off and on again\.$`)
	out, code = run(t, tech.env, "", "console", "session", id, "--chat", "   ")
	if code == 0 || strings.TrimSpace(out) != "A chat message cannot be empty." {
		t.Fatalf("empty chat: %d %q", code, out)
	}

	con.signal(syscall.SIGTERM)
	sos.expect(`Session ended by tina`)
	sos.expect(`How was the support\? Type 1 to 5 stars`)
	sos.say("4 Quick and friendly")
	sos.expect(`Thank you for your rating\.`)
	if c := sos.wait(); c != 0 {
		t.Fatalf("sos exit %d", c)
	}
	con.wait()

	out, code = run(t, tech.env, "", "console", "session", id, "--json")
	if code != 0 {
		t.Fatalf("console session --json: %d %s", code, out)
	}
	var d proto.SessionDetails
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if d.Session.ID != id || d.Session.Status != "Closed" || d.Session.Rating != 4 || d.Session.RatingComment != "Quick and friendly" {
		t.Fatalf("session %+v", d.Session)
	}
	if len(d.Chat) != 2 || d.Chat[0].From != "Ann" || d.Chat[0].FromPeer != 0 || d.Chat[1].From != "tina" || d.Chat[1].FromPeer == 0 ||
		d.Chat[1].Text != "Please turn it off and on again." || d.Chat[1].At.Before(d.Chat[0].At) {
		t.Fatalf("chat %+v", d.Chat)
	}
	var history []string
	for _, e := range d.History {
		history = append(history, string(e.Status)+":"+e.Detail)
	}
	if !strings.Contains(strings.Join(history, "|"), "Closed:rated the session 4 of 5 stars") {
		t.Fatalf("history %q", history)
	}
	out, _ = run(t, tech.env, "", "console", "session", id)
	if !strings.Contains(out, "★★★★☆ 4 of 5: \"Quick and friendly\"") || !strings.Contains(out, "Ann: My printer says E42") {
		t.Fatalf("console session: %s", out)
	}

	// Another technician can see neither the session nor its chat.
	r.addUser(t, "mallory", "technician", "mallory-password")
	other := r.login(t, "mallory", "mallory-password")
	out, code = run(t, other.env, "", "console", "session", id, "--json")
	if code == 0 || !strings.Contains(out, "There is no session "+id+" that you may see.") || strings.Contains(out, "E42") {
		t.Fatalf("another technician: %d %s", code, out)
	}
}
