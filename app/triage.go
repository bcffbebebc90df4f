package app

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/vigilbot/vigil/store"
	"github.com/vigilbot/vigil/watchers"
)

// Decide records a triage decision on a channel's alert and edits the alert's message to
// show it.
func (e *engine) Decide(ctx context.Context, channel string, d watchers.Decision) error {
	return e.store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.Decide(ctx, channel, d); err != nil {
			return err
		}
		last, err := tx.LatestPost(ctx, d.AlertID)
		if err != nil {
			return err
		}
		trail, err := tx.Decisions(ctx, d.AlertID)
		if err != nil {
			return err
		}
		edit := last
		edit.Kind = watchers.KindUpdate
		edit.Note = decisionNote(d)
		if _, err := tx.InsertPost(ctx, &edit, "decision:"+strconv.Itoa(len(trail))); err != nil {
			return err
		}
		_, err = e.client.InsertManyTx(ctx, tx.SQL(), []river.InsertManyParams{deliverJob(edit.PostID, channel)})
		return err
	})
}

func decisionNote(d watchers.Decision) string {
	note := fmt.Sprintf("Marked %s by %s on %s", strings.ReplaceAll(string(d.State), "_", " "), d.By, time.Now().UTC().Format(time.DateOnly))
	if d.Reason != "" {
		note += ": " + d.Reason
	}
	return note
}

// Assign gives a channel's alert an owner.
func (e *engine) Assign(ctx context.Context, channel string, alertID int64, assignee, by string) error {
	return e.store.Assign(ctx, channel, alertID, assignee, by)
}

// OpenAlerts lists a channel's undecided alerts, oldest first.
func (e *engine) OpenAlerts(ctx context.Context, channel string, limit int) ([]watchers.AlertSummary, error) {
	return e.store.OpenAlerts(ctx, channel, limit)
}
