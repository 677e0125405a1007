package main

import (
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

func TestPrintDetails(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.Local)
	var b strings.Builder
	printDetails(&b, proto.SessionDetails{
		Session: proto.SessionInfo{ID: "abc", Kind: "link", Status: "Closed", Owner: "tina", CustomerName: "Ann",
			EndedAt: at, EndedBy: "tina", EndReason: "done", Rating: 4, RatingComment: "Quick"},
		Chat:       []proto.Chat{{From: "Ann", Text: "two\nlines", At: at}, {From: "tina", FromPeer: 2, Text: "ok", At: at}},
		History:    []proto.SessionEvent{{At: at, Status: "Closed", Actor: "end user", Detail: "rated the session 4 of 5 stars"}},
		Recordings: []proto.Recording{{ID: "r1", Duration: 93 * time.Second, Bytes: 2_500_000, AskedBy: "tina"}},
	})
	out := b.String()
	for _, want := range []string{
		"  Recordings:\n    r1  1m33s, 2.5 MB, asked by tina\n",
		"Session abc (link), Closed",
		"Rating:    ★★★★☆ 4 of 5: \"Quick\"",
		"Ended:     2026-11-22 10:00:00 by tina (done)",
		"10:00:00 Ann: two\n    lines\n",
		"10:00:00 tina: ok\n",
		"Closed  end user  rated the session 4 of 5 stars",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	body, _ := proto.Marshal(&proto.Chat{From: "Ann", Text: "hello"})
	printChat(&b, proto.Envelope{Type: proto.TypeChat, Body: body})
	if b.String() != "Chat from Ann: hello\n" {
		t.Fatalf("chat line %q", b.String())
	}
	// Escape sequences from the other side never reach the terminal.
	b.Reset()
	body, _ = proto.Marshal(&proto.Chat{From: "Eve\x1b]0;x\x07", Text: "\x1b[2Jhi\u009b"})
	printChat(&b, proto.Envelope{Type: proto.TypeChat, Body: body})
	if b.String() != "Chat from Eve]0;x: [2Jhi\n" {
		t.Fatalf("chat line %q", b.String())
	}
	b.Reset()
	printQueue(&b, []proto.SessionInfo{{ID: "s", Status: "Ready", CustomerName: "\x1b]52;c;ZXZpbA==\x07Ann", Device: &proto.DeviceInfo{Hostname: "pc\x1b[31m"}}}, false)
	printDetails(&b, proto.SessionDetails{Session: proto.SessionInfo{ID: "s", Owner: "t\x1bina"}, History: []proto.SessionEvent{{Detail: "\x1b[H"}}})
	if strings.ContainsAny(b.String(), "\x1b\x07") || !strings.Contains(b.String(), "]52;c;ZXZpbA==Ann") {
		t.Fatalf("control characters printed: %q", b.String())
	}
}
