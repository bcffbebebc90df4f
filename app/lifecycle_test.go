package app

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilbot/vigil/bot"
	"github.com/vigilbot/vigil/watchers"
)

// fixedSource is a source whose items the test sets between polls.
type fixedSource struct {
	mu    sync.Mutex
	items []watchers.Item
}

func (f *fixedSource) set(items ...watchers.Item) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items = items
}

func (f *fixedSource) Poll(context.Context) ([]watchers.Item, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]watchers.Item(nil), f.items...), nil
}

// sent is one message as a chat received it.
type sent struct {
	channel, ref string
	msg          bot.Message
}

// recordingChat is a chat that records what it is sent.
type recordingChat struct {
	mu   sync.Mutex
	msgs []sent // since the last take
	all  []sent
}

func (r *recordingChat) Send(_ context.Context, channel string, m bot.Message) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ref := m.EditOf
	if ref == "" {
		ref = fmt.Sprintf("p%d", m.PostID)
	}
	r.msgs = append(r.msgs, sent{channel, ref, m})
	r.all = append(r.all, sent{channel, ref, m})
	return ref, nil
}

// take returns the messages received since the last take.
func (r *recordingChat) take() []sent {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.msgs
	r.msgs = nil
	return out
}

func describe(ss []sent) []string {
	var out []string
	for _, s := range ss {
		target := ""
		switch {
		case s.msg.EditOf != "":
			target = " edits " + s.msg.EditOf
		case s.msg.ThreadOf != "":
			target = " in thread " + s.msg.ThreadOf
		}
		out = append(out, fmt.Sprintf("%s %s p%d%s", s.channel, s.msg.Kind, s.msg.PostID, target))
	}
	// Deliveries run in parallel: compare them as a set; the targets carry the threading.
	slices.Sort(out)
	return out
}

// TestLifecycle replays a Federal Register document through public inspection,
// publication and correction, with news stories about it from two outlets and a mute,
// and asserts exactly the messages each channel gets: one alert per channel and event,
// naming every entity, edited in place and followed up in its thread.
func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	fr, news1, news2 := &fixedSource{}, &fixedSource{}, &fixedSource{}
	cfg := testConfig(t, fmt.Sprintf(`
database:
  url: sqlite:%s
sources:
  - {name: fedreg, type: feed, url: "http://127.0.0.1:1/fr"}
  - {name: news1, type: feed, url: "http://127.0.0.1:1/n1"}
  - {name: news2, type: feed, url: "http://127.0.0.1:1/n2"}
channels:
  - id: console:a
    watches:
      - {name: Hikvision}
      - {name: Dahua}
  - id: console:b
    watches:
      - {name: Hikvision}
`, filepath.Join(t.TempDir(), "vigil.db")))
	chat := &recordingChat{}
	e, client := startEngine(t, Options{Config: cfg, Logger: testLogger(t), Now: time.Now,
		pollers: map[string]poller{"fedreg": fr, "news1": news1, "news2": news2}}, chat)

	pollAll := func() []string {
		t.Helper()
		var ids []int64
		for _, name := range []string{"fedreg", "news1", "news2"} {
			res, err := e.poll(ctx, name, false, false)
			if err != nil {
				t.Fatalf("poll %s: %v", name, err)
			}
			ids = append(ids, res.JobIDs...)
		}
		if err := e.waitJobs(ctx, client, ids, 20*time.Second); err != nil {
			t.Fatal(err)
		}
		got := describe(chat.take())
		return got
	}
	expect := func(step string, want ...string) {
		t.Helper()
		got := pollAll()
		slices.Sort(want)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("%s:\n got %q\nwant %q", step, got, want)
		}
	}

	expect("baseline") // first polls are baselines

	body := "This rule adds Hikvision and Dahua to the Entity List."
	pi := watchers.Item{Source: "fedreg", ID: "fr:2019-22210", Step: watchers.StepPublicInspection, Title: "Addition of Certain Entities to the Entity List", Abstract: "Adds twenty-eight entities.", Body: body}
	fr.set(pi)
	expect("public inspection", "console:a new p1", "console:b new p2")

	pub := pi
	pub.Step, pub.Published = watchers.StepPublished, time.Date(2019, 10, 9, 0, 0, 0, 0, time.UTC)
	fr.set(pi, pub)
	expect("published", "console:a update p3 edits p1", "console:a followup p4 in thread p1", "console:b update p5 edits p2", "console:b followup p6 in thread p2")

	story := watchers.Item{Source: "news1", ID: "guid:s1", Title: "US blacklists Hikvision", URL: "https://news.example/s1",
		Abstract: "The rule names Hikvision.", Links: []string{"https://www.federalregister.gov/d/2019-22210"}}
	news1.set(story)
	copyStory := story
	copyStory.Source, copyStory.ID, copyStory.URL = "news2", "guid:x9", "https://other.example/x9"
	news2.set(copyStory)
	expect("news about the rule", "console:a followup p7 in thread p1", "console:b followup p8 in thread p2",
		"console:a followup p9 in thread p1", "console:b followup p10 in thread p2")

	// Polling the same items again says nothing.
	expect("unchanged")

	if err := e.store.Mute(ctx, "console:b", "Hikvision", time.Now().Add(time.Hour), "test"); err != nil {
		t.Fatal(err)
	}
	corr := pub
	corr.Step, corr.Body = watchers.StepCorrected, "In the rule published on October 9, correct the effective date." // names nobody
	fr.set(pi, pub, corr)
	other := watchers.Item{Source: "news1", ID: "guid:s2", Title: "Dahua and Hikvision shares fall", URL: "https://news.example/s2"}
	news1.set(story, other)
	expect("correction, a new story and a mute", "console:a update p11 edits p1", "console:a followup p12 in thread p1", "console:a new p13")

	// The alert that names both still names both, and the edit shows the latest state.
	a, err := e.store.AlertState(ctx, "console:a", "fr:2019-22210")
	if err != nil || a.Item.Step != watchers.StepCorrected || strings.Join(a.Entities, ",") != "Hikvision,Dahua" {
		t.Errorf("alert state: got %+v, %v", a, err)
	}
}
