package main

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

func TestParseOpenURL(t *testing.T) {
	for raw, want := range map[string]proto.Connect{
		"sosconsole://connect/123456789":       {Code: "123456789"},
		"sosconsole://connect/123-456-789":     {Code: "123456789"},
		"sosconsole://connect/123%20456%20789": {Code: "123456789"},
		"sosconsole://session/ab12cd":          {SessionID: "ab12cd"},
	} {
		got, err := parseOpenURL(raw)
		if err != nil || got != want {
			t.Errorf("parseOpenURL(%q) = %+v, %v; want %+v", raw, got, err, want)
		}
	}
	for _, raw := range []string{
		"sosconsole://connect/12345678", "sosconsole://connect/12345678a", "https://connect/123456789",
		"sosconsole://delete/123456789", "sosconsole://session/", "sosconsole://session/a/b", "not a url",
	} {
		if _, err := parseOpenURL(raw); err == nil {
			t.Errorf("parseOpenURL(%q) accepted", raw)
		}
	}
}

// button finds the button labelled text in o's tree.
func button(o fyne.CanvasObject, text string) *widget.Button {
	if b, ok := o.(*widget.Button); ok && b.Text == text {
		return b
	}
	var kids []fyne.CanvasObject
	switch v := o.(type) {
	case *fyne.Container:
		kids = v.Objects
	case fyne.Widget:
		kids = test.WidgetRenderer(v).Objects()
	}
	for _, k := range kids {
		if b := button(k, text); b != nil {
			return b
		}
	}
	return nil
}

// TestOpenFromALinkAsksFirst: a sosconsole:// link (or --connect) does not
// connect until the technician confirms.
func TestOpenFromALinkAsksFirst(t *testing.T) {
	a := test.NewTempApp(t)
	for _, tc := range []struct {
		press string
		want  int
	}{{"Cancel", 0}, {"Connect", 1}} {
		win := a.NewWindow("console")
		win.Resize(fyne.NewSize(600, 400))
		var got []proto.Connect
		confirmOpen(win, proto.Connect{Code: "123456789"}, func(c proto.Connect) { got = append(got, c) })
		top := win.Canvas().Overlays().Top()
		if top == nil {
			t.Fatal("no confirmation shown")
		}
		if len(got) != 0 {
			t.Fatal("connected before the technician answered")
		}
		b := button(top, tc.press)
		if b == nil {
			t.Fatalf("no %s button", tc.press)
		}
		test.Tap(b)
		if len(got) != tc.want || (tc.want == 1 && got[0].Code != "123456789") {
			t.Fatalf("after %s: connected %+v", tc.press, got)
		}
		win.Close()
	}
}
