package api

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/queue"
	"github.com/relaydesk/relaydesk/relay/store"
	"github.com/relaydesk/relaydesk/relay/throttle"
	"github.com/relaydesk/relaydesk/relay/token"
)

// metaPermission is the key of an operation's permission in its Metadata.
const metaPermission = "relaydesk.permission"

// APIPrefix starts the user name an API token acts as ("api:NAME").
const APIPrefix = "api:"

type callerKey struct{}

// caller is who makes a request, as authenticate found them.
type caller struct {
	User store.User // an API token: ID 0, Name "api:NAME", the token's role
	API  bool       // authenticated by an API token, not a sign-in
	IP   string
	// Method and Path are the request's, for audit events.
	Method, Path string
}

// from returns the caller of an authenticated operation.
func from(ctx context.Context) *caller {
	c, _ := ctx.Value(callerKey{}).(*caller)
	if c == nil {
		panic("api: an operation without a caller") // register gives every non-public operation one
	}
	return c
}

// tech is the caller as the queue's methods take it: without a
// connection, so only for methods that send nothing to it.
func (c *caller) tech() *queue.Tech { return &queue.Tech{User: c.User, IP: c.IP} }

var (
	errNoToken  = proto.Errorf(proto.ErrUnauthenticated, "Send a token as \"Authorization: Bearer <token>\": an API token or a technician's sign-in token.")
	errBadToken = proto.Errorf(proto.ErrUnauthenticated, "The token is not valid: it is unknown, expired or revoked.")
	errDisabled = proto.Errorf(proto.ErrUnauthenticated, "The account of this sign-in token is disabled.")
)

// authenticate is the middleware that finds the caller of every
// operation but the public ones, or answers 401 (429 while the source
// has presented too many bad tokens).
func (h *handler) authenticate(ctx huma.Context, next func(huma.Context)) {
	op := ctx.Operation()
	if len(op.Security) == 0 {
		next(ctx)
		return
	}
	ip := remoteIP(ctx.RemoteAddr())
	src := throttle.Source(ip)
	scheme, tok, _ := strings.Cut(strings.TrimSpace(ctx.Header("Authorization")), " ")
	tok = strings.TrimSpace(tok)
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		h.deny(ctx, http.StatusUnauthorized, errNoToken.Message)
		return
	}
	if blocked, wait := h.badTokens.Blocked(src); blocked {
		h.logs.Info(h.log, "API request refused: too many bad tokens from this network", "source", src)
		secs := int((wait + time.Second - 1) / time.Second)
		ctx.SetHeader("Retry-After", strconv.Itoa(secs))
		h.deny(ctx, http.StatusTooManyRequests, fmt.Sprintf("Too many failed attempts from your network. Try again in %d seconds.", secs))
		return
	}
	rctx := ctx.Context()
	u, api, err := h.lookup(rctx, tok)
	if err != nil {
		if proto.CodeOf(err) == proto.ErrUnauthenticated {
			h.badTokens.Allow(src)
			kind, actor := "api.token.rejected", ""
			if err == errDisabled {
				kind, actor = "api.token.disabled", u.Name
			}
			h.audit(rctx, &caller{User: store.User{Name: actor}, IP: ip}, kind, map[string]string{"method": ctx.Method(), "path": ctx.URL().Path})
			h.deny(ctx, http.StatusUnauthorized, sentence(err))
			return
		}
		h.log.Error("api: check a token", "err", err)
		h.deny(ctx, http.StatusInternalServerError, "The relay could not check your token; please try again.")
		return
	}
	// Configuration another process changed (`relay channel`, `relay
	// user`) counts from this request on, not from the next sweep.
	if _, err := h.desk.Refresh(rctx); err != nil {
		h.log.Error("api: reload the service desk's configuration", "err", err)
	}
	c := &caller{User: u, API: api, IP: ip, Method: ctx.Method(), Path: ctx.URL().Path}
	next(huma.WithValue(ctx, callerKey{}, c))
}

// lookup resolves a bearer token: an API token that is not revoked (its
// use recorded), else a technician's sign-in token of an enabled account.
func (h *handler) lookup(ctx context.Context, tok string) (u store.User, api bool, err error) {
	if len(tok) > 512 { // no token of the relay is this long; do not hash a megabyte
		return u, false, errBadToken
	}
	hash := token.Hash(tok)
	now := h.cfg.Now()
	t, err := h.st.APITokenByHash(ctx, hash)
	switch {
	case err == nil && t.Role.Valid():
		if err := h.st.TouchAPIToken(context.WithoutCancel(ctx), t.ID, now); err != nil {
			h.log.Error("api: record an API token's use", "token", t.Name, "err", err)
		}
		return store.User{Name: APIPrefix + t.Name, Role: t.Role, CreatedAt: t.CreatedAt}, true, nil
	case err == nil:
		h.log.Error("api: an API token has an unknown role", "token", t.Name, "role", t.Role)
		return u, false, errBadToken
	case !errors.Is(err, store.ErrNotFound):
		return u, false, err
	}
	u, err = h.st.TokenUser(ctx, hash, now)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return u, false, errBadToken
	case err != nil:
		return u, false, err
	case u.Disabled:
		return u, false, errDisabled
	}
	return u, false, nil
}

// authorize is the middleware that checks the permission an operation
// names (its x-permission) before its handler runs.
func (h *handler) authorize(ctx huma.Context, next func(huma.Context)) {
	perm, _ := ctx.Operation().Metadata[metaPermission].(proto.Permission)
	if perm == "" {
		next(ctx)
		return
	}
	c := from(ctx.Context())
	if err := h.desk.Require(c.User, perm); err != nil {
		h.deny(ctx, http.StatusForbidden, sentence(h.refuse(ctx.Context(), c, err)))
		return
	}
	next(ctx)
}

// deny writes an error answer from a middleware.
func (h *handler) deny(ctx huma.Context, status int, msg string) {
	if status == http.StatusUnauthorized {
		ctx.SetHeader("WWW-Authenticate", `Bearer realm="RelayDesk"`)
	}
	huma.WriteErr(h.api, ctx, status, msg)
}

// refuse audits a refusal by relay/desk and returns it as a 403 answer
// with the desk's sentence.
func (h *handler) refuse(ctx context.Context, c *caller, err error) error {
	h.audit(ctx, c, "api.refused", map[string]string{"method": c.Method, "path": c.Path, "reason": sentence(err)})
	return newError(http.StatusForbidden, sentence(err))
}

// audit records an event by c, even when the request was cancelled.
func (h *handler) audit(ctx context.Context, c *caller, kind string, detail map[string]string) {
	h.auditSession(ctx, c, kind, "", detail)
}

// auditSession records an event by c about session id ("": none).
func (h *handler) auditSession(ctx context.Context, c *caller, kind, id string, detail map[string]string) {
	e := &store.AuditEvent{At: h.cfg.Now(), Kind: kind, Actor: store.Clip(c.User.Name, store.MaxAuditActor), Source: c.IP, SessionID: id, Detail: detail}
	if err := h.st.Audit(context.WithoutCancel(ctx), e); err != nil {
		h.log.Error("audit event not stored", "kind", kind, "err", err)
	}
}

// changed audits a successful change and applies the configuration to
// the running relay.
func (h *handler) changed(ctx context.Context, c *caller, kind string, detail map[string]string) {
	h.audit(ctx, c, kind, detail)
	if err := h.desk.Reload(context.WithoutCancel(ctx)); err != nil {
		h.log.Error("api: reload the service desk's configuration", "err", err)
	}
}

// remoteIP is the address part of a request's RemoteAddr.
func remoteIP(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}
