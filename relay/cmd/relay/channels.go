package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/desk"
	"github.com/relaydesk/relaydesk/relay/queue"
	"github.com/relaydesk/relaydesk/relay/store"
	"github.com/relaydesk/relaydesk/relay/token"
)

// defaultPublic is what SOS Call URLs use without --public: the relay's
// public address is not in the store.
const defaultPublic = "localhost:4433"

// channelFlags are the flags of channel add and set; set takes each as a
// change only when given.
type channelFlags struct {
	data, name, desc, groups, managers, form, assign, fallback, narrow, public string
	sosCall, dflt, newToken, asJSON                                            bool
	linkTTL, sla                                                               time.Duration
}

func (f *channelFlags) define(fs *flag.FlagSet, set bool) {
	fs.StringVar(&f.data, "data", "relay-data", "data `directory`")
	if set {
		fs.StringVar(&f.name, "name", "", "rename the channel to `name`")
	} else {
		fs.StringVar(&f.name, "name", "", "the channel's `name`")
	}
	fs.StringVar(&f.desc, "description", "", "what the channel is for (`text`)")
	fs.StringVar(&f.groups, "groups", "", "the groups that serve it: group `names`, comma-separated (\"\": none)")
	fs.StringVar(&f.managers, "managers", "", "its channel managers: user `names` with role channel-manager or above, comma-separated (\"\": none)")
	fs.BoolVar(&f.sosCall, "sos-call", false, "turn its SOS Call page on (--sos-call=false: off)")
	fs.BoolVar(&f.dflt, "default", false, "make it the default channel, which requests naming no channel go to (--default=false: not)")
	fs.DurationVar(&f.linkTTL, "link-ttl", 0, "lifetime of its support links (0: the relay's default)")
	fs.StringVar(&f.form, "form", "", "intake form of its SOS Call: `field=mode` pairs, comma-separated; fields name, problem, category, priority; modes required, optional, off")
	fs.StringVar(&f.assign, "assign", "", "auto-assign `mode`: off, least-busy or round-robin")
	fs.DurationVar(&f.sla, "sla", 0, "how long a request may wait before its managers are alerted and it moves to --fallback (0: no SLA)")
	fs.StringVar(&f.fallback, "fallback", "", "the `channel` overdue requests move to (\"\": none)")
	fs.StringVar(&f.narrow, "narrow", "", "in-session `permissions` its technicians do not get: view, control, clipboard, chat, screenshot, files, comma-separated (\"\": none)")
	fs.StringVar(&f.public, "public", defaultPublic, "the relay's public `host:port`, for the SOS Call URL")
	if set {
		fs.BoolVar(&f.newToken, "new-sos-token", false, "re-issue the SOS Call token: the old URL stops working")
	}
}

// parsePublic checks --public and gives it as host:port.
func parsePublic(s string) (string, error) {
	host, port, err := net.SplitHostPort(strings.TrimSpace(s))
	if err == nil {
		if n, perr := strconv.Atoi(port); perr != nil || n < 1 || n > 65535 {
			err = errors.New("bad port")
		}
	}
	if err != nil || host == "" {
		return "", fmt.Errorf("--public %q is not a HOST:PORT such as relay.example.com:4433", s)
	}
	return net.JoinHostPort(host, port), nil
}

// sosURL is the address of a channel's SOS Call page.
func sosURL(public, tok string) string { return "https://" + public + "/c/" + tok }

// parseForm sets the fields of f that s names.
func parseForm(s string, f *proto.IntakeForm) error {
	for _, item := range splitList(s) {
		k, v, ok := strings.Cut(item, "=")
		mode := proto.FieldMode(strings.ToLower(strings.TrimSpace(v)))
		if !ok || mode == "" || !mode.Valid() {
			return fmt.Errorf("--form takes FIELD=MODE pairs such as name=required,problem=optional; MODE is required, optional or off (not %q)", item)
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "name":
			f.Name = mode
		case "problem":
			f.Problem = mode
		case "category":
			f.Category = mode
		case "priority":
			f.Priority = mode
		default:
			return fmt.Errorf("the intake form has no field %q; its fields are name, problem, category and priority", strings.TrimSpace(k))
		}
	}
	return nil
}

