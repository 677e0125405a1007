package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

const sessionUsage = `usage: console session ID [--json] [--chat TEXT]
  prints the session with its channel and classification, the end user's
  rating, the chat, the internal notes, the status history and the files
  moved in it;
  --chat first sends TEXT to the session's chat (you must be attached to it)
`

// cmdSession prints one session's details, after sending a chat message if asked.
func cmdSession(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("console session", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	chat := fs.String("chat", "", "send this `text` to the session's chat first")
	var id string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if id == "" && fs.NArg() == 1 {
		id = fs.Arg(0)
	}
	if id == "" || (fs.NArg() > 0 && fs.Arg(0) != id) {
		fmt.Fprint(os.Stderr, sessionUsage)
		return 2
	}
	c, l, code := open(ctx, nil)
	if c == nil {
		return code
	}
	defer c.Close()
	if *chat != "" {
		if err := c.Chat(ctx, id, *chat); err != nil {
			return fail(err, l.Relay)
		}
	}
	d, err := c.SessionDetails(ctx, id)
	if err != nil {
		return fail(err, l.Relay)
	}
	files, err := c.FileList(ctx, id)
	if err != nil {
		return fail(err, l.Relay)
	}
	if files.Transfers == nil {
		files.Transfers = []proto.FileTransfer{}
	}
	if *asJSON {
		printJSON(os.Stdout, struct {
			proto.SessionDetails
			Transfers []proto.FileTransfer `json:"transfers"`
		}{d, files.Transfers})
		return 0
	}
	printDetails(os.Stdout, d)
	printTransfers(os.Stdout, files)
	return 0
}

// printDetails writes a session's details for a person.
func printDetails(w io.Writer, d proto.SessionDetails) {
	w = cleanWriter{w}
	s := d.Session
	fmt.Fprintf(w, "Session %s (%s), %s\n", s.ID, s.Kind, s.Status)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	field := func(name, value string) {
		if value != "" {
			fmt.Fprintf(tw, "  %s:\t%s\n", name, value)
		}
	}
	field("Channel", s.Channel)
	field("Owner", s.Owner)
	field("End user", describe(s))
	field("Language", s.Language)
	field("Technicians", strings.Join(s.Technicians, ", "))
	field("Guests", strings.Join(s.Guests, ", "))
	field("Category", s.Category)
	field("Priority", s.Priority)
	field("Ticket", ticketText(s.Ticket))
	field("Problem", strings.Join(strings.Fields(s.Problem), " "))
	field("Created", stamp(s.CreatedAt))
	field("Started", stamp(s.StartedAt))
	if !s.Escalated.IsZero() {
		field("Escalated", stamp(s.Escalated)+" (waited longer than its channel's SLA)")
	}
	if !s.EndedAt.IsZero() {
		ended := stamp(s.EndedAt) + " by " + s.EndedBy
		if s.EndReason != "" {
			ended += " (" + s.EndReason + ")"
		}
		field("Ended", ended)
	}
	if s.Rating > 0 {
		r := fmt.Sprintf("%s %d of 5", strings.Repeat("★", s.Rating)+strings.Repeat("☆", 5-s.Rating), s.Rating)
		if s.RatingComment != "" {
			r += fmt.Sprintf(": %q", s.RatingComment)
		}
		field("Rating", r)
	}
	tw.Flush()
	if len(d.Recordings) > 0 { // console recording get ID --out FILE
		fmt.Fprintln(w, "  Recordings:")
		for _, r := range d.Recordings {
			fmt.Fprintf(w, "    %s  %s, %.1f MB, asked by %s\n", r.ID, r.Duration.Round(time.Second), float64(r.Bytes)/1e6, r.AskedBy)
		}
	}
	if d.Withheld != "" {
		fmt.Fprintf(w, "Chat and notes withheld: %s\n", d.Withheld)
	}
	if len(d.Chat) > 0 {
		fmt.Fprintln(w, "Chat:")
		if d.ChatOmitted > 0 {
			fmt.Fprintf(w, "  (%d older messages left out)\n", d.ChatOmitted)
		}
		for _, c := range d.Chat {
			fmt.Fprintf(w, "  %s %s: %s\n", c.At.Local().Format("15:04:05"), c.From, indent(c.Text))
		}
	}
	if len(d.Notes) > 0 {
		fmt.Fprintln(w, "Notes:")
		for _, n := range d.Notes {
			fmt.Fprintf(w, "  %s %s: %s\n", n.At.Local().Format("2006-01-02 15:04"), n.Author, indent(n.Text))
		}
	}
	if len(d.History) > 0 {
		fmt.Fprintln(w, "History:")
		if d.HistoryOmitted > 0 {
			fmt.Fprintf(w, "  (%d older entries left out)\n", d.HistoryOmitted)
		}
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, e := range d.History {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", e.At.Local().Format("2006-01-02 15:04:05"), e.Status, e.Actor, e.Detail)
		}
		tw.Flush()
	}
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// indent keeps a multi-line chat message under its sender.
func indent(text string) string { return strings.ReplaceAll(text, "\n", "\n    ") }

// printChat prints an incoming chat message as "Chat from NAME: text".
func printChat(w io.Writer, env proto.Envelope) {
	w = cleanWriter{w}
	var c proto.Chat
	if env.Decode(&c) == nil {
		fmt.Fprintf(w, "Chat from %s: %s\n", c.From, indent(c.Text))
	}
}

// cleanWriter drops the control characters (terminal escapes) that names
// and chat texts from the other side could carry; it keeps newlines and
// tabs. Each Write must hold whole characters (fmt writes whole strings).
type cleanWriter struct{ w io.Writer }

func (c cleanWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(c.w, proto.CleanText(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
