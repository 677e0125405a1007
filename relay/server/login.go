package server

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/auth"
	"github.com/relaydesk/relaydesk/relay/queue"
	"github.com/relaydesk/relaydesk/relay/store"
	"github.com/relaydesk/relaydesk/relay/throttle"
	"github.com/relaydesk/relaydesk/relay/token"
)

// audit records an event. The actor is cut to MaxAuditActor bytes: a failed
// sign-in's user name is what the client typed (sometimes a password in the
// wrong field) and is kept short.
func (s *Server) audit(ctx context.Context, kind, actor, source string, detail map[string]string) {
	e := &store.AuditEvent{At: s.cfg.Now(), Kind: kind, Actor: store.Clip(actor, store.MaxAuditActor), Source: source, Detail: detail}
	if err := s.st.Audit(context.WithoutCancel(ctx), e); err != nil {
		s.log.Error("audit event not stored", "kind", kind, "err", err)
	}
}

var errWrongLogin = proto.Errorf(proto.ErrBadCredentials, "Wrong user name or password.")

// dummyHash costs what a stored hash costs (the same argon2id parameters)
// and matches no password: unknown and disabled users are checked against
// it, so the answer's timing does not tell which accounts exist (M4).
var dummyHash = fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
	auth.DefaultParams.Memory, auth.DefaultParams.Time, auth.DefaultParams.Threads,
	base64.RawStdEncoding.EncodeToString(make([]byte, 16)), base64.RawStdEncoding.EncodeToString(make([]byte, 32)))

// openThrottles loads the login throttles from the store, so that a restart
// forgives no failure.
func (s *Server) openThrottles(ctx context.Context) error {
	var err error
	if s.loginT, err = throttle.Open(ctx, s.cfg.LoginThrottle, s.cfg.Now, s.st, "logins", s.log); err != nil {
		return err
	}
	s.userT, err = throttle.Open(ctx, s.cfg.LoginUserThrottle, s.cfg.Now, s.st, "logins.user", s.log)
	return err
}

// loginAttempts are the attempts one login holds on its throttle keys: the
// source and the user name with the source lock, the user name alone only
// slows down (M4).
type loginAttempts struct {
	src, userSrc, user *throttle.Attempt
	keys               [3]string
}

// maxNameKey is the longest user name (CreateUser) and so the most of a
// name a throttle key holds.
const maxNameKey = 100

// beginLogin reserves an attempt on each key before anything is hashed, so
// that logins sent in parallel all count (H2), or says which key refused.
func (s *Server) beginLogin(ip, name string) (*loginAttempts, error) {
	src := throttle.Source(ip)
	if len(name) > maxNameKey { // no account has a longer name; keep keys small
		name = name[:maxNameKey]
	}
	la := &loginAttempts{keys: [3]string{"ip:" + src, "user+ip:" + name + "|" + src, "user:" + name}}
	var err error
	if la.src, err = s.loginT.Begin(la.keys[0]); err != nil {
		return nil, err
	}
	if la.userSrc, err = s.loginT.Begin(la.keys[1]); err != nil {
		la.src.Cancel()
		return nil, err
	}
	if la.user, err = s.userT.Begin(la.keys[2]); err != nil {
		la.src.Cancel()
		la.userSrc.Cancel()
		return nil, err
	}
	return la, nil
}

// cancel ends the attempts as if they had not happened.
func (la *loginAttempts) cancel() {
	la.src.Cancel()
	la.userSrc.Cancel()
	la.user.Cancel()
}

// refused turns a throttle denial into the sentence for the person.
func refused(err error) error {
	var d *throttle.Denied
	errors.As(err, &d)
	f := proto.Errorf(proto.ErrThrottled, "Too many failed sign-ins. Try again in %s.", (d.RetryAfter + time.Second - 1).Truncate(time.Second))
	f.RetryAfter = d.RetryAfter
	return f
}

// hashSlot waits for one of the password-check slots, or refuses at once
// when cfg.LoginQueue logins are already waiting.
func (s *Server) hashSlot(ctx context.Context) (release func(), err error) {
	if s.waiting.Add(1) > int32(s.cfg.LoginQueue) {
		s.waiting.Add(-1)
		f := proto.Errorf(proto.ErrThrottled, "The relay is busy checking other sign-ins. Try again in 5 seconds.")
		f.RetryAfter = 5 * time.Second
		return nil, f
	}
	defer s.waiting.Add(-1)
	select {
	case s.hashing <- struct{}{}:
		return func() { <-s.hashing }, nil
	case <-ctx.Done():
		return nil, proto.Errorf(proto.ErrShuttingDown, "The sign-in was cancelled.")
	}
}

