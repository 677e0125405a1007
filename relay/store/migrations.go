package store

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
}
