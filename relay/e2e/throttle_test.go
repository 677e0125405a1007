package e2e

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/transport"
)

// The real relay keeps used codes and failure counts in its database: after
// a crash and restart, a used code is still recognised (and counted), and
// the count of wrong codes goes on from where it was.
func TestUsedCodesAndCountsSurviveARelayRestart(t *testing.T) {
	parallel(t)
	r := startRelay(t)
	tech := r.login(t, "admin", r.adminPW)
	code, _ := connectByCode(t, r, tech)
	if out, c := run(t, tech.env, "", "console", "connect", "000000001"); c == 0 || !strings.Contains(out, "No session has code") {
		t.Fatalf("wrong code: %d %s", c, out)
	}

	r.kill()
	r.launch(t)
	out, c := run(t, tech.env, "", "console", "connect", strings.ReplaceAll(code, " ", ""))
	if c == 0 || !strings.Contains(out, "was already used") {
		t.Fatalf("the used code after a restart: %d %s", c, out)
	}
	saved, err := r.openStore(t).ThrottleEntries(context.Background(), "codes.source")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(saved["ip:127.0.0.1"].Fails); n != 2 {
		t.Fatalf("the source's count is %d after one wrong and one used code across a restart, want 2: %+v", n, saved)
	}
}

// connectByCode starts an SOS app and a console that connects to it with
// its code and the end user's consent; it returns the code and the session ID.
func connectByCode(t *testing.T, r *relay, tech technician) (code, id string) {
	t.Helper()
	sos := start(t, nil, "sos", "--relay", r.addr, "--fingerprint", r.fp, "--no-gui")
	code = sos.expect(codeLine)[1]
	con := start(t, tech.env, "console", "connect", code)
	sos.expect(`Allow\?`)
	sos.say("y")
	return code, con.expect(`Connected to session ([0-9a-f]+)`)[1]
}

// The real relay closes a connection that said Hello but neither signs in
// nor registers within its Hello timeout (10 s), with a sentence.
func TestSilentConnectionIsClosed(t *testing.T) {
	parallel(t)
	r := startRelay(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, st, err := transport.Dial(ctx, r.addr, r.fp)
	if err != nil {
		t.Fatal(err)
	}
	peer := transport.PeerOn(conn, st)
	done := make(chan error, 1)
	go func() { done <- peer.Run(context.Background(), func(proto.Envelope) {}) }()
	defer func() { peer.Close(); <-done }()
	if err := peer.Call(ctx, proto.TypeHello, &proto.Hello{Version: proto.Version, Role: proto.RoleTechnician, Client: "e2e"}, proto.TypeWelcome, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-conn.Context().Done():
	case <-ctx.Done():
		t.Fatal("a connection that never signed in is still open after a minute")
	}
	var ae *quic.ApplicationError
	cause := context.Cause(conn.Context())
	if !errors.As(cause, &ae) || ae.ErrorCode != quic.ApplicationErrorCode(proto.ErrSignInTimeout) {
		t.Fatalf("closed with %v", cause)
	}
	if got := transport.Describe(cause, r.addr); got != "The relay closed the connection: it did not sign in or register within 10s." {
		t.Fatalf("told %q", got)
	}
}
