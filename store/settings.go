package store

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/vigilbot/vigil/watchers"
)

const (
	sqlInsertSettingAudit = `INSERT INTO watch_audit (channel, name, action, actor, detail, at, kind, old_value, new_value)
VALUES (?, ?, ?, ?, '', ?, 'setting', ?, ?)`
	sqlSettingChanges = `SELECT id, channel, name, action, actor, at, old_value, new_value FROM watch_audit
WHERE kind = 'setting' AND (? = '' OR channel = ?) AND at >= ? ORDER BY at, id`
	sqlWatchChanges = `SELECT id, channel, 'watch:' || name, action, actor, at, '', detail FROM watch_audit
WHERE kind = 'watch' AND (? = '' OR channel = ?) AND at >= ? ORDER BY at, id`
	sqlLockSettings = `SELECT pg_advisory_xact_lock(?)`
)

// The settings recorded in the audit log, as SettingChange.Setting names them. A mute is
// recorded as MuteSetting followed by the entity's name ("mute:Dahua", "mute:all").
const (
	SettingDigest  = "digest"
	SettingPassing = "passing"
	SettingSLA     = "sla"
	MuteSetting    = "mute:"
)

// The actions of a SettingChange.
const (
	ActionSet    = "set"
	ActionMute   = "mute"
	ActionUnmute = "unmute"
)

// SettingChange is one recorded change of a channel's setting: who changed what, when,
// from what to what. Values are written as the chat commands take them ("daily 09:00
// Europe/Berlin", "digest", "4h", "default"; a mute's "until 2026-01-02T15:04:05Z", "" when
// there is none).
type SettingChange struct {
	ID      int64
	Channel string
	Setting string
	Action  string
	By      string // a chat user, or "config" for the configuration file at start
	Old     string
	New     string
	At      time.Time
}

// SetDigest sets how a channel takes its alerts (its next digest time is computed anew)
// and records the change, if it is one, as made by by.
func (s *Store) SetDigest(ctx context.Context, channel, mode, at, tz, by string) error {
	return s.changeSetting(ctx, channel, SettingDigest, ActionSet, by, func(tx *Tx) (string, error) {
		d, err := tx.Digest(ctx, channel)
		return digestValue(d), err
	}, func(tx *Tx) error { return tx.setDigest(ctx, channel, mode, at, tz) })
}

// SetPassing sets where a channel's passing mentions go (watchers.PassingAlert or
// PassingDigest; its next digest time is computed anew) and records the change, if it is
// one, as made by by.
func (s *Store) SetPassing(ctx context.Context, channel, passing, by string) error {
	return s.changeSetting(ctx, channel, SettingPassing, ActionSet, by, func(tx *Tx) (string, error) {
		d, err := tx.Digest(ctx, channel)
		return d.Passing, err
	}, func(tx *Tx) error { return tx.setPassing(ctx, channel, passing) })
}

// SetSLA sets a channel's own triage SLA as written ("2 business days", "4h", "off"; ""
// removes it, so that the configured SLA applies) and records the change, if it is one,
// as made by by. The caller validates it. Its digest is left alone.
func (s *Store) SetSLA(ctx context.Context, channel, sla, by string) error {
	return s.changeSetting(ctx, channel, SettingSLA, ActionSet, by, func(tx *Tx) (string, error) {
		v, err := tx.SLA(ctx, channel)
		if v == "" {
			v = "default"
		}
		return v, err
	}, func(tx *Tx) error { return tx.setSLA(ctx, channel, sla) })
}

// Mute silences an entity (by display name, case-insensitive; AllEntities for all) in a
// channel until the given time, replacing any earlier mute of it, and records it.
func (s *Store) Mute(ctx context.Context, channel, name string, until time.Time, by string) error {
	return s.changeSetting(ctx, channel, muteSetting(name), ActionMute, by, s.activeMute(ctx, channel, name),
		func(tx *Tx) error { return tx.mute(ctx, channel, name, until, by) })
}

