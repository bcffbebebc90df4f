package app

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/vigilbot/vigil/bot"
	"github.com/vigilbot/vigil/bot/console"
	"github.com/vigilbot/vigil/bot/matrixbot"
	"github.com/vigilbot/vigil/config"
	"github.com/vigilbot/vigil/store"
	"github.com/vigilbot/vigil/watchers"
	"github.com/vigilbot/vigil/watchers/feed"
	"github.com/vigilbot/vigil/watchers/screening"
)

// ScanOptions are the flags of `vigil scan --once`.
type ScanOptions struct {
	All    bool   // alert on what a new source already holds (no baseline)
	DryRun bool   // record and deliver nothing
	Output string // "text" (default) or "jsonl"
	// DeliveryWait bounds how long the scan waits for its deliveries; those still
	// pending are retried by the daemon. Default 60 s.
	DeliveryWait time.Duration
}

// Scan polls every source once and runs the whole pipeline as the daemon would, then
// prints the alerts this scan created. It returns an error when a source failed (after
// printing what the others gave).
func Scan(ctx context.Context, opts Options, so ScanOptions) error {
	opts.defaults()
	if so.Output == "" {
		so.Output = "text"
	}
	if so.Output != "text" && so.Output != "jsonl" {
		return fmt.Errorf("scan: unknown output %q: want text or jsonl", so.Output)
	}
	if so.DeliveryWait <= 0 {
		so.DeliveryWait = 60 * time.Second
	}
	e, err := open(ctx, opts)
	if err != nil {
		return err
	}
	defer e.close()
	// Deliver to the configured chats as the daemon would (their loops are not needed to send).
	if _, _, err := e.openChats(ctx, e.service()); err != nil {
		return err
	}
	if m, ok := e.chat("matrix"); ok {
		defer m.(*matrixbot.Bot).Close()
	}
	// The scan's own output is the terminal's delivery: console alerts are recorded as
	// delivered, not printed twice.
	e.setChat(console.Platform, scanOutput{})

	client, err := e.newClient(false)
	if err != nil {
		return err
	}
	sources, err := e.store.Sources(ctx)
	if err != nil {
		return err
	}
	results, err := e.pollAll(ctx, sources, so.All, so.DryRun)
	if err != nil {
		return err
	}
	var (
		alerts []watchers.Alert
		jobIDs []int64
		failed []string
	)
	for _, r := range results {
		var se *sourceError
		if errors.As(r.err, &se) {
			failed = append(failed, se.Error())
			continue
		}
		alerts = append(alerts, r.res.Alerts...)
		jobIDs = append(jobIDs, r.res.JobIDs...)
	}
	if len(jobIDs) > 0 {
		if err := e.drain(ctx, client, jobIDs, so.DeliveryWait); err != nil {
			return err
		}
	}
	if err := writeAlerts(opts.Stdout, so.Output, alerts); err != nil {
		return err
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d sources failed:\n  %s", len(failed), len(sources), strings.Join(failed, "\n  "))
	}
	return nil
}

// scanConcurrency is how many sources a scan polls at once. A poll mostly waits: for
// the network, then for its turn at the database, where polls record one at a time;
// meanwhile the others fetch and parse on the other cores. Per-host politeness still
// holds (the fetcher's limits), and the sources are taken in an order that puts
// consecutive ones on different hosts.
const scanConcurrency = 16

// polled is one source's poll in a scan.
type polled struct {
	res pollResult
	err error // a *sourceError when the source failed
}

// pollAll polls the sources, scanConcurrency at a time, and returns their results in
// the order of sources. Any other error than a source's stops the scan and is returned.
func (e *engine) pollAll(ctx context.Context, sources []watchers.Source, all, dryRun bool) ([]polled, error) {
	out := make([]polled, len(sources))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		order = byHostTurns(sources)
		next  atomic.Int64
		wg    sync.WaitGroup
		mu    sync.Mutex
		fatal error
	)
	for range min(scanConcurrency, len(sources)) {
		wg.Go(func() {
			for ctx.Err() == nil {
				k := int(next.Add(1) - 1)
				if k >= len(order) {
					return
				}
				i := order[k]
				res, err := e.poll(ctx, sources[i].Name, all, dryRun)
				out[i] = polled{res: res, err: err}
				var se *sourceError
				if err != nil && !errors.As(err, &se) {
					mu.Lock()
					if fatal == nil {
						fatal = err
					}
					mu.Unlock()
					cancel()
				}
			}
		})
	}
	wg.Wait()
	if fatal != nil {
		return nil, fatal
	}
	return out, ctx.Err()
}

// byHostTurns returns the indexes of sources in turns over their hosts: every host's
// first source, then every host's second, and so on, so that sources polled together are
// on different hosts and none waits for another's politeness interval.
func byHostTurns(sources []watchers.Source) []int {
	var (
		hosts  []string
		byHost = map[string][]int{}
	)
	for i, s := range sources {
		h := ""
		if u, err := url.Parse(s.URL); err == nil {
			h = strings.ToLower(u.Host)
		}
		if _, ok := byHost[h]; !ok {
			hosts = append(hosts, h)
		}
		byHost[h] = append(byHost[h], i)
	}
	order := make([]int, 0, len(sources))
	for turn := 0; len(order) < len(sources); turn++ {
		for _, h := range hosts {
			if idx := byHost[h]; turn < len(idx) {
				order = append(order, idx[turn])
			}
		}
	}
	return order
}