// inSession lists the permissions a channel can narrow, in Table's order.
func inSession() []proto.Permission {
	return slices.DeleteFunc(desk.Permissions(), func(p proto.Permission) bool { return !p.InSession() })
}

// parseNarrow reads --narrow.
func parseNarrow(s string) ([]proto.Permission, error) {
	var want []proto.Permission
	for _, item := range splitList(s) {
		p := proto.Permission(strings.ToLower(item))
		if !p.InSession() {
			return nil, fmt.Errorf("a channel can narrow only the in-session permissions %s, not %q", permList(inSession()), item)
		}
		want = append(want, p)
	}
	var out []proto.Permission // in Table's order, without duplicates
	for _, p := range inSession() {
		if slices.Contains(want, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

func permList(ps []proto.Permission) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}

// managerRole reports whether a user with role r may manage a channel.
func managerRole(r store.Role) bool {
	return r == store.RoleAdmin || r == store.RoleTechnicianManager || r == store.RoleChannelManager
}

// applyChannel makes the changes the flags in set ask for to ch, checking
// each against the desk d; newToken is set when it issued an SOS token.
func applyChannel(d *deskState, ch *store.Channel, f *channelFlags, set map[string]bool) (newToken bool, err error) {
	if set["name"] {
		n, err := checkName("channel", f.name)
		if err != nil {
			return false, err
		}
		if other, ok := nameTaken(d.channels, n, ch.ID, channelName, channelID); ok {
			return false, fmt.Errorf("there is already a channel named %q", other)
		}
		ch.Name = n
	}
	if set["description"] {
		if err := checkText("description", f.desc); err != nil {
			return false, err
		}
		ch.Description = f.desc
	}
	if set["groups"] {
		var ids []int64
		for _, n := range splitList(f.groups) {
			g, err := d.group(n)
			if err != nil {
				return false, err
			}
			ids = append(ids, g.ID)
		}
		slices.Sort(ids)
		ch.Groups = slices.Compact(ids)
	}
	if set["managers"] {
		ids, users, err := usersByName(d.users, splitList(f.managers))
		if err != nil {
			return false, err
		}
		for _, u := range users {
			if !managerRole(u.Role) {
				return false, fmt.Errorf("%q is a %s and cannot manage a channel: a manager needs the role channel-manager or above (relay user role %s channel-manager)", u.Name, u.Role, u.Name)
			}
		}
		ch.Managers = ids
	}
	if set["sos-call"] {
		ch.SOSCall = f.sosCall
	}
	if set["default"] {
		ch.Default = f.dflt
	}
	if set["link-ttl"] {
		if f.linkTTL < 0 || (f.linkTTL > 0 && f.linkTTL < time.Minute) {
			return false, fmt.Errorf("--link-ttl %v: a support link lives at least a minute (0: the relay's default)", f.linkTTL)
		}
		ch.LinkTTL = f.linkTTL
	}
	if set["form"] {
		if err := parseForm(f.form, &ch.Form); err != nil {
			return false, err
		}
	}
	if set["assign"] {
		a := proto.AutoAssign(strings.ToLower(strings.TrimSpace(f.assign)))
		if a == "" || !a.Valid() {
			return false, fmt.Errorf("--assign %q: the auto-assign modes are off, least-busy and round-robin", f.assign)
		}
		ch.Assign = a
	}
	if set["sla"] {
		if f.sla < 0 {
			return false, fmt.Errorf("--sla %v is negative (0: no SLA)", f.sla)
		}
		ch.SLA = f.sla
	}
	if set["fallback"] {
		ch.FallbackID = 0
		if strings.TrimSpace(f.fallback) != "" {
			fb, ok := findByName(d.channels, f.fallback, channelName)
			if !ok {
				return false, fmt.Errorf("there is no channel named %q to fall back to (relay channel list shows them)", strings.TrimSpace(f.fallback))
			}
			if fb.ID == ch.ID {
				return false, fmt.Errorf("channel %q cannot fall back to itself", ch.Name)
			}
			ch.FallbackID = fb.ID
		}
	}
	if set["narrow"] {
		if ch.Narrow, err = parseNarrow(f.narrow); err != nil {
			return false, err
		}
	}
	if (ch.SOSCall && ch.SOSToken == "") || f.newToken {
		ch.SOSToken, _ = token.New() // public: only its URL needs it, no hash
		newToken = true
	}
	return newToken, nil
}

// channelView is a channel as show and list print it, with names for IDs;
// `relay channel list --json` prints a list of them.
type channelView struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Default     bool      `json:"default"`
	Groups      []string  `json:"groups"`
	Managers    []string  `json:"managers"`
	LinkTTL     string    `json:"link_ttl"` // Go duration; "0s": the relay's default
	SOSCall     bool      `json:"sos_call"`
	SOSToken    string    `json:"sos_token,omitempty"` // while SOS Call is on
	SOSURL      string    `json:"sos_url,omitempty"`
	Form        formView  `json:"form"`
	Assign      string    `json:"assign"`
	SLA         string    `json:"sla"` // Go duration; "0s": none
	Fallback    string    `json:"fallback"`
	Narrow      []string  `json:"narrow"`
	Created     time.Time `json:"created"`
}

type formView struct {
	Name     string `json:"name"`
	Problem  string `json:"problem"`
	Category string `json:"category"`
	Priority string `json:"priority"`
}

func orOffMode(m proto.FieldMode) string {
	if m == "" {
		return string(proto.FieldOff)
	}
	return string(m)
}

func (d *deskState) view(ch store.Channel, public string) channelView {
	v := channelView{
		ID: ch.ID, Name: ch.Name, Description: ch.Description, Default: ch.Default,
		Groups: d.groupNames(ch.Groups), Managers: d.userNames(ch.Managers),
		LinkTTL: ch.LinkTTL.String(), SOSCall: ch.SOSCall,
		Form:   formView{orOffMode(ch.Form.Name), orOffMode(ch.Form.Problem), orOffMode(ch.Form.Category), orOffMode(ch.Form.Priority)},
		Assign: string(ch.Assign), SLA: ch.SLA.String(), Fallback: d.channelNameOf(ch.FallbackID),
		Narrow: []string{}, Created: ch.CreatedAt,
	}
	if v.Assign == "" {
		v.Assign = string(proto.AssignOff)
	}
	for _, p := range ch.Narrow {
		v.Narrow = append(v.Narrow, string(p))
	}
	if ch.SOSCall && ch.SOSToken != "" {
		v.SOSToken, v.SOSURL = ch.SOSToken, sosURL(public, ch.SOSToken)
	}
	return v
}

// detail is v as an audit event's detail, without the SOS token.
func (v channelView) detail() map[string]string {
	onOff := func(b bool) string { return map[bool]string{true: "on", false: "off"}[b] }
	return map[string]string{
		"description": v.Description, "default": onOff(v.Default),
		"groups": strings.Join(v.Groups, ","), "managers": strings.Join(v.Managers, ","),
		"link_ttl": v.LinkTTL, "sos_call": onOff(v.SOSCall),
		"form":   fmt.Sprintf("name=%s,problem=%s,category=%s,priority=%s", v.Form.Name, v.Form.Problem, v.Form.Category, v.Form.Priority),
		"assign": v.Assign, "sla": v.SLA, "fallback": v.Fallback, "narrow": strings.Join(v.Narrow, ","),
	}
}

// printChannel writes v as lines of "Field: value".
func printChannel(out io.Writer, v channelView) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	yesNo := map[bool]string{true: "yes", false: "no"}
	onOff := map[bool]string{true: "on", false: "off"}
	ttl := v.LinkTTL
	if ttl == "0s" {
		ttl = "the relay's default"
	}
	sla := v.SLA
	if sla == "0s" {
		sla = "none"
	}
	fmt.Fprintf(w, "Channel:\t%s\n", printable(v.Name))
	fmt.Fprintf(w, "Description:\t%s\n", orDash(printable(v.Description)))
	fmt.Fprintf(w, "Default:\t%s\n", yesNo[v.Default])
	fmt.Fprintf(w, "Groups:\t%s\n", joinOrDash(v.Groups))
	fmt.Fprintf(w, "Managers:\t%s\n", joinOrDash(v.Managers))
	fmt.Fprintf(w, "SOS Call:\t%s\n", onOff[v.SOSCall])
	if v.SOSURL != "" {
		fmt.Fprintf(w, "SOS Call page:\t%s\n", v.SOSURL)
	}
	fmt.Fprintf(w, "Intake form:\tname %s, problem %s, category %s, priority %s\n", v.Form.Name, v.Form.Problem, v.Form.Category, v.Form.Priority)
	fmt.Fprintf(w, "Auto-assign:\t%s\n", v.Assign)
	fmt.Fprintf(w, "SLA:\t%s\n", sla)
	fmt.Fprintf(w, "Fallback:\t%s\n", orDash(printable(v.Fallback)))
	fmt.Fprintf(w, "Link TTL:\t%s\n", ttl)
	fmt.Fprintf(w, "Narrowed:\t%s\n", joinOrDash(v.Narrow))
	fmt.Fprintf(w, "Created:\t%s\n", v.Created.Local().Format("2006-01-02 15:04"))
	return w.Flush()
}

