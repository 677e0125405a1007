package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// SQLite is the embedded Store: one database file in WAL mode. Writes go
// through a single connection (SQLite has one writer anyway, and this avoids
// SQLITE_BUSY between our own connections); reads use a pool.
type SQLite struct {
	w *sql.DB
	r *sql.DB
}

var _ Store = (*SQLite)(nil)

// OpenSQLite opens (creating if needed) the database at path and brings its
// schema up to date.
func OpenSQLite(ctx context.Context, path string) (*SQLite, error) {
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=journal_mode(WAL)&_txlock=immediate"
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", dsn+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r.SetMaxOpenConns(max(4, runtime.NumCPU()))
	return &SQLite{w: w, r: r}, nil
}

// migrate applies the missing migrations, each in its own transaction.
func migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var v int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return fmt.Errorf("migrate: read version: %w", err)
	}
	if v > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this relay supports (%d); upgrade the relay", v, len(migrations))
	}
	for i := v; i < len(migrations); i++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrate to %d: %w", i+1, err)
		}
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate to %d: %w", i+1, err)
		}
		if step := migrationSteps[i]; step != nil {
			if err := step(ctx, tx); err != nil {
				tx.Rollback()
				return fmt.Errorf("migrate to %d: %w", i+1, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version, applied_at) VALUES (?, ?)`, i+1, time.Now().UnixNano()); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate to %d: %w", i+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate to %d: %w", i+1, err)
		}
	}
	return nil
}

// Close closes the database.
func (s *SQLite) Close() error {
	return errors.Join(s.r.Close(), s.w.Close())
}

// classify maps SQLite errors to the package's sentinels.
func classify(step string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", step, ErrNotFound)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%s: %w", step, ErrExists)
		}
	}
	return fmt.Errorf("%s: %w", step, err)
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullBytes(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// fold is how the search keys of sessions are written and searched: in
// lower case, by Go's rules, so that the database's own LOWER (ASCII only in
// SQLite) plays no part.
func fold(s string) string { return strings.ToLower(s) }

// ---- users and tokens ----

const userCols = `id, name, role, password_hash, created_at, disabled`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	var created int64
	err := row.Scan(&u.ID, &u.Name, &u.Role, &u.PasswordHash, &created, &u.Disabled)
	u.CreatedAt = fromNano(created)
	return u, err
}

// CreateUser implements Store.
func (s *SQLite) CreateUser(ctx context.Context, u *User) error {
	if u.CreatedAt.IsZero() {
		u.CreatedAt = time.Now()
	}
	res, err := s.w.ExecContext(ctx, `INSERT INTO users(name, role, password_hash, created_at, disabled) VALUES (?, ?, ?, ?, ?)`,
		u.Name, u.Role, u.PasswordHash, unixNano(u.CreatedAt), u.Disabled)
	if err != nil {
		return classify("create user", err)
	}
	u.ID, err = res.LastInsertId()
	return classify("create user", err)
}

// UserByName implements Store.
func (s *SQLite) UserByName(ctx context.Context, name string) (User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE name = ?`, name))
	return u, classify("user by name", err)
}

// UserByID implements Store.
func (s *SQLite) UserByID(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	return u, classify("user by id", err)
}

// CountUsers implements Store.
func (s *SQLite) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, classify("count users", err)
}

// CreateToken implements Store. Expired tokens are removed on the way.
func (s *SQLite) CreateToken(ctx context.Context, hash []byte, userID int64, expires time.Time) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM auth_tokens WHERE expires_at < ?`, time.Now().UnixNano()); err != nil {
		return classify("prune tokens", err)
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO auth_tokens(hash, user_id, expires_at) VALUES (?, ?, ?)`, hash, userID, unixNano(expires))
	return classify("create token", err)
}

// TokenUser implements Store.
func (s *SQLite) TokenUser(ctx context.Context, hash []byte, now time.Time) (User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT u.id, u.name, u.role, u.password_hash, u.created_at, u.disabled
		FROM auth_tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ? AND t.expires_at > ?`, hash, now.UnixNano()))
	return u, classify("token user", err)
}

// DeleteToken implements Store.
func (s *SQLite) DeleteToken(ctx context.Context, hash []byte) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM auth_tokens WHERE hash = ?`, hash)
	return classify("delete token", err)
}

