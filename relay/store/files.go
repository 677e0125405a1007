package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// Transfer is one file transfer of a session: who moved what which way,
// and how it ended.
type Transfer struct {
	ID           string
	SessionID    string
	TechnicianID int64
	Technician   string
	Direction    proto.FileDirection
	Name         string // the file's name (send) or the path on the end user's computer (fetch)
	Size         int64
	SHA256       string // hex, of what arrived
	State        proto.FileState
	Reason       string
	StartedAt    time.Time
	EndedAt      time.Time
}

// FileStore keeps file transfers and the channels' file size limits.
type FileStore interface {
	// AddTransfer records a started transfer; an unknown session gives
	// ErrNotFound, a taken ID ErrExists.
	AddTransfer(ctx context.Context, t Transfer) error
	// Transfer gives ErrNotFound for an unknown ID.
	Transfer(ctx context.Context, id string) (Transfer, error)
	// EndTransfer records how transfer id ended, once: false when it had
	// ended already (the record stays as it was). Unknown: ErrNotFound.
	EndTransfer(ctx context.Context, id string, state proto.FileState, size int64, sha256, reason string, at time.Time) (bool, error)
	// Transfers lists a session's transfers, oldest first.
	Transfers(ctx context.Context, sessionID string) ([]Transfer, error)
	// ChannelFileLimit is channel id's file size limit in bytes (0: not
	// set); SetChannelFileLimit sets it (0: back to the default).
	ChannelFileLimit(ctx context.Context, channelID int64) (int64, error)
	SetChannelFileLimit(ctx context.Context, channelID, limit int64) error
}

const transferCols = `id, session_id, technician_id, technician, direction, name, size, sha256, state, reason, started_at, ended_at`

// AddTransfer implements FileStore.
func (s *SQLite) AddTransfer(ctx context.Context, t Transfer) error {
	return s.tx(ctx, "add transfer", func(tx *sql.Tx) error {
		var found int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sessions WHERE id = ?`, t.SessionID).Scan(&found); err != nil {
			return err
		}
		if found == 0 {
			return sql.ErrNoRows
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO file_transfers(`+transferCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.ID, t.SessionID, nullID(t.TechnicianID), t.Technician, t.Direction, t.Name, t.Size, t.SHA256, t.State, t.Reason,
			unixNano(t.StartedAt), unixNano(t.EndedAt))
		return err
	})
}

func scanTransfer(row interface{ Scan(...any) error }) (Transfer, error) {
	var t Transfer
	var tech sql.NullInt64
	var started, ended int64
	err := row.Scan(&t.ID, &t.SessionID, &tech, &t.Technician, &t.Direction, &t.Name, &t.Size, &t.SHA256, &t.State, &t.Reason, &started, &ended)
	t.TechnicianID, t.StartedAt, t.EndedAt = tech.Int64, fromNano(started), fromNano(ended)
	return t, err
}

// Transfer implements FileStore.
func (s *SQLite) Transfer(ctx context.Context, id string) (Transfer, error) {
	t, err := scanTransfer(s.r.QueryRowContext(ctx, `SELECT `+transferCols+` FROM file_transfers WHERE id = ?`, id))
	return t, classify("transfer", err)
}

// EndTransfer implements FileStore.
func (s *SQLite) EndTransfer(ctx context.Context, id string, state proto.FileState, size int64, sum, reason string, at time.Time) (bool, error) {
	if !state.Final() {
		return false, fmt.Errorf("end transfer: %q is not a final state", state)
	}
	var changed bool
	err := s.tx(ctx, "end transfer", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE file_transfers SET state = ?, size = ?, sha256 = ?, reason = ?, ended_at = ? WHERE id = ? AND state = ?`,
			state, size, sum, reason, unixNano(at), id, proto.FileRunning)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			changed = true
			return nil
		}
		var found int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM file_transfers WHERE id = ?`, id).Scan(&found); err != nil {
			return err
		}
		if found == 0 {
			return sql.ErrNoRows
		}
		return nil
	})
	return changed, err
}

// Transfers implements FileStore.
func (s *SQLite) Transfers(ctx context.Context, sessionID string) ([]Transfer, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+transferCols+` FROM file_transfers WHERE session_id = ? ORDER BY started_at, id`, sessionID)
	if err != nil {
		return nil, classify("transfers", err)
	}
	defer rows.Close()
	var out []Transfer
	for rows.Next() {
		t, err := scanTransfer(rows)
		if err != nil {
			return nil, classify("transfers", err)
		}
		out = append(out, t)
	}
	return out, classify("transfers", rows.Err())
}

// ChannelFileLimit implements FileStore.
func (s *SQLite) ChannelFileLimit(ctx context.Context, channelID int64) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT max_bytes FROM channel_file_limits WHERE channel_id = ?`, channelID).Scan(&n)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	return n, classify("channel file limit", err)
}

// SetChannelFileLimit implements FileStore.
func (s *SQLite) SetChannelFileLimit(ctx context.Context, channelID, limit int64) error {
	return s.tx(ctx, "set channel file limit", func(tx *sql.Tx) error {
		if limit <= 0 {
			_, err := tx.ExecContext(ctx, `DELETE FROM channel_file_limits WHERE channel_id = ?`, channelID)
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO channel_file_limits(channel_id, max_bytes) VALUES (?, ?)
			ON CONFLICT(channel_id) DO UPDATE SET max_bytes = excluded.max_bytes`, channelID, limit)
		return err
	})
}
