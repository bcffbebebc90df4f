package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/vigilbot/vigil/bot"
	"github.com/vigilbot/vigil/store"
)

// scheduleArgs is the leader's periodic look for due sources.
type scheduleArgs struct{}

func (scheduleArgs) Kind() string { return "schedule" }

func (scheduleArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByPeriod: time.Second}}
}

// pollArgs polls one source once; unique per source and due time. Two polls of one
// source never run at once: the second finds the first's lease and ends (pollWorker), so
// a source that hangs holds one worker, and a poll a killed replica left "running"
// blocks nothing (its lease went with its process).
type pollArgs struct {
	Source string `json:"source"`
	Due    int64  `json:"due"` // Unix ms of the next_poll it was due at
}

func (pollArgs) Kind() string { return "poll_source" }

func (pollArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, Queue: pollQueue, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// pollQueue holds polls, apart from deliveries and the schedule in River's default
// queue: feeds that hang until their fetch timeout then never delay an alert or the
// next look for due sources.
const pollQueue = "poll"

// matrixQueue holds Matrix deliveries: only the process running the Matrix client (its
// encryption device) may work them.
const matrixQueue = "matrix"

// deliverJob is the job that sends a recorded message to its channel.
func deliverJob(postID int64, channel string) river.InsertManyParams {
	p := river.InsertManyParams{Args: deliverArgs{PostID: postID}}
	if strings.HasPrefix(channel, "matrix:") {
		opts := deliverArgs{}.InsertOpts()
		opts.Queue = matrixQueue
		p.InsertOpts = &opts
	}
	return p
}

// deliverArgs sends one recorded alert message; unique per message.
type deliverArgs struct {
	PostID int64 `json:"post_id"`
}

func (deliverArgs) Kind() string { return "deliver" }

func (deliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 25, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

type scheduleWorker struct {
	river.WorkerDefaults[scheduleArgs]
	e *engine
}

func (w *scheduleWorker) Work(ctx context.Context, _ *river.Job[scheduleArgs]) error {
	return w.e.schedule(ctx)
}

type pollWorker struct {
	river.WorkerDefaults[pollArgs]
	e *engine
}

// pollTimeout bounds one poll: a Federal Register backfill at its self-imposed rate limits
// is the longest.
const pollTimeout = 10 * time.Minute

func (w *pollWorker) Timeout(*river.Job[pollArgs]) time.Duration { return pollTimeout }

func (w *pollWorker) Work(ctx context.Context, job *river.Job[pollArgs]) error {
	release, ok, err := w.e.store.TryLease(ctx, "poll."+job.Args.Source)
	if err != nil {
		return err
	}
	if !ok {
		w.e.log.Debug("a poll of this source is still running; skipping this one", "source", job.Args.Source)
		return nil
	}
	defer release()
	_, err = w.e.poll(ctx, job.Args.Source, false, false)
	var se *sourceError
	switch {
	case errors.As(err, &se):
		// The source's fault is in its health; its schedule polls it again.
		return nil
	case errors.Is(err, store.ErrNotFound):
		// The source was removed after the poll was enqueued.
		return nil
	}
	return err
}

type deliverWorker struct {
	river.WorkerDefaults[deliverArgs]
	e *engine
}

func (w *deliverWorker) Work(ctx context.Context, job *river.Job[deliverArgs]) error {
	platform, err := w.e.deliver(ctx, job.Args.PostID)
	var later *bot.RetryAfterError
	result := resultOK
	defer func() {
		if platform == "" {
			platform = "unknown"
		}
		w.e.met.deliveries.WithLabelValues(platform, result).Inc()
	}()
	switch {
	case errors.Is(err, errPermanent), errors.Is(err, bot.ErrPermanent):
		result = resultPermanent
		w.e.log.Error("alert message cannot be delivered", "post_id", job.Args.PostID, "err", err)
		if rerr := w.e.reportUndeliverable(ctx, job.Args.PostID, err); rerr != nil {
			w.e.log.Error("reporting an undeliverable channel failed", "post_id", job.Args.PostID, "err", rerr)
		}
		return river.JobCancel(err)
	case errors.Is(err, errRootPending):
		// Wait for the first message without spending an attempt.
		result = resultRetry
		return river.JobSnooze(2 * time.Second)
	case errors.As(err, &later):
		result = resultRateLimited
		w.e.log.Warn("chat platform asked to retry later", "post_id", job.Args.PostID, "retry_after", later.After)
		return river.JobSnooze(max(later.After, time.Second))
	case err != nil:
		result = resultRetry
		w.e.log.Warn("delivery failed; will retry", "post_id", job.Args.PostID, "attempt", job.Attempt, "err", err)
	}
	return err
}

// jobDriver is River's driver for the store's database, always through database/sql so
// that the client is one river.Client[*sql.Tx] whatever the dialect.
func (e *engine) jobDriver() riverdriver.Driver[*sql.Tx] {
	if e.store.Dialect() == store.Postgres {
		return riverdatabasesql.New(e.store.DB())
	}
	return riversqlite.New(e.store.DB())
}

// migrateJobs applies River's own migrations to the shared database.
func (e *engine) migrateJobs(ctx context.Context) error {
	m, err := rivermigrate.New(e.jobDriver(), &rivermigrate.Config{Logger: quiet(e.log)})
	if err != nil {
		return fmt.Errorf("job engine migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate job engine: %w", err)
	}
	return nil
}

// Workers of the poll queue and of the default queue (deliveries and the schedule).
// Both kinds of job mostly wait (on a feed's host, a chat platform, their turn at the
// database), and River fetches at most MaxWorkers jobs of a queue per FetchCooldown
// (50 ms): 4 and 2 capped a process at 80 polls and 40 deliveries a second, fewer polls
// than 5,000 feeds on a 1-minute schedule need (83 a second), and a minute and a half to
// deliver a first cycle's 4,000 alerts (docs/PERFORMANCE.md).
const (
	pollWorkers    = 32
	deliverWorkers = 32
)

// newClient builds the job engine on the store's database. withSchedule adds the
// periodic schedule job (the daemon); one-shot commands leave it out.
func (e *engine) newClient(withSchedule bool) (*river.Client[*sql.Tx], error) {
	workers := river.NewWorkers()
	river.AddWorker(workers, &scheduleWorker{e: e})
	river.AddWorker(workers, &pollWorker{e: e})
	river.AddWorker(workers, &deliverWorker{e: e})
	queues := map[string]river.QueueConfig{
		river.QueueDefault: {MaxWorkers: deliverWorkers},
		pollQueue:          {MaxWorkers: pollWorkers},
	}
	if e.cfg.Matrix != nil && e.store.Dialect() == store.SQLite {
		// One process: it runs the Matrix client. On PostgreSQL the queue is added by the
		// replica that takes the Matrix lease.
		queues[matrixQueue] = river.QueueConfig{MaxWorkers: 2}
	}
	cfg := &river.Config{
		ID:      replicaID(),
		Logger:  quiet(e.log),
		Workers: workers,
		Queues:  queues,
		// River's defaults suit PostgreSQL's LISTEN/NOTIFY; SQLite is polled, so poll often.
		FetchCooldown:     50 * time.Millisecond,
		FetchPollInterval: 200 * time.Millisecond,
		// A job left running by a killed process is rescued once it has run longer than
		// this and than its own timeout (River checks both), so a delivery a replica was
		// making when it died is retried about two minutes later, while a poll (with its
		// longer timeout) is never taken from a live process.
		JobTimeout:           time.Minute,
		RescueStuckJobsAfter: time.Minute + 15*time.Second,
	}
	if withSchedule {
		cfg.PeriodicJobs = []*river.PeriodicJob{river.NewPeriodicJob(
			river.PeriodicInterval(e.every),
			func() (river.JobArgs, *river.InsertOpts) { return scheduleArgs{}, nil },
			&river.PeriodicJobOpts{ID: "schedule", RunOnStart: true},
		)}
	}
	client, err := river.NewClient(e.jobDriver(), cfg)
	if err != nil {
		return nil, fmt.Errorf("job engine: %w", err)
	}
	if withSchedule {
		e.log.Info("job engine replica id", "replica_id", cfg.ID)
	}
	e.client = client
	return client, nil
}

// replicaID names this process in the job engine (river_leader.leader_id names the
// leader), so that an operator can tell which replica leads: host-pid.
func replicaID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "vigil"
	}
	return fmt.Sprintf("%.80s-%d", host, os.Getpid())
}

// quiet is the engine's logger for River: River's routine messages are debug detail to
// Vigil's operators, so only its warnings and errors pass.
func quiet(l *slog.Logger) *slog.Logger {
	return slog.New(minLevel{min: slog.LevelWarn, Handler: l.Handler()})
}

type minLevel struct {
	min slog.Level
	slog.Handler
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{min: h.min, Handler: h.Handler.WithAttrs(as)}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{min: h.min, Handler: h.Handler.WithGroup(name)}
}
