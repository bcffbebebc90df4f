package app

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack/slacktest"

	"github.com/vigilbot/vigil/internal/fixtures"
)

// The whole program against a stand-in Slack: slack-go's slacktest server answers the Web
// API with recording handlers (and, once, the 429 Slack really sends), and its /ws speaks
// Socket Mode, sending the envelopes the test queues and keeping the bot's
// acknowledgements. The test acts as Slack would and asserts only on the wire.

const (
	e2eBotToken = "xoxb-test-e2e-bot-token"
	e2eAppToken = "xapp-test-e2e-app-token"
	e2eBotUser  = "U0VIGILBOT"
	e2eUser     = "U0ALICE"
	e2eChannel  = "C0E2ETEST"
	e2eTeam     = "T111"
	e2eApp      = "A111"
)

// slackCall is one Web API request the fake received, with what it answered.
type slackCall struct {
	Method string
	Form   url.Values
	JSON   []byte // the body of a JSON call (views.open)
	Status int
	Answer map[string]any // the JSON body of a normal answer; nil for a scripted one
	At     time.Time
}

// slackAnswer is a scripted answer that replaces a method's normal one, once.
type slackAnswer struct {
	status int
	header http.Header
	body   []byte
}

// responsePost is a body posted to a response URL on the fake.
type responsePost struct {
	Path string
	Body []byte
}

type slackFake struct {
	*slacktest.Server
	t     *testing.T
	hello []byte

	mu        sync.Mutex
	calls     []slackCall
	scripted  map[string][]slackAnswer
	acks      map[string]json.RawMessage // envelope id → the acknowledgement's payload
	responses []responsePost
	ts        int
	envelopes int

	frames chan []byte   // envelopes for the bot, sent in order on the socket
	closed chan struct{} // the test is over: drop the socket
}

func newSlackFake(t *testing.T) *slackFake {
	t.Helper()
	f := &slackFake{
		t: t, hello: fixtures.Read(t, "slack/socketmode.hello.json"),
		scripted: map[string][]slackAnswer{}, acks: map[string]json.RawMessage{},
		frames: make(chan []byte, 8), closed: make(chan struct{}),
	}
	api := func(method, token string, answer func(form url.Values) map[string]any) slacktest.Binder {
		return func(c slacktest.Customize) {
			c.Handle("/"+method, func(w http.ResponseWriter, r *http.Request) { f.serveAPI(w, r, method, token, answer) })
		}
	}
	f.Server = slacktest.NewTestServer(
		api("auth.test", e2eBotToken, func(url.Values) map[string]any {
			return map[string]any{"user_id": e2eBotUser, "user": "vigil", "team_id": e2eTeam, "team": "E2E"}
		}),
		// Socket Mode opens with the app-level token, everything else uses the bot token.
		api("apps.connections.open", e2eAppToken, func(url.Values) map[string]any {
			return map[string]any{"url": f.GetWSURL()}
		}),
		api("chat.postMessage", e2eBotToken, func(form url.Values) map[string]any {
			return map[string]any{"channel": form.Get("channel"), "ts": f.nextTS()}
		}),
		api("chat.update", e2eBotToken, func(form url.Values) map[string]any {
			return map[string]any{"channel": form.Get("channel"), "ts": form.Get("ts"), "text": form.Get("text")}
		}),
		api("chat.postEphemeral", e2eBotToken, func(url.Values) map[string]any {
			return map[string]any{"message_ts": f.nextTS()}
		}),
		api("views.open", e2eBotToken, func(url.Values) map[string]any {
			return map[string]any{"view": map[string]any{"id": "V0E2EFORM"}}
		}),
		api("conversations.members", e2eBotToken, func(form url.Values) map[string]any {
			if form.Get("channel") != e2eChannel {
				return map[string]any{"ok": false, "error": "channel_not_found"}
			}
			return map[string]any{"members": []string{e2eUser, e2eBotUser}}
		}),
		func(c slacktest.Customize) {
			c.Handle("/ws", f.serveSocket)
			c.Handle("/response/", func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				f.mu.Lock()
				f.responses = append(f.responses, responsePost{Path: r.URL.Path, Body: body})
				f.mu.Unlock()
			})
			// slacktest answers a few more methods with canned data; anything else the
			// bot calls is a method this test does not know it uses.
			c.Handle("/", func(w http.ResponseWriter, r *http.Request) {
				t.Errorf("the bot called %s, which the fake Slack does not serve", r.URL.Path)
				http.NotFound(w, r)
			})
		},
	)
	f.Start()
	t.Cleanup(func() {
		close(f.closed)
		f.Stop()
	})
	return f
}

