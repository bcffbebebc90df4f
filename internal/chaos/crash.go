package chaos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// CrashOptions configure a crash run.
type CrashOptions struct {
	Binary string // the vigil binary
	Dir    string // a fresh directory for the config and the database
	Kills  int    // how many SIGKILLs
	Seed   uint64 // for the kill moments and the stream; 0: from the clock

	// ItemEvery is how often the stream gains an item (default 300 ms); MatchEvery makes
	// about one item in MatchEvery match the watch (default 3).
	ItemEvery  time.Duration
	MatchEvery int
	// PollKillWindow: a kill aimed at a poll lands uniformly within this long after the
	// poll's request reaches the feed (default 1 s: fetch, record, then the deliveries).
	PollKillWindow time.Duration
	// StartupKills is the share of kills aimed at a random moment of the first 3 s after
	// a restart (migrations, redelivery, leader election) instead (default 0.2).
	StartupKills float64
	// Drain bounds the wait, once the stream stops, for every matching item to be
	// alerted (default 45 s).
	Drain time.Duration
	// WaitForRescue keeps waiting, up to Drain, until River has rescued every delivery a
	// killed process left running (alerts still missing come from those; duplicates too);
	// without it the run ends as soon as only those are missing, and counts them as
	// queued.
	WaitForRescue bool

	Log io.Writer // progress; nil: none
}

