package slackbot

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/slack-go/slack"

	"github.com/vigilbot/vigil/bot"
)

var _ interface {
	Send(ctx context.Context, channel string, m bot.Message) (string, error)
} = (*Bot)(nil)

func TestSendNewEditAndThread(t *testing.T) {
	f := newFakeSlack(t)
	b, _ := newTestBot(t, f, &fakeHandler{}, nil)
	ctx := context.Background()

	m := sampleMessage()
	ref, err := b.Send(ctx, "slack:C0123", m)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	posts := f.callsTo("chat.postMessage")
	if len(posts) != 1 {
		t.Fatalf("%d posts, want 1", len(posts))
	}
	p := posts[0].Form
	if ref != "1700000000.000001" {
		t.Errorf("ref = %q, want the posted message's ts", ref)
	}
	for k, want := range map[string]string{"channel": "C0123", "unfurl_links": "false", "unfurl_media": "false", "parse": "none", "link_names": "false"} {
		if got := p.Get(k); got != want {
			t.Errorf("post %s = %q, want %q", k, got, want)
		}
	}
	if p.Get("thread_ts") != "" {
		t.Errorf("a new alert was posted in a thread")
	}
	if !strings.HasPrefix(p.Get("text"), "Zhejiang Dahua and Hikvision named in") {
		t.Errorf("fallback text = %q, want the plain-text alert", p.Get("text"))
	}
	var blocks slack.Blocks
	if err := json.Unmarshal([]byte(p.Get("blocks")), &blocks); err != nil || len(blocks.BlockSet) == 0 {
		t.Fatalf("blocks %q: %v", p.Get("blocks"), err)
	}
	if blocks.BlockSet[0].BlockType() != slack.MBTHeader {
		t.Errorf("first block is %s, want a header", blocks.BlockSet[0].BlockType())
	}

	edit := m
	edit.EditOf, edit.Note = ref, "Published in the Federal Register"
	got, err := b.Send(ctx, "slack:C0123", edit)
	if err != nil {
		t.Fatalf("Send edit: %v", err)
	}
	ups := f.callsTo("chat.update")
	if len(ups) != 1 || ups[0].Form.Get("ts") != ref || ups[0].Form.Get("channel") != "C0123" {
		t.Fatalf("updates = %+v, want one chat.update of %s", ups, ref)
	}
	if got != ref {
		t.Errorf("edit ref = %q, want %q", got, ref)
	}
	if !strings.Contains(ups[0].Form.Get("blocks"), "*Update:* Published in the Federal Register") {
		t.Errorf("the edit does not say what changed: %s", ups[0].Form.Get("blocks"))
	}

	reply := bot.Message{ThreadOf: ref, Headline: "Also reported by Reuters", URL: "https://example.org/story"}
	if _, err := b.Send(ctx, "slack:C0123", reply); err != nil {
		t.Fatalf("Send reply: %v", err)
	}
	posts = f.callsTo("chat.postMessage")
	if len(posts) != 2 || posts[1].Form.Get("thread_ts") != ref {
		t.Fatalf("reply post thread_ts = %q, want %q", posts[1].Form.Get("thread_ts"), ref)
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name      string
		script    func(t *testing.T, f *fakeSlack)
		channel   string
		permanent bool
		retry     time.Duration
	}{
		{name: "rate limited (429 with Retry-After)", script: func(t *testing.T, f *fakeSlack) {
			f.canFixture(t, "chat.postMessage", "slack/web_api.ratelimited.429.http")
		}, retry: time.Second},
		{name: "429 without Retry-After", script: func(t *testing.T, f *fakeSlack) {
			f.can("chat.postMessage", cannedResponse{status: 429, body: `{"ok":false,"error":"ratelimited"}`})
		}, retry: time.Minute},
		{name: "server error is retried", script: func(t *testing.T, f *fakeSlack) {
			f.can("chat.postMessage", cannedResponse{status: 503, body: "<html>down</html>"})
		}},
		{name: "internal_error is retried", script: func(t *testing.T, f *fakeSlack) { f.canError("chat.postMessage", "internal_error") }},
		{name: "not a slack channel", channel: "matrix:!room:example.org", permanent: true},
		{name: "malformed channel id", channel: "slack:../chat.update", permanent: true},
	}
	for _, code := range []string{"channel_not_found", "not_in_channel", "is_archived", "invalid_auth", "account_inactive", "token_revoked"} {
		tests = append(tests, struct {
			name      string
			script    func(t *testing.T, f *fakeSlack)
			channel   string
			permanent bool
			retry     time.Duration
		}{name: code, script: func(t *testing.T, f *fakeSlack) { f.canError("chat.postMessage", code) }, permanent: true})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSlack(t)
			b, logs := newTestBot(t, f, &fakeHandler{}, nil)
			if tt.script != nil {
				tt.script(t, f)
			}
			channel := tt.channel
			if channel == "" {
				channel = "slack:C0123"
			}
			_, err := b.Send(context.Background(), channel, sampleMessage())
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			if got := errors.Is(err, bot.ErrPermanent); got != tt.permanent {
				t.Errorf("errors.Is(%v, ErrPermanent) = %v, want %v", err, got, tt.permanent)
			}
			ra, isRetry := errors.AsType[*bot.RetryAfterError](err)
			if isRetry != (tt.retry > 0) {
				t.Errorf("RetryAfterError = %v, want %v (err %v)", isRetry, tt.retry > 0, err)
			}
			if isRetry && ra.After != tt.retry {
				t.Errorf("retry after %s, want %s", ra.After, tt.retry)
			}
			noSecrets(t, "error", err.Error())
			noSecrets(t, "log", logs.String())
		})
	}
}

