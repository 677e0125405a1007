package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/auth"
	"github.com/relaydesk/relaydesk/relay/store"
)

// minPassword is the shortest password the relay accepts (as `relay user
// passwd` does).
const minPassword = 8

type passwordResetOutput struct{ Body PasswordReset }

// passwordRoute lets whoever manages technicians reset a password, as
// `relay user passwd` does on the relay's host; only an admin may reset
// an admin's.
func (h *handler) passwordRoute() {
	register(h, opts{id: "reset-password", method: http.MethodPost, path: "/technicians/{name}/password", tag: "technicians",
		summary: "Reset a technician's password", perm: proto.PermManageTechnicians,
		errs: []int{http.StatusBadRequest, http.StatusNotFound}},
		func(ctx context.Context, in *struct {
			Name string `path:"name"`
			Body PasswordResetRequest
		}) (*passwordResetOutput, error) {
			c := from(ctx)
			u, err := h.userByName(ctx, in.Name)
			if errors.Is(err, store.ErrNotFound) {
				return nil, newError(http.StatusNotFound, fmt.Sprintf("There is no technician %q.", in.Name))
			} else if err != nil {
				return nil, h.fail("look the technician up", err)
			}
			if u.Role == store.RoleAdmin && c.User.Role != store.RoleAdmin {
				return nil, h.refuse(ctx, c, proto.Errorf(proto.ErrForbidden, "Only an admin may reset an admin's password."))
			}
			out := &passwordResetOutput{}
			pw := in.Body.Password
			if pw == "" {
				pw = auth.NewPassword()
				out.Body.Password = pw
			} else if utf8.RuneCountInString(pw) < minPassword {
				return nil, bad("A password has at least %d characters.", minPassword)
			}
			hash, err := auth.HashPassword(pw)
			if err != nil {
				return nil, h.fail("hash the password", err)
			}
			if err := h.st.SetPassword(ctx, u.ID, hash); err != nil {
				return nil, h.fail("change the password", err)
			}
			detail := map[string]string{"technician": u.Name}
			if in.Body.SignOut {
				n, err := h.st.DeleteTokens(ctx, u.ID)
				if err != nil {
					return nil, h.fail("end the technician's sign-ins", err)
				}
				out.Body.SignedOut = n
				detail["signed_out"] = strconv.Itoa(n)
			}
			h.changed(ctx, c, "api.technician.password", detail)
			return out, nil
		})
}
