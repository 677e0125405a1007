package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/relaydesk/relaydesk/relay/store"
	"github.com/relaydesk/relaydesk/relay/token"
)

// API tokens authenticate scripts against the admin API. The store keeps
// only a token's hash: create prints the token once, and nothing prints it
// again.

func apiTokenCreate(cmd string, args []string) error {
	fs := flag.NewFlagSet("relay apitoken create", flag.ContinueOnError)
	data := fs.String("data", "relay-data", "data `directory`")
	name := fs.String("name", "", "the token's `name`, to list and revoke it by")
	role := fs.String("role", "", "the `role` scripts act with: admin, technician-manager, channel-manager or technician")
	if _, err := userFlags(fs, args, 0, "the token with --name and --role, and no other argument"); err != nil {
		return err
	}
	if *name == "" || *role == "" {
		fmt.Fprintln(os.Stderr, "Give the token's name with --name and its role with --role.")
		return errUsage
	}
	n, err := checkName("API token", *name)
	if err != nil {
		return err
	}
	r := store.Role(*role)
	if !r.Valid() {
		return fmt.Errorf("unknown role %q (roles: admin, technician-manager, channel-manager, technician)", r)
	}
	return withStore(*data, func(ctx context.Context, st store.Store) error {
		tok, hash := token.New()
		t := store.APIToken{Name: n, Role: r, Hash: hash, CreatedAt: time.Now(), CreatedBy: cliActor()}
		if err := st.CreateAPIToken(ctx, &t); errors.Is(err, store.ErrExists) {
			return fmt.Errorf("there is already a live API token named %q; revoke it (relay apitoken revoke %s) or choose another name", n, n)
		} else if err != nil {
			return err
		}
		if err := audit(ctx, st, "apitoken.created", map[string]string{"token": t.Name, "role": string(t.Role)}); err != nil {
			return err
		}
		fmt.Println(tok)
		fmt.Fprintf(os.Stderr, "Created API token %q with role %s. Keep the token above now: it will not be shown again.\n", t.Name, t.Role)
		return nil
	})
}

func apiTokenList(cmd string, args []string) error {
	fs := flag.NewFlagSet("relay apitoken list", flag.ContinueOnError)
	data := fs.String("data", "relay-data", "data `directory`")
	if _, err := userFlags(fs, args, 0, "no argument besides --data"); err != nil {
		return err
	}
	return withStore(*data, func(ctx context.Context, st store.Store) error {
		toks, err := st.APITokens(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "NAME\tROLE\tCREATED\tLAST USED\tREVOKED\tCREATED BY")
		for _, t := range toks {
			used := "never"
			if !t.LastUsed.IsZero() {
				used = t.LastUsed.Local().Format("2006-01-02 15:04")
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", printable(t.Name), t.Role, t.CreatedAt.Local().Format("2006-01-02 15:04"), used,
				map[bool]string{true: "yes", false: "no"}[t.Revoked], orDash(printable(t.CreatedBy)))
		}
		return w.Flush()
	})
}

func apiTokenRevoke(cmd string, args []string) error {
	fs := flag.NewFlagSet("relay apitoken revoke", flag.ContinueOnError)
	data := fs.String("data", "relay-data", "data `directory`")
	pos, err := userFlags(fs, args, 1, "the token's name")
	if err != nil {
		return err
	}
	return withStore(*data, func(ctx context.Context, st store.Store) error {
		if err := st.RevokeAPIToken(ctx, pos[0]); errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("there is no live API token named %q (relay apitoken list shows them)", pos[0])
		} else if err != nil {
			return err
		}
		if err := audit(ctx, st, "apitoken.revoked", map[string]string{"token": pos[0]}); err != nil {
			return err
		}
		fmt.Printf("Revoked API token %q; scripts using it are refused from now on.\n", pos[0])
		return nil
	})
}
