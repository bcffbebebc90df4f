package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/vigilbot/vigil/watchers"
)

const (
	sqlUpsertDigest = `INSERT INTO channel_settings (channel, digest, digest_at, digest_tz, next_digest) VALUES (?, ?, ?, ?, 0)
ON CONFLICT (channel) DO UPDATE SET digest = excluded.digest, digest_at = excluded.digest_at,
digest_tz = excluded.digest_tz, next_digest = 0`
	sqlUpsertPassing = `INSERT INTO channel_settings (channel, passing, next_digest) VALUES (?, ?, 0)
ON CONFLICT (channel) DO UPDATE SET passing = excluded.passing, next_digest = 0`
	sqlUpsertSLA = `INSERT INTO channel_settings (channel, sla) VALUES (?, ?)
ON CONFLICT (channel) DO UPDATE SET sla = excluded.sla`
	sqlSelectSLA     = `SELECT sla FROM channel_settings WHERE channel = ?`
	sqlSelectOwnSLAs = `SELECT channel, sla FROM channel_settings WHERE sla <> ''`
	sqlSelectDigest  = `SELECT channel, digest, digest_at, digest_tz, passing, next_digest FROM channel_settings`
	sqlSetNextDigest = `UPDATE channel_settings SET next_digest = ? WHERE channel = ?`
	// Channels whose digest is due, whose next digest is still to be computed, or which
	// turned digests off with alerts still held (those are sent at once: nothing is lost).
	// A channel that sends passing mentions to the digest has one even with digests off.
	sqlDueDigests = sqlSelectDigest + ` WHERE ((digest <> 'off' OR passing = 'digest') AND next_digest <= ?)
OR (digest = 'off' AND passing <> 'digest' AND EXISTS (SELECT 1 FROM posts p WHERE p.channel = channel_settings.channel AND p.held = 1))
ORDER BY channel`
	sqlHoldPost    = `UPDATE posts SET held = 1 WHERE id = ?`
	sqlReleasePost = `UPDATE posts SET held = 0 WHERE id = ? AND held = 1`
	sqlHeldPosts   = `SELECT id FROM posts WHERE channel = ? AND held = 1 ORDER BY id`
	sqlMarkDigest  = `UPDATE posts SET held = 0, digest_id = ? WHERE id = ?`
	sqlDigestParts = `SELECT id FROM posts WHERE digest_id = ? ORDER BY id`
	sqlRootPost    = `SELECT id, held FROM posts WHERE alert_id = ? AND kind = 'new'`
)

// setDigest sets how a channel takes its alerts; its next digest time is computed anew.
func (q queries) setDigest(ctx context.Context, channel, mode, at, tz string) error {
	if _, err := q.q.ExecContext(ctx, sqlUpsertDigest, channel, mode, at, tz); err != nil {
		return fmt.Errorf("set digest of %s: %w", channel, err)
	}
	return nil
}

// setPassing sets where a channel's passing mentions go (watchers.PassingAlert or
// PassingDigest); its next digest time is computed anew.
func (q queries) setPassing(ctx context.Context, channel, passing string) error {
	if _, err := q.q.ExecContext(ctx, sqlUpsertPassing, channel, passing); err != nil {
		return fmt.Errorf("set passing mentions of %s: %w", channel, err)
	}
	return nil
}

// setSLA sets a channel's own triage SLA as written ("2 business days", "4h", "off"); ""
// removes it, so that the configured SLA applies. The caller validates it. Its digest is
// left alone.
func (q queries) setSLA(ctx context.Context, channel, sla string) error {
	if _, err := q.q.ExecContext(ctx, sqlUpsertSLA, channel, sla); err != nil {
		return fmt.Errorf("set SLA of %s: %w", channel, err)
	}
	return nil
}

// SLA returns a channel's own triage SLA, "" when it has none.
func (q queries) SLA(ctx context.Context, channel string) (string, error) {
	var sla string
	err := q.q.QueryRowContext(ctx, sqlSelectSLA, channel).Scan(&sla)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("SLA of %s: %w", channel, err)
	}
	return sla, nil
}

