package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/desk"
	"github.com/relaydesk/relaydesk/relay/store"
)

// The service desk's per-user settings: `relay user profile`, `relay user
// permit` and `relay user permissions`.

// namedUser finds a user by name for a command.
func namedUser(ctx context.Context, st store.Store, name string) (store.User, error) {
	u, err := st.UserByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return u, fmt.Errorf("there is no user named %q (relay user list shows them)", name)
	}
	return u, err
}

// parseLanguages reads --languages: base languages of BCP 47 tags ("de"
// for "de-CH"), lower case, without duplicates.
func parseLanguages(s string) ([]string, error) {
	var out []string
	for _, item := range splitList(s) {
		base, _, _ := strings.Cut(strings.ToLower(item), "-")
		base, _, _ = strings.Cut(base, "_")
		if len(base) < 2 || len(base) > 3 || strings.IndexFunc(base, func(r rune) bool { return r < 'a' || r > 'z' }) >= 0 {
			return nil, fmt.Errorf("--languages wants language codes such as de,en,fr; %q is not one", item)
		}
		if !slices.Contains(out, base) {
			out = append(out, base)
		}
	}
	return out, nil
}

func userProfile(cmd string, args []string) error {
	fs := flag.NewFlagSet("relay user profile", flag.ContinueOnError)
	data := fs.String("data", "relay-data", "data `directory`")
	langs := fs.String("languages", "", "the `languages` they support, comma-separated codes such as de,en (\"\": none)")
	maxSessions := fs.Int("max-sessions", 0, "most concurrent sessions (0: the relay's default, "+strconv.Itoa(desk.DefaultMaxSessions)+")")
	avail := fs.String("availability", "", "`availability`: available, busy or away")
	pos, err := userFlags(fs, args, 1, "the user's name")
	if err != nil {
		return err
	}
	set := given(fs)
	delete(set, "data")
	var languages []string
	if set["languages"] {
		if languages, err = parseLanguages(*langs); err != nil {
			return err
		}
	}
	if set["max-sessions"] && *maxSessions < 0 {
		return fmt.Errorf("--max-sessions %d is negative (0: the relay's default)", *maxSessions)
	}
	a := proto.Availability(strings.ToLower(strings.TrimSpace(*avail)))
	if set["availability"] && !a.Valid() {
		return fmt.Errorf("--availability %q: give available, busy or away", *avail)
	}
	return withStore(*data, func(ctx context.Context, st store.Store) error {
		u, err := namedUser(ctx, st, pos[0])
		if err != nil {
			return err
		}
		p, err := st.Profile(ctx, u.ID)
		if err != nil {
			return err
		}
		if len(set) > 0 {
			detail := map[string]string{"user": u.Name}
			if set["languages"] && !slices.Equal(languages, p.Languages) {
				p.Languages, detail["languages"] = languages, strings.Join(languages, ",")
			}
			if set["max-sessions"] && *maxSessions != p.MaxSessions {
				p.MaxSessions, detail["max_sessions"] = *maxSessions, strconv.Itoa(*maxSessions)
			}
			if set["availability"] && a != p.Availability {
				p.Availability, detail["availability"] = a, string(a)
			}
			if len(detail) == 1 {
				fmt.Printf("The profile of %q is unchanged.\n", u.Name)
			} else {
				if err := st.SetProfile(ctx, u.ID, p); err != nil {
					return err
				}
				if err := audit(ctx, st, "user.profile", detail); err != nil {
					return err
				}
				fmt.Printf("Changed the profile of %q.\n", u.Name)
			}
		}
		return printProfile(ctx, st, u, p)
	})
}

func printProfile(ctx context.Context, st store.Store, u store.User, p store.Profile) error {
	groups, err := st.Groups(ctx)
	if err != nil {
		return err
	}
	var in []string
	for _, g := range groups {
		if slices.Contains(g.Members, u.ID) {
			in = append(in, g.Name)
		}
	}
	avail := string(p.Availability)
	if avail == "" {
		avail = string(proto.Available) + " (the default)"
	}
	maxSessions := strconv.Itoa(p.MaxSessions)
	if p.MaxSessions == 0 {
		maxSessions = fmt.Sprintf("%d (the relay's default)", desk.DefaultMaxSessions)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "User:\t%s (%s)\n", printable(u.Name), u.Role)
	fmt.Fprintf(w, "Languages:\t%s\n", joinOrDash(p.Languages))
	fmt.Fprintf(w, "Availability:\t%s\n", avail)
	fmt.Fprintf(w, "Max sessions:\t%s\n", maxSessions)
	fmt.Fprintf(w, "Groups:\t%s\n", joinOrDash(in))
	return w.Flush()
}