// ListUsers implements Store.
func (s *SQLite) ListUsers(ctx context.Context) ([]User, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY name`)
	if err != nil {
		return nil, classify("list users", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, classify("list users", err)
		}
		out = append(out, u)
	}
	return out, classify("list users", rows.Err())
}

// updateUser runs one UPDATE of user id; no such user gives ErrNotFound.
func updateUser(ctx context.Context, tx *sql.Tx, id int64, set string, arg any) error {
	res, err := tx.ExecContext(ctx, `UPDATE users SET `+set+` = ? WHERE id = ?`, arg, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return sql.ErrNoRows
	}
	return nil
}

// SetDisabled implements Store.
func (s *SQLite) SetDisabled(ctx context.Context, id int64, disabled bool) error {
	return s.tx(ctx, "set disabled", func(tx *sql.Tx) error {
		if err := updateUser(ctx, tx, id, "disabled", disabled); err != nil || !disabled {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM auth_tokens WHERE user_id = ?`, id)
		return err
	})
}

// SetRole implements Store.
func (s *SQLite) SetRole(ctx context.Context, id int64, role Role) error {
	return s.tx(ctx, "set role", func(tx *sql.Tx) error { return updateUser(ctx, tx, id, "role", role) })
}

// SetPassword implements Store.
func (s *SQLite) SetPassword(ctx context.Context, id int64, hash string) error {
	return s.tx(ctx, "set password", func(tx *sql.Tx) error { return updateUser(ctx, tx, id, "password_hash", hash) })
}

// DeleteTokens implements Store.
func (s *SQLite) DeleteTokens(ctx context.Context, id int64) (int, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM auth_tokens WHERE user_id = ?`, id)
	if err != nil {
		return 0, classify("delete tokens", err)
	}
	n, err := res.RowsAffected()
	return int(n), classify("delete tokens", err)
}

// AccountChanges implements Store.
func (s *SQLite) AccountChanges(ctx context.Context) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT n FROM account_changes WHERE id = 1`).Scan(&n)
	return n, classify("account changes", err)
}

// ---- sessions ----

const sessionCols = `id, kind, status, owner_id, customer_name, code, code_expires_at, link_token_hash, link_expires_at,
	agent_key_hash, device, created_at, ready_at, started_at, ended_at, ended_by, end_reason,
	channel_id, category, priority, problem, language, ticket_system, ticket_key, ticket_url, escalated_at`

// sessionReadCols adds what only RateSession writes.
const sessionReadCols = sessionCols + `, rating, rating_comment, rated_at`

// sessionWriteCols adds the search keys, which are written and never read
// back (see migration 5).
const sessionWriteCols = sessionCols + `, hostname, customer_fold`

// insertSession and updateSession write every column of sessionWriteCols,
// in its order (updateSession takes the ID last).
const (
	insertSession = `INSERT INTO sessions(` + sessionWriteCols + `) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`
	updateSession = `UPDATE sessions SET kind=?, status=?, owner_id=?, customer_name=?, code=?, code_expires_at=?,
		link_token_hash=?, link_expires_at=?, agent_key_hash=?, device=?, created_at=?, ready_at=?, started_at=?, ended_at=?,
		ended_by=?, end_reason=?, channel_id=?, category=?, priority=?, problem=?, language=?, ticket_system=?, ticket_key=?,
		ticket_url=?, escalated_at=?, hostname=?, customer_fold=? WHERE id=?`
)

