package app

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilbot/vigil/watchers/feed"
)

// Two hundred feeds polled twice: every second request is conditional and answered 304,
// and no feed is dropped.
func TestManyFeedsConditional(t *testing.T) {
	const n = 200
	var ok, notModified, unconditional atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		etag := `"` + r.URL.Path + `-v1"`
		if r.Header.Get("If-None-Match") == etag {
			notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		if r.Header.Get("If-None-Match") == "" {
			unconditional.Add(1)
		}
		ok.Add(1)
		w.Header().Set("ETag", etag)
		fmt.Fprintf(w, `<rss version="2.0"><channel><title>%s</title><item><title>Item of %s</title><guid>%s-1</guid></item></channel></rss>`, r.URL.Path, r.URL.Path, r.URL.Path)
	}))
	defer srv.Close()
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "database:\n  url: sqlite:%s\nsources:\n", filepath.Join(t.TempDir(), "vigil.db"))
	for i := range n {
		fmt.Fprintf(&cfg, "  - {name: f%d, type: feed, url: \"%s/feed/%d\"}\n", i, srv.URL, i)
	}
	opts := Options{Config: testConfig(t, cfg.String()), Logger: testLogger(t), Stdout: &bytes.Buffer{},
		fetcher: &feed.FetcherOptions{UserAgent: "Vigil/test", PerHostInterval: -1, PerHostConcurrency: 8}}
	for cycle := 1; cycle <= 2; cycle++ {
		if err := Scan(context.Background(), opts, ScanOptions{Output: "jsonl"}); err != nil {
			t.Fatalf("cycle %d: %v", cycle, err)
		}
	}
	if ok.Load() != n || notModified.Load() != n || unconditional.Load() != n {
		t.Errorf("two cycles of %d feeds: got %d full answers (%d unconditional) and %d 304s, want %d, %d and %d",
			n, ok.Load(), unconditional.Load(), notModified.Load(), n, n, n)
	}
	var out bytes.Buffer
	opts.Stdout = &out
	if err := Sources(context.Background(), opts, "json"); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(out.String(), `"healthy": true`); got != n {
		t.Errorf("healthy sources after two cycles: got %d, want %d", got, n)
	}
}

// A source failing longer than ops.alert_after is reported once to the ops channel, and
// its recovery is replied in that report's thread.
func TestOpsReport(t *testing.T) {
	ctx := context.Background()
	var (
		mu     sync.Mutex
		status = http.StatusOK
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if status != http.StatusOK {
			http.Error(w, "down", status)
			return
		}
		fmt.Fprint(w, `<rss version="2.0"><channel><title>t</title><item><title>a</title><guid>1</guid></item></channel></rss>`)
	}))
	defer srv.Close()
	setStatus := func(s int) { mu.Lock(); status = s; mu.Unlock() }
	clock := &fakeClock{t: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	cfg := testConfig(t, fmt.Sprintf(`
database:
  url: sqlite:%s
sources:
  - {name: news, type: feed, url: "%s/feed"}
ops:
  channel: console:ops
  alert_after: 6h
`, filepath.Join(t.TempDir(), "vigil.db"), srv.URL))
	chat := &recordingChat{}
	e, _ := startEngine(t, Options{Config: cfg, Logger: testLogger(t), Now: clock.Now,
		fetcher: &feed.FetcherOptions{PerHostInterval: -1}}, chat)
	poll := func(at time.Duration) {
		t.Helper()
		clock.Set(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC).Add(at))
		_, _ = e.poll(ctx, "news", false, false)
	}
	settle := func(want int) []sent {
		t.Helper()
		var got []sent
		waitFor(t, fmt.Sprintf("%d ops messages", want), func() bool { got = append(got, chat.take()...); return len(got) >= want })
		time.Sleep(300 * time.Millisecond)
		return append(got, chat.take()...)
	}

	poll(0)
	setStatus(http.StatusServiceUnavailable)
	poll(time.Hour)
	poll(3 * time.Hour)
	if got := settle(0); len(got) != 0 {
		t.Fatalf("failing for 2 h of 6: got %v", describe(got))
	}
	src, _ := e.store.Source(ctx, "news")
	if src.Failures != 2 || src.LastErrorKind != "http_status" || !strings.Contains(src.LastError, "503") {
		t.Errorf("health: got %+v", src)
	}
	poll(7*time.Hour + time.Minute)
	got := settle(1)
	if len(got) != 1 || got[0].channel != "console:ops" || got[0].msg.Headline != "Source news is failing" ||
		!strings.Contains(got[0].msg.Summary, "failing since 2026-05-01 10:00 UTC: 3 failed polls in a row") {
		t.Fatalf("report: got %v %+v", describe(got), got)
	}
	root := got[0].ref
	poll(8 * time.Hour)
	if got := settle(0); len(got) != 0 {
		t.Fatalf("reported twice: %v", describe(got))
	}
	setStatus(http.StatusOK)
	poll(9 * time.Hour)
	got = settle(1)
	if len(got) != 1 || got[0].msg.ThreadOf != root || !strings.Contains(got[0].msg.Headline, "recovered at 2026-05-01 18:00 UTC after 4 failed polls") {
		t.Fatalf("recovery: got %v %+v", describe(got), got)
	}
}