// OwnSLAs returns the own triage SLA of every channel that has one, by channel.
func (q queries) OwnSLAs(ctx context.Context) (map[string]string, error) {
	rows, err := q.q.QueryContext(ctx, sqlSelectOwnSLAs)
	if err != nil {
		return nil, fmt.Errorf("channel SLAs: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var channel, sla string
		if err := rows.Scan(&channel, &sla); err != nil {
			return nil, fmt.Errorf("channel SLAs: %w", err)
		}
		out[channel] = sla
	}
	return out, rows.Err()
}

// Digest returns a channel's digest setting (DigestOff and PassingAlert when it has none).
func (q queries) Digest(ctx context.Context, channel string) (watchers.DigestSetting, error) {
	ds, err := q.selectDigests(ctx, sqlSelectDigest+` WHERE channel = ?`, channel)
	if err != nil || len(ds) == 0 {
		return watchers.DigestSetting{Channel: channel, Mode: watchers.DigestOff, TZ: "UTC", Passing: watchers.PassingAlert}, err
	}
	return ds[0], nil
}

// DueDigests returns the channels whose digest is due at now (see sqlDueDigests).
func (q queries) DueDigests(ctx context.Context, now time.Time) ([]watchers.DigestSetting, error) {
	return q.selectDigests(ctx, sqlDueDigests, ms(now))
}

// SetNextDigest records when a channel's next digest is due.
func (q queries) SetNextDigest(ctx context.Context, channel string, at time.Time) error {
	if _, err := q.q.ExecContext(ctx, sqlSetNextDigest, ms(at), channel); err != nil {
		return fmt.Errorf("set next digest of %s: %w", channel, err)
	}
	return nil
}

// HoldPost keeps a message back for its channel's digest.
func (q queries) HoldPost(ctx context.Context, postID int64) error {
	if _, err := q.q.ExecContext(ctx, sqlHoldPost, postID); err != nil {
		return fmt.Errorf("hold message %d: %w", postID, err)
	}
	return nil
}

// ReleasePost sends a held message with the next delivery rather than the digest; it
// reports false when the message was not held (any more).
func (q queries) ReleasePost(ctx context.Context, postID int64) (bool, error) {
	res, err := q.q.ExecContext(ctx, sqlReleasePost, postID)
	if err != nil {
		return false, fmt.Errorf("release message %d: %w", postID, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// RootPost returns the id of an alert's first message and whether it is held for a digest;
// ErrNotFound when it has none.
func (q queries) RootPost(ctx context.Context, alertID int64) (id int64, held bool, err error) {
	var h int
	if err := q.q.QueryRowContext(ctx, sqlRootPost, alertID).Scan(&id, &h); err != nil {
		return 0, false, rowsErr(err, fmt.Sprintf("first message of alert %d", alertID))
	}
	return id, h != 0, nil
}

// HeldPosts returns the ids of a channel's messages waiting for its digest, oldest first.
func (q queries) HeldPosts(ctx context.Context, channel string) ([]int64, error) {
	return q.ids(ctx, sqlHeldPosts, channel)
}

// MarkDigested records that the digest message digestID carries a held message.
func (q queries) MarkDigested(ctx context.Context, postID, digestID int64) error {
	if _, err := q.q.ExecContext(ctx, sqlMarkDigest, digestID, postID); err != nil {
		return fmt.Errorf("mark message %d digested: %w", postID, err)
	}
	return nil
}

// DigestParts returns the ids of the messages a digest message carries.
func (q queries) DigestParts(ctx context.Context, digestID int64) ([]int64, error) {
	return q.ids(ctx, sqlDigestParts, digestID)
}

func (q queries) ids(ctx context.Context, query string, args ...any) ([]int64, error) {
	rows, err := q.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list ids: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func (q queries) selectDigests(ctx context.Context, query string, args ...any) ([]watchers.DigestSetting, error) {
	rows, err := q.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("digest settings: %w", err)
	}
	defer rows.Close()
	var out []watchers.DigestSetting
	for rows.Next() {
		var (
			d    watchers.DigestSetting
			next int64
		)
		if err := rows.Scan(&d.Channel, &d.Mode, &d.At, &d.TZ, &d.Passing, &next); err != nil {
			return nil, fmt.Errorf("digest settings: %w", err)
		}
		d.Next = fromMS(next)
		out = append(out, d)
	}
	return out, rows.Err()
}
