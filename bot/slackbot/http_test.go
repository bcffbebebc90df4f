package slackbot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigilbot/vigil/bot"
	"github.com/vigilbot/vigil/internal/fixtures"
)

// signingVector is Slack's documented request-signing example.
type signingVector struct {
	Secret   string            `json:"signing_secret"`
	Headers  map[string]string `json:"headers"`
	BodyFile string            `json:"body_file"`
	Expected string            `json:"expected_signature"`
}

func readVector(t *testing.T) (signingVector, []byte, time.Time) {
	t.Helper()
	var v signingVector
	if err := json.Unmarshal(fixtures.Read(t, "slack/request_signing.docs_example.json"), &v); err != nil {
		t.Fatal(err)
	}
	body := fixtures.Read(t, "slack/"+v.BodyFile)
	sec, err := strconv.ParseInt(v.Headers["X-Slack-Request-Timestamp"], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v, body, time.Unix(sec, 0)
}

func TestVerifyDocsExample(t *testing.T) {
	v, body, ts := readVector(t)
	h := http.Header{}
	for k, val := range v.Headers {
		h.Set(k, val)
	}
	tests := []struct {
		name   string
		edit   func(h http.Header, body []byte) (http.Header, []byte)
		now    time.Time
		secret string
		want   error
	}{
		{name: "docs example", now: ts.Add(30 * time.Second), want: nil},
		{name: "4m59s late", now: ts.Add(4*time.Minute + 59*time.Second), want: nil},
		{name: "stale timestamp", now: ts.Add(5*time.Minute + time.Second), want: errStale},
		{name: "timestamp from the future", now: ts.Add(-6 * time.Minute), want: errStale},
		{name: "wrong secret", now: ts, secret: "8f742231b10e8888abcd99yyyzzz85a6", want: errSignature},
		{name: "body changed", now: ts, want: errSignature, edit: func(h http.Header, b []byte) (http.Header, []byte) {
			return h, []byte(strings.Replace(string(b), "text=", "text=remove+Dahua", 1))
		}},
		{name: "signature changed", now: ts, want: errSignature, edit: func(h http.Header, b []byte) (http.Header, []byte) {
			h = h.Clone()
			h.Set("X-Slack-Signature", "v0="+strings.Repeat("0", 64))
			return h, b
		}},
		{name: "no v0 prefix", now: ts, want: errSignature, edit: func(h http.Header, b []byte) (http.Header, []byte) {
			h = h.Clone()
			h.Set("X-Slack-Signature", strings.TrimPrefix(v.Expected, "v0="))
			return h, b
		}},
		{name: "replayed timestamp with the old signature", now: ts, want: errSignature, edit: func(h http.Header, b []byte) (http.Header, []byte) {
			h = h.Clone()
			h.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts.Unix()+1, 10))
			return h, b
		}},
		{name: "no headers", now: ts, want: errSignature, edit: func(http.Header, []byte) (http.Header, []byte) { return http.Header{}, body }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hh, bb := h, body
			if tt.edit != nil {
				hh, bb = tt.edit(h, body)
			}
			secret := v.Secret
			if tt.secret != "" {
				secret = tt.secret
			}
			if got := verify(secret, hh, bb, tt.now); got != tt.want {
				t.Errorf("verify = %v, want %v", got, tt.want)
			}
		})
	}
}

// signed returns a request to path carrying body, signed with secret at now.
func signed(path, secret string, body []byte, now time.Time) *http.Request {
	ts := strconv.FormatInt(now.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	io.WriteString(mac, "v0:"+ts+":")
	mac.Write(body)
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(body)))
	r.Header.Set("X-Slack-Request-Timestamp", ts)
	r.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	if strings.HasPrefix(string(body), "{") {
		r.Header.Set("Content-Type", "application/json")
	} else {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return r
}

