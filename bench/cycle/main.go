// Cycle measures a whole polling cycle of Vigil through its real pipeline: a loopback
// server serves N generated news feeds (RSS and Atom, 5–200 KB, with ETags) spread over
// many loopback addresses, a watchlist of M parties (the Consolidated Screening List,
// padded with generated companies) is imported, and `vigil scan --once --output jsonl`
// runs in-process (app.Scan) twice: a first cycle that fetches everything and a second
// one after 20 % of the feeds changed. Each cycle runs in a fresh child process, so that
// its CPU time and peak RSS are its own and the feed server's are not counted.
//
// With -latency it runs the daemon (app.Run) on a 1-minute schedule instead, publishes
// items naming watched parties at random times, and measures how long they take to reach
// the terminal chat, after the poll that saw them and after their publication.
//
//	go run -tags goolm ./bench/cycle -feeds 5000 -names 10000
//	go run -tags goolm ./bench/cycle -latency -feeds 5000 -names 10000
//
// It only uses the loopback network. See docs/PERFORMANCE.md for what it measured.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

type options struct {
	server   serverConfig
	names    int
	changed  float64
	repeat   int
	all      bool
	profile  string
	dir      string
	keep     bool
	jsonOut  string
	schedule string

	latency       bool
	latItems      int
	latWindow     time.Duration
	latChurn      float64
	schedInterval time.Duration
}

const channel = "console:bench"

func main() {
	log.SetFlags(0)
	var (
		o      options
		role   string
		layout string
		cfg    string
		tag    string
		csvIn  string
	)
	flag.IntVar(&o.server.Feeds, "feeds", 5000, "feeds served")
	flag.IntVar(&o.names, "names", 10000, "watched parties (with their aliases)")
	flag.IntVar(&o.server.Hosts, "hosts", 1000, "distinct loopback addresses the feeds are spread over (at most feeds)")
	flag.StringVar(&layout, "layout", "interleaved", "interleaved: consecutive sources are on different hosts; grouped: a host's feeds are consecutive")
	flag.IntVar(&o.server.MinKB, "min-kb", 5, "smallest feed, KB")
	flag.IntVar(&o.server.MaxKB, "max-kb", 200, "largest feed, KB (sizes are log-uniform)")
	flag.Float64Var(&o.server.Mention, "mention", 0.03, "share of items that name a party of the pool")
	flag.IntVar(&o.server.Pool, "pool", 10000, "parties the feeds mention (the first 100 in every watchlist)")
	flag.IntVar(&o.server.ContentPc, "content", 40, "percent of feeds with full text (content:encoded)")
	flag.BoolVar(&o.server.Gzip, "gzip", true, "serve gzip to clients that accept it")
	flag.StringVar(&o.server.CSL, "csl", "../shared/fixtures/lists/csl.partial.watchman-2023-11-30.csv", "screening list whose parties come first (empty: generated only)")
	flag.Uint64Var(&o.server.Seed, "seed", 1, "seed of everything generated")
	flag.Float64Var(&o.changed, "changed", 0.2, "share of feeds changed between the two cycles")
	flag.IntVar(&o.repeat, "repeat", 2, "runs of each measurement (the machine is shared: compare the best)")
	flag.BoolVar(&o.all, "all", true, "first cycle with --all (every item matched and alerted) rather than a baseline")
	flag.StringVar(&o.profile, "profile", "", "write CPU and heap profiles of each cycle to this folder")
	flag.StringVar(&o.dir, "dir", "", "working folder (default: a temporary one, removed unless -keep)")
	flag.BoolVar(&o.keep, "keep", false, "keep the working folder")
	flag.StringVar(&o.jsonOut, "json", "", "also write the results as JSON to this file")
	flag.StringVar(&o.schedule, "schedule", "", `sources' schedule (default "*/10 * * * *", with -latency "@every 1m")`)
	flag.BoolVar(&o.latency, "latency", false, "measure alert latency of the daemon instead of cycles")
	flag.IntVar(&o.latItems, "lat-items", 200, "items published during the latency run")
	flag.DurationVar(&o.latWindow, "lat-window", 5*time.Minute, "time over which they are published")
	flag.Float64Var(&o.latChurn, "lat-churn", 0.2, "share of feeds changed every minute during the latency run")
	flag.DurationVar(&o.schedInterval, "scheduler-interval", 0, "the daemon's scheduler interval (default: Vigil's, 5 s)")
	flag.StringVar(&role, "role", "", "internal: server, scan, import or daemon")
	flag.StringVar(&cfg, "config", "", "internal: the configuration a child uses")
	flag.StringVar(&tag, "tag", "", "internal: the profile name of a scan child")
	flag.StringVar(&csvIn, "csv", "", "internal: the watchlist an import child reads")
	flag.Parse()
	o.server.Grouped = layout == "grouped"
	if layout != "interleaved" && layout != "grouped" {
		log.Fatalf("-layout: want interleaved or grouped, not %q", layout)
	}
	o.server.Hosts = max(1, min(o.server.Hosts, o.server.Feeds))
	if o.server.CSL != "" {
		if _, err := os.Stat(o.server.CSL); err != nil {
			log.Printf("no screening list at %s: generated names only", o.server.CSL)
			o.server.CSL = ""
		}
	}

	var err error
	switch role {
	case "server":
		err = runServer(o.server)
	case "scan":
		err = runScanChild(cfg, o.all, o.profile, tag)
	case "import":
		err = runImportChild(cfg, channel, csvIn)
	case "daemon":
		err = runDaemonChild(cfg, o.schedInterval)
	case "":
		if o.latency {
			err = runLatency(o)
		} else {
			err = runCycles(o)
		}
	default:
		err = fmt.Errorf("unknown role %q", role)
	}
	if err != nil {
		log.Fatal(err)
	}
}

