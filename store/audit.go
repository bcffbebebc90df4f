package store

import (
	"context"
	"fmt"
	"time"

	"github.com/vigilbot/vigil/watchers"
)

const (
	sqlAuditAlerts = `SELECT id, channel, event_key, entities, aliases, item, posted, state, assignee, created_at
FROM alerts WHERE (? = '' OR channel = ?) AND created_at >= ? AND event_key NOT LIKE 'ops:%' AND event_key NOT LIKE 'digest:%'
ORDER BY id`
	sqlAuditPosts = `SELECT p.id, p.kind, p.note, p.matches, p.created_at, COALESCE(d.platform_ref, ''), COALESCE(d.delivered_at, 0), p.held, p.digest_id
FROM posts p LEFT JOIN deliveries d ON d.post_id = p.id WHERE p.alert_id = ? ORDER BY p.id`
)

// AuditAlert is everything recorded about one candidate alert: what matched, what was
// decided by whom, and what was posted where.
type AuditAlert struct {
	ID        int64
	Channel   string
	EventKey  string
	Entities  []string
	Aliases   []string
	Item      watchers.Item
	Posted    bool // false: everything it named was muted
	State     watchers.Disposition
	Assignee  string
	CreatedAt time.Time
	Decisions []watchers.Decision
	Messages  []AuditMessage
}

// AuditMessage is one message of an alert and its delivery.
type AuditMessage struct {
	PostID      int64
	Kind        watchers.AlertKind
	Note        string
	Matches     []watchers.Match
	CreatedAt   time.Time
	Ref         string // the platform's reference, "" while undelivered
	DeliveredAt time.Time
	Held        bool  // waiting for a digest
	DigestID    int64 // the digest message that carried it
}

// Audit returns every candidate alert created at or after since (of one channel, or all
// when channel is ""), oldest first.
func (q queries) Audit(ctx context.Context, channel string, since time.Time) ([]AuditAlert, error) {
	rows, err := q.q.QueryContext(ctx, sqlAuditAlerts, channel, channel, ms(since))
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	var out []AuditAlert
	for rows.Next() {
		var (
			a                          AuditAlert
			ents, aliases, item, state string
			posted                     int
			created                    int64
		)
		if err := rows.Scan(&a.ID, &a.Channel, &a.EventKey, &ents, &aliases, &item, &posted, &state, &a.Assignee, &created); err != nil {
			rows.Close()
			return nil, fmt.Errorf("audit: %w", err)
		}
		a.Posted, a.State, a.CreatedAt = posted != 0, watchers.Disposition(state), fromMS(created)
		for _, d := range []struct {
			s string
			v any
		}{{ents, &a.Entities}, {aliases, &a.Aliases}, {item, &a.Item}} {
			if err := decode(d.s, d.v); err != nil {
				rows.Close()
				return nil, err
			}
		}
		out = append(out, a)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	// The rows are closed before the per-alert queries: SQLite has one connection.
	for i := range out {
		if out[i].Decisions, err = q.Decisions(ctx, out[i].ID); err != nil {
			return nil, err
		}
		if out[i].Messages, err = q.auditMessages(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (q queries) auditMessages(ctx context.Context, alertID int64) ([]AuditMessage, error) {
	rows, err := q.q.QueryContext(ctx, sqlAuditPosts, alertID)
	if err != nil {
		return nil, fmt.Errorf("audit messages: %w", err)
	}
	defer rows.Close()
	var out []AuditMessage
	for rows.Next() {
		var (
			m                  AuditMessage
			kind, matches      string
			created, delivered int64
			held               int
		)
		if err := rows.Scan(&m.PostID, &kind, &m.Note, &matches, &created, &m.Ref, &delivered, &held, &m.DigestID); err != nil {
			return nil, fmt.Errorf("audit messages: %w", err)
		}
		m.Kind, m.CreatedAt, m.DeliveredAt, m.Held = watchers.AlertKind(kind), fromMS(created), fromMS(delivered), held != 0
		if err := decode(matches, &m.Matches); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
