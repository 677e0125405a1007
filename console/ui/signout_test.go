package ui

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"github.com/relaydesk/relaydesk/console/client"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// Sign out forgets the token on this computer and asks the relay to revoke
// it, after ending the open sessions; a relay that cannot be told is said.
func TestSignOutRevokesTheToken(t *testing.T) {
	for _, relayDown := range []bool{false, true} {
		c, be, _ := newTestConsole(t)
		var saved []client.Login
		c.opts.SaveLogin = func(l client.Login) error { saved = append(saved, l); return nil }
		if relayDown {
			be.signOutErr = errors.New("no route to host")
		}
		c.ShowQueue(client.Login{Relay: "relay:4433", User: "tina", Token: "secret-token"})
		<-be.watching
		c.Connect(proto.Connect{Code: "123456789"})
		r := be.remotes[0]

		c.signOut()
		if len(saved) != 1 || saved[0].Token != "" || saved[0].User != "tina" || c.login.Token != "" {
			t.Fatalf("saved after sign-out: %+v, login %+v", saved, c.login)
		}
		if !r.ended {
			t.Fatal("the open session was not ended")
		}
		eventually(t, "the logout", func() bool {
			be.mu.Lock()
			defer be.mu.Unlock()
			return slices.Equal(be.signOuts, []string{"secret-token"})
		})
		if relayDown {
			eventually(t, "the note", func() bool {
				var text string
				fyne.DoAndWait(func() { text = c.signInErr.Text })
				return strings.Contains(text, "the relay could not be told (Could not reach the relay at relay:4433: no route to host.)")
			})
		} else if c.signInErr.Text != "" {
			t.Fatalf("note after a clean sign-out: %q", c.signInErr.Text)
		}
		if c.pwEntry == nil || c.userEntry.Text != "tina" {
			t.Fatal("the sign-in screen is not up for tina")
		}
	}
}