// Unmute ends a mute that is still active and records who ended it; it returns
// ErrNotFound when there is none.
func (s *Store) Unmute(ctx context.Context, channel, name, by string) error {
	return s.changeSetting(ctx, channel, muteSetting(name), ActionUnmute, by, s.activeMute(ctx, channel, name),
		func(tx *Tx) error { return tx.unmute(ctx, channel, name) })
}

func muteSetting(name string) string {
	if name == AllEntities {
		return MuteSetting + "all"
	}
	return MuteSetting + name
}

// activeMute reads a mute as its audit value: "until …" while active, "" otherwise.
func (s *Store) activeMute(ctx context.Context, channel, name string) func(*Tx) (string, error) {
	return func(tx *Tx) (string, error) {
		ms, err := tx.Mutes(ctx, channel)
		if m, ok := ms[nameKey(name)]; ok {
			return "until " + m.Until.UTC().Format(time.RFC3339), err
		}
		return "", err
	}
}

// digestValue writes a digest setting as the digest command takes it.
func digestValue(d watchers.DigestSetting) string {
	if d.Mode == watchers.DigestDaily {
		return fmt.Sprintf("%s %s %s", d.Mode, d.At, d.TZ)
	}
	return d.Mode
}

// changeSetting reads a setting, writes it and reads it again in one transaction, and
// records the change when the value differs. On PostgreSQL a lock per channel keeps two
// replicas changing the same channel from recording the same old value.
func (s *Store) changeSetting(ctx context.Context, channel, setting, action, by string,
	read func(*Tx) (string, error), write func(*Tx) error,
) error {
	return s.InTx(ctx, func(tx *Tx) error {
		if s.dialect == Postgres {
			h := fnv.New64a()
			h.Write([]byte("vigil.settings." + channel))
			if _, err := tx.q.ExecContext(ctx, sqlLockSettings, int64(h.Sum64()&0x7fffffffffffffff)); err != nil {
				return fmt.Errorf("lock settings of %s: %w", channel, err)
			}
		}
		old, err := read(tx)
		if err != nil {
			return err
		}
		if err := write(tx); err != nil {
			return err
		}
		now, err := read(tx)
		if err != nil || now == old {
			return err
		}
		if _, err := tx.q.ExecContext(ctx, sqlInsertSettingAudit, channel, setting, action, by, ms(tx.now()), old, now); err != nil {
			return fmt.Errorf("audit %s change in %s: %w", setting, channel, err)
		}
		return nil
	})
}

// SettingChanges returns the recorded setting changes at or after since (of one channel,
// or all when channel is ""), oldest first.
func (q queries) SettingChanges(ctx context.Context, channel string, since time.Time) ([]SettingChange, error) {
	return q.changes(ctx, sqlSettingChanges, channel, since)
}

// WatchChanges lists the changes of a channel's watches (every channel's for "") made at
// or after since, oldest first, in SettingChange's shape: Setting is "watch:NAME", Action
// add, update, remove or move, New what the change set (aliases, exclusions, or where
// the watches moved).
func (q queries) WatchChanges(ctx context.Context, channel string, since time.Time) ([]SettingChange, error) {
	return q.changes(ctx, sqlWatchChanges, channel, since)
}

func (q queries) changes(ctx context.Context, query, channel string, since time.Time) ([]SettingChange, error) {
	rows, err := q.q.QueryContext(ctx, query, channel, channel, ms(since))
	if err != nil {
		return nil, fmt.Errorf("setting changes: %w", err)
	}
	defer rows.Close()
	var out []SettingChange
	for rows.Next() {
		var (
			c  SettingChange
			at int64
		)
		if err := rows.Scan(&c.ID, &c.Channel, &c.Setting, &c.Action, &c.By, &at, &c.Old, &c.New); err != nil {
			return nil, fmt.Errorf("setting changes: %w", err)
		}
		c.At = fromMS(at)
		out = append(out, c)
	}
	return out, rows.Err()
}
