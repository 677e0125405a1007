package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// Recording is one recording of a session: metadata here, the WebM file
// at Path (relative to the data directory's recordings folder).
type Recording struct {
	ID        string
	SessionID string
	Started   time.Time
	Ended     time.Time // zero while it runs
	Bytes     int64
	Duration  time.Duration
	Path      string
	AskedBy   string
	Deleted   time.Time // zero while the file is kept
}

// Info is the recording as the admin API and the console show it.
func (r Recording) Info() proto.Recording {
	return proto.Recording{ID: r.ID, SessionID: r.SessionID, Started: r.Started, Ended: r.Ended, Bytes: r.Bytes, Duration: r.Duration, AskedBy: r.AskedBy}
}

// RecordSettings is a channel's recording policy and how many days its
// recordings are kept (0: for ever).
type RecordSettings struct {
	Policy   proto.RecordPolicy
	KeepDays int
}

// Recordings is the part of the store that keeps recordings; *SQLite
// implements it.
type Recordings interface {
	// ChannelRecording is a channel's settings (off and 0 when never set).
	ChannelRecording(ctx context.Context, channelID int64) (RecordSettings, error)
	SetChannelRecording(ctx context.Context, channelID int64, rs RecordSettings) error
	CreateRecording(ctx context.Context, r *Recording) error
	// FinishRecording stores a recording's end, size and duration.
	FinishRecording(ctx context.Context, r *Recording) error
	Recording(ctx context.Context, id string) (Recording, error)
	// SessionRecordings lists a session's kept recordings, oldest first.
	SessionRecordings(ctx context.Context, sessionID string) ([]Recording, error)
	// ExpiredRecordings lists up to limit kept recordings that ended more
	// than their channel's KeepDays before now.
	ExpiredRecordings(ctx context.Context, now time.Time, limit int) ([]Recording, error)
	// DeleteRecording marks a recording's file as deleted at (the row stays for the record).
	DeleteRecording(ctx context.Context, id string, at time.Time) error
	// UnfinishedRecordings lists the recordings that never ended.
	UnfinishedRecordings(ctx context.Context) ([]Recording, error)
	// RecordingTotals sums the kept, finished recordings of each of the
	// sessions (absent: none).
	RecordingTotals(ctx context.Context, sessionIDs []string) (map[string]RecordingTotal, error)
}

// RecordingTotal is what a session's kept recordings add up to.
type RecordingTotal struct {
	Count    int
	Bytes    int64
	Duration time.Duration
}

var _ Recordings = (*SQLite)(nil)

// ErrRecordSettings refuses a recording policy that is not off, allowed or
// required, or a negative number of days.
var ErrRecordSettings = errors.New("store: a recording policy is off, allowed or required, and it keeps recordings 0 (for ever) or more days")

// ChannelRecording implements Recordings.
func (s *SQLite) ChannelRecording(ctx context.Context, channelID int64) (RecordSettings, error) {
	rs := RecordSettings{Policy: proto.RecordOff}
	err := s.read(ctx, "channel recording", func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT policy, keep_days FROM channel_recording WHERE channel_id = ?`, channelID).Scan(&rs.Policy, &rs.KeepDays)
		if err == sql.ErrNoRows {
			return nil
		}
		return err
	})
	return rs, err
}

// SetChannelRecording implements Recordings.
func (s *SQLite) SetChannelRecording(ctx context.Context, channelID int64, rs RecordSettings) error {
	if !rs.Policy.Valid() || rs.KeepDays < 0 {
		return fmt.Errorf("set channel recording: policy %q, %d days: %w", rs.Policy, rs.KeepDays, ErrRecordSettings)
	}
	if rs.Policy == "" {
		rs.Policy = proto.RecordOff
	}
	return s.tx(ctx, "set channel recording", func(tx *sql.Tx) error {
		return affected(tx.ExecContext(ctx, `INSERT INTO channel_recording(channel_id, policy, keep_days)
			SELECT id, ?, ? FROM channels WHERE id = ?
			ON CONFLICT(channel_id) DO UPDATE SET policy = excluded.policy, keep_days = excluded.keep_days`,
			string(rs.Policy), rs.KeepDays, channelID))
	})
}

const recordingCols = `id, session_id, started_at, ended_at, bytes, duration, path, asked_by, deleted_at`

func scanRecording(row interface{ Scan(...any) error }) (Recording, error) {
	var r Recording
	var started, ended, dur, deleted int64
	err := row.Scan(&r.ID, &r.SessionID, &started, &ended, &r.Bytes, &dur, &r.Path, &r.AskedBy, &deleted)
	r.Started, r.Ended, r.Duration, r.Deleted = fromNano(started), fromNano(ended), time.Duration(dur), fromNano(deleted)
	return r, err
}

// CreateRecording implements Recordings.
func (s *SQLite) CreateRecording(ctx context.Context, r *Recording) error {
	return s.tx(ctx, "create recording", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO recordings(`+recordingCols+`) VALUES (?,?,?,?,?,?,?,?,?)`,
			r.ID, r.SessionID, unixNano(r.Started), unixNano(r.Ended), r.Bytes, int64(r.Duration), r.Path, r.AskedBy, unixNano(r.Deleted))
		return err
	})
}

