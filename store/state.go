package store

import (
	"context"
	"fmt"
	"time"
)

const (
	sqlSelectState = `SELECT value FROM chat_state WHERE key = ?`
	sqlUpsertState = `INSERT INTO chat_state (key, value, updated_at) VALUES (?, ?, ?)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`
)

// ChatState returns a value a chat adapter keeps between runs (a sync token, a device
// id), or ErrNotFound.
func (q queries) ChatState(ctx context.Context, key string) (string, error) {
	var v string
	if err := q.q.QueryRowContext(ctx, sqlSelectState, key).Scan(&v); err != nil {
		return "", rowsErr(err, "chat state "+key)
	}
	return v, nil
}

// SetChatState saves a value a chat adapter keeps between runs.
func (q queries) SetChatState(ctx context.Context, key, value string) error {
	if _, err := q.q.ExecContext(ctx, sqlUpsertState, key, value, ms(q.now())); err != nil {
		return fmt.Errorf("save chat state %s: %w", key, err)
	}
	return nil
}

const (
	sqlClaim       = `INSERT INTO claims (key, at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`
	sqlPurgeClaims = `DELETE FROM claims WHERE at < ?`
)

// Claim records that this process handles the event named by key; it reports false when
// another process (or an earlier delivery of the same event) already claimed it.
func (q queries) Claim(ctx context.Context, key string) (bool, error) {
	res, err := q.q.ExecContext(ctx, sqlClaim, key, ms(q.now()))
	if err != nil {
		return false, fmt.Errorf("claim %s: %w", key, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// PurgeClaims forgets claims older than before.
func (q queries) PurgeClaims(ctx context.Context, before time.Time) error {
	if _, err := q.q.ExecContext(ctx, sqlPurgeClaims, ms(before)); err != nil {
		return fmt.Errorf("purge claims: %w", err)
	}
	return nil
}
