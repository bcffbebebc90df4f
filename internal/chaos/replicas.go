package chaos

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the harness reads river_leader and the queue
)

// The cluster reads, from outside, who leads and where an item got to. River keeps its
// leader in river_leader; Vigil names each replica host-pid (app/jobs.go).
const (
	sqlLeader      = `SELECT leader_id FROM river_leader WHERE expires_at > now()`
	sqlPGItemSeen  = `SELECT COUNT(*) FROM seen_items WHERE identity = 'guid:' || $1`
	sqlPGItemPosts = `SELECT p.id, EXISTS (SELECT 1 FROM deliveries d WHERE d.post_id = p.id)
FROM posts p JOIN alerts a ON a.id = p.alert_id WHERE a.channel = $1 AND a.event_key LIKE $2`
	sqlPGPostJobs = `SELECT state::text FROM river_job WHERE kind = 'deliver' AND (args->>'post_id')::bigint = $1`
	// The polls still marked running, and the replicas that took them.
	sqlRunningPolls = `SELECT args->>'source', COALESCE(attempted_by[array_length(attempted_by, 1)], '')
FROM river_job WHERE kind = 'poll_source' AND state = 'running' ORDER BY 1`
)

// Replica is one `vigil run` of a cluster, with its own output.
type Replica struct {
	*Daemon
	N         int // 1, 2, …: the order they were started in
	Out, Errs *Lines
}

// Cluster is several `vigil run` replicas of one configuration on one PostgreSQL
// database. Each replica's terminal chat prints the alerts it delivers: the union of
// their outputs is the channel.
type Cluster struct {
	Binary, Config string
	Replicas       []*Replica
	db             *sql.DB
	env            []string // of every vigil process
}

// ConfigURL is the database URL to write in a cluster's configuration, and the
// environment its processes need: the password moves to PGPASSWORD. A password in the
// configuration is a secret that Vigil redacts from its logs, and a short one such as a
// test server's "vigil" would blank out ordinary words, "vigil started" among them.
func ConfigURL(dbURL string) (string, []string, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return "", nil, fmt.Errorf("database URL: %w", err)
	}
	pw, ok := u.User.Password()
	if !ok {
		return dbURL, nil, nil
	}
	u.User = url.User(u.User.Username())
	return u.String(), []string{"PGPASSWORD=" + pw}, nil
}

// StartCluster starts n replicas at once (they migrate the empty database together) and
// waits until each has started.
// The configuration names the database as ConfigURL(dbURL) does.
func StartCluster(ctx context.Context, binary, config, dbURL string, n int) (*Cluster, error) {
	_, env, err := ConfigURL(dbURL)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		return nil, err
	}
	c := &Cluster{Binary: binary, Config: config, db: db, env: env}
	for i := 1; i <= n; i++ {
		r := &Replica{N: i, Out: NewLines(), Errs: NewLines()}
		if r.Daemon, err = StartDaemon(binary, config, r.Out, r.Errs, env...); err != nil {
			c.Close()
			return nil, err
		}
		c.Replicas = append(c.Replicas, r)
	}
	for _, r := range c.Replicas {
		if err := r.WaitStarted(time.Minute); err != nil {
			c.Close()
			return nil, fmt.Errorf("replica %d: %w\n%s", r.N, err, tailOf(r.Errs, 20))
		}
	}
	return c, nil
}

// Close kills every replica still running and closes the database handle.
func (c *Cluster) Close() {
	for _, r := range c.Replicas {
		if r.Alive() {
			r.Kill()
		}
	}
	c.db.Close()
}

