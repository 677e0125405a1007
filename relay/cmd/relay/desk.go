package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/store"
)

// deskCommands are the service desk's commands: `relay group`, `relay
// channel`, `relay category`, `relay priority` and `relay apitoken`, each
// with its subcommands. Like the user commands they work on the data
// directory while the relay may run: every change bumps the store's change
// counter, and the relay rereads the desk's configuration (relay/desk's
// Refresh) when it moves.
var deskCommands = map[string]map[string]func(cmd string, args []string) error{
	"group": {
		"add":    groupAdd,
		"list":   groupList,
		"set":    groupSet,
		"delete": groupDelete,
	},
	"channel": {
		"add":        channelAdd,
		"list":       channelList,
		"show":       channelShow,
		"set":        channelSet,
		"delete":     channelDelete,
		"file-limit": channelFileLimit,
		"record":     channelRecord, // record.go
	},
	"category": {
		"list": func(cmd string, args []string) error { return classList(classCategories, args) },
		"set":  func(cmd string, args []string) error { return classSet(classCategories, args) },
	},
	"priority": {
		"list": func(cmd string, args []string) error { return classList(classPriorities, args) },
		"set":  func(cmd string, args []string) error { return classSet(classPriorities, args) },
	},
	"apitoken": {
		"create": apiTokenCreate,
		"list":   apiTokenList,
		"revoke": apiTokenRevoke,
	},
}

// audit records a change a command made; the change is in the store
// already, so a failure says so.
func audit(ctx context.Context, st store.Store, kind string, detail map[string]string) error {
	if err := st.Audit(ctx, &store.AuditEvent{At: time.Now(), Kind: kind, Actor: cliActor(), Detail: detail}); err != nil {
		return fmt.Errorf("the change is made but was not audited: %w", err)
	}
	return nil
}

// splitList reads a comma-separated flag value: trimmed items, empty ones
// dropped, so that "" is the empty list.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// given reports which flags of fs the command line set.
func given(fs *flag.FlagSet) map[string]bool {
	out := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { out[f.Name] = true })
	return out
}

// checkName refuses a group or channel name that cannot be used: empty,
// with a comma (lists of names are comma-separated), a control character,
// or longer than 100 characters. It returns the name trimmed.
func checkName(what, name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", fmt.Errorf("the %s name is empty", what)
	case strings.Contains(name, ","):
		return "", fmt.Errorf("a %s name cannot contain a comma (%q)", what, name)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "", fmt.Errorf("a %s name cannot contain control characters (%q)", what, printable(name))
	case len([]rune(name)) > 100:
		return "", fmt.Errorf("a %s name has at most 100 characters", what)
	}
	return name, nil
}

// checkText refuses a description with control characters other than
// newlines.
func checkText(what, s string) error {
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' }) >= 0 {
		return fmt.Errorf("the %s cannot contain control characters", what)
	}
	return nil
}

// findByName finds the item named name: exactly, or else ignoring case if
// that names one item (the relay finds channels by name ignoring case).
func findByName[T any](items []T, name string, nameOf func(T) string) (T, bool) {
	name = strings.TrimSpace(name)
	for _, it := range items {
		if nameOf(it) == name {
			return it, true
		}
	}
	var found []T
	for _, it := range items {
		if strings.EqualFold(nameOf(it), name) {
			found = append(found, it)
		}
	}
	if len(found) == 1 {
		return found[0], true
	}
	var zero T
	return zero, false
}

// nameTaken reports another item (not id) named name, ignoring case.
func nameTaken[T any](items []T, name string, id int64, nameOf func(T) string, idOf func(T) int64) (string, bool) {
	for _, it := range items {
		if idOf(it) != id && strings.EqualFold(nameOf(it), name) {
			return nameOf(it), true
		}
	}
	return "", false
}

