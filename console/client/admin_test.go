package client_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/console/client"
	"github.com/relaydesk/relaydesk/pkg/adminapi"
	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/transport"
	"github.com/relaydesk/relaydesk/pkg/transport/transporttest"
	"github.com/relaydesk/relaydesk/relay"
	"github.com/relaydesk/relaydesk/relay/auth"
	"github.com/relaydesk/relaydesk/relay/store"
)

// startRelay runs a real relay in-process on loopback (QUIC and HTTPS on
// one port) until the test ends.
func startRelay(t *testing.T) *relay.Relay {
	t.Helper()
	udp, tcp := transporttest.ListenShared(t)
	r, err := relay.New(relay.Config{DataDir: filepath.Join(t.TempDir(), "data"), PacketConn: udp, Listener: tcp,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	run := make(chan error, 1)
	go func() { run <- r.Run(context.Background()) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := r.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-run; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	return r
}

// signIn signs in over QUIC as the console does and returns the login.
func signIn(t *testing.T, ctx context.Context, r *relay.Relay, user, pw string) (client.Login, error) {
	t.Helper()
	c, err := client.Dial(ctx, r.Addr().String(), r.Fingerprint(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ok, err := c.Login(ctx, user, pw)
	return client.Login{Relay: r.Addr().String(), Fingerprint: r.Fingerprint(), User: user, Token: ok.Token}, err
}

// signInAdmin signs in as the administrator the relay created.
func signInAdmin(t *testing.T, ctx context.Context, r *relay.Relay) client.Login {
	t.Helper()
	pw, err := os.ReadFile(r.AdminPasswordFile())
	if err != nil {
		t.Fatal(err)
	}
	login, err := signIn(t, ctx, r, "admin", strings.TrimSpace(string(pw)))
	if err != nil {
		t.Fatal(err)
	}
	return login
}

func adminFor(t *testing.T, l client.Login) *client.Admin {
	t.Helper()
	a, err := client.NewAdmin(l)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

// refusal checks that err is the relay's answer with status and sentence.
func refusal(t *testing.T, what string, err error, status int, sentence string) {
	t.Helper()
	var ae *client.AdminError
	if !errors.As(err, &ae) || ae.Status != status || ae.Text != sentence {
		t.Errorf("%s: %v (%#v), want %d %q", what, err, ae, status, sentence)
	}
}

// The console's admin client against a real relay over real TLS: the
// admin's sign-in token configures groups, channels, technicians and
// settings and searches the history; a technician's token is refused
// with the relay's sentence; a relay presenting another key is never
// spoken to.
func TestAdminAgainstARealRelay(t *testing.T) {
	r := startRelay(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	login := signInAdmin(t, ctx, r)
	hash, err := auth.HashPassword("tina-password")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Store().CreateUser(ctx, &store.User{Name: "tina", Role: store.RoleTechnician, PasswordHash: hash, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	a := adminFor(t, login)

	p, err := a.Permissions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p.You.Name != "admin" || !p.You.Can(proto.PermManageChannel) || !p.You.Can(proto.PermManageSettings) || len(p.Table) == 0 {
		t.Fatalf("admin's permissions: %+v", p.You)
	}

	name, members := "mac", []string{"tina"}
	if g, err := a.CreateGroup(ctx, adminapi.GroupCreate{Name: name, Members: members}); err != nil || !slices.Equal(g.Members, members) {
		t.Fatalf("create group: %+v %v", g, err)
	}
	chName, groups, on, sla := "Mac support", []string{"mac"}, true, "15m"
	form := adminapi.IntakeForm{Name: "required", Problem: "optional"}
	ch, err := a.CreateChannel(ctx, adminapi.ChannelCreate{Name: chName, ChannelSettings: adminapi.ChannelSettings{Groups: &groups, SOSCall: &on, SLA: &sla, Form: &form}})
	if err != nil || ch.Name != chName || !ch.SOSCall || ch.SOSToken == "" || ch.SLA != "15m" || ch.Form.Name != "required" || !ch.Manages {
		t.Fatalf("create channel: %+v %v", ch, err)
	}
	badSLA := "soon"
	_, err = a.UpdateChannel(ctx, chName, adminapi.ChannelPatch{ChannelSettings: adminapi.ChannelSettings{SLA: &badSLA}})
	refusal(t, "a bad SLA", err, http.StatusBadRequest, `The SLA (sla) is a duration such as 15m or 24h, from 0s to 720h, not "soon".`)
	chs, err := a.Channels(ctx)
	if err != nil || len(chs) != 1 || chs[0].SLA != "15m" {
		t.Fatalf("channels after the refused change: %+v %v", chs, err)
	}
	rec := adminapi.ChannelRecording{Policy: "required", KeepDays: 14}
	if got, err := a.SetChannelRecording(ctx, chName, rec); err != nil || got != rec {
		t.Fatalf("set the recording policy: %+v %v", got, err)
	}
	_, err = a.SetChannelRecording(ctx, chName, adminapi.ChannelRecording{Policy: "sometimes"})
	refusal(t, "a bad recording policy", err, http.StatusUnprocessableEntity,
		`The request is not valid: body.policy: expected value to be one of "off, allowed, required".`)
	if got, err := a.ChannelRecording(ctx, chName); err != nil || got != rec {
		t.Fatalf("the recording policy after the refused change: %+v %v", got, err)
	}

	role, langs, limit := "channel-manager", []string{"de", "en"}, 3
	tech, err := a.UpdateTechnician(ctx, "tina", adminapi.TechnicianPatch{Role: &role, Profile: &adminapi.ProfilePatch{Languages: &langs, MaxSessions: &limit},
		Overrides: &[]adminapi.Override{{Permission: string(proto.PermReadAudit), Allow: true}}})
	if err != nil || tech.Role != role || !slices.Equal(tech.Languages, langs) || tech.MaxSessions != 3 || len(tech.Overrides) != 1 {
		t.Fatalf("update technician: %+v %v", tech, err)
	}
	reset, err := a.ResetPassword(ctx, "tina", "", false)
	if err != nil || reset.Password == "" {
		t.Fatalf("reset password: %+v %v", reset, err)
	}
	if _, err := signIn(t, ctx, r, "tina", "tina-password"); err == nil {
		t.Fatal("the old password still signs in")
	}
	tinaLogin, err := signIn(t, ctx, r, "tina", reset.Password)
	if err != nil {
		t.Fatalf("the new password does not sign in: %v", err)
	}

	org := "Example Corp"
	if s, err := a.UpdateSettings(ctx, adminapi.SettingsPatch{Organisation: &org, Categories: &[]string{"Hardware", "Software"}}); err != nil ||
		s.Organisation != org || !slices.Equal(s.Categories, []string{"Hardware", "Software"}) {
		t.Fatalf("settings: %+v %v", s, err)
	}

	// The technician's own token: what they may not do is refused by the relay.
	ta := adminFor(t, tinaLogin)
	tp, err := ta.Permissions(ctx)
	if err != nil || tp.You.Can(proto.PermManageSettings) || !tp.You.Can(proto.PermReadAudit) {
		t.Fatalf("tina's permissions: %+v %v", tp.You, err)
	}
	other := "Evil Corp"
	_, err = ta.UpdateSettings(ctx, adminapi.SettingsPatch{Organisation: &other})
	refusal(t, "tina changes the settings", err, http.StatusForbidden, "You may not change the organisation's settings.")

	// History: a closed session of the channel, found and opened.
	chID := int64(0)
	for _, c := range mustChannels(t, r) {
		if c.Name == chName {
			chID = c.ID
		}
	}
	ended := time.Now().Add(-time.Minute)
	s := store.Session{ID: "s-closed", Kind: proto.KindLink, Status: proto.StatusClosed, CustomerName: "Erika Muster", ChannelID: chID,
		CreatedAt: ended.Add(-10 * time.Minute), EndedAt: ended}
	if err := r.Store().CreateSession(ctx, &s, store.StatusEvent{SessionID: s.ID, At: s.CreatedAt, Status: proto.StatusClosed, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	page, err := a.History(ctx, proto.HistoryRequest{Channel: chName, Customer: "erika", Statuses: []proto.Status{proto.StatusClosed, proto.StatusExpired},
		Since: ended.Add(-time.Hour), Limit: 10})
	if err != nil || len(page.Sessions) != 1 || page.Sessions[0].ID != "s-closed" || page.Next != "" {
		t.Fatalf("history: %+v %v", page, err)
	}
	if page, err := a.History(ctx, proto.HistoryRequest{Customer: "nobody"}); err != nil || len(page.Sessions) != 0 {
		t.Fatalf("history for nobody: %+v %v", page, err)
	}
	d, err := a.SessionDetails(ctx, "s-closed")
	if err != nil || d.Session.CustomerName != "Erika Muster" || len(d.History) == 0 {
		t.Fatalf("details: %+v %v", d, err)
	}
	_, err = a.SessionDetails(ctx, "no-such-session")
	var ae *client.AdminError
	if !errors.As(err, &ae) || ae.Status != http.StatusNotFound || ae.Text == "" {
		t.Fatalf("unknown session: %v", err)
	}

	// Another key: the TLS handshake fails before any request is sent.
	wrong := login
	wrong.Fingerprint = "sha256:" + strings.Repeat("00", 32)
	_, err = adminFor(t, wrong).Settings(ctx)
	if !errors.Is(err, transport.ErrFingerprintMismatch) {
		t.Fatalf("a relay with another key: %v", err)
	}
}

func mustChannels(t *testing.T, r *relay.Relay) []store.Channel {
	t.Helper()
	chs, err := r.Store().Channels(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return chs
}
