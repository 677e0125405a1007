package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/relaydesk/relaydesk/pkg/filexfer"
	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/store"
)

// channelFileLimit shows or sets a channel's file size limit:
// relay channel file-limit NAME [SIZE | default].
func channelFileLimit(cmd string, args []string) error {
	fs := flag.NewFlagSet("relay channel file-limit", flag.ContinueOnError)
	data := fs.String("data", "relay-data", "data `directory`")
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		pos, args = append(pos, fs.Arg(0)), fs.Args()[1:]
	}
	if len(pos) < 1 || len(pos) > 2 {
		return fmt.Errorf("give the channel's name, and to change it a size such as 500MB or 4GB (or default: %s)", filexfer.Bytes(proto.DefaultFileLimit))
	}
	var limit int64
	if len(pos) == 2 {
		var err error
		if limit, err = parseSize(pos[1]); err != nil {
			return err
		}
	}
	return withChannel(*data, pos[0], func(ctx context.Context, st store.Store, d *deskState, ch store.Channel) error {
		if len(pos) == 2 {
			if err := st.SetChannelFileLimit(ctx, ch.ID, limit); err != nil {
				return err
			}
			if err := audit(ctx, st, "channel.changed", map[string]string{"channel": ch.Name, "file_limit": strconv.FormatInt(limit, 10)}); err != nil {
				return err
			}
		}
		n, err := st.ChannelFileLimit(ctx, ch.ID)
		if err != nil {
			return err
		}
		if n == 0 {
			fmt.Printf("Channel %q takes files of at most %s (%d bytes), the default.\n", ch.Name, filexfer.Bytes(proto.DefaultFileLimit), proto.DefaultFileLimit)
			return nil
		}
		fmt.Printf("Channel %q takes files of at most %s (%d bytes).\n", ch.Name, filexfer.Bytes(n), n)
		return nil
	})
}

// parseSize reads "default" (0), bytes, or a number with kB, MB, GB
// (powers of 1000) or KiB, MiB, GiB (powers of 1024).
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if strings.EqualFold(t, "default") {
		return 0, nil
	}
	units := []struct {
		suffix string
		mult   float64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"kB", 1e3}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	mult := 1.0
	for _, u := range units {
		if v, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(v), u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(t, 64)
	if err != nil || n*mult < 1 || n*mult > 1<<50 {
		return 0, fmt.Errorf("%q is not a file size such as 500MB, 4GB or 1048576 (or default)", s)
	}
	return int64(n * mult), nil
}
