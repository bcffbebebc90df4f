package app

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilbot/vigil/bot"
	"github.com/vigilbot/vigil/watchers"
)

// A channel that takes passing mentions in its digest only gets alerts naming an entity as
// their subject at once and the others in its digest (daily at 09:00 UTC when it set no
// digest); a channel without the setting gets both at once. When a later item makes a
// held alert's entity its subject, the alert goes out at once after all.
func TestPassingMentionsInDigestOnly(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	news, fr := &fixedSource{}, &fixedSource{}
	cfg := testConfig(t, fmt.Sprintf(`
database:
  url: sqlite:%s
sources:
  - {name: news, type: feed, url: "http://127.0.0.1:1/n", schedule: "@every 1h"}
  - {name: fedreg, type: feed, url: "http://127.0.0.1:1/fr", schedule: "@every 1h"}
channels:
  - id: console:quiet
    watches: [{name: Hikvision}, {name: Dahua}]
  - id: console:all
    watches: [{name: Hikvision}, {name: Dahua}]
`, filepath.Join(t.TempDir(), "vigil.db")))
	chat := &recordingChat{}
	e, client := startEngine(t, Options{Config: cfg, Logger: testLogger(t), Now: clock.Now, pollers: map[string]poller{"news": news, "fedreg": fr}}, chat)
	svc := e.service()
	poll := func(name string) {
		t.Helper()
		res, err := e.poll(ctx, name, false, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.waitJobs(ctx, client, res.JobIDs, 20*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	// settle returns what the channel received once want messages came, and a moment later;
	// other channels' messages wait for their own settle.
	inbox := map[string][]sent{}
	drain := func() {
		for _, s := range chat.take() {
			inbox[s.channel] = append(inbox[s.channel], s)
		}
	}
	settle := func(channel string, want int) []sent {
		t.Helper()
		waitFor(t, fmt.Sprintf("%d messages in %s", want, channel), func() bool { drain(); return len(inbox[channel]) >= want })
		time.Sleep(300 * time.Millisecond)
		drain()
		got := inbox[channel]
		delete(inbox, channel)
		return got
	}
	poll("news") // baselines
	poll("fedreg")
	if r := svc.Handle(ctx, bot.Request{Channel: "console:quiet", User: "alice", CanManage: true, Text: "passing digest"}); r.Failed ||
		!strings.Contains(r.Text, "a digest every day at 09:00 UTC") {
		t.Fatalf("passing digest: %+v", r)
	}
	if err := e.schedule(ctx); err != nil { // computes the digest's first time
		t.Fatal(err)
	}

	subject := watchers.Item{Source: "news", ID: "guid:1", Title: "Hikvision wins a contract", URL: "https://n.example/1",
		Abstract: "The camera maker won. Analysts were surprised."}
	passing := watchers.Item{Source: "news", ID: "guid:2", Title: "Camera makers report results", URL: "https://n.example/2",
		Abstract: "Sales rose across the industry. Dahua also reported."}
	news.set(subject, passing)
	poll("news")
	if got := settle("console:all", 2); len(got) != 2 {
		t.Fatalf("the channel without the setting: got %v, want both alerts", describe(got))
	}
	got := settle("console:quiet", 1)
	if len(got) != 1 || !strings.Contains(got[0].msg.Headline, "Hikvision") {
		t.Fatalf("the channel taking passing mentions in its digest: got %v, want the Hikvision alert only", describe(got))
	}
	if text := got[0].msg.Text(); !strings.Contains(text, `Matched "Hikvision" in title (subject)`) {
		t.Errorf("the subject alert:\n%s", text)
	}

	// A Federal Register rule that lists Hikvision in a table row and names Dahua only in
	// passing in its body: one alert, and it names its subject, so it goes out at once.
	fr.set(watchers.Item{Source: "fedreg", ID: "fr:2026-00002", Step: watchers.StepPublished, Title: "Additions to the Entity List",
		Abstract: "BIS adds entities to the Entity List.", Body: "Background. Dahua was listed in 2019.",
		Rows: []string{"China | Hangzhou Hikvision Digital Technology | For all items"}})
	poll("fedreg")
	if got := settle("console:quiet", 1); len(got) != 1 || !strings.Contains(got[0].msg.Text(), "(passing mention)") ||
		!strings.Contains(got[0].msg.Text(), "table row (subject)") {
		t.Fatalf("a rule listing one entity and mentioning another: got %v", describe(got))
	}
	settle("console:all", 1)

	// At 09:00 UTC the digest carries the passing mention.
	clock.Set(time.Date(2026, 3, 3, 9, 0, 5, 0, time.UTC))
	if err := e.schedule(ctx); err != nil {
		t.Fatal(err)
	}
	got = settle("console:quiet", 1)
	if len(got) != 1 || got[0].msg.Kind != watchers.KindDigest ||
		!strings.Contains(got[0].msg.Text(), "• Dahua (passing mention) — Camera makers report results (news) https://n.example/2") {
		t.Fatalf("the digest: got %v\n%s", describe(got), got[0].msg.Text())
	}

	// Another passing mention is held; then a story naming Dahua in its title joins the
	// same event (it cites the same document) and releases it.
	fr.set(watchers.Item{Source: "fedreg", ID: "fr:2026-00003", Step: watchers.StepPublished, Title: "Export controls on cameras",
		Abstract: "BIS revises license requirements.", Body: "Comments mentioned Dahua.", Rows: []string{"Item | Control"}})
	poll("fedreg")
	settle("console:all", 1)
	if got := inbox["console:quiet"]; len(got) != 0 {
		t.Fatalf("a passing mention was sent at once: %v", describe(got))
	}
	news.set(subject, passing, watchers.Item{Source: "news", ID: "guid:3", Title: "Dahua named in camera rule", URL: "https://n.example/3",
		Links: []string{"https://www.federalregister.gov/d/2026-00003"}})
	poll("news")
	got = settle("console:quiet", 2)
	if len(got) != 2 || got[0].msg.Kind != watchers.KindNew || got[1].msg.Kind != watchers.KindFollowup || got[1].msg.ThreadOf != got[0].ref {
		t.Fatalf("released: got %v, want the held alert and the reply in its thread", describe(got))
	}
	if held, _ := e.store.HeldPosts(ctx, "console:quiet"); len(held) != 0 {
		t.Errorf("still held: %v", held)
	}
}

// passing: digest in the configuration file works as the chat command does: the channel
// gets alerts naming an entity as their subject at once and passing mentions in its
// digest. A chat command changes it until the next start, which applies the file again; a
// channel that the file leaves without the key keeps what chat set.
func TestPassingDigestFromConfig(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	news := &fixedSource{}
	cfg := testConfig(t, fmt.Sprintf(`
database:
  url: sqlite:%s
sources:
  - {name: news, type: feed, url: "http://127.0.0.1:1/n", schedule: "@every 1h"}
channels:
  - id: console:quiet
    watches: [{name: Hikvision}, {name: Dahua}]
    passing: digest
  - id: console:all
    watches: [{name: Hikvision}, {name: Dahua}]
`, filepath.Join(t.TempDir(), "vigil.db")))
	chat := &recordingChat{}
	e, client := startEngine(t, Options{Config: cfg, Logger: testLogger(t), Now: clock.Now, pollers: map[string]poller{"news": news}}, chat)
	svc := e.service()
	say := func(channel, text string) bot.Reply {
		return svc.Handle(ctx, bot.Request{Channel: channel, User: "alice", CanManage: true, Text: text})
	}
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
	inbox := map[string][]sent{}
	settle := func(channel string, want int) []sent {
		t.Helper()
		drain := func() {
			for _, s := range chat.take() {
				inbox[s.channel] = append(inbox[s.channel], s)
			}
		}
		waitFor(t, fmt.Sprintf("%d messages in %s", want, channel), func() bool { drain(); return len(inbox[channel]) >= want })
		time.Sleep(300 * time.Millisecond)
		drain()
		got := inbox[channel]
		delete(inbox, channel)
		return got
	}
	if r := say("console:quiet", "list"); !strings.Contains(r.Text, "Alerts that only mention an entity in passing come in a digest every day at 09:00 UTC") {
		t.Errorf("list of the channel configured with passing: digest:\n%s", r.Text)
	}
	poll() // the baseline

	// The schedule computes the digest's first time.
	if err := e.schedule(ctx); err != nil {
		t.Fatal(err)
	}
	news.set(
		watchers.Item{Source: "news", ID: "guid:1", Title: "Hikvision wins a contract", URL: "https://n.example/1",
			Abstract: "The camera maker won. Analysts were surprised."},
		watchers.Item{Source: "news", ID: "guid:2", Title: "Camera makers report results", URL: "https://n.example/2",
			Abstract: "Sales rose across the industry. Dahua also reported."},
	)
	poll()
	if got := settle("console:all", 2); len(got) != 2 {
		t.Fatalf("the channel without the key: got %v, want both alerts", describe(got))
	}
	if got := settle("console:quiet", 1); len(got) != 1 || !strings.Contains(got[0].msg.Headline, "Hikvision") {
		t.Fatalf("the channel with passing: digest: got %v, want the Hikvision alert only", describe(got))
	}
	if held, err := e.store.HeldPosts(ctx, "console:quiet"); err != nil || len(held) != 1 {
		t.Fatalf("held for the digest: got %v, %v; want the passing mention", held, err)
	}
	clock.Set(time.Date(2026, 3, 3, 9, 0, 5, 0, time.UTC))
	if err := e.schedule(ctx); err != nil {
		t.Fatal(err)
	}
	got := settle("console:quiet", 1)
	if len(got) != 1 || got[0].msg.Kind != watchers.KindDigest ||
		!strings.Contains(got[0].msg.Text(), "• Dahua (passing mention) — Camera makers report results (news) https://n.example/2") {
		t.Fatalf("the digest: got %v", describe(got))
	}

	// Chat changes both channels; a start applies the file again where it sets the key.
	say("console:quiet", "passing alert")
	say("console:all", "passing digest")
	if err := e.seed(ctx); err != nil {
		t.Fatal(err)
	}
	for ch, want := range map[string]string{"console:quiet": watchers.PassingDigest, "console:all": watchers.PassingDigest} {
		if d, err := e.store.Digest(ctx, ch); err != nil || d.Passing != want {
			t.Errorf("%s after a start: passing %q, %v; want %q", ch, d.Passing, err, want)
		}
	}
}
