package store

import (
	"context"
	"fmt"
	"time"

	"github.com/vigilbot/vigil/watchers"
)

const (
	sqlUpsertSource = `INSERT INTO sources (name, type, url, schedule, origin, created_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET type = excluded.type, url = excluded.url, schedule = excluded.schedule,
origin = excluded.origin,
next_poll = CASE WHEN sources.schedule <> excluded.schedule OR sources.url <> excluded.url THEN 0 ELSE sources.next_poll END,
baselined = CASE WHEN sources.url <> excluded.url OR sources.type <> excluded.type THEN 0 ELSE sources.baselined END,
etag = CASE WHEN sources.url <> excluded.url THEN '' ELSE sources.etag END,
last_modified = CASE WHEN sources.url <> excluded.url THEN '' ELSE sources.last_modified END`
	sqlSelectSource = `SELECT name, type, url, schedule, origin, next_poll, baselined, last_poll_at,
last_success_at, last_error, last_error_kind, last_error_at, failures, failing_since, ops_reported, items_seen,
etag, last_modified FROM sources`
	sqlDeleteSource  = `DELETE FROM sources WHERE name = ?`
	sqlSetNextPoll   = `UPDATE sources SET next_poll = ? WHERE name = ?`
	sqlMarkBaselined = `UPDATE sources SET baselined = 1 WHERE name = ?`
	sqlDeferPoll     = `UPDATE sources SET next_poll = CASE WHEN next_poll < ? THEN ? ELSE next_poll END WHERE name = ?`
	sqlRecordSuccess = `UPDATE sources SET last_poll_at = ?, last_success_at = ?, failures = 0, failing_since = 0,
items_seen = items_seen + ? WHERE name = ?`
	sqlRecordFailure = `UPDATE sources SET last_poll_at = ?, last_error = ?, last_error_kind = ?, last_error_at = ?,
failing_since = CASE WHEN failures = 0 THEN ? ELSE failing_since END, failures = failures + 1 WHERE name = ?`
	sqlSaveValidators = `UPDATE sources SET etag = ?, last_modified = ? WHERE name = ?`
	sqlSetOpsReported = `UPDATE sources SET ops_reported = ? WHERE name = ?`
)

// UpsertSource adds a source or updates its definition, keeping its health. A source whose
// URL or type changed starts again from a baseline; one whose schedule changed is due now.
func (q queries) UpsertSource(ctx context.Context, s watchers.Source) error {
	if _, err := q.q.ExecContext(ctx, sqlUpsertSource, s.Name, s.Type, s.URL, s.Schedule, s.Origin, ms(q.now())); err != nil {
		return fmt.Errorf("save source %s: %w", s.Name, err)
	}
	return nil
}

