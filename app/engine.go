package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"github.com/robfig/cron/v3"

	"github.com/vigilbot/vigil/bot"
	"github.com/vigilbot/vigil/config"
	"github.com/vigilbot/vigil/store"
	"github.com/vigilbot/vigil/watchers"
	"github.com/vigilbot/vigil/watchers/dedup"
	"github.com/vigilbot/vigil/watchers/fedreg"
	"github.com/vigilbot/vigil/watchers/feed"
	"github.com/vigilbot/vigil/watchers/match"
	"github.com/vigilbot/vigil/watchers/summary"
)

// poller is a source: it returns the items it holds now.
type poller interface {
	Poll(ctx context.Context) ([]watchers.Item, error)
}

// bodyFetcher is a source whose items' full text is fetched only for items not seen before.
type bodyFetcher interface {
	FetchBody(ctx context.Context, it *watchers.Item) error
}

// optionalBodies is a bodyFetcher that may be set to fetch nothing (a feed without
// fetch_article), whose items need no look-up.
type optionalBodies interface {
	FetchesArticles() bool
}

// sender posts a rendered alert message to a channel — a new message, an edit
// (Message.EditOf) or a thread reply (Message.ThreadOf) — and returns the platform's
// reference to the message.
type sender interface {
	Send(ctx context.Context, channel string, m bot.Message) (string, error)
}

// errPermanent marks a delivery failure that retrying cannot fix.
var errPermanent = errors.New("permanent failure")

// engine is the pipeline and everything it runs on.
type engine struct {
	cfg    *config.Config
	store  *store.Store
	log    *slog.Logger
	now    func() time.Time
	http   *http.Client
	every  time.Duration
	chats  map[string]sender // by platform
	client *river.Client[*sql.Tx]
	met    *metrics

	chatsMu  sync.RWMutex
	runners  []chatRunner                 // chat connections this process keeps up
	handlers map[string]http.Handler      // chat endpoints on the HTTP server, by path prefix
	matrixUp atomic.Pointer[matrixRunner] // the Matrix client, when this replica holds the lease

	mu      sync.Mutex
	buildMu sync.Mutex                       // one matcher build at a time
	matcher atomic.Pointer[versionedMatcher] // read by every poll without locking
	pollers map[string]pollerEntry
	fetcher *feed.Fetcher // shared by every feed: per-host limits, connection pools
	probe   func(ctx context.Context, url string) (feed.Result, error)
	fedreg  map[string]*fedreg.Source // by configured name
	fps     fingerprints              // recent news stories, for near-duplicates
	fixed   map[string]poller         // sources replaced by tests

	lastReminders atomic.Pointer[time.Time] // the last look for alerts past their SLA
}

type pollerEntry struct {
	key string // what the poller was built from; a change rebuilds it
	p   poller
}