func scanSession(row interface{ Scan(...any) error }) (Session, error) {
	var ss Session
	var owner sql.NullInt64
	var code, device sql.NullString
	var codeExp, linkExp, created, ready, started, ended, escalated, rated int64
	err := row.Scan(&ss.ID, &ss.Kind, &ss.Status, &owner, &ss.CustomerName, &code, &codeExp, &ss.LinkTokenHash, &linkExp,
		&ss.AgentKeyHash, &device, &created, &ready, &started, &ended, &ss.EndedBy, &ss.EndReason,
		&ss.ChannelID, &ss.Category, &ss.Priority, &ss.Problem, &ss.Language, &ss.Ticket.System, &ss.Ticket.Key, &ss.Ticket.URL, &escalated,
		&ss.Rating, &ss.RatingComment, &rated)
	if err != nil {
		return ss, err
	}
	ss.OwnerID, ss.Code = owner.Int64, code.String
	ss.CodeExpiresAt, ss.LinkExpiresAt = fromNano(codeExp), fromNano(linkExp)
	ss.CreatedAt, ss.ReadyAt, ss.StartedAt, ss.EndedAt = fromNano(created), fromNano(ready), fromNano(started), fromNano(ended)
	ss.EscalatedAt, ss.RatedAt = fromNano(escalated), fromNano(rated)
	if device.Valid {
		ss.Device = new(proto.DeviceInfo)
		if err := json.Unmarshal([]byte(device.String), ss.Device); err != nil {
			return ss, fmt.Errorf("session %s: device column: %w", ss.ID, err)
		}
	}
	return ss, nil
}

// sessionArgs gives the values of sessionWriteCols, in its order.
func sessionArgs(ss *Session) ([]any, error) {
	var device any
	var host string
	if ss.Device != nil {
		b, err := json.Marshal(ss.Device)
		if err != nil {
			return nil, err
		}
		device, host = string(b), ss.Device.Hostname
	}
	return []any{ss.ID, ss.Kind, ss.Status, nullID(ss.OwnerID), ss.CustomerName, nullString(ss.Code), unixNano(ss.CodeExpiresAt),
		nullBytes(ss.LinkTokenHash), unixNano(ss.LinkExpiresAt), nullBytes(ss.AgentKeyHash), device,
		unixNano(ss.CreatedAt), unixNano(ss.ReadyAt), unixNano(ss.StartedAt), unixNano(ss.EndedAt), ss.EndedBy, ss.EndReason,
		ss.ChannelID, ss.Category, ss.Priority, ss.Problem, ss.Language, ss.Ticket.System, ss.Ticket.Key, ss.Ticket.URL,
		unixNano(ss.EscalatedAt), fold(host), fold(ss.CustomerName)}, nil
}

const insertEvent = `INSERT INTO session_events(session_id, at, status, actor, detail) VALUES (?, ?, ?, ?, ?)`

// tx runs fn in a write transaction.
func (s *SQLite) tx(ctx context.Context, step string, fn func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return classify(step, err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return classify(step, err)
	}
	return classify(step, tx.Commit())
}

// CreateSession implements Store.
func (s *SQLite) CreateSession(ctx context.Context, ss *Session, ev StatusEvent) error {
	args, err := sessionArgs(ss)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return s.tx(ctx, "create session", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, insertSession, args...); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, insertEvent, ev.SessionID, unixNano(ev.At), ev.Status, ev.Actor, ev.Detail)
		return err
	})
}

// UpdateSession implements Store.
func (s *SQLite) UpdateSession(ctx context.Context, ss *Session, ev *StatusEvent) error {
	args, err := sessionArgs(ss)
	if err != nil {
		return fmt.Errorf("update session: %w", err)
	}
	return s.tx(ctx, "update session", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, updateSession, append(args[1:], ss.ID)...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return sql.ErrNoRows
		}
		if ev != nil {
			_, err = tx.ExecContext(ctx, insertEvent, ev.SessionID, unixNano(ev.At), ev.Status, ev.Actor, ev.Detail)
		}
		return err
	})
}

func (s *SQLite) sessionWhere(ctx context.Context, step, where string, arg any) (Session, error) {
	ss, err := scanSession(s.r.QueryRowContext(ctx, `SELECT `+sessionReadCols+` FROM sessions WHERE `+where, arg))
	return ss, classify(step, err)
}

// Session implements Store.
func (s *SQLite) Session(ctx context.Context, id string) (Session, error) {
	return s.sessionWhere(ctx, "session", "id = ?", id)
}

// SessionByCode implements Store.
func (s *SQLite) SessionByCode(ctx context.Context, code string) (Session, error) {
	return s.sessionWhere(ctx, "session by code", "code = ?", code)
}

