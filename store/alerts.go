package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/vigilbot/vigil/watchers"
)

const (
	sqlInsertItem = `INSERT INTO seen_items (source, identity, title, url, published, first_seen_at)
VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source, identity) DO NOTHING`
	sqlInsertAlert = `INSERT INTO alerts (channel, event_key, kind, entities, item, summary, matches, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel, event_key) DO NOTHING`
	sqlSelectAlert = `SELECT id, channel, event_key, kind, entities, item, summary, matches, created_at
FROM alerts WHERE id = ?`
	sqlInsertDelivery = `INSERT INTO deliveries (alert_id, channel, platform_ref, delivered_at) VALUES (?, ?, ?, ?)
ON CONFLICT (alert_id, channel) DO NOTHING`
	sqlSelectDelivery = `SELECT platform_ref FROM deliveries WHERE alert_id = ? AND channel = ?`
)

// InsertItem records an item as seen. It reports false when the source had already seen
// an item with the same identity (and, for documents, at the same lifecycle step).
func (q queries) InsertItem(ctx context.Context, it watchers.Item) (bool, error) {
	res, err := q.q.ExecContext(ctx, sqlInsertItem, it.Source, it.SeenKey(), it.Title, it.URL, ms(it.Published), ms(q.now()))
	if err != nil {
		return false, fmt.Errorf("record item %s: %w", it.ID, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// InsertAlert records an alert and sets its ID and creation time. It reports false, and
// records nothing, when the channel already has an alert for the event.
func (q queries) InsertAlert(ctx context.Context, a *watchers.Alert) (bool, error) {
	a.CreatedAt = q.now().UTC()
	entities, err := json.Marshal(a.Entities)
	if err != nil {
		return false, err
	}
	item, err := json.Marshal(a.Item)
	if err != nil {
		return false, err
	}
	matches, err := json.Marshal(a.Matches)
	if err != nil {
		return false, err
	}
	res, err := q.q.ExecContext(ctx, sqlInsertAlert, a.Channel, a.EventKey, string(a.Kind), string(entities),
		string(item), a.Summary, string(matches), ms(a.CreatedAt))
	if err != nil {
		return false, fmt.Errorf("record alert %s for %s: %w", a.EventKey, a.Channel, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	a.ID, err = res.LastInsertId()
	return true, err
}

// Alert returns one alert by id.
func (q queries) Alert(ctx context.Context, id int64) (watchers.Alert, error) {
	var (
		a                       watchers.Alert
		kind, ents, item, match string
		created                 int64
	)
	err := q.q.QueryRowContext(ctx, sqlSelectAlert, id).Scan(&a.ID, &a.Channel, &a.EventKey, &kind, &ents, &item,
		&a.Summary, &match, &created)
	if err != nil {
		return a, rowsErr(err, fmt.Sprintf("alert %d", id))
	}
	a.Kind, a.CreatedAt = watchers.AlertKind(kind), fromMS(created)
	if err := json.Unmarshal([]byte(ents), &a.Entities); err != nil {
		return a, fmt.Errorf("alert %d entities: %w", id, err)
	}
	if err := json.Unmarshal([]byte(item), &a.Item); err != nil {
		return a, fmt.Errorf("alert %d item: %w", id, err)
	}
	if err := json.Unmarshal([]byte(match), &a.Matches); err != nil {
		return a, fmt.Errorf("alert %d matches: %w", id, err)
	}
	return a, nil
}

// RecordDelivery records that an alert was posted to a channel, with the platform's
// reference to the message.
func (q queries) RecordDelivery(ctx context.Context, alertID int64, channel, ref string) error {
	if _, err := q.q.ExecContext(ctx, sqlInsertDelivery, alertID, channel, ref, ms(q.now())); err != nil {
		return fmt.Errorf("record delivery of alert %d: %w", alertID, err)
	}
	return nil
}

// Delivery returns the platform reference of an alert's delivery to a channel, or
// ErrNotFound when it has not been delivered.
func (q queries) Delivery(ctx context.Context, alertID int64, channel string) (string, error) {
	var ref string
	if err := q.q.QueryRowContext(ctx, sqlSelectDelivery, alertID, channel).Scan(&ref); err != nil {
		return "", rowsErr(err, fmt.Sprintf("delivery of alert %d", alertID))
	}
	return ref, nil
}

const sqlItemSeen = `SELECT count(*) FROM seen_items WHERE source = ? AND identity = ?`

// ItemSeen reports whether a source has already seen an item under its seen key
// (watchers.Item.SeenKey).
func (q queries) ItemSeen(ctx context.Context, source, identity string) (bool, error) {
	var n int
	if err := q.q.QueryRowContext(ctx, sqlItemSeen, source, identity).Scan(&n); err != nil {
		return false, fmt.Errorf("item seen: %w", err)
	}
	return n > 0, nil
}
