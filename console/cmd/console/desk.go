package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/relaydesk/relaydesk/console/client"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// The service desk's headless commands: pick, transfer, invite, accept,
// decline, note, classify, history, availability, channels, technicians
// and notices. The relay decides every one; a refusal exits 1 with its
// sentence on standard error, a malformed command line exits 2.

const deskUsage = `  console pick ID                                  take an unassigned request of a channel you serve
  console transfer ID --to USER | --channel NAME [--note TEXT] [--leave]
                                                   hand a session to a colleague or into a channel's queue
  console invite ID --user NAME                    ask a colleague to join a session (to watch)
  console accept ID | console decline ID           answer an invitation
  console note ID TEXT...                          add an internal note (TEXT "-": read standard input)
  console classify ID [--category C] [--priority P] [--ticket-system S --ticket KEY --ticket-url URL]
  console history [--json] [--channel NAME] [--status S[,S]] [--since DATE] [--until DATE]
                  [--technician NAME] [--customer TEXT] [--hostname TEXT] [--category C] [--priority P]
                  [--min-rating N] [--limit N] [--all-pages | --cursor NEXT]
                                                   DATE: 2006-01-02 (a whole day) or RFC 3339
  console availability [available|busy|away]       show or set yours
  console channels [--json]                        the channels, and which you serve or manage
  console technicians [--json]                     your colleagues and their availability
  console notices                                  print invitations, assignments and escalations until Ctrl+C
  console control ID give --to NAME | take | request
                                                   hand the mouse and keyboard to a guest, take them back, or ask for them
`

// usageError prints a sentence for a malformed command line and returns 2.
func usageError(format string, args ...any) int {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	return 2
}

// idAndFlags parses a command line of one ID and flags, in any order, and
// returns the ID and the other arguments that are not flags.
func idAndFlags(fs *flag.FlagSet, args []string) (id string, rest []string, err error) {
	fs.SetOutput(os.Stderr)
	for len(args) > 0 {
		if !strings.HasPrefix(args[0], "-") || args[0] == "-" {
			if id == "" {
				id = args[0]
			} else {
				rest = append(rest, args[0])
			}
			args = args[1:]
			continue
		}
		if err := fs.Parse(args); err != nil {
			return "", nil, err
		}
		args = fs.Args()
	}
	return id, rest, nil
}

// oneID parses "ID [flags]" with nothing else; code is non-zero when the
// command line is wrong.
func oneID(fs *flag.FlagSet, args []string, what string) (string, int) {
	id, rest, err := idAndFlags(fs, args)
	if err != nil {
		return "", 2
	}
	if id == "" || len(rest) > 0 {
		return "", usageError("Give one session ID: console %s.", what)
	}
	return id, 0
}

// endUserOf names the end user of s for a sentence.
func endUserOf(s proto.SessionInfo) string {
	switch {
	case s.CustomerName != "":
		return s.CustomerName
	case s.Device != nil && s.Device.Hostname != "":
		return s.Device.Hostname
	}
	return "the end user"
}

func cmdPick(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("console pick", flag.ContinueOnError)
	id, code := oneID(fs, args, "pick ID")
	if code != 0 {
		return code
	}
	return withConn(ctx, func(c *client.Conn, _ client.Login) error {
		s, err := c.Pick(ctx, id)
		if err != nil {
			return err
		}
		where := ""
		if s.Channel != "" {
			where = " in " + s.Channel
		}
		fmt.Fprintf(cleanWriter{os.Stdout}, "You picked up the request of %s%s (session %s). Connect with: console connect --session %s\n", endUserOf(s), where, s.ID, s.ID)
		return nil
	})
}

