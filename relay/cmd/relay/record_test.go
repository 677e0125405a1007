package main

import (
	"context"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/store"
)

func TestChannelRecordSetsPolicyAndRetention(t *testing.T) {
	dir := newData(t)
	st := openData(t, dir)
	mustCLI(t, "channel", "add", "--data", dir, "--name", "Support")
	out := mustCLI(t, "channel", "record", "Support", "--data", dir)
	if strings.TrimSpace(out) != `Channel "Support": recording off; recordings are kept until deleted by hand.` {
		t.Fatalf("default: %q", out)
	}
	out = mustCLI(t, "channel", "record", "--data", dir, "support", "--policy", "Required", "--keep-days", "30")
	if !strings.Contains(out, `recording required; recordings are deleted 30 days after they end.`) {
		t.Fatalf("set: %q", out)
	}
	ch, _ := channelNamed(t, st, "Support")
	if rs, err := st.ChannelRecording(context.Background(), ch.ID); err != nil || rs != (store.RecordSettings{Policy: proto.RecordRequired, KeepDays: 30}) {
		t.Fatalf("stored %+v %v", rs, err)
	}
	mustCLI(t, "channel", "record", "--data", dir, "Support", "--policy", "allowed") // the days stay
	if rs, _ := st.ChannelRecording(context.Background(), ch.ID); rs.Policy != proto.RecordAllowed || rs.KeepDays != 30 {
		t.Fatalf("stored %+v", rs)
	}
	failCLI(t, `--policy "sometimes" is not off, allowed or required`, "channel", "record", "--data", dir, "Support", "--policy", "sometimes")
	failCLI(t, "--keep-days -1 is negative", "channel", "record", "--data", dir, "Support", "--keep-days", "-1")
	failCLI(t, `There is no channel named "Nowhere"`, "channel", "record", "--data", dir, "Nowhere", "--policy", "off")
	evs, _ := st.AuditEvents(context.Background(), 0, 100)
	n := 0
	for _, e := range evs {
		if e.Kind == "channel.recording" && e.Detail["channel"] == "Support" {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("%d channel.recording audit events, want 2", n)
	}
}
