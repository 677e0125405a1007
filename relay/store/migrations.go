package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// migrations are applied in order; migration i brings the schema to version
// i+1. Never edit one that has shipped: append a new one.
var migrations = []string{
	// 1: users, tokens, sessions with history, attachments, audit events.
	`
CREATE TABLE users (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	name          TEXT NOT NULL UNIQUE,
	role          TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	created_at    INTEGER NOT NULL,
	disabled      INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE auth_tokens (
	hash       BLOB PRIMARY KEY,
	user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	expires_at INTEGER NOT NULL
);
CREATE INDEX auth_tokens_expiry ON auth_tokens(expires_at);
CREATE TABLE sessions (
	id              TEXT PRIMARY KEY,
	kind            TEXT NOT NULL,
	status          TEXT NOT NULL,
	owner_id        INTEGER REFERENCES users(id),
	customer_name   TEXT NOT NULL DEFAULT '',
	code            TEXT,
	code_expires_at INTEGER NOT NULL DEFAULT 0,
	link_token_hash BLOB,
	link_expires_at INTEGER NOT NULL DEFAULT 0,
	agent_key_hash  BLOB,
	device          TEXT,
	created_at      INTEGER NOT NULL,
	ready_at        INTEGER NOT NULL DEFAULT 0,
	started_at      INTEGER NOT NULL DEFAULT 0,
	ended_at        INTEGER NOT NULL DEFAULT 0,
	ended_by        TEXT NOT NULL DEFAULT '',
	end_reason      TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX sessions_code ON sessions(code) WHERE code IS NOT NULL;
CREATE UNIQUE INDEX sessions_link ON sessions(link_token_hash) WHERE link_token_hash IS NOT NULL;
CREATE INDEX sessions_agent_key ON sessions(agent_key_hash) WHERE agent_key_hash IS NOT NULL;
CREATE INDEX sessions_live ON sessions(status, created_at);
CREATE TABLE session_events (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	session_id TEXT NOT NULL REFERENCES sessions(id),
	at         INTEGER NOT NULL,
	status     TEXT NOT NULL,
	actor      TEXT NOT NULL,
	detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX session_events_session ON session_events(session_id, id);
CREATE TABLE attachments (
	session_id  TEXT NOT NULL REFERENCES sessions(id),
	user_id     INTEGER NOT NULL REFERENCES users(id),
	attached_at INTEGER NOT NULL,
	detached_at INTEGER
);
CREATE INDEX attachments_session ON attachments(session_id, user_id);
CREATE TABLE audit_events (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	at         INTEGER NOT NULL,
	kind       TEXT NOT NULL,
	actor      TEXT NOT NULL DEFAULT '',
	source     TEXT NOT NULL DEFAULT '',
	session_id TEXT NOT NULL DEFAULT '',
	detail     TEXT
);
`,
	// 2: chat transcripts; the end user's rating of a session.
	`
CREATE TABLE chat_messages (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	session_id   TEXT NOT NULL REFERENCES sessions(id),
	at           INTEGER NOT NULL,
	from_user_id INTEGER REFERENCES users(id),
	from_name    TEXT NOT NULL,
	body         TEXT NOT NULL
);
CREATE INDEX chat_messages_session ON chat_messages(session_id, id);
ALTER TABLE sessions ADD COLUMN rating INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN rating_comment TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN rated_at INTEGER NOT NULL DEFAULT 0;
`,
	// 3: throttle state (failures and lockouts per key) and retired attended
	// codes, so that a restart forgives no failure.
	`
CREATE TABLE throttle_keys (
	scope        TEXT NOT NULL,
	key          TEXT NOT NULL,
	fails        TEXT NOT NULL,
	locked_until INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (scope, key)
);
CREATE TABLE retired_codes (
	code    TEXT PRIMARY KEY,
	expired INTEGER NOT NULL,
	at      INTEGER NOT NULL
);
CREATE INDEX retired_codes_at ON retired_codes(at);
`,
	// 4: account lifecycle.
	// account_changes holds one counter that every
	// change of a user and every deleted token bumps (triggers, so that
	// `relay user` in another process is seen too); the running relay polls
	// it to re-check its signed-in connections.
	`
CREATE TABLE account_changes (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	n  INTEGER NOT NULL
);
INSERT INTO account_changes(id, n) VALUES (1, 0);
CREATE TRIGGER account_user_updated AFTER UPDATE ON users
BEGIN UPDATE account_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER account_user_deleted AFTER DELETE ON users
BEGIN UPDATE account_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER account_token_deleted AFTER DELETE ON auth_tokens
BEGIN UPDATE account_changes SET n = n + 1 WHERE id = 1; END;
CREATE INDEX auth_tokens_user ON auth_tokens(user_id);
CREATE INDEX audit_events_at ON audit_events(at, id);
`,
	// 5: the service desk. Groups of technicians and their members;
	// channels with the groups that serve them and their managers (the
	// intake form and the narrowed permissions are JSON text, durations
	// INTEGER nanoseconds); technicians' profiles and permission overrides;
	// API tokens (the name is unique among live tokens only); internal notes
	// on sessions; organisation settings. Sessions gain the desk's fields
	// and two search keys written by the relay: hostname (the device's host
	// name) and customer_fold (the customer's name), both in lower case so
	// the history search neither parses the device JSON nor depends on the
	// database's idea of case. Rows of older versions get those keys from a
	// Go step in the same transaction (migrationSteps), as JSON functions
	// differ between databases. sessions.channel_id has no foreign key: a
	// deleted channel leaves its sessions' ID alone. Every change of the
	// desk's configuration bumps account_changes, as user changes do, so a
	// running relay reloads it when another process changed it; using an
	// API token (last_used) does not.
	`
CREATE TABLE tech_groups (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	name        TEXT NOT NULL UNIQUE,
	description TEXT NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL
);
CREATE TABLE group_members (
	group_id INTEGER NOT NULL REFERENCES tech_groups(id) ON DELETE CASCADE,
	user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members(user_id);
CREATE TABLE channels (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	name        TEXT NOT NULL UNIQUE,
	description TEXT NOT NULL DEFAULT '',
	is_default  INTEGER NOT NULL DEFAULT 0,
	link_ttl    INTEGER NOT NULL DEFAULT 0,
	sos_call    INTEGER NOT NULL DEFAULT 0,
	sos_token   TEXT,
	form        TEXT NOT NULL DEFAULT '{}',
	assign      TEXT NOT NULL DEFAULT '',
	sla         INTEGER NOT NULL DEFAULT 0,
	fallback_id INTEGER REFERENCES channels(id) ON DELETE SET NULL,
	narrow      TEXT NOT NULL DEFAULT '[]',
	created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX channels_sos_token ON channels(sos_token) WHERE sos_token IS NOT NULL;
CREATE UNIQUE INDEX channels_default ON channels(is_default) WHERE is_default = 1;
CREATE INDEX channels_fallback ON channels(fallback_id) WHERE fallback_id IS NOT NULL;
CREATE TABLE channel_groups (
	channel_id INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
	group_id   INTEGER NOT NULL REFERENCES tech_groups(id) ON DELETE CASCADE,
	PRIMARY KEY (channel_id, group_id)
);
CREATE INDEX channel_groups_group ON channel_groups(group_id);
CREATE TABLE channel_managers (
	channel_id INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
	user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	PRIMARY KEY (channel_id, user_id)
);
CREATE INDEX channel_managers_user ON channel_managers(user_id);
CREATE TABLE user_profiles (
	user_id      INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
	languages    TEXT NOT NULL DEFAULT '[]',
	availability TEXT NOT NULL DEFAULT '',
	max_sessions INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE permission_overrides (
	user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	permission TEXT NOT NULL,
	allow      INTEGER NOT NULL,
	PRIMARY KEY (user_id, permission)
);
CREATE TABLE api_tokens (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	name       TEXT NOT NULL,
	role       TEXT NOT NULL,
	hash       BLOB NOT NULL UNIQUE,
	created_at INTEGER NOT NULL,
	created_by TEXT NOT NULL DEFAULT '',
	last_used  INTEGER NOT NULL DEFAULT 0,
	revoked    INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens(name) WHERE revoked = 0;
CREATE TABLE session_notes (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	session_id TEXT NOT NULL REFERENCES sessions(id),
	at         INTEGER NOT NULL,
	user_id    INTEGER REFERENCES users(id),
	author     TEXT NOT NULL,
	body       TEXT NOT NULL
);
CREATE INDEX session_notes_session ON session_notes(session_id, id);
CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
ALTER TABLE sessions ADD COLUMN channel_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN category TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN priority TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN problem TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN language TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN ticket_system TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN ticket_key TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN ticket_url TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN escalated_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN hostname TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN customer_fold TEXT NOT NULL DEFAULT '';
CREATE INDEX sessions_created ON sessions(created_at, id);
CREATE INDEX sessions_channel ON sessions(channel_id, created_at, id);
CREATE INDEX sessions_owner ON sessions(owner_id, created_at, id);
CREATE INDEX attachments_user ON attachments(user_id, session_id);
CREATE TRIGGER desk_tech_groups_insert AFTER INSERT ON tech_groups
BEGIN UPDATE account_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER desk_tech_groups_update AFTER UPDATE ON tech_groups
BEGIN UPDATE account_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER desk_tech_groups_delete AFTER DELETE ON tech_groups
BEGIN UPDATE account_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER desk_group_members_insert AFTER INSERT ON group_members
BEGIN UPDATE account_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER desk_group_members_update AFTER UPDATE ON group_members
BEGIN UPDATE account_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER desk_group_members_delete AFTER DELETE ON group_members
BEGIN UPDATE account_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER desk_channels_insert AFTER INSERT ON channels
BEGIN UPDATE account_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER desk_channels_update AFTER UPDATE ON channels
BEGIN UPDATE account_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER desk_channels_delete AFTER DELETE ON channels
BEGIN UPDATE account_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER desk_channel_groups_insert AFTER INSERT ON channel_groups
BEGIN UPDATE account_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER desk_channel_groups_update AFTER UPDATE ON channel_groups
BEGIN UPDATE account_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER desk_channel_groups_delete AFTER DELETE ON channel_groups
BEGIN UPDATE account_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER desk_channel_managers_insert AFTER INSERT ON channel_managers
BEGIN UPDATE account_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER desk_channel_managers_update AFTER UPDATE ON channel_managers
BEGIN UPDATE account_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER desk_channel_managers_delete AFTER DELETE ON channel_managers
BEGIN UPDATE account_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER desk_user_profiles_insert AFTER INSERT ON user_profiles
BEGIN UPDATE account_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER desk_user_profiles_update AFTER UPDATE ON user_profiles
BEGIN UPDATE account_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER desk_user_profiles_delete AFTER DELETE ON user_profiles
BEGIN UPDATE account_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER desk_permission_overrides_insert AFTER INSERT ON permission_overrides
BEGIN UPDATE account_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER desk_permission_overrides_update AFTER UPDATE ON permission_overrides
BEGIN UPDATE account_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER desk_permission_overrides_delete AFTER DELETE ON permission_overrides
BEGIN UPDATE account_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER desk_settings_insert AFTER INSERT ON settings
BEGIN UPDATE account_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER desk_settings_update AFTER UPDATE ON settings
BEGIN UPDATE account_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER desk_settings_delete AFTER DELETE ON settings
BEGIN UPDATE account_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER desk_api_token_inserted AFTER INSERT ON api_tokens
BEGIN UPDATE account_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER desk_api_token_revoked AFTER UPDATE OF revoked ON api_tokens WHEN OLD.revoked <> NEW.revoked
BEGIN UPDATE account_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER desk_api_token_deleted AFTER DELETE ON api_tokens
BEGIN UPDATE account_changes SET n = n + 1 WHERE id = 1; END;
`,
	// 6: a new user bumps the change counter too, so that a running relay's
	// desk knows an account `relay user add` created in another process
	// (transfer and invite targets, auto-assign, group members).
	`
CREATE TRIGGER account_user_inserted AFTER INSERT ON users
BEGIN UPDATE account_changes SET n = n + 1 WHERE id = 1; END;
`,
	// 7: file transfers, kept with their session, and a channel's file
	// size limit (no row: proto.DefaultFileLimit).
	`
CREATE TABLE file_transfers (
	id            TEXT PRIMARY KEY,
	session_id    TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
	technician_id INTEGER REFERENCES users(id),
	technician    TEXT NOT NULL,
	direction     TEXT NOT NULL,
	name          TEXT NOT NULL,
	size          INTEGER NOT NULL DEFAULT 0,
	sha256        TEXT NOT NULL DEFAULT '',
	state         TEXT NOT NULL,
	reason        TEXT NOT NULL DEFAULT '',
	started_at    INTEGER NOT NULL,
	ended_at      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX file_transfers_session ON file_transfers(session_id, started_at);
CREATE TABLE channel_file_limits (
	channel_id INTEGER PRIMARY KEY REFERENCES channels(id) ON DELETE CASCADE,
	max_bytes  INTEGER NOT NULL
);
`,
	// 8: session recordings (the files are under the data directory) and
	// each channel's recording policy and retention, in a table of their
	// own (recordings.go).
	`
CREATE TABLE recordings (
	id          TEXT PRIMARY KEY,
	session_id  TEXT NOT NULL REFERENCES sessions(id),
	started_at  INTEGER NOT NULL,
	ended_at    INTEGER NOT NULL DEFAULT 0,
	bytes       INTEGER NOT NULL DEFAULT 0,
	duration    INTEGER NOT NULL DEFAULT 0,
	path        TEXT NOT NULL,
	asked_by    TEXT NOT NULL,
	deleted_at  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX recordings_session ON recordings(session_id);
CREATE TABLE channel_recording (
	channel_id INTEGER PRIMARY KEY REFERENCES channels(id) ON DELETE CASCADE,
	policy     TEXT NOT NULL DEFAULT 'off',
	keep_days  INTEGER NOT NULL DEFAULT 0
);
CREATE TRIGGER channel_recording_gone AFTER DELETE ON channels
BEGIN DELETE FROM channel_recording WHERE channel_id = OLD.id; END;
`,
	// 9 (#14, screenshots and visibility): who may open a session's records
	// (public: the end user too, through a records link; internal: only
	// technicians who may see the session), the screenshots kept with a
	// session (the PNG lives under the data directory,
	// screenshots/<session>/<id>.png), and the records links' token hashes.
	`
ALTER TABLE sessions ADD COLUMN visibility TEXT NOT NULL DEFAULT 'public';
CREATE TABLE screenshots (
	id         TEXT PRIMARY KEY,
	session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
	user_id    INTEGER REFERENCES users(id),
	taken_by   TEXT NOT NULL,
	taken_at   INTEGER NOT NULL,
	width      INTEGER NOT NULL,
	height     INTEGER NOT NULL,
	size       INTEGER NOT NULL,
	marked     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX screenshots_session ON screenshots(session_id, taken_at);
CREATE TABLE records_links (
	token_hash BLOB PRIMARY KEY,
	session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
	created_at INTEGER NOT NULL
);
CREATE INDEX records_links_session ON records_links(session_id);
`,
}

