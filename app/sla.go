package app

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"github.com/vigilbot/vigil/bot"
	"github.com/vigilbot/vigil/config"
	"github.com/vigilbot/vigil/store"
	"github.com/vigilbot/vigil/watchers"
)

// slaDue is when a decision is due on an alert whose clock started at start: N business
// days later at the same time of day in loc, skipping Saturdays and Sundays (a clock that
// starts on a weekend starts at midnight on the Monday after), or start plus a duration.
// Zero when the SLA is off.
func slaDue(start time.Time, sla config.SLA, loc *time.Location) time.Time {
	switch {
	case sla.Duration > 0:
		return start.Add(sla.Duration)
	case sla.BusinessDays > 0:
		t := start.In(loc)
		for weekend(t) {
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
		}
		for n := sla.BusinessDays; n > 0; {
			t = t.AddDate(0, 0, 1) // the same time of day, across a change of daylight saving time
			if !weekend(t) {
				n--
			}
		}
		return t
	}
	return time.Time{}
}

func weekend(t time.Time) bool {
	return t.Weekday() == time.Saturday || t.Weekday() == time.Sunday
}

// slaLowerBound is the shortest time any channel's SLA can take, so that the search for
// overdue alerts skips those surely not due; false when every SLA is off.
func slaLowerBound(cfg *config.Config) (time.Duration, bool) {
	var (
		least time.Duration
		found bool
	)
	consider := func(s config.SLA) {
		d := s.Duration
		if s.BusinessDays > 0 {
			d = time.Duration(s.BusinessDays) * 24 * time.Hour
		}
		if d > 0 && (!found || d < least) {
			least, found = d, true
		}
	}
	consider(cfg.ChannelSLA(""))
	for _, ch := range cfg.Channels {
		consider(cfg.ChannelSLA(ch.ID))
	}
	return least, found
}

// Reminders are looked for at most once a minute, in pages.
const (
	reminderEvery = time.Minute
	reminderPage  = 500
)

// reminders records a reminder, a reply in its thread, for every undecided alert whose SLA
// has run out and which was not reminded in this open period, and returns the jobs that
// send them. It runs in the leader's schedule, so replicas do not remind twice; the
// message is also unique per alert and open period.
func (e *engine) reminders(ctx context.Context, tx *store.Tx, now time.Time) ([]river.InsertManyParams, error) {
	if last := e.lastReminders.Load(); last != nil && now.Sub(*last) < reminderEvery && !now.Before(*last) {
		return nil, nil
	}
	least, ok := slaLowerBound(e.cfg)
	if !ok {
		return nil, nil
	}
	loc := e.cfg.TriageLocation()
	var (
		jobs  []river.InsertManyParams
		after int64
	)
	for {
		page, err := tx.Remindable(ctx, now.Add(-least), after, reminderPage)
		if err != nil {
			return nil, err
		}
		for _, a := range page {
			after = a.ID
			sla := e.cfg.ChannelSLA(a.Channel)
			due := slaDue(a.OpenSince, sla, loc)
			if due.IsZero() || now.Before(due) {
				continue
			}
			job, err := e.remind(ctx, tx, a, sla, due, now)
			if err != nil {
				return nil, err
			}
			if job != nil {
				jobs = append(jobs, *job)
			}
		}
		if len(page) < reminderPage {
			break
		}
	}
	e.lastReminders.Store(&now)
	return jobs, nil
}

// remind records one alert's reminder and returns the job that sends it (nil when this
// open period's reminder was recorded before).
func (e *engine) remind(ctx context.Context, tx *store.Tx, a watchers.AlertSummary, sla config.SLA, due, now time.Time) (*river.InsertManyParams, error) {
	marked, err := tx.MarkReminded(ctx, a.ID, now)
	if err != nil || !marked {
		return nil, err
	}
	last, err := tx.LatestPost(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	r := watchers.Alert{
		ID: a.ID, Channel: a.Channel, EventKey: a.EventKey, Kind: watchers.KindFollowup,
		Entities: last.Entities, Item: last.Item, Note: reminderNote(a, sla, due),
	}
	inserted, err := tx.InsertPost(ctx, &r, "reminder:"+strconv.FormatInt(a.OpenSince.UnixMilli(), 10))
	if err != nil || !inserted {
		return nil, err
	}
	e.log.Info("alert past its SLA: reminder posted", "channel", a.Channel, "alert_id", a.ID, "due", due)
	job := deliverJob(r.PostID, a.Channel)
	return &job, nil
}

// reminderNote is what a reminder says. The owner is named as plain text, never as a
// mention a platform would turn into a notification of many people.
func reminderNote(a watchers.AlertSummary, sla config.SLA, due time.Time) string {
	const stamp = "2006-01-02 15:04 UTC"
	note := fmt.Sprintf("Reminder: alert #%d is still undecided after its SLA of %s (open since %s, due %s).",
		a.ID, sla, a.OpenSince.UTC().Format(stamp), due.UTC().Format(stamp))
	if name := bot.PlainName(a.Assignee); name != "" {
		note += " Owner: " + name + "."
	} else {
		note += fmt.Sprintf(" No one owns it yet: assign %d <who>.", a.ID)
	}
	return note + fmt.Sprintf(" Decide with: resolve %d true_match|not_our_entity|not_relevant|escalated <reason>", a.ID)
}