// open opens the store, applies both sets of migrations and brings the configured sources
// and channels into the database.
func open(ctx context.Context, opts Options) (*engine, error) {
	st, err := openStore(ctx, opts.Config, opts.Now)
	if err != nil {
		return nil, err
	}
	e := &engine{
		cfg: opts.Config, store: st, log: opts.Logger, now: opts.Now, http: opts.HTTPClient,
		every: opts.SchedulerInterval, chats: map[string]sender{}, pollers: map[string]pollerEntry{},
		fixed: opts.pollers, fedreg: map[string]*fedreg.Source{},
	}
	e.met = newMetrics(st, opts.Logger)
	match.New(nil) // builds the matcher's Unicode tables now rather than in the first poll
	fo := feed.FetcherOptions{UserAgent: e.userAgent(), Now: e.now}
	if opts.fetcher != nil {
		fo = *opts.fetcher
	}
	e.fetcher = feed.NewFetcher(fo)
	e.probe = func(ctx context.Context, u string) (feed.Result, error) {
		return e.fetcher.Probe(ctx, u, feed.SourceOptions{}) // never private addresses
	}
	if err := st.Migrate(ctx, e.migrateJobs); err != nil {
		st.Close()
		return nil, err
	}
	if err := e.seed(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return e, nil
}

func (e *engine) close() {
	if err := e.store.Close(); err != nil {
		e.log.Warn("close database", "err", err)
	}
}

// Who added a source.
const (
	originConfig = "config"
	originChat   = "chat"
)

// configActor is who the audit log says made a change that the configuration file made
// at start: a seeded watch, a channel's sla or passing written again.
const configActor = "config"

// seed upserts the configured sources (removing configured sources no longer in the file),
// the configured channels' watches (never removing any) and their sla and passing settings.
func (e *engine) seed(ctx context.Context) error {
	inConfig := map[string]bool{}
	for _, s := range e.cfg.Sources {
		inConfig[s.Name] = true
		url := s.URL
		if s.Type == watchers.SourceFederalRegister {
			url = s.BaseURL
		}
		if err := e.store.UpsertSource(ctx, watchers.Source{Name: s.Name, Type: s.Type, URL: url, Schedule: s.Schedule, Origin: originConfig}); err != nil {
			return err
		}
		if s.Type == watchers.SourceFederalRegister && (s.PublicInspection == nil || *s.PublicInspection) {
			pi := watchers.Source{Name: s.Name + watchers.PublicInspectionSuffix, Type: watchers.SourceFederalRegisterFiling,
				URL: url, Schedule: s.PublicInspectionSchedule, Origin: originConfig}
			inConfig[pi.Name] = true
			if err := e.store.UpsertSource(ctx, pi); err != nil {
				return err
			}
		}
	}
	existing, err := e.store.Sources(ctx)
	if err != nil {
		return err
	}
	for _, s := range existing {
		if s.Origin == originConfig && !inConfig[s.Name] {
			if err := e.store.DeleteSource(ctx, s.Name); err != nil {
				return err
			}
			e.log.Info("source removed from the configuration", "source", s.Name)
		}
	}
	for _, ch := range e.cfg.Channels {
		for _, w := range ch.Watches {
			_, err := e.store.SeedWatch(ctx, watchers.Watch{Channel: ch.ID, Name: w.Name, Aliases: w.Aliases, Exclude: w.Exclude, CreatedBy: configActor})
			if err != nil {
				return err
			}
		}
		if err := e.seedSettings(ctx, ch.ID, ch); err != nil {
			return err
		}
	}
	return nil
}

func (e *engine) userAgent() string {
	return "Vigil/" + Version + " (+" + ProjectURL + ")"
}

// pollerFor returns the poller of a source, built from the configuration for configured
// sources and from the stored row for sources added at run time.
func (e *engine) pollerFor(src watchers.Source) (poller, error) {
	if p, ok := e.fixed[src.Name]; ok {
		return p, nil
	}
	key := src.Type + "|" + src.URL
	e.mu.Lock()
	defer e.mu.Unlock()
	if pe, ok := e.pollers[src.Name]; ok && pe.key == key {
		return pe.p, nil
	}
	var (
		p   poller
		err error
	)
	switch src.Type {
	case watchers.SourceFeed:
		// Feeds from the configuration file may be on private networks; feeds added by
		// chat or CLI may not (checked on every address dialled, redirects included).
		p, err = e.fetcher.Source(src.Name, src.URL, feed.SourceOptions{
			AllowPrivate: src.Origin == originConfig,
			FetchArticle: e.configured(src.Name).FetchArticle,
		})
	case watchers.SourceFederalRegister:
		p, err = e.fedregSource(src.Name)
	case watchers.SourceFederalRegisterFiling:
		var fr *fedreg.Source
		fr, err = e.fedregSource(strings.TrimSuffix(src.Name, watchers.PublicInspectionSuffix))
		p = filingDesk{fr}
	default:
		err = fmt.Errorf("source %s: unknown type %q", src.Name, src.Type)
	}
	if err != nil {
		return nil, err
	}
	e.pollers[src.Name] = pollerEntry{key: key, p: p}
	return p, nil
}

// configured returns a source's settings from the configuration file (zero for sources
// added at run time).
func (e *engine) configured(name string) config.Source {
	for _, cs := range e.cfg.Sources {
		if cs.Name == name {
			return cs
		}
	}
	return config.Source{}
}

// filingDesk polls a Federal Register source's public-inspection desk.
type filingDesk struct{ *fedreg.Source }

func (d filingDesk) Poll(ctx context.Context) ([]watchers.Item, error) {
	return d.PollPublicInspection(ctx)
}

// fedregSource returns the one client of a configured Federal Register source, shared by
// its document and public-inspection polls, full-text fetches and searches, so that they
// keep to one rate limit. The caller holds e.mu.
func (e *engine) fedregSource(name string) (*fedreg.Source, error) {
	if fr, ok := e.fedreg[name]; ok {
		return fr, nil
	}
	for _, cs := range e.cfg.Sources {
		if cs.Name == name && cs.Type == watchers.SourceFederalRegister {
			fr, err := e.newFedreg(cs)
			if err != nil {
				return nil, err
			}
			e.fedreg[name] = fr
			return fr, nil
		}
	}
	return nil, fmt.Errorf("source %s: a Federal Register source must be configured in the file", name)
}

// SearchDocuments searches the Federal Register through the first configured source.
func (e *engine) SearchDocuments(ctx context.Context, term string, limit int) ([]watchers.Item, error) {
	for _, cs := range e.cfg.Sources {
		if cs.Type != watchers.SourceFederalRegister {
			continue
		}
		e.mu.Lock()
		fr, err := e.fedregSource(cs.Name)
		e.mu.Unlock()
		if err != nil {
			return nil, err
		}
		return fr.Search(ctx, term, limit)
	}
	return nil, errors.New("no Federal Register source is configured")
}

func (e *engine) newFedreg(cs config.Source) (*fedreg.Source, error) {
	var since time.Time
	if cs.Since != "" {
		t, err := time.Parse(time.DateOnly, cs.Since)
		if err != nil {
			return nil, fmt.Errorf("source %s: since: %w", cs.Name, err)
		}
		since = t
	}
	return fedreg.New(cs.Name, fedreg.Options{
		BaseURL:   cs.BaseURL,
		Agencies:  cs.Agencies,
		Types:     cs.Types,
		Since:     since,
		Client:    e.http,
		UserAgent: e.userAgent(),
		Now:       e.now,
		Logger:    e.log,
	})
}

// currentMatcher returns the matcher for the current watches, rebuilding it when any
// watch changed (in this process or another).
func (e *engine) currentMatcher(ctx context.Context) (*match.Matcher, error) {
	v, err := e.store.WatchVersion(ctx)
	if err != nil {
		return nil, err
	}
	if cur := e.matcher.Load(); cur != nil && cur.version == v {
		return cur.m, nil
	}
	// One build at a time: a whole screening list takes a while and much memory, and
	// every worker would otherwise rebuild at once when the watches change.
	e.buildMu.Lock()
	defer e.buildMu.Unlock()
	if cur := e.matcher.Load(); cur != nil && cur.version >= v {
		return cur.m, nil
	}
	ws, v, err := e.store.AllWatches(ctx)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	m := match.New(ws)
	e.matcher.Store(&versionedMatcher{m: m, version: v})
	e.log.Debug("matcher built", "watches", len(ws), "version", v, "took", time.Since(start))
	return m, nil
}

// versionedMatcher is the matcher of one watch version; it never changes once built.
type versionedMatcher struct {
	m       *match.Matcher
	version int64
}

// pollResult is what one poll of one source did.
type pollResult struct {
	Alerts []watchers.Alert
	JobIDs []int64 // the deliver jobs it enqueued
	New    int     // items not seen before
}

// errDryRun rolls back a dry run's transaction.
var errDryRun = errors.New("dry run")

// poll fetches one source and, in one transaction, records its new items, the alerts they
// give and the jobs that deliver them, so that a crash loses nothing and repeats nothing.
// A source's first poll is its baseline (recorded, not alerted) unless all is set.
func (e *engine) poll(ctx context.Context, name string, all, dryRun bool) (pollResult, error) {
	var res pollResult
	src, err := e.store.Source(ctx, name)
	if err != nil {
		return res, err
	}
	log := e.log.With("source", name)
	p, err := e.pollerFor(src)
	if err == nil {
		var f fetched
		start := time.Now()
		f, err = fetch(ctx, p, src)
		e.met.fetchSeconds.WithLabelValues(name).Observe(time.Since(start).Seconds())
		if err == nil {
			e.met.polls.WithLabelValues(name, resultOK).Inc()
			return e.record(ctx, src, p, f, all, dryRun)
		}
	}
	if ctx.Err() != nil {
		// Shutting down is not the source's fault.
		return res, ctx.Err()
	}
	e.met.polls.WithLabelValues(name, resultError).Inc()
	if !dryRun {
		now := e.now()
		if rerr := e.store.RecordPollFailure(ctx, name, now, errorKind(err), err.Error()); rerr != nil {
			return res, rerr
		}
		wait := backoff(src.Failures+1, backoffCapFor(src.Schedule))
		if ra := retryAfter(err); ra > wait {
			wait = min(ra, backoffCap)
		}
		if rerr := e.store.DeferPoll(ctx, name, now.Add(wait)); rerr != nil {
			return res, rerr
		}
		log.Warn("poll failed", "consecutive_failures", src.Failures+1, "next_try_within", wait.Round(time.Second).String(), "err", err)
		since := src.FailingSince
		if since.IsZero() {
			since = now
		}
		if rerr := e.reportFailing(ctx, src, since, err); rerr != nil {
			return res, rerr
		}
	}
	return res, &sourceError{source: name, err: err}
}

// fetched is what one poll of a source brought.
type fetched struct {
	items       []watchers.Item
	notModified bool             // a conditional request answered 304
	validators  *feed.Validators // to keep for the next conditional request
}

// conditionalPoller is a source that answers conditional requests (feeds).
type conditionalPoller interface {
	Fetch(ctx context.Context, v feed.Validators) (feed.Result, error)
}

// fetch polls a source, conditionally when it can.
func fetch(ctx context.Context, p poller, src watchers.Source) (fetched, error) {
	if c, ok := p.(conditionalPoller); ok {
		r, err := c.Fetch(ctx, feed.Validators{ETag: src.ETag, LastModified: src.LastModified})
		if err != nil {
			return fetched{}, err
		}
		f := fetched{items: r.Items, notModified: r.NotModified}
		if !r.NotModified {
			f.validators = &r.Validators
		}
		return f, nil
	}
	items, err := p.Poll(ctx)
	return fetched{items: items}, err
}

// errorKind classifies a poll failure for health and metrics.
func errorKind(err error) string {
	var api *fedreg.APIError
	switch {
	case errors.As(err, new(*feed.Error)):
		return string(feed.KindOf(err))
	case errors.As(err, &api):
		if api.RetryAfter > 0 || api.Status == http.StatusTooManyRequests {
			return "rate_limited"
		}
		return "http_status"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	return "error"
}

// retryAfter is the wait a source asked for (429, 503), or 0.
func retryAfter(err error) time.Duration {
	var (
		api *fedreg.APIError
		fe  *feed.Error
	)
	switch {
	case errors.As(err, &api):
		return api.RetryAfter
	case errors.As(err, &fe):
		return fe.RetryAfter
	}
	return 0
}

// Backoff of a failing source: the first retry after a minute, doubling with each failure
// up to ten times the source's schedule interval, but at least a minute and at most six
// hours, with ±20 % jitter. So a dead host on a one-minute schedule is tried every ten
// minutes at worst and recovers within them, and an hourly feed backs off to six hours.
// A source is never given up: its schedule still applies when it is later than the
// backoff, a Retry-After longer than the backoff is honoured (up to six hours), and
// health shows every failure.
const (
	backoffBase = time.Minute
	backoffCap  = 6 * time.Hour
)

func backoff(failures int, limit time.Duration) time.Duration {
	d := limit
	if failures < 20 {
		d = min(backoffBase<<(max(failures, 1)-1), limit)
	}
	jitter := time.Duration(rand.Int64N(int64(d/5)*2+1)) - d/5
	return d + jitter
}

// backoffCapFor is the longest backoff of a source on schedule spec: ten of its
// intervals, between one minute and six hours.
func backoffCapFor(spec string) time.Duration {
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return backoffCap
	}
	next := sched.Next(time.Now())
	if next.IsZero() {
		return backoffCap
	}
	return min(max(10*sched.Next(next).Sub(next), backoffBase), backoffCap)
}

// sourceError is a failed poll: the source's fault, already recorded in its health.
type sourceError struct {
	source string
	err    error
}

func (e *sourceError) Error() string { return e.source + ": " + e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }

func (e *engine) record(ctx context.Context, src watchers.Source, p poller, f fetched, all, dryRun bool) (pollResult, error) {
	var res pollResult
	items := f.items
	alerting := src.Baselined || all
	// A new source's baseline may keep its newest items for alerting (backfill: N).
	firstAlerting := 0
	if !alerting {
		if n := e.configured(src.Name).Backfill; n > 0 {
			alerting, firstAlerting = true, max(len(items)-n, 0)
		}
	}
	m, err := e.currentMatcher(ctx)
	if err != nil {
		return res, err
	}
	if bf, ok := p.(bodyFetcher); ok && alerting && m.Len() > 0 {
		e.fetchBodies(ctx, src.Name, bf, items[firstAlerting:])
	}
	if alerting && len(items) > 0 { // not for a 304, most polls
		if err := e.fps.refresh(ctx, e.store, e.now()); err != nil {
			return res, err
		}
	}
	var (
		alerts  []watchers.Alert
		counted []watchers.Match
	)
	err = e.store.InTx(ctx, func(tx *store.Tx) error {
		alerts, counted, res.New = nil, nil, 0 // the transaction may be retried
		var jobs []river.InsertManyParams
		for i, it := range items {
			isNew, err := tx.InsertItem(ctx, it)
			if err != nil {
				return err
			}
			if !isNew {
				continue
			}
			res.New++
			if !alerting || i < firstAlerting {
				continue
			}
			matches := m.Match(it)
			msgs, send, err := e.decide(ctx, tx, it, matches)
			if err != nil {
				return err
			}
			counted = append(counted, matches...)
			alerts = append(alerts, msgs...)
			for _, a := range send {
				jobs = append(jobs, deliverJob(a.PostID, a.Channel))
			}
		}
		if !src.Baselined {
			if err := tx.MarkBaselined(ctx, src.Name); err != nil {
				return err
			}
		}
		if err := tx.RecordPollSuccess(ctx, src.Name, e.now(), res.New); err != nil {
			return err
		}
		if f.validators != nil {
			// With the items they answered for, or a crash could lose those items to a 304.
			if err := tx.SaveValidators(ctx, src.Name, f.validators.ETag, f.validators.LastModified); err != nil {
				return err
			}
		}
		if src.OpsReported {
			recovery, err := e.reportRecovered(ctx, tx, src)
			if err != nil {
				return err
			}
			jobs = append(jobs, recovery...)
		}
		if dryRun {
			return errDryRun
		}
		if len(jobs) > 0 {
			inserted, err := e.client.InsertManyTx(ctx, tx.SQL(), jobs)
			if err != nil {
				return fmt.Errorf("enqueue deliveries: %w", err)
			}
			for _, r := range inserted {
				res.JobIDs = append(res.JobIDs, r.Job.ID)
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return pollResult{}, err
	}
	res.Alerts = alerts
	if !dryRun {
		e.met.itemsNew.WithLabelValues(src.Name).Add(float64(res.New))
		for _, mt := range counted {
			e.met.matches.WithLabelValues(src.Name, string(mt.Field)).Inc()
		}
		for _, a := range alerts {
			e.met.messages.WithLabelValues(string(a.Kind)).Inc()
		}
	}
	if !src.Baselined && !dryRun {
		// Progress of a first cycle: one line per source as its baseline is taken.
		e.log.Info("first poll of a source: its items are the baseline", "source", src.Name, "items", len(items), "alerted", len(alerts))
	}
	e.log.Debug("polled", "source", src.Name, "items", len(items), "new", res.New, "messages", len(alerts), "baseline", !alerting)
	return res, nil
}

// decide records, for each channel an item concerns, the channel's alert for the event
// and the messages to send about it (a new alert, an edit and a thread reply, or a reply
// only), leaving out the entities the channel has muted and holding messages back for
// channels that take digests. It returns the recorded messages and the ids of those to
// send now.
func (e *engine) decide(ctx context.Context, tx *store.Tx, it watchers.Item, matches []watchers.Match) (out, send []watchers.Alert, err error) {
	key := dedup.EventKey(it)
	if lead := summary.FirstSentence(it.Abstract); it.Step == "" && wordCount(it.Title+" "+lead) >= nearDuplicateMinWords {
		// News: the same story from another outlet joins the first one's event. Short
		// texts are left out: a headline alone says too little to tell stories apart.
		if fp := dedup.Fingerprint(it.Title, lead); fp != 0 {
			if !strings.HasPrefix(key, "fr:") {
				if k, ok := e.fps.near(fp, e.now()); ok {
					key = k
				}
			}
			if err := tx.AddFingerprint(ctx, fp, key); err != nil {
				return nil, nil, err
			}
			e.fps.add(fp, key, e.now())
		}
	}
	cands := watchers.NewAlerts(it, key, matches)
	if it.Step != "" {
		// A later step of a document reaches every channel alerted about it, even when its
		// own text no longer names the entity (a correction of a date, a withdrawal).
		alerted, err := tx.AlertChannels(ctx, key)
		if err != nil {
			return nil, nil, err
		}
		for _, ch := range alerted {
			if !slices.ContainsFunc(cands, func(a watchers.Alert) bool { return a.Channel == ch }) {
				cands = append(cands, watchers.Alert{Channel: ch, EventKey: key, Kind: watchers.KindNew, Item: it})
			}
		}
	}
	for _, cand := range cands {
		mutes, err := tx.Mutes(ctx, cand.Channel)
		if err != nil {
			return nil, nil, err
		}
		prev, err := tx.AlertState(ctx, cand.Channel, key)
		if err != nil {
			return nil, nil, err
		}
		digest, err := tx.Digest(ctx, cand.Channel)
		if err != nil {
			return nil, nil, err
		}
		if len(cand.Entities) == 0 && prev != nil {
			cand.Entities = prev.Entities // a step that names no entity itself
		}
		shown := unmuted(cand, mutes)
		if len(shown.Entities) == 0 {
			// Muted: recorded, so that the event is known, but not posted.
			if prev == nil {
				if _, err := tx.SaveAlert(ctx, cand.Channel, key, it, cand.Entities, aliasesOf(cand.Matches, nil), false); err != nil {
					return nil, nil, err
				}
			}
			e.log.Debug("alert muted", "channel", cand.Channel, "event_key", key, "entities", cand.Entities)
			continue
		}
		shown.Summary = summary.Summarize(shown.Item, shown.Matches)
		msgs := watchers.Messages(prev, shown)
		abouts := map[int]string{} // messages that postAbout cannot tell apart
		aliases := aliasesOf(shown.Matches, nil)
		if prev != nil {
			aliases = aliasesOf(shown.Matches, prev.Aliases)
		}
		if prev != nil && prev.Posted && prev.State == watchers.DispNotOurEntity {
			// Cleared as not our entity: silent until the data changes materially.
			why := materialChange(prev, msgs, aliases)
			if why == "" {
				if _, err := tx.SaveAlert(ctx, cand.Channel, key, prev.Item, prev.Entities, aliases, true); err != nil {
					return nil, nil, err
				}
				e.log.Debug("suppressed: cleared as not our entity", "channel", cand.Channel, "event_key", key)
				continue
			}
			if err := tx.Decide(ctx, cand.Channel, watchers.Decision{AlertID: prev.ID, State: watchers.DispOpen, Reason: "review again: " + why, By: "vigil"}); err != nil {
				return nil, nil, err
			}
			earlier := fmt.Sprintf("Review again (%s): marked not our entity by %s on %s — %s.", why, prev.Decision.By,
				prev.Decision.At.UTC().Format(time.DateOnly), prev.Decision.Reason)
			for i := range msgs {
				msgs[i].Note = strings.TrimSpace(earlier + " " + msgs[i].Note)
			}
			if !slices.ContainsFunc(msgs, func(m watchers.Alert) bool { return m.Kind == watchers.KindUpdate }) {
				edit, about, err := reopenedEdit(ctx, tx, prev.ID, earlier)
				if err != nil {
					return nil, nil, err
				}
				abouts[len(msgs)] = about
				msgs = append(msgs, edit)
			}
		}
		state := msgs[0]
		item := it
		if state.Kind == watchers.KindFollowup {
			item = prev.Item // a reply leaves the alert showing what it showed
		}
		entities := state.Entities
		if prev != nil {
			// The alert names everyone it ever named; a reply may name fewer.
			entities = slices.Clone(prev.Entities)
			for _, en := range state.Entities {
				if !slices.Contains(entities, en) {
					entities = append(entities, en)
				}
			}
		}
		id, err := tx.SaveAlert(ctx, cand.Channel, key, item, entities, aliases, true)
		if err != nil {
			return nil, nil, err
		}
		for i, msg := range msgs {
			msg.ID = id
			about, ok := abouts[i]
			if !ok {
				about = postAbout(msg)
			}
			inserted, err := tx.InsertPost(ctx, &msg, about)
			if err != nil {
				return nil, nil, err
			}
			if !inserted {
				continue
			}
			out = append(out, msg)
			hold := digest.HoldsAll()
			if !hold && digest.Passing == watchers.PassingDigest {
				var release *watchers.Alert
				if hold, release, err = passingHold(ctx, tx, msg); err != nil {
					return nil, nil, err
				}
				if release != nil {
					send = append(send, *release)
				}
			}
			if !hold {
				send = append(send, msg)
			} else if err := tx.HoldPost(ctx, msg.PostID); err != nil {
				return nil, nil, err
			}
		}
	}
	return out, send, nil
}

// passingHold decides, for a channel that takes passing mentions in its digest only,
// whether a message waits for the digest: a first message whose matches are all passing
// mentions does, and so do later messages of its alert while it waits, unless one names
// the entity as its subject — then the first message is released to go out now (returned
// as release) and the later one follows it.
func passingHold(ctx context.Context, tx *store.Tx, msg watchers.Alert) (hold bool, release *watchers.Alert, err error) {
	if msg.Kind == watchers.KindNew {
		return watchers.PassingOnly(msg.Matches), nil, nil
	}
	root, held, err := tx.RootPost(ctx, msg.ID)
	if errors.Is(err, store.ErrNotFound) || err == nil && !held {
		return false, nil, nil
	}
	if err != nil {
		return false, nil, err
	}
	if len(msg.Matches) == 0 || watchers.PassingOnly(msg.Matches) {
		return true, nil, nil
	}
	released, err := tx.ReleasePost(ctx, root)
	if err != nil || !released {
		return false, nil, err
	}
	return false, &watchers.Alert{ID: msg.ID, PostID: root, Channel: msg.Channel}, nil
}

// postAbout says what makes a message distinct within its alert: the first message is
// one, an edit is one per lifecycle step, a reply one per item and step.
func postAbout(a watchers.Alert) string {
	switch a.Kind {
	case watchers.KindUpdate:
		return string(a.Item.Step)
	case watchers.KindFollowup:
		return a.Item.Source + "|" + a.Item.SeenKey()
	}
	return ""
}

// unmuted returns the alert without the entities (and their matches) that mutes silence.
func unmuted(a watchers.Alert, mutes map[string]watchers.Mute) watchers.Alert {
	if len(mutes) == 0 {
		return a
	}
	out := a
	out.Entities, out.Matches = nil, nil
	for _, en := range a.Entities {
		if !watchers.Muted(mutes, en) {
			out.Entities = append(out.Entities, en)
		}
	}
	for _, m := range a.Matches {
		if !watchers.Muted(mutes, m.Entity) {
			out.Matches = append(out.Matches, m)
		}
	}
	return out
}

// fetchBodies fetches the full text of the items the store has not seen. A failure leaves
// the item with its title and abstract, logged: it is still matched on those.
func (e *engine) fetchBodies(ctx context.Context, source string, bf bodyFetcher, items []watchers.Item) {
	if o, ok := bf.(optionalBodies); ok && !o.FetchesArticles() {
		return
	}
	for i := range items {
		seen, err := e.store.ItemSeen(ctx, items[i].Source, items[i].SeenKey())
		if err != nil || seen {
			continue
		}
		if err := bf.FetchBody(ctx, &items[i]); err != nil && !errors.Is(err, fedreg.ErrNoFullText) {
			e.log.Warn("fetch full text failed; matching title and abstract only", "source", source, "item_id", items[i].ID, "err", err)
		}
	}
}

// schedule enqueues a poll of every due source and sets each one's next poll.
func (e *engine) schedule(ctx context.Context) error {
	now := e.now()
	return e.store.InTx(ctx, func(tx *store.Tx) error {
		due, err := tx.DueSources(ctx, now)
		if err != nil {
			return err
		}
		jobs, err := e.digests(ctx, tx, now)
		if err != nil {
			return err
		}
		reminders, err := e.reminders(ctx, tx, now)
		if err != nil {
			return err
		}
		jobs = append(jobs, reminders...)
		// Platforms retry an event for minutes at most; a day of claims is plenty.
		if err := tx.PurgeClaims(ctx, now.Add(-24*time.Hour)); err != nil {
			return err
		}
		if err := tx.PurgeFingerprints(ctx, now.Add(-nearDuplicateWindow)); err != nil {
			return err
		}
		for _, s := range due {
			next, err := nextPoll(s.Schedule, now)
			if err != nil {
				e.log.Error("bad schedule; retrying in an hour", "source", s.Name, "schedule", s.Schedule, "err", err)
				next = now.Add(time.Hour)
			}
			if err := tx.SetNextPoll(ctx, s.Name, next); err != nil {
				return err
			}
			jobs = append(jobs, river.InsertManyParams{Args: pollArgs{Source: s.Name, Due: s.NextPoll.UnixMilli()}})
		}
		if len(jobs) == 0 {
			return nil
		}
		if _, err := e.client.InsertManyTx(ctx, tx.SQL(), jobs); err != nil {
			return fmt.Errorf("enqueue polls, digests and reminders: %w", err)
		}
		return nil
	})
}

// digests records a digest message for every channel whose digest is due (or which
// turned digests off with messages still held) and returns the jobs that send them.
func (e *engine) digests(ctx context.Context, tx *store.Tx, now time.Time) ([]river.InsertManyParams, error) {
	due, err := tx.DueDigests(ctx, now)
	if err != nil {
		return nil, err
	}
	var jobs []river.InsertManyParams
	for _, d := range due {
		if d = d.Schedule(); d.Mode != watchers.DigestOff {
			next, err := nextDigest(d, now)
			if err != nil {
				e.log.Error("bad digest setting", "channel", d.Channel, "err", err)
				next = now.Add(time.Hour)
			}
			if err := tx.SetNextDigest(ctx, d.Channel, next); err != nil {
				return nil, err
			}
			if d.Next.IsZero() {
				continue // just switched on: the first digest is at the next time
			}
		}
		held, err := tx.HeldPosts(ctx, d.Channel)
		if err != nil || len(held) == 0 {
			if err != nil {
				return nil, err
			}
			continue
		}
		id, err := e.recordDigest(ctx, tx, d.Channel, held, now)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, deliverJob(id, d.Channel))
	}
	return jobs, nil
}

// recordDigest records one digest message carrying the held messages.
func (e *engine) recordDigest(ctx context.Context, tx *store.Tx, channel string, held []int64, now time.Time) (int64, error) {
	var (
		lines  []string
		alerts = map[int64]bool{}
	)
	for _, pid := range held {
		p, err := tx.Post(ctx, pid)
		if err != nil {
			return 0, err
		}
		alerts[p.ID] = true
		lines = append(lines, digestLine(p))
	}
	stamp := now.UTC().Format("2006-01-02 15:04 UTC")
	// A digest's own event: the first message it carries is in no other digest.
	id, err := tx.SaveAlert(ctx, channel, "digest:"+strconv.FormatInt(held[0], 10),
		watchers.Item{Source: "vigil", Title: "Digest " + stamp}, nil, nil, true)
	if err != nil {
		return 0, err
	}
	d := watchers.Alert{
		ID: id, Channel: channel, Kind: watchers.KindDigest,
		Note:    fmt.Sprintf("Digest: %d %s on %d %s, up to %s", len(held), plural(len(held), "message", "messages"), len(alerts), plural(len(alerts), "event", "events"), stamp),
		Summary: strings.Join(lines, "\n"),
	}
	if inserted, err := tx.InsertPost(ctx, &d, ""); err != nil || !inserted {
		if err == nil {
			err = fmt.Errorf("digest of %s from message %d already recorded", channel, held[0])
		}
		return 0, err
	}
	for _, pid := range held {
		if err := tx.MarkDigested(ctx, pid, d.PostID); err != nil {
			return 0, err
		}
	}
	return d.PostID, nil
}

// digestLine is one held message in a digest.
func digestLine(p watchers.Alert) string {
	var b strings.Builder
	switch p.Kind {
	case watchers.KindNew:
		fmt.Fprintf(&b, "• %s", strings.Join(p.Entities, ", "))
		if watchers.PassingOnly(p.Matches) {
			b.WriteString(" (passing mention)")
		}
		fmt.Fprintf(&b, " — %s (%s)", p.Item.Title, p.Item.Source)
	case watchers.KindUpdate:
		fmt.Fprintf(&b, "• Update: %s — %s", p.Note, p.Item.Title)
	default:
		fmt.Fprintf(&b, "• %s", p.Note)
	}
	if p.Item.URL != "" {
		b.WriteString(" " + p.Item.URL)
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// nextDigest is when a channel's next digest is due after now: the next full hour, or the
// next time of day in the channel's zone.
func nextDigest(d watchers.DigestSetting, now time.Time) (time.Time, error) {
	switch d.Mode {
	case watchers.DigestHourly:
		return now.Truncate(time.Hour).Add(time.Hour), nil
	case watchers.DigestDaily:
		loc, err := time.LoadLocation(d.TZ)
		if err != nil {
			return time.Time{}, err
		}
		at, err := time.Parse("15:04", d.At)
		if err != nil {
			return time.Time{}, err
		}
		local := now.In(loc)
		next := time.Date(local.Year(), local.Month(), local.Day(), at.Hour(), at.Minute(), 0, 0, loc)
		if !next.After(now) {
			next = time.Date(local.Year(), local.Month(), local.Day()+1, at.Hour(), at.Minute(), 0, 0, loc)
		}
		return next, nil
	}
	return time.Time{}, fmt.Errorf("digest mode %q has no schedule", d.Mode)
}

// nextPoll is the next run of a cron schedule after now, plus a jitter of at most 10 % of
// the interval and at most a minute, so that sources on the same schedule spread out.
func nextPoll(spec string, now time.Time) (time.Time, error) {
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return time.Time{}, err
	}
	next := sched.Next(now)
	if next.IsZero() {
		return time.Time{}, fmt.Errorf("schedule %q never runs", spec)
	}
	interval := sched.Next(next).Sub(next)
	maxJitter := min(interval/10, time.Minute)
	if maxJitter > 0 {
		next = next.Add(rand.N(maxJitter))
	}
	return next, nil
}

// errRootPending is a reply or edit whose alert's first message is not delivered yet.
var errRootPending = errors.New("the alert's first message is not delivered yet")

// deliver sends one recorded message, once: a delivery already recorded is not sent again.
// Edits and thread replies go to the platform's reference of the alert's first message.
func (e *engine) deliver(ctx context.Context, postID int64) (platform string, err error) {
	if _, err := e.store.Delivery(ctx, postID); err == nil {
		return "", nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	var a watchers.Alert
	a, err = e.store.Post(ctx, postID)
	if errors.Is(err, store.ErrNotFound) {
		return platform, fmt.Errorf("message %d: %w", postID, errPermanent)
	}
	if err != nil {
		return platform, err
	}
	platform, _, _ = strings.Cut(a.Channel, ":")
	chat, ok := e.chat(platform)
	if !ok {
		return platform, fmt.Errorf("no %s chat is configured for channel %s: %w", platform, a.Channel, errPermanent)
	}
	msg := bot.Render(a)
	if a.Kind == watchers.KindUpdate || a.Kind == watchers.KindFollowup {
		root, err := e.store.RootRef(ctx, a.ID)
		if errors.Is(err, store.ErrNotFound) {
			return platform, fmt.Errorf("message %d: %w", postID, errRootPending)
		}
		if err != nil {
			return platform, err
		}
		if digest, ok := strings.CutPrefix(root, digestRefPrefix); ok {
			// The first message went out in a digest: say what changed in the digest's thread.
			msg = bot.Render(asFollowup(a))
			msg.ThreadOf = digest
		} else if a.Kind == watchers.KindUpdate {
			msg.EditOf = root
		} else {
			msg.ThreadOf = root
		}
	}
	if msg.Undecided, err = e.undecided(ctx, a, msg); err != nil {
		return platform, err
	}
	var ref string
	ref, err = chat.Send(ctx, a.Channel, msg)
	if err != nil {
		return platform, fmt.Errorf("deliver message %d of alert %d to %s: %w", postID, a.ID, a.Channel, err)
	}
	if err := e.store.RecordDelivery(ctx, postID, a.Channel, ref); err != nil {
		return platform, err
	}
	e.met.deliveryLatency.WithLabelValues(platform).Observe(e.now().Sub(a.CreatedAt).Seconds())
	if a.Kind == watchers.KindDigest {
		// The messages a digest carried are delivered with it; later edits and replies
		// about them go to the digest's thread.
		parts, err := e.store.DigestParts(ctx, postID)
		if err != nil {
			return platform, err
		}
		for _, p := range parts {
			if err := e.store.RecordDelivery(ctx, p, a.Channel, digestRefPrefix+ref); err != nil {
				return platform, err
			}
		}
	}
	return platform, nil
}

// digestRefPrefix marks the recorded delivery of a message that went out in a digest.
const digestRefPrefix = "digest:"

// asFollowup turns an update into a thread reply saying what changed.
func asFollowup(a watchers.Alert) watchers.Alert {
	a.Kind = watchers.KindFollowup
	if a.Note == "" {
		a.Note = "Updated"
	}
	return a
}

// service is the conversation on this engine's store.
func (e *engine) service() *bot.Service {
	d := bot.Deps{
		Watches: e.store, Mutes: e.store, Digests: e.store, Sources: e.store, Alerts: e.store,
		Preview: e, Resolve: e, SourceAdm: e, Triage: e, SLAs: e, Log: e.log, Now: e.now,
	}
	for _, cs := range e.cfg.Sources {
		if cs.Type == watchers.SourceFederalRegister {
			d.Documents = e
		}
	}
	return bot.NewService(d)
}

// previewWindow and previewScan bound the search for recent items a new watch would
// have matched.
const (
	previewWindow = 30 * 24 * time.Hour
	previewScan   = 5000
)

// Preview returns up to n items seen in the last 30 days whose title or abstract a watch
// matches, newest first.
func (e *engine) Preview(ctx context.Context, w watchers.Watch, n int) ([]watchers.Item, error) {
	items, err := e.store.RecentItems(ctx, e.now().Add(-previewWindow).UnixMilli(), previewScan)
	if err != nil {
		return nil, err
	}
	m := match.New([]watchers.Watch{w})
	var out []watchers.Item
	for _, it := range items {
		if len(out) == n {
			break
		}
		if len(m.Match(it)) > 0 {
			out = append(out, it)
		}
	}
	return out, nil
}

// Resolve finds the watched entity a free-text question names, with the same matcher the
// pipeline uses.
func (e *engine) Resolve(ctx context.Context, text string) (string, bool, error) {
	m, err := e.currentMatcher(ctx)
	if err != nil {
		return "", false, err
	}
	ms := m.Match(watchers.Item{Title: text})
	if len(ms) == 0 {
		return "", false, nil
	}
	return ms[0].Entity, true, nil
}

// aliasesOf returns known followed by the aliases of matches not among them.
func aliasesOf(matches []watchers.Match, known []string) []string {
	out := slices.Clone(known)
	for _, m := range matches {
		if !slices.Contains(out, m.Alias) {
			out = append(out, m.Alias)
		}
	}
	return out
}

// materialChange says what changed enough for a cleared alert to be reviewed again: a new
// lifecycle step of the document, or an alias not matched before; "" if nothing did.
func materialChange(prev *watchers.AlertState, msgs []watchers.Alert, aliases []string) string {
	for _, m := range msgs {
		if m.Kind == watchers.KindUpdate {
			return "the document moved on: " + strings.ToLower(watchers.StepNote(m.Item))
		}
	}
	for _, a := range aliases {
		if !slices.Contains(prev.Aliases, a) {
			return fmt.Sprintf("newly matched alias %q", a)
		}
	}
	return ""
}
