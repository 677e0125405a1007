package e2e

import (
	"context"
	"strings"
	"syscall"
	"testing"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/token"
)

// TestSOSCallWaitingAndParticipants: two SOS Call requests wait in
// Helpdesk's queue. Each app (sos --no-gui) prints its position, pushed
// by the relay: the second is number 2, and number 1 once tina picked
// the first up (whose app hears she took it). tina connects to the first,
// invites theo, who accepts and joins, and carla (the channel's manager)
// watches: the app prints who is connected in which role and who
// controls at each change. The second end user cancels with Ctrl+C and
// the request is closed.
func TestSOSCallWaitingAndParticipants(t *testing.T) {
	parallel(t)
	ctx := context.Background()
	d := startDesk(t)
	chs, err := d.st.Channels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := token.New()
	for _, ch := range chs {
		if ch.Name == "Helpdesk" {
			ch.SOSCall, ch.SOSToken = true, tok
			ch.Form = proto.IntakeForm{Name: proto.FieldRequired, Problem: proto.FieldOff, Category: proto.FieldOff, Priority: proto.FieldOff}
			if err := d.st.UpdateChannel(ctx, &ch); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitForPage(t, d.fp, "https://"+d.addr+"/c/"+tok)
	call := func(name string) *proc {
		t.Helper()
		sos := start(t, []string{"DISPLAY="}, "sos", "--call", tok, "--relay", d.addr, "--fingerprint", d.fp, "--no-gui")
		sos.expect(`^Your name \(required\):$`)
		sos.say(name)
		return sos
	}
	ann := call("Ann")
	ann.expect(`^You are number 1 in the queue of Helpdesk\.$`)
	ann.expect(`^Press Ctrl\+C to cancel your request\.$`)
	bob := call("Bob")
	bob.expect(`^You are number 2 in the queue of Helpdesk\.$`)

	ids := map[string]string{}
	var q []proto.SessionInfo
	d.consoleJSON(t, "tina", &q, "queue", "--json")
	for _, s := range q {
		ids[s.CustomerName] = s.ID
	}
	if ids["Ann"] == "" || ids["Bob"] == "" {
		t.Fatalf("the requests are not in tina's queue: %+v", q)
	}
	d.console(t, "tina", "pick", ids["Ann"])
	ann.expect(`^tina has taken your request and will ask you for permission to connect\.$`)
	bob.expect(`^You are number 1 in the queue of Helpdesk\.$`)

	tina := start(t, d.techs["tina"].env, "console", "connect", "--session", ids["Ann"])
	ann.expect(`^tina wants to connect to this computer.* Allow\? \[y = yes, v = view only, N = no\]`)
	ann.say("y")
	tina.expect(`Connected to session ` + ids["Ann"])
	ann.expect(`^Connected: tina \(your technician, controls your mouse and keyboard\)\.$`)

	notices := start(t, d.techs["theo"].env, "console", "notices") // an invitee must be signed in
	notices.expect(`Listening for notices to theo`)
	d.console(t, "tina", "invite", ids["Ann"], "--user", "theo")
	d.console(t, "theo", "accept", ids["Ann"])
	theo := start(t, d.techs["theo"].env, "console", "connect", "--session", ids["Ann"])
	ann.expect(`^theo \(invited by the technician\) wants to see your screen.* Allow\? \[y = yes, v = view only, N = no\]$`)
	ann.say("y")
	theo.expect(`^You joined tina's session as a guest\.$`)
	ann.expect(`^Connected: tina \(your technician, controls your mouse and keyboard\), theo \(guest, invited by your technician\)\.$`)

	carla := start(t, d.techs["carla"].env, "console", "connect", "--session", ids["Ann"], "--monitor")
	ann.expect(`^carla \(supervisor\) wants to watch your screen.* Allow\? \[y/N\]$`)
	ann.say("y")
	ann.expect(`^Connected: tina \(your technician, controls your mouse and keyboard\), theo \(guest, invited by your technician\), carla \(supervisor, watching\)\.$`)

	d.console(t, "tina", "control", ids["Ann"], "give", "--to", "theo")
	ann.expect(`^Connected: tina \(your technician\), theo \(guest, invited by your technician, controls your mouse and keyboard\), carla \(supervisor, watching\)\.$`)

	// The second end user gives up waiting.
	bob.signal(syscall.SIGINT)
	bob.wait()
	waitStatus(t, d.st, ids["Bob"], proto.StatusClosed)
	if s, err := d.st.Session(ctx, ids["Bob"]); err != nil || !strings.Contains(s.EndReason, "end user") {
		t.Fatalf("the cancelled request: %+v %v", s, err)
	}

	carla.signal(syscall.SIGTERM)
	carla.wait()
	ann.expect(`^Connected: tina \(your technician\), theo \(guest, invited by your technician, controls your mouse and keyboard\)\.$`)
	theo.signal(syscall.SIGTERM)
	theo.wait()
	tina.signal(syscall.SIGTERM)
	ann.expect(`Session ended by tina`)
	if c := ann.wait(); c != 0 {
		t.Fatalf("sos exit %d", c)
	}
}