func cmdTransfer(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("console transfer", flag.ContinueOnError)
	var req proto.Transfer
	fs.StringVar(&req.ToUser, "to", "", "hand the session to this technician (`user`)")
	fs.StringVar(&req.ToChannel, "channel", "", "hand the session into this channel's queue (`name`)")
	fs.StringVar(&req.Note, "note", "", "a note for the new owner (`text`; an internal note, the end user never sees it)")
	fs.BoolVar(&req.Leave, "leave", false, "stop watching at once instead of when the new owner joins")
	id, code := oneID(fs, args, "transfer ID --to USER | --channel NAME [--note TEXT] [--leave]")
	if code != 0 {
		return code
	}
	if (req.ToUser == "") == (req.ToChannel == "") {
		return usageError("Give either --to USER or --channel NAME.")
	}
	req.SessionID = id
	return withConn(ctx, func(c *client.Conn, l client.Login) error {
		s, err := c.Transfer(ctx, req)
		if err != nil {
			return err
		}
		w := cleanWriter{os.Stdout}
		if req.ToUser == "" {
			fmt.Fprintf(w, "Session %s now waits in the queue of channel %s; %s was told.\n", s.ID, s.Channel, endUserOf(s))
			return nil
		}
		fmt.Fprintf(w, "Session %s is now %s's; %s was told.\n", s.ID, s.Owner, endUserOf(s))
		if slices.Contains(s.Technicians, l.User) && !slices.Contains(s.Technicians, s.Owner) {
			fmt.Fprintf(w, "You keep watching until %s joins.\n", s.Owner)
		}
		return nil
	})
}

func cmdInvite(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("console invite", flag.ContinueOnError)
	user := fs.String("user", "", "the colleague to invite (`name`)")
	id, code := oneID(fs, args, "invite ID --user NAME")
	if code != 0 {
		return code
	}
	if *user == "" {
		return usageError("Give the colleague to invite: --user NAME.")
	}
	return withConn(ctx, func(c *client.Conn, _ client.Login) error {
		if err := c.Invite(ctx, id, *user); err != nil {
			return err
		}
		fmt.Fprintf(cleanWriter{os.Stdout}, "Invited %s to session %s; their console shows the invitation.\n", *user, id)
		return nil
	})
}

// cmdAnswer accepts or declines an invitation.
func cmdAnswer(ctx context.Context, args []string, accept bool) int {
	verb := "decline"
	if accept {
		verb = "accept"
	}
	fs := flag.NewFlagSet("console "+verb, flag.ContinueOnError)
	id, code := oneID(fs, args, verb+" ID")
	if code != 0 {
		return code
	}
	return withConn(ctx, func(c *client.Conn, _ client.Login) error {
		if err := c.AnswerInvite(ctx, id, accept); err != nil {
			return err
		}
		answered(id, accept)
		return nil
	})
}

// answered says what an answer to an invitation did.
func answered(id string, accept bool) {
	if accept {
		fmt.Printf("You accepted the invitation to session %s. Join with: console connect --session %s (the end user is asked; you will watch).\n", id, id)
	} else {
		fmt.Printf("You declined the invitation to session %s.\n", id)
	}
}

func cmdNote(ctx context.Context, args []string) int {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Print("usage: console note ID TEXT...   (TEXT \"-\": read the note from standard input)\n")
		return 0
	}
	if len(args) < 2 || strings.HasPrefix(args[0], "-") {
		return usageError("Give a session ID and the note: console note ID TEXT...")
	}
	id, text := args[0], strings.Join(args[1:], " ")
	if text == "-" {
		b, err := io.ReadAll(bufio.NewReader(os.Stdin))
		if err != nil {
			fmt.Fprintln(os.Stderr, "Could not read the note from standard input.")
			return 1
		}
		text = string(b)
	}
	if strings.TrimSpace(text) == "" {
		return usageError("The note is empty.")
	}
	return withConn(ctx, func(c *client.Conn, _ client.Login) error {
		if err := c.AddNote(ctx, id, text); err != nil {
			return err
		}
		fmt.Printf("Added a note to session %s.\n", id)
		return nil
	})
}

// classifyRequest builds the SessionUpdate of `console classify`: only
// the flags given change; the three ticket flags together replace the
// ticket (an empty one removes it).
func classifyRequest(args []string) (proto.SessionUpdate, int) {
	fs := flag.NewFlagSet("console classify", flag.ContinueOnError)
	category := fs.String("category", "", "the session's `category` (\"\": none)")
	priority := fs.String("priority", "", "the session's `priority` (\"\": none)")
	var tk proto.Ticket
	fs.StringVar(&tk.System, "ticket-system", "", "the ticketing `system` (e.g. Jira)")
	fs.StringVar(&tk.Key, "ticket", "", "the ticket's `key` (e.g. IT-1234)")
	fs.StringVar(&tk.URL, "ticket-url", "", "the ticket's `URL`")
	id, code := oneID(fs, args, "classify ID [--category C] [--priority P] [--ticket-system S --ticket KEY --ticket-url URL]")
	if code != 0 {
		return proto.SessionUpdate{}, code
	}
	req := proto.SessionUpdate{SessionID: id}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "category":
			req.Category = category
		case "priority":
			req.Priority = priority
		case "ticket-system", "ticket", "ticket-url":
			req.Ticket = &tk
		}
	})
	if req.Category == nil && req.Priority == nil && req.Ticket == nil {
		return req, usageError("Give --category, --priority or the ticket (--ticket-system, --ticket, --ticket-url).")
	}
	return req, 0
}