func (o *CrashOptions) defaults() {
	if o.Seed == 0 {
		o.Seed = uint64(time.Now().UnixNano())
	}
	if o.ItemEvery <= 0 {
		o.ItemEvery = 300 * time.Millisecond
	}
	if o.MatchEvery <= 0 {
		o.MatchEvery = 3
	}
	if o.PollKillWindow <= 0 {
		o.PollKillWindow = time.Second
	}
	if o.StartupKills == 0 {
		o.StartupKills = 0.2
	}
	if o.Drain <= 0 {
		o.Drain = 45 * time.Second
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
}

// Kill is one SIGKILL of a crash run.
type Kill struct {
	N      int
	Aim    string        // "poll": after a poll's request; "startup": after a restart
	Offset time.Duration // after the poll's request, or after the restart
	Uptime time.Duration // how long the killed process had run
	Peak   int64         // its VmHWM, bytes
	// RestartToPoll is how long the next process took from its start to its first poll
	// (River elects a leader to schedule polls; the killed one's lease must lapse).
	RestartToPoll time.Duration
}

// CrashResult is what a crash run measured.
type CrashResult struct {
	Seed     uint64
	Kills    []Kill
	Duration time.Duration

	Items    int // items the stream published
	Matching int // of which match the watch
	Alerted  int // matching items alerted at least once

	Lost     []string // matching items never alerted and not queued to be
	Queued   []string // matching items recorded with their delivery still queued at the end
	Injected []string // items that do not match, alerted anyway

	Duplicates     int      // alerts beyond the first for the same item
	DuplicateItems []string // items alerted more than once
	// Unrecorded are items printed whose delivery is not recorded, with the job still
	// pending: a rescue would print them again.
	Unrecorded []string

	// Interrupted are the jobs a SIGKILL left running (or that River later rescued): a
	// poll job is a kill during a poll, a deliver job a kill during a delivery.
	Interrupted Interrupted

	Latency    Percentiles   // item published → first alert, over alerted matching items
	DrainTook  time.Duration // from the stream's stop to the last matching item's first alert
	Waited     time.Duration // from the stream's stop to the end of the wait (rescues included)
	PeakRSS    int64         // the highest VmHWM of any process
	Restarts   Percentiles   // RestartToPoll over the restarts
	Failures   []string      // the daemon exited by itself, or did not stop cleanly
	StderrTail []string      // the last lines of stderr, for a report on failure
}

// Crash runs the daemon against a stream feed, kills it with SIGKILL o.Kills times at
// random moments, restarts it each time, then stops the stream, lets it drain and checks
// that every matching item was alerted.
func Crash(ctx context.Context, o CrashOptions) (*CrashResult, error) {
	o.defaults()
	start := time.Now()
	rng := rand.New(rand.NewPCG(o.Seed, 2))
	res := &CrashResult{Seed: o.Seed}
	stream := NewStream("chaos", o.Seed)
	defer stream.Close()
	// The stream's items differ only in their ids: with long leads Vigil rightly joins
	// many of them to an earlier near-duplicate's alert, whose update an interrupted
	// delivery may still hold at the end, and the item would read as lost, not queued.
	stream.ShortLeads()

	dbPath := filepath.Join(o.Dir, "vigil.db")
	config := filepath.Join(o.Dir, "vigil.yaml")
	yaml := fmt.Sprintf(`database:
  url: sqlite://%s
sources:
  - name: news
    type: feed
    url: %s
    schedule: "@every 1s"
channels:
  - id: console:main
    watches:
%slog:
  level: debug
`, dbPath, stream.URL(), watchYAML)
	if err := os.WriteFile(config, []byte(yaml), 0o600); err != nil {
		return nil, err
	}
	out, errs := NewLines(), NewLines()
	defer func() {
		tail := errs.Snapshot()
		for _, l := range tail[max(0, len(tail)-30):] {
			res.StderrTail = append(res.StderrTail, l.Text)
		}
	}()
	d, err := StartDaemon(o.Binary, config, out, errs)
	if err != nil {
		return nil, err
	}
	defer func() {
		if d.Alive() {
			d.Kill()
		}
	}()

	if err := d.WaitStarted(time.Minute); err != nil {
		return res, err
	}
	// The first poll of a source is its baseline: start the stream once it is taken.
	if err := waitFor(ctx, time.Minute, func() (bool, error) {
		if !d.Alive() {
			return false, fmt.Errorf("vigil run exited before its first poll: %v", d.ExitErr())
		}
		srcs, err := Sources(ctx, o.Binary, config)
		return err == nil && srcs["news"].Baselined, nil
	}); err != nil {
		return res, fmt.Errorf("waiting for the baseline: %w", err)
	}
	stream.Start(o.ItemEvery, o.MatchEvery)
	fmt.Fprintf(o.Log, "crash: baseline taken; stream started (an item every %s, 1 in %d matching); %d kills ahead\n", o.ItemEvery, o.MatchEvery, o.Kills)

	var restarts []time.Time
	for n := 1; n <= o.Kills; n++ {
		k := Kill{N: n}
		if rng.Float64() < o.StartupKills {
			k.Aim, k.Offset = "startup", 100*time.Millisecond+time.Duration(rng.Int64N(int64(3*time.Second)))
			if err := sleepUntil(ctx, d.Started.Add(k.Offset)); err != nil {
				return res, err
			}
		} else {
			k.Aim = "poll"
			poll, err := firstRequestAfter(ctx, stream, d.Started, 2*time.Minute)
			if err != nil {
				return res, fmt.Errorf("kill %d: no poll within 2 min of the restart: %w", n, err)
			}
			k.Offset = time.Duration(rng.Int64N(int64(o.PollKillWindow)))
			if err := sleepUntil(ctx, poll.Add(k.Offset)); err != nil {
				return res, err
			}
		}
		if !d.Alive() {
			res.Failures = append(res.Failures, fmt.Sprintf("before kill %d the daemon had exited by itself: %v", n, d.ExitErr()))
			return res, fmt.Errorf("vigil run exited by itself before kill %d: %v", n, d.ExitErr())
		}
		k.Peak = d.Memory().Peak
		res.PeakRSS = max(res.PeakRSS, k.Peak)
		d.Kill()
		k.Uptime = time.Since(d.Started)
		res.Kills = append(res.Kills, k)
		if d, err = StartDaemon(o.Binary, config, out, errs); err != nil {
			return res, err
		}
		restarts = append(restarts, d.Started)
		count, _ := Tally(Alerts(out.Snapshot()), "console:main", "chaos")
		fmt.Fprintf(o.Log, "crash: kill %d/%d (%s +%s, uptime %s); %d items alerted so far\n",
			n, o.Kills, k.Aim, k.Offset.Round(time.Millisecond), k.Uptime.Round(time.Millisecond), len(count))
	}

	// The last process polls the stream once before it stops, so that recovery from the
	// last kill is part of the run too. Then no new items: wait for the alerts of
	// everything published.
	if _, err := firstRequestAfter(ctx, stream, d.Started, 2*time.Minute); err != nil {
		return res, fmt.Errorf("after the last kill: no poll within 2 min of the restart: %w", err)
	}
	if err := sleepUntil(ctx, time.Now().Add(2*time.Second)); err != nil {
		return res, err
	}
	stream.Stop()
	stopped := time.Now()
	items := stream.Items()
	var matching []string
	isMatching := map[string]bool{}
	published := map[string]time.Time{}
	for _, it := range items {
		published[it.ID] = it.Added
		if it.Matching {
			matching = append(matching, it.ID)
			isMatching[it.ID] = true
		}
	}
	missing := func() []string {
		count, _ := Tally(Alerts(out.Snapshot()), "console:main", "chaos")
		var m []string
		for _, id := range matching {
			if count[id] == 0 {
				m = append(m, id)
			}
		}
		return m
	}
	fmt.Fprintf(o.Log, "crash: stream stopped at %d items (%d matching); draining\n", len(items), len(matching))
	lastReport := time.Now()
	for {
		left := missing()
		stale := 0
		if o.WaitForRescue {
			// Also wait for every delivery a kill interrupted to be rescued and run again:
			// a rescue is where a duplicate would come from.
			if stale, err = staleDeliveries(ctx, dbPath); err != nil {
				return res, fmt.Errorf("inspect the job queue: %w", err)
			}
		}
		if len(left) == 0 && stale == 0 {
			break
		}
		if time.Since(stopped) > o.Drain {
			break
		}
		if !d.Alive() {
			res.Failures = append(res.Failures, fmt.Sprintf("the daemon exited by itself while draining: %v", d.ExitErr()))
			break
		}
		if !o.WaitForRescue {
			// Once two polls have followed the stop, what is still missing waits either for
			// this process (queued) or for River's rescue of a killed process's job.
			if reqs := stream.RequestsSince(stopped); len(reqs) >= 2 && time.Since(reqs[len(reqs)-1]) > 3*time.Second {
				states, err := inspect(ctx, dbPath, left)
				if err == nil && !slices.ContainsFunc(left, func(id string) bool { return states[id].soon() }) {
					break
				}
			}
		}
		if time.Since(lastReport) > time.Minute {
			fmt.Fprintf(o.Log, "crash: draining, %d matching items not alerted yet, %d interrupted deliveries not rescued yet (%s since the stream stopped)\n", len(left), stale, time.Since(stopped).Round(time.Second))
			lastReport = time.Now()
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-out.Changed():
		case <-time.After(2 * time.Second):
		}
	}
	res.Waited = time.Since(stopped)
	res.PeakRSS = max(res.PeakRSS, d.Memory().Peak)
	if err := d.Stop(30 * time.Second); err != nil {
		res.Failures = append(res.Failures, "final stop: "+err.Error())
	}

	// The figures.
	alerts := Alerts(out.Snapshot())
	count, first := Tally(alerts, "console:main", "chaos")
	res.Items, res.Matching = len(items), len(matching)
	var lat, rest []time.Duration
	var lastAlert time.Time
	for _, id := range matching {
		if count[id] > 0 {
			res.Alerted++
			lat = append(lat, first[id].Sub(published[id]))
			if first[id].After(lastAlert) {
				lastAlert = first[id]
			}
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
	res.Latency = percentiles(lat)
	res.DrainTook = max(lastAlert.Sub(stopped), 0)
	for i, r := range restarts {
		if at, err := firstRequestAfter(ctx, stream, r, 0); err == nil && (i+1 == len(restarts) || at.Before(restarts[i+1])) {
			res.Kills[i].RestartToPoll = at.Sub(r)
			rest = append(rest, at.Sub(r))
		}
	}
	res.Restarts = percentiles(rest)

	states, err := inspect(ctx, dbPath, matching)
	if err != nil {
		return res, fmt.Errorf("inspect the database: %w", err)
	}
	for _, id := range matching {
		st := states[id]
		switch {
		case count[id] == 0 && st.pending():
			res.Queued = append(res.Queued, id)
		case count[id] == 0:
			res.Lost = append(res.Lost, id+" ("+st.String()+")")
		case st.pending():
			res.Unrecorded = append(res.Unrecorded, id)
		}
	}
	res.Interrupted, err = interruptedJobs(ctx, dbPath)
	if err != nil {
		return res, fmt.Errorf("inspect the job queue: %w", err)
	}
	res.Duration = time.Since(start)
	return res, nil
}

// Report writes the figures of a crash run.
func (r *CrashResult) Report(w io.Writer) {
	aims := map[string]int{}
	var offsets []time.Duration
	for _, k := range r.Kills {
		aims[k.Aim]++
		offsets = append(offsets, k.Offset)
	}
	fmt.Fprintf(w, "Crash safety: %d SIGKILLs (%d aimed at a poll, %d at a restart), seed %d, %s\n",
		len(r.Kills), aims["poll"], aims["startup"], r.Seed, r.Duration.Round(time.Second))
	fmt.Fprintf(w, "  items published          %d (%d matching the watch)\n", r.Items, r.Matching)
	fmt.Fprintf(w, "  matching items alerted   %d\n", r.Alerted)
	fmt.Fprintf(w, "  lost                     %d %s\n", len(r.Lost), list(r.Lost))
	fmt.Fprintf(w, "  queued at the end        %d %s\n", len(r.Queued), list(r.Queued))
	fmt.Fprintf(w, "  duplicates               %d %s\n", r.Duplicates, list(r.DuplicateItems))
	fmt.Fprintf(w, "  printed, not recorded    %d %s\n", len(r.Unrecorded), list(r.Unrecorded))
	fmt.Fprintf(w, "  non-matching alerted     %d %s\n", len(r.Injected), list(r.Injected))
	in := r.Interrupted
	fmt.Fprintf(w, "  jobs a kill interrupted  poll %d, deliver %d, schedule %d; rescued by River before the end: %d\n",
		in.ByKind["poll_source"], in.ByKind["deliver"], in.ByKind["schedule"], in.Rescued)
	fmt.Fprintf(w, "  interrupted deliveries   %d already sent and recorded (River had not marked them done), %d sent after the rescue, %d not sent\n",
		in.SentBeforeKill, in.SentByRescue, in.Unsent)
	fmt.Fprintf(w, "  kill offsets             %s\n", percentiles(offsets))
	fmt.Fprintf(w, "  restart → first poll     %s\n", r.Restarts)
	fmt.Fprintf(w, "  item → first alert       %s\n", r.Latency)
	fmt.Fprintf(w, "  stream stop → last alert %s (waited %s in all, rescues included)\n", r.DrainTook.Round(time.Millisecond), r.Waited.Round(time.Second))
	fmt.Fprintf(w, "  peak RSS (VmHWM, max)    %s\n", MB(r.PeakRSS))
	for _, f := range r.Failures {
		fmt.Fprintf(w, "  FAILURE: %s\n", f)
	}
}

func list(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	if len(ids) > 12 {
		return "[" + strings.Join(ids[:12], " ") + fmt.Sprintf(" …and %d more]", len(ids)-12)
	}
	return "[" + strings.Join(ids, " ") + "]"
}

// firstRequestAfter is the time of the stream's first request at or after t, waiting up to
// wait for one.
func firstRequestAfter(ctx context.Context, s *Stream, t time.Time, wait time.Duration) (time.Time, error) {
	deadline := time.Now().Add(wait)
	for {
		next := s.NextRequest()
		if reqs := s.RequestsSince(t); len(reqs) > 0 {
			return reqs[0], nil
		}
		d := time.Until(deadline)
		if d <= 0 {
			return time.Time{}, errors.New("no request")
		}
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-next:
		case <-time.After(d):
		}
	}
}

func sleepUntil(ctx context.Context, t time.Time) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Until(t)):
		return nil
	}
}

// waitFor polls cond every 300 ms until it holds, fails, or limit passes.
func waitFor(ctx context.Context, limit time.Duration, cond func() (bool, error)) error {
	return waitForEvery(ctx, limit, 300*time.Millisecond, cond)
}
