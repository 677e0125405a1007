package share

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/rtc"
)

type nopClipboard struct{}

func (nopClipboard) Write(string) error                      { return nil }
func (nopClipboard) Watch(ctx context.Context) <-chan string { return make(chan string) }

// TestJoinOpensOnlyGrantedChannels checks that the agent itself limits a
// technician to what the end user granted: view only means an offer with
// no input channel, clipboard only when granted, the drawing channel only
// with control, nothing without view, and the technician's "control"
// signal does not bring input back.
func TestJoinOpensOnlyGrantedChannels(t *testing.T) {
	var mu sync.Mutex
	offers := map[int64]int{}
	s, err := New(Config{
		Injector:  &countInjector{},
		Clipboard: nopClipboard{},
		Overlay:   &fakeOverlay{},
		Signal: func(peer int64, kind string, _ []byte) error {
			mu.Lock()
			defer mu.Unlock()
			if kind == rtc.KindOffer {
				offers[peer]++
			}
			return nil
		},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range []struct {
		id    int64
		grant proto.Grant
		want  []string
	}{
		{1, proto.Grant{proto.PermView}, nil},
		{2, proto.Grant{proto.PermView, proto.PermClipboard}, []string{proto.ClipboardChannel}},
		{3, proto.Grant{proto.PermView, proto.PermControl}, []string{proto.InputChannel, proto.DrawChannel}},
		{4, proto.AllPermissions, []string{proto.InputChannel, proto.ClipboardChannel, proto.DrawChannel}},
	} {
		if err := s.Join(tc.id, tc.grant); err != nil {
			t.Fatal(err)
		}
		if got := s.Channels(tc.id); !slices.Equal(got, tc.want) {
			t.Errorf("grant %v opened channels %v, want %v", tc.grant, got, tc.want)
		}
	}
	s.OnSignal(proto.Signal{Peer: 1, Kind: rtc.KindControl, Payload: []byte("control")})
	if got := s.Channels(1); len(got) != 0 {
		t.Fatalf("a control signal opened %v for a view-only technician", got)
	}
	if err := s.Join(5, proto.Grant{proto.PermControl, proto.PermClipboard}); !errors.Is(err, ErrNotGranted) {
		t.Fatalf("join without view: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if offers[1] != 1 || offers[4] != 1 || offers[5] != 0 {
		t.Fatalf("offers %v: want one each for 1-4, none for 5", offers)
	}
}
