package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/store"
)

// channelRecord is `relay channel record NAME [--policy P] [--keep-days N]`:
// it shows a channel's recording policy and retention, and changes what
// is given.
func channelRecord(cmd string, args []string) error {
	fs := flag.NewFlagSet("relay channel record", flag.ContinueOnError)
	data := fs.String("data", "relay-data", "data `directory`")
	policy := fs.String("policy", "", "recording `policy`: off (never), allowed (when a technician asks and the end user agrees) or required (every session; the consent question says so)")
	keep := fs.Int("keep-days", 0, "delete its recordings this many `days` after they ended (0: keep them)")
	pos, err := userFlags(fs, args, 1, "the channel's name")
	if err != nil {
		return err
	}
	set := given(fs)
	p := proto.RecordPolicy(strings.ToLower(strings.TrimSpace(*policy)))
	if set["policy"] && (p == "" || !p.Valid()) {
		return fmt.Errorf("--policy %q is not off, allowed or required", *policy)
	}
	if *keep < 0 {
		return fmt.Errorf("--keep-days %d is negative (0 keeps recordings)", *keep)
	}
	return withChannel(*data, pos[0], func(ctx context.Context, st store.Store, d *deskState, ch store.Channel) error {
		rs, err := st.ChannelRecording(ctx, ch.ID)
		if err != nil {
			return err
		}
		if set["policy"] || set["keep-days"] {
			old := rs
			if set["policy"] {
				rs.Policy = p
			}
			if set["keep-days"] {
				rs.KeepDays = *keep
			}
			if err := st.SetChannelRecording(ctx, ch.ID, rs); err != nil {
				return err
			}
			if err := audit(ctx, st, "channel.recording", map[string]string{"channel": ch.Name,
				"policy": string(rs.Policy), "keep_days": fmt.Sprint(rs.KeepDays), "was": fmt.Sprintf("%s, %d days", old.Policy, old.KeepDays)}); err != nil {
				return err
			}
		}
		keepText := "kept until deleted by hand"
		if rs.KeepDays > 0 {
			keepText = fmt.Sprintf("deleted %d days after they end", rs.KeepDays)
		}
		fmt.Fprintf(os.Stdout, "Channel %q: recording %s; recordings are %s.\n", ch.Name, rs.Policy, keepText)
		return nil
	})
}
