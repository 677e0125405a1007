package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// ---- service desk: helpers ----

// deskTx runs fn in a write transaction like tx, and reports a row that
// names an unknown user, group or channel (a foreign key) as ErrNotFound.
func (s *SQLite) deskTx(ctx context.Context, step string, fn func(*sql.Tx) error) error {
	err := s.tx(ctx, step, fn)
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY {
		return fmt.Errorf("%s: unknown user, group or channel: %w", step, ErrNotFound)
	}
	return err
}

// read runs fn in a read transaction, so that the queries it makes see one
// snapshot of the database.
func (s *SQLite) read(ctx context.Context, step string, fn func(*sql.Tx) error) error {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return classify(step, err)
	}
	defer tx.Rollback()
	return classify(step, fn(tx))
}

// uniqueIDs returns ids sorted, without duplicates, in a new slice.
func uniqueIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// replaceLinks makes the rows of a link table whose key column is id hold
// exactly ids in their col column. table, key and col are constants of this
// file, never input.
func replaceLinks(ctx context.Context, tx *sql.Tx, table, key string, id int64, col string, ids []int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE `+key+` = ?`, id); err != nil {
		return err
	}
	for _, v := range uniqueIDs(ids) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+table+`(`+key+`, `+col+`) VALUES (?, ?)`, id, v); err != nil {
			return err
		}
	}
	return nil
}

// linkMap reads a query of (key, value) ID pairs ordered by key and value
// into lists by key.
func linkMap(ctx context.Context, tx *sql.Tx, query string) (map[int64][]int64, error) {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[int64][]int64)
	for rows.Next() {
		var k, v int64
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = append(out[k], v)
	}
	return out, rows.Err()
}

// mustExist gives sql.ErrNoRows unless query, a COUNT(*), counts a row.
func mustExist(ctx context.Context, tx *sql.Tx, query string, arg any) error {
	var n int
	if err := tx.QueryRowContext(ctx, query, arg).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return sql.ErrNoRows
	}
	return nil
}

// affected gives sql.ErrNoRows when res changed no row.
func affected(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return sql.ErrNoRows
	}
	return nil
}

// ---- groups ----

// CreateGroup implements Store.
func (s *SQLite) CreateGroup(ctx context.Context, g *Group) error {
	if g.CreatedAt.IsZero() {
		g.CreatedAt = time.Now()
	}
	var id int64
	err := s.deskTx(ctx, "create group", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO tech_groups(name, description, created_at) VALUES (?, ?, ?)`,
			g.Name, g.Description, unixNano(g.CreatedAt))
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		return replaceLinks(ctx, tx, "group_members", "group_id", id, "user_id", g.Members)
	})
	if err == nil {
		g.ID = id
	}
	return err
}

// UpdateGroup implements Store.
func (s *SQLite) UpdateGroup(ctx context.Context, g *Group) error {
	return s.deskTx(ctx, "update group", func(tx *sql.Tx) error {
		if err := affected(tx.ExecContext(ctx, `UPDATE tech_groups SET name = ?, description = ? WHERE id = ?`, g.Name, g.Description, g.ID)); err != nil {
			return err
		}
		return replaceLinks(ctx, tx, "group_members", "group_id", g.ID, "user_id", g.Members)
	})
}

// DeleteGroup implements Store.
func (s *SQLite) DeleteGroup(ctx context.Context, id int64) error {
	return s.deskTx(ctx, "delete group", func(tx *sql.Tx) error {
		for _, q := range []string{
			`DELETE FROM group_members WHERE group_id = ?`,
			`DELETE FROM channel_groups WHERE group_id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		return affected(tx.ExecContext(ctx, `DELETE FROM tech_groups WHERE id = ?`, id))
	})
}

// Groups implements Store.
func (s *SQLite) Groups(ctx context.Context) ([]Group, error) {
	var out []Group
	err := s.read(ctx, "groups", func(tx *sql.Tx) error {
		members, err := linkMap(ctx, tx, `SELECT group_id, user_id FROM group_members ORDER BY group_id, user_id`)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, name, description, created_at FROM tech_groups ORDER BY name`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var g Group
			var created int64
			if err := rows.Scan(&g.ID, &g.Name, &g.Description, &created); err != nil {
				return err
			}
			g.CreatedAt, g.Members = fromNano(created), members[g.ID]
			out = append(out, g)
		}
		return rows.Err()
	})
	return out, err
}

