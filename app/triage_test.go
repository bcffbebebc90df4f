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

// A cleared false positive stays quiet through repeated polls and copies from other
// outlets, and comes back for review when the data changes materially; decisions edit
// the alert's message and are kept with who, when and why.
func TestTriageSuppressUntilMaterialChange(t *testing.T) {
	ctx := context.Background()
	fr, news := &fixedSource{}, &fixedSource{}
	cfg := testConfig(t, fmt.Sprintf(`
database:
  url: sqlite:%s
sources:
  - {name: fedreg, type: feed, url: "http://127.0.0.1:1/fr"}
  - {name: news, type: feed, url: "http://127.0.0.1:1/n"}
channels:
  - id: console:a
    watches: [{name: Dahua, aliases: [Dahua Technology]}]
`, filepath.Join(t.TempDir(), "vigil.db")))
	chat := &recordingChat{}
	e, client := startEngine(t, Options{Config: cfg, Logger: testLogger(t), Now: time.Now, pollers: map[string]poller{"fedreg": fr, "news": news}}, chat)
	svc := e.service()
	say := func(text string) bot.Reply {
		return svc.Handle(ctx, bot.Request{Channel: "console:a", User: "alice", CanManage: true, Text: text})
	}
	poll := func(names ...string) []sent {
		t.Helper()
		var ids []int64
		for _, n := range names {
			res, err := e.poll(ctx, n, false, false)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, res.JobIDs...)
		}
		if err := e.waitJobs(ctx, client, ids, 20*time.Second); err != nil {
			t.Fatal(err)
		}
		return chat.take()
	}
	settle := func() []sent {
		t.Helper()
		var got []sent
		waitFor(t, "the edit", func() bool { got = append(got, chat.take()...); return len(got) > 0 })
		return got
	}
	poll("fedreg", "news") // baselines

	pi := watchers.Item{Source: "fedreg", ID: "fr:2026-00001", Step: watchers.StepPublicInspection, Title: "Entity List additions",
		Body: "The rule adds Dahua Road Trading of Lagos."}
	fr.set(pi)
	if got := poll("fedreg"); len(got) != 1 || got[0].msg.Kind != watchers.KindNew || !got[0].msg.Undecided {
		t.Fatalf("first: got %v %+v, want a new alert awaiting a decision", describe(got), got)
	}
	alertID := chat.lastAlertID(t)
	if r := say("open"); !strings.Contains(r.Text, fmt.Sprintf("#%d", alertID)) {
		t.Errorf("open before the decision: %q", r.Text)
	}
	if r := say(fmt.Sprintf("resolve %d not_our_entity", alertID)); !r.Failed || !strings.Contains(r.Text, "a reason is required") {
		t.Errorf("clearing without a reason: got %+v", r)
	}
	if r := say(fmt.Sprintf("resolve #%d not_our_entity a Lagos trader, not Zhejiang Dahua", alertID)); r.Failed {
		t.Fatalf("resolve: %+v", r)
	}
	edit := settle()
	if len(edit) != 1 || edit[0].msg.EditOf == "" || !strings.Contains(edit[0].msg.Note, "Marked not our entity by alice") ||
		!strings.Contains(edit[0].msg.Note, "a Lagos trader, not Zhejiang Dahua") || edit[0].msg.Undecided {
		t.Fatalf("the decision's edit: got %v %+v", describe(edit), edit)
	}
	if r := say("open"); !strings.Contains(r.Text, "No undecided alerts") {
		t.Errorf("open after the decision: %q", r.Text)
	}

	// The same alias from another outlet's story about the document: quiet.
	news.set(watchers.Item{Source: "news", ID: "guid:1", Title: "Dahua named in rule", URL: "https://n.example/1",
		Links: []string{"https://www.federalregister.gov/d/2026-00001"}})
	if got := poll("news", "fedreg"); len(got) != 0 {
		t.Fatalf("after clearing, the same alias elsewhere: got %v, want silence", describe(got))
	}
	// A newly matched alias is a material change: back for review, saying why and what was decided.
	news.set(watchers.Item{Source: "news", ID: "guid:2", Title: "Dahua Technology responds", URL: "https://n.example/2",
		Links: []string{"https://www.federalregister.gov/d/2026-00001"}})
	// The reply in the thread says why; the alert's own message is edited to show it is open
	// again (on Slack, with the decision buttons back).
	got := poll("news")
	var reply, reopened *sent
	for i := range got {
		switch got[i].msg.Kind {
		case watchers.KindFollowup:
			reply = &got[i]
		case watchers.KindUpdate:
			reopened = &got[i]
		}
	}
	if len(got) != 2 || reply == nil || reopened == nil {
		t.Fatalf("a new alias: got %v, want a reply in the thread and an edit", describe(got))
	}
	if !strings.Contains(reply.msg.Headline, `Review again (newly matched alias "Dahua Technology")`) ||
		!strings.Contains(reply.msg.Headline, "marked not our entity by alice") || reply.msg.Undecided {
		t.Errorf("a new alias, the reply: got %+v", reply.msg)
	}
	if reopened.msg.EditOf != edit[0].msg.EditOf || !reopened.msg.Undecided || !strings.HasPrefix(reopened.msg.Note, "Review again") ||
		reopened.msg.Headline != edit[0].msg.Headline {
		t.Errorf("a new alias, the edit: got %+v, want the alert's message awaiting a decision again", reopened.msg)
	}
	if r := say("open"); !strings.Contains(r.Text, fmt.Sprintf("#%d", alertID)) {
		t.Errorf("open after reopening: %q", r.Text)
	}
	trail, _ := e.store.Decisions(ctx, alertID)
	if len(trail) != 2 || trail[1].State != watchers.DispOpen || trail[1].By != "vigil" {
		t.Errorf("decision trail: %+v", trail)
	}
	if r := say(fmt.Sprintf("assign %d @bob", alertID)); r.Failed {
		t.Errorf("assign: %+v", r)
	}
	if r := say("resolve 999 true_match"); !r.Failed || !strings.Contains(r.Text, "no alert #999") {
		t.Errorf("resolve of an unknown alert: %+v", r)
	}
}

// lastAlertID is the alert id of the latest message received.
func (r *recordingChat) lastAlertID(t *testing.T) int64 {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.all) == 0 {
		t.Fatal("no message received")
	}
	return r.all[len(r.all)-1].msg.AlertID
}