// quoted lists names as "a", "b".
func quoted(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// usersByName resolves user names to IDs (ascending, without duplicates),
// naming every unknown one.
func usersByName(users []store.User, names []string) ([]int64, []store.User, error) {
	var ids []int64
	var found []store.User
	var unknown []string
	for _, n := range names {
		u, ok := findByName(users, n, userName)
		if !ok {
			unknown = append(unknown, n)
			continue
		}
		if !slices.Contains(ids, u.ID) {
			ids = append(ids, u.ID)
			found = append(found, u)
		}
	}
	switch len(unknown) {
	case 0:
	case 1:
		return nil, nil, fmt.Errorf("there is no user named %q (relay user list shows them)", unknown[0])
	default:
		return nil, nil, fmt.Errorf("there are no users named %s (relay user list shows them)", quoted(unknown))
	}
	slices.Sort(ids)
	return ids, found, nil
}

func userName(u store.User) string       { return u.Name }
func groupName(g store.Group) string     { return g.Name }
func channelName(c store.Channel) string { return c.Name }
func groupID(g store.Group) int64        { return g.ID }
func channelID(c store.Channel) int64    { return c.ID }

// deskState is the desk's configuration as one command reads it, to turn
// names into IDs and back.
type deskState struct {
	users    []store.User
	groups   []store.Group
	channels []store.Channel
}

func readDesk(ctx context.Context, st store.Store) (*deskState, error) {
	var d deskState
	var err error
	if d.users, err = st.ListUsers(ctx); err != nil {
		return nil, fmt.Errorf("list the users: %w", err)
	}
	if d.groups, err = st.Groups(ctx); err != nil {
		return nil, fmt.Errorf("list the groups: %w", err)
	}
	if d.channels, err = st.Channels(ctx); err != nil {
		return nil, fmt.Errorf("list the channels: %w", err)
	}
	return &d, nil
}

// nameOf gives the name of the item with ID id, or "#id" for one the
// store no longer has.
func nameOf[T any](items []T, id int64, idOf func(T) int64, name func(T) string) string {
	if i := slices.IndexFunc(items, func(it T) bool { return idOf(it) == id }); i >= 0 {
		return name(items[i])
	}
	return fmt.Sprintf("#%d", id)
}

// namesOf gives the names of ids, in their order.
func namesOf[T any](items []T, ids []int64, idOf func(T) int64, name func(T) string) []string {
	out := []string{}
	for _, id := range ids {
		out = append(out, nameOf(items, id, idOf, name))
	}
	return out
}

// userNames gives the names of user IDs, in the order of ids.
func (d *deskState) userNames(ids []int64) []string {
	return namesOf(d.users, ids, func(u store.User) int64 { return u.ID }, userName)
}

// groupNames gives the names of group IDs, in the order of ids.
func (d *deskState) groupNames(ids []int64) []string {
	return namesOf(d.groups, ids, groupID, groupName)
}

// channelNameOf gives a channel's name, "" for 0.
func (d *deskState) channelNameOf(id int64) string {
	if id == 0 {
		return ""
	}
	return nameOf(d.channels, id, channelID, channelName)
}

// servedBy lists the names of the channels group id serves.
func (d *deskState) servedBy(id int64) []string {
	var out []string
	for _, c := range d.channels {
		if slices.Contains(c.Groups, id) {
			out = append(out, c.Name)
		}
	}
	return out
}

func (d *deskState) group(name string) (store.Group, error) {
	g, ok := findByName(d.groups, name, groupName)
	if !ok {
		return g, fmt.Errorf("there is no group named %q (relay group list shows them)", strings.TrimSpace(name))
	}
	return g, nil
}

func (d *deskState) channel(name string) (store.Channel, error) {
	c, ok := findByName(d.channels, name, channelName)
	if !ok {
		return c, fmt.Errorf("there is no channel named %q (relay channel list shows them)", strings.TrimSpace(name))
	}
	return c, nil
}

// withChannel opens the store in dir and calls fn with the desk and its
// channel called name (an error names the channel when there is none).
func withChannel(dir, name string, fn func(ctx context.Context, st store.Store, d *deskState, ch store.Channel) error) error {
	return withStore(dir, func(ctx context.Context, st store.Store) error {
		d, err := readDesk(ctx, st)
		if err != nil {
			return err
		}
		ch, err := d.channel(name)
		if err != nil {
			return err
		}
		return fn(ctx, st, d, ch)
	})
}

// joinOrDash joins names with ", ", or gives "-" for none.
func joinOrDash(names []string) string {
	if len(names) == 0 {
		return "-"
	}
	p := make([]string, len(names))
	for i, n := range names {
		p[i] = printable(n)
	}
	return strings.Join(p, ", ")
}

// ---- groups ----

func groupAdd(cmd string, args []string) error {
	fs := flag.NewFlagSet("relay group add", flag.ContinueOnError)
	data := fs.String("data", "relay-data", "data `directory`")
	name := fs.String("name", "", "the group's `name`")
	desc := fs.String("description", "", "what the group does (`text`)")
	members := fs.String("members", "", "its members: user `names`, comma-separated")
	if _, err := userFlags(fs, args, 0, "the group with --name, and no other argument"); err != nil {
		return err
	}
	if *name == "" {
		fmt.Fprintln(os.Stderr, "Give the group's name with --name.")
		return errUsage
	}
	n, err := checkName("group", *name)
	if err != nil {
		return err
	}
	if err := checkText("description", *desc); err != nil {
		return err
	}
	return withStore(*data, func(ctx context.Context, st store.Store) error {
		d, err := readDesk(ctx, st)
		if err != nil {
			return err
		}
		if other, ok := nameTaken(d.groups, n, 0, groupName, groupID); ok {
			return fmt.Errorf("there is already a group named %q", other)
		}
		ids, _, err := usersByName(d.users, splitList(*members))
		if err != nil {
			return err
		}
		g := store.Group{Name: n, Description: *desc, Members: ids}
		if err := st.CreateGroup(ctx, &g); errors.Is(err, store.ErrExists) {
			return fmt.Errorf("there is already a group named %q", n)
		} else if err != nil {
			return err
		}
		if err := audit(ctx, st, "group.created", map[string]string{"group": g.Name, "members": strings.Join(d.userNames(ids), ",")}); err != nil {
			return err
		}
		fmt.Printf("Created group %q with members: %s.\n", g.Name, joinOrDash(d.userNames(ids)))
		fmt.Printf("Let it serve a channel with relay channel set CHANNEL --groups %s.\n", g.Name)
		return nil
	})
}

func groupList(cmd string, args []string) error {
	fs := flag.NewFlagSet("relay group list", flag.ContinueOnError)
	data := fs.String("data", "relay-data", "data `directory`")
	if _, err := userFlags(fs, args, 0, "no argument besides --data"); err != nil {
		return err
	}
	return withStore(*data, func(ctx context.Context, st store.Store) error {
		d, err := readDesk(ctx, st)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "NAME\tMEMBERS\tSERVES\tDESCRIPTION")
		for _, g := range d.groups {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", printable(g.Name), joinOrDash(d.userNames(g.Members)), joinOrDash(d.servedBy(g.ID)), orDash(printable(g.Description)))
		}
		return w.Flush()
	})
}