// ---- channels ----

const channelCols = `name, description, is_default, link_ttl, sos_call, sos_token, form, assign, sla, fallback_id, narrow`

// channelArgs gives the values of channelCols, in its order.
func channelArgs(c *Channel) ([]any, error) {
	form, err := json.Marshal(c.Form)
	if err != nil {
		return nil, err
	}
	narrow := []byte("[]")
	if len(c.Narrow) > 0 {
		if narrow, err = json.Marshal(c.Narrow); err != nil {
			return nil, err
		}
	}
	return []any{c.Name, c.Description, c.Default, int64(c.LinkTTL), c.SOSCall, nullString(c.SOSToken), string(form),
		string(c.Assign), int64(c.SLA), nullID(c.FallbackID), string(narrow)}, nil
}

// clearDefault makes no channel but keep the default one.
func clearDefault(ctx context.Context, tx *sql.Tx, keep int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE channels SET is_default = 0 WHERE is_default = 1 AND id <> ?`, keep)
	return err
}

// CreateChannel implements Store.
func (s *SQLite) CreateChannel(ctx context.Context, c *Channel) error {
	if c.CreatedAt.IsZero() {
		c.CreatedAt = time.Now()
	}
	args, err := channelArgs(c)
	if err != nil {
		return fmt.Errorf("create channel: %w", err)
	}
	var id int64
	err = s.deskTx(ctx, "create channel", func(tx *sql.Tx) error {
		if c.Default {
			if err := clearDefault(ctx, tx, 0); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO channels(`+channelCols+`, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
			append(args, unixNano(c.CreatedAt))...)
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		if err := replaceLinks(ctx, tx, "channel_groups", "channel_id", id, "group_id", c.Groups); err != nil {
			return err
		}
		return replaceLinks(ctx, tx, "channel_managers", "channel_id", id, "user_id", c.Managers)
	})
	if err == nil {
		c.ID = id
	}
	return err
}

// UpdateChannel implements Store.
func (s *SQLite) UpdateChannel(ctx context.Context, c *Channel) error {
	args, err := channelArgs(c)
	if err != nil {
		return fmt.Errorf("update channel: %w", err)
	}
	return s.deskTx(ctx, "update channel", func(tx *sql.Tx) error {
		if c.Default {
			if err := clearDefault(ctx, tx, c.ID); err != nil {
				return err
			}
		}
		if err := affected(tx.ExecContext(ctx, `UPDATE channels SET name = ?, description = ?, is_default = ?, link_ttl = ?,
			sos_call = ?, sos_token = ?, form = ?, assign = ?, sla = ?, fallback_id = ?, narrow = ? WHERE id = ?`,
			append(args, c.ID)...)); err != nil {
			return err
		}
		if err := replaceLinks(ctx, tx, "channel_groups", "channel_id", c.ID, "group_id", c.Groups); err != nil {
			return err
		}
		return replaceLinks(ctx, tx, "channel_managers", "channel_id", c.ID, "user_id", c.Managers)
	})
}

// DeleteChannel implements Store. Its sessions keep their channel_id (the
// column has no foreign key).
func (s *SQLite) DeleteChannel(ctx context.Context, id int64) error {
	return s.deskTx(ctx, "delete channel", func(tx *sql.Tx) error {
		for _, q := range []string{
			`UPDATE channels SET fallback_id = NULL WHERE fallback_id = ?`,
			`DELETE FROM channel_groups WHERE channel_id = ?`,
			`DELETE FROM channel_managers WHERE channel_id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		return affected(tx.ExecContext(ctx, `DELETE FROM channels WHERE id = ?`, id))
	})
}

