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
	sqlInsertItem = `INSERT INTO seen_items (source, identity, title, url, abstract, published, first_seen_at)
VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, identity) DO NOTHING`
	sqlItemSeen    = `SELECT count(*) FROM seen_items WHERE source = ? AND identity = ?`
	sqlRecentItems = `SELECT source, identity, title, url, abstract, published FROM seen_items WHERE first_seen_at >= ? ORDER BY first_seen_at DESC, id DESC LIMIT ?`
	sqlSelectAlert = `SELECT id, item, entities, aliases, posted, state FROM alerts WHERE channel = ? AND event_key = ?`
	sqlUpsertAlert = `INSERT INTO alerts (channel, event_key, entities, aliases, item, posted, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (channel, event_key) DO UPDATE SET entities = excluded.entities, aliases = excluded.aliases, item = excluded.item,
posted = CASE WHEN alerts.posted = 1 THEN 1 ELSE excluded.posted END, updated_at = excluded.updated_at`
	sqlInsertPost = `INSERT INTO posts (alert_id, channel, kind, about, entities, item, summary, matches, note, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (alert_id, kind, about) DO NOTHING RETURNING id`
	sqlSelectPost = `SELECT p.id, p.alert_id, p.channel, a.event_key, p.kind, p.entities, p.item, p.summary, p.matches, p.note, p.created_at
FROM posts p JOIN alerts a ON a.id = p.alert_id WHERE p.id = ?`
	sqlInsertDelivery = `INSERT INTO deliveries (post_id, channel, platform_ref, delivered_at) VALUES (?, ?, ?, ?)
ON CONFLICT (post_id) DO NOTHING`
	sqlSelectDelivery = `SELECT platform_ref FROM deliveries WHERE post_id = ?`
	sqlRootRef        = `SELECT d.platform_ref FROM posts p JOIN deliveries d ON d.post_id = p.id WHERE p.alert_id = ? AND p.kind = 'new'`
)

