package app

import (
	"fmt"
	"path/filepath"
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
	got := scanRecords(t, cfg, ScanOptions{})
	if len(got) != 1 {
		t.Fatalf("backfill 1: got %d alerts, want 1 (the fixture names Trump in many items): %+v", len(got), got)
	}
	r := got[0]
	if r.Title != "Tottenham Hotspur v Manchester United: Premier League – live!" {
		t.Errorf("backfilled: got %q, want the feed's newest item", r.Title)
	}
}
