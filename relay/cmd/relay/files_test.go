package main

import (
	"context"
	"strings"
	"testing"
)

func TestChannelFileLimit(t *testing.T) {
	dir := newData(t)
	mustCLI(t, "channel", "add", "--data", dir, "--name", "Kiosks")
	if out := mustCLI(t, "channel", "file-limit", "--data", dir, "Kiosks"); !strings.Contains(out, "at most 2.1 GB (2147483648 bytes), the default") {
		t.Fatalf("default: %s", out)
	}
	if out := mustCLI(t, "channel", "file-limit", "kiosks", "500MB", "--data", dir); !strings.Contains(out, `Channel "Kiosks" takes files of at most 500.0 MB (500000000 bytes).`) {
		t.Fatalf("set: %s", out)
	}
	st := openData(t, dir)
	chans, _ := st.Channels(context.Background())
	if n, err := st.ChannelFileLimit(context.Background(), chans[0].ID); n != 500_000_000 || err != nil {
		t.Fatalf("stored %d %v", n, err)
	}
	mustCLI(t, "channel", "file-limit", "--data", dir, "Kiosks", "1GiB")
	if n, _ := st.ChannelFileLimit(context.Background(), chans[0].ID); n != 1<<30 {
		t.Fatalf("stored %d", n)
	}
	mustCLI(t, "channel", "file-limit", "--data", dir, "Kiosks", "default")
	if n, _ := st.ChannelFileLimit(context.Background(), chans[0].ID); n != 0 {
		t.Fatalf("after default: %d", n)
	}
	failCLI(t, `"lots" is not a file size`, "channel", "file-limit", "--data", dir, "Kiosks", "lots")
	failCLI(t, `no channel named "Nope"`, "channel", "file-limit", "--data", dir, "Nope", "1MB")
}