func groupSet(cmd string, args []string) error {
	fs := flag.NewFlagSet("relay group set", flag.ContinueOnError)
	data := fs.String("data", "relay-data", "data `directory`")
	name := fs.String("name", "", "rename the group to `name`")
	desc := fs.String("description", "", "what the group does (`text`)")
	members := fs.String("members", "", "its members, replacing the present ones: user `names`, comma-separated (\"\": none)")
	add := fs.String("add-members", "", "add these members (user `names`, comma-separated)")
	remove := fs.String("remove-members", "", "remove these members (user `names`, comma-separated)")
	pos, err := userFlags(fs, args, 1, "the group's name")
	if err != nil {
		return err
	}
	set := given(fs)
	delete(set, "data")
	if len(set) == 0 {
		fmt.Fprintln(os.Stderr, "Give a change: --name, --description, --members, --add-members or --remove-members.")
		return errUsage
	}
	if set["members"] && (set["add-members"] || set["remove-members"]) {
		return fmt.Errorf("give either --members (the whole list) or --add-members and --remove-members, not both")
	}
	if err := checkText("description", *desc); err != nil {
		return err
	}
	return withStore(*data, func(ctx context.Context, st store.Store) error {
		d, err := readDesk(ctx, st)
		if err != nil {
			return err
		}
		g, err := d.group(pos[0])
		if err != nil {
			return err
		}
		old := g
		detail := map[string]string{"group": g.Name}
		if set["name"] {
			n, err := checkName("group", *name)
			if err != nil {
				return err
			}
			if other, ok := nameTaken(d.groups, n, g.ID, groupName, groupID); ok {
				return fmt.Errorf("there is already a group named %q", other)
			}
			if n != g.Name {
				detail["group"], detail["renamed_from"] = n, g.Name
				g.Name = n
			}
		}
		if set["description"] && *desc != g.Description {
			g.Description, detail["description"] = *desc, *desc
		}
		if set["members"] {
			if g.Members, _, err = usersByName(d.users, splitList(*members)); err != nil {
				return err
			}
		}
		if set["add-members"] {
			ids, _, err := usersByName(d.users, splitList(*add))
			if err != nil {
				return err
			}
			g.Members = append(slices.Clone(g.Members), ids...)
		}
		if set["remove-members"] {
			ids, _, err := usersByName(d.users, splitList(*remove))
			if err != nil {
				return err
			}
			g.Members = slices.DeleteFunc(slices.Clone(g.Members), func(id int64) bool { return slices.Contains(ids, id) })
		}
		slices.Sort(g.Members)
		g.Members = slices.Compact(g.Members)
		if !slices.Equal(g.Members, old.Members) {
			detail["members"] = strings.Join(d.userNames(g.Members), ",")
		}
		if len(detail) == 1 {
			fmt.Printf("Group %q is unchanged.\n", g.Name)
			return nil
		}
		if err := st.UpdateGroup(ctx, &g); errors.Is(err, store.ErrExists) {
			return fmt.Errorf("there is already a group named %q", g.Name)
		} else if err != nil {
			return err
		}
		if err := audit(ctx, st, "group.changed", detail); err != nil {
			return err
		}
		fmt.Printf("Changed group %q; its members: %s.\n", g.Name, joinOrDash(d.userNames(g.Members)))
		return nil
	})
}

