package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/relaydesk/relaydesk/relay"
	"github.com/relaydesk/relaydesk/relay/auth"
	"github.com/relaydesk/relaydesk/relay/server"
	"github.com/relaydesk/relaydesk/relay/store"
)

// userCommands are the `relay user` subcommands besides add. They work on
// the data directory while the relay may be running: the relay notices
// each change within about a second (see relay/server) and closes the
// connections of a disabled, revoked or re-roled user.
var userCommands = map[string]func(cmd string, args []string) error{
	"list":    userList,
	"disable": userChange,
	"enable":  userChange,
	"revoke":  userChange,
	"role":    userChange,
	"passwd":  userChange,

	"profile":     userProfile,
	"permit":      userPermit,
	"permissions": userPermissions,
}

// userFlags parses a subcommand's flags around its positional arguments
// (flags may come before or after them) and wants exactly n of them.
func userFlags(fs *flag.FlagSet, args []string, n int, what string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		pos, args = append(pos, fs.Arg(0)), fs.Args()[1:]
	}
	if len(pos) != n {
		fmt.Fprintf(os.Stderr, "Give %s.\n", what)
		return nil, errUsage
	}
	return pos, nil
}

// cliActor names who ran a command, for the audit trail.
func cliActor() string {
	if u, err := user.Current(); err == nil {
		return "relay user (" + u.Username + ")"
	}
	return "relay user"
}

func userList(cmd string, args []string) error {
	fs := flag.NewFlagSet("relay user list", flag.ContinueOnError)
	data := fs.String("data", "relay-data", "data `directory`")
	if _, err := userFlags(fs, args, 0, "no argument besides --data"); err != nil {
		return err
	}
	return withStore(*data, listUsers)
}

// withStore opens the data directory's existing store for fn and closes it
// after; a directory without one is a mistyped --data, not a new relay.
func withStore(dir string, fn func(context.Context, store.Store) error) error {
	if _, err := os.Stat(filepath.Join(dir, relay.DatabaseFile)); os.IsNotExist(err) {
		return fmt.Errorf("there is no relay database in %s; give the relay's data directory with --data", dir)
	}
	ctx := context.Background()
	st, err := openStore(ctx, dir)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(ctx, st)
}

func listUsers(ctx context.Context, st store.Store) error {
	users, err := st.ListUsers(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tROLE\tSTATE\tCREATED")
	for _, u := range users {
		state := "enabled"
		if u.Disabled {
			state = "disabled"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", printable(u.Name), u.Role, state, u.CreatedAt.Local().Format("2006-01-02 15:04"))
	}
	return w.Flush()
}

// userChange runs disable, enable, revoke, role and passwd.
func userChange(cmd string, args []string) error {
	fs := flag.NewFlagSet("relay user "+cmd, flag.ContinueOnError)
	data := fs.String("data", "relay-data", "data `directory`")
	stdin := false
	n, what := 1, "the user's name"
	switch cmd {
	case "role":
		n, what = 2, "the user's name and the new role"
	case "passwd":
		fs.BoolVar(&stdin, "password-stdin", false, "read the new password from standard input instead of generating one")
	}
	pos, err := userFlags(fs, args, n, what)
	if err != nil {
		return err
	}
	return withStore(*data, func(ctx context.Context, st store.Store) error { return changeUser(ctx, st, cmd, pos, stdin) })
}

// changeUser applies one change to the user named pos[0] and audits it.
func changeUser(ctx context.Context, st store.Store, cmd string, pos []string, stdin bool) error {
	u, err := st.UserByName(ctx, pos[0])
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("there is no user named %q (relay user list shows them)", pos[0])
	} else if err != nil {
		return err
	}
	detail := map[string]string{"user": u.Name}
	var msg string
	switch cmd {
	case "disable", "enable":
		disable := cmd == "disable"
		if disable && u.Role == store.RoleAdmin {
			if err := keepAnAdmin(ctx, st, u); err != nil {
				return err
			}
		}
		if err := st.SetDisabled(ctx, u.ID, disable); err != nil {
			return err
		}
		msg = fmt.Sprintf("Enabled %q; they can sign in again.", u.Name)
		if disable {
			msg = fmt.Sprintf("Disabled %q: their sign-ins are revoked and their connections close.", u.Name)
		}
	case "revoke":
		n, err := st.DeleteTokens(ctx, u.ID)
		if err != nil {
			return err
		}
		detail["tokens"] = fmt.Sprint(n)
		msg = fmt.Sprintf("Revoked %d sign-in(s) of %q; their connections close.", n, u.Name)
	case "role":
		role := store.Role(pos[1])
		if !role.Valid() {
			return fmt.Errorf("unknown role %q (roles: admin, technician-manager, channel-manager, technician)", role)
		}
		if role == u.Role {
			fmt.Printf("%q is already %s.\n", u.Name, role)
			return nil
		}
		if u.Role == store.RoleAdmin {
			if err := keepAnAdmin(ctx, st, u); err != nil {
				return err
			}
		}
		if err := st.SetRole(ctx, u.ID, role); err != nil {
			return err
		}
		detail["from"], detail["to"] = string(u.Role), string(role)
		msg = fmt.Sprintf("%q is now %s; their open connections close and they sign in again.", u.Name, role)
	case "passwd":
		pw := auth.NewPassword()
		if stdin {
			if pw, err = readPassword(); err != nil {
				return err
			}
		}
		if err := server.SetPassword(ctx, st, u.ID, pw); err != nil {
			return err
		}
		msg = fmt.Sprintf("Changed the password of %q. Existing sign-ins stay; relay user revoke %s ends them.", u.Name, u.Name)
		if !stdin {
			msg += "\nPassword: " + pw
		}
	}
	kind := map[string]string{"disable": "user.disabled", "enable": "user.enabled", "revoke": "user.revoked", "role": "user.role", "passwd": "user.password"}[cmd]
	if err := st.Audit(ctx, &store.AuditEvent{At: time.Now(), Kind: kind, Actor: cliActor(), Detail: detail}); err != nil {
		return fmt.Errorf("the change is made but was not audited: %w", err)
	}
	fmt.Println(msg)
	return nil
}

// keepAnAdmin refuses to take away the last enabled administrator.
func keepAnAdmin(ctx context.Context, st store.Store, u store.User) error {
	users, err := st.ListUsers(ctx)
	if err != nil {
		return err
	}
	for _, o := range users {
		if o.ID != u.ID && o.Role == store.RoleAdmin && !o.Disabled {
			return nil
		}
	}
	return fmt.Errorf("%q is the last enabled administrator; make another user admin first", u.Name)
}

// readPassword reads one line of standard input.
func readPassword() (string, error) {
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
