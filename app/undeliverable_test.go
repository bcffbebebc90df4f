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

// refusingChat refuses one channel for good, like a Slack channel the bot was removed from.
type refusingChat struct {
	recordingChat
	refuse string
}

func (r *refusingChat) Send(ctx context.Context, channel string, m bot.Message) (string, error) {
	if channel == r.refuse {
		return "", fmt.Errorf("not_in_channel: %w", bot.ErrPermanent)
	}
	return r.recordingChat.Send(ctx, channel, m)
}

// A channel that refuses Vigil's messages is reported to the ops channel, once a day, and
// its messages are not retried.
func TestUndeliverableReported(t *testing.T) {
	ctx := context.Background()
	news := &fixedSource{}
	cfg := testConfig(t, fmt.Sprintf(`
database:
  url: sqlite:%s
sources:
  - {name: news, type: feed, url: "http://127.0.0.1:1/n"}
channels:
  - id: console:gone
    watches: [{name: Hikvision}]
ops:
  channel: console:ops
`, filepath.Join(t.TempDir(), "vigil.db")))
	chat := &refusingChat{refuse: "console:gone"}
	e, _ := startEngine(t, Options{Config: cfg, Logger: testLogger(t), Now: time.Now, pollers: map[string]poller{"news": news}}, chat)
	if _, err := e.poll(ctx, "news", false, false); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		news.set(watchers.Item{Source: "news", ID: fmt.Sprintf("guid:%d", i), Title: fmt.Sprintf("Hikvision story %d", i), URL: fmt.Sprintf("https://n.example/%d", i)})
		if _, err := e.poll(ctx, "news", false, false); err != nil {
			t.Fatal(err)
		}
	}
	var got []sent
	waitFor(t, "the ops report", func() bool { got = append(got, chat.take()...); return len(got) > 0 })
	time.Sleep(500 * time.Millisecond)
	got = append(got, chat.take()...)
	if len(got) != 1 || got[0].channel != "console:ops" || !strings.Contains(got[0].msg.Headline, "cannot be delivered to console:gone") ||
		!strings.Contains(got[0].msg.Summary, "not_in_channel") {
		t.Fatalf("ops messages: got %v %+v, want one report", describe(got), got)
	}
}