func cmdClassify(ctx context.Context, args []string) int {
	req, code := classifyRequest(args)
	if code != 0 {
		return code
	}
	return withConn(ctx, func(c *client.Conn, _ client.Login) error {
		s, err := c.UpdateSession(ctx, req)
		if err != nil {
			return err
		}
		fmt.Fprintf(cleanWriter{os.Stdout}, "Session %s: %s.\n", s.ID, classification(s))
		return nil
	})
}

// classification says how s is classified, for a sentence.
func classification(s proto.SessionInfo) string {
	or := func(v string) string {
		if v == "" {
			return "none"
		}
		return v
	}
	return fmt.Sprintf("category %s, priority %s, ticket %s", or(s.Category), or(s.Priority), or(ticketText(s.Ticket)))
}

// ticketText is a ticket reference in one line: "Jira IT-1234 https://…".
func ticketText(tk proto.Ticket) string {
	return strings.Join(strings.Fields(tk.System+" "+tk.Key+" "+tk.URL), " ")
}

// parseWhen reads a --since or --until value: a date (the technician's
// time zone; as --until, the whole day counts) or an RFC 3339 time.
func parseWhen(v string, until bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	d, err := time.ParseInLocation("2006-01-02", v, time.Local)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a date (2006-01-02) nor a time (RFC 3339, 2006-01-02T15:04:05+01:00)", v)
	}
	if until {
		d = d.AddDate(0, 0, 1) // the relay's Until is exclusive
	}
	return d, nil
}

// parseStatuses reads --status: statuses separated by commas, in any case.
func parseStatuses(v string) ([]proto.Status, error) {
	all := []proto.Status{proto.StatusWaiting, proto.StatusReady, proto.StatusActive, proto.StatusClosed, proto.StatusExpired}
	var out []proto.Status
	for part := range strings.SplitSeq(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		i := slices.IndexFunc(all, func(s proto.Status) bool { return strings.EqualFold(string(s), part) })
		if i < 0 {
			return nil, fmt.Errorf("unknown status %q: give Waiting, Ready, Active, Closed or Expired", part)
		}
		if !slices.Contains(out, all[i]) {
			out = append(out, all[i])
		}
	}
	return out, nil
}

// historyOptions is the parsed command line of `console history`.
type historyOptions struct {
	req      proto.HistoryRequest
	asJSON   bool
	allPages bool
}

