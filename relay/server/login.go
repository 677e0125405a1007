package server

import (
	"context"
	"errors"
	"fmt"

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

// login checks a password, throttling failures per user name and per
// source, and issues a token.
func (s *Server) login(ctx context.Context, conn queue.Conn, ip string, m proto.Login) (proto.LoginOK, *queue.Tech, error) {
	keys := []string{"user:" + m.User, "ip:" + ip}
	for _, k := range keys {
		if err := s.loginT.Allow(k); err != nil {
			var d *throttle.Denied
			errors.As(err, &d)
			s.audit(ctx, "login.throttled", m.User, ip, map[string]string{"key": k})
			f := proto.Errorf(proto.ErrThrottled, "Too many failed sign-ins. Try again in %s.", d.RetryAfter.Round(1e9))
			f.RetryAfter = d.RetryAfter
			return proto.LoginOK{}, nil, f
		}
	}
	u, err := s.st.UserByName(ctx, m.User)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Error("look up user", "err", err)
		return proto.LoginOK{}, nil, proto.Errorf(proto.ErrInternal, "The relay could not check your sign-in; please try again.")
	}
	ok := false
	if err == nil && !u.Disabled {
		s.hashing <- struct{}{}
		ok, err = auth.CheckPassword(u.PasswordHash, m.Password)
		<-s.hashing
		if err != nil {
			s.log.Error("stored password hash unreadable", "user", u.Name, "err", err)
		}
	}
	if !ok {
		for _, k := range keys {
			s.loginT.Fail(k)
		}
		s.audit(ctx, "login.failed", m.User, ip, nil)
		return proto.LoginOK{}, nil, errWrongLogin
	}
	for _, k := range keys {
		s.loginT.Reset(k)
	}
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