// SessionByLinkHash implements Store.
func (s *SQLite) SessionByLinkHash(ctx context.Context, hash []byte) (Session, error) {
	return s.sessionWhere(ctx, "session by link", "link_token_hash = ?", hash)
}

// SessionByAgentKey implements Store.
func (s *SQLite) SessionByAgentKey(ctx context.Context, hash []byte) (Session, error) {
	return s.sessionWhere(ctx, "session by agent key", "agent_key_hash = ?", hash)
}

// LiveSessions implements Store.
func (s *SQLite) LiveSessions(ctx context.Context) ([]Session, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+sessionReadCols+` FROM sessions WHERE status IN (?, ?, ?) ORDER BY created_at, id`,
		proto.StatusWaiting, proto.StatusReady, proto.StatusActive)
	if err != nil {
		return nil, classify("live sessions", err)
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		ss, err := scanSession(rows)
		if err != nil {
			return nil, classify("live sessions", err)
		}
		out = append(out, ss)
	}
	return out, classify("live sessions", rows.Err())
}

// SessionEvents implements Store.
func (s *SQLite) SessionEvents(ctx context.Context, id string) ([]StatusEvent, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT session_id, at, status, actor, detail FROM session_events WHERE session_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, classify("session events", err)
	}
	defer rows.Close()
	var out []StatusEvent
	for rows.Next() {
		var e StatusEvent
		var at int64
		if err := rows.Scan(&e.SessionID, &at, &e.Status, &e.Actor, &e.Detail); err != nil {
			return nil, classify("session events", err)
		}
		e.At = fromNano(at)
		out = append(out, e)
	}
	return out, classify("session events", rows.Err())
}

// AddEvent implements Store.
func (s *SQLite) AddEvent(ctx context.Context, ev StatusEvent) error {
	_, err := s.w.ExecContext(ctx, insertEvent, ev.SessionID, unixNano(ev.At), ev.Status, ev.Actor, ev.Detail)
	return classify("add event", err)
}

// ---- attachments ----

// Attach implements Store.
func (s *SQLite) Attach(ctx context.Context, sessionID string, userID int64, at time.Time) error {
	return s.tx(ctx, "attach", func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM attachments WHERE session_id = ? AND user_id = ? AND detached_at IS NULL`, sessionID, userID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO attachments(session_id, user_id, attached_at) VALUES (?, ?, ?)`, sessionID, userID, unixNano(at))
		return err
	})
}

// Detach implements Store.
func (s *SQLite) Detach(ctx context.Context, sessionID string, userID int64, at time.Time) error {
	_, err := s.w.ExecContext(ctx, `UPDATE attachments SET detached_at = ? WHERE session_id = ? AND (? = 0 OR user_id = ?) AND detached_at IS NULL`,
		unixNano(at), sessionID, userID, userID)
	return classify("detach", err)
}

// Attached implements Store.
func (s *SQLite) Attached(ctx context.Context, sessionID string) ([]int64, error) {
	return s.userIDs(ctx, "attached", `SELECT DISTINCT user_id FROM attachments WHERE session_id = ? AND detached_at IS NULL ORDER BY user_id`, sessionID)
}

// userIDs runs a query that lists user IDs.
func (s *SQLite) userIDs(ctx context.Context, step, query string, args ...any) ([]int64, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, classify(step, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, classify(step, err)
		}
		out = append(out, id)
	}
	return out, classify(step, rows.Err())
}

// Participants implements Store.
func (s *SQLite) Participants(ctx context.Context, sessionID string) ([]int64, error) {
	return s.userIDs(ctx, "participants", `SELECT DISTINCT user_id FROM attachments WHERE session_id = ? ORDER BY user_id`, sessionID)
}

// ---- chat and rating ----

// AddChat implements Store.
func (s *SQLite) AddChat(ctx context.Context, m *ChatMessage) error {
	var found int
	err := s.tx(ctx, "add chat", func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sessions WHERE id = ?`, m.SessionID).Scan(&found); err != nil {
			return err
		}
		if found == 0 {
			return sql.ErrNoRows
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO chat_messages(session_id, at, from_user_id, from_name, body) VALUES (?, ?, ?, ?, ?)`,
			m.SessionID, unixNano(m.At), nullID(m.FromUser), m.From, m.Text)
		if err != nil {
			return err
		}
		m.ID, err = res.LastInsertId()
		return err
	})
	return err
}

