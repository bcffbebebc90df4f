package app

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"github.com/vigilbot/vigil/store"
	"github.com/vigilbot/vigil/watchers"
	"github.com/vigilbot/vigil/watchers/feed"
)

// opsKey is the event of one failure streak of a source in the ops channel.
func opsKey(source string, since time.Time) string {
	return "ops:" + source + ":" + strconv.FormatInt(since.UnixMilli(), 10)
}

// reportFailing tells the operators, once per failure streak, that a source has been
// failing for longer than ops.alert_after: in the ops channel when there is one, else in
// the log at ERROR. A brief outage stays quiet; a silent stop never does.
func (e *engine) reportFailing(ctx context.Context, src watchers.Source, since time.Time, cause error) error {
	after := e.cfg.Ops.AlertAfter.D()
	now := e.now()
	if src.OpsReported || now.Sub(since) < after {
		return nil
	}
	failures := src.Failures + 1
	text := fmt.Sprintf("Source %s (%s) has been failing since %s: %d failed polls in a row. Last error: %s",
		src.Name, src.Type, since.UTC().Format("2006-01-02 15:04 UTC"), failures, cause)
	ch := e.cfg.Ops.Channel
	if ch == "" {
		e.log.Error("source failing for longer than ops.alert_after", "source", src.Name, "since", since, "consecutive_failures", failures, "err", cause)
		return e.store.SetOpsReported(ctx, src.Name, true)
	}
	return e.store.InTx(ctx, func(tx *store.Tx) error {
		key := opsKey(src.Name, since)
		item := watchers.Item{Source: "vigil", ID: key, Title: "Source " + src.Name + " is failing", URL: feed.RedactURL(src.URL)}
		id, err := tx.SaveAlert(ctx, ch, key, item, nil, nil, true)
		if err != nil {
			return err
		}
		a := watchers.Alert{ID: id, Channel: ch, EventKey: key, Kind: watchers.KindNew, Item: item, Summary: text}
		inserted, err := tx.InsertPost(ctx, &a, "")
		if err != nil {
			return err
		}
		if err := tx.SetOpsReported(ctx, src.Name, true); err != nil {
			return err
		}
		if !inserted {
			return nil
		}
		_, err = e.client.InsertManyTx(ctx, tx.SQL(), []river.InsertManyParams{deliverJob(a.PostID, ch)})
		return err
	})
}

// reportRecovered records, in the poll's transaction, that a reported source works again:
// a reply in the thread of its failure report. It returns the jobs that send it.
func (e *engine) reportRecovered(ctx context.Context, tx *store.Tx, src watchers.Source) ([]river.InsertManyParams, error) {
	if err := tx.SetOpsReported(ctx, src.Name, false); err != nil {
		return nil, err
	}
	note := fmt.Sprintf("Source %s recovered at %s after %d failed polls.", src.Name, e.now().UTC().Format("2006-01-02 15:04 UTC"), src.Failures)
	ch := e.cfg.Ops.Channel
	if ch == "" {
		e.log.Info("source recovered", "source", src.Name, "failed_polls", src.Failures)
		return nil, nil
	}
	key := opsKey(src.Name, src.FailingSince)
	st, err := tx.AlertState(ctx, ch, key)
	if err != nil || st == nil {
		return nil, err
	}
	a := watchers.Alert{ID: st.ID, Channel: ch, EventKey: key, Kind: watchers.KindFollowup, Item: st.Item, Note: note}
	inserted, err := tx.InsertPost(ctx, &a, "recovered")
	if err != nil || !inserted {
		return nil, err
	}
	return []river.InsertManyParams{deliverJob(a.PostID, ch)}, nil
}

// reportUndeliverable tells the operators that a channel refuses Vigil's messages (the
// bot was removed, the channel archived, its token revoked): once per channel and day in
// the ops channel, besides the ERROR in the log.
func (e *engine) reportUndeliverable(ctx context.Context, postID int64, cause error) error {
	ch := e.cfg.Ops.Channel
	if ch == "" {
		return nil
	}
	p, err := e.store.Post(ctx, postID)
	if err != nil || p.Channel == ch {
		return nil // nothing to say it about, or the ops channel itself fails: the log has it
	}
	day := e.now().UTC().Format(time.DateOnly)
	key := "ops:undeliverable:" + p.Channel + ":" + day
	return e.store.InTx(ctx, func(tx *store.Tx) error {
		item := watchers.Item{Source: "vigil", ID: key, Title: "Alerts cannot be delivered to " + p.Channel}
		id, err := tx.SaveAlert(ctx, ch, key, item, nil, nil, true)
		if err != nil {
			return err
		}
		a := watchers.Alert{ID: id, Channel: ch, EventKey: key, Kind: watchers.KindNew, Item: item,
			Summary: fmt.Sprintf("Alert #%d and any later ones for %s were not delivered: %v. Check that the bot is still in the channel and its credentials are valid.", p.ID, p.Channel, cause)}
		inserted, err := tx.InsertPost(ctx, &a, "")
		if err != nil || !inserted {
			return err
		}
		_, err = e.client.InsertManyTx(ctx, tx.SQL(), []river.InsertManyParams{deliverJob(a.PostID, ch)})
		return err
	})
}