// TestHTTPSlashCommandDocsExample sends Slack's signed example slash command to the
// handler and gets an ephemeral reply in the acknowledgement.
func TestHTTPSlashCommandDocsExample(t *testing.T) {
	v, body, ts := readVector(t)
	f := newFakeSlack(t)
	h := &fakeHandler{}
	b, logs := newTestBot(t, f, h, func(o *Options) {
		o.SigningSecret, o.Command = v.Secret, "/webhook-collect"
		o.Now = func() time.Time { return ts.Add(2 * time.Second) }
	})
	runBot(t, b)

	r := httptest.NewRequest(http.MethodPost, PathCommands, strings.NewReader(string(body)))
	for k, val := range v.Headers {
		r.Header.Set(k, val)
	}
	w := httptest.NewRecorder()
	b.HTTPHandler().ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var got responsePayload
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatalf("reply %s: %v", w.Body, err)
	}
	if got.ResponseType != "ephemeral" || got.Text != "ok: help" {
		t.Errorf("reply = %+v, want an ephemeral reply to help", got)
	}
	reqs := h.requests()
	want := bot.Request{Channel: "slack:G8PSS9T3V", User: "U2CERLKJA", Text: "help"}
	if len(reqs) != 1 || reqs[0] != want {
		t.Errorf("requests = %+v, want %+v", reqs, want)
	}
	noSecrets(t, "log", logs.String())
}

func TestHTTPRefusesUnsigned(t *testing.T) {
	v, body, ts := readVector(t)
	f := newFakeSlack(t)
	h := &fakeHandler{}
	tests := []struct {
		name string
		now  time.Time
		sig  string
	}{
		{"stale timestamp", ts.Add(10 * time.Minute), v.Expected},
		{"bad signature", ts, "v0=" + strings.Repeat("ab", 32)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := newTestBot(t, f, h, func(o *Options) {
				o.SigningSecret, o.Command = v.Secret, "/webhook-collect"
				o.Now = func() time.Time { return tt.now }
			})
			for _, path := range []string{PathCommands, PathEvents, PathInteractivity} {
				r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(body)))
				r.Header.Set("X-Slack-Request-Timestamp", v.Headers["X-Slack-Request-Timestamp"])
				r.Header.Set("X-Slack-Signature", tt.sig)
				w := httptest.NewRecorder()
				b.HTTPHandler().ServeHTTP(w, r)
				if w.Code != http.StatusUnauthorized {
					t.Errorf("%s: status %d, want 401", path, w.Code)
				}
			}
		})
	}
	if n := len(h.requests()); n != 0 {
		t.Errorf("the handler ran %d times for refused requests", n)
	}
}

func TestHTTPURLVerification(t *testing.T) {
	f := newFakeSlack(t)
	now := time.Now()
	b, _ := newTestBot(t, f, &fakeHandler{}, func(o *Options) { o.Now = func() time.Time { return now } })
	body := fixtures.Read(t, "slack/events.url_verification.json")
	w := httptest.NewRecorder()
	b.HTTPHandler().ServeHTTP(w, signed(PathEvents, testSecret, body, now))
	if w.Code != http.StatusOK || w.Body.String() != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("got %d %q, want the challenge", w.Code, w.Body)
	}
}

// TestHTTPDirectMessageOnce: a DM event is answered in the DM, and Slack's retry of the
// same event_id is not answered again.
func TestHTTPDirectMessageOnce(t *testing.T) {
	f := newFakeSlack(t)
	h := &fakeHandler{}
	now := time.Now()
	b, _ := newTestBot(t, f, h, func(o *Options) { o.Now = func() time.Time { return now } })
	runBot(t, b)
	body := fixtures.Read(t, "slack/events.message_im.json")
	for i := range 2 {
		r := signed(PathEvents, testSecret, body, now)
		if i > 0 {
			r.Header.Set("X-Slack-Retry-Num", "1")
		}
		w := httptest.NewRecorder()
		b.HTTPHandler().ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Fatalf("delivery %d: status %d", i, w.Code)
		}
	}
	posts := f.waitCalls(t, "chat.postMessage", 1)
	time.Sleep(50 * time.Millisecond)
	if posts = f.callsTo("chat.postMessage"); len(posts) != 1 {
		t.Fatalf("%d replies, want 1", len(posts))
	}
	if posts[0].Form.Get("channel") != "D024BE91L" || posts[0].Form.Get("thread_ts") != "" {
		t.Errorf("reply went to %v, want the DM, not in a thread", posts[0].Form)
	}
	reqs := h.requests()
	want := bot.Request{Channel: "slack:D024BE91L", User: "U2147483697", Direct: true, CanManage: true, Text: "Hello hello can you hear me?"}
	if len(reqs) != 1 || reqs[0] != want {
		t.Errorf("requests = %+v, want %+v", reqs, want)
	}
}

