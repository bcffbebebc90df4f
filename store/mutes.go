package store

import (
	"context"
	"fmt"
	"time"

	"github.com/vigilbot/vigil/watchers"
)

const (
	sqlUpsertMute = `INSERT INTO mutes (channel, name_key, name, until, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (channel, name_key) DO UPDATE SET name = excluded.name, until = excluded.until,
created_by = excluded.created_by, created_at = excluded.created_at`
	sqlDeleteMute  = `DELETE FROM mutes WHERE channel = ? AND name_key = ? AND until > ?`
	sqlActiveMutes = `SELECT name_key, name, until, created_by FROM mutes WHERE channel = ? AND until > ? ORDER BY name_key`
)

// AllEntities is the name under which a mute silences a whole channel.
const AllEntities = watchers.AllEntities

// mute silences an entity (by display name, case-insensitive; AllEntities for all) in a
// channel until the given time, replacing any earlier mute of it.
func (q queries) mute(ctx context.Context, channel, name string, until time.Time, by string) error {
	if _, err := q.q.ExecContext(ctx, sqlUpsertMute, channel, nameKey(name), name, ms(until), by, ms(q.now())); err != nil {
		return fmt.Errorf("mute %q in %s: %w", name, channel, err)
	}
	return nil
}

// unmute ends a mute that is still active; it returns ErrNotFound when there is none.
func (q queries) unmute(ctx context.Context, channel, name string) error {
	res, err := q.q.ExecContext(ctx, sqlDeleteMute, channel, nameKey(name), ms(q.now()))
	if err != nil {
		return fmt.Errorf("unmute %q in %s: %w", name, channel, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("mute of %q in %s: %w", name, channel, ErrNotFound)
	}
	return nil
}

// Mutes returns a channel's active mutes, keyed by lower-cased name (AllEntities for the
// whole channel).
func (q queries) Mutes(ctx context.Context, channel string) (map[string]watchers.Mute, error) {
	rows, err := q.q.QueryContext(ctx, sqlActiveMutes, channel, ms(q.now()))
	if err != nil {
		return nil, fmt.Errorf("mutes of %s: %w", channel, err)
	}
	defer rows.Close()
	out := map[string]watchers.Mute{}
	for rows.Next() {
		var (
			key   string
			m     = watchers.Mute{Channel: channel}
			until int64
		)
		if err := rows.Scan(&key, &m.Name, &until, &m.CreatedBy); err != nil {
			return nil, fmt.Errorf("mutes of %s: %w", channel, err)
		}
		m.Until = fromMS(until)
		out[key] = m
	}
	return out, rows.Err()
}
