package share

import (
	"image"
	"io"
	"log/slog"
	"testing"

	"github.com/relaydesk/relaydesk/agent/input"
	"github.com/relaydesk/relaydesk/pkg/codec"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

type countInjector struct{ n int }

func (c *countInjector) Move(int, int) error       { c.n++; return nil }
func (c *countInjector) Button(string, bool) error { c.n++; return nil }
func (c *countInjector) Wheel(int, int) error      { c.n++; return nil }
func (c *countInjector) Key(string, bool) error    { c.n++; return nil }
func (c *countInjector) Type(string) error         { c.n++; return nil }

// TestViewOnlyInputIsRefused checks the agent's own refusal: a technician
// marked view-only cannot move the pointer, whatever the console sends.
func TestViewOnlyInputIsRefused(t *testing.T) {
	s, err := New(Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	inj := &countInjector{}
	p := &peer{id: 7, input: input.NewHandler(inj)}
	s.bounds = image.Rect(0, 0, 100, 100)
	move, _ := proto.Marshal(&proto.Input{Kind: proto.InputMove, X: 0.5, Y: 0.5})
	s.SetViewOnly(7, true)
	s.onInput(p, move)
	if inj.n != 0 {
		t.Fatal("input from a view-only technician was injected")
	}
	s.SetViewOnly(7, false)
	s.onInput(p, move)
	s.onInput(p, []byte{0xff, 0x00}) // garbage is dropped, not injected
	if inj.n != 1 {
		t.Fatalf("%d injections, want 1", inj.n)
	}
}

func TestChanged(t *testing.T) {
	a, b := codec.NewFrame(64, 32), codec.NewFrame(64, 32)
	if Changed(a, b) {
		t.Fatal("equal frames differ")
	}
	b.Pix[len(b.Pix)-1] = 1
	if !Changed(a, b) {
		t.Fatal("a one-byte change was missed")
	}
	if !Changed(a, codec.NewFrame(32, 32)) {
		t.Fatal("a size change was missed")
	}
}