// urlNote says where the SOS Call URL's address came from.
func urlNote(public string, explicit bool) string {
	if explicit {
		return fmt.Sprintf("The SOS Call URL uses the address given with --public (%s).", public)
	}
	return fmt.Sprintf("The SOS Call URL uses %s, the default of --public; give the relay's public HOST:PORT with --public.", public)
}

// showChannel prints a channel after a change or for show.
func showChannel(d *deskState, ch store.Channel, public string, explicit bool) error {
	v := d.view(ch, public)
	if err := printChannel(os.Stdout, v); err != nil {
		return err
	}
	if v.SOSURL != "" {
		fmt.Println(urlNote(public, explicit))
	}
	return nil
}

// channelWarnings notes on standard error what keeps a channel from working.
func channelWarnings(d *deskState, ch store.Channel) {
	if len(ch.Groups) == 0 {
		fmt.Fprintf(os.Stderr, "No group serves channel %q yet, so nobody can take its requests (relay channel set %s --groups GROUP).\n", ch.Name, ch.Name)
	}
	if ch.LinkTTL > queue.DefaultConfig().LinkMaxTTL {
		fmt.Fprintf(os.Stderr, "The relay caps support links at its maximum lifetime (%v by default).\n", queue.DefaultConfig().LinkMaxTTL)
	}
	if ch.FallbackID != 0 && ch.SLA == 0 {
		fmt.Fprintf(os.Stderr, "Requests move to the fallback channel only after the SLA; channel %q has none (--sla DURATION).\n", ch.Name)
	}
}