// ChatMessages implements Store.
func (s *SQLite) ChatMessages(ctx context.Context, sessionID string) ([]ChatMessage, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, session_id, at, from_user_id, from_name, body FROM chat_messages WHERE session_id = ? ORDER BY id`, sessionID)
	if err != nil {
		return nil, classify("chat messages", err)
	}
	defer rows.Close()
	var out []ChatMessage
	for rows.Next() {
		var m ChatMessage
		var at int64
		var from sql.NullInt64
		if err := rows.Scan(&m.ID, &m.SessionID, &at, &from, &m.From, &m.Text); err != nil {
			return nil, classify("chat messages", err)
		}
		m.At, m.FromUser = fromNano(at), from.Int64
		out = append(out, m)
	}
	return out, classify("chat messages", rows.Err())
}

// errRated makes the rating transaction report ErrExists.
var errRated = errors.New("already rated")

// RateSession implements Store.
func (s *SQLite) RateSession(ctx context.Context, id string, stars int, comment string, at time.Time) error {
	err := s.tx(ctx, "rate session", func(tx *sql.Tx) error {
		var rating int
		if err := tx.QueryRowContext(ctx, `SELECT rating FROM sessions WHERE id = ?`, id).Scan(&rating); err != nil {
			return err
		}
		if rating != 0 {
			return errRated
		}
		_, err := tx.ExecContext(ctx, `UPDATE sessions SET rating = ?, rating_comment = ?, rated_at = ? WHERE id = ?`, stars, comment, unixNano(at), id)
		return err
	})
	if errors.Is(err, errRated) {
		return fmt.Errorf("rate session: %w", ErrExists)
	}
	return err
}

// ---- audit ----

// Audit implements Store.
func (s *SQLite) Audit(ctx context.Context, e *AuditEvent) error {
	var detail any
	if len(e.Detail) > 0 {
		b, err := json.Marshal(e.Detail)
		if err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		detail = string(b)
	}
	res, err := s.w.ExecContext(ctx, `INSERT INTO audit_events(at, kind, actor, source, session_id, detail) VALUES (?, ?, ?, ?, ?, ?)`,
		unixNano(e.At), e.Kind, e.Actor, e.Source, e.SessionID, detail)
	if err != nil {
		return classify("audit", err)
	}
	e.ID, err = res.LastInsertId()
	return classify("audit", err)
}

// AuditEvents implements Store.
func (s *SQLite) AuditEvents(ctx context.Context, afterID int64, limit int) ([]AuditEvent, error) {
	return s.AuditSince(ctx, time.Time{}, afterID, limit)
}

// AuditSince implements Store.
func (s *SQLite) AuditSince(ctx context.Context, since time.Time, afterID int64, limit int) ([]AuditEvent, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, at, kind, actor, source, session_id, detail FROM audit_events WHERE id > ? AND at >= ? ORDER BY id LIMIT ?`,
		afterID, unixNano(since), limit)
	if err != nil {
		return nil, classify("audit events", err)
	}
	defer rows.Close()
	var out []AuditEvent
	for rows.Next() {
		var e AuditEvent
		var at int64
		var detail sql.NullString
		if err := rows.Scan(&e.ID, &at, &e.Kind, &e.Actor, &e.Source, &e.SessionID, &detail); err != nil {
			return nil, classify("audit events", err)
		}
		e.At = fromNano(at)
		if detail.Valid {
			if err := json.Unmarshal([]byte(detail.String), &e.Detail); err != nil {
				return nil, fmt.Errorf("audit event %d: %w", e.ID, err)
			}
		}
		out = append(out, e)
	}
	return out, classify("audit events", rows.Err())
}

// ---- throttles and retired codes ----

