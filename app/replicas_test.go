package app

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vigilbot/vigil/internal/pgtest"
)

// TestReplicasOnPostgres runs two daemons on one PostgreSQL database: one leader
// schedules, both work jobs, and a new matching item is alerted exactly once between
// them; the first poll is still one baseline.
func TestReplicasOnPostgres(t *testing.T) {
	dbURL := pgtest.Fresh(t)
	srv := newFeedServer(t, "feeds/rss-parser/guardian.rss")
	cfg := testConfig(t, fmt.Sprintf(`
database:
  url: %s
sources:
  - name: guardian
    type: feed
    url: %s/feed
    schedule: "@every 1s"
channels:
  - id: console:main
    watches: [{name: Puigdemont}]
`, dbURL, srv.URL))
	a := startDaemon(t, cfg)
	b := startDaemon(t, cfg)
	srv.waitHits(t, 4)
	total := func() int { return a.alerts() + b.alerts() }
	if n := total(); n != 0 {
		t.Fatalf("after the baseline: %d alerts, want 0", n)
	}
	srv.add("r-1", "Puigdemont speaks", "https://www.theguardian.com/world/r-1", "Puigdemont spoke.")
	waitFor(t, "the alert", func() bool { return total() >= 1 })
	srv.waitHits(t, 4)
	if n := total(); n != 1 {
		t.Fatalf("two replicas: %d alerts, want exactly 1\nA:\n%s\nB:\n%s", n, a.out.String(), b.out.String())
	}
	// Watches added on one replica are seen by the other's matcher.
	b.say(t, "add Nassar", `Now watching "Nassar"`)
	srv.add("r-2", "Nassar news", "https://www.theguardian.com/world/r-2", "About Nassar.")
	waitFor(t, "the alert for a watch added on the other replica", func() bool {
		return strings.Contains(a.out.String()+b.out.String(), "Nassar named in")
	})
}
