package main

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay"
	"github.com/relaydesk/relaydesk/relay/auth"
	"github.com/relaydesk/relaydesk/relay/store"
)

// deskBench measures the service desk on the real relay: the pick-up
// latency with techs technicians subscribed and queued requests waiting in
// their channel, and the time until every one of consoles subscribed
// consoles has a new request pushed (fan-out). The technicians and their
// channel are written to the relay's store by this process while the relay
// runs, as `relay user` and `relay channel` would; the relay picks them up
// within its sweep.
func deskBench(ctx context.Context, tr *quic.Transport, r *relayProc, techs, queued, consoles, picks int) ([]result, error) {
	st, err := relay.OpenStore(ctx, r.data)
	if err != nil {
		return nil, err
	}
	const password = "bench-password-1"
	hash, err := auth.HashPassword(password)
	if err != nil {
		return nil, err
	}
	g := store.Group{Name: "bench", CreatedAt: time.Now()}
	names := make([]string, techs)
	for i := range techs {
		u := store.User{Name: fmt.Sprintf("bench%03d", i), Role: store.RoleTechnician, PasswordHash: hash, CreatedAt: time.Now()}
		if err := st.CreateUser(ctx, &u); err != nil {
			st.Close()
			return nil, err
		}
		names[i] = u.Name
		g.Members = append(g.Members, u.ID)
	}
	if err := st.CreateGroup(ctx, &g); err != nil {
		st.Close()
		return nil, err
	}
	ch := store.Channel{Name: "Bench", Groups: []int64{g.ID}, CreatedAt: time.Now()}
	if err := st.CreateChannel(ctx, &ch); err != nil {
		st.Close()
		return nil, err
	}
	st.Close()
	time.Sleep(1500 * time.Millisecond) // the relay rereads its desk on the next sweep (1 s)

	// Sign in every technician once (argon2id), then open the other
	// consoles with their tokens, as a technician's second window does.
	tokens := make([]string, techs)
	var conns []*client
	defer func() {
		for _, c := range conns {
			c.close()
		}
	}()
	var mu sync.Mutex
	var fanout []chan time.Time // per console: when it saw the watched request
	var watched string          // the end-user name of the request whose push is timed
	newConsole := func(i int) (*client, error) {
		ch := make(chan time.Time, 1)
		c, err := dial(ctx, tr, r, proto.RoleTechnician, func(env proto.Envelope) {
			if env.Type != proto.TypeQueueUpdate {
				return
			}
			var u proto.QueueUpdate
			if proto.Unmarshal(env.Body, &u) != nil {
				return
			}
			mu.Lock()
			w := watched
			mu.Unlock()
			if w != "" && u.Session.CustomerName == w {
				select {
				case ch <- time.Now():
				default:
				}
			}
		})
		if err != nil {
			return nil, err
		}
		var ok proto.LoginOK
		if tokens[i%techs] == "" {
			err = c.peer.Call(ctx, proto.TypeLogin, &proto.Login{User: names[i%techs], Password: password}, proto.TypeLoginOK, &ok)
			tokens[i%techs] = ok.Token
		} else {
			err = c.peer.Call(ctx, proto.TypeAuth, &proto.Auth{Token: tokens[i%techs]}, proto.TypeLoginOK, &ok)
		}
		if err != nil {
			c.close()
			return nil, fmt.Errorf("sign in %s: %w", names[i%techs], err)
		}
		if err := c.peer.Call(ctx, proto.TypeQueueSubscribe, &proto.QueueSubscribe{}, proto.TypeQueueSnapshot, nil); err != nil {
			c.close()
			return nil, err
		}
		mu.Lock()
		fanout = append(fanout, ch)
		mu.Unlock()
		return c, nil
	}
	for i := range max(techs, consoles) {
		c, err := newConsole(i)
		if err != nil {
			return nil, err
		}
		conns = append(conns, c)
	}

	// Fill the channel's queue with requests (support links in the channel).
	creator := conns[0]
	var ids []string
	for range queued {
		var lc proto.LinkCreated
		if err := creator.peer.Call(ctx, proto.TypeLinkCreate, &proto.LinkCreate{Channel: "Bench", CustomerName: "bench"}, proto.TypeLinkCreated, &lc); err != nil {
			return nil, fmt.Errorf("create a request: %w", err)
		}
		ids = append(ids, lc.SessionID)
	}

	// Fan-out: a new request, until the last console has it.
	var spread []time.Duration
	for range 20 {
		for _, ch := range fanout {
			select {
			case <-ch:
			default:
			}
		}
		name := fmt.Sprintf("fanout-%d", time.Now().UnixNano())
		mu.Lock()
		watched = name
		mu.Unlock()
		t0 := time.Now()
		if err := creator.peer.Call(ctx, proto.TypeLinkCreate, &proto.LinkCreate{Channel: "Bench", CustomerName: name}, proto.TypeLinkCreated, nil); err != nil {
			return nil, err
		}
		last := t0
		timeout := time.After(10 * time.Second)
		for i, ch := range fanout {
			select {
			case at := <-ch:
				if at.After(last) {
					last = at
				}
			case <-timeout:
				return nil, fmt.Errorf("console %d of %d did not get the new request within 10 s", i, len(fanout))
			}
		}
		spread = append(spread, last.Sub(t0))
	}

	// Pick-up latency: technicians in turn pick the queued requests.
	var lat []time.Duration
	for i := range min(picks, len(ids)) {
		c := conns[i%techs]
		t0 := time.Now()
		if err := c.peer.Call(ctx, proto.TypePick, &proto.Pick{SessionID: ids[i]}, proto.TypeSessionReply, nil); err != nil {
			return nil, fmt.Errorf("pick %s: %w", ids[i], err)
		}
		lat = append(lat, time.Since(t0))
	}
	ms := func(d []time.Duration, q int) float64 {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return float64(d[min(len(d)-1, len(d)*q/100)].Microseconds()) / 1000
	}
	pickNote := fmt.Sprintf("%d picks; %d technicians subscribed with %d consoles, %d requests (support links) in the channel's queue; each pick is pushed to every console that saw the request", len(lat), techs, len(conns), queued)
	fanNote := fmt.Sprintf("20 new requests; time from sending LinkCreate until the last of %d subscribed consoles received its QueueUpdate", len(fanout))
	return []result{
		{"desk pick-up latency p50", ms(lat, 50), "ms", pickNote},
		{"desk pick-up latency p95", ms(lat, 95), "ms", pickNote},
		{"desk queue fan-out p50", ms(spread, 50), "ms", fanNote},
		{"desk queue fan-out p95", ms(spread, 95), "ms", fanNote},
	}, nil
}
