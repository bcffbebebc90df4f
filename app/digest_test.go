package app

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilbot/vigil/watchers"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// TestDigest holds a channel's alerts for its daily digest (on a fake clock), sends them
// as one message at the set time, and flushes what is held when digests are turned off:
// nothing is lost, and later news of a digested alert goes to the digest's thread.
func TestDigest(t *testing.T) {
	ctx := context.Background()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, berlin)}
	news := &fixedSource{}
	cfg := testConfig(t, fmt.Sprintf(`
database:
  url: sqlite:%s
sources:
  - {name: news, type: feed, url: "http://127.0.0.1:1/n", schedule: "@every 1h"}
channels:
  - id: console:a
    watches: [{name: Hikvision}, {name: Dahua}]
`, filepath.Join(t.TempDir(), "vigil.db")))
	chat := &recordingChat{}
	e, client := startEngine(t, Options{Config: cfg, Logger: testLogger(t), Now: clock.Now, pollers: map[string]poller{"news": news}}, chat)

	poll := func() {
		t.Helper()
		res, err := e.poll(ctx, "news", false, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.waitJobs(ctx, client, res.JobIDs, 20*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	// schedule runs the leader's periodic job once and returns what it sent: it waits for
	// want messages, and a moment longer for any unexpected ones.
	schedule := func(want int) []sent {
		t.Helper()
		if err := e.schedule(ctx); err != nil {
			t.Fatal(err)
		}
		var got []sent
		waitFor(t, fmt.Sprintf("%d digest messages", want), func() bool {
			got = append(got, chat.take()...)
			return len(got) >= want
		})
		time.Sleep(300 * time.Millisecond)
		return append(got, chat.take()...)
	}

	poll() // baseline
	if err := e.store.SetDigest(ctx, "console:a", watchers.DigestDaily, "08:30", "Europe/Berlin", "test"); err != nil {
		t.Fatal(err)
	}
	if got := schedule(0); len(got) != 0 {
		t.Fatalf("switching digests on sent %d messages", len(got))
	}
	if d, _ := e.store.Digest(ctx, "console:a"); !d.Next.Equal(time.Date(2026, 3, 3, 8, 30, 0, 0, berlin)) {
		t.Fatalf("next digest: got %v, want tomorrow 08:30 Berlin", d.Next)
	}

	s1 := watchers.Item{Source: "news", ID: "guid:1", Title: "Hikvision wins", URL: "https://n.example/1"}
	s2 := watchers.Item{Source: "news", ID: "guid:2", Title: "Dahua and Hikvision shares fall", URL: "https://n.example/2"}
	news.set(s1, s2)
	poll()
	if got := chat.take(); len(got) != 0 {
		t.Fatalf("alerts in a digest channel were sent at once: %v", describe(got))
	}
	clock.Set(time.Date(2026, 3, 3, 8, 29, 0, 0, berlin))
	if got := schedule(0); len(got) != 0 {
		t.Fatalf("digest sent early: %v", describe(got))
	}
	clock.Set(time.Date(2026, 3, 3, 8, 30, 5, 0, berlin))
	got := schedule(1)
	if len(got) != 1 || got[0].msg.Kind != watchers.KindDigest {
		t.Fatalf("at 08:30: got %v, want one digest", describe(got))
	}
	text := got[0].msg.Text()
	for _, want := range []string{"Digest: 2 messages on 2 events", "• Hikvision — Hikvision wins (news) https://n.example/1", "• Dahua, Hikvision — Dahua and Hikvision shares fall (news)"} {
		if !strings.Contains(text, want) {
			t.Errorf("digest:\n%s\nwant it to contain %q", text, want)
		}
	}
	digestRef := got[0].ref

	// Another outlet's copy while digests are still on is held; turning them off sends it.
	copyStory := watchers.Item{Source: "news", ID: "guid:3", Title: "Hikvision wins, again", URL: "https://n.example/1?utm_source=x"}
	news.set(s1, s2, copyStory)
	poll()
	if err := e.store.SetDigest(ctx, "console:a", watchers.DigestOff, "", "UTC", "test"); err != nil {
		t.Fatal(err)
	}
	got = schedule(1)
	if len(got) != 1 || got[0].msg.Kind != watchers.KindDigest || !strings.Contains(got[0].msg.Text(), "Also reported by news: Hikvision wins, again") {
		t.Fatalf("turning digests off: got %v, want the held follow-up in a last digest", describe(got))
	}

	// With digests off, more news of a digested alert is a reply in the digest's thread.
	more := watchers.Item{Source: "news", ID: "guid:4", Title: "Hikvision wins, third outlet", URL: "https://n.example/1#more"}
	news.set(s1, s2, copyStory, more)
	poll()
	got = chat.take()
	if len(got) != 1 || got[0].msg.ThreadOf != digestRef {
		t.Fatalf("after digests: got %v, want one reply in the thread of %s", describe(got), digestRef)
	}
}