// Channels implements Store.
func (s *SQLite) Channels(ctx context.Context) ([]Channel, error) {
	var out []Channel
	err := s.read(ctx, "channels", func(tx *sql.Tx) error {
		groups, err := linkMap(ctx, tx, `SELECT channel_id, group_id FROM channel_groups ORDER BY channel_id, group_id`)
		if err != nil {
			return err
		}
		managers, err := linkMap(ctx, tx, `SELECT channel_id, user_id FROM channel_managers ORDER BY channel_id, user_id`)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, `+channelCols+`, created_at FROM channels ORDER BY name`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c Channel
			var ttl, sla, created int64
			var token sql.NullString
			var fallback sql.NullInt64
			var form, narrow string
			if err := rows.Scan(&c.ID, &c.Name, &c.Description, &c.Default, &ttl, &c.SOSCall, &token, &form, &c.Assign,
				&sla, &fallback, &narrow, &created); err != nil {
				return err
			}
			c.LinkTTL, c.SLA, c.CreatedAt = time.Duration(ttl), time.Duration(sla), fromNano(created)
			c.SOSToken, c.FallbackID = token.String, fallback.Int64
			if err := json.Unmarshal([]byte(form), &c.Form); err != nil {
				return fmt.Errorf("channel %d: form column: %w", c.ID, err)
			}
			if err := json.Unmarshal([]byte(narrow), &c.Narrow); err != nil {
				return fmt.Errorf("channel %d: narrow column: %w", c.ID, err)
			}
			if len(c.Narrow) == 0 {
				c.Narrow = nil
			}
			c.Groups, c.Managers = groups[c.ID], managers[c.ID]
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

// ---- profiles and overrides ----

// Profile implements Store. A user who never set one has the zero Profile.
func (s *SQLite) Profile(ctx context.Context, userID int64) (Profile, error) {
	var p Profile
	var langs, avail sql.NullString
	var maxSessions sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT p.languages, p.availability, p.max_sessions
		FROM users u LEFT JOIN user_profiles p ON p.user_id = u.id WHERE u.id = ?`, userID).Scan(&langs, &avail, &maxSessions)
	if err != nil {
		return p, classify("profile", err)
	}
	p.Availability, p.MaxSessions = proto.Availability(avail.String), int(maxSessions.Int64)
	if langs.Valid {
		if err := json.Unmarshal([]byte(langs.String), &p.Languages); err != nil {
			return p, fmt.Errorf("profile of user %d: languages column: %w", userID, err)
		}
	}
	if len(p.Languages) == 0 {
		p.Languages = nil
	}
	return p, nil
}

// SetProfile implements Store.
func (s *SQLite) SetProfile(ctx context.Context, userID int64, p Profile) error {
	langs := []byte("[]")
	if len(p.Languages) > 0 {
		var err error
		if langs, err = json.Marshal(p.Languages); err != nil {
			return fmt.Errorf("set profile: %w", err)
		}
	}
	return s.deskTx(ctx, "set profile", func(tx *sql.Tx) error {
		if err := mustExist(ctx, tx, `SELECT COUNT(*) FROM users WHERE id = ?`, userID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO user_profiles(user_id, languages, availability, max_sessions) VALUES (?, ?, ?, ?)
			ON CONFLICT(user_id) DO UPDATE SET languages = excluded.languages, availability = excluded.availability,
			max_sessions = excluded.max_sessions`, userID, string(langs), string(p.Availability), p.MaxSessions)
		return err
	})
}

// Overrides implements Store. They come ordered by permission.
func (s *SQLite) Overrides(ctx context.Context, userID int64) ([]Override, error) {
	// The left join gives one row of NULLs for a user without overrides
	// and no row for an unknown user.
	rows, err := s.r.QueryContext(ctx, `SELECT o.permission, o.allow FROM users u
		LEFT JOIN permission_overrides o ON o.user_id = u.id WHERE u.id = ? ORDER BY o.permission`, userID)
	if err != nil {
		return nil, classify("overrides", err)
	}
	defer rows.Close()
	var out []Override
	found := false
	for rows.Next() {
		found = true
		var perm sql.NullString
		var allow sql.NullBool
		if err := rows.Scan(&perm, &allow); err != nil {
			return nil, classify("overrides", err)
		}
		if perm.Valid {
			out = append(out, Override{Permission: proto.Permission(perm.String), Allow: allow.Bool})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, classify("overrides", err)
	}
	if !found {
		return nil, classify("overrides", sql.ErrNoRows)
	}
	return out, nil
}

// SetOverrides implements Store. Two overrides of one permission give
// ErrExists.
func (s *SQLite) SetOverrides(ctx context.Context, userID int64, o []Override) error {
	return s.deskTx(ctx, "set overrides", func(tx *sql.Tx) error {
		if err := mustExist(ctx, tx, `SELECT COUNT(*) FROM users WHERE id = ?`, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM permission_overrides WHERE user_id = ?`, userID); err != nil {
			return err
		}
		for _, ov := range o {
			if _, err := tx.ExecContext(ctx, `INSERT INTO permission_overrides(user_id, permission, allow) VALUES (?, ?, ?)`,
				userID, string(ov.Permission), ov.Allow); err != nil {
				return err
			}
		}
		return nil
	})
}

// ---- API tokens ----

const apiTokenCols = `id, name, role, hash, created_at, created_by, last_used, revoked`

func scanAPIToken(row interface{ Scan(...any) error }) (APIToken, error) {
	var t APIToken
	var created, used int64
	err := row.Scan(&t.ID, &t.Name, &t.Role, &t.Hash, &created, &t.CreatedBy, &used, &t.Revoked)
	t.CreatedAt, t.LastUsed = fromNano(created), fromNano(used)
	return t, err
}

// CreateAPIToken implements Store. A taken hash gives ErrExists too.
func (s *SQLite) CreateAPIToken(ctx context.Context, t *APIToken) error {
	if t.CreatedAt.IsZero() {
		t.CreatedAt = time.Now()
	}
	res, err := s.w.ExecContext(ctx, `INSERT INTO api_tokens(name, role, hash, created_at, created_by, last_used, revoked) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		t.Name, string(t.Role), t.Hash, unixNano(t.CreatedAt), t.CreatedBy, unixNano(t.LastUsed), t.Revoked)
	if err != nil {
		return classify("create api token", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return classify("create api token", err)
	}
	t.ID = id
	return nil
}

// APITokenByHash implements Store.
func (s *SQLite) APITokenByHash(ctx context.Context, hash []byte) (APIToken, error) {
	t, err := scanAPIToken(s.r.QueryRowContext(ctx, `SELECT `+apiTokenCols+` FROM api_tokens WHERE hash = ? AND revoked = 0`, hash))
	return t, classify("api token by hash", err)
}

// APITokens implements Store: every token, revoked ones too, by name and
// then age.
func (s *SQLite) APITokens(ctx context.Context) ([]APIToken, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+apiTokenCols+` FROM api_tokens ORDER BY name, id`)
	if err != nil {
		return nil, classify("api tokens", err)
	}
	defer rows.Close()
	var out []APIToken
	for rows.Next() {
		t, err := scanAPIToken(rows)
		if err != nil {
			return nil, classify("api tokens", err)
		}
		out = append(out, t)
	}
	return out, classify("api tokens", rows.Err())
}

// RevokeAPIToken implements Store. No live token of that name gives
// ErrNotFound.
func (s *SQLite) RevokeAPIToken(ctx context.Context, name string) error {
	return classify("revoke api token", affected(s.w.ExecContext(ctx, `UPDATE api_tokens SET revoked = 1 WHERE name = ? AND revoked = 0`, name)))
}

// TouchAPIToken implements Store. An unknown ID gives ErrNotFound.
func (s *SQLite) TouchAPIToken(ctx context.Context, id int64, at time.Time) error {
	return classify("touch api token", affected(s.w.ExecContext(ctx, `UPDATE api_tokens SET last_used = ? WHERE id = ?`, unixNano(at), id)))
}

// ---- notes ----

// AddNote implements Store.
func (s *SQLite) AddNote(ctx context.Context, n *Note) error {
	var id int64
	err := s.deskTx(ctx, "add note", func(tx *sql.Tx) error {
		if err := mustExist(ctx, tx, `SELECT COUNT(*) FROM sessions WHERE id = ?`, n.SessionID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO session_notes(session_id, at, user_id, author, body) VALUES (?, ?, ?, ?, ?)`,
			n.SessionID, unixNano(n.At), nullID(n.UserID), n.Author, n.Text)
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err == nil {
		n.ID = id
	}
	return err
}

// Notes implements Store.
func (s *SQLite) Notes(ctx context.Context, sessionID string) ([]Note, error) {
	// As in Overrides, the left join tells an unknown session (no row) from
	// one without notes (a row of NULLs).
	rows, err := s.r.QueryContext(ctx, `SELECT n.id, n.at, n.user_id, n.author, n.body FROM sessions s
		LEFT JOIN session_notes n ON n.session_id = s.id WHERE s.id = ? ORDER BY n.id`, sessionID)
	if err != nil {
		return nil, classify("notes", err)
	}
	defer rows.Close()
	var out []Note
	found := false
	for rows.Next() {
		found = true
		var id, at, user sql.NullInt64
		var author, body sql.NullString
		if err := rows.Scan(&id, &at, &user, &author, &body); err != nil {
			return nil, classify("notes", err)
		}
		if id.Valid {
			out = append(out, Note{ID: id.Int64, SessionID: sessionID, At: fromNano(at.Int64), UserID: user.Int64, Author: author.String, Text: body.String})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, classify("notes", err)
	}
	if !found {
		return nil, classify("notes", sql.ErrNoRows)
	}
	return out, nil
}

// ---- settings ----

// Setting implements Store.
func (s *SQLite) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.r.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, classify("setting", err)
}

// SetSetting implements Store.
func (s *SQLite) SetSetting(ctx context.Context, key, value string) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO settings(key, value) VALUES (?, ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
	return classify("set setting", err)
}

// ---- session search and claim ----

// Limits of SearchSessions.
const (
	defaultSearchLimit = 100
	maxSearchLimit     = 500
)

// marks gives n comma-separated placeholders.
func marks(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// containsPattern is a LIKE pattern (with ESCAPE '\') that matches the
// folded s anywhere.
func containsPattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(fold(s)) + "%"
}

// SearchSessions implements Store. Since and Until bound the creation time
// (Since included, Until not). Customer and Hostname match the search keys
// that sessionArgs writes (see migration 5).
func (s *SQLite) SearchSessions(ctx context.Context, f SessionFilter) ([]Session, error) {
	var where []string
	var args []any
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	const participant = `id IN (SELECT a.session_id FROM attachments a WHERE a.user_id = ?)`
	if f.ChannelID != 0 {
		add(`channel_id = ?`, f.ChannelID)
	}
	if f.TechnicianID != 0 {
		add(`(owner_id = ? OR `+participant+`)`, f.TechnicianID, f.TechnicianID)
	}
	if f.Customer != "" {
		add(`customer_fold LIKE ? ESCAPE '\'`, containsPattern(f.Customer))
	}
	if f.Hostname != "" {
		add(`hostname LIKE ? ESCAPE '\'`, containsPattern(f.Hostname))
	}
	if len(f.Statuses) > 0 {
		a := make([]any, len(f.Statuses))
		for i, st := range f.Statuses {
			a[i] = string(st)
		}
		add(`status IN (`+marks(len(a))+`)`, a...)
	}
	if f.Category != "" {
		add(`category = ?`, f.Category)
	}
	if f.Priority != "" {
		add(`priority = ?`, f.Priority)
	}
	if f.MinRating > 0 {
		add(`rating >= ?`, f.MinRating)
	}
	if !f.Since.IsZero() {
		add(`created_at >= ?`, unixNano(f.Since))
	}
	if !f.Until.IsZero() {
		add(`created_at < ?`, unixNano(f.Until))
	}
	if !f.All {
		cond := `owner_id = ? OR ` + participant
		a := []any{f.VisibleTo, f.VisibleTo}
		for _, ch := range f.Channels {
			if ch != 0 { // 0 is no channel: never a queue one sees
				a = append(a, ch)
			}
		}
		if n := len(a) - 2; n > 0 {
			cond += ` OR channel_id IN (` + marks(n) + `)`
		}
		add(`(`+cond+`)`, a...)
	}
	if b := f.Before; b != nil {
		add(`(created_at < ? OR (created_at = ? AND id < ?))`, unixNano(b.CreatedAt), unixNano(b.CreatedAt), b.ID)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = defaultSearchLimit
	}
	limit = min(limit, maxSearchLimit)

	q := `SELECT ` + sessionReadCols + ` FROM sessions`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	rows, err := s.r.QueryContext(ctx, q, append(args, limit)...)
	if err != nil {
		return nil, classify("search sessions", err)
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		ss, err := scanSession(rows)
		if err != nil {
			return nil, classify("search sessions", err)
		}
		out = append(out, ss)
	}
	return out, classify("search sessions", rows.Err())
}

// ClaimSession implements Store with one conditional UPDATE, so that of
// several relays (or goroutines) claiming one session exactly one wins. An
// unknown userID gives ErrNotFound.
func (s *SQLite) ClaimSession(ctx context.Context, id string, prev, userID int64) error {
	return s.deskTx(ctx, "claim session", func(tx *sql.Tx) error {
		err := affected(tx.ExecContext(ctx, `UPDATE sessions SET owner_id = ? WHERE id = ? AND (owner_id IS NULL OR owner_id = 0 OR owner_id = ?)`,
			nullID(userID), id, prev))
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err := mustExist(ctx, tx, `SELECT COUNT(*) FROM sessions WHERE id = ?`, id); err != nil {
			return err
		}
		return ErrExists
	})
}
