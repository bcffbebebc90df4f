package chaos

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/vigilbot/vigil/store"
)

// Reading the database explains a missing alert: was the item recorded, its message,
// its delivery, and where is its deliver job? River's tables are read directly, as the
// harness has no other window on them.
const (
	sqlItemSeen  = `SELECT COUNT(*) FROM seen_items WHERE source = 'news' AND identity = 'guid:' || ?`
	sqlItemPosts = `SELECT p.id, EXISTS (SELECT 1 FROM deliveries d WHERE d.post_id = p.id)
FROM posts p JOIN alerts a ON a.id = p.alert_id WHERE a.channel = 'console:main' AND a.event_key LIKE ?`
	sqlPostJobs        = `SELECT state FROM river_job WHERE kind = 'deliver' AND json_extract(args, '$.post_id') = ?`
	sqlStuckJobs       = `SELECT kind, COUNT(*) FROM river_job WHERE state = 'running' GROUP BY kind`
	sqlRescued         = `SELECT kind, COUNT(*) FROM river_job WHERE json(errors) LIKE '%Stuck job rescued%' GROUP BY kind`
	sqlStaleDeliveries = `SELECT COUNT(*) FROM river_job WHERE kind = 'deliver' AND state = 'running'
AND attempted_at < strftime('%Y-%m-%d %H:%M:%f', 'now', '-30 seconds')`
	// The deliver jobs a kill interrupted (left running, or rescued since), with their
	// errors and when their message's delivery was recorded.
	sqlInterruptedDeliveries = `SELECT j.state, json(j.errors), COALESCE(d.delivered_at, 0)
FROM river_job j LEFT JOIN deliveries d ON d.post_id = json_extract(j.args, '$.post_id')
WHERE j.kind = 'deliver' AND (j.state = 'running' OR json(j.errors) LIKE '%Stuck job rescued%')`
)

// itemState is where one item got to in the database.
type itemState struct {
	seen      bool
	posts     int
	delivered bool
	jobs      []string // the states of its deliver jobs
}

// pending: recorded, not delivered, with a deliver job still to run (or running).
func (s itemState) pending() bool {
	return s.posts > 0 && !s.delivered && slices.ContainsFunc(s.jobs, func(j string) bool {
		switch j {
		case "available", "running", "retryable", "scheduled", "pending":
			return true
		}
		return false
	})
}

// soon: the running process will still deliver it, or has not yet recorded it. Only a
// job left running by a killed process waits for River's rescue.
func (s itemState) soon() bool {
	if !s.seen || s.posts == 0 {
		return true
	}
	return !s.delivered && slices.ContainsFunc(s.jobs, func(j string) bool { return j != "running" && j != "completed" && j != "discarded" && j != "cancelled" })
}

func (s itemState) String() string {
	return fmt.Sprintf("seen=%v messages=%d delivered=%v jobs=%v", s.seen, s.posts, s.delivered, s.jobs)
}

// inspect reads the state of the given items. It may run while the daemon runs.
func inspect(ctx context.Context, dbPath string, ids []string) (map[string]itemState, error) {
	st, err := store.Open(ctx, "sqlite://"+dbPath)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return inspectItems(ctx, st.DB(), itemQueries{
		seen: sqlItemSeen, posts: sqlItemPosts, jobs: sqlPostJobs,
		postsArgs: func(pattern string) []any { return []any{pattern} },
	}, ids)
}

// itemQueries are one dialect's queries for inspectItems.
type itemQueries struct {
	seen, posts, jobs string
	postsArgs         func(pattern string) []any // the arguments of posts, given the event key pattern
}

