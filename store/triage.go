package store

import (
	"context"
	"fmt"
	"time"

	"github.com/vigilbot/vigil/watchers"
)

const (
	sqlAlertOfChannel = `SELECT count(*) FROM alerts WHERE id = ? AND channel = ?`
	sqlInsertDecision = `INSERT INTO decisions (alert_id, state, reason, actor, at) VALUES (?, ?, ?, ?, ?)`
	sqlSetState       = `UPDATE alerts SET state = ? WHERE id = ?`
	// Reopened: the clock for a decision starts again, and so may a reminder.
	sqlReopen      = `UPDATE alerts SET open_since = ?, reminded_at = 0 WHERE id = ?`
	sqlSetAssignee = `UPDATE alerts SET assignee = ? WHERE id = ?`
	sqlDecisions   = `SELECT alert_id, state, reason, actor, at FROM decisions WHERE alert_id = ? ORDER BY id`
	// An undecided alert as triage lists it, with the delivery time of its first message.
	sqlSelectOpen = `SELECT a.id, a.channel, a.event_key, a.entities, a.item, a.assignee, a.created_at, a.open_since,
COALESCE((SELECT d.delivered_at FROM posts p JOIN deliveries d ON d.post_id = p.id WHERE p.alert_id = a.id AND p.kind = 'new'), 0)
FROM alerts a WHERE a.state = 'open' AND a.posted = 1 AND a.event_key NOT LIKE 'ops:%' AND a.event_key NOT LIKE 'digest:%'`
	sqlOpenAlerts = sqlSelectOpen + ` AND a.channel = ? ORDER BY a.created_at, a.id LIMIT ?`
	// Undecided alerts not reminded in this open period whose first message was delivered
	// and whose clock started at or before a time.
	sqlRemindable = sqlSelectOpen + ` AND a.reminded_at = 0
AND (CASE WHEN a.open_since > 0 THEN a.open_since ELSE a.created_at END) <= ? AND a.id > ?
AND EXISTS (SELECT 1 FROM posts p JOIN deliveries d ON d.post_id = p.id WHERE p.alert_id = a.id AND p.kind = 'new')
ORDER BY a.id LIMIT ?`
	sqlMarkReminded = `UPDATE alerts SET reminded_at = ? WHERE id = ? AND reminded_at = 0`
	sqlLatestPost   = `SELECT id FROM posts WHERE alert_id = ? AND kind IN ('new', 'update') ORDER BY id DESC LIMIT 1`
	sqlDisposition  = `SELECT state FROM alerts WHERE id = ?`
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
	if d.State == watchers.DispOpen {
		if _, err := q.q.ExecContext(ctx, sqlReopen, ms(q.now()), d.AlertID); err != nil {
			return fmt.Errorf("reopen alert %d: %w", d.AlertID, err)
		}
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
	return q.openAlerts(ctx, sqlOpenAlerts, channel, limit)
}

// Remindable returns up to limit undecided alerts with ids above afterID, of every channel,
// in the order of their ids, that have not been reminded of their SLA since they were last
// opened, whose first message was delivered and which were created or reopened at or
// before startedBy. Their OpenSince is when their clock started: the delivery of the first
// message, or the latest reopening.
func (q queries) Remindable(ctx context.Context, startedBy time.Time, afterID int64, limit int) ([]watchers.AlertSummary, error) {
	return q.openAlerts(ctx, sqlRemindable, ms(startedBy), afterID, limit)
}

// MarkReminded records that an alert was reminded of its SLA; false when it already was
// in this open period.
func (q queries) MarkReminded(ctx context.Context, alertID int64, at time.Time) (bool, error) {
	res, err := q.q.ExecContext(ctx, sqlMarkReminded, ms(at), alertID)
	if err != nil {
		return false, fmt.Errorf("mark alert %d reminded: %w", alertID, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

func (q queries) openAlerts(ctx context.Context, query string, args ...any) ([]watchers.AlertSummary, error) {
	rows, err := q.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("open alerts: %w", err)
	}
	defer rows.Close()
	var out []watchers.AlertSummary
	for rows.Next() {
		var (
			a                            watchers.AlertSummary
			ents, item                   string
			created, reopened, delivered int64
		)
		if err := rows.Scan(&a.ID, &a.Channel, &a.EventKey, &ents, &item, &a.Assignee, &created, &reopened, &delivered); err != nil {
			return nil, fmt.Errorf("open alerts: %w", err)
		}
		a.CreatedAt = fromMS(created)
		// The clock starts when people could first see the alert, or again when reopened.
		a.OpenSince = fromMS(max(created, reopened, delivered))
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