// InsertItem records an item as seen. It reports false when the source had already seen
// an item with the same identity (and, for documents, at the same lifecycle step).
func (q queries) InsertItem(ctx context.Context, it watchers.Item) (bool, error) {
	res, err := q.q.ExecContext(ctx, sqlInsertItem, it.Source, it.SeenKey(), it.Title, it.URL, it.Abstract, ms(it.Published), ms(q.now()))
	if err != nil {
		return false, fmt.Errorf("record item %s: %w", it.ID, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// ItemSeen reports whether a source has already seen an item under its seen key
// (watchers.Item.SeenKey).
func (q queries) ItemSeen(ctx context.Context, source, seenKey string) (bool, error) {
	var n int
	if err := q.q.QueryRowContext(ctx, sqlItemSeen, source, seenKey).Scan(&n); err != nil {
		return false, fmt.Errorf("item seen: %w", err)
	}
	return n > 0, nil
}

// RecentItems returns up to limit items first seen at or after since, newest first, with
// their title and abstract only.
func (q queries) RecentItems(ctx context.Context, since int64, limit int) ([]watchers.Item, error) {
	rows, err := q.q.QueryContext(ctx, sqlRecentItems, since, limit)
	if err != nil {
		return nil, fmt.Errorf("recent items: %w", err)
	}
	defer rows.Close()
	var out []watchers.Item
	for rows.Next() {
		var (
			it  watchers.Item
			pub int64
		)
		if err := rows.Scan(&it.Source, &it.ID, &it.Title, &it.URL, &it.Abstract, &pub); err != nil {
			return nil, fmt.Errorf("recent items: %w", err)
		}
		it.Published = fromMS(pub)
		out = append(out, it)
	}
	return out, rows.Err()
}

// AlertState returns a channel's alert for an event, or nil when there is none.
func (q queries) AlertState(ctx context.Context, channel, eventKey string) (*watchers.AlertState, error) {
	var (
		st                      watchers.AlertState
		item, entities, aliases string
		state                   string
		posted                  int
	)
	err := q.q.QueryRowContext(ctx, sqlSelectAlert, channel, eventKey).Scan(&st.ID, &item, &entities, &aliases, &posted, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("alert for %s in %s: %w", eventKey, channel, err)
	}
	st.Posted, st.State = posted != 0, watchers.Disposition(state)
	if err := decode(item, &st.Item); err != nil {
		return nil, err
	}
	if err := decode(entities, &st.Entities); err != nil {
		return nil, err
	}
	if err := decode(aliases, &st.Aliases); err != nil {
		return nil, err
	}
	if st.State != watchers.DispOpen {
		ds, err := q.Decisions(ctx, st.ID)
		if err != nil {
			return nil, err
		}
		if len(ds) > 0 {
			st.Decision = ds[len(ds)-1]
		}
	}
	return &st, nil
}

// SaveAlert records a channel's alert for an event (or its new state) and returns its id.
// entities and aliases are all those named and matched so far. posted marks that its first
// message is being sent; once set it stays set.
func (q queries) SaveAlert(ctx context.Context, channel, eventKey string, item watchers.Item, entities, aliases []string, posted bool) (int64, error) {
	it, err := encode(item)
	if err != nil {
		return 0, err
	}
	ents, err := encode(entities)
	if err != nil {
		return 0, err
	}
	if aliases == nil {
		aliases = []string{}
	}
	als, err := encode(aliases)
	if err != nil {
		return 0, err
	}
	now := ms(q.now())
	if _, err := q.q.ExecContext(ctx, sqlUpsertAlert, channel, eventKey, ents, als, it, boolInt(posted), now, now); err != nil {
		return 0, fmt.Errorf("record alert %s for %s: %w", eventKey, channel, err)
	}
	st, err := q.AlertState(ctx, channel, eventKey)
	if err != nil {
		return 0, err
	}
	return st.ID, nil
}

// InsertPost records a message of an alert (a.ID) and sets a.PostID and a.CreatedAt. about
// says what the message is about, so that the same message is never recorded twice; it
// reports false when it already was.
func (q queries) InsertPost(ctx context.Context, a *watchers.Alert, about string) (bool, error) {
	a.CreatedAt = q.now().UTC()
	ents, err := encode(a.Entities)
	if err != nil {
		return false, err
	}
	item, err := encode(a.Item)
	if err != nil {
		return false, err
	}
	matches, err := encode(a.Matches)
	if err != nil {
		return false, err
	}
	err = q.q.QueryRowContext(ctx, sqlInsertPost, a.ID, a.Channel, string(a.Kind), about, ents, item, a.Summary, matches, a.Note, ms(a.CreatedAt)).Scan(&a.PostID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil // recorded before
	}
	if err != nil {
		return false, fmt.Errorf("record %s message of alert %d: %w", a.Kind, a.ID, err)
	}
	return true, nil
}

// Post returns one recorded message.
func (q queries) Post(ctx context.Context, postID int64) (watchers.Alert, error) {
	var (
		a                         watchers.Alert
		kind, ents, item, matches string
		created                   int64
	)
	err := q.q.QueryRowContext(ctx, sqlSelectPost, postID).Scan(&a.PostID, &a.ID, &a.Channel, &a.EventKey, &kind,
		&ents, &item, &a.Summary, &matches, &a.Note, &created)
	if err != nil {
		return a, rowsErr(err, fmt.Sprintf("message %d", postID))
	}
	a.Kind, a.CreatedAt = watchers.AlertKind(kind), fromMS(created)
	for _, d := range []struct {
		s string
		v any
	}{{ents, &a.Entities}, {item, &a.Item}, {matches, &a.Matches}} {
		if err := decode(d.s, d.v); err != nil {
			return a, fmt.Errorf("message %d: %w", postID, err)
		}
	}
	return a, nil
}

// RecordDelivery records that a message was posted, with the platform's reference to it.
func (q queries) RecordDelivery(ctx context.Context, postID int64, channel, ref string) error {
	if _, err := q.q.ExecContext(ctx, sqlInsertDelivery, postID, channel, ref, ms(q.now())); err != nil {
		return fmt.Errorf("record delivery of message %d: %w", postID, err)
	}
	return nil
}

// Delivery returns the platform reference of a delivered message, or ErrNotFound.
func (q queries) Delivery(ctx context.Context, postID int64) (string, error) {
	var ref string
	if err := q.q.QueryRowContext(ctx, sqlSelectDelivery, postID).Scan(&ref); err != nil {
		return "", rowsErr(err, fmt.Sprintf("delivery of message %d", postID))
	}
	return ref, nil
}

// RootRef returns the platform reference of an alert's first message, or ErrNotFound while
// it has not been delivered.
func (q queries) RootRef(ctx context.Context, alertID int64) (string, error) {
	var ref string
	if err := q.q.QueryRowContext(ctx, sqlRootRef, alertID).Scan(&ref); err != nil {
		return "", rowsErr(err, fmt.Sprintf("first message of alert %d", alertID))
	}
	return ref, nil
}

func encode(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode: %w", err)
	}
	return string(b), nil
}

func decode(s string, v any) error {
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return fmt.Errorf("decode stored JSON: %w", err)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

const sqlRecentAlerts = `SELECT id, event_key, entities, item, created_at FROM alerts
WHERE channel = ? AND posted = 1 AND entities LIKE ? ESCAPE '\' ORDER BY updated_at DESC, id DESC LIMIT ?`

// RecentAlerts returns a channel's latest posted alerts that name an entity (by display
// name, exactly as recorded), newest first.
func (q queries) RecentAlerts(ctx context.Context, channel, entity string, limit int) ([]watchers.Alert, error) {
	quoted, err := encode(entity)
	if err != nil {
		return nil, err
	}
	like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(quoted) + "%"
	rows, err := q.q.QueryContext(ctx, sqlRecentAlerts, channel, like, limit)
	if err != nil {
		return nil, fmt.Errorf("recent alerts of %s: %w", channel, err)
	}
	defer rows.Close()
	var out []watchers.Alert
	for rows.Next() {
		var (
			a          = watchers.Alert{Channel: channel, Kind: watchers.KindNew}
			ents, item string
			created    int64
		)
		if err := rows.Scan(&a.ID, &a.EventKey, &ents, &item, &created); err != nil {
			return nil, fmt.Errorf("recent alerts of %s: %w", channel, err)
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

const sqlAlertChannels = `SELECT channel FROM alerts WHERE event_key = ? AND posted = 1 ORDER BY id`

// AlertChannels returns the channels that were alerted about an event.
func (q queries) AlertChannels(ctx context.Context, eventKey string) ([]string, error) {
	rows, err := q.q.QueryContext(ctx, sqlAlertChannels, eventKey)
	if err != nil {
		return nil, fmt.Errorf("channels alerted about %s: %w", eventKey, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var ch string
		if err := rows.Scan(&ch); err != nil {
			return nil, err
		}
		out = append(out, ch)
	}
	return out, rows.Err()
}