// DeleteSource removes a source; its seen items stay so that re-adding it alerts nothing old.
func (q queries) DeleteSource(ctx context.Context, name string) error {
	res, err := q.q.ExecContext(ctx, sqlDeleteSource, name)
	if err != nil {
		return fmt.Errorf("delete source %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("source %s: %w", name, ErrNotFound)
	}
	return nil
}

// Sources returns every source ordered by name.
func (q queries) Sources(ctx context.Context) ([]watchers.Source, error) {
	return q.selectSources(ctx, sqlSelectSource+` ORDER BY name`)
}

// Source returns one source by name.
func (q queries) Source(ctx context.Context, name string) (watchers.Source, error) {
	ss, err := q.selectSources(ctx, sqlSelectSource+` WHERE name = ?`, name)
	if err != nil {
		return watchers.Source{}, err
	}
	if len(ss) == 0 {
		return watchers.Source{}, fmt.Errorf("source %s: %w", name, ErrNotFound)
	}
	return ss[0], nil
}

// DueSources returns the sources whose next poll is at or before now.
func (q queries) DueSources(ctx context.Context, now time.Time) ([]watchers.Source, error) {
	return q.selectSources(ctx, sqlSelectSource+` WHERE next_poll <= ? ORDER BY next_poll, name`, ms(now))
}

// SetNextPoll sets when a source is next due.
func (q queries) SetNextPoll(ctx context.Context, name string, at time.Time) error {
	if _, err := q.q.ExecContext(ctx, sqlSetNextPoll, ms(at), name); err != nil {
		return fmt.Errorf("set next poll of %s: %w", name, err)
	}
	return nil
}

// DeferPoll makes a source's next poll no earlier than at (backoff, Retry-After).
func (q queries) DeferPoll(ctx context.Context, name string, at time.Time) error {
	if _, err := q.q.ExecContext(ctx, sqlDeferPoll, ms(at), ms(at), name); err != nil {
		return fmt.Errorf("defer poll of %s: %w", name, err)
	}
	return nil
}

// MarkBaselined records that a source's first poll has been taken as its baseline.
func (q queries) MarkBaselined(ctx context.Context, name string) error {
	if _, err := q.q.ExecContext(ctx, sqlMarkBaselined, name); err != nil {
		return fmt.Errorf("mark %s baselined: %w", name, err)
	}
	return nil
}

// RecordPollSuccess records a successful poll that saw newItems new items.
func (q queries) RecordPollSuccess(ctx context.Context, name string, at time.Time, newItems int) error {
	if _, err := q.q.ExecContext(ctx, sqlRecordSuccess, ms(at), ms(at), newItems, name); err != nil {
		return fmt.Errorf("record poll of %s: %w", name, err)
	}
	return nil
}

// RecordPollFailure records a failed poll, its kind of error and its message.
func (q queries) RecordPollFailure(ctx context.Context, name string, at time.Time, kind, msg string) error {
	if _, err := q.q.ExecContext(ctx, sqlRecordFailure, ms(at), msg, kind, ms(at), ms(at), name); err != nil {
		return fmt.Errorf("record failed poll of %s: %w", name, err)
	}
	return nil
}

// SaveValidators keeps the HTTP validators of a source's last full answer. Save them in
// the transaction that records that answer's items: saved alone, a crash in between
// would make the next answer a 304 and lose the items.
func (q queries) SaveValidators(ctx context.Context, name, etag, lastModified string) error {
	if _, err := q.q.ExecContext(ctx, sqlSaveValidators, etag, lastModified, name); err != nil {
		return fmt.Errorf("save validators of %s: %w", name, err)
	}
	return nil
}

// SetOpsReported records whether a source's current failure streak was reported.
func (q queries) SetOpsReported(ctx context.Context, name string, reported bool) error {
	if _, err := q.q.ExecContext(ctx, sqlSetOpsReported, boolInt(reported), name); err != nil {
		return fmt.Errorf("mark ops report of %s: %w", name, err)
	}
	return nil
}

func (q queries) selectSources(ctx context.Context, query string, args ...any) ([]watchers.Source, error) {
	rows, err := q.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	defer rows.Close()
	var out []watchers.Source
	for rows.Next() {
		var (
			s                                               watchers.Source
			next, lastPoll, lastOK, lastErrAt, failingSince int64
			baselined, reported                             int64
		)
		if err := rows.Scan(&s.Name, &s.Type, &s.URL, &s.Schedule, &s.Origin, &next, &baselined,
			&lastPoll, &lastOK, &s.LastError, &s.LastErrorKind, &lastErrAt, &s.Failures, &failingSince, &reported,
			&s.ItemsSeen, &s.ETag, &s.LastModified); err != nil {
			return nil, fmt.Errorf("list sources: %w", err)
		}
		s.NextPoll, s.LastPollAt, s.LastSuccessAt, s.LastErrorAt = fromMS(next), fromMS(lastPoll), fromMS(lastOK), fromMS(lastErrAt)
		s.FailingSince = fromMS(failingSince)
		s.Baselined, s.OpsReported = baselined != 0, reported != 0
		out = append(out, s)
	}
	return out, rows.Err()
}
