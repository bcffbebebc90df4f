package slackbot

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"

	"github.com/vigilbot/vigil/bot"
	"github.com/vigilbot/vigil/internal/fixtures"
)

const (
	testBotToken = "xoxb-test-bot-token-0123456789"
	testAppToken = "xapp-test-app-token-0123456789"
	testSecret   = "test-signing-secret-0123456789"
	testBotUser  = "U111"
)

// call is one Web API request the fake Slack received.
type call struct {
	Method string
	Form   url.Values // form-encoded calls
	JSON   []byte     // JSON calls
}

// cannedResponse is a scripted answer that replaces the fake's normal one, once.
type cannedResponse struct {
	status int
	header http.Header
	body   string
}

// fakeSlack is slacktest's server with recording handlers for the methods the bot uses
// (slacktest has no chat.update, and its others record nothing).
type fakeSlack struct {
	*slacktest.Server
	t *testing.T

	mu       sync.Mutex
	calls    []call
	canned   map[string][]cannedResponse
	members  map[string][]string            // channel → members
	convs    map[string][]map[string]string // user ("" for the bot) → channels
	dms      map[string]string              // user → the bot's DM
	seq      int
	ws       func(t *testing.T, n int, w http.ResponseWriter, r *http.Request)
	wsConns  int
	response chan []byte // bodies posted to /response/
	botUser  string      // auth.test's user_id
}

func newFakeSlack(t *testing.T) *fakeSlack {
	t.Helper()
	f := &fakeSlack{
		t: t, canned: map[string][]cannedResponse{}, members: map[string][]string{},
		convs: map[string][]map[string]string{}, dms: map[string]string{},
		response: make(chan []byte, 10), botUser: testBotUser,
	}
	method := func(name string, h func(c call) any) slacktest.Binder {
		return func(c slacktest.Customize) {
			c.Handle("/"+name, func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				c := call{Method: name}
				if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
					c.JSON = body
				} else {
					c.Form, _ = url.ParseQuery(string(body))
				}
				f.mu.Lock()
				f.calls = append(f.calls, c)
				var canned *cannedResponse
				if q := f.canned[name]; len(q) > 0 {
					canned, f.canned[name] = &q[0], q[1:]
				}
				f.mu.Unlock()
				if canned != nil {
					for k, vs := range canned.header {
						for _, v := range vs {
							w.Header().Add(k, v)
						}
					}
					w.WriteHeader(canned.status)
					io.WriteString(w, canned.body)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				json.NewEncoder(w).Encode(h(c))
			})
		}
	}
	ok := func(extra map[string]any) map[string]any {
		extra["ok"] = true
		return extra
	}
	f.Server = slacktest.NewTestServer(
		method("auth.test", func(call) any {
			f.mu.Lock()
			defer f.mu.Unlock()
			return ok(map[string]any{"user_id": f.botUser, "user": "vigil", "team": "Test", "team_id": "T111"})
		}),
		method("chat.postMessage", func(c call) any {
			f.mu.Lock()
			f.seq++
			ts := fmt.Sprintf("1700000000.%06d", f.seq)
			f.mu.Unlock()
			return ok(map[string]any{"channel": c.Form.Get("channel"), "ts": ts})
		}),
		method("chat.update", func(c call) any {
			return ok(map[string]any{"channel": c.Form.Get("channel"), "ts": c.Form.Get("ts"), "text": c.Form.Get("text")})
		}),
		method("chat.postEphemeral", func(call) any { return ok(map[string]any{"message_ts": "1700000000.999999"}) }),
		method("views.publish", func(call) any { return ok(map[string]any{}) }),
		method("views.open", func(call) any { return ok(map[string]any{"view": map[string]any{"id": "V0OPENED"}}) }),
		method("conversations.members", func(c call) any {
			f.mu.Lock()
			defer f.mu.Unlock()
			m, found := f.members[c.Form.Get("channel")]
			if !found {
				return map[string]any{"ok": false, "error": "channel_not_found"}
			}
			return ok(map[string]any{"members": m})
		}),
		method("conversations.open", func(c call) any {
			f.mu.Lock()
			defer f.mu.Unlock()
			return ok(map[string]any{"channel": map[string]any{"id": f.dms[c.Form.Get("users")]}})
		}),
		method("users.conversations", func(c call) any {
			f.mu.Lock()
			defer f.mu.Unlock()
			return ok(map[string]any{"channels": f.convs[c.Form.Get("user")]})
		}),
		func(c slacktest.Customize) {
			c.Handle("/response/", func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				f.response <- body
				w.WriteHeader(http.StatusOK)
			})
			c.Handle("/ws", func(w http.ResponseWriter, r *http.Request) {
				f.mu.Lock()
				f.wsConns++
				n, ws := f.wsConns, f.ws
				f.mu.Unlock()
				if ws == nil {
					http.Error(w, "no socket in this test", http.StatusNotFound)
					return
				}
				ws(t, n, w, r)
			})
		},
	)
	f.Start()
	t.Cleanup(f.Stop)
	return f
}

