package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vigilbot/vigil/app"
	"github.com/vigilbot/vigil/config"
	"github.com/vigilbot/vigil/store"
)

// raiseFileLimit lifts the soft limit on open files to the hard one: thousands of
// listeners and connections.
func raiseFileLimit() {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err == nil && l.Cur < l.Max {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}

func rusage() syscall.Rusage {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru
}

// cycleResult is what one scan child reports.
type cycleResult struct {
	StartNS    int64          `json:"start_ns"` // Unix ns when app.Scan was called
	WallS      float64        `json:"wall_s"`
	UserS      float64        `json:"user_s"`
	SysS       float64        `json:"sys_s"`
	MaxRSSMB   float64        `json:"max_rss_mb"`
	Alerts     int            `json:"alerts"`
	Matches    int            `json:"matches"`
	NewItems   int64          `json:"new_items"`
	Failed     int            `json:"failed_sources"`
	Err        string         `json:"err,omitempty"`
	TopAliases map[string]int `json:"top_aliases,omitempty"`
	GCs        uint32         `json:"gcs"`
	HeapPeakMB float64        `json:"heap_peak_mb"`
	DBMB       float64        `json:"db_mb"`
}

// alertCounter reads `scan --output jsonl` as it is written and counts alerts and
// matches.
type alertCounter struct {
	buf     bytes.Buffer
	alerts  int
	matches int
	aliases map[string]int
}

func (c *alertCounter) Write(p []byte) (int, error) {
	c.buf.Write(p)
	for {
		line, err := c.buf.ReadBytes('\n')
		if err != nil {
			c.buf.Write(line) // an incomplete line: keep it for the next write
			break
		}
		var rec struct {
			Matched []struct{ Alias string } `json:"matched"`
		}
		if json.Unmarshal(line, &rec) == nil {
			c.alerts++
			c.matches += len(rec.Matched)
			for _, m := range rec.Matched {
				c.aliases[m.Alias]++
			}
		}
	}
	return len(p), nil
}

// runScanChild runs one cycle: app.Scan in this process, as `vigil scan --once --output
// jsonl` would, and prints its cycleResult as JSON.
func runScanChild(cfgPath string, all bool, profDir, tag string) error {
	raiseFileLimit()
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return err
	}
	logf, err := os.OpenFile(filepath.Join(filepath.Dir(cfgPath), "vigil.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	logger := app.NewLogger(logf, cfg.Log)
	counter := &alertCounter{aliases: map[string]int{}}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var peak *heapPeak
	if profDir != "" {
		f, err := os.Create(filepath.Join(profDir, tag+".cpu.pprof"))
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		peak = watchHeap(ctx)
		if os.Getenv("VIGIL_CYCLE_TRACE") != "" {
			// The execution trace shows where the wall time goes off the CPU (go tool trace).
			tf, err := os.Create(filepath.Join(profDir, tag+".trace"))
			if err != nil {
				return err
			}
			defer tf.Close()
			if err := trace.Start(tf); err != nil {
				return err
			}
			defer trace.Stop()
		}
	}
	var ms0 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	ru0 := rusage()
	start := time.Now()
	scanErr := app.Scan(ctx, app.Options{Config: cfg, Stdin: strings.NewReader(""), Stdout: counter, Logger: logger},
		app.ScanOptions{All: all, Output: "jsonl"})
	wall := time.Since(start)
	ru1 := rusage()
	var ms1 runtime.MemStats
	runtime.ReadMemStats(&ms1)
	if profDir != "" {
		pprof.StopCPUProfile()
		peak.stop(filepath.Join(profDir, tag+".heap-peak.pprof"))
		if f, err := os.Create(filepath.Join(profDir, tag+".allocs.pprof")); err == nil {
			_ = pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		}
	}
	res := cycleResult{
		StartNS:  start.UnixNano(),
		WallS:    wall.Seconds(),
		UserS:    time.Duration(ru1.Utime.Nano() - ru0.Utime.Nano()).Seconds(),
		SysS:     time.Duration(ru1.Stime.Nano() - ru0.Stime.Nano()).Seconds(),
		MaxRSSMB: float64(ru1.Maxrss) / 1024,
		Alerts:   counter.alerts, Matches: counter.matches,
		GCs: ms1.NumGC - ms0.NumGC,
	}
	if peak != nil {
		res.HeapPeakMB = float64(peak.max) / (1 << 20)
	}
	if scanErr != nil {
		msg := scanErr.Error()
		if n, _, ok := strings.Cut(msg, " of "); ok {
			res.Failed, _ = strconv.Atoi(n)
		}
		res.Err = firstLines(msg, 4)
	}
	res.TopAliases = top(counter.aliases, 12)
	// After the clock: what the cycle recorded, and how big the database is.
	if st, err := store.Open(context.Background(), cfg.Database.URL); err == nil {
		if srcs, err := st.Sources(context.Background()); err == nil {
			for _, s := range srcs {
				res.NewItems += s.ItemsSeen
			}
		}
		st.Close()
	}
	if path, ok := strings.CutPrefix(cfg.Database.URL, "sqlite://"); ok {
		for _, suf := range []string{"", "-wal"} {
			if fi, err := os.Stat(path + suf); err == nil {
				res.DBMB += float64(fi.Size()) / (1 << 20)
			}
		}
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = append(lines[:n], "…")
	}
	return strings.Join(lines, "\n")
}

func top(m map[string]int, n int) map[string]int {
	type kv struct {
		k string
		v int
	}
	var all []kv
	for k, v := range m {
		all = append(all, kv{k, v})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].v > all[j].v || all[i].v == all[j].v && all[i].k < all[j].k })
	out := map[string]int{}
	for i := 0; i < n && i < len(all); i++ {
		out[all[i].k] = all[i].v
	}
	return out
}

