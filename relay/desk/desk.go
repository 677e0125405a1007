// Package desk is the service desk's policy: which permissions a user has
// (role defaults from Table, per-user overrides, a channel's narrowing),
// how a user stands to a session and what that lets them do, who may take
// a request of a channel, whom auto-assign picks, and when a request is past
// its SLA. It decides over the configuration in the store (channels,
// groups, profiles, overrides) and holds no connection: relay/queue and the
// admin API ask it before they act, so every check lives in one place.
package desk

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/store"
)

// DefaultMaxSessions is a technician's limit of concurrent sessions when
// their profile sets none.
const DefaultMaxSessions = 5

// Desk holds the service-desk configuration read from the store and
// answers policy questions from it. It is safe for concurrent use; Refresh
// rereads the store when something changed it (also another process, such
// as `relay channel` on the same data directory).
type Desk struct {
	st  store.Store
	log *slog.Logger

	mu   sync.RWMutex
	conf *config
	seen int64           // store.AccountChanges when conf was read
	rr   map[int64]int64 // channel -> the technician round robin assigned last
}

// config is one consistent reading of the store.
type config struct {
	users      map[int64]store.User
	channels   map[int64]store.Channel
	byName     map[string]int64 // lower-case channel name -> ID
	groups     map[int64]store.Group
	memberOf   map[int64][]int64 // user -> groups
	profiles   map[int64]store.Profile
	overrides  map[int64]map[proto.Permission]bool
	categories []string
	priorities []string
	org        string // the organisation setting ("": unset)
}

