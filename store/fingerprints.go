package store

import (
	"context"
	"fmt"
	"time"
)

const (
	sqlAddFingerprint    = `INSERT INTO news_fingerprints (fp, event_key, at) VALUES (?, ?, ?)`
	sqlFingerprintsSince = `SELECT id, fp, event_key, at FROM news_fingerprints WHERE id > ? AND at >= ? ORDER BY id`
	sqlPurgeFingerprints = `DELETE FROM news_fingerprints WHERE at < ?`
)

// Fingerprint is a recent news story's near-duplicate fingerprint and the event it joined.
type Fingerprint struct {
	ID       int64
	FP       uint64
	EventKey string
	At       time.Time
}

// AddFingerprint records a story's fingerprint under its event key.
func (q queries) AddFingerprint(ctx context.Context, fp uint64, eventKey string) error {
	if _, err := q.q.ExecContext(ctx, sqlAddFingerprint, int64(fp), eventKey, ms(q.now())); err != nil {
		return fmt.Errorf("record fingerprint: %w", err)
	}
	return nil
}

// FingerprintsSince returns the fingerprints recorded after id and no older than since,
// oldest first.
func (q queries) FingerprintsSince(ctx context.Context, afterID int64, since time.Time) ([]Fingerprint, error) {
	rows, err := q.q.QueryContext(ctx, sqlFingerprintsSince, afterID, ms(since))
	if err != nil {
		return nil, fmt.Errorf("recent fingerprints: %w", err)
	}
	defer rows.Close()
	var out []Fingerprint
	for rows.Next() {
		var (
			f      Fingerprint
			fp, at int64
		)
		if err := rows.Scan(&f.ID, &fp, &f.EventKey, &at); err != nil {
			return nil, fmt.Errorf("recent fingerprints: %w", err)
		}
		f.FP, f.At = uint64(fp), fromMS(at)
		out = append(out, f)
	}
	return out, rows.Err()
}

// PurgeFingerprints forgets fingerprints older than before.
func (q queries) PurgeFingerprints(ctx context.Context, before time.Time) error {
	if _, err := q.q.ExecContext(ctx, sqlPurgeFingerprints, ms(before)); err != nil {
		return fmt.Errorf("purge fingerprints: %w", err)
	}
	return nil
}