func groupDelete(cmd string, args []string) error {
	fs := flag.NewFlagSet("relay group delete", flag.ContinueOnError)
	data := fs.String("data", "relay-data", "data `directory`")
	pos, err := userFlags(fs, args, 1, "the group's name")
	if err != nil {
		return err
	}
	return withStore(*data, func(ctx context.Context, st store.Store) error {
		d, err := readDesk(ctx, st)
		if err != nil {
			return err
		}
		g, err := d.group(pos[0])
		if err != nil {
			return err
		}
		served := d.servedBy(g.ID)
		if err := st.DeleteGroup(ctx, g.ID); err != nil {
			return err
		}
		if err := audit(ctx, st, "group.deleted", map[string]string{"group": g.Name, "served": strings.Join(served, ",")}); err != nil {
			return err
		}
		fmt.Printf("Deleted group %q.\n", g.Name)
		if len(served) > 0 {
			fmt.Printf("It no longer serves: %s.\n", joinOrDash(served))
		}
		return nil
	})
}

// ---- categories and priorities ----

// classification is one of the organisation's lists a request is
// classified by.
type classification struct {
	key      string   // settings key
	what     string   // plural, for sentences
	one      string   // the command: category or priority
	defaults []string // when unset
	note     string   // about the order, if any
}

var (
	classCategories = classification{store.SettingCategories, "categories", "category", proto.DefaultCategories, ""}
	classPriorities = classification{store.SettingPriorities, "priorities", "priority", proto.DefaultPriorities, " (most urgent first)"}
)

// read gives the list and whether it is the default one.
func (c classification) read(ctx context.Context, st store.Store) ([]string, bool, error) {
	v, err := st.Setting(ctx, c.key)
	if err != nil {
		return nil, false, fmt.Errorf("read the %s: %w", c.what, err)
	}
	if v == "" {
		return slices.Clone(c.defaults), true, nil
	}
	var out []string
	if err := json.Unmarshal([]byte(v), &out); err != nil {
		return nil, false, fmt.Errorf("the stored %s are not a JSON list (%v); relay %s set replaces them", c.what, err, c.one)
	}
	return out, false, nil
}

func classList(c classification, args []string) error {
	fs := flag.NewFlagSet("relay "+c.one+" list", flag.ContinueOnError)
	data := fs.String("data", "relay-data", "data `directory`")
	if _, err := userFlags(fs, args, 0, "no argument besides --data"); err != nil {
		return err
	}
	return withStore(*data, func(ctx context.Context, st store.Store) error {
		list, dflt, err := c.read(ctx, st)
		if err != nil {
			return err
		}
		for _, v := range list {
			fmt.Println(printable(v))
		}
		if dflt {
			fmt.Fprintf(os.Stderr, "These are the default %s%s; relay %s set NAME,NAME,... replaces them.\n", c.what, c.note, c.one)
		}
		return nil
	})
}

func classSet(c classification, args []string) error {
	fs := flag.NewFlagSet("relay "+c.one+" set", flag.ContinueOnError)
	data := fs.String("data", "relay-data", "data `directory`")
	pos, err := userFlags(fs, args, 1, fmt.Sprintf("the %s as one comma-separated list%s, such as a,b,c", c.what, c.note))
	if err != nil {
		return err
	}
	list := splitList(pos[0])
	if len(list) == 0 {
		return fmt.Errorf("give at least one %s", c.one)
	}
	for i, v := range list {
		if strings.IndexFunc(v, unicode.IsControl) >= 0 {
			return fmt.Errorf("%q contains control characters", printable(v))
		}
		if len([]rune(v)) > 100 {
			return fmt.Errorf("%q is longer than 100 characters", v)
		}
		if j := slices.IndexFunc(list[:i], func(w string) bool { return strings.EqualFold(v, w) }); j >= 0 {
			return fmt.Errorf("%q is in the list twice", list[j])
		}
	}
	return withStore(*data, func(ctx context.Context, st store.Store) error {
		old, _, err := c.read(ctx, st)
		if err != nil {
			old = nil // a broken value is replaced
		}
		b, err := json.Marshal(list)
		if err != nil {
			return err
		}
		if err := st.SetSetting(ctx, c.key, string(b)); err != nil {
			return err
		}
		if err := audit(ctx, st, "settings."+c.what, map[string]string{"from": strings.Join(old, ","), "to": strings.Join(list, ",")}); err != nil {
			return err
		}
		fmt.Printf("The %s are now%s: %s.\n", c.what, c.note, strings.Join(list, ", "))
		removed := slices.DeleteFunc(old, func(v string) bool {
			return slices.ContainsFunc(list, func(w string) bool { return strings.EqualFold(v, w) })
		})
		if len(removed) > 0 {
			fmt.Printf("No longer offered: %s (sessions classified with them keep it).\n", strings.Join(removed, ", "))
		}
		return nil
	})
}
