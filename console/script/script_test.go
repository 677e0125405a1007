package script

import (
	"context"
	"errors"
	"image"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

type fakeRemote struct {
	sent    []proto.Input
	snaps   []string
	clip    string
	display int
}

func (f *fakeRemote) SendInput(in proto.Input) error  { f.sent = append(f.sent, in); return nil }
func (f *fakeRemote) ScreenSize() image.Point         { return image.Pt(1921, 1081) }
func (f *fakeRemote) Snapshot(file string) error      { f.snaps = append(f.snaps, file); return nil }
func (f *fakeRemote) SendClipboard(text string) error { f.clip = text; return nil }
func (f *fakeRemote) ShowDisplay(n int) error         { f.display = n; return nil }

func TestParseAndRun(t *testing.T) {
	src := `# comment
move 960 540
click left
wheel -2
key ctrl+alt+t
type echo héllo  world
wait 1ms
snapshot out.png
clipboard copied text
display 1
`
	acts, err := Parse(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(acts) != 9 || acts[0].Line != 2 || acts[4].Text != "echo héllo  world" {
		t.Fatalf("%+v", acts)
	}
	r := &fakeRemote{}
	if err := Run(context.Background(), r, acts); err != nil {
		t.Fatal(err)
	}
	want := []proto.Input{
		{Kind: proto.InputMove, X: 0.5, Y: 0.5},
		{Kind: proto.InputDown, X: 0.5, Y: 0.5, Button: "left"},
		{Kind: proto.InputUp, X: 0.5, Y: 0.5, Button: "left"},
		{Kind: proto.InputWheel, DY: -2},
		{Kind: proto.InputKeyDn, Key: "Control_L"}, {Kind: proto.InputKeyDn, Key: "Alt_L"}, {Kind: proto.InputKeyDn, Key: "t"},
		{Kind: proto.InputKeyUp, Key: "t"}, {Kind: proto.InputKeyUp, Key: "Alt_L"}, {Kind: proto.InputKeyUp, Key: "Control_L"},
		{Kind: proto.InputText, Text: "echo héllo  world"},
	}
	if len(r.sent) != len(want) {
		t.Fatalf("sent %+v", r.sent)
	}
	for i := range want {
		if r.sent[i] != want[i] {
			t.Fatalf("event %d: %+v, want %+v", i, r.sent[i], want[i])
		}
	}
	if r.clip != "copied text" || r.display != 1 {
		t.Fatalf("clipboard %q", r.clip)
	}
	if len(r.snaps) != 1 || r.snaps[0] != "out.png" {
		t.Fatalf("snapshots %v", r.snaps)
	}
}

func TestParseReportsLine(t *testing.T) {
	for src, line := range map[string]string{
		"move 1 2\nclick lef\n": "line 2",
		"\n\nmove 1\n":          "line 3",
		"wait soon\n":           "line 1",
		"key ctrl++\n":          "line 1",
		"move 1 2\nfly away\n":  "line 2",
		"wheel 0\n":             "line 1",
		"move -1 5\n":           "line 1",
	} {
		_, err := Parse(strings.NewReader(src))
		if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), line+":") {
			t.Errorf("%q: %v, want an error on %s", src, err, line)
		}
	}
}

func TestRunRefusesOutsideScreen(t *testing.T) {
	acts, _ := Parse(strings.NewReader("move 5000 10\n"))
	if err := Run(context.Background(), &fakeRemote{}, acts); err == nil || !strings.Contains(err.Error(), "outside") {
		t.Fatalf("got %v", err)
	}
}