func channelAdd(cmd string, args []string) error {
	fs := flag.NewFlagSet("relay channel add", flag.ContinueOnError)
	var f channelFlags
	f.define(fs, false)
	if _, err := userFlags(fs, args, 0, "the channel with --name, and no other argument"); err != nil {
		return err
	}
	set := given(fs)
	if f.name == "" {
		fmt.Fprintln(os.Stderr, "Give the channel's name with --name.")
		return errUsage
	}
	public, err := parsePublic(f.public)
	if err != nil {
		return err
	}
	return withStore(f.data, func(ctx context.Context, st store.Store) error {
		d, err := readDesk(ctx, st)
		if err != nil {
			return err
		}
		var ch store.Channel
		if _, err := applyChannel(d, &ch, &f, set); err != nil {
			return err
		}
		prev, hadDefault := findDefault(d.channels)
		if err := st.CreateChannel(ctx, &ch); errors.Is(err, store.ErrExists) {
			return fmt.Errorf("there is already a channel named %q", ch.Name)
		} else if err != nil {
			return err
		}
		v := d.view(ch, public)
		detail := v.detail()
		detail["channel"] = ch.Name
		if err := audit(ctx, st, "channel.created", detail); err != nil {
			return err
		}
		fmt.Printf("Created channel %q.\n", ch.Name)
		if ch.Default && hadDefault {
			fmt.Printf("It is the default channel now, in place of %q.\n", prev.Name)
		}
		channelWarnings(d, ch)
		return showChannel(d, ch, public, set["public"])
	})
}