// login checks a password, throttling failures per source, per user name
// and source, and per user name, and issues a token.
func (s *Server) login(ctx context.Context, conn queue.Conn, ip string, m proto.Login) (proto.LoginOK, *queue.Tech, error) {
	la, err := s.beginLogin(ip, m.User)
	if err != nil {
		return proto.LoginOK{}, nil, refused(err)
	}
	u, err := s.st.UserByName(ctx, m.User)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		la.cancel()
		s.log.Error("look up user", "err", err)
		return proto.LoginOK{}, nil, proto.Errorf(proto.ErrInternal, "The relay could not check your sign-in; please try again.")
	}
	disabled := err == nil && u.Disabled
	known := err == nil && !u.Disabled
	phc := dummyHash
	if known {
		phc = u.PasswordHash
	}
	release, err := s.hashSlot(ctx)
	if err != nil {
		la.cancel()
		return proto.LoginOK{}, nil, err
	}
	ok, err := s.check(phc, m.Password)
	release()
	if err != nil {
		s.log.Error("stored password hash unreadable", "user", m.User, "err", err)
	}
	if !ok || !known {
		for i, a := range []*throttle.Attempt{la.src, la.userSrc, la.user} {
			if a.Fail() {
				s.audit(ctx, "login.locked", m.User, ip, map[string]string{"key": la.keys[i]})
			}
		}
		var detail map[string]string
		if disabled { // the account exists: the auditor wants to know someone still tries it
			detail = map[string]string{"account": "disabled"}
		}
		s.audit(ctx, "login.failed", m.User, ip, detail)
		return proto.LoginOK{}, nil, errWrongLogin
	}
	// A success forgives the name, never the source: signing in to one's own
	// account must not reset the count of guesses at another's.
	la.src.Cancel()
	la.userSrc.Succeed()
	la.user.Succeed()
	tok, hash := token.New()
	exp := s.cfg.Now().Add(s.cfg.TokenTTL)
	if err := s.st.CreateToken(ctx, hash, u.ID, exp); err != nil {
		s.log.Error("store token", "err", err)
		return proto.LoginOK{}, nil, proto.Errorf(proto.ErrInternal, "The relay could not complete your sign-in; please try again.")
	}
	s.audit(ctx, "login.ok", u.Name, ip, nil)
	return proto.LoginOK{Token: tok, ExpiresAt: exp, UserID: u.ID, User: u.Name, Role: string(u.Role)},
		&queue.Tech{User: u, IP: ip, Conn: conn}, nil
}

// auth resumes a login with a token.
func (s *Server) auth(ctx context.Context, conn queue.Conn, ip string, m proto.Auth) (proto.LoginOK, *queue.Tech, error) {
	u, err := s.st.TokenUser(ctx, token.Hash(m.Token), s.cfg.Now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.audit(ctx, "token.rejected", "", ip, nil)
		return proto.LoginOK{}, nil, proto.Errorf(proto.ErrUnauthenticated, "Your sign-in has expired; please sign in again.")
	case err != nil:
		s.log.Error("look up token", "err", err)
		return proto.LoginOK{}, nil, proto.Errorf(proto.ErrInternal, "The relay could not check your sign-in; please try again.")
	case u.Disabled:
		s.audit(ctx, "token.disabled", u.Name, ip, nil)
		return proto.LoginOK{}, nil, proto.Errorf(proto.ErrUnauthenticated, "Your account is disabled.")
	}
	s.audit(ctx, "login.token", u.Name, ip, nil)
	return proto.LoginOK{UserID: u.ID, User: u.Name, Role: string(u.Role)}, &queue.Tech{User: u, IP: ip, Conn: conn}, nil
}

// CreateUser adds an account with a hashed password (used by `relay user add`
// and the first start).
func CreateUser(ctx context.Context, st store.Store, name string, role store.Role, password string) (store.User, error) {
	if name == "" || len(name) > 100 {
		return store.User{}, fmt.Errorf("a user name must have 1 to 100 characters")
	}
	if !role.Valid() {
		return store.User{}, fmt.Errorf("unknown role %q (roles: admin, technician-manager, channel-manager, technician)", role)
	}
	h, err := hashNew(password)
	if err != nil {
		return store.User{}, err
	}
	u := store.User{Name: name, Role: role, PasswordHash: h}
	if err := st.CreateUser(ctx, &u); err != nil {
		if errors.Is(err, store.ErrExists) {
			return store.User{}, fmt.Errorf("a user named %q already exists", name)
		}
		return store.User{}, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}
