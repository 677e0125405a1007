package client

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// QueueHandler receives the live queue from Watch. Its methods run on
// Watch's goroutines and must not block.
type QueueHandler interface {
	// Snapshot replaces the live sessions (on every (re)subscription).
	Snapshot(sessions []proto.SessionInfo)
	// Update is one session's new state.
	Update(s proto.SessionInfo)
	// Online reports the connection: nil when subscribed, else why it is
	// down (Watch keeps reconnecting).
	Online(err error)
}

// NoticeHandler is a QueueHandler that also hears the relay's notices to
// the technician (invitations, assignments, escalations, control
// requests): Watch's subscription is what the relay sends them to. Like
// the others, Notice must not block.
type NoticeHandler interface {
	QueueHandler
	Notice(n proto.Notice)
}

// Watch keeps the technician's queue: it subscribes (all: every session the
// user may see) and pushes every change to h, reconnecting with backoff
// after a dropped connection or a relay restart. It returns when ctx ends
// (nil) or the relay refused the login or its key (the error).
func Watch(ctx context.Context, l Login, all bool, h QueueHandler) error {
	backoff := 250 * time.Millisecond
	for {
		err := watchOnce(ctx, l, all, h, func() { backoff = 250 * time.Millisecond })
		if ctx.Err() != nil {
			return nil
		}
		if !Retryable(err) || isAuth(err) {
			return err
		}
		h.Online(err)
		wait := backoff/2 + rand.N(backoff/2+1)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

func isAuth(err error) bool {
	var f *proto.Failure
	return errors.As(err, &f) && f.Code == proto.ErrUnauthenticated
}

func watchOnce(ctx context.Context, l Login, all bool, h QueueHandler, ok func()) error {
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// Updates can overtake the snapshot's reply; they are newer than it, so
	// they are held until the snapshot went out.
	var mu sync.Mutex
	var held []proto.SessionInfo
	subscribed := false
	nh, _ := h.(NoticeHandler)
	c, err := l.Open(dctx, func(env proto.Envelope) {
		var n proto.Notice
		if nh != nil && env.Type == proto.TypeNotice && env.Decode(&n) == nil {
			nh.Notice(n)
			return
		}
		var u proto.QueueUpdate
		if env.Type != proto.TypeQueueUpdate || env.Decode(&u) != nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if !subscribed {
			held = append(held, u.Session)
			return
		}
		h.Update(u.Session)
	})
	if err != nil {
		return err
	}
	defer c.Close()
	snap, err := c.Subscribe(dctx, all)
	if err != nil {
		return err
	}
	ok()
	mu.Lock()
	h.Snapshot(snap.Sessions)
	for _, s := range held {
		h.Update(s)
	}
	subscribed = true
	mu.Unlock()
	h.Online(nil)
	select {
	case <-ctx.Done():
		return nil
	case <-c.Done():
		return c.Err()
	}
}
