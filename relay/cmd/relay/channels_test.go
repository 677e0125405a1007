package main

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/store"
)

// channelNamed reads a channel from the store.
func channelNamed(t *testing.T, st store.Store, name string) (store.Channel, bool) {
	t.Helper()
	cs, err := st.Channels(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(cs, func(c store.Channel) bool { return c.Name == name })
	if i < 0 {
		return store.Channel{}, false
	}
	return cs[i], true
}

var sosURLPattern = regexp.MustCompile(`https://([^/\s]+)/c/([A-Za-z0-9_-]+)`)

func TestChannelAddEveryFlag(t *testing.T) {
	dir := newData(t)
	st := openData(t, dir)
	mustCLI(t, "group", "add", "--data", dir, "--name", "first-line", "--members", "alice,bob")
	mustCLI(t, "group", "add", "--data", dir, "--name", "second-line", "--members", "carol")
	mustCLI(t, "channel", "add", "--data", dir, "--name", "Escalations", "--groups", "second-line")

	out := mustCLI(t, "channel", "add", "--data", dir, "--name", "Support", "--groups", "first-line,second-line",
		"--managers", "carol,tim", "--sos-call", "--description", "Phones and PCs", "--default", "--link-ttl", "2h",
		"--form", "name=required,problem=optional,category=off,priority=optional", "--assign", "least-busy",
		"--sla", "15m", "--fallback", "Escalations", "--narrow", "control,clipboard", "--public", "relay.example.com:443")
	for _, want := range []string{`Created channel "Support".`, "Groups:", "first-line, second-line", "Managers:", "carol, tim",
		"least-busy", "15m0s", "Escalations", "control, clipboard", "name required, problem optional, category off, priority optional",
		"The SOS Call URL uses the address given with --public (relay.example.com:443)."} {
		if !strings.Contains(out, want) {
			t.Errorf("add output lacks %q:\n%s", want, out)
		}
	}
	m := sosURLPattern.FindStringSubmatch(out)
	if m == nil || m[1] != "relay.example.com:443" {
		t.Fatalf("no SOS Call URL in:\n%s", out)
	}
	ch, ok := channelNamed(t, st, "Support")
	esc, _ := channelNamed(t, st, "Escalations")
	gs, _ := st.Groups(context.Background())
	if !ok || ch.Description != "Phones and PCs" || !ch.Default || ch.LinkTTL != 2*time.Hour || !ch.SOSCall ||
		ch.Form != (proto.IntakeForm{Name: proto.FieldRequired, Problem: proto.FieldOptional, Category: proto.FieldOff, Priority: proto.FieldOptional}) ||
		ch.Assign != proto.AssignLeastBusy || ch.SLA != 15*time.Minute || ch.FallbackID != esc.ID ||
		!slices.Equal(ch.Narrow, []proto.Permission{proto.PermControl, proto.PermClipboard}) ||
		!slices.Equal(ch.Groups, []int64{gs[0].ID, gs[1].ID}) ||
		!slices.Equal(ch.Managers, []int64{userID(t, st, "carol"), userID(t, st, "tim")}) {
		t.Fatalf("stored channel: %+v", ch)
	}
	// The printed token is the channel's: the relay finds the channel by it.
	if ch.SOSToken != m[2] || len(m[2]) < 22 {
		t.Fatalf("printed token %q, stored %q", m[2], ch.SOSToken)
	}
	cs, _ := st.Channels(context.Background())
	if i := slices.IndexFunc(cs, func(c store.Channel) bool { return c.SOSCall && c.SOSToken == m[2] }); i < 0 || cs[i].Name != "Support" {
		t.Fatal("the SOS token does not resolve to the channel")
	}

	// show prints the same, with the default --public said so.
	out = mustCLI(t, "channel", "show", "support", "--data", dir)
	if !strings.Contains(out, "https://localhost:4433/c/"+ch.SOSToken) || !strings.Contains(out, "the default of --public") {
		t.Fatalf("show:\n%s", out)
	}
	// A channel without SOS Call has no URL.
	out = mustCLI(t, "channel", "show", "--data", dir, "Escalations")
	if sosURLPattern.MatchString(out) || strings.Contains(out, "--public") || !strings.Contains(out, "SOS Call:") {
		t.Fatalf("show without SOS Call:\n%s", out)
	}

	out = mustCLI(t, "channel", "list", "--data", dir)
	if !strings.Contains(out, "NAME") || !strings.Contains(out, "Support") || !strings.Contains(out, "Escalations") || sosURLPattern.MatchString(out) {
		t.Fatalf("list:\n%s", out)
	}
	out = mustCLI(t, "channel", "list", "--data", dir, "--json", "--public", "[::1]:4433")
	var views []channelView
	if err := json.Unmarshal([]byte(out), &views); err != nil || len(views) != 2 {
		t.Fatalf("list --json: %v\n%s", err, out)
	}
	v, e := views[1], views[0]
	if v.Name != "Support" || !v.Default || !slices.Equal(v.Groups, []string{"first-line", "second-line"}) || !slices.Equal(v.Managers, []string{"carol", "tim"}) ||
		v.LinkTTL != "2h0m0s" || v.SLA != "15m0s" || v.Fallback != "Escalations" || v.Assign != "least-busy" || v.Form.Priority != "optional" ||
		!slices.Equal(v.Narrow, []string{"control", "clipboard"}) || v.SOSURL != "https://[::1]:4433/c/"+ch.SOSToken || v.Description != "Phones and PCs" {
		t.Errorf("JSON of Support: %+v", v)
	}
	if e.Name != "Escalations" || e.SOSCall || e.SOSURL != "" || e.SOSToken != "" || e.Groups == nil || e.Managers == nil || e.Assign != "off" {
		t.Errorf("JSON of Escalations: %+v", e)
	}
	out = mustCLI(t, "channel", "show", "--data", dir, "Support", "--json")
	var one channelView
	if err := json.Unmarshal([]byte(out), &one); err != nil || one.Name != "Support" {
		t.Fatalf("show --json: %v\n%s", err, out)
	}

	ev := auditOf(t, st, "channel.created")
	if len(ev) != 2 || ev[1].Detail["channel"] != "Support" || ev[1].Detail["groups"] != "first-line,second-line" || ev[1].Detail["sos_call"] != "on" {
		t.Errorf("channel.created events: %+v", ev)
	}
	for _, e := range ev {
		for _, v := range e.Detail {
			if strings.Contains(v, ch.SOSToken) {
				t.Error("the audit trail holds the SOS token")
			}
		}
	}
}

func TestChannelRefusals(t *testing.T) {
	dir := newData(t)
	st := openData(t, dir)
	mustCLI(t, "channel", "add", "--data", dir, "--name", "Support")
	for _, c := range []struct {
		want string
		args []string
	}{
		{`There is no channel named "Nowhere" to fall back to`, []string{"--fallback", "Nowhere"}},
		{`"alice" is a technician and cannot manage a channel`, []string{"--managers", "carol,alice"}},
		{"relay user role alice channel-manager", []string{"--managers", "alice"}},
		{`There is no group named "ghosts"`, []string{"--groups", "ghosts"}},
		{`There is no user named "zed"`, []string{"--managers", "zed"}},
		{"the auto-assign modes are off, least-busy and round-robin", []string{"--assign", "random"}},
		{"MODE is required, optional or off", []string{"--form", "name=maybe"}},
		{`The intake form has no field "age"`, []string{"--form", "age=required"}},
		{"only the in-session permissions view, control, clipboard, chat, screenshot", []string{"--narrow", "monitor"}},
		{"at least a minute", []string{"--link-ttl", "5s"}},
		{"negative", []string{"--sla", "-1m"}},
		{"is not a HOST:PORT", []string{"--public", "relay.example.com"}},
		{`There is already a channel named "Support"`, []string{"--name", "SUPPORT"}},
	} {
		args := append([]string{"channel", "add", "--data", dir, "--name", "New"}, c.args...)
		if c.args[0] == "--name" {
			args = append([]string{"channel", "add", "--data", dir}, c.args...)
		}
		failCLI(t, c.want, args...)
	}
	if _, ok := channelNamed(t, st, "New"); ok {
		t.Fatal("a refused channel was created")
	}
	failCLI(t, "cannot fall back to itself", "channel", "set", "--data", dir, "Support", "--fallback", "Support")
	failCLI(t, `There is no channel named "Nowhere"`, "channel", "set", "--data", dir, "Nowhere", "--sos-call")
	if code, _, _ := cli(t, "channel", "set", "--data", dir, "Support"); code != 2 {
		t.Fatalf("set without a change: exit %d", code)
	}
	if code, _, _ := cli(t, "channel", "add", "--data", dir); code != 2 {
		t.Fatalf("add without a name: exit %d", code)
	}
	if n := len(auditOf(t, st, "channel.changed")); n != 0 {
		t.Fatalf("%d channel.changed events after refusals", n)
	}
}

func TestChannelSetAndDelete(t *testing.T) {
	dir := newData(t)
	st := openData(t, dir)
	mustCLI(t, "group", "add", "--data", dir, "--name", "g", "--members", "alice")

	// Without --sos-call there is no URL and no token.
	out := mustCLI(t, "channel", "add", "--data", dir, "--name", "A", "--default", "--groups", "g")
	if sosURLPattern.MatchString(out) {
		t.Fatalf("URL without --sos-call:\n%s", out)
	}
	a, _ := channelNamed(t, st, "A")
	if a.SOSCall || a.SOSToken != "" || !a.Default {
		t.Fatalf("A: %+v", a)
	}

	// A second default channel moves the default.
	out = mustCLI(t, "channel", "add", "--data", dir, "--name", "B", "--default")
	if !strings.Contains(out, `It is the default channel now, in place of "A".`) {
		t.Fatalf("second default:\n%s", out)
	}
	a, _ = channelNamed(t, st, "A")
	b, _ := channelNamed(t, st, "B")
	if a.Default || !b.Default {
		t.Fatalf("default: A %v, B %v", a.Default, b.Default)
	}
	// And back with set.
	out = mustCLI(t, "channel", "set", "--data", dir, "A", "--default")
	if !strings.Contains(out, `in place of "B"`) {
		t.Fatalf("set --default:\n%s", out)
	}
	a, _ = channelNamed(t, st, "A")
	b, _ = channelNamed(t, st, "B")
	if !a.Default || b.Default {
		t.Fatalf("default after set: A %v, B %v", a.Default, b.Default)
	}

	// SOS Call on, off (same token), on again, re-issued.
	out = mustCLI(t, "channel", "set", "A", "--sos-call", "--data", dir)
	m := sosURLPattern.FindStringSubmatch(out)
	a, _ = channelNamed(t, st, "A")
	if m == nil || m[2] != a.SOSToken || !a.SOSCall || m[1] != "localhost:4433" {
		t.Fatalf("sos-call on:\n%s\n%+v", out, a)
	}
	tok := a.SOSToken
	out = mustCLI(t, "channel", "set", "A", "--sos-call=false", "--data", dir)
	a, _ = channelNamed(t, st, "A")
	if a.SOSCall || a.SOSToken != tok || sosURLPattern.MatchString(out) {
		t.Fatalf("sos-call off:\n%s\n%+v", out, a)
	}
	mustCLI(t, "channel", "set", "A", "--sos-call", "--data", dir)
	a, _ = channelNamed(t, st, "A")
	if !a.SOSCall || a.SOSToken != tok {
		t.Fatalf("sos-call on again: %+v", a)
	}
	out = mustCLI(t, "channel", "set", "A", "--new-sos-token", "--data", dir)
	a, _ = channelNamed(t, st, "A")
	if a.SOSToken == tok || !strings.Contains(out, a.SOSToken) || !strings.Contains(out, "the old one no longer works") {
		t.Fatalf("new token:\n%s\n%+v", out, a)
	}

	// Other fields change one at a time; the rest stays.
	mustCLI(t, "channel", "set", "--data", dir, "A", "--form", "name=required", "--sla", "10m", "--fallback", "B", "--narrow", "chat")
	mustCLI(t, "channel", "set", "--data", dir, "A", "--form", "problem=optional", "--assign", "round-robin", "--name", "Alpha", "--managers", "carol")
	a, ok := channelNamed(t, st, "Alpha")
	if !ok || a.Form != (proto.IntakeForm{Name: proto.FieldRequired, Problem: proto.FieldOptional}) || a.SLA != 10*time.Minute ||
		a.FallbackID != b.ID || a.Assign != proto.AssignRoundRobin || !slices.Equal(a.Narrow, []proto.Permission{proto.PermChat}) ||
		len(a.Groups) != 1 || !a.SOSCall || !a.Default || len(a.Managers) != 1 {
		t.Fatalf("after set: %+v", a)
	}
	mustCLI(t, "channel", "set", "--data", dir, "Alpha", "--groups", "", "--narrow", "", "--fallback", "", "--managers", "", "--default=false")
	a, _ = channelNamed(t, st, "Alpha")
	if len(a.Groups) != 0 || a.Narrow != nil || a.FallbackID != 0 || len(a.Managers) != 0 || a.Default {
		t.Fatalf("after clearing: %+v", a)
	}

	ev := auditOf(t, st, "channel.changed")
	if len(ev) != 8 {
		t.Fatalf("%d channel.changed events, want 8: %+v", len(ev), ev)
	}
	if d := ev[1].Detail; d["sos_call"] != "on" || d["sos_token"] != "issued" {
		t.Errorf("sos-call on: %v", d)
	}
	if d := ev[4].Detail; d["sos_token"] != "re-issued" || len(d) != 2 {
		t.Errorf("new token: %v", d)
	}
	if d := ev[6].Detail; d["channel"] != "Alpha" || d["renamed_from"] != "A" || d["assign"] != "round-robin" || d["managers"] != "carol" {
		t.Errorf("rename: %v", d)
	}

	// Deleting B: Alpha no longer falls back to it (set again first).
	mustCLI(t, "channel", "set", "--data", dir, "Alpha", "--fallback", "B", "--sla", "5m")
	out = mustCLI(t, "channel", "delete", "--data", dir, "B")
	if !strings.Contains(out, `Deleted channel "B"`) || !strings.Contains(out, "no longer fall back to it: Alpha.") {
		t.Fatalf("delete:\n%s", out)
	}
	if _, ok := channelNamed(t, st, "B"); ok {
		t.Fatal("B is still there")
	}
	if a, _ = channelNamed(t, st, "Alpha"); a.FallbackID != 0 {
		t.Fatalf("Alpha still falls back to %d", a.FallbackID)
	}
	failCLI(t, `There is no channel named "B"`, "channel", "delete", "--data", dir, "B")
	if ev := auditOf(t, st, "channel.deleted"); len(ev) != 1 || ev[0].Detail["channel"] != "B" || ev[0].Detail["fallback_of"] != "Alpha" {
		t.Errorf("channel.deleted events: %+v", ev)
	}
}
