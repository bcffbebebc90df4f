package store

import (
	"context"
	"fmt"

	"github.com/vigilbot/vigil/watchers"
)

const (
	sqlAlertOfChannel = `SELECT count(*) FROM alerts WHERE id = ? AND channel = ?`
	sqlInsertDecision = `INSERT INTO decisions (alert_id, state, reason, actor, at) VALUES (?, ?, ?, ?, ?)`
	sqlSetState       = `UPDATE alerts SET state = ? WHERE id = ?`
	sqlSetAssignee    = `UPDATE alerts SET assignee = ? WHERE id = ?`
	sqlDecisions      = `SELECT alert_id, state, reason, actor, at FROM decisions WHERE alert_id = ? ORDER BY id`
	sqlOpenAlerts     = `SELECT id, event_key, entities, item, assignee, created_at FROM alerts
WHERE channel = ? AND posted = 1 AND state = 'open' AND event_key NOT LIKE 'ops:%' AND event_key NOT LIKE 'digest:%'
ORDER BY created_at, id LIMIT ?`
	sqlLatestPost  = `SELECT id FROM posts WHERE alert_id = ? AND kind IN ('new', 'update') ORDER BY id DESC LIMIT 1`
	sqlDisposition = `SELECT state FROM alerts WHERE id = ?`
	// A message of an alert as a reaction names it: the first message or an edit (the
	// adapter records an edit under the first message's reference), not a thread reply, a
	// digest or one of Vigil's own notices.
	sqlAlertByRef = `SELECT p.alert_id FROM deliveries d JOIN posts p ON p.id = d.post_id JOIN alerts a ON a.id = p.alert_id
WHERE d.channel = ? AND d.platform_ref = ? AND p.kind IN ('new', 'update')
AND a.event_key NOT LIKE 'ops:%' AND a.event_key NOT LIKE 'digest:%'
ORDER BY d.id LIMIT 1`
)

// Decide records a triage decision on a channel's alert; ErrNotFound when the channel has
// no such alert.
func (q queries) Decide(ctx context.Context, channel string, d watchers.Decision) error {
	if err := q.alertOf(ctx, d.AlertID, channel); err != nil {
		return err
	}
	if _, err := q.q.ExecContext(ctx, sqlInsertDecision, d.AlertID, string(d.State), d.Reason, d.By, ms(q.now())); err != nil {
		return fmt.Errorf("record decision on alert %d: %w", d.AlertID, err)
	}
	if _, err := q.q.ExecContext(ctx, sqlSetState, string(d.State), d.AlertID); err != nil {
		return fmt.Errorf("set state of alert %d: %w", d.AlertID, err)
	}
	return nil
}

// Assign gives a channel's alert an owner, recorded in its decision trail.
func (q queries) Assign(ctx context.Context, channel string, alertID int64, assignee, by string) error {
	if err := q.alertOf(ctx, alertID, channel); err != nil {
		return err
	}
	if _, err := q.q.ExecContext(ctx, sqlSetAssignee, assignee, alertID); err != nil {
		return fmt.Errorf("assign alert %d: %w", alertID, err)
	}
	if _, err := q.q.ExecContext(ctx, sqlInsertDecision, alertID, "assigned", assignee, by, ms(q.now())); err != nil {
		return fmt.Errorf("record assignment of alert %d: %w", alertID, err)
	}
	return nil
}

func (q queries) alertOf(ctx context.Context, alertID int64, channel string) error {
	var n int
	if err := q.q.QueryRowContext(ctx, sqlAlertOfChannel, alertID, channel).Scan(&n); err != nil {
		return fmt.Errorf("alert %d: %w", alertID, err)
	}
	if n == 0 {
		return fmt.Errorf("alert %d in %s: %w", alertID, channel, ErrNotFound)
	}
	return nil
}

// Decisions returns an alert's decision trail, oldest first (assignments included, with
// state "assigned" and the assignee as reason).
func (q queries) Decisions(ctx context.Context, alertID int64) ([]watchers.Decision, error) {
	rows, err := q.q.QueryContext(ctx, sqlDecisions, alertID)
	if err != nil {
		return nil, fmt.Errorf("decisions of alert %d: %w", alertID, err)
	}
	defer rows.Close()
	var out []watchers.Decision
	for rows.Next() {
		var (
			d     watchers.Decision
			state string
			at    int64
		)
		if err := rows.Scan(&d.AlertID, &state, &d.Reason, &d.By, &at); err != nil {
			return nil, err
		}
		d.State, d.At = watchers.Disposition(state), fromMS(at)
		out = append(out, d)
	}
	return out, rows.Err()
}

// OpenAlerts returns a channel's undecided alerts, oldest first.
func (q queries) OpenAlerts(ctx context.Context, channel string, limit int) ([]watchers.AlertSummary, error) {
	rows, err := q.q.QueryContext(ctx, sqlOpenAlerts, channel, limit)
	if err != nil {
		return nil, fmt.Errorf("open alerts of %s: %w", channel, err)
	}
	defer rows.Close()
	var out []watchers.AlertSummary
	for rows.Next() {
		var (
			a          watchers.AlertSummary
			ents, item string
			created    int64
		)
		if err := rows.Scan(&a.ID, &a.EventKey, &ents, &item, &a.Assignee, &created); err != nil {
			return nil, err
		}
		a.CreatedAt = fromMS(created)
		if err := decode(ents, &a.Entities); err != nil {
			return nil, err
		}
		if err := decode(item, &a.Item); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// LatestPost returns the alert's latest full message (its first, or the latest edit).
func (q queries) LatestPost(ctx context.Context, alertID int64) (watchers.Alert, error) {
	var id int64
	if err := q.q.QueryRowContext(ctx, sqlLatestPost, alertID).Scan(&id); err != nil {
		return watchers.Alert{}, rowsErr(err, fmt.Sprintf("messages of alert %d", alertID))
	}
	return q.Post(ctx, id)
}

// Disposition returns an alert's current triage state; ErrNotFound when there is no such
// alert.
func (q queries) Disposition(ctx context.Context, alertID int64) (watchers.Disposition, error) {
	var state string
	if err := q.q.QueryRowContext(ctx, sqlDisposition, alertID).Scan(&state); err != nil {
		return "", rowsErr(err, fmt.Sprintf("alert %d", alertID))
	}
	return watchers.Disposition(state), nil
}

// AlertByRef returns the alert whose message in channel the platform knows as ref (a Matrix
// event id); ErrNotFound when ref is no alert's message there.
func (q queries) AlertByRef(ctx context.Context, channel, ref string) (int64, error) {
	var id int64
	if err := q.q.QueryRowContext(ctx, sqlAlertByRef, channel, ref).Scan(&id); err != nil {
		return 0, rowsErr(err, fmt.Sprintf("alert of message %s in %s", ref, channel))
	}
	return id, nil
}