// New reads the configuration from st.
func New(ctx context.Context, st store.Store, log *slog.Logger) (*Desk, error) {
	if log == nil {
		log = slog.Default()
	}
	d := &Desk{st: st, log: log, rr: make(map[int64]int64)}
	if err := d.Reload(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

// Refresh rereads the configuration if the store changed since the last
// reading, and reports whether it did.
func (d *Desk) Refresh(ctx context.Context) (bool, error) {
	n, err := d.st.AccountChanges(ctx)
	if err != nil {
		return false, fmt.Errorf("desk: read change counter: %w", err)
	}
	d.mu.RLock()
	same := n == d.seen
	d.mu.RUnlock()
	if same {
		return false, nil
	}
	return true, d.Reload(ctx)
}

// Reload rereads the whole configuration.
func (d *Desk) Reload(ctx context.Context) error {
	n, err := d.st.AccountChanges(ctx)
	if err != nil {
		return fmt.Errorf("desk: read change counter: %w", err)
	}
	c, err := load(ctx, d.st)
	if err != nil {
		return err
	}
	d.mu.Lock()
	d.conf, d.seen = c, n
	d.mu.Unlock()
	return nil
}

func load(ctx context.Context, st store.Store) (*config, error) {
	c := &config{
		users: map[int64]store.User{}, channels: map[int64]store.Channel{}, byName: map[string]int64{},
		groups: map[int64]store.Group{}, memberOf: map[int64][]int64{}, profiles: map[int64]store.Profile{},
		overrides: map[int64]map[proto.Permission]bool{},
	}
	users, err := st.ListUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("desk: list users: %w", err)
	}
	for _, u := range users {
		c.users[u.ID] = u
		p, err := st.Profile(ctx, u.ID)
		if err != nil {
			return nil, fmt.Errorf("desk: profile of %s: %w", u.Name, err)
		}
		c.profiles[u.ID] = p
		os, err := st.Overrides(ctx, u.ID)
		if err != nil {
			return nil, fmt.Errorf("desk: overrides of %s: %w", u.Name, err)
		}
		for _, o := range os {
			if c.overrides[u.ID] == nil {
				c.overrides[u.ID] = map[proto.Permission]bool{}
			}
			c.overrides[u.ID][o.Permission] = o.Allow
		}
	}
	groups, err := st.Groups(ctx)
	if err != nil {
		return nil, fmt.Errorf("desk: list groups: %w", err)
	}
	for _, g := range groups {
		c.groups[g.ID] = g
		for _, m := range g.Members {
			c.memberOf[m] = append(c.memberOf[m], g.ID)
		}
	}
	chans, err := st.Channels(ctx)
	if err != nil {
		return nil, fmt.Errorf("desk: list channels: %w", err)
	}
	for _, ch := range chans {
		c.channels[ch.ID] = ch
		c.byName[strings.ToLower(ch.Name)] = ch.ID
	}
	if c.categories, err = list(ctx, st, store.SettingCategories, proto.DefaultCategories); err != nil {
		return nil, err
	}
	if c.priorities, err = list(ctx, st, store.SettingPriorities, proto.DefaultPriorities); err != nil {
		return nil, err
	}
	if c.org, err = st.Setting(ctx, store.SettingOrganisation); err != nil {
		return nil, fmt.Errorf("desk: read setting %s: %w", store.SettingOrganisation, err)
	}
	return c, nil
}

// list reads a JSON list setting, or def when unset.
func list(ctx context.Context, st store.Store, key string, def []string) ([]string, error) {
	v, err := st.Setting(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("desk: read setting %s: %w", key, err)
	}
	if v == "" {
		return slices.Clone(def), nil
	}
	var out []string
	if err := json.Unmarshal([]byte(v), &out); err != nil {
		return nil, fmt.Errorf("desk: setting %s is not a JSON list: %w", key, err)
	}
	return out, nil
}

func (d *Desk) c() *config {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.conf
}

// Channel returns a channel by ID.
func (d *Desk) Channel(id int64) (store.Channel, bool) {
	ch, ok := d.c().channels[id]
	return ch, ok
}

// ChannelByName finds a channel by name, ignoring case.
func (d *Desk) ChannelByName(name string) (store.Channel, bool) {
	c := d.c()
	id, ok := c.byName[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		return store.Channel{}, false
	}
	return c.channels[id], true
}

// ChannelBySOSToken finds the channel whose SOS Call page has token tok,
// while SOS Call is on.
func (d *Desk) ChannelBySOSToken(tok string) (store.Channel, bool) {
	if tok == "" {
		return store.Channel{}, false
	}
	for _, ch := range d.c().channels {
		if ch.SOSCall && ch.SOSToken == tok {
			return ch, true
		}
	}
	return store.Channel{}, false
}

// DefaultChannel returns the organisation's default channel, if one is set.
func (d *Desk) DefaultChannel() (store.Channel, bool) {
	for _, ch := range d.c().channels {
		if ch.Default {
			return ch, true
		}
	}
	return store.Channel{}, false
}

// Channels lists every channel by name.
func (d *Desk) Channels() []store.Channel {
	c := d.c()
	out := make([]store.Channel, 0, len(c.channels))
	for _, ch := range c.channels {
		out = append(out, ch)
	}
	slices.SortFunc(out, func(a, b store.Channel) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// ChannelName is a channel's name, or "" for 0 and unknown IDs.
func (d *Desk) ChannelName(id int64) string { return d.c().channels[id].Name }

// User returns a user by ID as last read.
func (d *Desk) User(id int64) (store.User, bool) {
	u, ok := d.c().users[id]
	return u, ok
}

// Users lists every user as last read, by name.
func (d *Desk) Users() []store.User {
	c := d.c()
	out := make([]store.User, 0, len(c.users))
	for _, u := range c.users {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b store.User) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// UserByName returns a user by name as last read.
func (d *Desk) UserByName(name string) (store.User, bool) {
	for _, u := range d.c().users {
		if u.Name == name {
			return u, true
		}
	}
	return store.User{}, false
}

// Profile returns a user's profile with defaults filled in.
func (d *Desk) Profile(id int64) store.Profile {
	p := d.c().profiles[id]
	if p.Availability == "" {
		p.Availability = proto.Available
	}
	if p.MaxSessions <= 0 {
		p.MaxSessions = DefaultMaxSessions
	}
	return p
}

// Organisation is the organisation's name as the admin set it ("": unset,
// the relay's --org applies).
func (d *Desk) Organisation() string { return d.c().org }

// Categories and Priorities are the organisation's lists.
func (d *Desk) Categories() []string { return slices.Clone(d.c().categories) }

// Priorities lists the priorities, most urgent first.
func (d *Desk) Priorities() []string { return slices.Clone(d.c().priorities) }

// CheckClassification refuses a category or priority not in the lists ("" passes).
func (d *Desk) CheckClassification(category, priority string) error {
	c := d.c()
	if category != "" && !slices.Contains(c.categories, category) {
		return proto.Errorf(proto.ErrBadRequest, "There is no category %q; the categories are: %s.", category, strings.Join(c.categories, ", "))
	}
	if priority != "" && !slices.Contains(c.priorities, priority) {
		return proto.Errorf(proto.ErrBadRequest, "There is no priority %q; the priorities are: %s.", priority, strings.Join(c.priorities, ", "))
	}
	return nil
}
