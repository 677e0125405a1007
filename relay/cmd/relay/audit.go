package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/relaydesk/relaydesk/relay/store"
)

// auditLine is one audit event as `relay audit --json` prints it: one JSON
// object a line, for a SIEM.
type auditLine struct {
	ID      int64             `json:"id"`
	Time    time.Time         `json:"time"`
	Kind    string            `json:"kind"`
	Actor   string            `json:"actor,omitempty"`
	Source  string            `json:"source,omitempty"`
	Session string            `json:"session,omitempty"`
	Detail  map[string]string `json:"detail,omitempty"`
}

// auditPage is how many events are read at a time.
const auditPage = 500

func auditCmd(args []string) error {
	fs := flag.NewFlagSet("relay audit", flag.ContinueOnError)
	data := fs.String("data", "relay-data", "data `directory`")
	since := fs.String("since", "", "print events from this `time` on: a duration back from now (24h, 90m) or a date (2026-11-30, 2026-11-30T08:00:00Z)")
	asJSON := fs.Bool("json", false, "print JSON lines (one event a line) instead of a table")
	if _, err := userFlags(fs, args, 0, "no argument besides the flags"); err != nil {
		return err
	}
	from, err := parseSince(*since, time.Now())
	if err != nil {
		return err
	}
	return withStore(*data, func(ctx context.Context, st store.Store) error {
		return printAudit(ctx, os.Stdout, st, from, *asJSON)
	})
}

// parseSince reads --since: "" (everything), a duration back from now, an
// RFC 3339 time or a date (local midnight).
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, time.Local); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--since %q is neither a duration (24h) nor a time (2026-11-30 or 2026-11-30T08:00:00Z)", s)
}

// printAudit writes the events from on, oldest first, as JSON lines or a table.
func printAudit(ctx context.Context, out io.Writer, st store.Store, from time.Time, asJSON bool) error {
	enc := json.NewEncoder(out)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	if !asJSON {
		fmt.Fprintln(tw, "TIME\tKIND\tACTOR\tSOURCE\tSESSION\tDETAIL")
	}
	var after int64
	for {
		evs, err := st.AuditSince(ctx, from, after, auditPage)
		if err != nil {
			return fmt.Errorf("read the audit events: %w", err)
		}
		for _, e := range evs {
			if asJSON {
				if err := enc.Encode(auditLine{ID: e.ID, Time: e.At, Kind: e.Kind, Actor: e.Actor, Source: e.Source, Session: e.SessionID, Detail: e.Detail}); err != nil {
					return fmt.Errorf("print the audit events: %w", err)
				}
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.At.Local().Format("2006-01-02 15:04:05"), printable(e.Kind),
				orDash(printable(e.Actor)), orDash(e.Source), orDash(e.SessionID), orDash(detailText(e.Detail)))
		}
		if len(evs) < auditPage {
			break
		}
		after = evs[len(evs)-1].ID
	}
	if asJSON {
		return nil
	}
	return tw.Flush()
}

// detailText shows a detail map as sorted key=value pairs.
func detailText(d map[string]string) string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, printable(k)+"="+printable(d[k]))
	}
	return strings.Join(parts, " ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// printable replaces control characters (which a client may have put in a
// user name or reason) so that printing cannot move the cursor, recolour
// the terminal or break the table.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\t' {
			return '?'
		}
		return r
	}, s)
}