func (f *slackFake) nextTS() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ts++
	return fmt.Sprintf("1700000000.%06d", f.ts)
}

// serveAPI answers a Web API method: the next scripted answer if there is one, else
// answer's JSON (with "ok": true unless it says otherwise). Every call is recorded.
func (f *slackFake) serveAPI(w http.ResponseWriter, r *http.Request, method, token string, answer func(url.Values) map[string]any) {
	body, _ := io.ReadAll(r.Body)
	var form url.Values
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		form, _ = url.ParseQuery(string(body))
	}
	got, bearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !bearer {
		got = form.Get("token")
	}
	if got != token {
		f.t.Errorf("%s was called with the token %q, want %q", method, got, token)
	}
	call := slackCall{Method: method, Form: form, Status: http.StatusOK, At: time.Now()}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		call.JSON = body
	}
	f.mu.Lock()
	var scripted *slackAnswer
	if q := f.scripted[method]; len(q) > 0 {
		scripted, f.scripted[method] = &q[0], q[1:]
	}
	f.mu.Unlock()
	if scripted != nil {
		for k, vs := range scripted.header {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
		call.Status = scripted.status
		f.record(call)
		w.WriteHeader(scripted.status)
		_, _ = w.Write(scripted.body)
		return
	}
	call.Answer = answer(form)
	if _, ok := call.Answer["ok"]; !ok {
		call.Answer["ok"] = true
	}
	f.record(call)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(call.Answer)
}

func (f *slackFake) record(c slackCall) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
}

// script makes the next call of method get the raw HTTP response of a fixture.
func (f *slackFake) script(t *testing.T, method, fixture string) {
	t.Helper()
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(fixtures.Read(t, fixture))), nil)
	if err != nil {
		t.Fatalf("read %s: %v", fixture, err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", fixture, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scripted[method] = append(f.scripted[method], slackAnswer{status: resp.StatusCode, header: resp.Header, body: body})
}

func (f *slackFake) callsTo(method string) []slackCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []slackCall
	for _, c := range f.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

func (f *slackFake) waitCalls(t *testing.T, method string, n int) []slackCall {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d calls of %s", n, method), func() bool { return len(f.callsTo(method)) >= n })
	return f.callsTo(method)
}

// serveSocket is the Socket Mode connection: hello, then the queued envelopes, with a
// WebSocket ping now and then as Slack sends (the client reconnects without them). Only
// acknowledgements are expected back.
func (f *slackFake) serveSocket(w http.ResponseWriter, r *http.Request) {
	slacktest.Websocket(func(c *websocket.Conn) {
		if err := c.WriteMessage(websocket.TextMessage, f.hello); err != nil {
			return
		}
		gone := make(chan struct{})
		go func() {
			defer close(gone)
			for {
				_, msg, err := c.ReadMessage()
				if err != nil {
					return
				}
				var ack struct {
					EnvelopeID string          `json:"envelope_id"`
					Payload    json.RawMessage `json:"payload"`
				}
				if err := json.Unmarshal(msg, &ack); err != nil || ack.EnvelopeID == "" {
					f.t.Errorf("the bot sent %s on the socket; want only acknowledgements", msg)
					continue
				}
				f.mu.Lock()
				f.acks[ack.EnvelopeID] = ack.Payload
				f.mu.Unlock()
			}
		}()
		ping := time.NewTicker(5 * time.Second)
		defer ping.Stop()
		for {
			select {
			case <-gone:
				return
			case <-f.closed:
				return
			case <-ping.C:
				_ = c.WriteControl(websocket.PingMessage, nil, time.Now().Add(time.Second))
			case frame := <-f.frames:
				if err := c.WriteMessage(websocket.TextMessage, frame); err != nil {
					f.t.Errorf("send an envelope: %v", err)
					return
				}
			}
		}
	})(w, r)
}

// newEnvelopeID returns an envelope id not used before in this test.
func (f *slackFake) newEnvelopeID(kind string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.envelopes++
	return fmt.Sprintf("e2e-%s-%d", kind, f.envelopes)
}

func (f *slackFake) waitAck(t *testing.T, id string) json.RawMessage {
	t.Helper()
	var payload json.RawMessage
	waitFor(t, "the acknowledgement of envelope "+id, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		p, ok := f.acks[id]
		payload = p
		return ok
	})
	return payload
}