// heapPeak keeps the heap profile taken when the live heap was largest: the profile at
// the end of a run shows what is kept, not what made the peak.
type heapPeak struct {
	mu   sync.Mutex
	max  uint64
	prof []byte
	done chan struct{}
	wg   sync.WaitGroup
}

func watchHeap(ctx context.Context) *heapPeak {
	h := &heapPeak{done: make(chan struct{})}
	h.wg.Go(func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		var last uint32
		for {
			select {
			case <-ctx.Done():
				return
			case <-h.done:
				return
			case <-t.C:
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			// The heap profile changes at each GC; the live heap after a GC is its size.
			if ms.NumGC == last || ms.HeapAlloc <= h.max*11/10 {
				continue
			}
			last = ms.NumGC
			var b bytes.Buffer
			if pprof.Lookup("heap").WriteTo(&b, 0) == nil {
				h.mu.Lock()
				h.max, h.prof = ms.HeapAlloc, b.Bytes()
				h.mu.Unlock()
			}
		}
	})
	return h
}

func (h *heapPeak) stop(path string) {
	close(h.done)
	h.wg.Wait()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.prof != nil {
		_ = os.WriteFile(path, h.prof, 0o644)
	}
}

// runImportChild imports the watchlist as `vigil watch import` would.
func runImportChild(cfgPath, channel, csvPath string) error {
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	var out bytes.Buffer
	start := time.Now()
	err = app.ImportWatches(context.Background(), app.Options{Config: cfg, Stdout: &out, Logger: logger}, channel, csvPath)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	res := map[string]any{"wall_s": time.Since(start).Seconds(), "summary": lines[len(lines)-1]}
	if err != nil {
		res["err"] = err.Error()
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

// tokenRE finds the tokens of published items in what the terminal chat prints.
var tokenRE = regexp.MustCompile(`\blat-[0-9]+\b`)

// deliveryRecorder is the daemon's terminal: it notes when each published item's alert
// was printed.
type deliveryRecorder struct {
	mu     sync.Mutex
	first  map[string]int64
	alerts int
}

func (d *deliveryRecorder) Write(p []byte) (int, error) {
	now := time.Now().UnixNano()
	toks := tokenRE.FindAll(p, -1)
	d.mu.Lock()
	if bytes.Contains(p, []byte("── alert #")) {
		d.alerts++
	}
	for _, t := range toks {
		if _, ok := d.first[string(t)]; !ok {
			d.first[string(t)] = now
		}
	}
	d.mu.Unlock()
	return len(p), nil
}

// daemonResult is what the daemon child reports when it stops.
type daemonResult struct {
	Delivered map[string]int64 `json:"delivered"`
	Alerts    int              `json:"alerts"`
	UserS     float64          `json:"user_s"`
	SysS      float64          `json:"sys_s"`
	MaxRSSMB  float64          `json:"max_rss_mb"`
	WallS     float64          `json:"wall_s"`
	Err       string           `json:"err,omitempty"`
}

// runDaemonChild runs app.Run in this process with the terminal chat recorded, until
// interrupted, then prints its daemonResult.
func runDaemonChild(cfgPath string, schedulerInterval time.Duration) error {
	raiseFileLimit()
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return err
	}
	logf, err := os.OpenFile(filepath.Join(filepath.Dir(cfgPath), "vigil-daemon.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	rec := &deliveryRecorder{first: map[string]int64{}}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	pr, pw := io.Pipe() // a terminal nobody types into
	defer pw.Close()
	start := time.Now()
	err = app.Run(ctx, app.Options{Config: cfg, Stdin: pr, Stdout: rec, Logger: app.NewLogger(logf, cfg.Log), SchedulerInterval: schedulerInterval})
	ru := rusage()
	res := daemonResult{
		Alerts: rec.alerts, UserS: time.Duration(ru.Utime.Nano()).Seconds(), SysS: time.Duration(ru.Stime.Nano()).Seconds(),
		MaxRSSMB: float64(ru.Maxrss) / 1024, WallS: time.Since(start).Seconds(),
	}
	rec.mu.Lock()
	res.Delivered = rec.first
	rec.mu.Unlock()
	if err != nil && !errors.Is(err, context.Canceled) {
		res.Err = err.Error()
	}
	w := bufio.NewWriter(os.Stdout)
	_ = json.NewEncoder(w).Encode(res)
	return w.Flush()
}