// findDefault gives the default channel, if any.
func findDefault(chans []store.Channel) (store.Channel, bool) {
	i := slices.IndexFunc(chans, func(c store.Channel) bool { return c.Default })
	if i < 0 {
		return store.Channel{}, false
	}
	return chans[i], true
}

func channelSet(cmd string, args []string) error {
	fs := flag.NewFlagSet("relay channel set", flag.ContinueOnError)
	var f channelFlags
	f.define(fs, true)
	pos, err := userFlags(fs, args, 1, "the channel's name")
	if err != nil {
		return err
	}
	set := given(fs)
	changes := 0
	for k := range set {
		if k != "data" && k != "public" {
			changes++
		}
	}
	if changes == 0 {
		fmt.Fprintln(os.Stderr, "Give a change, such as --groups G1,G2 or --sos-call (relay channel set --help lists them).")
		return errUsage
	}
	public, err := parsePublic(f.public)
	if err != nil {
		return err
	}
	return withChannel(f.data, pos[0], func(ctx context.Context, st store.Store, d *deskState, ch store.Channel) error {
		old := ch
		ch.Groups, ch.Managers, ch.Narrow = slices.Clone(ch.Groups), slices.Clone(ch.Managers), slices.Clone(ch.Narrow)
		reissued, err := applyChannel(d, &ch, &f, set)
		if err != nil {
			return err
		}
		before, after := d.view(old, public).detail(), d.view(ch, public).detail()
		detail := map[string]string{"channel": ch.Name}
		for k, v := range after {
			if before[k] != v {
				detail[k] = v
			}
		}
		if ch.Name != old.Name {
			detail["renamed_from"] = old.Name
		}
		if reissued {
			detail["sos_token"] = "issued"
			if old.SOSToken != "" {
				detail["sos_token"] = "re-issued"
			}
		}
		if len(detail) == 1 {
			fmt.Printf("Channel %q is unchanged.\n", ch.Name)
			return showChannel(d, ch, public, set["public"])
		}
		prev, hadDefault := findDefault(d.channels)
		if err := st.UpdateChannel(ctx, &ch); errors.Is(err, store.ErrExists) {
			return fmt.Errorf("there is already a channel named %q", ch.Name)
		} else if err != nil {
			return err
		}
		if err := audit(ctx, st, "channel.changed", detail); err != nil {
			return err
		}
		fmt.Printf("Changed channel %q.\n", ch.Name)
		switch {
		case ch.Default && !old.Default && hadDefault:
			fmt.Printf("It is the default channel now, in place of %q.\n", prev.Name)
		case !ch.Default && old.Default:
			fmt.Println("There is no default channel now (relay channel set NAME --default makes one).")
		}
		switch {
		case old.SOSCall && !ch.SOSCall:
			fmt.Println("Its SOS Call page is off; --sos-call turns it on again under the same URL.")
		case old.SOSCall && reissued:
			fmt.Println("Its SOS Call page has a new URL; the old one no longer works.")
		}
		channelWarnings(d, ch)
		return showChannel(d, ch, public, set["public"])
	})
}