// drain runs the job engine until the given jobs have finished or wait has passed.
func (e *engine) drain(ctx context.Context, client *river.Client[*sql.Tx], ids []int64, wait time.Duration) error {
	if err := client.Start(ctx); err != nil {
		return fmt.Errorf("start job engine: %w", err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = client.Stop(stopCtx)
	}()
	return e.waitJobs(ctx, client, ids, wait)
}

// waitJobs waits until the given jobs have finished (completed, cancelled or discarded)
// or wait has passed; jobs still pending then are left to the daemon.
func (e *engine) waitJobs(ctx context.Context, client *river.Client[*sql.Tx], ids []int64, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	// Jobs are worked about in the order they were enqueued: look at the first one still
	// pending until it is done, then at the next. (Asking after every pending job at each
	// look cost a query per job per look, and held the database the workers need.)
	pending := ids
	for len(pending) > 0 {
		job, err := client.JobGet(ctx, pending[0])
		if err != nil {
			return fmt.Errorf("delivery job %d: %w", pending[0], err)
		}
		switch job.State {
		case rivertype.JobStateCompleted, rivertype.JobStateCancelled, rivertype.JobStateDiscarded:
			pending = pending[1:]
			continue
		}
		if time.Now().After(deadline) {
			e.log.Warn("deliveries still pending; the daemon will retry them", "pending", len(pending))
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

type scanOutput struct{}

func (scanOutput) Send(_ context.Context, _ string, m bot.Message) (string, error) {
	if m.EditOf != "" {
		return m.EditOf, nil
	}
	return fmt.Sprintf("scan-%d", m.PostID), nil
}

// alertRecord is one line of `scan --output jsonl`; scripts rely on these names.
type alertRecord struct {
	Channel   string          `json:"channel"`
	EventKey  string          `json:"event_key"`
	Kind      string          `json:"kind"`
	Entities  []string        `json:"entities"`
	ItemID    string          `json:"item_id"`
	Source    string          `json:"source"`
	Title     string          `json:"title"`
	URL       string          `json:"url"`
	Published *string         `json:"published"`
	Summary   string          `json:"summary"`
	Note      string          `json:"note,omitempty"` // update and followup: what happened
	Matched   []matchedRecord `json:"matched"`
}

type matchedRecord struct {
	Entity  string `json:"entity"`
	Alias   string `json:"alias"`
	Where   string `json:"where"`
	Mention string `json:"mention,omitempty"` // subject or passing; absent when not marked
	Snippet string `json:"snippet"`
}

func writeAlerts(w io.Writer, output string, alerts []watchers.Alert) error {
	if output == "jsonl" {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for _, a := range alerts {
			r := alertRecord{
				Channel: a.Channel, EventKey: a.EventKey, Kind: string(a.Kind), Entities: a.Entities,
				ItemID: a.Item.ID, Source: a.Item.Source, Title: a.Item.Title, URL: a.Item.URL,
				Summary: a.Summary, Note: a.Note, Matched: []matchedRecord{},
			}
			if !a.Item.Published.IsZero() {
				p := a.Item.Published.UTC().Format(time.RFC3339)
				r.Published = &p
			}
			for _, m := range a.Matches {
				r.Matched = append(r.Matched, matchedRecord{Entity: m.Entity, Alias: m.Alias, Where: string(m.Field), Mention: string(m.Mention), Snippet: m.Snippet})
			}
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	if len(alerts) == 0 {
		_, err := fmt.Fprintln(w, "No new alerts.")
		return err
	}
	for i, a := range alerts {
		sep := "\n"
		if i == 0 {
			sep = ""
		}
		if _, err := fmt.Fprintf(w, "%s[%s] %s\n", sep, a.Channel, console.Sanitize(bot.Render(a).Text())); err != nil {
			return err
		}
	}
	return nil
}

// Sources prints every source with its health.
func Sources(ctx context.Context, opts Options, output string) error {
	opts.defaults()
	e, err := open(ctx, opts)
	if err != nil {
		return err
	}
	defer e.close()
	srcs, err := e.store.Sources(ctx)
	if err != nil {
		return err
	}
	switch output {
	case "json":
		type rec struct {
			Name        string     `json:"name"`
			Type        string     `json:"type"`
			URL         string     `json:"url"`
			Schedule    string     `json:"schedule"`
			Origin      string     `json:"origin"`
			Healthy     bool       `json:"healthy"`
			Baselined   bool       `json:"baselined"`
			LastPoll    *time.Time `json:"last_poll"`
			LastSuccess *time.Time `json:"last_success"`
			LastError   string     `json:"last_error,omitempty"`
			ErrorKind   string     `json:"last_error_kind,omitempty"`
			LastErrorAt *time.Time `json:"last_error_at"`
			Failures    int        `json:"consecutive_failures"`
			NextPoll    *time.Time `json:"next_poll"`
			ItemsSeen   int64      `json:"items_seen"`
		}
		out := make([]rec, 0, len(srcs))
		for _, s := range srcs {
			// A feed URL may carry credentials or a token; this output is pasted into
			// tickets and dashboards, so it shows the URL as an ops report does.
			out = append(out, rec{s.Name, s.Type, feed.RedactURL(s.URL), s.Schedule, s.Origin, s.Healthy(), s.Baselined,
				timePtr(s.LastPollAt), timePtr(s.LastSuccessAt), redactIn(s.LastError, s.URL), s.LastErrorKind, timePtr(s.LastErrorAt), s.Failures, timePtr(s.NextPoll), s.ItemsSeen})
		}
		enc := json.NewEncoder(opts.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "", "text":
		tw := tabwriter.NewWriter(opts.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tTYPE\tHEALTH\tLAST SUCCESS\tNEXT POLL\tSEEN\tLAST ERROR")
		for _, s := range srcs {
			health := "ok"
			switch {
			case s.LastPollAt.IsZero():
				health = "not polled yet"
			case !s.Healthy():
				health = fmt.Sprintf("failing (%d, %s)", s.Failures, s.LastErrorKind)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", s.Name, s.Type, health, when(s.LastSuccessAt), when(s.NextPoll), s.ItemsSeen, oneLine(redactIn(s.LastError, s.URL)))
		}
		return tw.Flush()
	}
	return fmt.Errorf("sources: unknown output %q: want text or json", output)
}

// redactIn replaces a source's URL in text with its redacted form.
func redactIn(text, rawURL string) string {
	if rawURL == "" {
		return text
	}
	return strings.ReplaceAll(text, rawURL, feed.RedactURL(rawURL))
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

// Watch runs a watch command (add, remove, list) for a channel from the command line,
// through the same command grammar and store as the chat. args are the words after the
// verb, as the shell split them.
func Watch(ctx context.Context, opts Options, channel, verb string, args []string) error {
	opts.defaults()
	if err := opts.Config.CheckChannel(channel); err != nil {
		return err
	}
	e, err := open(ctx, opts)
	if err != nil {
		return err
	}
	defer e.close()
	words := []string{verb}
	for _, a := range args {
		if strings.ContainsAny(a, " \t") && !strings.Contains(a, `"`) {
			a = `"` + a + `"`
		}
		words = append(words, a)
	}
	r := e.service().Handle(ctx, bot.Request{Channel: channel, User: "cli", CanManage: true, Admin: true, Text: strings.Join(words, " ")})
	fmt.Fprintln(opts.Stdout, r.Text)
	if r.Failed {
		return errReported
	}
	return nil
}

// errReported is an error whose message the user has already seen.
var errReported = errors.New("command failed")

// IsReported reports whether err's message has already been shown to the user.
func IsReported(err error) bool { return errors.Is(err, errReported) }

// Healthcheck asks a running daemon's /healthz (on http.listen, an unspecified host read
// as loopback) whether it is up. It opens no database: it runs every few seconds.
func Healthcheck(ctx context.Context, cfg *config.Config) error {
	addr := cfg.HTTP.Listen
	if addr == "" {
		return errors.New("healthcheck: http.listen is not set, so there is no /healthz to ask")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("healthcheck: http.listen %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /healthz answered %s", resp.Status)
	}
	return nil
}

// ImportWatches makes a screening list (a Consolidated Screening List CSV: name,
// alt_names) a channel's watchlist, idempotently: entries not yet watched are added, those
// whose aliases changed are updated, nothing is removed. It prints a summary.
func ImportWatches(ctx context.Context, opts Options, channel, path string) error {
	opts.defaults()
	if err := opts.Config.CheckChannel(channel); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	entries, err := screening.ReadCSL(f)
	if err != nil {
		return fmt.Errorf("import %s: %w", path, err)
	}
	e, err := open(ctx, opts)
	if err != nil {
		return err
	}
	defer e.close()
	counts := map[string]int{}
	const batch = 500 // one transaction per batch: fast on SQLite, progress on long lists
	for start := 0; start < len(entries); start += batch {
		end := min(start+batch, len(entries))
		err := e.store.InTx(ctx, func(tx *store.Tx) error {
			for _, en := range entries[start:end] {
				what, err := tx.SeedWatch(ctx, watchers.Watch{Channel: channel, Name: en.Name, Aliases: en.Aliases, CreatedBy: "import:" + filepath.Base(path)})
				if err != nil {
					return fmt.Errorf("entry %q: %w", en.Name, err)
				}
				counts[what]++
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("import %s: %w (entries before it are imported)", path, err)
		}
		if len(entries) > batch {
			fmt.Fprintf(opts.Stdout, "… %d of %d entries\n", end, len(entries))
		}
	}
	fmt.Fprintf(opts.Stdout, "Imported %s into %s: %d added, %d updated, %d unchanged.\n",
		filepath.Base(path), channel, counts[store.Added], counts[store.Updated], counts[store.Unchanged])
	return nil
}