// serverFlags are the flags that make a server child generate what the orchestrator
// expects.
func (o options) serverFlags() []string {
	c := o.server
	layout := "interleaved"
	if c.Grouped {
		layout = "grouped"
	}
	return []string{"-role", "server", "-feeds", fmt.Sprint(c.Feeds), "-hosts", fmt.Sprint(c.Hosts),
		"-layout", layout, "-min-kb", fmt.Sprint(c.MinKB), "-max-kb", fmt.Sprint(c.MaxKB),
		"-mention", fmt.Sprint(c.Mention), "-pool", fmt.Sprint(c.Pool), "-content", fmt.Sprint(c.ContentPc),
		fmt.Sprintf("-gzip=%t", c.Gzip), "-csl", c.CSL, "-seed", fmt.Sprint(c.Seed)}
}

// server is the feed server child, driven over its control address.
type server struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	ctl   string
	port  int
	info  map[string]any
}

func startServer(o options) (*server, error) {
	cmd := exec.Command(os.Args[0], o.serverFlags()...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	info, err := readReady(stdout)
	if err != nil {
		_ = cmd.Process.Kill()
		return nil, err
	}
	return &server{cmd: cmd, stdin: stdin, ctl: "http://" + info["control"].(string), port: int(info["port"].(float64)), info: info}, nil
}

func (s *server) stop() {
	s.stdin.Close()
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
	}
}

func (s *server) post(path string, form url.Values) (string, error) {
	resp, err := http.PostForm(s.ctl+path, form)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("feed server %s: %s", path, b)
	}
	return strings.TrimSpace(string(b)), nil
}

func (s *server) get(path string, v any) error {
	resp, err := http.Get(s.ctl + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

// writeConfig writes the configuration every child of one run reads.
func writeConfig(dir string, o options, port int, schedule string) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "database:\n  url: sqlite://%s\nlog:\n  level: info\nchannels:\n  - id: %s\nsources:\n", filepath.Join(dir, "vigil.db"), channel)
	for i := range o.server.Feeds {
		fmt.Fprintf(&b, "  - name: feed-%05d\n    type: feed\n    url: %s\n    schedule: %q\n", i, o.server.feedURL(i, port), schedule)
	}
	path := filepath.Join(dir, "vigil.yaml")
	return path, os.WriteFile(path, []byte(b.String()), 0o644)
}

