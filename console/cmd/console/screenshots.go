package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/relaydesk/relaydesk/console/client"
	"github.com/relaydesk/relaydesk/pkg/adminapi"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

const screenshotsUsage = `  console screenshots SESSION [--json]             a session's screenshots, who took them, and who may see them
  console screenshots get ID --out FILE.png        download a screenshot
  console visibility SESSION [public|internal]     show or set who may open a session's screenshots
`

// keepScreenshot uploads img as a screenshot of session id through the
// admin API and says so.
func keepScreenshot(ctx context.Context, l client.Login, id string, img *image.RGBA) error {
	if id == "" {
		return errors.New("The screen arrived before the session's ID; the screenshot was not kept.")
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("Could not encode the screenshot: %v.", err)
	}
	a, err := client.NewAdmin(l)
	if err != nil {
		return err
	}
	defer a.Close()
	sh, err := a.UploadScreenshot(ctx, id, buf.Bytes(), false)
	if err != nil {
		return fmt.Errorf("The screenshot was not kept: %s", strings.TrimSuffix(err.Error(), ".")+".")
	}
	fmt.Printf("Kept screenshot %s (%dx%d, %d bytes) with session %s.\n", sh.ID, sh.Width, sh.Height, sh.Size, id)
	return nil
}

// localError is a failure on this computer (a file that cannot be
// written), said as it is: it has nothing to do with reaching the relay.
type localError struct{ sentence string }

func (e localError) Error() string { return e.sentence }

// withAdmin runs fn with the saved sign-in's admin API client and turns
// its error into a sentence and an exit code.
func withAdmin(ctx context.Context, fn func(*client.Admin) error) int {
	l, err := client.LoadLogin()
	if err != nil {
		return fail(err, "")
	}
	a, err := client.NewAdmin(l)
	if err != nil {
		return fail(err, l.Relay)
	}
	defer a.Close()
	err = fn(a)
	var ae *client.AdminError
	var le localError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ae):
		fmt.Fprintln(cleanWriter{os.Stderr}, ae.Text)
		return 1
	case errors.As(err, &le):
		fmt.Fprintln(os.Stderr, le.sentence)
		return 1
	}
	return fail(err, l.Relay)
}

func cmdScreenshots(ctx context.Context, args []string) int {
	if len(args) > 0 && args[0] == "get" {
		fs := flag.NewFlagSet("console screenshots get", flag.ContinueOnError)
		out := fs.String("out", "", "write the PNG to this `file`")
		id, rest, err := idAndFlags(fs, args[1:])
		if err != nil || id == "" || len(rest) > 0 || *out == "" {
			return usageError("usage: console screenshots get ID --out FILE.png")
		}
		return withAdmin(ctx, func(a *client.Admin) error {
			b, err := a.Screenshot(ctx, id)
			if err != nil {
				return err
			}
			if err := os.WriteFile(*out, b, 0o600); err != nil {
				return localError{fmt.Sprintf("Could not write %s: %v.", *out, err)}
			}
			fmt.Printf("Saved screenshot %s (%d bytes) to %s.\n", id, len(b), *out)
			return nil
		})
	}
	fs := flag.NewFlagSet("console screenshots", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	id, rest, err := idAndFlags(fs, args)
	if err != nil || id == "" || len(rest) > 0 {
		return usageError("usage: console screenshots SESSION [--json] | console screenshots get ID --out FILE.png")
	}
	return withAdmin(ctx, func(a *client.Admin) error {
		rec, err := a.SessionRecords(ctx, id)
		if err != nil {
			return err
		}
		if *asJSON {
			printJSON(os.Stdout, rec)
			return nil
		}
		printRecords(rec)
		return nil
	})
}

// printRecords lists a session's screenshots as a table.
func printRecords(rec adminapi.Records) {
	w := cleanWriter{os.Stdout}
	fmt.Fprintf(w, "Session %s is %s: %s\n", rec.SessionID, rec.Visibility, visibilityMeaning(proto.Visibility(rec.Visibility)))
	if len(rec.Screenshots) == 0 {
		fmt.Fprintln(w, "No screenshots.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTAKEN\tBY\tSIZE\tMARKED UP")
	for _, s := range rec.Screenshots {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%dx%d\t%s\n", s.ID, s.TakenAt.Local().Format("2006-01-02 15:04:05"), s.TakenBy, s.Width, s.Height,
			map[bool]string{true: "yes", false: "no"}[s.Marked])
	}
	tw.Flush()
}

// visibilityMeaning says who may open the records of a session that is v.
func visibilityMeaning(v proto.Visibility) string {
	if v == proto.VisibilityInternal {
		return "only technicians who may see the session can open its screenshots."
	}
	return "the end user can open its screenshots through the link the app showed at the end."
}

func cmdVisibility(ctx context.Context, args []string) int {
	if len(args) < 1 || len(args) > 2 || strings.HasPrefix(args[0], "-") {
		return usageError("usage: console visibility SESSION [public|internal]")
	}
	id := args[0]
	return withAdmin(ctx, func(a *client.Admin) error {
		var rec adminapi.Records
		var err error
		if len(args) == 1 {
			rec, err = a.SessionRecords(ctx, id)
		} else {
			v := proto.Visibility(strings.ToLower(args[1]))
			if !v.Valid() {
				return fmt.Errorf("%q is not a visibility: say public or internal", args[1])
			}
			rec, err = a.SetVisibility(ctx, id, v)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(cleanWriter{os.Stdout}, "Session %s is %s: %s\n", rec.SessionID, rec.Visibility, visibilityMeaning(proto.Visibility(rec.Visibility)))
		return nil
	})
}
