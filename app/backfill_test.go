package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// A new feed with backfill: 1 alerts on its newest item only; the rest is its baseline.
func TestBackfill(t *testing.T) {
	srv := newFeedServer(t, "feeds/rss-parser/guardian.rss")
	cfg := testConfig(t, fmt.Sprintf(`
database:
  url: sqlite:%s
sources:
  - {name: guardian, type: feed, url: "%s/feed", backfill: 1}
channels:
  - id: console:main
    watches: [{name: Tottenham}, {name: Trump}]
`, filepath.Join(t.TempDir(), "vigil.db"), srv.URL))
	var out bytes.Buffer
	if err := Scan(context.Background(), Options{Config: cfg, Stdout: &out, Logger: testLogger(t)}, ScanOptions{Output: "jsonl"}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("backfill 1: got %d alerts, want 1 (the fixture names Trump in many items)\n%s", len(lines), out.String())
	}
	var r alertRecord
	if err := json.Unmarshal([]byte(lines[0]), &r); err != nil {
		t.Fatal(err)
	}
	if r.Title != "Tottenham Hotspur v Manchester United: Premier League – live!" {
		t.Errorf("backfilled: got %q, want the feed's newest item", r.Title)
	}
}