// child runs this program in another role and decodes the JSON it prints.
func child(v any, args ...string) (*os.ProcessState, error) {
	cmd := exec.Command(os.Args[0], args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	err := cmd.Run()
	if err != nil {
		return cmd.ProcessState, fmt.Errorf("%s: %w", strings.Join(args[:2], " "), err)
	}
	if err := json.Unmarshal(out.Bytes(), v); err != nil {
		return cmd.ProcessState, fmt.Errorf("%s: bad output %q: %w", strings.Join(args[:2], " "), out.String(), err)
	}
	return cmd.ProcessState, nil
}

// cycleRow is one cycle of one run, as printed.
type cycleRow struct {
	Run, Cycle int
	cycleResult
	Server      serverStats
	ProcessCPUS float64 `json:"process_cpu_s"`
	// PollS is from the start of the scan to the last response of the feed server: the
	// fetching and recording; the rest of WallS is mostly waiting for deliveries.
	PollS float64 `json:"poll_s"`
	// ServerCPUS is the feed server's CPU time during the cycle, and OthersCPUS that of
	// every other process on the machine: the machine is shared, and a cycle that ran
	// beside other work is slower.
	ServerCPUS float64 `json:"server_cpu_s"`
	OthersCPUS float64 `json:"others_cpu_s"`
}

func (r cycleRow) cpu() float64 { return r.UserS + r.SysS }

func runCycles(o options) error {
	dir, cleanup, err := workDir(o)
	if err != nil {
		return err
	}
	defer cleanup()
	names, err := namePool(max(o.names, o.server.Pool), o.server.CSL, o.server.Seed)
	if err != nil {
		return err
	}
	csvPath := filepath.Join(dir, "watchlist.csv")
	if err := writeCSL(csvPath, names[:o.names]); err != nil {
		return err
	}
	terms := 0
	for _, e := range names[:o.names] {
		terms += 1 + len(e.Aliases)
	}
	fmt.Printf("feeds %d on %d loopback addresses (%s), %d parties watched (%d names and aliases)\n",
		o.server.Feeds, o.server.Hosts, map[bool]string{true: "grouped", false: "interleaved"}[o.server.Grouped], o.names, terms)
	start := time.Now()
	srv, err := startServer(o)
	if err != nil {
		return err
	}
	defer srv.stop()
	fmt.Printf("feed server: %.0f MB of feeds (%.0f MB gzip), %.0f items, generated in %.1f s (startup %.1f s)\n",
		srv.info["raw_bytes"].(float64)/(1<<20), srv.info["gzip_bytes"].(float64)/(1<<20), srv.info["items"].(float64),
		srv.info["generate_s"].(float64), time.Since(start).Seconds())
	if o.profile != "" {
		if err := os.MkdirAll(o.profile, 0o755); err != nil {
			return err
		}
	}

	var rows []cycleRow
	for run := 1; run <= o.repeat; run++ {
		rdir := filepath.Join(dir, fmt.Sprintf("run%d", run))
		if err := os.MkdirAll(rdir, 0o755); err != nil {
			return err
		}
		if _, err := srv.post("/reset", nil); err != nil {
			return err
		}
		schedule := o.schedule
		if schedule == "" {
			schedule = "*/10 * * * *"
		}
		cfgPath, err := writeConfig(rdir, o, srv.port, schedule)
		if err != nil {
			return err
		}
		var imp map[string]any
		if _, err := child(&imp, "-role", "import", "-config", cfgPath, "-csv", csvPath); err != nil {
			return err
		}
		fmt.Printf("run %d: watchlist imported in %.1f s: %v\n", run, imp["wall_s"], imp["summary"])
		if e, ok := imp["err"]; ok {
			return fmt.Errorf("import: %v", e)
		}
		var seenBefore int64
		for cycle := 1; cycle <= 2; cycle++ {
			if cycle == 2 {
				k, err := srv.post("/advance", url.Values{"round": {"1"}, "frac": {fmt.Sprint(o.changed)}})
				if err != nil {
					return err
				}
				fmt.Printf("run %d: %s feeds changed\n", run, k)
			}
			if _, err := srv.post("/stats/reset", nil); err != nil {
				return err
			}
			args := []string{"-role", "scan", "-config", cfgPath, fmt.Sprintf("-all=%t", o.all && cycle == 1),
				"-tag", fmt.Sprintf("n%d-m%d-run%d-cycle%d", o.server.Feeds, o.names, run, cycle)}
			if o.profile != "" {
				args = append(args, "-profile", o.profile)
			}
			var res cycleResult
			busy0, srv0, self0 := busyCPU(), procCPU(srv.cmd.Process.Pid), procCPU(os.Getpid())
			ps, err := child(&res, args...)
			if err != nil {
				return err
			}
			row := cycleRow{Run: run, Cycle: cycle, cycleResult: res}
			row.ServerCPUS = procCPU(srv.cmd.Process.Pid) - srv0
			if ps != nil {
				row.OthersCPUS = busyCPU() - busy0 - row.ServerCPUS - (procCPU(os.Getpid()) - self0) - (ps.UserTime() + ps.SystemTime()).Seconds()
			}
			if ps != nil {
				row.ProcessCPUS = (ps.UserTime() + ps.SystemTime()).Seconds()
			}
			if err := srv.get("/stats", &row.Server); err != nil {
				return err
			}
			if row.Server.LastServed > 0 {
				row.PollS = float64(row.Server.LastServed-row.StartNS) / 1e9
			}
			total := row.NewItems
			row.NewItems -= seenBefore
			seenBefore = total
			rows = append(rows, row)
			printRow(row)
		}
	}
	printTable(o, rows)
	if o.jsonOut != "" {
		b, _ := json.MarshalIndent(map[string]any{"feeds": o.server.Feeds, "names": o.names, "hosts": o.server.Hosts,
			"grouped": o.server.Grouped, "server": srv.info, "rows": rows}, "", "  ")
		if err := os.WriteFile(o.jsonOut, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func printRow(r cycleRow) {
	fmt.Printf("run %d cycle %d: %.2f s wall (%.2f s until the last feed was served), %.2f s CPU, %.0f MB peak RSS, %d requests (%d full, %d not modified), %d items fetched, %d new, %d matches, %d alerts",
		r.Run, r.Cycle, r.WallS, r.PollS, r.cpu(), r.MaxRSSMB, r.Server.Requests, r.Server.Full, r.Server.NotModified, r.Server.ItemsServed, r.NewItems, r.Matches, r.Alerts)
	fmt.Printf("; feed server %.1f s CPU, other processes %.1f s CPU", r.ServerCPUS, max(r.OthersCPUS, 0))
	if r.Failed > 0 || r.Err != "" {
		fmt.Printf(", %d sources failed: %s", r.Failed, r.Err)
	}
	fmt.Println()
}

func printTable(o options, rows []cycleRow) {
	fmt.Printf("\nbest of %d runs (by wall time), N=%d feeds on %d addresses, M=%d parties:\n", o.repeat, o.server.Feeds, o.server.Hosts, o.names)
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "cycle\twall s\tpolls done s\tCPU s\tpeak RSS MB\trequests\treq/s\tnot modified\titems fetched\titems/s\tnew items\tmatches\talerts\tfailed\tothers' CPU s\t")
	for cycle := 1; cycle <= 2; cycle++ {
		var best *cycleRow
		for i := range rows {
			if rows[i].Cycle == cycle && (best == nil || rows[i].WallS < best.WallS) {
				best = &rows[i]
			}
		}
		if best == nil {
			continue
		}
		r := best
		fmt.Fprintf(tw, "%d\t%.2f\t%.2f\t%.2f\t%.0f\t%d\t%.0f\t%d\t%d\t%.0f\t%d\t%d\t%d\t%d\t%.1f\t\n", cycle, r.WallS, r.PollS, r.cpu(), r.MaxRSSMB,
			r.Server.Requests, float64(r.Server.Requests)/r.WallS, r.Server.NotModified, r.Server.ItemsServed,
			float64(r.Server.ItemsServed)/r.WallS, r.NewItems, r.Matches, r.Alerts, r.Failed, max(r.OthersCPUS, 0))
	}
	tw.Flush()
	for cycle := 1; cycle <= 2; cycle++ {
		var walls, cpus, rss []string
		for _, r := range rows {
			if r.Cycle == cycle {
				walls = append(walls, fmt.Sprintf("%.2f", r.WallS))
				cpus = append(cpus, fmt.Sprintf("%.2f", r.cpu()))
				rss = append(rss, fmt.Sprintf("%.0f", r.MaxRSSMB))
			}
		}
		fmt.Printf("cycle %d, every run: wall %s s; CPU %s s; peak RSS %s MB\n", cycle, strings.Join(walls, " / "), strings.Join(cpus, " / "), strings.Join(rss, " / "))
	}
	for _, r := range rows {
		if r.Run == 1 && r.Cycle == 1 && len(r.TopAliases) > 0 {
			b, _ := json.Marshal(r.TopAliases)
			fmt.Printf("most matched names and aliases in cycle 1: %s\n", b)
		}
	}
}

func workDir(o options) (string, func(), error) {
	if o.dir != "" {
		return o.dir, func() {}, os.MkdirAll(o.dir, 0o755)
	}
	dir, err := os.MkdirTemp("", "vigil-cycle-")
	if err != nil {
		return "", nil, err
	}
	if o.keep {
		fmt.Printf("working folder: %s\n", dir)
		return dir, func() {}, nil
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}

// runLatency runs the daemon on a short schedule, publishes items naming watched parties
// at random times and measures when their alerts reach the terminal chat.
func runLatency(o options) error {
	dir, cleanup, err := workDir(o)
	if err != nil {
		return err
	}
	defer cleanup()
	names, err := namePool(max(o.names, o.server.Pool), o.server.CSL, o.server.Seed)
	if err != nil {
		return err
	}
	csvPath := filepath.Join(dir, "watchlist.csv")
	if err := writeCSL(csvPath, names[:o.names]); err != nil {
		return err
	}
	srv, err := startServer(o)
	if err != nil {
		return err
	}
	defer srv.stop()
	schedule := o.schedule
	if schedule == "" {
		schedule = "@every 1m"
	}
	cfgPath, err := writeConfig(dir, o, srv.port, schedule)
	if err != nil {
		return err
	}
	var imp map[string]any
	if _, err := child(&imp, "-role", "import", "-config", cfgPath, "-csv", csvPath); err != nil {
		return err
	}
	fmt.Printf("latency: %d feeds on %d addresses, schedule %q, %d parties watched, %d items published over %s, %.0f %% of feeds changed every minute\n",
		o.server.Feeds, o.server.Hosts, schedule, o.names, o.latItems, o.latWindow, o.latChurn*100)

	args := []string{"-role", "daemon", "-config", cfgPath}
	if o.schedInterval > 0 {
		args = append(args, "-scheduler-interval", o.schedInterval.String())
	}
	cmd := exec.Command(os.Args[0], args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	if _, err := srv.post("/stats/reset", nil); err != nil {
		return err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	}()

	// Warm up: every feed polled once (its baseline), then a margin for the last records.
	var st serverStats
	for {
		if err := srv.get("/stats", &st); err != nil {
			return err
		}
		if st.Requests >= int64(o.server.Feeds) {
			break
		}
		if time.Since(start) > 20*time.Minute {
			return errors.New("the daemon did not poll every feed within 20 minutes")
		}
		time.Sleep(200 * time.Millisecond)
	}
	firstRound := time.Since(start)
	fmt.Printf("first round (every feed polled once, baseline): %.1f s\n", firstRound.Seconds())
	time.Sleep(5 * time.Second)

	r := rand.New(rand.NewPCG(o.server.Seed, 0x1a7))
	at := make([]time.Duration, o.latItems)
	for i := range at {
		at[i] = time.Duration(r.Int64N(int64(o.latWindow)))
	}
	slices.Sort(at)
	if _, err := srv.post("/stats/reset", nil); err != nil {
		return err
	}
	ws := time.Now()
	nextChurn, round := time.Minute, 100
	for i, d := range at {
		for o.latChurn > 0 && d >= nextChurn {
			time.Sleep(time.Until(ws.Add(nextChurn)))
			if _, err := srv.post("/advance", url.Values{"round": {fmt.Sprint(round)}, "frac": {fmt.Sprint(o.latChurn)}}); err != nil {
				return err
			}
			round++
			nextChurn += time.Minute
		}
		time.Sleep(time.Until(ws.Add(d)))
		e := names[r.IntN(min(100, o.names))]
		form := url.Values{"feed": {fmt.Sprint(r.IntN(o.server.Feeds))}, "token": {fmt.Sprintf("lat-%d", i)}, "name": {e.Name}}
		if _, err := srv.post("/publish", form); err != nil {
			return err
		}
	}
	// Let the last items be polled (a schedule's interval, its jitter, the scheduler) and
	// delivered.
	tail := 2*time.Minute + 30*time.Second
	if d, err := everyOf(schedule); err == nil {
		tail = 2*d + 30*time.Second
	}
	for end := time.Now().Add(tail); time.Now().Before(end); {
		if o.latChurn > 0 && time.Since(ws) >= nextChurn {
			if _, err := srv.post("/advance", url.Values{"round": {fmt.Sprint(round)}, "frac": {fmt.Sprint(o.latChurn)}}); err != nil {
				return err
			}
			round++
			nextChurn += time.Minute
		}
		time.Sleep(time.Second)
	}
	if err := srv.get("/stats", &st); err != nil {
		return err
	}
	steady := time.Since(ws)
	_ = cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("daemon: %w", err)
	}
	var dr daemonResult
	if err := json.Unmarshal(out.Bytes(), &dr); err != nil {
		return fmt.Errorf("daemon: bad output %q: %w", out.String(), err)
	}
	var toks map[string]tokenTimes
	if err := srv.get("/tokens", &toks); err != nil {
		return err
	}
	var afterPoll, absolute, pollDelay []float64
	var unseen, undelivered int
	for t, tt := range toks {
		d, ok := dr.Delivered[t]
		switch {
		case tt.Seen == 0:
			unseen++
		case !ok:
			undelivered++
		default:
			afterPoll = append(afterPoll, float64(d-tt.Seen)/1e9)
			absolute = append(absolute, float64(d-tt.Published)/1e9)
			pollDelay = append(pollDelay, float64(tt.Seen-tt.Published)/1e9)
		}
	}
	fmt.Printf("steady state: %d requests in %.0f s (%.1f/s; %d full, %d not modified); daemon: %.1f s CPU over %.0f s (%.0f %% of one core), peak RSS %.0f MB, %d alert messages\n",
		st.Requests, steady.Seconds(), float64(st.Requests)/steady.Seconds(), st.Full, st.NotModified,
		dr.UserS+dr.SysS, dr.WallS, 100*(dr.UserS+dr.SysS)/dr.WallS, dr.MaxRSSMB, dr.Alerts)
	fmt.Printf("published %d, seen by a poll %d, delivered %d (not seen %d, seen but not delivered %d)\n",
		len(toks), len(toks)-unseen, len(afterPoll), unseen, undelivered)
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "latency, s\tp50\tp90\tp99\tmax\t")
	for _, l := range []struct {
		name string
		xs   []float64
	}{{"poll → delivered", afterPoll}, {"published → polled", pollDelay}, {"published → delivered", absolute}} {
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.2f\t%.2f\t\n", l.name, pct(l.xs, 50), pct(l.xs, 90), pct(l.xs, 99), pct(l.xs, 100))
	}
	tw.Flush()
	if o.jsonOut != "" {
		b, _ := json.MarshalIndent(map[string]any{"feeds": o.server.Feeds, "names": o.names, "hosts": o.server.Hosts,
			"schedule": schedule, "first_round_s": firstRound.Seconds(), "steady": st, "steady_s": steady.Seconds(),
			"daemon": dr, "after_poll": afterPoll, "absolute": absolute, "unseen": unseen, "undelivered": undelivered}, "", "  ")
		if err := os.WriteFile(o.jsonOut, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// busyCPU is the CPU time the whole machine has spent busy since boot, in seconds.
func busyCPU() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal …
	var ticks float64
	for i, v := range f[1:] {
		if i == 3 || i == 4 || i >= 8 { // idle, iowait, guest
			continue
		}
		var n float64
		fmt.Sscan(v, &n)
		ticks += n
	}
	return ticks / clockTicks
}

// procCPU is the CPU time a process has used, in seconds.
func procCPU(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	_, rest, _ := strings.Cut(string(b), ") ") // the command may hold spaces
	f := strings.Fields(rest)                  // state is field 3, utime 14 and stime 15
	if len(f) < 13 {
		return 0
	}
	var u, s float64
	fmt.Sscan(f[11], &u)
	fmt.Sscan(f[12], &s)
	return (u + s) / clockTicks
}

// clockTicks is USER_HZ, 100 on Linux.
const clockTicks = 100

// everyOf reads the interval of an "@every D" schedule.
func everyOf(schedule string) (time.Duration, error) {
	d, ok := strings.CutPrefix(schedule, "@every ")
	if !ok {
		return 0, errors.New("not @every")
	}
	return time.ParseDuration(d)
}

// pct is the nearest-rank percentile p of xs.
func pct(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}