// FinishRecording implements Recordings.
func (s *SQLite) FinishRecording(ctx context.Context, r *Recording) error {
	return s.tx(ctx, "finish recording", func(tx *sql.Tx) error {
		return affected(tx.ExecContext(ctx, `UPDATE recordings SET ended_at = ?, bytes = ?, duration = ? WHERE id = ?`,
			unixNano(r.Ended), r.Bytes, int64(r.Duration), r.ID))
	})
}

// Recording implements Recordings.
func (s *SQLite) Recording(ctx context.Context, id string) (Recording, error) {
	var r Recording
	err := s.read(ctx, "recording", func(tx *sql.Tx) error {
		var err error
		r, err = scanRecording(tx.QueryRowContext(ctx, `SELECT `+recordingCols+` FROM recordings WHERE id = ?`, id))
		return err
	})
	return r, err
}

func (s *SQLite) recordings(ctx context.Context, step, query string, args ...any) ([]Recording, error) {
	var out []Recording
	err := s.read(ctx, step, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanRecording(rows)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// SessionRecordings implements Recordings.
func (s *SQLite) SessionRecordings(ctx context.Context, sessionID string) ([]Recording, error) {
	return s.recordings(ctx, "session recordings", `SELECT `+recordingCols+` FROM recordings
		WHERE session_id = ? AND deleted_at = 0 ORDER BY started_at, id`, sessionID)
}

// UnfinishedRecordings implements Recordings.
func (s *SQLite) UnfinishedRecordings(ctx context.Context) ([]Recording, error) {
	return s.recordings(ctx, "unfinished recordings", `SELECT `+recordingCols+` FROM recordings WHERE ended_at = 0 ORDER BY started_at, id`)
}

// ExpiredRecordings implements Recordings.
func (s *SQLite) ExpiredRecordings(ctx context.Context, now time.Time, limit int) ([]Recording, error) {
	return s.recordings(ctx, "expired recordings", `SELECT r.id, r.session_id, r.started_at, r.ended_at, r.bytes, r.duration, r.path, r.asked_by, r.deleted_at
		FROM recordings r JOIN sessions s ON s.id = r.session_id JOIN channel_recording c ON c.channel_id = s.channel_id
		WHERE r.deleted_at = 0 AND r.ended_at > 0 AND c.keep_days > 0 AND r.ended_at < ? - c.keep_days * ?
		ORDER BY r.ended_at LIMIT ?`, unixNano(now), int64(24*time.Hour), limit)
}

// DeleteRecording implements Recordings.
func (s *SQLite) DeleteRecording(ctx context.Context, id string, at time.Time) error {
	return s.tx(ctx, "delete recording", func(tx *sql.Tx) error {
		return affected(tx.ExecContext(ctx, `UPDATE recordings SET deleted_at = ? WHERE id = ? AND deleted_at = 0`, unixNano(at), id))
	})
}

// RecordingTotals implements Recordings.
func (s *SQLite) RecordingTotals(ctx context.Context, sessionIDs []string) (map[string]RecordingTotal, error) {
	out := make(map[string]RecordingTotal)
	if len(sessionIDs) == 0 {
		return out, nil
	}
	args := make([]any, len(sessionIDs))
	for i, id := range sessionIDs {
		args[i] = id
	}
	err := s.read(ctx, "recording totals", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT session_id, COUNT(*), SUM(bytes), SUM(duration) FROM recordings
			WHERE deleted_at = 0 AND ended_at > 0 AND session_id IN (?`+strings.Repeat(",?", len(args)-1)+`) GROUP BY session_id`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var t RecordingTotal
			var dur int64
			if err := rows.Scan(&id, &t.Count, &t.Bytes, &dur); err != nil {
				return err
			}
			t.Duration = time.Duration(dur)
			out[id] = t
		}
		return rows.Err()
	})
	return out, err
}
