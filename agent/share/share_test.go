package share

import (
	"context"
	"errors"
	"image"
	"io"
	"log/slog"
	"testing"
	"time"

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

func TestDiffBlocks(t *testing.T) {
	a, b := codec.NewFrame(64, 32), codec.NewFrame(64, 32)
	changed := codec.NewBlocks(64, 32)
	diffBlocks(a, b, changed)
	if !changed.Empty() {
		t.Fatal("equal frames differ")
	}
	b.Pix[len(b.Pix)-1] = 1    // the last pixel: macroblock (3, 1)
	b.Pix[5*b.Stride+20*4] = 1 // pixel (20, 5): macroblock (1, 0)
	diffBlocks(a, b, changed)
	if changed.Count() != 2 || !changed.Has(3, 1) || !changed.Has(1, 0) {
		t.Fatalf("changes marked %v, want macroblocks (1,0) and (3,1)", changed.Rects(64, 32))
	}
}

// TestJoinRacingClose runs Join and Close at the same time: a Join that
// finishes after Close must not leave a peer connection behind, and the
// RTCP reader it starts must not race Close's Wait (go test -race).
func TestJoinRacingClose(t *testing.T) {
	for i := range 20 {
		s, err := New(Config{
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Signal: func(int64, string, []byte) error { return nil },
		})
		if err != nil {
			t.Fatal(err)
		}
		joined := make(chan error, 1)
		go func() { joined <- s.Join(int64(i+1), proto.Grant{proto.PermView}) }()
		if i%2 == 0 {
			time.Sleep(time.Duration(i) * time.Millisecond)
		}
		s.Close()
		err = <-joined
		s.mu.Lock()
		left := len(s.peers)
		s.mu.Unlock()
		if left != 0 {
			t.Fatalf("round %d: %d peer connections left after Close (Join: %v)", i, left, err)
		}
		if err != nil && !errors.Is(err, ErrClosed) {
			t.Fatalf("round %d: Join: %v", i, err)
		}
	}
}

// TestJoinAfterCloseIsRefused: a technician joining after the sharer
// stopped gets no peer connection.
func TestJoinAfterCloseIsRefused(t *testing.T) {
	s, err := New(Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Signal: func(int64, string, []byte) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := s.Join(1, proto.Grant{proto.PermView}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Join after Close: %v, want ErrClosed", err)
	}
	if err := s.Run(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Run after Close: %v, want ErrClosed", err)
	}
}