// overrideText shows an override: allow, deny or - (none: the role decides).
func overrideText(o []store.Override, p proto.Permission) string {
	i := slices.IndexFunc(o, func(o store.Override) bool { return o.Permission == p })
	if i < 0 {
		return "-"
	}
	return allowText(o[i].Allow)
}

func allowText(b bool) string { return map[bool]string{true: "allow", false: "deny"}[b] }

// unknownPermission is the error for a permission not in relay/desk's Table.
func unknownPermission(p string) error {
	return fmt.Errorf("unknown permission %q; the permissions are: %s", p, permList(desk.Permissions()))
}

func userPermit(cmd string, args []string) error {
	fs := flag.NewFlagSet("relay user permit", flag.ContinueOnError)
	data := fs.String("data", "relay-data", "data `directory`")
	pos, err := userFlags(fs, args, 3, "the user's name, the permission, and allow, deny or inherit")
	if err != nil {
		return err
	}
	perm, mode := proto.Permission(pos[1]), pos[2]
	if !desk.Known(perm) {
		return unknownPermission(pos[1])
	}
	if mode != "allow" && mode != "deny" && mode != "inherit" {
		return fmt.Errorf("give allow, deny or inherit (the role's default), not %q", mode)
	}
	return withStore(*data, func(ctx context.Context, st store.Store) error {
		u, err := namedUser(ctx, st, pos[0])
		if err != nil {
			return err
		}
		ovs, err := st.Overrides(ctx, u.ID)
		if err != nil {
			return err
		}
		from := overrideText(ovs, perm)
		ovs = slices.DeleteFunc(ovs, func(o store.Override) bool { return o.Permission == perm })
		if mode != "inherit" {
			ovs = append(ovs, store.Override{Permission: perm, Allow: mode == "allow"})
		}
		to := overrideText(ovs, perm)
		def := allowText(desk.RoleHas(u.Role, perm))
		if from == to {
			fmt.Printf("Nothing to change: %s is %s for %q (%s).\n", perm, past(effective(to, def)), u.Name, source(to, u.Role))
			return nil
		}
		if err := st.SetOverrides(ctx, u.ID, ovs); err != nil {
			return err
		}
		if err := audit(ctx, st, "user.permission", map[string]string{"user": u.Name, "permission": string(perm),
			"from": orInherit(from), "to": orInherit(to)}); err != nil {
			return err
		}
		fmt.Printf("%s is now %s for %q (%s).\n", perm, past(effective(to, def)), u.Name, source(to, u.Role))
		if mode != "inherit" && to == def {
			fmt.Printf("That is also the default of %s; the override keeps it if their role changes.\n", u.Role)
		}
		if u.Disabled {
			fmt.Printf("%q is disabled: they have no permission until relay user enable %s.\n", u.Name, u.Name)
		}
		return nil
	})
}

func orInherit(o string) string {
	if o == "-" {
		return "inherit"
	}
	return o
}

// effective is what a user has: the override, else the role's default.
func effective(override, def string) string {
	if override == "-" {
		return def
	}
	return override
}

// past gives allow and deny as allowed and denied, for sentences.
func past(v string) string { return map[string]string{"allow": "allowed", "deny": "denied"}[v] }

func source(override string, role store.Role) string {
	if override == "-" {
		return "the default of " + string(role)
	}
	return "an override"
}

func userPermissions(cmd string, args []string) error {
	fs := flag.NewFlagSet("relay user permissions", flag.ContinueOnError)
	data := fs.String("data", "relay-data", "data `directory`")
	pos, err := userFlags(fs, args, 1, "the user's name")
	if err != nil {
		return err
	}
	return withStore(*data, func(ctx context.Context, st store.Store) error {
		u, err := namedUser(ctx, st, pos[0])
		if err != nil {
			return err
		}
		ovs, err := st.Overrides(ctx, u.ID)
		if err != nil {
			return err
		}
		// The relay's own policy decides the effective value.
		d, err := desk.New(ctx, st, nil)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(w, "PERMISSION\tROLE DEFAULT (%s)\tOVERRIDE\tEFFECTIVE\n", u.Role)
		for _, r := range desk.Table {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.Permission, allowText(desk.RoleHas(u.Role, r.Permission)), overrideText(ovs, r.Permission), allowText(d.Allowed(u, r.Permission)))
		}
		if err := w.Flush(); err != nil {
			return err
		}
		if u.Disabled {
			fmt.Printf("%q is disabled: they have no permission until relay user enable %s.\n", u.Name, u.Name)
		}
		fmt.Println("A channel can narrow view, control, clipboard, chat and screenshot for its technicians (relay channel show).")
		return nil
	})
}