func channelShow(cmd string, args []string) error {
	fs := flag.NewFlagSet("relay channel show", flag.ContinueOnError)
	data := fs.String("data", "relay-data", "data `directory`")
	pub := fs.String("public", defaultPublic, "the relay's public `host:port`, for the SOS Call URL")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := userFlags(fs, args, 1, "the channel's name")
	if err != nil {
		return err
	}
	public, err := parsePublic(*pub)
	if err != nil {
		return err
	}
	explicit := given(fs)["public"]
	return withChannel(*data, pos[0], func(ctx context.Context, st store.Store, d *deskState, ch store.Channel) error {
		if *asJSON {
			return printJSON(d.view(ch, public))
		}
		return showChannel(d, ch, public, explicit)
	})
}

func printJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func channelList(cmd string, args []string) error {
	fs := flag.NewFlagSet("relay channel list", flag.ContinueOnError)
	data := fs.String("data", "relay-data", "data `directory`")
	pub := fs.String("public", defaultPublic, "the relay's public `host:port`, for the SOS Call URLs in --json")
	asJSON := fs.Bool("json", false, "print a JSON list of the channels")
	if _, err := userFlags(fs, args, 0, "no argument besides the flags"); err != nil {
		return err
	}
	public, err := parsePublic(*pub)
	if err != nil {
		return err
	}
	return withStore(*data, func(ctx context.Context, st store.Store) error {
		d, err := readDesk(ctx, st)
		if err != nil {
			return err
		}
		views := []channelView{}
		for _, ch := range d.channels {
			views = append(views, d.view(ch, public))
		}
		if *asJSON {
			return printJSON(views)
		}
		w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "NAME\tDEFAULT\tSOS CALL\tGROUPS\tMANAGERS\tASSIGN\tSLA\tFALLBACK")
		for _, v := range views {
			sla := v.SLA
			if sla == "0s" {
				sla = "-"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", printable(v.Name), map[bool]string{true: "yes", false: "-"}[v.Default],
				map[bool]string{true: "on", false: "off"}[v.SOSCall], joinOrDash(v.Groups), joinOrDash(v.Managers), v.Assign, sla, orDash(printable(v.Fallback)))
		}
		return w.Flush()
	})
}

func channelDelete(cmd string, args []string) error {
	fs := flag.NewFlagSet("relay channel delete", flag.ContinueOnError)
	data := fs.String("data", "relay-data", "data `directory`")
	pos, err := userFlags(fs, args, 1, "the channel's name")
	if err != nil {
		return err
	}
	return withChannel(*data, pos[0], func(ctx context.Context, st store.Store, d *deskState, ch store.Channel) error {
		var fellBack []string
		for _, c := range d.channels {
			if c.FallbackID == ch.ID && c.ID != ch.ID {
				fellBack = append(fellBack, c.Name)
			}
		}
		if err := st.DeleteChannel(ctx, ch.ID); err != nil {
			return err
		}
		if err := audit(ctx, st, "channel.deleted", map[string]string{"channel": ch.Name, "default": strconv.FormatBool(ch.Default),
			"fallback_of": strings.Join(fellBack, ",")}); err != nil {
			return err
		}
		fmt.Printf("Deleted channel %q; its past sessions stay in the history.\n", ch.Name)
		if ch.Default {
			fmt.Println("There is no default channel now (relay channel set NAME --default makes one).")
		}
		if ch.SOSCall {
			fmt.Println("Its SOS Call page no longer works.")
		}
		if len(fellBack) > 0 {
			fmt.Printf("These channels no longer fall back to it: %s.\n", joinOrDash(fellBack))
		}
		return nil
	})
}