// Stop stops every replica still running with SIGTERM; it returns the failures to stop
// cleanly.
func (c *Cluster) Stop(grace time.Duration) []string {
	var (
		mu   sync.Mutex
		errs []string
		wg   sync.WaitGroup
	)
	for _, r := range c.Alive() {
		wg.Go(func() {
			if err := r.Stop(grace); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Sprintf("replica %d (pid %d): %v", r.N, r.PID(), err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errs
}

// Sources runs `vigil sources` on the cluster's database.
func (c *Cluster) Sources(ctx context.Context) (map[string]SourceHealth, error) {
	return sources(ctx, c.Binary, c.Config, c.env)
}

// Alive returns the replicas still running.
func (c *Cluster) Alive() []*Replica {
	var out []*Replica
	for _, r := range c.Replicas {
		if r.Alive() {
			out = append(out, r)
		}
	}
	return out
}

func (c *Cluster) byPID(pid int) *Replica {
	for _, r := range c.Replicas {
		if r.PID() == pid {
			return r
		}
	}
	return nil
}

// Leader is the running replica that river_leader names, or nil when none does (no
// leader yet, or a dead one whose leadership has not expired).
func (c *Cluster) Leader(ctx context.Context) (*Replica, error) {
	var id string
	err := c.db.QueryRowContext(ctx, sqlLeader).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read river_leader: %w", err)
	}
	i := strings.LastIndexByte(id, '-')
	pid, err := strconv.Atoi(id[i+1:])
	if i < 0 || err != nil {
		return nil, fmt.Errorf("river_leader names %q, not host-pid: is the replica id set (app/jobs.go)?", id)
	}
	if r := c.byPID(pid); r != nil && r.Alive() {
		return r, nil
	}
	return nil, nil
}

// WaitLeader waits up to limit for a running replica to lead.
func (c *Cluster) WaitLeader(ctx context.Context, limit time.Duration) (*Replica, error) {
	var l *Replica
	err := waitForEvery(ctx, limit, 100*time.Millisecond, func() (bool, error) {
		var err error
		l, err = c.Leader(ctx)
		return l != nil, err
	})
	return l, err
}

// Owner is the running replica that sent r, found by its connection.
func (c *Cluster) Owner(r *http.Request) (*Replica, error) {
	local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if local == nil {
		return nil, errors.New("the request does not say which address it reached")
	}
	var pids []int
	for _, rep := range c.Alive() {
		pids = append(pids, rep.PID())
	}
	pid, err := connOwner(r.RemoteAddr, local.String(), pids)
	if err != nil {
		return nil, err
	}
	return c.byPID(pid), nil
}

// Tally counts, over every replica's output, the alerts in channel naming each item.
func (c *Cluster) Tally(channel string, prefixes []string) (count map[string]int, first map[string]time.Time) {
	count, first = map[string]int{}, map[string]time.Time{}
	for _, r := range c.Replicas {
		alerts := Alerts(r.Out.Snapshot())
		for _, p := range prefixes {
			n, f := Tally(alerts, channel, p)
			for id, k := range n {
				count[id] += k
				if t, ok := first[id]; !ok || f[id].Before(t) {
					first[id] = f[id]
				}
			}
		}
	}
	return count, first
}

// inspect reads where the given items got to in the database, for one channel.
func (c *Cluster) inspect(ctx context.Context, channel string, ids []string) (map[string]itemState, error) {
	return inspectItems(ctx, c.db, itemQueries{
		seen: sqlPGItemSeen, posts: sqlPGItemPosts, jobs: sqlPGPostJobs,
		postsArgs: func(pattern string) []any { return []any{channel, pattern} },
	}, ids)
}

// FailoverOptions configure a fail-over run: replicas on one database, the leader killed
// with SIGKILL while it polls.
type FailoverOptions struct {
	Binary      string
	Dir         string // a fresh directory for the config
	DatabaseURL string // a fresh PostgreSQL database
	Replicas    int    // default 2
	Kills       int    // leader kills, one after the other (default 1; at most Replicas-1)
	Seed        uint64 // 0: from the clock

	// Sources is the number of feeds, each on its own loopback server (default
	// 2×Replicas): every schedule tick polls them all, so the leader soon polls one.
	Sources int
	// ItemEvery is how often each feed gains an item (default 1 s); about one in
	// MatchEvery matches the watch (default 2).
	ItemEvery  time.Duration
	MatchEvery int
	// KillWindow: the kill lands 300 ms plus up to KillWindow (default 1 s) after the
	// leader's held poll request arrived, when that tick's other polls have started.
	KillWindow time.Duration
	// Settle is how long the feeds keep publishing after polling resumed (default 8 s).
	Settle time.Duration
	// Drain bounds the wait, once the feeds stop, for every matching item's alert
	// (default 60 s). WaitForRescue waits, within Drain, for the deliveries a kill left
	// running too (River rescues them after its RescueStuckJobsAfter).
	Drain         time.Duration
	WaitForRescue bool

	Log io.Writer
}

func (o *FailoverOptions) defaults() {
	if o.Replicas <= 0 {
		o.Replicas = 2
	}
	if o.Kills <= 0 {
		o.Kills = 1
	}
	o.Kills = min(o.Kills, o.Replicas-1)
	if o.Seed == 0 {
		o.Seed = uint64(time.Now().UnixNano())
	}
	if o.Sources <= 0 {
		o.Sources = 2 * o.Replicas
	}
	o.Sources = min(o.Sources, 9) // prefixes ha1…ha9 stay distinct
	if o.ItemEvery <= 0 {
		o.ItemEvery = time.Second
	}
	if o.MatchEvery <= 0 {
		o.MatchEvery = 2
	}
	if o.KillWindow <= 0 {
		o.KillWindow = time.Second
	}
	if o.Settle <= 0 {
		o.Settle = 8 * time.Second
	}
	if o.Drain <= 0 {
		o.Drain = time.Minute
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
}

// LeaderKill is one SIGKILL of the leader in the middle of a poll.
type LeaderKill struct {
	N         int
	Leader    int           // the killed replica's pid
	Source    string        // whose poll request the leader was making
	Offset    time.Duration // from that request's arrival to the kill
	Survivors int
	// From the kill: river_leader names a survivor; the feeds get their first request
	// (polling resumes); every feed has been polled again.
	Elected, Resumed, AllPolled time.Duration
	NewLeader                   int
}

// FailoverResult is what a fail-over run measured.
type FailoverResult struct {
	Replicas, Sources int
	Seed              uint64
	Kills             []LeaderKill
	Duration          time.Duration

	Items, Matching, Alerted int
	Lost                     []string // matching items never alerted and not queued to be
	Queued                   []string // recorded, their delivery still queued (a rescue to come)
	Injected                 []string // non-matching items alerted
	Duplicates               int      // alerts beyond the first for an item, over all replicas
	DuplicateItems           []string
	PrintedBy                map[int]int // alerts printed, by replica number

	Failures   []string
	StderrTail []string
}

// Failover starts o.Replicas replicas on one database with o.Sources feeds, waits for
// the baseline, lets the feeds publish, then o.Kills times: holds the next poll request
// the leader makes, kills the leader with SIGKILL while it is held, and measures how soon
// another replica leads and polling resumes. At the end it checks that every matching
// item was alerted, across the survivors' outputs, and counts duplicates.
func Failover(ctx context.Context, o FailoverOptions) (*FailoverResult, error) {
	o.defaults()
	start := time.Now()
	res := &FailoverResult{Replicas: o.Replicas, Sources: o.Sources, Seed: o.Seed, PrintedBy: map[int]int{}}
	rng := rand.New(rand.NewPCG(o.Seed, 3))
	var (
		streams  []*Stream
		prefixes []string
		srcYAML  strings.Builder
	)
	for i := 1; i <= o.Sources; i++ {
		p := fmt.Sprintf("ha%d", i)
		s := NewStream(p, o.Seed+uint64(i))
		defer s.Close()
		s.ShortLeads()
		streams, prefixes = append(streams, s), append(prefixes, p)
		fmt.Fprintf(&srcYAML, "  - name: news-%d\n    type: feed\n    url: %s\n    schedule: \"@every 1s\"\n", i, s.URL())
	}
	dbURL, _, err := ConfigURL(o.DatabaseURL)
	if err != nil {
		return nil, err
	}
	config := filepath.Join(o.Dir, "vigil.yaml")
	yaml := fmt.Sprintf("database:\n  url: %s\nsources:\n%schannels:\n  - id: console:main\n    watches:\n%s",
		dbURL, srcYAML.String(), watchYAML)
	if err := os.WriteFile(config, []byte(yaml), 0o600); err != nil {
		return nil, err
	}
	c, err := StartCluster(ctx, o.Binary, config, o.DatabaseURL, o.Replicas)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	defer func() { res.StderrTail = c.stderrTail(30) }()

	if err := waitForEvery(ctx, time.Minute, 300*time.Millisecond, func() (bool, error) {
		srcs, err := c.Sources(ctx)
		if err != nil {
			return false, err
		}
		for i := 1; i <= o.Sources; i++ {
			if !srcs[fmt.Sprintf("news-%d", i)].Baselined {
				return false, nil
			}
		}
		return true, nil
	}); err != nil {
		return res, fmt.Errorf("waiting for the baseline of every feed: %w", err)
	}
	for _, s := range streams {
		s.Start(o.ItemEvery, o.MatchEvery)
	}
	fmt.Fprintf(o.Log, "failover: %d replicas, %d feeds baselined; publishing\n", o.Replicas, o.Sources)

	for n := 1; n <= o.Kills; n++ {
		// At least 300 ms in: the other polls of the leader's tick have started by then, so
		// a poll after the kill is a new tick's.
		offset := 300*time.Millisecond + time.Duration(rng.Int64N(int64(o.KillWindow)))
		k, err := c.killLeaderMidPoll(ctx, streams, offset)
		if err != nil {
			return res, fmt.Errorf("kill %d: %w", n, err)
		}
		k.N = n
		res.Kills = append(res.Kills, k)
		fmt.Fprintf(o.Log, "failover: kill %d: leader pid %d killed %s into its poll of %s; new leader after %s, polling resumed after %s, every feed polled after %s\n",
			n, k.Leader, k.Offset.Round(time.Millisecond), k.Source, k.Elected.Round(time.Millisecond), k.Resumed.Round(time.Millisecond), k.AllPolled.Round(time.Millisecond))
	}
	if err := sleepUntil(ctx, time.Now().Add(o.Settle)); err != nil {
		return res, err
	}
	for _, s := range streams {
		s.Stop()
	}
	stopped := time.Now()

	var matching []string
	isMatching := map[string]bool{}
	for _, s := range streams {
		for _, it := range s.Items() {
			res.Items++
			if it.Matching {
				matching = append(matching, it.ID)
				isMatching[it.ID] = true
			}
		}
	}
	res.Matching = len(matching)
	missing := func() []string {
		count, _ := c.Tally("console:main", prefixes)
		var m []string
		for _, id := range matching {
			if count[id] == 0 {
				m = append(m, id)
			}
		}
		return m
	}
	fmt.Fprintf(o.Log, "failover: feeds stopped at %d items (%d matching); draining\n", res.Items, res.Matching)
	for {
		left := missing()
		if len(left) == 0 {
			break
		}
		if time.Since(stopped) > o.Drain {
			break
		}
		if len(c.Alive()) == 0 {
			res.Failures = append(res.Failures, "every replica exited while draining")
			break
		}
		if !o.WaitForRescue && time.Since(stopped) > 15*time.Second {
			// Three ticks after the stop, what is missing either waits on a survivor or
			// on River's rescue of a killed replica's delivery.
			states, err := c.inspect(ctx, "console:main", left)
			if err == nil && !slices.ContainsFunc(left, func(id string) bool { return states[id].soon() }) {
				break
			}
		}
		if err := sleepUntil(ctx, time.Now().Add(500*time.Millisecond)); err != nil {
			return res, err
		}
	}
	res.Failures = append(res.Failures, c.Stop(30*time.Second)...)

	count, _ := c.Tally("console:main", prefixes)
	for _, id := range matching {
		if count[id] > 0 {
			res.Alerted++
		}
		if count[id] > 1 {
			res.Duplicates += count[id] - 1
			res.DuplicateItems = append(res.DuplicateItems, fmt.Sprintf("%s×%d", id, count[id]))
		}
	}
	for id := range count {
		if !isMatching[id] {
			res.Injected = append(res.Injected, id)
		}
	}
	slices.Sort(res.Injected)
	for _, r := range c.Replicas {
		res.PrintedBy[r.N] = len(Alerts(r.Out.Snapshot()))
	}
	states, err := c.inspect(ctx, "console:main", matching)
	if err != nil {
		return res, fmt.Errorf("inspect the database: %w", err)
	}
	for _, id := range matching {
		switch st := states[id]; {
		case count[id] == 0 && st.pending():
			res.Queued = append(res.Queued, id)
		case count[id] == 0:
			res.Lost = append(res.Lost, id+" ("+st.String()+")")
		}
	}
	res.Duration = time.Since(start)
	return res, nil
}

// killLeaderMidPoll holds the next poll request the leader makes, on any feed, kills the
// leader offset after it arrived, releases the feeds and measures the recovery.
func (c *Cluster) killLeaderMidPoll(ctx context.Context, streams []*Stream, offset time.Duration) (LeaderKill, error) {
	var k LeaderKill
	leader, err := c.WaitLeader(ctx, 90*time.Second)
	if err != nil {
		return k, fmt.Errorf("no running replica leads: %w", err)
	}
	type held struct {
		source string
		at     time.Time
	}
	heldc := make(chan held, len(streams))
	release := make(chan struct{})
	for i, s := range streams {
		source := fmt.Sprintf("news-%d", i+1)
		s.SetGate(func(r *http.Request) <-chan struct{} {
			if rep, err := c.Owner(r); err != nil || rep != leader {
				return nil // another replica's poll goes through
			}
			select {
			case heldc <- held{source: source, at: time.Now()}:
			default:
			}
			return release
		})
	}
	defer func() {
		for _, s := range streams {
			s.SetGate(nil)
		}
		close(release)
	}()
	var h held
	select {
	case h = <-heldc:
	case <-time.After(90 * time.Second):
		return k, fmt.Errorf("the leader (pid %d) polled none of %d feeds within 90 s", leader.PID(), len(streams))
	case <-ctx.Done():
		return k, ctx.Err()
	}
	if err := sleepUntil(ctx, h.at.Add(offset)); err != nil {
		return k, err
	}
	killed := time.Now()
	leader.Kill()
	k.Leader, k.Source, k.Offset = leader.PID(), h.source, killed.Sub(h.at)
	k.Survivors = len(c.Alive())

	// The recovery, measured from outside: river_leader, and the feeds' requests.
	err = waitForEvery(ctx, 2*time.Minute, 50*time.Millisecond, func() (bool, error) {
		if k.Elected == 0 {
			l, err := c.Leader(ctx)
			if err != nil {
				return false, err
			}
			if l != nil {
				k.Elected, k.NewLeader = time.Since(killed), l.PID()
			}
		}
		var first, last time.Time
		all := true
		for _, s := range streams {
			reqs := s.RequestsSince(killed)
			if len(reqs) == 0 {
				all = false
				continue
			}
			if first.IsZero() || reqs[0].Before(first) {
				first = reqs[0]
			}
			if reqs[0].After(last) {
				last = reqs[0]
			}
		}
		if !first.IsZero() {
			k.Resumed = first.Sub(killed)
		}
		if all {
			k.AllPolled = last.Sub(killed)
		}
		return k.Elected > 0 && all, nil
	})
	if err != nil {
		var idle []string
		for i, s := range streams {
			if len(s.RequestsSince(killed)) == 0 {
				idle = append(idle, fmt.Sprintf("news-%d", i+1))
			}
		}
		return k, fmt.Errorf("after killing the leader (pid %d): new leader after %s, first poll after %s; feeds not polled again: %v (%w); poll jobs still marked running: %s",
			k.Leader, orNone(k.Elected), orNone(k.Resumed), idle, err, c.runningPolls(ctx))
	}
	return k, nil
}

// runningPolls describes the poll jobs marked running, and who took them.
func (c *Cluster) runningPolls(ctx context.Context) string {
	rows, err := c.db.QueryContext(ctx, sqlRunningPolls)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var source, by string
		if err := rows.Scan(&source, &by); err != nil {
			return err.Error()
		}
		dead := ""
		if i := strings.LastIndexByte(by, '-'); i >= 0 {
			if pid, err := strconv.Atoi(by[i+1:]); err == nil {
				if r := c.byPID(pid); r != nil && !r.Alive() {
					dead = " (killed)"
				}
			}
		}
		out = append(out, source+" by "+by+dead)
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

func orNone(d time.Duration) string {
	if d == 0 {
		return "none yet"
	}
	return d.Round(time.Millisecond).String()
}

func (c *Cluster) stderrTail(n int) []string {
	var out []string
	for _, r := range c.Replicas {
		lines := r.Errs.Snapshot()
		for _, l := range lines[max(0, len(lines)-n):] {
			out = append(out, fmt.Sprintf("[%d] %s", r.N, l.Text))
		}
	}
	return out
}

func tailOf(l *Lines, n int) string {
	lines := l.Snapshot()
	var b strings.Builder
	for _, ln := range lines[max(0, len(lines)-n):] {
		b.WriteString(ln.Text + "\n")
	}
	return b.String()
}

// Report writes the figures of a fail-over run.
func (r *FailoverResult) Report(w io.Writer) {
	fmt.Fprintf(w, "Fail-over: %d replicas on one PostgreSQL database, %d feeds, %d leader kills mid-poll, seed %d, %s\n",
		r.Replicas, r.Sources, len(r.Kills), r.Seed, r.Duration.Round(time.Second))
	for _, k := range r.Kills {
		fmt.Fprintf(w, "  kill %d: leader pid %d, %s into its poll of %s; %d survivors; new leader (pid %d) after %s; polling resumed after %s; every feed polled after %s\n",
			k.N, k.Leader, k.Offset.Round(time.Millisecond), k.Source, k.Survivors, k.NewLeader,
			k.Elected.Round(100*time.Millisecond), k.Resumed.Round(100*time.Millisecond), k.AllPolled.Round(100*time.Millisecond))
	}
	fmt.Fprintf(w, "  items published          %d (%d matching the watch)\n", r.Items, r.Matching)
	fmt.Fprintf(w, "  matching items alerted   %d\n", r.Alerted)
	fmt.Fprintf(w, "  lost                     %d %s\n", len(r.Lost), list(r.Lost))
	fmt.Fprintf(w, "  queued at the end        %d %s\n", len(r.Queued), list(r.Queued))
	fmt.Fprintf(w, "  duplicates               %d %s\n", r.Duplicates, list(r.DuplicateItems))
	fmt.Fprintf(w, "  non-matching alerted     %d %s\n", len(r.Injected), list(r.Injected))
	var by []string
	for n := 1; n <= r.Replicas; n++ {
		by = append(by, fmt.Sprintf("#%d %d", n, r.PrintedBy[n]))
	}
	fmt.Fprintf(w, "  alerts printed by        %s\n", strings.Join(by, ", "))
	for _, f := range r.Failures {
		fmt.Fprintf(w, "  FAILURE: %s\n", f)
	}
}

// waitForEvery polls cond every interval until it holds, fails, or limit passes.
func waitForEvery(ctx context.Context, limit, interval time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(limit)
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not within %s", limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}

// FreshDatabase creates an empty database on the PostgreSQL server of base (a
// postgres:// URL with the rights to create one) and returns its URL and a func that
// drops it. Tests use internal/pgtest instead; this is for bench/chaos.
func FreshDatabase(ctx context.Context, base string) (string, func(), error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, fmt.Errorf("database URL: %w", err)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	name := fmt.Sprintf("vigil_chaos_%d_%d", os.Getpid(), time.Now().UnixNano())
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("create database: %w", err)
	}
	drop := func() {
		_, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		admin.Close()
	}
	u.Path = "/" + name
	return u.String(), drop, nil
}
