package main

import (
	"encoding/json"
	"flag"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

func TestIDAndFlagsInAnyOrder(t *testing.T) {
	for _, args := range [][]string{
		{"abc", "--to", "theo", "--note", "see ticket", "--leave"},
		{"--to", "theo", "abc", "--note", "see ticket", "--leave"},
		{"--to=theo", "--note", "see ticket", "--leave", "abc"},
	} {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		to := fs.String("to", "", "")
		note := fs.String("note", "", "")
		leave := fs.Bool("leave", false, "")
		id, rest, err := idAndFlags(fs, args)
		if err != nil || id != "abc" || len(rest) != 0 || *to != "theo" || *note != "see ticket" || !*leave {
			t.Errorf("%q: id %q rest %q err %v to %q note %q leave %v", args, id, rest, err, *to, *note, *leave)
		}
	}
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	if id, rest, _ := idAndFlags(fs, []string{"abc", "def"}); id != "abc" || !slices.Equal(rest, []string{"def"}) {
		t.Errorf("two IDs: %q %q", id, rest)
	}
	if _, code := oneID(flag.NewFlagSet("test", flag.ContinueOnError), []string{"abc", "def"}, "pick ID"); code != 2 {
		t.Errorf("two IDs accepted: %d", code)
	}
	if _, code := oneID(flag.NewFlagSet("test", flag.ContinueOnError), nil, "pick ID"); code != 2 {
		t.Errorf("no ID accepted: %d", code)
	}
	if _, code := oneID(flag.NewFlagSet("test", flag.ContinueOnError), []string{"abc", "--nope"}, "pick ID"); code != 2 {
		t.Errorf("an unknown flag accepted: %d", code)
	}
}

func TestClassifyChangesOnlyWhatIsGiven(t *testing.T) {
	req, code := classifyRequest([]string{"abc", "--priority", "high"})
	if code != 0 || req.SessionID != "abc" || req.Category != nil || req.Ticket != nil || req.Priority == nil || *req.Priority != "high" {
		t.Fatalf("priority only: %+v %d", req, code)
	}
	// An empty value clears it.
	req, code = classifyRequest([]string{"--category=", "abc"})
	if code != 0 || req.Category == nil || *req.Category != "" || req.Priority != nil {
		t.Fatalf("clear the category: %+v %d", req, code)
	}
	// The ticket flags together make the ticket.
	req, code = classifyRequest([]string{"abc", "--ticket-system", "Jira", "--ticket", "IT-1234", "--ticket-url", "https://jira.example/IT-1234"})
	if code != 0 || req.Ticket == nil || *req.Ticket != (proto.Ticket{System: "Jira", Key: "IT-1234", URL: "https://jira.example/IT-1234"}) {
		t.Fatalf("ticket: %+v %d", req.Ticket, code)
	}
	if _, code = classifyRequest([]string{"abc"}); code != 2 {
		t.Fatalf("nothing to change: exit %d", code)
	}
	if _, code = classifyRequest([]string{"--category", "x"}); code != 2 {
		t.Fatalf("no ID: exit %d", code)
	}
}

func TestHistoryCommandLine(t *testing.T) {
	o, code := parseHistory([]string{"--json", "--channel", "Helpdesk", "--status", "closed,Expired, closed", "--since", "2026-11-01",
		"--until", "2026-11-22", "--technician", "tina", "--customer", "Ann", "--hostname", "pc", "--category", "hardware",
		"--priority", "high", "--min-rating", "4", "--limit", "10", "--all-pages"})
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	r := o.req
	if !o.asJSON || !o.allPages || r.Channel != "Helpdesk" || !slices.Equal(r.Statuses, []proto.Status{proto.StatusClosed, proto.StatusExpired}) ||
		r.Technician != "tina" || r.Customer != "Ann" || r.Hostname != "pc" || r.Category != "hardware" || r.Priority != "high" ||
		r.MinRating != 4 || r.Limit != 10 {
		t.Fatalf("request %+v", o)
	}
	// A date is a local day; --until includes it (the relay's Until is exclusive).
	if want := time.Date(2026, 11, 1, 0, 0, 0, 0, time.Local); !r.Since.Equal(want) {
		t.Fatalf("since %v, want %v", r.Since, want)
	}
	if want := time.Date(2026, 11, 23, 0, 0, 0, 0, time.Local); !r.Until.Equal(want) {
		t.Fatalf("until %v, want %v", r.Until, want)
	}
	o, code = parseHistory([]string{"--since", "2026-11-01T08:30:00+01:00", "--until", "2026-11-02T00:00:00Z"})
	if code != 0 || !o.req.Since.Equal(time.Date(2026, 11, 1, 7, 30, 0, 0, time.UTC)) || !o.req.Until.Equal(time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("RFC 3339: %+v %d", o.req, code)
	}
	for _, bad := range [][]string{
		{"--status", "Closed,Done"},
		{"--since", "yesterday"},
		{"--until", "22.11.2026"},
		{"--min-rating", "6"},
		{"--limit", "-1"},
		{"--all-pages", "--cursor", "xyz"},
		{"Helpdesk"},
		{"--nope"},
	} {
		if _, code := parseHistory(bad); code != 2 {
			t.Errorf("%q: exit %d, want 2", bad, code)
		}
	}
}

func TestNoticeLine(t *testing.T) {
	for _, c := range []struct {
		n    proto.Notice
		want string
	}{
		{proto.Notice{Kind: proto.NoticeInvitation, SessionID: "abc", From: "tina", Text: "tina invites you to join the session of Ann."},
			"[invitation] tina invites you to join the session of Ann (abc)"},
		{proto.Notice{Kind: proto.NoticeAssigned, SessionID: "abc", Text: "tina transferred the session of Ann to you. Note: two\nlines"},
			"[assigned] tina transferred the session of Ann to you. Note: two lines (abc)"},
		{proto.Notice{Kind: proto.NoticeEscalated, Text: "Waited too long."}, "[escalated] Waited too long"},
	} {
		if got := noticeLine(c.n); got != c.want {
			t.Errorf("noticeLine: %q, want %q", got, c.want)
		}
	}
}

func TestDeskTables(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.Local)
	ss := []proto.SessionInfo{
		{ID: "s1", Status: proto.StatusReady, CreatedAt: at, Channel: "Helpdesk", Category: "hardware", CustomerName: "Ann"},
		{ID: "s2", Status: proto.StatusActive, CreatedAt: at.Add(time.Minute), Owner: "theo", Priority: "high", CustomerName: "Bob", Escalated: at},
	}
	var b strings.Builder
	printQueue(&b, slices.Clone(ss), false)
	out := b.String()
	for _, want := range []string{"SESSION  STATUS", "CHANNEL   OWNER  CATEGORY  PRIORITY  END USER / DEVICE", "Helpdesk", "hardware", "Active (escalated)", "theo   ", "high"} {
		if !strings.Contains(out, want) {
			t.Errorf("queue lacks %q:\n%s", want, out)
		}
	}
	// Columns nobody has a value for are left out.
	b.Reset()
	printQueue(&b, []proto.SessionInfo{{ID: "s3", Status: proto.StatusReady, Owner: "tina"}}, false)
	if strings.Contains(b.String(), "CHANNEL") || strings.Contains(b.String(), "PRIORITY") || !strings.Contains(b.String(), "OWNER") {
		t.Errorf("queue without channels:\n%s", b.String())
	}
	b.Reset()
	ss[0].Status, ss[0].Rating = proto.StatusClosed, 4
	printHistory(&b, ss)
	out = b.String()
	for _, want := range []string{"CREATED", "2026-11-22 10:00", "RATING", "4/5", "Closed    "} {
		if !strings.Contains(out, want) {
			t.Errorf("history lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	printHistory(&b, nil)
	if b.String() != "No session matches.\n" {
		t.Errorf("empty history %q", b.String())
	}
	// The JSON of the queue names the desk's fields.
	b.Reset()
	printQueue(&b, ss, true)
	var raw []map[string]any
	if err := json.Unmarshal([]byte(b.String()), &raw); err != nil {
		t.Fatal(err)
	}
	if raw[0]["channel"] != "Helpdesk" || raw[0]["category"] != "hardware" || raw[1]["owner"] != "theo" || raw[1]["priority"] != "high" {
		t.Errorf("queue JSON %s", b.String())
	}
}

func TestDirectoryOutput(t *testing.T) {
	var b strings.Builder
	printChannels(&b, []proto.ChannelInfo{{Name: "Helpdesk", Serves: true, Default: true, SLA: 15 * time.Minute}, {Name: "Finance", Manages: true, Description: "Money\nmatters"}}, false)
	out := b.String()
	for _, want := range []string{"CHANNEL", "Helpdesk (default)  serve   15m0s", "Finance             manage", "Money matters"} {
		if !strings.Contains(out, want) {
			t.Errorf("channels lack %q:\n%s", want, out)
		}
	}
	b.Reset()
	printChannels(&b, nil, true)
	if strings.TrimSpace(b.String()) != "[]" {
		t.Errorf("no channels as JSON: %q", b.String())
	}
	b.Reset()
	printTechnicians(&b, []proto.TechnicianInfo{{Name: "theo", Role: "technician", Availability: proto.Busy, Online: true, Sessions: 2, Languages: []string{"en", "de"}}}, true)
	var ts []map[string]any
	if err := json.Unmarshal([]byte(b.String()), &ts); err != nil || ts[0]["name"] != "theo" || ts[0]["availability"] != "busy" || ts[0]["online"] != true {
		t.Errorf("technicians JSON %s (%v)", b.String(), err)
	}
	b.Reset()
	printTechnicians(&b, []proto.TechnicianInfo{{Name: "theo", Role: "technician", Availability: proto.Away}}, false)
	if !strings.Contains(b.String(), "theo        technician  away          no      0") {
		t.Errorf("technicians:\n%s", b.String())
	}
	if got := availabilityLine(proto.TechnicianInfo{Availability: proto.Busy, Sessions: 1}); got != "You are busy, with 1 session." {
		t.Errorf("availability %q", got)
	}
	if got := availabilityLine(proto.TechnicianInfo{}); got != "You are available, with no session." {
		t.Errorf("availability %q", got)
	}
}

func TestDetailsShowTheDesk(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.Local)
	var b strings.Builder
	printDetails(&b, proto.SessionDetails{
		Session: proto.SessionInfo{ID: "abc", Kind: "link", Status: "Active", Owner: "theo", Channel: "Helpdesk", Guests: []string{"gina"},
			Technicians: []string{"gina", "theo"}, Category: "hardware", Priority: "high",
			Ticket: proto.Ticket{System: "Jira", Key: "IT-1", URL: "https://jira.example/IT-1"}, Problem: "Printer\nbroken"},
		Notes:   []proto.Note{{At: at, Author: "tina", Text: "Transfer note: printer driver"}},
		History: []proto.SessionEvent{{At: at, Status: "Active", Actor: "tina", Detail: "transferred to theo: printer driver"}},
	})
	out := b.String()
	for _, want := range []string{
		"Channel:      Helpdesk", "Guests:       gina", "Category:     hardware", "Priority:     high",
		"Ticket:       Jira IT-1 https://jira.example/IT-1", "Problem:      Printer broken",
		"Notes:\n  2026-11-22 10:00 tina: Transfer note: printer driver\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("details lack %q:\n%s", want, out)
		}
	}
	b.Reset()
	printDetails(&b, proto.SessionDetails{Session: proto.SessionInfo{ID: "abc"}, Withheld: "You may not read chat transcripts."})
	if !strings.Contains(b.String(), "Chat and notes withheld: You may not read chat transcripts.\n") {
		t.Errorf("withheld:\n%s", b.String())
	}
}

func TestParseControl(t *testing.T) {
	for _, c := range []struct {
		args []string
		want proto.Control
		code int
	}{
		{[]string{"s1", "give", "--to", "theo"}, proto.Control{SessionID: "s1", Action: "give", To: "theo"}, 0},
		{[]string{"--to", "theo", "s1", "give"}, proto.Control{SessionID: "s1", Action: "give", To: "theo"}, 0},
		{[]string{"s1", "take"}, proto.Control{SessionID: "s1", Action: "take"}, 0},
		{[]string{"s1", "request"}, proto.Control{SessionID: "s1", Action: "request"}, 0},
		{[]string{"s1", "give"}, proto.Control{}, 2},
		{[]string{"s1", "take", "--to", "theo"}, proto.Control{}, 2},
		{[]string{"s1", "steal"}, proto.Control{}, 2},
		{[]string{"s1"}, proto.Control{}, 2},
	} {
		got, code := parseControl(c.args)
		if code != c.code || (code == 0 && got != c.want) {
			t.Errorf("parseControl(%q) = %+v, %d; want %+v, %d", c.args, got, code, c.want, c.code)
		}
	}
}
