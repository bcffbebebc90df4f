package app

import (
	"context"
	"fmt"
	"strconv"
	"strings"
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

// channelSLAs are the triage SLAs that apply, as the reminders read them: each channel's
// own (set by chat, or seeded from the file's channels[].sla) over the configured one.
type channelSLAs struct {
	own  map[string]config.SLA
	base *config.Config
	// aliases maps the room id of a Matrix room configured by its alias to that alias.
	aliases map[string]string
}

// loadSLAs reads every channel's own SLA. A stored value that no longer parses (written
// by a later version, or by hand) is logged and ignored: the configured SLA applies.
func (e *engine) loadSLAs(ctx context.Context, q interface {
	OwnSLAs(ctx context.Context) (map[string]string, error)
	ChatState(ctx context.Context, key string) (string, error)
}) (channelSLAs, error) {
	stored, err := q.OwnSLAs(ctx)
	if err != nil {
		return channelSLAs{}, err
	}
	aliases, err := e.resolvedAliases(ctx, q)
	if err != nil {
		return channelSLAs{}, err
	}
	out := channelSLAs{own: map[string]config.SLA{}, base: e.cfg, aliases: aliases}
	for ch, spec := range stored {
		sla, err := config.ParseSLA(spec)
		if err != nil {
			e.log.Warn("a channel's stored SLA is not an SLA; the configured one applies", "channel", ch, "err", err)
			continue
		}
		out.own[ch] = sla
	}
	return out, nil
}

// of returns the SLA of a channel: its own if it has one, else the configuration's (the
// channel's sla in the file — its alias's, for a room configured by alias — else
// triage.sla).
func (c channelSLAs) of(channel string) config.SLA {
	if s, ok := c.own[channel]; ok {
		return s
	}
	if alias, ok := c.aliases[channel]; ok {
		return c.base.ChannelSLA(alias)
	}
	return c.base.ChannelSLA(channel)
}

// lowerBound is the shortest time any channel's SLA can take, so that the search for
// overdue alerts skips those surely not due; false when every SLA is off.
func (c channelSLAs) lowerBound() (time.Duration, bool) {
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
	consider(c.base.ChannelSLA(""))
	for _, ch := range c.base.Channels {
		if _, ok := c.own[ch.ID]; !ok {
			consider(c.base.ChannelSLA(ch.ID))
		}
	}
	for _, s := range c.own {
		consider(s)
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
	slas, err := e.loadSLAs(ctx, tx)
	if err != nil {
		return nil, err
	}
	least, ok := slas.lowerBound()
	if !ok {
		e.lastReminders.Store(&now)
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
			sla := slas.of(a.Channel)
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

// ChannelSLA says which SLA applies to a channel and where it comes from.
func (e *engine) ChannelSLA(ctx context.Context, channel string) (bot.SLAInfo, error) {
	own, err := e.store.SLA(ctx, channel)
	if err != nil {
		return bot.SLAInfo{}, err
	}
	configured, err := e.configuredAs(ctx, channel)
	if err != nil {
		return bot.SLAInfo{}, err
	}
	file := e.fileSLA(configured)
	info := bot.SLAInfo{File: file}
	switch sla, err := config.ParseSLA(own); {
	case own != "" && err == nil && sla.String() != file:
		info.SLA, info.From = sla.String(), bot.SLAFromChat
	case file != "":
		info.SLA, info.From = file, bot.SLAFromFile
	default:
		info.SLA, info.From = e.cfg.ChannelSLA("").String(), bot.SLAFromDefault
	}
	return info, nil
}

// SetSLA sets a channel's own SLA from what user by typed, read as the file's sla is; ""
// removes it. It is stored as ParseSLA writes it back, and logged with who set it.
func (e *engine) SetSLA(ctx context.Context, channel, value, by string) (bot.SLAInfo, error) {
	if value != "" {
		// Chat is lenient with case, as it is with mute durations: 4H is 4h.
		sla, err := config.ParseSLA(strings.ToLower(value))
		if err != nil {
			msg := fmt.Sprintf("%q is not an SLA.", value)
			if f := strings.Fields(strings.ToLower(value)); len(f) == 3 && f[1] == "business" {
				msg = fmt.Sprintf("%q is not an SLA: give 1 to %d business days.", value, config.MaxBusinessDays)
			}
			return bot.SLAInfo{}, &bot.UsageError{Msg: msg}
		}
		value = sla.String()
	}
	if err := e.store.SetSLA(ctx, channel, value, by); err != nil {
		return bot.SLAInfo{}, err
	}
	e.log.Info("channel SLA set by chat command", "channel", channel, "user", by, "sla", value)
	return e.ChannelSLA(ctx, channel)
}

// fileSLA is the channel's sla in the configuration file (channel as the file names it),
// as ParseSLA writes it back; "" when the file sets none.
func (e *engine) fileSLA(channel string) string {
	for _, ch := range e.cfg.Channels {
		if ch.ID == channel && ch.SLA != "" {
			return e.cfg.ChannelSLA(channel).String()
		}
	}
	return ""
}

// seedSettings writes a configured channel's sla and passing, where the file sets them, to
// the settings of the channel stored as id (its room id, for a Matrix room configured by
// its alias), at every start: the file applies again over what chat set, as it does for a
// watch's aliases. A key the file leaves out changes nothing.
func (e *engine) seedSettings(ctx context.Context, id string, ch config.Channel) error {
	if ch.SLA != "" {
		want := e.cfg.ChannelSLA(ch.ID).String()
		if got, err := e.store.SLA(ctx, id); err != nil {
			return err
		} else if got != want {
			if err := e.store.SetSLA(ctx, id, want, configActor); err != nil {
				return err
			}
			e.log.Info("channel SLA set from the configuration", "channel", id, "sla", want, "was", got)
		}
	}
	if ch.Passing != "" {
		// Only a change is written: setting it computes the next digest anew.
		d, err := e.store.Digest(ctx, id)
		if err != nil {
			return err
		}
		if d.Passing != ch.Passing {
			if err := e.store.SetPassing(ctx, id, ch.Passing, configActor); err != nil {
				return err
			}
			e.log.Info("passing mentions set from the configuration", "channel", id, "passing", ch.Passing, "was", d.Passing)
		}
	}
	return nil
}
