package e2e

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/console/ui"
	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/server"
	"github.com/relaydesk/relaydesk/relay/store"
)

// queueRecorder is a client.QueueHandler that keeps what it heard.
type queueRecorder struct {
	mu      sync.Mutex
	snaps   int
	updates []proto.SessionInfo
	online  []error
}

func (r *queueRecorder) Snapshot([]proto.SessionInfo) { r.mu.Lock(); r.snaps++; r.mu.Unlock() }
func (r *queueRecorder) Update(s proto.SessionInfo) {
	r.mu.Lock()
	r.updates = append(r.updates, s)
	r.mu.Unlock()
}
func (r *queueRecorder) Online(err error) {
	r.mu.Lock()
	r.online = append(r.online, err)
	r.mu.Unlock()
}

// TestConsoleBackendOnARealRelay drives the desktop console's backend (the
// one the GUI uses) against a relay: probe the key, sign in, watch the
// queue, create a link and see it arrive pushed.
func TestConsoleBackendOnARealRelay(t *testing.T) {
	parallel(t)
	addr, fp, st := inProcessRelay(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := server.CreateUser(ctx, st, "tess", store.RoleTechnician, "tess-password"); err != nil {
		t.Fatal(err)
	}
	be := &ui.Live{}
	defer be.Wait()
	got, err := be.Probe(ctx, addr)
	if err != nil || got != fp {
		t.Fatalf("probe: %s, %v; want %s", got, err, fp)
	}
	var f *proto.Failure
	if _, err := be.SignIn(ctx, addr, fp, "tess", "wrong"); !errors.As(err, &f) || f.Code != proto.ErrBadCredentials {
		t.Fatalf("wrong password: %v", err)
	}
	login, err := be.SignIn(ctx, addr, fp, "tess", "tess-password")
	if err != nil || login.Token == "" || login.User != "tess" {
		t.Fatalf("sign in: %+v, %v", login, err)
	}

	rec := &queueRecorder{}
	var wg sync.WaitGroup
	var watchErr error
	wctx, stop := context.WithCancel(ctx)
	wg.Go(func() { watchErr = be.Watch(wctx, login, rec) })
	waitFor(t, "the queue subscription", func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return rec.snaps == 1 && len(rec.online) == 1 && rec.online[0] == nil
	})
	link, err := be.CreateLink(ctx, login, "Aaron", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the link's session pushed as Waiting", func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		for _, s := range rec.updates {
			if s.ID == link.SessionID && s.Status == "Waiting" && s.CustomerName == "Aaron" && s.Owner == "tess" {
				return true
			}
		}
		return false
	})
	stop()
	wg.Wait()
	if watchErr != nil {
		t.Fatalf("Watch returned %v after cancel", watchErr)
	}

	// A revoked token ends the watch with the relay's answer, not a retry loop.
	bad := login
	bad.Token = "not-a-token"
	err = be.Watch(ctx, bad, &queueRecorder{})
	if !errors.As(err, &f) || f.Code != proto.ErrUnauthenticated {
		t.Fatalf("bad token: %v", err)
	}
}
