package slackbot

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack/slacktest"

	"github.com/vigilbot/vigil/bot"
	"github.com/vigilbot/vigil/internal/fixtures"
)

// ackFrame is what the bot sends back for an envelope.
type ackFrame struct {
	EnvelopeID string          `json:"envelope_id"`
	Payload    json.RawMessage `json:"payload"`
}

// TestSocketMode drives the real Socket Mode frames from the fixtures through the
// bot's connection: hello, an app_mention, a channel message, a slash command, Slack's
// retry of the mention, and a disconnect that the bot answers by reconnecting.
func TestSocketMode(t *testing.T) {
	frames := map[string][]byte{}
	for _, name := range []string{"hello", "disconnect", "envelope.events_api.app_mention", "envelope.events_api.message", "envelope.slash_commands"} {
		frames[name] = fixtures.Read(t, "slack/socketmode."+name+".json")
	}
	retried := strings.Replace(string(frames["envelope.events_api.app_mention"]), `"retry_attempt":0,"retry_reason":""`, `"retry_attempt":1,"retry_reason":"timeout"`, 1)
	if retried == string(frames["envelope.events_api.app_mention"]) {
		t.Fatal("could not make the retried envelope")
	}

	f := newFakeSlack(t)
	f.setMembers("C111", "U222", testBotUser)
	acks := make(chan ackFrame, 10)
	reconnected := make(chan struct{})
	problems := make(chan string, 10)
	f.setSocket(func(t *testing.T, n int, w http.ResponseWriter, r *http.Request) {
		slacktest.Websocket(func(c *websocket.Conn) {
			send := func(b []byte) bool {
				if err := c.WriteMessage(websocket.TextMessage, b); err != nil {
					problems <- "write: " + err.Error()
					return false
				}
				return true
			}
			readAck := func() bool {
				c.SetReadDeadline(time.Now().Add(5 * time.Second))
				_, msg, err := c.ReadMessage()
				if err != nil {
					problems <- "read ack: " + err.Error()
					return false
				}
				var a ackFrame
				if err := json.Unmarshal(msg, &a); err != nil {
					problems <- "ack " + string(msg) + ": " + err.Error()
					return false
				}
				acks <- a
				return true
			}
			if !send(frames["hello"]) {
				return
			}
			if n > 1 {
				close(reconnected)
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				c.ReadMessage() // hold the connection until the bot closes it
				return
			}
			for _, env := range [][]byte{frames["envelope.events_api.app_mention"], frames["envelope.events_api.message"], frames["envelope.slash_commands"], []byte(retried)} {
				if !send(env) || !readAck() {
					return
				}
			}
			send(frames["disconnect"])
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			c.ReadMessage()
		})(w, r)
	})

	h := &fakeHandler{}
	b := socketBot(t, f, h, func(o *Options) { o.Command = "/hello-socket-mode" })
	runBot(t, b)

	want := []string{"cda4159a-72a5-4744-aba3-4d66eb52682b", "ac2cfd40-6f8c-4d5e-a1ad-646e532baa19", "1d3c79ab-0ffb-41f3-a080-d19e85f53649", "cda4159a-72a5-4744-aba3-4d66eb52682b"}
	for i, id := range want {
		select {
		case a := <-acks:
			if a.EnvelopeID != id {
				t.Errorf("ack %d for %s, want %s", i, a.EnvelopeID, id)
			}
			if id == "1d3c79ab-0ffb-41f3-a080-d19e85f53649" {
				var p responsePayload
				if err := json.Unmarshal(a.Payload, &p); err != nil || p.ResponseType != "ephemeral" || p.Text != "ok: help" {
					t.Errorf("slash command ack payload = %s (%v), want the ephemeral reply", a.Payload, err)
				}
			} else if len(a.Payload) > 0 && string(a.Payload) != "null" {
				t.Errorf("ack %d carries a payload: %s", i, a.Payload)
			}
		case p := <-problems:
			t.Fatal(p)
		case <-time.After(5 * time.Second):
			t.Fatalf("no ack %d (%s)", i, id)
		}
	}
	select {
	case <-reconnected:
		deadline := time.Now().Add(5 * time.Second)
		for !b.Ready() && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if !b.Ready() {
			t.Error("Ready() = false on a live connection")
		}
	case p := <-problems:
		t.Fatal(p)
	case <-time.After(10 * time.Second):
		t.Fatal("the bot did not reconnect after the disconnect")
	}

	posts := f.waitCalls(t, "chat.postMessage", 1)
	time.Sleep(50 * time.Millisecond) // a second reply (to the retry) would come now
	if posts = f.callsTo("chat.postMessage"); len(posts) != 1 {
		t.Fatalf("%d replies, want 1 (the mention once, the channel message not at all)", len(posts))
	}
	if p := posts[0].Form; p.Get("channel") != "C111" || p.Get("thread_ts") != "1610241741.000200" || p.Get("text") != "ok: help" {
		t.Errorf("mention reply = %v, want the help reply in the mention's thread", p)
	}
	reqs := h.requests()
	wantReqs := []bot.Request{
		{Channel: "slack:C111", User: "U222", CanManage: true, Text: "help"},
		{Channel: "slack:C111", User: "U111", CanManage: true, Text: "help"},
	}
	if len(reqs) != len(wantReqs) {
		t.Fatalf("requests = %+v, want %+v", reqs, wantReqs)
	}
	for _, w := range wantReqs {
		found := false
		for _, r := range reqs {
			found = found || r == w
		}
		if !found {
			t.Errorf("no request %+v in %+v", w, reqs)
		}
	}
}

// TestSocketModeRefusedToken: Run reports a refused bot token instead of running blind.
func TestSocketModeRefusedToken(t *testing.T) {
	f := newFakeSlack(t)
	f.canError("auth.test", "invalid_auth")
	b, logs := newTestBot(t, f, &fakeHandler{}, func(o *Options) { o.AppToken = testAppToken })
	err := b.Run(t.Context())
	if err == nil {
		t.Fatal("Run succeeded with a refused token")
	}
	noSecrets(t, "error", err.Error())
	noSecrets(t, "log", logs.String())
}