func (f *slackFake) response(path string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.responses {
		if p.Path == path {
			return p.Body, true
		}
	}
	return nil, false
}

// workingOnIt is what the adapter acknowledges a slash command with when the reply is
// not ready in time; the reply then follows through the response URL.
const workingOnIt = "Working on it…"

// slash types "/watch text" in the channel as the user, over the socket, and returns the
// ephemeral reply: from the acknowledgement, or from the response URL if it came late.
func (f *slackFake) slash(t *testing.T, text string) string {
	t.Helper()
	id := f.newEnvelopeID("slash")
	responsePath := "/response/" + id
	f.frames <- slashEnvelope(t, id, text, strings.TrimSuffix(f.GetAPIURL(), "/")+responsePath)
	start := time.Now()
	raw := f.waitAck(t, id)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("/watch %s was acknowledged after %s; Slack shows an error after 3 s", text, d)
	}
	var reply struct {
		ResponseType string `json:"response_type"`
		Text         string `json:"text"`
	}
	if err := json.Unmarshal(raw, &reply); err != nil {
		t.Fatalf("acknowledgement of /watch %s: %s: %v", text, raw, err)
	}
	if reply.ResponseType != "ephemeral" {
		t.Errorf("/watch %s: response_type = %q, want ephemeral", text, reply.ResponseType)
	}
	if reply.Text != workingOnIt {
		return reply.Text
	}
	t.Logf("/watch %s: the reply missed the acknowledgement; waiting for the response URL", text)
	var body []byte
	waitFor(t, "the late reply to /watch "+text, func() bool {
		var ok bool
		body, ok = f.response(responsePath)
		return ok
	})
	if err := json.Unmarshal(body, &reply); err != nil {
		t.Fatalf("late reply to /watch %s: %s: %v", text, body, err)
	}
	return reply.Text
}

// slashEnvelope is the real slash_commands envelope of the fixture with this test's
// command, channel, user and response URL.
func slashEnvelope(t *testing.T, id, text, responseURL string) []byte {
	t.Helper()
	var env map[string]any
	if err := json.Unmarshal(fixtures.Read(t, "slack/socketmode.envelope.slash_commands.json"), &env); err != nil {
		t.Fatalf("slash command fixture: %v", err)
	}
	p, ok := env["payload"].(map[string]any)
	if !ok || env["type"] != "slash_commands" {
		t.Fatalf("slash command fixture is not a slash_commands envelope: %v", env)
	}
	env["envelope_id"] = id
	for k, v := range map[string]string{
		"command": "/watch", "text": text, "channel_id": e2eChannel, "channel_name": "e2e",
		"user_id": e2eUser, "user_name": "alice", "response_url": responseURL,
	} {
		if _, ok := p[k]; !ok {
			t.Fatalf("slash command fixture has no payload.%s", k)
		}
		p[k] = v
	}
	return mustJSON(t, env)
}

