package app

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigilbot/vigil/watchers"
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