// migrationSteps holds Go steps that run after the SQL of the migration with
// the same index, in its transaction: data changes that plain SQL cannot make
// the same way on every database.
var migrationSteps = map[int]func(context.Context, *sql.Tx) error{
	4: backfillSearchKeys,
}

// backfillSearchKeys fills migration 5's search keys (hostname,
// customer_fold) of the sessions that existed before it. A device column
// that is not valid JSON leaves the host name empty rather than failing the
// upgrade.
func backfillSearchKeys(ctx context.Context, tx *sql.Tx) error {
	type keys struct{ id, host, customer string }
	var todo []keys
	rows, err := tx.QueryContext(ctx, `SELECT id, customer_name, device FROM sessions`)
	if err != nil {
		return fmt.Errorf("backfill search keys: %w", err)
	}
	for rows.Next() {
		var k keys
		var device sql.NullString
		if err := rows.Scan(&k.id, &k.customer, &device); err != nil {
			rows.Close()
			return fmt.Errorf("backfill search keys: %w", err)
		}
		if device.Valid {
			var d proto.DeviceInfo
			if json.Unmarshal([]byte(device.String), &d) == nil {
				k.host = d.Hostname
			}
		}
		if k.host != "" || k.customer != "" {
			todo = append(todo, k)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("backfill search keys: %w", err)
	}
	for _, k := range todo {
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET hostname = ?, customer_fold = ? WHERE id = ?`,
			fold(k.host), fold(k.customer), k.id); err != nil {
			return fmt.Errorf("backfill search keys of session %s: %w", k.id, err)
		}
	}
	return nil
}
