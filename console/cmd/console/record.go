package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/console/client"
)

// askRecording asks the relay (and so the end user) to record the
// session, and says how it went.
func askRecording(ctx context.Context, sess *client.Session) {
	fmt.Println("Asking the end user to allow a recording…")
	if err := sess.Record(ctx, true); err != nil {
		if ctx.Err() == nil {
			fmt.Fprintf(cleanWriter{os.Stderr}, "Not recording: %s\n", err)
		}
	}
}

// cmdRecording is `console recording get ID --out FILE`: it downloads a
// recording of a session one may see over the relay's HTTPS admin API.
// The file appears only once complete; an existing file is never
// overwritten.
func cmdRecording(ctx context.Context, args []string) int {
	if len(args) == 0 || args[0] != "get" {
		fmt.Fprint(os.Stderr, "usage: console recording get ID --out FILE.webm\n")
		return 2
	}
	fs := flag.NewFlagSet("console recording get", flag.ContinueOnError)
	out := fs.String("out", "", "write the recording (WebM) to this `file`")
	var id string
	rest := args[1:]
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		id, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return 2
	}
	if id == "" && fs.NArg() == 1 {
		id = fs.Arg(0)
	}
	if id == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "Give the recording's ID and --out FILE.webm (console session ID --json lists a session's recordings).")
		return 2
	}
	if _, err := os.Stat(*out); err == nil {
		fmt.Fprintf(os.Stderr, "%s exists already; choose another file name.\n", *out)
		return 1
	}
	return withAdmin(ctx, func(a *client.Admin) error {
		tmp, err := os.CreateTemp(filepath.Dir(*out), "."+filepath.Base(*out)+".part-*")
		if err != nil {
			return localError{fmt.Sprintf("Cannot write into the folder of %s: %v.", *out, err)}
		}
		defer os.Remove(tmp.Name()) // after the rename: nothing there any more
		var last time.Time
		n, err := a.DownloadRecording(ctx, id, tmp, func(done, total int64) {
			if time.Since(last) < time.Second {
				return
			}
			last = time.Now()
			if total > 0 {
				fmt.Printf("Downloading: %.1f of %.1f MB…\n", float64(done)/1e6, float64(total)/1e6)
			} else {
				fmt.Printf("Downloading: %.1f MB…\n", float64(done)/1e6)
			}
		})
		if cerr := tmp.Close(); err == nil && cerr != nil {
			err = localError{fmt.Sprintf("Could not write %s: %v.", *out, cerr)}
		}
		if err != nil {
			return err
		}
		if err := os.Rename(tmp.Name(), *out); err != nil {
			return localError{fmt.Sprintf("Could not write %s: %v.", *out, err)}
		}
		fmt.Printf("Saved recording %s (%.1f MB) to %s.\n", id, float64(n)/1e6, *out)
		return nil
	})
}
