package chaos

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// FaultOptions configure a feed-fault run.
type FaultOptions struct {
	Binary string
	Dir    string
	// Short runs only the faults that show at once and stay on the loopback (no 60 s
	// timeouts, no DNS), and does not clear them: CI's version.
	Short bool
	// NoDNS leaves out the DNS fault, the only one that leaves the loopback.
	NoDNS bool
	// Bombs adds that many more sources whose bodies reach the size cap (BombServers),
	// to load the fetcher's memory budget.
	Bombs int
	// FaultFor is how long the faults stay on before they are cleared (default 100 s);
	// the slow ones need more than the 60 s fetch timeout to show.
	FaultFor time.Duration
	// RecoveryLimit bounds the wait for every cleared fault's source to poll successfully
	// again (default 10 min).
	RecoveryLimit time.Duration
	Log           io.Writer
}

// FaultOutcome is what one fault did to its source.
type FaultOutcome struct {
	Fault *Fault
	Kinds []string // the distinct last_error_kind values seen, in order
	// Shown is when `vigil sources` first showed the wanted kind (or, for a fault Vigil
	// absorbs, a successful poll), after the fault was armed.
	Shown      time.Duration
	LastError  string
	AtClear    SourceHealth    // the source when the fault was cleared
	Recovered  time.Duration   // from the clearing to the first successful poll; 0: not yet
	NextAfter  time.Duration   // the next poll the backoff had set, after the clearing
	Requests   []time.Duration // the requests the fault's server got, after it was armed
	OpsReports int             // "is failing" reports in the ops channel
	OpsRecover int             // "recovered" replies in the ops channel
}

// FaultResult is what a feed-fault run measured.
type FaultResult struct {
	Outcomes  []*FaultOutcome
	Duration  time.Duration
	Alive     bool  // the daemon never exited by itself
	PeakRSS   int64 // VmHWM at the end
	Baseline  int64 // VmHWM after the baselines, before the faults were armed
	FinalRSS  int64 // VmRSS at the end
	Control   Percentiles
	ControlOK int // control items alerted, of ControlN
	ControlN  int
	// Leaks are output lines that carry the credentials or token of a feed URL.
	Leaks      []string
	ClearedAt  time.Duration // after the faults were armed
	StderrTail []string
}