// can scripts the next answer of a method.
func (f *fakeSlack) can(method string, r cannedResponse) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.canned[method] = append(f.canned[method], r)
}

// canError scripts a Slack error ({"ok":false,"error":code}).
func (f *fakeSlack) canError(method, code string) {
	f.can(method, cannedResponse{status: 200, header: http.Header{"Content-Type": {"application/json"}}, body: `{"ok":false,"error":"` + code + `"}`})
}

// canFixture scripts a raw HTTP response read from a fixture.
func (f *fakeSlack) canFixture(t *testing.T, method, rel string) {
	t.Helper()
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(fixtures.Read(t, rel))), nil)
	if err != nil {
		t.Fatalf("read %s: %v", rel, err)
	}
	body, _ := io.ReadAll(resp.Body)
	f.can(method, cannedResponse{status: resp.StatusCode, header: resp.Header, body: string(body)})
}

// callsTo returns the recorded calls of a method.
func (f *fakeSlack) callsTo(method string) []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []call
	for _, c := range f.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// waitCalls waits until the method has been called n times.
func (f *fakeSlack) waitCalls(t *testing.T, method string, n int) []call {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		cs := f.callsTo(method)
		if len(cs) >= n {
			return cs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s called %d times, want %d", method, len(cs), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (f *fakeSlack) setMembers(channel string, users ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.members[channel] = users
}

func (f *fakeSlack) setSocket(ws func(t *testing.T, n int, w http.ResponseWriter, r *http.Request)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ws = ws
}

// fakeHandler is a bot.Service stand-in that records requests.
type fakeHandler struct {
	mu    sync.Mutex
	reqs  []bot.Request
	reply func(bot.Request) bot.Reply
}

func (h *fakeHandler) Handle(_ context.Context, req bot.Request) bot.Reply {
	h.mu.Lock()
	h.reqs = append(h.reqs, req)
	reply := h.reply
	h.mu.Unlock()
	if reply != nil {
		return reply(req)
	}
	return bot.Reply{Text: "ok: " + req.Text}
}

func (h *fakeHandler) requests() []bot.Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]bot.Request(nil), h.reqs...)
}

func (h *fakeHandler) waitRequests(t *testing.T, n int) []bot.Request {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		rs := h.requests()
		if len(rs) >= n {
			return rs
		}
		if time.Now().After(deadline) {
			t.Fatalf("handler got %d requests, want %d", len(rs), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// logBuffer collects log output for the "no secrets in logs" checks.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// newTestBot returns a bot on the fake, in HTTP mode unless the options say otherwise,
// with no pacing between posts.
func newTestBot(t *testing.T, f *fakeSlack, h Handler, edit func(*Options)) (*Bot, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	o := Options{
		BotToken: testBotToken, SigningSecret: testSecret, APIURL: f.GetAPIURL(),
		MembersMayManage: true, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if edit != nil {
		edit(&o)
	}
	b, err := New(o, h)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	b.limiter = newLimiter(0)
	b.botUser.Store(f.botUser)
	return b, logs
}

// runBot runs b until the test ends.
func runBot(t *testing.T, b *Bot) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Run did not return after its context ended")
		}
	})
}

// noSecrets fails if any test secret appears in s.
func noSecrets(t *testing.T, what, s string) {
	t.Helper()
	for _, sec := range []string{testBotToken, testAppToken, testSecret} {
		if strings.Contains(s, sec) {
			t.Errorf("%s contains a secret: %q", what, s)
		}
	}
}