// A feed that hangs holds one poll, not every worker: the schedule adds no second poll of
// it while the first runs, and polls of the other sources and the deliveries of their
// alerts go on meanwhile.
func TestHangingFeedDelaysNothing(t *testing.T) {
	release := make(chan struct{})
	var inFlight, most atomic.Int64
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })
	good := newFeedServer(t, "feeds/rss-parser/guardian.rss")
	cfg := testConfig(t, fmt.Sprintf(`
database:
  url: sqlite:%s
sources:
  - {name: hang, type: feed, url: "%s/feed", schedule: "@every 1s"}
  - {name: good, type: feed, url: "%s/feed", schedule: "@every 1s"}
channels:
  - id: console:main
    watches: [{name: Puigdemont}]
`, filepath.Join(t.TempDir(), "vigil.db"), hang.URL, good.URL))
	d := startDaemon(t, cfg)
	good.waitHits(t, 2)
	for i := range 3 {
		good.add(fmt.Sprintf("r-%d", i), "Puigdemont speaks", fmt.Sprintf("https://www.theguardian.com/world/r-%d", i), "Puigdemont spoke.")
		waitFor(t, fmt.Sprintf("alert %d while the other feed hangs", i+1), func() bool { return d.alerts() == i+1 })
	}
	if inFlight.Load() != 1 {
		t.Fatalf("requests to the hanging feed in flight: %d, want 1 (its poll is still running)", inFlight.Load())
	}
	if n := most.Load(); n != 1 {
		t.Fatalf("polls of the hanging feed at once: %d, want 1", n)
	}
}

func TestBackoffScalesWithSchedule(t *testing.T) {
	for _, tc := range []struct {
		schedule string
		want     time.Duration
	}{
		{"@every 1s", time.Minute},
		{"@every 1m", 10 * time.Minute},
		{"*/5 * * * *", 50 * time.Minute},
		{"@hourly", 6 * time.Hour},
		{"0 9 * * 1-5", 6 * time.Hour},
		{"not a schedule", 6 * time.Hour},
	} {
		limit := backoffCapFor(tc.schedule)
		if limit != tc.want {
			t.Errorf("backoffCapFor(%q) = %v, want %v", tc.schedule, limit, tc.want)
		}
		for failures := 1; failures <= 25; failures++ {
			d := backoff(failures, limit)
			want := min(time.Minute<<min(failures-1, 20), limit)
			if d < want*4/5 || d > want*6/5 {
				t.Errorf("%s: backoff after %d failures = %v, want %v ±20 %%", tc.schedule, failures, d, want)
			}
		}
	}
}
