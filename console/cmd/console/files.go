package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/relaydesk/relaydesk/console/client"
	"github.com/relaydesk/relaydesk/pkg/filexfer"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// fileList is a repeatable flag (--send, --fetch).
type fileList []string

func (l *fileList) String() string     { return strings.Join(*l, ", ") }
func (l *fileList) Set(v string) error { *l = append(*l, v); return nil }

// progressLines prints a transfer's progress to w once a second.
func progressLines(w io.Writer) func(filexfer.Event) {
	var mu sync.Mutex
	last := map[string]time.Time{}
	return func(ev filexfer.Event) {
		if ev.Resumed {
			fmt.Fprintf(cleanWriter{w}, "%s: the connection is back; going on from %s.\n", ev.Name, filexfer.Bytes(ev.Done))
			return
		}
		if ev.State != "" {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if time.Since(last[ev.ID]) < time.Second {
			return
		}
		last[ev.ID] = time.Now()
		fmt.Fprintln(cleanWriter{w}, filexfer.Progress(ev))
	}
}

// runTransfers sends and then fetches the files one after the other,
// says how each ended on out, and returns an error when any did not work.
func runTransfers(ctx context.Context, fx *client.Files, sends, fetches []string, out, errOut io.Writer) error {
	failed := 0
	do := func(what string, run func() (filexfer.Event, error)) {
		ev, err := run()
		switch {
		case err != nil && ctx.Err() != nil:
			failed++
		case err != nil:
			failed++
			fmt.Fprintf(cleanWriter{errOut}, "%s: %v\n", what, sentence(err))
		case ev.State != proto.FileDone:
			failed++
			fmt.Fprintf(cleanWriter{errOut}, "%s: %s\n", what, ev.Reason)
		case ev.Send:
			fmt.Fprintf(cleanWriter{out}, "Sent %s (%s); the end user's app saved it as %s.\n", what, filexfer.Bytes(ev.Size), ev.Path)
		default:
			fmt.Fprintf(cleanWriter{out}, "Fetched %s (%s) into %s.\n", what, filexfer.Bytes(ev.Size), ev.Path)
		}
	}
	for _, p := range sends {
		do(p, func() (filexfer.Event, error) { return fx.Send(ctx, p) })
	}
	for _, p := range fetches {
		do(p, func() (filexfer.Event, error) { return fx.Fetch(ctx, p) })
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d transfers did not complete", failed, len(sends)+len(fetches))
	}
	return nil
}

// sentence is err for a person: the relay's sentence as it is.
func sentence(err error) string {
	var f *proto.Failure
	if errors.As(err, &f) {
		return f.Message
	}
	return err.Error()
}

// printTransfers writes a session's file transfers for a person.
func printTransfers(w io.Writer, l proto.FileList) {
	if len(l.Transfers) == 0 {
		return
	}
	w = cleanWriter{w}
	fmt.Fprintln(w, "Files:")
	if l.Omitted > 0 {
		fmt.Fprintf(w, "  (%d older transfers left out)\n", l.Omitted)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, t := range l.Transfers {
		way := "sent to the end user"
		if t.Direction == proto.FileFetch {
			way = "fetched from the end user"
		}
		state := string(t.State)
		if t.Reason != "" {
			state += ": " + t.Reason
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", stamp(t.StartedAt), t.Technician, way, t.Name, filexfer.Bytes(t.Size), state, t.SHA256)
	}
	tw.Flush()
}

// uploaded says how a file the end user sent ended.
func uploaded(w io.Writer) func(filexfer.Event) {
	return func(ev filexfer.Event) {
		if ev.State == proto.FileDone {
			fmt.Fprintf(cleanWriter{w}, "Received %s (%s) from the end user into %s.\n", ev.Name, filexfer.Bytes(ev.Size), ev.Path)
			return
		}
		fmt.Fprintf(cleanWriter{w}, "The end user's file %s did not arrive: %s\n", ev.Name, ev.Reason)
	}
}
