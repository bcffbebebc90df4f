package store

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"
)

const (
	sqlMoveWatches = `UPDATE watches SET channel = ? WHERE channel = ? AND NOT EXISTS
(SELECT 1 FROM watches w2 WHERE w2.channel = ? AND w2.name_key = watches.name_key)`
	sqlDropWatches = `DELETE FROM watches WHERE channel = ?`
	sqlMoveMutes   = `UPDATE mutes SET channel = ? WHERE channel = ? AND NOT EXISTS
(SELECT 1 FROM mutes m2 WHERE m2.channel = ? AND m2.name_key = mutes.name_key)`
	sqlDropMutes    = `DELETE FROM mutes WHERE channel = ?`
	sqlMoveSettings = `UPDATE channel_settings SET channel = ? WHERE channel = ? AND NOT EXISTS
(SELECT 1 FROM channel_settings c2 WHERE c2.channel = ?)`
)

// MoveChannel moves a channel's watches, mutes and settings (digest, passing mentions,
// SLA) to another channel (a Matrix room upgraded to a new room, an alias resolved to its
// room id). What the new channel already has is kept; moving again does nothing.
func (s *Store) MoveChannel(ctx context.Context, from, to string) error {
	if from == to {
		return nil
	}
	return s.InTx(ctx, func(tx *Tx) error {
		res, err := tx.q.ExecContext(ctx, sqlMoveWatches, to, from, to)
		if err != nil {
			return fmt.Errorf("move watches of %s: %w", from, err)
		}
		n, _ := res.RowsAffected()
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{sqlDropWatches, []any{from}},
			{sqlMoveMutes, []any{to, from, to}},
			{sqlDropMutes, []any{from}},
			{sqlMoveSettings, []any{to, from, to}},
		} {
			if _, err := tx.q.ExecContext(ctx, q.sql, q.args...); err != nil {
				return fmt.Errorf("move %s to %s: %w", from, to, err)
			}
		}
		if n > 0 {
			return tx.changed(ctx, to, fmt.Sprintf("%d watches", n), "move", "vigil", "from "+from)
		}
		return nil
	})
}

// AcquireLease blocks until this process holds the named lease, or ctx ends. On
// PostgreSQL the lease is an advisory lock on a connection of its own: it is released by
// release, or by the server when the process dies, and then another replica takes it
// within leasePoll. On SQLite there is one process, which holds it once free.
func (s *Store) AcquireLease(ctx context.Context, name string) (release func(), err error) {
	for {
		release, ok, err := s.TryLease(ctx, name)
		if err != nil || ok {
			return release, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(leasePoll):
		}
	}
}

// TryLease takes the named lease if no one holds it, and says whether it did. On
// PostgreSQL no two processes hold it at once, and a process that dies drops it at once
// (the server ends its session); on SQLite, which one process uses, no two holders in
// this process.
func (s *Store) TryLease(ctx context.Context, name string) (release func(), ok bool, err error) {
	if s.dialect != Postgres {
		s.leaseMu.Lock()
		defer s.leaseMu.Unlock()
		if s.leases[name] {
			return nil, false, nil
		}
		if s.leases == nil {
			s.leases = map[string]bool{}
		}
		s.leases[name] = true
		return func() {
			s.leaseMu.Lock()
			delete(s.leases, name)
			s.leaseMu.Unlock()
		}, true, nil
	}
	h := fnv.New64a()
	h.Write([]byte("vigil.lease." + name))
	key := int64(h.Sum64() & 0x7fffffffffffffff)
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("lease %s: %w", name, err)
	}
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&ok); err != nil || !ok {
		conn.Close()
		if err != nil {
			return nil, false, fmt.Errorf("lease %s: %w", name, err)
		}
		return nil, false, nil
	}
	return func() {
		_, _ = conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", key)
		conn.Close()
	}, true, nil
}

// leasePoll is how often a replica waiting for a lease tries again.
const leasePoll = 2 * time.Second
