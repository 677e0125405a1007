package input

import (
	"errors"
	"fmt"
	"image"
	"runtime"
	"testing"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// recorder is an Injector that records calls.
type recorder struct{ calls []string }

func (r *recorder) Move(x, y int) error {
	r.calls = append(r.calls, fmt.Sprintf("move %d %d", x, y))
	return nil
}
func (r *recorder) Button(b string, down bool) error {
	r.calls = append(r.calls, fmt.Sprintf("button %s %v", b, down))
	return nil
}
func (r *recorder) Wheel(dx, dy int) error {
	r.calls = append(r.calls, fmt.Sprintf("wheel %d %d", dx, dy))
	return nil
}
func (r *recorder) Key(k string, down bool) error {
	r.calls = append(r.calls, fmt.Sprintf("key %s %v", k, down))
	return nil
}
func (r *recorder) Type(t string) error { r.calls = append(r.calls, "type "+t); return nil }

func TestHandlerNormalisesAndReleases(t *testing.T) {
	rec := &recorder{}
	h := NewHandler(rec)
	h.SetDisplay(image.Rect(1920, 0, 3200, 1024)) // a second monitor
	for _, in := range []proto.Input{
		{Kind: proto.InputMove, X: 0, Y: 0},
		{Kind: proto.InputMove, X: 1, Y: 1},
		{Kind: proto.InputMove, X: 2, Y: -1}, // clamped
		{Kind: proto.InputDown, X: 0.5, Y: 0.5, Button: "left"},
		{Kind: proto.InputKeyDn, Key: "Control_L"},
		{Kind: proto.InputWheel, DY: 1000},
	} {
		if err := h.Apply(in); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Apply(proto.Input{Kind: proto.InputDown, Button: "thumb"}); err == nil {
		t.Fatal("unknown button accepted")
	}
	h.ReleaseAll()
	want := []string{
		"move 1920 0", "move 3199 1023", "move 3199 0",
		"move 2560 512", "button left true", "key Control_L true", "wheel 0 100",
		"key Control_L false", "button left false",
	}
	if fmt.Sprint(rec.calls) != fmt.Sprint(want) {
		t.Fatalf("calls\n%v\nwant\n%v", rec.calls, want)
	}
	rec.calls = nil
	h.ReleaseAll()
	if len(rec.calls) != 0 {
		t.Fatalf("released twice: %v", rec.calls)
	}
}

// TestCtrlAltDelIsRefusedOnWindows: where Ctrl+Alt+Del cannot be injected,
// the Delete of the combination is not sent and the error says why; Delete
// alone, and the combination elsewhere, go through.
func TestCtrlAltDelIsRefusedOnWindows(t *testing.T) {
	if CtrlAltDelBlocked() != (runtime.GOOS == "windows") {
		t.Fatalf("on %s the app reports Ctrl+Alt+Del blocked: %v", runtime.GOOS, CtrlAltDelBlocked())
	}
	old := secureAttentionBlocked
	t.Cleanup(func() { secureAttentionBlocked = old })
	secureAttentionBlocked = true
	rec := &recorder{}
	h := NewHandler(rec)
	if err := h.Apply(proto.Input{Kind: proto.InputKeyDn, Key: "Delete"}); err != nil {
		t.Fatalf("Delete alone: %v", err)
	}
	h.Apply(proto.Input{Kind: proto.InputKeyUp, Key: "Delete"})
	for _, k := range []string{"Control_L", "Alt_L"} {
		if err := h.Apply(proto.Input{Kind: proto.InputKeyDn, Key: k}); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Apply(proto.Input{Kind: proto.InputKeyDn, Key: "Delete"}); !errors.Is(err, ErrSecureAttention) {
		t.Fatalf("Ctrl+Alt+Del: %v, want ErrSecureAttention", err)
	}
	if got := rec.calls[len(rec.calls)-1]; got != "key Alt_L true" {
		t.Fatalf("the Delete of Ctrl+Alt+Del was sent: last call %q", got)
	}
	secureAttentionBlocked = false
	if err := h.Apply(proto.Input{Kind: proto.InputKeyDn, Key: "Delete"}); err != nil {
		t.Fatalf("Ctrl+Alt+Del where it can be sent: %v", err)
	}
}
