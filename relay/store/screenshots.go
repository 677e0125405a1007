package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// ErrLimit means a per-session limit is reached (records links).
var ErrLimit = errors.New("store: limit reached")

// Screenshot is the record of a screenshot kept with a session; the PNG
// itself lives under the data directory (relay/api writes it).
type Screenshot struct {
	ID        string
	SessionID string
	UserID    int64  // the technician who took it (0: an API token)
	TakenBy   string // their name at the time
	TakenAt   time.Time
	Width     int
	Height    int
	Size      int64 // bytes of the PNG
	Marked    bool  // the technician marked it up before saving
}

// ScreenshotPath is where the PNG of screenshot id of session sid lives
// under dir, the screenshots' folder of the data directory:
// <dir>/<session>/<id>.png. relay/api writes it, relay/web serves it.
func ScreenshotPath(dir, sid, id string) string {
	return filepath.Join(dir, sid, id+".png")
}

// RecordStore keeps what a session documents about itself beyond its
// status history and chat: screenshots, who may open them (the session's
// visibility) and the links that let the end user open them.
type RecordStore interface {
	// AddScreenshot records a screenshot of an existing session; an
	// unknown session gives ErrNotFound, a taken ID ErrExists.
	AddScreenshot(ctx context.Context, sh *Screenshot) error
	// Screenshots lists a session's screenshots, oldest first (none for
	// an unknown session).
	Screenshots(ctx context.Context, sessionID string) ([]Screenshot, error)
	// ScreenshotByID gives ErrNotFound for an unknown ID.
	ScreenshotByID(ctx context.Context, id string) (Screenshot, error)
	// SessionVisibility and SetSessionVisibility read and change who may
	// open a session's records; an unknown session gives ErrNotFound.
	SessionVisibility(ctx context.Context, sessionID string) (proto.Visibility, error)
	SetSessionVisibility(ctx context.Context, sessionID string, v proto.Visibility) error
	// AddRecordsLink stores the hash of a new records link of a session;
	// ErrLimit once the session has max of them, ErrNotFound for an
	// unknown session.
	AddRecordsLink(ctx context.Context, sessionID string, hash []byte, at time.Time, max int) error
	// RecordsLinkSession resolves a records link's hash to its session's
	// ID; ErrNotFound for an unknown one.
	RecordsLinkSession(ctx context.Context, hash []byte) (string, error)
}

var _ RecordStore = (*SQLite)(nil)

// sessionExists reports ErrNotFound (wrapped as sql.ErrNoRows) for an unknown session.
func sessionExists(ctx context.Context, tx *sql.Tx, id string) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sessions WHERE id = ?`, id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return sql.ErrNoRows
	}
	return nil
}

// AddScreenshot implements RecordStore.
func (s *SQLite) AddScreenshot(ctx context.Context, sh *Screenshot) error {
	return s.tx(ctx, "add screenshot", func(tx *sql.Tx) error {
		if err := sessionExists(ctx, tx, sh.SessionID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO screenshots(id, session_id, user_id, taken_by, taken_at, width, height, size, marked)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			sh.ID, sh.SessionID, nullID(sh.UserID), sh.TakenBy, unixNano(sh.TakenAt), sh.Width, sh.Height, sh.Size, sh.Marked)
		return err
	})
}

const screenshotCols = `id, session_id, user_id, taken_by, taken_at, width, height, size, marked`

func scanScreenshot(row interface{ Scan(...any) error }) (Screenshot, error) {
	var sh Screenshot
	var user sql.NullInt64
	var at int64
	err := row.Scan(&sh.ID, &sh.SessionID, &user, &sh.TakenBy, &at, &sh.Width, &sh.Height, &sh.Size, &sh.Marked)
	sh.UserID, sh.TakenAt = user.Int64, fromNano(at)
	return sh, err
}

// Screenshots implements RecordStore.
func (s *SQLite) Screenshots(ctx context.Context, sessionID string) ([]Screenshot, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+screenshotCols+` FROM screenshots WHERE session_id = ? ORDER BY taken_at, id`, sessionID)
	if err != nil {
		return nil, classify("screenshots", err)
	}
	defer rows.Close()
	var out []Screenshot
	for rows.Next() {
		sh, err := scanScreenshot(rows)
		if err != nil {
			return nil, classify("screenshots", err)
		}
		out = append(out, sh)
	}
	return out, classify("screenshots", rows.Err())
}

// ScreenshotByID implements RecordStore.
func (s *SQLite) ScreenshotByID(ctx context.Context, id string) (Screenshot, error) {
	sh, err := scanScreenshot(s.r.QueryRowContext(ctx, `SELECT `+screenshotCols+` FROM screenshots WHERE id = ?`, id))
	return sh, classify("screenshot", err)
}

// SessionVisibility implements RecordStore.
func (s *SQLite) SessionVisibility(ctx context.Context, sessionID string) (proto.Visibility, error) {
	var v proto.Visibility
	err := s.r.QueryRowContext(ctx, `SELECT visibility FROM sessions WHERE id = ?`, sessionID).Scan(&v)
	return v, classify("session visibility", err)
}

// SetSessionVisibility implements RecordStore.
func (s *SQLite) SetSessionVisibility(ctx context.Context, sessionID string, v proto.Visibility) error {
	if !v.Valid() {
		return fmt.Errorf("set session visibility: %q is not a visibility", v)
	}
	res, err := s.w.ExecContext(ctx, `UPDATE sessions SET visibility = ? WHERE id = ?`, string(v), sessionID)
	if err != nil {
		return classify("set session visibility", err)
	}
	n, err := res.RowsAffected()
	if err == nil && n == 0 {
		err = sql.ErrNoRows
	}
	return classify("set session visibility", err)
}

// AddRecordsLink implements RecordStore.
func (s *SQLite) AddRecordsLink(ctx context.Context, sessionID string, hash []byte, at time.Time, max int) error {
	return s.tx(ctx, "add records link", func(tx *sql.Tx) error {
		if err := sessionExists(ctx, tx, sessionID); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM records_links WHERE session_id = ?`, sessionID).Scan(&n); err != nil {
			return err
		}
		if n >= max {
			return ErrLimit
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO records_links(token_hash, session_id, created_at) VALUES (?, ?, ?)`, hash, sessionID, unixNano(at))
		return err
	})
}

// RecordsLinkSession implements RecordStore.
func (s *SQLite) RecordsLinkSession(ctx context.Context, hash []byte) (string, error) {
	var id string
	err := s.r.QueryRowContext(ctx, `SELECT session_id FROM records_links WHERE token_hash = ?`, hash).Scan(&id)
	return id, classify("records link", err)
}