// inspectItems reads where each item got to: seen, its messages, delivered, its jobs.
func inspectItems(ctx context.Context, db *sql.DB, q itemQueries, ids []string) (map[string]itemState, error) {
	out := make(map[string]itemState, len(ids))
	for _, id := range ids {
		var s itemState
		var n int
		if err := db.QueryRowContext(ctx, q.seen, id).Scan(&n); err != nil {
			return nil, err
		}
		s.seen = n > 0
		rows, err := db.QueryContext(ctx, q.posts, q.postsArgs("%/"+id)...)
		if err != nil {
			return nil, err
		}
		var posts []int64
		for rows.Next() {
			var pid int64
			var delivered bool
			if err := rows.Scan(&pid, &delivered); err != nil {
				rows.Close()
				return nil, err
			}
			posts = append(posts, pid)
			s.delivered = s.delivered || delivered
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		s.posts = len(posts)
		for _, pid := range posts {
			jobs, err := strings1(ctx, db, q.jobs, pid)
			if err != nil {
				return nil, err
			}
			s.jobs = append(s.jobs, jobs...)
		}
		out[id] = s
	}
	return out, nil
}

func strings1(ctx context.Context, db *sql.DB, q string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// staleDeliveries counts deliver jobs running for over 30 s: none of this process's
// deliveries takes that long, so these are a killed process's, waiting for River's
// rescue.
func staleDeliveries(ctx context.Context, dbPath string) (int, error) {
	st, err := store.Open(ctx, "sqlite://"+dbPath)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	var n int
	err = st.DB().QueryRowContext(ctx, sqlStaleDeliveries).Scan(&n)
	return n, err
}

// Interrupted counts the jobs that killed processes left running.
type Interrupted struct {
	ByKind  map[string]int // left running, or rescued by River since, by kind
	Rescued int            // of those, rescued by River before the end of the run
	// The interrupted deliveries by when their message was recorded as delivered.
	SentBeforeKill int // before the kill: it came between the send's record and River's completion
	SentByRescue   int // after the rescue: it came before the record (the alert was late, or sent twice)
	Unsent         int // not yet
}

// interruptedJobs reads the job queue for the jobs that killed processes left behind.
func interruptedJobs(ctx context.Context, dbPath string) (Interrupted, error) {
	in := Interrupted{ByKind: map[string]int{}}
	st, err := store.Open(ctx, "sqlite://"+dbPath)
	if err != nil {
		return in, err
	}
	defer st.Close()
	for i, q := range []string{sqlStuckJobs, sqlRescued} {
		rows, err := st.DB().QueryContext(ctx, q)
		if err != nil {
			return in, err
		}
		for rows.Next() {
			var kind string
			var n int
			if err := rows.Scan(&kind, &n); err != nil {
				rows.Close()
				return in, err
			}
			in.ByKind[kind] += n
			if i == 1 {
				in.Rescued += n
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return in, err
		}
	}
	rows, err := st.DB().QueryContext(ctx, sqlInterruptedDeliveries)
	if err != nil {
		return in, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			state     string
			errs      sql.NullString
			delivered int64
		)
		if err := rows.Scan(&state, &errs, &delivered); err != nil {
			return in, err
		}
		var attempts []struct {
			At    time.Time `json:"at"`
			Error string    `json:"error"`
		}
		if errs.Valid {
			_ = json.Unmarshal([]byte(errs.String), &attempts)
		}
		var rescued time.Time
		for _, a := range attempts {
			if strings.Contains(a.Error, "Stuck job rescued") {
				rescued = a.At
				break
			}
		}
		switch {
		case delivered == 0:
			in.Unsent++
		case rescued.IsZero() || time.UnixMilli(delivered).Before(rescued):
			in.SentBeforeKill++
		default:
			in.SentByRescue++
		}
	}
	return in, rows.Err()
}

// Percentiles summarise durations.
type Percentiles struct {
	N                  int
	Min, P50, P90, Max time.Duration
}

func percentiles(ds []time.Duration) Percentiles {
	if len(ds) == 0 {
		return Percentiles{}
	}
	s := slices.Clone(ds)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	at := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))] }
	return Percentiles{N: len(s), Min: s[0], P50: at(0.5), P90: at(0.9), Max: s[len(s)-1]}
}

func (p Percentiles) String() string {
	if p.N == 0 {
		return "n/a"
	}
	r := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	return fmt.Sprintf("min %s, median %s, p90 %s, max %s (n=%d)", r(p.Min), r(p.P50), r(p.P90), r(p.Max), p.N)
}