// TestHTTPMentionInThread: a mention is answered in its thread, without the mention.
func TestHTTPMentionInThread(t *testing.T) {
	f := newFakeSlack(t)
	f.botUser = "U0LAN0Z89" // the docs example mentions this bot
	h := &fakeHandler{}
	now := time.Now()
	b, _ := newTestBot(t, f, h, func(o *Options) { o.Now = func() time.Time { return now } })
	runBot(t, b)
	w := httptest.NewRecorder()
	b.HTTPHandler().ServeHTTP(w, signed(PathEvents, testSecret, fixtures.Read(t, "slack/events.app_mention.json"), now))
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	post := f.waitCalls(t, "chat.postMessage", 1)[0].Form
	if post.Get("channel") != "C123ABC456" || post.Get("thread_ts") != "1515449522.000016" {
		t.Errorf("reply = %v, want it in the mention's thread", post)
	}
	if got := h.requests()[0].Text; got != "is it everything a river should be?" {
		t.Errorf("command text = %q, want the mention stripped", got)
	}
}

// TestHTTPSlashLateReply: a command slower than the acknowledgement budget is acknowledged
// with a note and answered through its response URL.
func TestHTTPSlashLateReply(t *testing.T) {
	f := newFakeSlack(t)
	release := make(chan struct{})
	h := &fakeHandler{reply: func(r bot.Request) bot.Reply {
		<-release
		return bot.Reply{Text: "Now watching <!channel> & co"}
	}}
	now := time.Now()
	b, _ := newTestBot(t, f, h, func(o *Options) { o.Now = func() time.Time { return now }; o.Admins = []string{"UADMIN"} })
	b.ackBudget = 20 * time.Millisecond
	f.setMembers("C0123", testBotUser)
	runBot(t, b)
	form := url.Values{
		"command": {"/watch"}, "text": {`add "Zhejiang Dahua" aka Dahua`}, "channel_id": {"C0123"}, "user_id": {"UADMIN"},
		"response_url": {f.GetAPIURL() + "response/T1/1/abc"},
	}
	w := httptest.NewRecorder()
	b.HTTPHandler().ServeHTTP(w, signed(PathCommands, testSecret, []byte(form.Encode()), now))
	var ack responsePayload
	if err := json.Unmarshal(w.Body.Bytes(), &ack); err != nil || ack.Text != workingOnIt || ack.ResponseType != "ephemeral" {
		t.Fatalf("ack = %s (%v), want %q", w.Body, err, workingOnIt)
	}
	close(release)
	select {
	case body := <-f.response:
		var late responsePayload
		if err := json.Unmarshal(body, &late); err != nil {
			t.Fatal(err)
		}
		if late.ResponseType != "ephemeral" || late.Text != "Now watching &lt;!channel&gt; &amp; co" {
			t.Errorf("late reply = %+v, want the escaped reply, ephemeral", late)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no reply through the response URL")
	}
	if r := h.requests()[0]; !r.CanManage || r.Text != `add "Zhejiang Dahua" aka Dahua` {
		t.Errorf("request = %+v, want an admin's add", r)
	}
}

// TestResponseURLMustBeSlack: the bot posts replies only to Slack's response URLs.
func TestResponseURLMustBeSlack(t *testing.T) {
	f := newFakeSlack(t)
	b, _ := newTestBot(t, f, &fakeHandler{}, nil)
	for _, u := range []string{"https://evil.example/hook", "http://hooks.slack.com/commands/x", "https://hooks.slack.com.evil.example/x", "http://169.254.169.254/latest"} {
		if err := b.respond(t.Context(), u, ephemeral("x")); err == nil {
			t.Errorf("respond(%s) succeeded, want it refused", u)
		}
	}
}
