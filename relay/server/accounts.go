package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/auth"
	"github.com/relaydesk/relaydesk/relay/queue"
	"github.com/relaydesk/relaydesk/relay/store"
	"github.com/relaydesk/relaydesk/relay/token"
)

// The account lifecycle on live connections. Every technician connection
// remembers the hash of the token it signed in with (a password sign-in
// mints one). Before each request the relay reads that token's user again
// (one indexed read): a deleted or expired token, a disabled account or a
// changed role closes the connection with ErrRevoked and a sentence. A
// connection that sends no request (or only Signal events) is caught by
// watchAccounts, which polls the store's change counter (moved by
// `relay user` in another process as well) and re-checks every signed-in
// connection when it moved.

// signedIn records that c signed in with the token of hash as t.
func (s *Server) signedIn(c *client, hash []byte) {
	c.mu.Lock()
	c.tokenHash = hash
	c.mu.Unlock()
	s.mu.Lock()
	s.techs[c] = struct{}{}
	s.mu.Unlock()
}

// forget drops c from the signed-in connections once it ended.
func (s *Server) forget(c *client) {
	s.mu.Lock()
	delete(s.techs, c)
	s.mu.Unlock()
}

// revoked says why the sign-in of t (with the token of hash) no longer
// holds, or returns nil when it still does.
func (s *Server) revoked(ctx context.Context, t *queue.Tech, hash []byte) (*proto.Failure, error) {
	u, err := s.st.TokenUser(ctx, hash, s.cfg.Now())
	if errors.Is(err, store.ErrNotFound) { // disabling deletes the tokens too: say which it was
		u, err = s.st.UserByID(ctx, t.User.ID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return proto.Errorf(proto.ErrRevoked, "Your account was deleted."), nil
		case err == nil && !u.Disabled:
			return proto.Errorf(proto.ErrRevoked, "Your sign-in was revoked or has expired; please sign in again."), nil
		}
	}
	switch {
	case err != nil:
		return nil, fmt.Errorf("re-check the sign-in of %s: %w", t.User.Name, err)
	case u.Disabled:
		return proto.Errorf(proto.ErrRevoked, "Your account was disabled by an administrator."), nil
	case u.Role != t.User.Role:
		return proto.Errorf(proto.ErrRevoked, "Your role changed from %s to %s; please sign in again.", t.User.Role, u.Role), nil
	}
	return nil, nil
}

// check re-checks c's sign-in and closes c when it no longer holds. A
// non-nil error means the request must not go on: the *proto.Failure c was
// closed with, or an ErrInternal one when the store could not tell.
func (c *client) check(ctx context.Context) error {
	c.mu.Lock()
	t, hash, gone := c.tech, c.tokenHash, c.revokedBy
	c.mu.Unlock()
	switch {
	case gone != nil: // closed already: no second audit event
		return gone
	case t == nil:
		return nil
	}
	f, err := c.srv.revoked(ctx, t, hash)
	if err != nil {
		c.log.Error("account check failed", "err", err)
		return proto.Errorf(proto.ErrInternal, "The relay could not check your sign-in; please try again.")
	}
	if f != nil {
		c.mu.Lock()
		first := c.revokedBy == nil
		if first {
			c.revokedBy = f
		}
		c.mu.Unlock()
		if !first { // a concurrent check closed it
			return f
		}
		c.log.Info("closing a connection whose sign-in no longer holds", "why", f.Message)
		c.srv.audit(ctx, "connection.revoked", t.User.Name, c.ip, map[string]string{"reason": f.Message})
		c.peer.CloseWith(f)
		return f
	}
	return nil
}

// recheck re-checks every signed-in connection but skip.
func (s *Server) recheck(ctx context.Context, skip *client) {
	s.mu.Lock()
	cs := make([]*client, 0, len(s.techs))
	for c := range s.techs {
		if c != skip {
			cs = append(cs, c)
		}
	}
	s.mu.Unlock()
	for _, c := range cs {
		c.check(ctx)
	}
}

// watchAccounts re-checks the signed-in connections whenever the store's
// account change counter moved, polling every interval until ctx ends.
func (s *Server) watchAccounts(ctx context.Context, interval time.Duration) {
	last, err := s.st.AccountChanges(ctx)
	if err != nil {
		s.log.Error("read the account change counter", "err", err)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := s.st.AccountChanges(ctx)
		if err != nil {
			s.log.Error("read the account change counter", "err", err)
			continue
		}
		if n != last {
			last = n
			s.recheck(ctx, nil)
		}
	}
}

// logout deletes the token c signed in with and closes every other
// connection that used it; c itself is closed by its client after the OK
// (or by the next check).
func (c *client) logout(ctx context.Context, id uint64, t *queue.Tech) {
	c.mu.Lock()
	hash := c.tokenHash
	c.mu.Unlock()
	if err := c.srv.st.DeleteToken(ctx, hash); err != nil {
		c.log.Error("delete token", "err", err)
		c.answer(id, proto.TypeOK, nil, proto.Errorf(proto.ErrInternal, "The relay could not sign you out; please try again."))
		return
	}
	c.srv.audit(ctx, "logout", t.User.Name, c.ip, nil)
	c.answer(id, proto.TypeOK, &proto.OK{}, nil)
	c.srv.recheck(ctx, c)
}

// tokenHashOf is the hash a sign-in is remembered by: the token the client
// sent (Auth) or the one the relay minted (Login).
func tokenHashOf(sent string, reply proto.LoginOK) []byte {
	if sent == "" {
		sent = reply.Token
	}
	return token.Hash(sent)
}

// hashNew checks a new password and hashes it.
func hashNew(password string) (string, error) {
	if len(password) < 8 {
		return "", fmt.Errorf("a password must have at least 8 characters")
	}
	h, err := auth.HashPassword(password)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return h, nil
}

// SetPassword gives user id a new password (used by `relay user passwd`).
// Existing sign-ins stay; revoking them is a separate step.
func SetPassword(ctx context.Context, st store.Store, id int64, password string) error {
	h, err := hashNew(password)
	if err != nil {
		return err
	}
	if err := st.SetPassword(ctx, id, h); err != nil {
		return fmt.Errorf("store the new password: %w", err)
	}
	return nil
}
