package e2e

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/console/client"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// TestDeskRemoveGuest: tina owns an active session with theo as an
// invited guest (real console and SOS binaries); over the desktop
// console's client call she removes him: theo's console says why it left,
// his notices say who removed him, the end user is told, the session goes
// on, and theo may not come back without a new invitation. Only the owner
// removes.
func TestDeskRemoveGuest(t *testing.T) {
	parallel(t)
	disp := xvfb(t, 640, 480)
	d := startDesk(t)
	notices := start(t, d.techs["theo"].env, "console", "notices") // makes theo invitable
	notices.expect(`Listening for notices to theo`)
	sos, id := d.request(t, "Ann", []string{"DISPLAY=" + disp})
	tina := start(t, d.techs["tina"].env, "console", "connect", "--session", id)
	sos.expect(`tina wants to connect to this computer`)
	sos.say("y")
	tina.expect(`Connected to session ` + id)
	d.console(t, "tina", "invite", id, "--user", "theo")
	d.console(t, "theo", "accept", id)
	theo := start(t, d.techs["theo"].env, "console", "connect", "--session", id)
	sos.expect(`^theo \(invited by the technician\) wants to see your screen`)
	sos.say("y")
	theo.expect(`^You joined tina's session as a guest\.$`)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	as := func(user string) *client.Conn {
		c, err := client.Dial(ctx, d.addr, d.fp, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if _, err := c.Login(ctx, user, user+"-password"); err != nil {
			t.Fatal(err)
		}
		return c
	}
	err := as("theo").RemoveGuest(ctx, id, "theo")
	if f, ok := err.(*proto.Failure); !ok || f.Message != "Only the session's owner removes guests; tina owns it." {
		t.Fatalf("theo removes himself: %v", err)
	}
	if err := as("tina").RemoveGuest(ctx, id, "theo"); err != nil {
		t.Fatal(err)
	}
	theo.expect(`^You left the session \(removed by tina\)\.$`)
	notices.expect(`^\[removed\] tina removed you from the session of Ann \(` + id + `\)$`)
	if c := theo.wait(); c != 0 {
		t.Fatalf("theo's console exit %d, want 0", c)
	}
	sos.expect(`^theo left the session \(removed by tina\)\.$`)
	waitStatus(t, d.st, id, proto.StatusActive)
	out, errOut, code := runSplit(t, d.techs["theo"].env, "", "console", "connect", "--session", id)
	if code == 0 {
		t.Fatalf("theo joined again without an invitation: %s%s", out, errOut)
	}
	tina.signal(syscall.SIGTERM)
	sos.expect(`Session ended by tina`)
}