// blockActionsEnvelope is a click on a button of the bot's message, as Slack sends it in
// Socket Mode: the message comes back with the blocks it was posted with.
func blockActionsEnvelope(t *testing.T, id, ts, text string, blocks json.RawMessage, button wireElement) []byte {
	t.Helper()
	return mustJSON(t, map[string]any{
		"envelope_id": id,
		"type":        "interactive",
		"payload": map[string]any{
			"type":       "block_actions",
			"user":       map[string]any{"id": e2eUser, "username": "alice", "name": "alice", "team_id": e2eTeam},
			"api_app_id": e2eApp,
			"token":      "verification-token",
			"container":  map[string]any{"type": "message", "message_ts": ts, "channel_id": e2eChannel, "is_ephemeral": false},
			"trigger_id": id + ".trigger", // each interaction has its own
			"team":       map[string]any{"id": e2eTeam, "domain": "xxx"},
			"channel":    map[string]any{"id": e2eChannel, "name": "e2e"},
			"message": map[string]any{
				"type": "message", "subtype": "bot_message", "user": e2eBotUser, "bot_id": "B111", "app_id": e2eApp,
				"text": text, "ts": ts, "team": e2eTeam, "blocks": blocks,
			},
			"state":        map[string]any{"values": map[string]any{}},
			"response_url": "https://hooks.slack.com/actions/" + e2eTeam + "/222/xxx",
			"actions": []any{map[string]any{
				"type": "button", "action_id": button.ActionID, "block_id": button.blockID,
				"text": button.Text, "value": button.Value, "action_ts": "1700000100.000000",
			}},
		},
		"accepts_response_payload": false,
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wireBlock is a Block Kit block as posted, read without slack-go: the test checks what
// Slack receives.
type wireBlock struct {
	Type     string        `json:"type"`
	BlockID  string        `json:"block_id"`
	Text     *wireText     `json:"text"`
	Elements []wireElement `json:"elements"`
}

type wireText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// wireElement is a button (actions block) or a text object (context block).
type wireElement struct {
	Type     string          `json:"type"`
	ActionID string          `json:"action_id"`
	Value    string          `json:"value"`
	URL      string          `json:"url"`
	Text     json.RawMessage `json:"text"`
	blockID  string
}

func parseBlocks(t *testing.T, raw string) []wireBlock {
	t.Helper()
	var blocks []wireBlock
	if err := json.Unmarshal([]byte(raw), &blocks); err != nil {
		t.Fatalf("blocks %s: %v", raw, err)
	}
	return blocks
}

// button finds the button with this action id.
func button(blocks []wireBlock, actionID string) (wireElement, bool) {
	for _, b := range blocks {
		if b.Type != "actions" {
			continue
		}
		for _, e := range b.Elements {
			if e.Type == "button" && e.ActionID == actionID {
				e.blockID = b.BlockID
				return e, true
			}
		}
	}
	return wireElement{}, false
}

// contextText joins the text of the context block with this id.
func contextText(blocks []wireBlock, blockID string) (string, bool) {
	for _, b := range blocks {
		if b.Type != "context" || b.BlockID != blockID {
			continue
		}
		var parts []string
		for _, e := range b.Elements {
			var s string
			if json.Unmarshal(e.Text, &s) == nil {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, " "), true
	}
	return "", false
}

func successes(calls []slackCall) []slackCall {
	var out []slackCall
	for _, c := range calls {
		if c.Status == http.StatusOK {
			out = append(out, c)
		}
	}
	return out
}

// TestSlackWholeProgram runs the daemon in-process with Slack in Socket Mode against the
// fake Slack and a feed served locally: /watch add over the socket is answered in its
// acknowledgement; a new item naming the entity is posted as Block Kit, rate limited once
// (Slack's real 429), snoozed for its Retry-After and then posted exactly once; the Mute 1d
// button of that post, clicked over the socket, mutes the entity and edits the post to
// say so; list shows the mute, and a later matching item is not posted.
func TestSlackWholeProgram(t *testing.T) {
	f := newSlackFake(t)
	f.script(t, "chat.postMessage", "slack/web_api.ratelimited.429.http")
	srv := newFeedServer(t, "feeds/rss-parser/guardian.rss")
	db := filepath.Join(t.TempDir(), "vigil.db")
	cfg := testConfig(t, fmt.Sprintf(`
database:
  url: sqlite:%s
sources:
  - name: guardian
    type: feed
    url: %s/feed
    schedule: "@every 1s"
channels:
  - id: slack:%s
    watches:
      - name: Hikvision
slack:
  bot_token: %s
  app_token: %s
  api_url: %s
`, db, srv.URL, e2eChannel, e2eBotToken, e2eAppToken, f.GetAPIURL()))
	startDaemon(t, cfg)

	reply := f.slash(t, "add Puigdemont")
	if !strings.Contains(reply, `Now watching "Puigdemont" in this channel.`) {
		t.Fatalf("reply to add = %q, want the watch confirmed", reply)
	}
	if strings.Contains(reply, "not a member") {
		t.Errorf("reply to add = %q, but the bot is a member of the channel", reply)
	}
	srv.waitHits(t, 3)
	// The fixture already names Puigdemont, but the first poll is the baseline.
	if posts := f.callsTo("chat.postMessage"); len(posts) != 0 {
		t.Fatalf("after the baseline: %d posts, want none: %+v", len(posts), posts)
	}

	srv.add("e2e-1", "Puigdemont returns to Barcelona", "https://www.theguardian.com/world/e2e-1", "Carles Puigdemont returned today.")
	posts := f.waitCalls(t, "chat.postMessage", 2)
	if posts[0].Status != http.StatusTooManyRequests || posts[1].Status != http.StatusOK {
		t.Fatalf("post statuses = %d, %d; want the scripted 429, then 200", posts[0].Status, posts[1].Status)
	}
	if gap := posts[1].At.Sub(posts[0].At); gap < time.Second {
		t.Errorf("the retry came %s after the 429, want at least its Retry-After of 1s", gap)
	}
	for i, p := range posts {
		if p.Form.Get("blocks") != posts[0].Form.Get("blocks") {
			t.Errorf("post %d differs from the rate-limited one: it is not the same message retried", i)
		}
	}
	post := posts[1]
	for k, want := range map[string]string{"channel": e2eChannel, "unfurl_links": "false", "unfurl_media": "false"} {
		if got := post.Form.Get(k); got != want {
			t.Errorf("alert post %s = %q, want %q", k, got, want)
		}
	}
	if post.Form.Get("thread_ts") != "" {
		t.Errorf("the alert was posted in a thread (thread_ts %q)", post.Form.Get("thread_ts"))
	}
	if text := post.Form.Get("text"); !strings.Contains(text, "Puigdemont returns to Barcelona") {
		t.Errorf("fallback text = %q, want the alert in plain text", text)
	}
	blocks := parseBlocks(t, post.Form.Get("blocks"))
	if len(blocks) == 0 || blocks[0].Type != "header" || blocks[0].Text == nil || !strings.Contains(blocks[0].Text.Text, "Puigdemont returns to Barcelona") {
		t.Errorf("first block = %+v, want a header naming the item", blocks[0])
	}
	if open, ok := button(blocks, "vigil_open"); !ok || !strings.HasPrefix(open.URL, "https://www.theguardian.com/world/e2e-1") {
		t.Errorf("Open button = %+v, want the item's link", open)
	}
	mute, ok := button(blocks, "vigil_mute_1d")
	if !ok {
		t.Fatalf("the alert has no Mute 1d button: %s", post.Form.Get("blocks"))
	}
	ts, _ := post.Answer["ts"].(string)

	click := f.newEnvelopeID("click")
	f.frames <- blockActionsEnvelope(t, click, ts, post.Form.Get("text"), json.RawMessage(post.Form.Get("blocks")), mute)
	if p := f.waitAck(t, click); len(p) > 0 && string(p) != "null" {
		t.Errorf("the click was acknowledged with a payload: %s", p)
	}
	update := f.waitCalls(t, "chat.update", 1)[0]
	if got := update.Form.Get("channel") + " " + update.Form.Get("ts"); got != e2eChannel+" "+ts {
		t.Errorf("chat.update of %s, want %s %s", got, e2eChannel, ts)
	}
	result, ok := contextText(parseBlocks(t, update.Form.Get("blocks")), "vigil_result")
	if !ok || !strings.Contains(result, "<@"+e2eUser+">: Muted \"Puigdemont\" until ") {
		t.Errorf("the updated alert says %q, want who muted Puigdemont and until when", result)
	}
	if eph := f.callsTo("chat.postEphemeral"); len(eph) != 0 {
		t.Errorf("the click was answered privately (%v): it failed", eph[0].Form.Get("text"))
	}

	list := f.slash(t, "list")
	var puigdemont, hikvision string
	for line := range strings.SplitSeq(list, "\n") {
		switch {
		case strings.HasPrefix(line, "• Puigdemont"):
			puigdemont = line
		case strings.HasPrefix(line, "• Hikvision"):
			hikvision = line
		}
	}
	if !strings.Contains(puigdemont, "added by "+e2eUser) || !strings.Contains(puigdemont, "— muted until ") {
		t.Errorf("list = %q, want Puigdemont, added by %s and muted", list, e2eUser)
	}
	if hikvision == "" || strings.Contains(hikvision, "muted") {
		t.Errorf("list = %q, want the configured Hikvision watch, not muted", list)
	}

	srv.add("e2e-2", "Puigdemont speaks in Brussels", "https://www.theguardian.com/world/e2e-2", "Puigdemont spoke to reporters.")
	srv.waitHits(t, 3)
	if ok := successes(f.callsTo("chat.postMessage")); len(ok) != 1 {
		t.Errorf("%d alerts posted, want exactly 1 (delivered once, then muted)", len(ok))
	}
	if n := len(f.callsTo("chat.update")); n != 1 {
		t.Errorf("%d chat.update calls, want 1 (the click's result)", n)
	}
}

// viewSubmissionEnvelope is the submission of a form the bot opened, as Slack sends it in
// Socket Mode: the form comes back with its private metadata and what the user typed.
func viewSubmissionEnvelope(t *testing.T, id, viewID string, form json.RawMessage, values map[string]any) []byte {
	t.Helper()
	var view map[string]any
	if err := json.Unmarshal(form, &view); err != nil {
		t.Fatalf("form %s: %v", form, err)
	}
	view["id"], view["team_id"], view["app_id"], view["bot_id"] = viewID, e2eTeam, e2eApp, "B111"
	view["hash"], view["root_view_id"], view["previous_view_id"] = "1700000200.abcd", viewID, nil
	view["state"] = map[string]any{"values": values}
	return mustJSON(t, map[string]any{
		"envelope_id": id,
		"type":        "interactive",
		"payload": map[string]any{
			"type":                  "view_submission",
			"team":                  map[string]any{"id": e2eTeam, "domain": "xxx"},
			"user":                  map[string]any{"id": e2eUser, "username": "alice", "name": "alice", "team_id": e2eTeam},
			"api_app_id":            e2eApp,
			"token":                 "verification-token",
			"trigger_id":            id + ".trigger",
			"view":                  view,
			"response_urls":         []any{},
			"is_enterprise_install": false,
		},
		"accepts_response_payload": true,
	})
}

// TestSlackTriageWholeProgram: an alert awaiting a decision carries the decision buttons;
// Not our entity opens the reason form on the click's trigger; submitting it records the
// decision, and the alert's message is edited to show it without the buttons. Slack
// delivering the submission again records nothing more.
func TestSlackTriageWholeProgram(t *testing.T) {
	f := newSlackFake(t)
	srv := newFeedServer(t, "feeds/rss-parser/guardian.rss")
	db := filepath.Join(t.TempDir(), "vigil.db")
	cfg := testConfig(t, fmt.Sprintf(`
database:
  url: sqlite:%s
sources:
  - name: guardian
    type: feed
    url: %s/feed
    schedule: "@every 1s"
channels:
  - id: slack:%s
    watches:
      - name: Aurelia Shipping
slack:
  bot_token: %s
  app_token: %s
  api_url: %s
`, db, srv.URL, e2eChannel, e2eBotToken, e2eAppToken, f.GetAPIURL()))
	startDaemon(t, cfg)
	srv.waitHits(t, 2) // the baseline

	srv.add("e2e-t1", "Aurelia Shipping <b>fined</b> for sanctions breaches", "https://www.theguardian.com/world/e2e-t1", "Aurelia Shipping was fined today.")
	post := f.waitCalls(t, "chat.postMessage", 1)[0]
	blocks := parseBlocks(t, post.Form.Get("blocks"))
	notOurs, ok := button(blocks, "vigil_decide_not_our_entity")
	if !ok {
		t.Fatalf("the alert has no decision buttons: %s", post.Form.Get("blocks"))
	}
	for _, id := range []string{"vigil_decide_true_match", "vigil_decide_not_relevant", "vigil_decide_escalated"} {
		if b, ok := button(blocks, id); !ok || b.Value != notOurs.Value || b.blockID != notOurs.blockID {
			t.Errorf("button %s = %+v, want it beside Not our entity for the same alert", id, b)
		}
	}
	alert := notOurs.Value
	if notOurs.blockID != "vigil_triage_"+alert {
		t.Errorf("the decision buttons are in block %q, want vigil_triage_%s", notOurs.blockID, alert)
	}
	ts, _ := post.Answer["ts"].(string)

	click := f.newEnvelopeID("click")
	f.frames <- blockActionsEnvelope(t, click, ts, post.Form.Get("text"), json.RawMessage(post.Form.Get("blocks")), notOurs)
	f.waitAck(t, click)
	var opened struct {
		TriggerID string          `json:"trigger_id"`
		View      json.RawMessage `json:"view"`
	}
	if err := json.Unmarshal(f.waitCalls(t, "views.open", 1)[0].JSON, &opened); err != nil {
		t.Fatal(err)
	}
	if opened.TriggerID != click+".trigger" {
		t.Errorf("views.open on trigger %q, want the click's", opened.TriggerID)
	}
	var form struct {
		PrivateMetadata string `json:"private_metadata"`
		Blocks          []struct {
			Type    string `json:"type"`
			BlockID string `json:"block_id"`
			Element struct {
				ActionID string `json:"action_id"`
			} `json:"element"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(opened.View, &form); err != nil {
		t.Fatal(err)
	}
	input := form.Blocks[len(form.Blocks)-1]
	if input.Type != "input" {
		t.Fatalf("the form's last block is %q, want the reason input", input.Type)
	}
	if n := len(f.callsTo("chat.update")); n != 0 {
		t.Fatalf("the alert was edited %d times before the form was submitted", n)
	}

	reason := "Aurelia Shipping <!channel> of Piraeus, not our counterparty"
	values := map[string]any{input.BlockID: map[string]any{input.Element.ActionID: map[string]any{"type": "plain_text_input", "value": reason}}}
	submitted := f.newEnvelopeID("submit")
	f.frames <- viewSubmissionEnvelope(t, submitted, "V0E2EFORM", opened.View, values)
	if p := f.waitAck(t, submitted); len(p) > 0 && string(p) != "null" {
		t.Errorf("the submission was acknowledged with %s, want nothing (the form closes)", p)
	}
	update := f.waitCalls(t, "chat.update", 1)[0]
	if got := update.Form.Get("channel") + " " + update.Form.Get("ts"); got != e2eChannel+" "+ts {
		t.Errorf("chat.update of %s, want the alert %s %s", got, e2eChannel, ts)
	}
	edited := parseBlocks(t, update.Form.Get("blocks"))
	if _, ok := button(edited, "vigil_decide_true_match"); ok {
		t.Errorf("the decided alert still has the decision buttons: %s", update.Form.Get("blocks"))
	}
	var note string
	for _, b := range edited {
		if b.Type == "section" && b.Text != nil && strings.HasPrefix(b.Text.Text, "*Update:*") {
			note = b.Text.Text
		}
	}
	if !strings.Contains(note, "Marked not our entity by "+e2eUser) || !strings.Contains(note, "&lt;!channel&gt; of Piraeus, not our counterparty") ||
		strings.Contains(note, "<!channel>") {
		t.Errorf("the edited alert says %q, want the decision, who took it and the reason escaped", note)
	}
	eph := f.waitCalls(t, "chat.postEphemeral", 1)
	if text := eph[0].Form.Get("text"); !strings.HasPrefix(text, "Alert #"+alert+" is marked not our entity.") || eph[0].Form.Get("user") != e2eUser {
		t.Errorf("the private reply says %q to %s", text, eph[0].Form.Get("user"))
	}

	// Slack delivers the submission again (the acknowledgement was lost): nothing more is
	// recorded. A later decision typed as a command edits the alert once more, and only once.
	again := viewSubmissionEnvelope(t, submitted, "V0E2EFORM", opened.View, values)
	f.frames <- again
	time.Sleep(time.Second)
	if reply := f.slash(t, "resolve "+alert+" escalated needs legal review"); !strings.Contains(reply, "is marked escalated") {
		t.Fatalf("resolve: %q", reply)
	}
	f.waitCalls(t, "chat.update", 2)
	time.Sleep(2 * time.Second)
	ups := f.callsTo("chat.update")
	if len(ups) != 2 {
		t.Fatalf("%d edits of the alert, want 2 (the form's decision once, then the command's)", len(ups))
	}
	if !strings.Contains(ups[1].Form.Get("blocks"), "Marked escalated by "+e2eUser) {
		t.Errorf("the last edit is not the command's decision: %s", ups[1].Form.Get("blocks"))
	}
	if n := len(f.callsTo("chat.postEphemeral")); n != 1 {
		t.Errorf("%d private replies, want 1", n)
	}
}
