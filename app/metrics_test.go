package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilbot/vigil/watchers"
)

// TestMetricsAfterScan scrapes /metrics after a poll that alerts, and finds the series an
// operator watches: polls, fetch time, items, matches, messages, deliveries, latency,
// per-source health and the queue.
func TestMetricsAfterScan(t *testing.T) {
	ctx := context.Background()
	news := &fixedSource{}
	cfg := testConfig(t, fmt.Sprintf(`
database:
  url: sqlite:%s
sources:
  - {name: news, type: feed, url: "http://127.0.0.1:1/n"}
  - {name: broken, type: feed, url: "http://127.0.0.1:1/b"}
channels:
  - id: console:main
    watches: [{name: Hikvision}]
`, filepath.Join(t.TempDir(), "vigil.db")))
	e, err := open(ctx, Options{Config: cfg, Logger: testLogger(t), Now: time.Now, HTTPClient: &http.Client{Timeout: time.Second},
		pollers: map[string]poller{"news": news}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	e.chats["console"] = &recordingChat{}
	client, err := e.newClient(false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.poll(ctx, "news", false, false); err != nil {
		t.Fatal(err)
	}
	news.set(watchers.Item{Source: "news", ID: "guid:1", Title: "Hikvision named", URL: "https://n.example/1"})
	res, err := e.poll(ctx, "news", false, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.poll(ctx, "broken", false, false); err == nil {
		t.Fatal("poll of an unreachable feed: got nil error")
	}
	if err := e.drain(ctx, client, res.JobIDs, 20*time.Second); err != nil {
		t.Fatal(err)
	}

	srv := httptest.NewServer(e.httpHandler())
	defer srv.Close()
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: got %d, want %d", path, resp.StatusCode, want)
		}
		if path != "/metrics" {
			continue
		}
		for _, series := range []string{
			`vigil_polls_total{result="ok",source="news"} 2`,
			`vigil_polls_total{result="error",source="broken"} 1`,
			`vigil_fetch_duration_seconds_count{source="news"} 2`,
			`vigil_items_seen_total{source="news"} 1`,
			`vigil_matches_total{source="news",where="title"} 1`,
			`vigil_alert_messages_total{kind="new"} 1`,
			`vigil_deliveries_total{platform="console",result="ok"} 1`,
			`vigil_delivery_latency_seconds_count{platform="console"} 1`,
			`vigil_source_up{source="broken",type="feed"} 0`,
			`vigil_source_up{source="news",type="feed"} 1`,
			`vigil_source_consecutive_failures{source="broken"} 1`,
			`vigil_queue_depth 0`,
			`go_goroutines`,
		} {
			if !strings.Contains(string(body), series) {
				t.Errorf("/metrics lacks %s", series)
			}
		}
	}
}
