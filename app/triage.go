package app

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/vigilbot/vigil/bot"
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

// OpenAlerts lists a channel's undecided alerts, oldest first, with when a decision is
// due under the channel's SLA.
func (e *engine) OpenAlerts(ctx context.Context, channel string, limit int) ([]watchers.AlertSummary, error) {
	open, err := e.store.OpenAlerts(ctx, channel, limit)
	if err != nil {
		return nil, err
	}
	slas, err := e.loadSLAs(ctx, e.store)
	if err != nil {
		return nil, err
	}
	sla, loc := slas.of(channel), e.cfg.TriageLocation()
	for i := range open {
		open[i].Due = slaDue(open[i].OpenSince, sla, loc)
	}
	return open, nil
}

// reopenedEdit is an edit of a reopened alert's message, showing that it awaits a decision
// again (and bringing Slack's decision buttons back), for when nothing else edits it: a
// newly matched alias only replies in the thread. about keeps it apart from earlier edits.
func reopenedEdit(ctx context.Context, tx *store.Tx, alertID int64, note string) (edit watchers.Alert, about string, err error) {
	edit, err = tx.LatestPost(ctx, alertID)
	if err != nil {
		return edit, "", err
	}
	trail, err := tx.Decisions(ctx, alertID)
	if err != nil {
		return edit, "", err
	}
	edit.PostID, edit.Kind, edit.Note = 0, watchers.KindUpdate, note
	return edit, "reopen:" + strconv.Itoa(len(trail)), nil
}

// undecided says whether a message shows an alert that awaits a decision: the alert's own
// message (not a thread reply or a digest) about watched entities (not one of Vigil's
// notices), while the alert is open.
func (e *engine) undecided(ctx context.Context, a watchers.Alert, msg bot.Message) (bool, error) {
	if (msg.Kind != watchers.KindNew && msg.Kind != watchers.KindUpdate) || len(a.Entities) == 0 ||
		strings.HasPrefix(a.EventKey, "ops:") || strings.HasPrefix(a.EventKey, "digest:") {
		return false, nil
	}
	state, err := e.store.Disposition(ctx, a.ID)
	if err != nil {
		return false, err
	}
	return state == watchers.DispOpen, nil
}
