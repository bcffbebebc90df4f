package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/vigilbot/vigil/watchers"
)

const (
	sqlInsertWatch = `INSERT INTO watches (channel, name, name_key, aliases, exclude, created_by, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel, name_key) DO NOTHING RETURNING id`
	sqlUpdateWatchTerms = `UPDATE watches SET aliases = ?, exclude = ? WHERE channel = ? AND name_key = ?
AND (aliases <> ? OR exclude <> ?)`
	sqlDeleteWatch  = `DELETE FROM watches WHERE channel = ? AND name_key = ?`
	sqlSelectWatch  = `SELECT id, channel, name, aliases, exclude, created_by, created_at FROM watches`
	sqlInsertAudit  = `INSERT INTO watch_audit (channel, name, action, actor, detail, at) VALUES (?, ?, ?, ?, ?, ?)`
	sqlBumpVersion  = `UPDATE counters SET value = value + 1 WHERE name = 'watch_version'`
	sqlWatchVersion = `SELECT value FROM counters WHERE name = 'watch_version'`
)

func nameKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

func encodeList(v []string) string {
	if v == nil {
		v = []string{}
	}
	b, _ := json.Marshal(v) // a []string always encodes
	return string(b)
}

// AddWatch adds a watch to its channel and records who added it. It returns ErrExists
// when the channel already watches that name.
func (q queries) AddWatch(ctx context.Context, w watchers.Watch) (watchers.Watch, error) {
	w.Name = strings.TrimSpace(w.Name)
	if w.Name == "" || w.Channel == "" {
		return w, errors.New("add watch: name and channel are required")
	}
	w.CreatedAt = q.now().UTC()
	err := q.q.QueryRowContext(ctx, sqlInsertWatch, w.Channel, w.Name, nameKey(w.Name),
		encodeList(w.Aliases), encodeList(w.Exclude), w.CreatedBy, ms(w.CreatedAt)).Scan(&w.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return w, fmt.Errorf("watch %q in %s: %w", w.Name, w.Channel, ErrExists)
	}
	if err != nil {
		return w, fmt.Errorf("add watch %q: %w", w.Name, err)
	}
	detail := fmt.Sprintf("aliases=%s exclude=%s", encodeList(w.Aliases), encodeList(w.Exclude))
	if err := q.changed(ctx, w.Channel, w.Name, "add", w.CreatedBy, detail); err != nil {
		return w, err
	}
	return w, nil
}

// What SeedWatch did.
const (
	Added     = "added"
	Updated   = "updated"
	Unchanged = "unchanged"
)

// SeedWatch makes sure a watch exists with the given aliases and exclusions (from the
// configuration, or an imported list) and says what it did: Added, Updated or Unchanged.
// It never deletes anything.
func (q queries) SeedWatch(ctx context.Context, w watchers.Watch) (string, error) {
	_, err := q.AddWatch(ctx, w)
	if err == nil {
		return Added, nil
	}
	if !errors.Is(err, ErrExists) {
		return "", err
	}
	al, ex := encodeList(w.Aliases), encodeList(w.Exclude)
	res, err := q.q.ExecContext(ctx, sqlUpdateWatchTerms, al, ex, w.Channel, nameKey(w.Name), al, ex)
	if err != nil {
		return "", fmt.Errorf("update watch %q: %w", w.Name, err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return Updated, q.changed(ctx, w.Channel, w.Name, "update", w.CreatedBy, "aliases="+al+" exclude="+ex)
	}
	return Unchanged, nil
}

// RemoveWatch removes a channel's watch by name (case-insensitive). It returns
// ErrNotFound when there is none.
func (q queries) RemoveWatch(ctx context.Context, channel, name, actor string) error {
	res, err := q.q.ExecContext(ctx, sqlDeleteWatch, channel, nameKey(name))
	if err != nil {
		return fmt.Errorf("remove watch %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("watch %q in %s: %w", name, channel, ErrNotFound)
	}
	return q.changed(ctx, channel, name, "remove", actor, "")
}

func (q queries) changed(ctx context.Context, channel, name, action, actor, detail string) error {
	if _, err := q.q.ExecContext(ctx, sqlInsertAudit, channel, name, action, actor, detail, ms(q.now())); err != nil {
		return fmt.Errorf("audit watch change: %w", err)
	}
	if _, err := q.q.ExecContext(ctx, sqlBumpVersion); err != nil {
		return fmt.Errorf("bump watch version: %w", err)
	}
	return nil
}

// Watches returns a channel's watches ordered by name.
func (q queries) Watches(ctx context.Context, channel string) ([]watchers.Watch, error) {
	return q.selectWatches(ctx, sqlSelectWatch+` WHERE channel = ? ORDER BY name_key`, channel)
}

// AllWatches returns every watch of every channel and the watch version they belong to.
func (q queries) AllWatches(ctx context.Context) ([]watchers.Watch, int64, error) {
	v, err := q.WatchVersion(ctx)
	if err != nil {
		return nil, 0, err
	}
	ws, err := q.selectWatches(ctx, sqlSelectWatch+` ORDER BY id`)
	return ws, v, err
}

// WatchVersion returns a number that changes whenever any watch changes.
func (q queries) WatchVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := q.q.QueryRowContext(ctx, sqlWatchVersion).Scan(&v); err != nil {
		return 0, fmt.Errorf("watch version: %w", err)
	}
	return v, nil
}

func (q queries) selectWatches(ctx context.Context, query string, args ...any) ([]watchers.Watch, error) {
	rows, err := q.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list watches: %w", err)
	}
	defer rows.Close()
	var out []watchers.Watch
	for rows.Next() {
		var (
			w             watchers.Watch
			aliases, excl string
			created       int64
		)
		if err := rows.Scan(&w.ID, &w.Channel, &w.Name, &aliases, &excl, &w.CreatedBy, &created); err != nil {
			return nil, fmt.Errorf("list watches: %w", err)
		}
		if err := json.Unmarshal([]byte(aliases), &w.Aliases); err != nil {
			return nil, fmt.Errorf("watch %d aliases: %w", w.ID, err)
		}
		if err := json.Unmarshal([]byte(excl), &w.Exclude); err != nil {
			return nil, fmt.Errorf("watch %d exclusions: %w", w.ID, err)
		}
		w.CreatedAt = fromMS(created)
		out = append(out, w)
	}
	return out, rows.Err()
}

// rowsErr turns sql.ErrNoRows into ErrNotFound.
func rowsErr(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}