// SaveThrottle implements Store.
func (s *SQLite) SaveThrottle(ctx context.Context, scope, key string, e ThrottleEntry) error {
	if e.Empty() {
		_, err := s.w.ExecContext(ctx, `DELETE FROM throttle_keys WHERE scope = ? AND key = ?`, scope, key)
		return classify("forget throttle key", err)
	}
	fails := make([]int64, len(e.Fails))
	for i, f := range e.Fails {
		fails[i] = unixNano(f)
	}
	b, err := json.Marshal(fails)
	if err != nil {
		return fmt.Errorf("save throttle key: %w", err)
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO throttle_keys(scope, key, fails, locked_until) VALUES (?, ?, ?, ?)
		ON CONFLICT(scope, key) DO UPDATE SET fails = excluded.fails, locked_until = excluded.locked_until`,
		scope, key, string(b), unixNano(e.LockedUntil))
	return classify("save throttle key", err)
}

// ThrottleEntries implements Store.
func (s *SQLite) ThrottleEntries(ctx context.Context, scope string) (map[string]ThrottleEntry, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT key, fails, locked_until FROM throttle_keys WHERE scope = ?`, scope)
	if err != nil {
		return nil, classify("throttle keys", err)
	}
	defer rows.Close()
	out := make(map[string]ThrottleEntry)
	for rows.Next() {
		var key, fails string
		var locked int64
		if err := rows.Scan(&key, &fails, &locked); err != nil {
			return nil, classify("throttle keys", err)
		}
		var ns []int64
		if err := json.Unmarshal([]byte(fails), &ns); err != nil {
			return nil, fmt.Errorf("throttle key %s/%s: %w", scope, key, err)
		}
		e := ThrottleEntry{LockedUntil: fromNano(locked)}
		for _, n := range ns {
			e.Fails = append(e.Fails, fromNano(n))
		}
		out[key] = e
	}
	return out, classify("throttle keys", rows.Err())
}

// PurgeUnattended implements Store.
func (s *SQLite) PurgeUnattended(ctx context.Context, before time.Time, limit int) (int, error) {
	var n int
	err := s.tx(ctx, "purge unattended sessions", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS purge_ids (id TEXT PRIMARY KEY)`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM purge_ids`); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO purge_ids(id)
			SELECT id FROM sessions s
			WHERE s.status IN (?, ?) AND s.started_at = 0 AND s.ended_at > 0 AND s.ended_at < ?
			  AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.session_id = s.id)
			  AND NOT EXISTS (SELECT 1 FROM session_notes n WHERE n.session_id = s.id)
			LIMIT ?`, string(proto.StatusClosed), string(proto.StatusExpired), unixNano(before), limit)
		if err != nil {
			return err
		}
		got, _ := res.RowsAffected()
		n = int(got)
		for _, q := range []string{
			`DELETE FROM chat_messages WHERE session_id IN (SELECT id FROM purge_ids)`,
			`DELETE FROM session_events WHERE session_id IN (SELECT id FROM purge_ids)`,
			`DELETE FROM sessions WHERE id IN (SELECT id FROM purge_ids)`,
			`DELETE FROM purge_ids`,
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// RetireCode implements Store.
func (s *SQLite) RetireCode(ctx context.Context, c RetiredCode) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO retired_codes(code, expired, at) VALUES (?, ?, ?)
		ON CONFLICT(code) DO UPDATE SET expired = excluded.expired, at = excluded.at`,
		c.Code, c.Expired, unixNano(c.At))
	return classify("retire code", err)
}

// RetiredCodes implements Store.
func (s *SQLite) RetiredCodes(ctx context.Context, since time.Time) ([]RetiredCode, error) {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM retired_codes WHERE at < ?`, unixNano(since)); err != nil {
		return nil, classify("forget old retired codes", err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT code, expired, at FROM retired_codes WHERE at >= ? ORDER BY at`, unixNano(since))
	if err != nil {
		return nil, classify("retired codes", err)
	}
	defer rows.Close()
	var out []RetiredCode
	for rows.Next() {
		var c RetiredCode
		var at int64
		if err := rows.Scan(&c.Code, &c.Expired, &at); err != nil {
			return nil, classify("retired codes", err)
		}
		c.At = fromNano(at)
		out = append(out, c)
	}
	return out, classify("retired codes", rows.Err())
}