func parseHistory(args []string) (historyOptions, int) {
	var o historyOptions
	fs := flag.NewFlagSet("console history", flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	fs.BoolVar(&o.asJSON, "json", false, "print JSON: {\"sessions\": [...], \"next\": CURSOR}")
	fs.StringVar(&o.req.Channel, "channel", "", "only this channel's sessions (`name`)")
	status := fs.String("status", "", "only sessions in these statuses (`S[,S]`: Waiting, Ready, Active, Closed, Expired)")
	since := fs.String("since", "", "only sessions created from this `date` on (2006-01-02 or RFC 3339)")
	until := fs.String("until", "", "only sessions created up to this `date` (a date: the whole day)")
	fs.StringVar(&o.req.Technician, "technician", "", "only sessions this technician owned or joined (`name`)")
	fs.StringVar(&o.req.Customer, "customer", "", "only end users whose name contains this `text`")
	fs.StringVar(&o.req.Hostname, "hostname", "", "only devices whose host name contains this `text`")
	fs.StringVar(&o.req.Category, "category", "", "only this `category`")
	fs.StringVar(&o.req.Priority, "priority", "", "only this `priority`")
	fs.IntVar(&o.req.MinRating, "min-rating", 0, "only sessions the end user rated at least `N` stars (1-5)")
	fs.IntVar(&o.req.Limit, "limit", 0, "at most `N` sessions per page (default 50, at most 200)")
	fs.BoolVar(&o.allPages, "all-pages", false, "follow the pages to the last one")
	fs.StringVar(&o.req.Cursor, "cursor", "", "start at this page (the `next` of the previous one)")
	if err := fs.Parse(args); err != nil {
		return o, 2
	}
	if fs.NArg() > 0 {
		return o, usageError("console history takes no arguments besides its flags (%q).", fs.Arg(0))
	}
	var err error
	if o.req.Statuses, err = parseStatuses(*status); err != nil {
		return o, usageError("--status: %v.", err)
	}
	if *since != "" {
		if o.req.Since, err = parseWhen(*since, false); err != nil {
			return o, usageError("--since: %v.", err)
		}
	}
	if *until != "" {
		if o.req.Until, err = parseWhen(*until, true); err != nil {
			return o, usageError("--until: %v.", err)
		}
	}
	if o.req.MinRating < 0 || o.req.MinRating > 5 {
		return o, usageError("--min-rating: a rating is 1 to 5 stars.")
	}
	if o.req.Limit < 0 {
		return o, usageError("--limit: give a positive number.")
	}
	if o.allPages && o.req.Cursor != "" {
		return o, usageError("Give --all-pages or --cursor, not both.")
	}
	return o, 0
}

func cmdHistory(ctx context.Context, args []string) int {
	o, code := parseHistory(args)
	if code != 0 {
		return code
	}
	c, l, code := open(ctx, nil)
	if c == nil {
		return code
	}
	defer c.Close()
	var all proto.HistoryPage
	all.Sessions = []proto.SessionInfo{}
	req := o.req
	for {
		p, err := c.History(ctx, req)
		if err != nil {
			return fail(err, l.Relay)
		}
		all.Sessions = append(all.Sessions, p.Sessions...)
		all.Next = p.Next
		if !o.allPages || p.Next == "" || p.Next == req.Cursor || len(p.Sessions) == 0 {
			break
		}
		req.Cursor = p.Next
	}
	if o.allPages {
		all.Next = ""
	}
	if o.asJSON {
		printJSON(os.Stdout, all)
		return 0
	}
	printHistory(os.Stdout, all.Sessions)
	if all.Next != "" {
		fmt.Fprintf(os.Stderr, "More sessions match: add --all-pages, or --cursor %s for the next page.\n", all.Next)
	}
	return 0
}

// column is one column of a session table; optional ones are left out
// when no row has a value.
type column struct {
	name     string
	optional bool
	value    func(proto.SessionInfo) string
}

// printSessions writes ss as a table of cols.
func printSessions(w io.Writer, ss []proto.SessionInfo, cols []column) {
	var shown []column
	for _, col := range cols {
		keep := !col.optional
		for _, s := range ss {
			keep = keep || col.value(s) != ""
		}
		if keep {
			shown = append(shown, col)
		}
	}
	tw := tabwriter.NewWriter(cleanWriter{w}, 0, 4, 2, ' ', 0)
	row := make([]string, len(shown))
	for i, col := range shown {
		row[i] = col.name
	}
	fmt.Fprintln(tw, strings.Join(row, "\t"))
	for _, s := range ss {
		for i, col := range shown {
			// A cell is one line: a tab or newline from the other side would break the table.
			row[i] = strings.Join(strings.Fields(col.value(s)), " ")
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
}

// The columns the queue and the history share.
var (
	colSession  = column{"SESSION", false, func(s proto.SessionInfo) string { return s.ID }}
	colStatus   = column{"STATUS", false, statusText}
	colChannel  = column{"CHANNEL", true, func(s proto.SessionInfo) string { return s.Channel }}
	colOwner    = column{"OWNER", false, func(s proto.SessionInfo) string { return s.Owner }}
	colCategory = column{"CATEGORY", true, func(s proto.SessionInfo) string { return s.Category }}
	colPriority = column{"PRIORITY", true, func(s proto.SessionInfo) string { return s.Priority }}
	colEndUser  = column{"END USER / DEVICE", false, describe}
)

// statusText is a session's status, marked when it passed its SLA.
func statusText(s proto.SessionInfo) string {
	if !s.Escalated.IsZero() && s.Status.Live() {
		return string(s.Status) + " (escalated)"
	}
	return string(s.Status)
}

func printHistory(w io.Writer, ss []proto.SessionInfo) {
	if len(ss) == 0 {
		fmt.Fprintln(w, "No session matches.")
		return
	}
	created := column{"CREATED", false, func(s proto.SessionInfo) string { return s.CreatedAt.Local().Format("2006-01-02 15:04") }}
	rating := column{"RATING", true, func(s proto.SessionInfo) string {
		if s.Rating == 0 {
			return ""
		}
		return fmt.Sprintf("%d/5", s.Rating)
	}}
	printSessions(w, ss, []column{colSession, colStatus, created, colChannel, colOwner, colCategory, colPriority, rating, colEndUser})
}

func cmdAvailability(ctx context.Context, args []string) int {
	if len(args) > 1 || (len(args) == 1 && strings.HasPrefix(args[0], "-")) {
		return usageError("usage: console availability [available|busy|away]")
	}
	var want proto.Availability
	if len(args) == 1 {
		want = proto.Availability(strings.ToLower(args[0]))
		if !want.Valid() {
			return usageError("Availability is available, busy or away.")
		}
	}
	c, l, code := open(ctx, nil)
	if c == nil {
		return code
	}
	defer c.Close()
	if want != "" {
		if err := c.SetAvailability(ctx, want); err != nil {
			return fail(err, l.Relay)
		}
		fmt.Printf("You are now %s.\n", want)
		return 0
	}
	d, err := c.Directory(ctx)
	if err != nil {
		return fail(err, l.Relay)
	}
	fmt.Println(availabilityLine(d.Me))
	return 0
}

// availabilityLine says how available a technician is.
func availabilityLine(me proto.TechnicianInfo) string {
	a := me.Availability
	if a == "" {
		a = proto.Available
	}
	s := fmt.Sprintf("You are %s", a)
	switch me.Sessions {
	case 0:
		s += ", with no session."
	case 1:
		s += ", with 1 session."
	default:
		s += fmt.Sprintf(", with %d sessions.", me.Sessions)
	}
	return s
}

// listFlags parses the --json of channels and technicians.
func listFlags(name string, args []string) (asJSON bool, code int) {
	fs := flag.NewFlagSet("console "+name, flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	j := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return false, 2
	}
	if fs.NArg() > 0 {
		return false, usageError("usage: console %s [--json]", name)
	}
	return *j, 0
}

func cmdChannels(ctx context.Context, args []string) int {
	return cmdDirectory(ctx, args, "channels", func(w io.Writer, d proto.Directory, asJSON bool) { printChannels(w, d.Channels, asJSON) })
}

// cmdDirectory prints one list of the relay's directory (console channels,
// console technicians).
func cmdDirectory(ctx context.Context, args []string, name string, print func(io.Writer, proto.Directory, bool)) int {
	asJSON, code := listFlags(name, args)
	if code != 0 {
		return code
	}
	return withConn(ctx, func(c *client.Conn, _ client.Login) error {
		d, err := c.Directory(ctx)
		if err != nil {
			return err
		}
		print(os.Stdout, d, asJSON)
		return nil
	})
}

func printChannels(w io.Writer, chs []proto.ChannelInfo, asJSON bool) {
	if asJSON {
		if chs == nil {
			chs = []proto.ChannelInfo{}
		}
		printJSON(w, chs)
		return
	}
	if len(chs) == 0 {
		fmt.Fprintln(w, "There are no channels.")
		return
	}
	tw := tabwriter.NewWriter(cleanWriter{w}, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHANNEL\tYOU\tSLA\tDESCRIPTION")
	for _, ch := range chs {
		var you []string
		if ch.Serves {
			you = append(you, "serve")
		}
		if ch.Manages {
			you = append(you, "manage")
		}
		name := ch.Name
		if ch.Default {
			name += " (default)"
		}
		sla := ""
		if ch.SLA > 0 {
			sla = ch.SLA.String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, strings.Join(you, ", "), sla, strings.Join(strings.Fields(ch.Description), " "))
	}
	tw.Flush()
}

func cmdTechnicians(ctx context.Context, args []string) int {
	return cmdDirectory(ctx, args, "technicians", func(w io.Writer, d proto.Directory, asJSON bool) { printTechnicians(w, d.Technicians, asJSON) })
}

func printTechnicians(w io.Writer, ts []proto.TechnicianInfo, asJSON bool) {
	if asJSON {
		if ts == nil {
			ts = []proto.TechnicianInfo{}
		}
		printJSON(w, ts)
		return
	}
	tw := tabwriter.NewWriter(cleanWriter{w}, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TECHNICIAN\tROLE\tAVAILABILITY\tONLINE\tSESSIONS\tLANGUAGES")
	for _, t := range ts {
		online := "no"
		if t.Online {
			online = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", t.Name, t.Role, t.Availability, online, t.Sessions, strings.Join(t.Languages, ", "))
	}
	tw.Flush()
}

// cmdNotices stays subscribed to the queue and prints every notice (an
// invitation, an assignment, an escalation...) as one line until Ctrl+C.
func cmdNotices(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("console notices", flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		return usageError("usage: console notices")
	}
	notices := make(chan proto.Notice, 256)
	c, l, code := open(ctx, func(env proto.Envelope) {
		var n proto.Notice
		if env.Type == proto.TypeNotice && env.Decode(&n) == nil {
			select {
			case notices <- n:
			default: // a console that reads nothing for 256 notices loses the newest
			}
		}
	})
	if c == nil {
		return code
	}
	defer c.Close()
	// Notices go to the consoles subscribed to the queue; being
	// subscribed is also what makes a technician invitable.
	if _, err := c.Subscribe(ctx, false); err != nil {
		return fail(err, l.Relay)
	}
	fmt.Fprintf(os.Stderr, "Listening for notices to %s; press Ctrl+C to stop.\n", l.User)
	w := cleanWriter{os.Stdout}
	for {
		select {
		case <-ctx.Done():
			return 0
		case <-c.Done():
			return fail(c.Err(), l.Relay)
		case n := <-notices:
			fmt.Fprintln(w, noticeLine(n))
		}
	}
}

// noticeLine is a notice in one line: "[invitation] tina invites you to
// join the session of Ann (ID)".
func noticeLine(n proto.Notice) string {
	text := strings.TrimSuffix(strings.Join(strings.Fields(n.Text), " "), ".")
	if text == "" {
		text = "(no text)"
	}
	kind := n.Kind
	if kind == "" {
		kind = "notice"
	}
	line := "[" + kind + "] " + text
	if n.SessionID != "" {
		line += " (" + n.SessionID + ")"
	}
	return line
}

// parseControl reads "ID give --to NAME", "ID take" or "ID request".
func parseControl(args []string) (proto.Control, int) {
	fs := flag.NewFlagSet("console control", flag.ContinueOnError)
	to := fs.String("to", "", "with give: the `technician` who gets control")
	id, rest, err := idAndFlags(fs, args)
	if err != nil {
		return proto.Control{}, 2
	}
	req := proto.Control{SessionID: id, To: *to}
	if id == "" || len(rest) != 1 {
		return req, usageError("Give a session ID and an action: console control ID give --to NAME | take | request.")
	}
	req.Action = rest[0]
	switch {
	case req.Action != proto.ControlGive && req.Action != proto.ControlTake && req.Action != proto.ControlRequest:
		return req, usageError("The control actions are give, take and request, not %q.", req.Action)
	case req.Action == proto.ControlGive && req.To == "":
		return req, usageError("Say whom to give control to: console control ID give --to NAME.")
	case req.Action != proto.ControlGive && req.To != "":
		return req, usageError("--to goes with give only.")
	}
	return req, 0
}

func cmdControl(ctx context.Context, args []string) int {
	req, code := parseControl(args)
	if code != 0 {
		return code
	}
	return withConn(ctx, func(c *client.Conn, _ client.Login) error {
		if err := c.Control(ctx, req); err != nil {
			return err
		}
		controlled(req)
		return nil
	})
}

// controlled says what a control request did.
func controlled(req proto.Control) {
	switch req.Action {
	case proto.ControlGive:
		fmt.Fprintf(cleanWriter{os.Stdout}, "%s has control of the mouse and keyboard now.\n", req.To)
	case proto.ControlTake:
		fmt.Println("You have control of the mouse and keyboard again.")
	default:
		fmt.Println("Asked the session's owner for control.")
	}
}

// withConn opens the saved sign-in's connection, runs fn on it and turns
// its error into the exit code (the relay's sentence on standard error).
func withConn(ctx context.Context, fn func(c *client.Conn, l client.Login) error) int {
	c, l, code := open(ctx, nil)
	if c == nil {
		return code
	}
	defer c.Close()
	if err := fn(c, l); err != nil {
		return fail(err, l.Relay)
	}
	return 0
}