// TestSendFallsBackToText: Block Kit that Slack refuses must not lose the alert.
func TestSendFallsBackToText(t *testing.T) {
	f := newFakeSlack(t)
	b, _ := newTestBot(t, f, &fakeHandler{}, nil)
	f.canError("chat.postMessage", "invalid_blocks")
	if _, err := b.Send(context.Background(), "slack:C0123", sampleMessage()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	posts := f.callsTo("chat.postMessage")
	if len(posts) != 2 {
		t.Fatalf("%d posts, want the refused one and a plain-text one", len(posts))
	}
	if posts[1].Form.Get("blocks") != "" || posts[1].Form.Get("text") == "" || posts[1].Form.Get("mrkdwn") != "false" {
		t.Errorf("second post = %v, want plain text only", posts[1].Form)
	}
}

// TestSendNetworkErrorHasNoSecret: a connection failure is retried and says nothing secret.
func TestSendNetworkErrorHasNoSecret(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	logs := &logBuffer{}
	b, err := New(Options{BotToken: testBotToken, AppToken: testAppToken, SigningSecret: testSecret, APIURL: "http://" + addr + "/api/", Logger: slog.New(slog.NewTextHandler(logs, nil))}, &fakeHandler{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Send(context.Background(), "slack:C0123", sampleMessage())
	if err == nil || errors.Is(err, bot.ErrPermanent) {
		t.Fatalf("err = %v, want a retryable error", err)
	}
	noSecrets(t, "error", err.Error())
	noSecrets(t, "log", logs.String())
	noSecrets(t, "options", Options{BotToken: testBotToken, AppToken: testAppToken, SigningSecret: testSecret}.String())
}

func TestLimiterPacesEachChannel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(time.Second)
		ctx := context.Background()
		start := time.Now()
		var at []time.Duration
		for range 3 {
			if err := l.wait(ctx, "C1"); err != nil {
				t.Fatal(err)
			}
			at = append(at, time.Since(start))
		}
		if err := l.wait(ctx, "C2"); err != nil {
			t.Fatal(err)
		}
		other := time.Since(start)
		want := []time.Duration{0, time.Second, 2 * time.Second}
		for i := range want {
			if at[i] != want[i] {
				t.Errorf("message %d in C1 went at %s, want %s", i, at[i], want[i])
			}
		}
		if other != 2*time.Second { // C2 waited for no one but the test's own sequence
			t.Errorf("first message in C2 went at %s, want right away (2s, after the C1 waits)", other)
		}

		ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		_ = l.wait(ctx, "C3")
		if err := l.wait(ctx, "C3"); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("wait with an ending context = %v, want the context's error", err)
		}
	})
}
