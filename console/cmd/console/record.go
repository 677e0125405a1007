package main

import (
	"context"
	"fmt"
	"os"

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
