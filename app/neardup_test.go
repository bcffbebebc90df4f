package app

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigilbot/vigil/watchers"
	"github.com/vigilbot/vigil/watchers/dedup"
)

// The same story from another outlet, rewritten and without a shared link, becomes a reply
// in the first alert's thread; a different story about the same company is its own alert.
func TestNearDuplicateStories(t *testing.T) {
	ctx := context.Background()
	n1, n2 := &fixedSource{}, &fixedSource{}
	cfg := testConfig(t, fmt.Sprintf(`
database:
  url: sqlite:%s
sources:
  - {name: ap, type: feed, url: "http://127.0.0.1:1/a"}
  - {name: reuters, type: feed, url: "http://127.0.0.1:1/r"}
channels:
  - id: console:a
    watches: [{name: Zhenhai Semiconductor, aliases: [Zhenhai]}]
`, filepath.Join(t.TempDir(), "vigil.db")))
	chat := &recordingChat{}
	e, client := startEngine(t, Options{Config: cfg, Logger: testLogger(t), Now: time.Now, pollers: map[string]poller{"ap": n1, "reuters": n2}}, chat)
	poll := func(name string) []string {
		t.Helper()
		res, err := e.poll(ctx, name, false, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.waitJobs(ctx, client, res.JobIDs, 20*time.Second); err != nil {
			t.Fatal(err)
		}
		return describe(chat.take())
	}
	poll("ap")
	poll("reuters") // baselines

	n1.set(watchers.Item{Source: "ap", ID: "guid:ap-1", URL: "https://ap.example/zhenhai",
		Title:    "US adds Zhenhai Semiconductor to Entity List over military ties",
		Abstract: "The U.S. Commerce Department on Tuesday added Zhenhai Semiconductor Manufacturing and four of its subsidiaries to the Entity List, citing support for China's military modernization, according to a rule posted on the Federal Register."})
	if got := poll("ap"); len(got) != 1 || got[0] != "console:a new p1" {
		t.Fatalf("first story: got %q", got)
	}
	n2.set(watchers.Item{Source: "reuters", ID: "guid:r-9", URL: "https://reuters.example/article/zhenhai-blacklist",
		Title:    "U.S. blacklists Chinese chipmaker Zhenhai, four affiliates",
		Abstract: "WASHINGTON (Reuters) - The United States added Chinese chipmaker Zhenhai Semiconductor Manufacturing and four affiliates to its Entity List on Tuesday, saying the company supports China's military modernization, a government filing showed."})
	if got := poll("reuters"); len(got) != 1 || got[0] != "console:a followup p2 in thread p1" {
		t.Fatalf("the same story from another outlet: got %q, want a reply in the first alert's thread", got)
	}
	n2.set(watchers.Item{Source: "reuters", ID: "guid:r-10", URL: "https://reuters.example/article/zhenhai-results",
		Title:    "Zhenhai Semiconductor quarterly profit doubles on memory demand",
		Abstract: "Zhenhai Semiconductor Manufacturing reported on Friday that its quarterly net profit doubled, helped by strong demand for memory chips from data centres."})
	if got := poll("reuters"); len(got) != 1 || got[0] != "console:a new p3" {
		t.Fatalf("a different story: got %q, want an alert of its own", got)
	}
}

// The cache of recent fingerprints finds the nearest story within the distance and the
// window, whether it was read back from the database or recorded by a poll still open.
func TestFingerprintsNear(t *testing.T) {
	now := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	const base = uint64(0xF0F0_F0F0_F0F0_F0F0)
	flip := func(n int) uint64 { return base ^ (1<<n - 1) } // base with its n low bits flipped
	var f fingerprints
	for i, e := range []struct {
		fp  uint64
		key string
		age time.Duration
	}{
		{flip(3), "old", nearDuplicateWindow + time.Minute}, // nearest, but out of the window
		{flip(12), "far", time.Hour},
		{flip(6), "near", 2 * time.Hour},
		{flip(6), "tie", time.Hour}, // as near, later: the first one found stays
		{0, "empty", time.Hour},
		{flip(17), "beyond", time.Hour},
		{flip(8), "c", time.Hour},
		{flip(9), "d", time.Hour},
	} {
		f.stored.add(e.fp, now.Add(-e.age).UnixMilli(), e.key)
		f.lastID = int64(i + 1)
	}
	tests := []struct {
		name string
		fp   uint64
		want string
	}{
		{"nearest within the window", base, "near"},
		{"nothing within the distance", ^base, ""},
		{"zero never matches", 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := f.near(tc.fp, now)
			if got != tc.want || ok != (tc.want != "") {
				t.Errorf("near(%016x) = %q, %t; want %q", tc.fp, got, ok, tc.want)
			}
		})
	}

	var edge fingerprints
	edge.stored.add(base, now.UnixMilli(), "edge")
	for _, d := range []int{dedup.NearDuplicateDistance, dedup.NearDuplicateDistance + 1} {
		got, _ := edge.near(flip(d), now)
		if want := d <= dedup.NearDuplicateDistance; (got == "edge") != want {
			t.Errorf("at distance %d: got %q, want a match: %t", d, got, want)
		}
	}

	f.add(base^1, "pending", now)
	if got, _ := f.near(base, now); got != "pending" {
		t.Errorf("with a nearer story of a poll still open: got %q, want pending", got)
	}
	f.pending.reset()
	f.stored.dropBefore(now.Add(-nearDuplicateWindow).UnixMilli())
	if f.stored.key[0] != "far" || len(f.stored.fp) != 7 {
		t.Errorf("after forgetting old stories: got %q, want them from far on", f.stored.key)
	}
}

// BenchmarkFingerprintsNear compares one story with the stories of a busy 72 hours: a
// whole first cycle of 5,000 feeds records about 130,000.
func BenchmarkFingerprintsNear(b *testing.B) {
	const n = 130_000
	now := time.Now()
	var f fingerprints
	r := rand.New(rand.NewPCG(1, 2))
	for range n {
		f.stored.add(r.Uint64(), now.UnixMilli(), "key")
	}
	q := r.Uint64()
	b.SetBytes(n * 8)
	for b.Loop() {
		f.near(q, now)
	}
}