// Faults runs the daemon with one feed source per fault and a healthy control feed,
// watches `vigil sources --output json`, the process and its memory, then (unless Short)
// clears the faults and measures how soon each source polls successfully again.
func Faults(ctx context.Context, o FaultOptions) (*FaultResult, error) {
	if o.FaultFor <= 0 {
		o.FaultFor = 100 * time.Second
	}
	if o.RecoveryLimit <= 0 {
		o.RecoveryLimit = 10 * time.Minute
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	start := time.Now()
	all, env, closeServers, err := FaultServers(o.Dir)
	if err != nil {
		return nil, err
	}
	defer closeServers()
	var faults []*Fault
	for _, f := range all {
		if (o.Short && (f.Slow || f.LeavesLoopback)) || (o.NoDNS && f.LeavesLoopback) {
			continue
		}
		faults = append(faults, f)
	}
	if o.Bombs > 0 {
		bombs, closeBombs, err := BombServers(o.Bombs)
		if err != nil {
			return nil, err
		}
		defer closeBombs()
		faults = append(faults, bombs...)
	}
	control := NewStream("control", 7)
	defer control.Close()

	var src strings.Builder
	fmt.Fprintf(&src, "  - {name: control, type: feed, url: %q, schedule: \"@every 1s\"}\n", control.URL())
	for _, f := range faults {
		fmt.Fprintf(&src, "  - {name: %s, type: feed, url: %q, schedule: \"@every 1s\"}\n", f.Name, f.URL())
	}
	config := filepath.Join(o.Dir, "vigil.yaml")
	yaml := fmt.Sprintf(`database:
  url: sqlite://%s
sources:
%schannels:
  - id: console:main
    watches:
%sops:
  channel: console:ops
  alert_after: 1s
`, filepath.Join(o.Dir, "vigil.db"), src.String(), watchYAML)
	if err := os.WriteFile(config, []byte(yaml), 0o600); err != nil {
		return nil, err
	}
	out, errs := NewLines(), NewLines()
	res := &FaultResult{Alive: true}
	defer func() {
		tail := errs.Snapshot()
		for _, l := range tail[max(0, len(tail)-40):] {
			res.StderrTail = append(res.StderrTail, l.Text)
		}
	}()
	d, err := StartDaemon(o.Binary, config, out, errs, env...)
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
	outcomes := map[string]*FaultOutcome{}
	for _, f := range faults {
		outcomes[f.Name] = &FaultOutcome{Fault: f}
		res.Outcomes = append(res.Outcomes, outcomes[f.Name])
	}

	// Every source takes its baseline while its server is healthy.
	var srcs map[string]SourceHealth
	if err := waitFor(ctx, time.Minute, func() (bool, error) {
		if !d.Alive() {
			return false, fmt.Errorf("vigil run exited by itself: %v", d.ExitErr())
		}
		srcs, err = Sources(ctx, o.Binary, config)
		if err != nil {
			return false, err
		}
		for name, s := range srcs {
			if !s.Baselined && name != "dns" {
				return false, nil
			}
		}
		return true, nil
	}); err != nil {
		return res, fmt.Errorf("waiting for the baselines: %w", err)
	}
	res.Baseline = d.Memory().Peak
	control.Start(time.Second, 1)
	armed := time.Now()
	for _, f := range faults {
		f.Arm()
	}
	fmt.Fprintf(o.Log, "faults: baselines taken (peak RSS %s); %d faults armed\n", MB(res.Baseline), len(faults))

	observe := func() (map[string]SourceHealth, error) {
		if !d.Alive() {
			res.Alive = false
			return nil, fmt.Errorf("vigil run exited by itself: %v", d.ExitErr())
		}
		srcs, err := Sources(ctx, o.Binary, config)
		if err != nil {
			return nil, err
		}
		for name, oc := range outcomes {
			s := srcs[name]
			if s.ErrorKind != "" && (len(oc.Kinds) == 0 || oc.Kinds[len(oc.Kinds)-1] != s.ErrorKind) {
				oc.Kinds = append(oc.Kinds, s.ErrorKind)
			}
			if s.LastError != "" {
				oc.LastError = s.LastError
			}
			var shown bool
			if oc.Fault.Want == "" {
				shown = s.Healthy && s.LastSuccess != nil && s.LastSuccess.After(armed)
			} else {
				shown = s.ErrorKind == oc.Fault.Want && s.LastErrorAt != nil && !s.LastErrorAt.Before(armed.Truncate(time.Millisecond))
			}
			if oc.Shown == 0 && shown {
				oc.Shown = time.Since(armed)
			}
		}
		return srcs, nil
	}
	allShown := func() bool {
		for _, oc := range outcomes {
			if oc.Shown == 0 {
				return false
			}
		}
		return true
	}

	// The faults, on.
	limit := 45 * time.Second
	if !o.Short {
		limit = max(o.FaultFor, 2*time.Minute)
	}
	for {
		if srcs, err = observe(); err != nil {
			return res, err
		}
		if allShown() && (o.Short || time.Since(armed) >= o.FaultFor) {
			break
		}
		if time.Since(armed) > limit {
			break
		}
		if err := sleepUntil(ctx, time.Now().Add(time.Second)); err != nil {
			return res, err
		}
	}
	fmt.Fprintf(o.Log, "faults: all on for %s; peak RSS %s\n", time.Since(armed).Round(time.Second), MB(d.Memory().Peak))

	if !o.Short {
		// The faults, cleared.
		cleared := time.Now()
		res.ClearedAt = cleared.Sub(armed)
		for _, f := range faults {
			f.Clear()
			oc := outcomes[f.Name]
			oc.AtClear = srcs[f.Name]
			if np := oc.AtClear.NextPoll; np != nil && np.After(cleared) {
				oc.NextAfter = np.Sub(cleared)
			}
		}
		recovered := func() bool {
			done := true
			for _, oc := range outcomes {
				if !oc.Fault.Clearable || oc.Recovered > 0 {
					continue
				}
				s := srcs[oc.Fault.Name]
				if s.LastSuccess != nil && s.LastSuccess.After(cleared) {
					oc.Recovered = s.LastSuccess.Sub(cleared)
					continue
				}
				done = false
			}
			return done
		}
		for !recovered() && time.Since(cleared) < o.RecoveryLimit {
			if err := sleepUntil(ctx, time.Now().Add(2*time.Second)); err != nil {
				return res, err
			}
			if srcs, err = observe(); err != nil {
				return res, err
			}
		}
		fmt.Fprintf(o.Log, "faults: cleared; recovery watched for %s\n", time.Since(cleared).Round(time.Second))
		time.Sleep(3 * time.Second) // the recovery replies reach the ops channel
	}
	control.Stop()
	mem := d.Memory()
	res.PeakRSS, res.FinalRSS = mem.Peak, mem.Current
	if !d.Alive() {
		res.Alive = false
	}
	if err := d.Stop(30 * time.Second); err != nil {
		res.StderrTail = append(res.StderrTail, "stop: "+err.Error())
	}

	alerts := Alerts(out.Snapshot())
	count, first := Tally(alerts, "console:main", "control")
	var lat []time.Duration
	items := control.Items()
	for _, it := range items {
		// Items published in the last poll interval may not have been polled before the stop.
		if time.Since(it.Added) < 10*time.Second {
			continue
		}
		res.ControlN++
		if count[it.ID] > 0 {
			res.ControlOK++
			lat = append(lat, first[it.ID].Sub(it.Added))
		}
	}
	res.Control = percentiles(lat)
	for _, a := range alerts {
		if a.Channel != "console:ops" {
			continue
		}
		for name, oc := range outcomes {
			if strings.Contains(a.Text(), "Source "+name+" is failing") {
				oc.OpsReports++
			}
			if strings.Contains(a.Text(), "Source "+name+" recovered") {
				oc.OpsRecover++
			}
		}
	}
	for _, l := range append(out.Snapshot(), errs.Snapshot()...) {
		if strings.Contains(l.Text, "LEAKCANARY") {
			res.Leaks = append(res.Leaks, l.Text)
		}
	}
	for _, oc := range res.Outcomes {
		for _, r := range oc.Fault.Requests() {
			if !r.Before(armed) {
				oc.Requests = append(oc.Requests, r.Sub(armed))
			}
		}
	}
	slices.SortFunc(res.Outcomes, func(a, b *FaultOutcome) int { return strings.Compare(a.Fault.Name, b.Fault.Name) })
	res.Duration = time.Since(start)
	return res, nil
}

// Report writes the figures of a feed-fault run.
func (r *FaultResult) Report(w io.Writer) {
	fmt.Fprintf(w, "Feed faults: %d faulty sources and a healthy control feed in one `vigil run`, %s\n", len(r.Outcomes), r.Duration.Round(time.Second))
	fmt.Fprintf(w, "  process stayed up: %v; peak RSS (VmHWM) %s (%s before the faults); RSS at the end %s\n",
		r.Alive, MB(r.PeakRSS), MB(r.Baseline), MB(r.FinalRSS))
	fmt.Fprintf(w, "  control feed: %d of %d items alerted during the faults; item → alert %s\n", r.ControlOK, r.ControlN, r.Control)
	if r.ClearedAt > 0 {
		fmt.Fprintf(w, "  faults cleared at +%s\n", r.ClearedAt.Round(time.Second))
	}
	fmt.Fprintf(w, "  times are after the faults were armed; failures and next poll as `vigil sources` showed them when the faults cleared\n")
	fmt.Fprintf(w, "  %-15s %-13s %-22s %-7s %-9s %-11s %-10s %-5s %s\n", "fault", "want", "kinds shown", "shown", "failures", "next poll", "recovered", "ops", "requests at (s)")
	for _, oc := range r.Outcomes {
		want := oc.Fault.Want
		if want == "" {
			want = "(healthy)"
		}
		kinds := strings.Join(oc.Kinds, ",")
		if kinds == "" {
			kinds = "(none)"
		}
		shown := "NO"
		if oc.Shown > 0 {
			shown = "+" + oc.Shown.Round(time.Second).String()
		}
		rec := "-"
		switch {
		case oc.Recovered > 0:
			rec = oc.Recovered.Round(time.Second).String()
		case r.ClearedAt > 0 && oc.Fault.Clearable:
			rec = "NO"
		case r.ClearedAt > 0:
			rec = "n/a"
		}
		next := "-"
		if oc.NextAfter > 0 {
			next = "+" + oc.NextAfter.Round(time.Second).String()
		}
		var reqs []string
		for _, q := range oc.Requests {
			reqs = append(reqs, fmt.Sprintf("%.0f", q.Seconds()))
		}
		if len(reqs) > 10 {
			reqs = append(reqs[:10], fmt.Sprintf("…(%d)", len(oc.Requests)))
		}
		fmt.Fprintf(w, "  %-15s %-13s %-22s %-7s %-9d %-11s %-10s %d/%d   %s\n", oc.Fault.Name, want, kinds, shown, oc.AtClear.Failures, next, rec, oc.OpsReports, oc.OpsRecover, strings.Join(reqs, " "))
	}
	for _, oc := range r.Outcomes {
		if oc.LastError != "" {
			fmt.Fprintf(w, "  last error of %s: %s\n", oc.Fault.Name, oc.LastError)
		}
	}
	fmt.Fprintf(w, "  output lines carrying a feed URL's credentials or token: %d\n", len(r.Leaks))
	for _, l := range r.Leaks {
		fmt.Fprintf(w, "    %s\n", l)
	}
}
