package store

// TODO(desk-store): replaced by the SQLite implementation.

import (
	"context"
	"errors"
	"time"
)

var errTODO = errors.New("store: not implemented yet")

var _ = time.Time{}

func (s *SQLite) CreateGroup(ctx context.Context, g *Group) error { return errTODO }

func (s *SQLite) UpdateGroup(ctx context.Context, g *Group) error { return errTODO }

func (s *SQLite) DeleteGroup(ctx context.Context, id int64) error { return errTODO }

func (s *SQLite) Groups(ctx context.Context) ([]Group, error) { return nil, errTODO }

func (s *SQLite) CreateChannel(ctx context.Context, c *Channel) error { return errTODO }

func (s *SQLite) UpdateChannel(ctx context.Context, c *Channel) error { return errTODO }

func (s *SQLite) DeleteChannel(ctx context.Context, id int64) error { return errTODO }

func (s *SQLite) Channels(ctx context.Context) ([]Channel, error) { return nil, errTODO }

func (s *SQLite) Profile(ctx context.Context, userID int64) (Profile, error) {
	return Profile{}, errTODO
}

func (s *SQLite) SetProfile(ctx context.Context, userID int64, p Profile) error { return errTODO }

func (s *SQLite) Overrides(ctx context.Context, userID int64) ([]Override, error) {
	return nil, errTODO
}

func (s *SQLite) SetOverrides(ctx context.Context, userID int64, o []Override) error { return errTODO }

func (s *SQLite) CreateAPIToken(ctx context.Context, t *APIToken) error { return errTODO }

func (s *SQLite) APITokenByHash(ctx context.Context, hash []byte) (APIToken, error) {
	return APIToken{}, errTODO
}

func (s *SQLite) APITokens(ctx context.Context) ([]APIToken, error) { return nil, errTODO }

func (s *SQLite) RevokeAPIToken(ctx context.Context, name string) error { return errTODO }

func (s *SQLite) TouchAPIToken(ctx context.Context, id int64, at time.Time) error { return errTODO }

func (s *SQLite) AddNote(ctx context.Context, n *Note) error { return errTODO }

func (s *SQLite) Notes(ctx context.Context, sessionID string) ([]Note, error) { return nil, errTODO }

func (s *SQLite) Setting(ctx context.Context, key string) (string, error) { return "", errTODO }

func (s *SQLite) SetSetting(ctx context.Context, key, value string) error { return errTODO }

func (s *SQLite) SearchSessions(ctx context.Context, f SessionFilter) ([]Session, error) {
	return nil, errTODO
}

func (s *SQLite) ClaimSession(ctx context.Context, id string, prev, userID int64) error {
	return errTODO
}
