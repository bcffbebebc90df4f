package slackbot

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/vigilbot/vigil/bot"
	"github.com/vigilbot/vigil/watchers"
)

// dispatch hands one Socket Mode event to the bot as its Run loop would, and waits for
// the work it started.
func dispatch(t *testing.T, b *Bot, evt socketmode.Event) {
	t.Helper()
	r := newRunner(maxConcurrent)
	b.onSocketEvent(t.Context(), r, evt)
	r.wait()
}

func eventsAPI(t *testing.T, raw string) socketmode.Event {
	t.Helper()
	ev, err := slackevents.ParseEvent(json.RawMessage(raw), slackevents.OptionNoVerifyToken())
	if err != nil {
		t.Fatalf("parse %s: %v", raw, err)
	}
	return socketmode.Event{Type: socketmode.EventTypeEventsAPI, Data: ev, Request: &socketmode.Request{Type: "events_api", EnvelopeID: "env-" + t.Name()}}
}

func socketBot(t *testing.T, f *fakeSlack, h Handler, edit func(*Options)) *Bot {
	t.Helper()
	b, _ := newTestBot(t, f, h, func(o *Options) {
		o.AppToken = testAppToken
		if edit != nil {
			edit(o)
		}
	})
	return b
}

func TestDirectMessagesIgnored(t *testing.T) {
	tests := []struct{ name, event string }{
		{"bot message", `{"type":"message","channel":"D1","channel_type":"im","bot_id":"B1","user":"U9","text":"list","ts":"1.1"}`},
		{"bot_message subtype", `{"type":"message","subtype":"bot_message","channel":"D1","channel_type":"im","text":"list","ts":"1.1"}`},
		{"its own message", `{"type":"message","channel":"D1","channel_type":"im","user":"` + testBotUser + `","text":"list","ts":"1.1"}`},
		{"an edit", `{"type":"message","subtype":"message_changed","channel":"D1","channel_type":"im","message":{"user":"U9","text":"list"},"ts":"1.1"}`},
		{"a deletion", `{"type":"message","subtype":"message_deleted","channel":"D1","channel_type":"im","deleted_ts":"1.0","ts":"1.1"}`},
		{"a channel message", `{"type":"message","channel":"C1","channel_type":"channel","user":"U9","text":"list","ts":"1.1"}`},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSlack(t)
			h := &fakeHandler{}
			b := socketBot(t, f, h, nil)
			dispatch(t, b, eventsAPI(t, `{"type":"event_callback","event_id":"Ev`+string(rune('A'+i))+`","event":`+tt.event+`}`))
			if n := len(h.requests()); n != 0 {
				t.Errorf("handler ran %d times, want 0", n)
			}
			if n := len(f.callsTo("chat.postMessage")); n != 0 {
				t.Errorf("%d replies, want 0", n)
			}
		})
	}
}

func TestMentionsAndDMs(t *testing.T) {
	f := newFakeSlack(t)
	f.setMembers("C1", "U9")
	h := &fakeHandler{}
	b := socketBot(t, f, h, nil)
	dispatch(t, b, eventsAPI(t, `{"type":"event_callback","event_id":"Ev1","event":{"type":"app_mention","channel":"C1","user":"U9","text":"<@`+testBotUser+`> add &lt;AT&amp;T&gt; aka <https://att.example|att>","ts":"5.5","thread_ts":"4.4"}}`))
	dispatch(t, b, eventsAPI(t, `{"type":"event_callback","event_id":"Ev2","event":{"type":"message","channel":"D1","channel_type":"im","user":"U9","text":"/watch what's new on Dahua?","ts":"6.6"}}`))
	dispatch(t, b, eventsAPI(t, `{"type":"event_callback","event_id":"Ev2","event":{"type":"message","channel":"D1","channel_type":"im","user":"U9","text":"again?","ts":"6.7"}}`))
	want := []bot.Request{
		{Channel: "slack:C1", User: "U9", CanManage: true, Text: "add <AT&T> aka https://att.example"},
		{Channel: "slack:D1", User: "U9", CanManage: true, Direct: true, Text: "what's new on Dahua?"},
	}
	got := h.requests()
	if len(got) != len(want) {
		t.Fatalf("requests = %+v, want %+v (the repeated event id once)", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("request %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	posts := f.callsTo("chat.postMessage")
	if len(posts) != 2 {
		t.Fatalf("%d replies, want 2", len(posts))
	}
	if posts[0].Form.Get("thread_ts") != "4.4" || posts[0].Form.Get("channel") != "C1" {
		t.Errorf("mention reply = %v, want it in the thread 4.4", posts[0].Form)
	}
	if posts[0].Form.Get("text") != "ok: add &lt;AT&amp;T&gt; aka https://att.example" {
		t.Errorf("reply text = %q, want it escaped", posts[0].Form.Get("text"))
	}
	if posts[0].Form.Get("mrkdwn") != "false" || posts[0].Form.Get("unfurl_links") != "false" {
		t.Errorf("reply = %v, want plain text without unfurls", posts[0].Form)
	}
}

// TestCanManage: admins always; members when members may manage; nobody else.
func TestCanManage(t *testing.T) {
	tests := []struct {
		name    string
		user    string
		members bool
		want    bool
	}{
		{"admin, members may manage", "UADMIN", true, true},
		{"admin, admins only", "UADMIN", false, true},
		{"member, members may manage", "UMEMBER", true, true},
		{"member, admins only", "UMEMBER", false, false},
		{"outsider", "UOUT", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSlack(t)
			f.setMembers("C1", "UMEMBER", testBotUser)
			h := &fakeHandler{}
			b := socketBot(t, f, h, func(o *Options) { o.Admins, o.MembersMayManage = []string{"UADMIN"}, tt.members })
			cmd := slack.SlashCommand{Command: "/watch", ChannelID: "C1", UserID: tt.user, Text: "remove Dahua"}
			b.slashReply(t.Context(), cmd)
			b.slashReply(t.Context(), cmd) // the membership is cached
			if got := h.requests()[0].CanManage; got != tt.want {
				t.Errorf("CanManage = %v, want %v", got, tt.want)
			}
			if n := len(f.callsTo("conversations.members")); n > 1 {
				t.Errorf("conversations.members called %d times, want at most once", n)
			}
		})
	}
	t.Run("slash command in the bot's DM", func(t *testing.T) {
		f := newFakeSlack(t)
		f.dms["U1"] = "DBOT1"
		h := &fakeHandler{}
		b := socketBot(t, f, h, nil)
		b.slashReply(t.Context(), slack.SlashCommand{Command: "/watch", ChannelID: "DBOT1", UserID: "U1", Text: "add Dahua"})
		b.slashReply(t.Context(), slack.SlashCommand{Command: "/watch", ChannelID: "DOTHER", UserID: "U1", Text: "add Dahua"})
		rs := h.requests()
		if !rs[0].Direct || !rs[0].CanManage {
			t.Errorf("own DM request = %+v, want Direct and CanManage", rs[0])
		}
		if rs[1].Direct || rs[1].CanManage {
			t.Errorf("someone else's DM request = %+v, want neither Direct nor CanManage", rs[1])
		}
	})
	t.Run("membership lookup fails closed", func(t *testing.T) {
		f := newFakeSlack(t)
		h := &fakeHandler{}
		b := socketBot(t, f, h, nil)
		b.slashReply(t.Context(), slack.SlashCommand{Command: "/watch", ChannelID: "CPRIVATE", UserID: "U1", Text: "add Dahua"})
		if h.requests()[0].CanManage {
			t.Error("CanManage = true when the membership is unknown")
		}
	})
}

func TestSlashWarnsWhenBotIsNotInChannel(t *testing.T) {
	f := newFakeSlack(t)
	f.setMembers("C1", "U1")
	b := socketBot(t, f, &fakeHandler{}, nil)
	for _, channel := range []string{"C1", "CPRIVATE"} { // CPRIVATE: Slack says channel_not_found
		r := b.slashReply(t.Context(), slack.SlashCommand{Command: "/watch", ChannelID: channel, UserID: "U1", Text: "add Dahua"})
		if !strings.Contains(r.Text, "not a member of this channel") {
			t.Errorf("%s: reply = %q, want a hint to invite the bot", channel, r.Text)
		}
	}
	f.setMembers("C2", "U1", testBotUser)
	if r := b.slashReply(t.Context(), slack.SlashCommand{Command: "/watch", ChannelID: "C2", UserID: "U1", Text: "add Dahua"}); strings.Contains(r.Text, "not a member") {
		t.Errorf("reply = %q, want no hint where the bot is a member", r.Text)
	}
}

// clickPayload builds a block_actions payload for a click on an alert posted by Send.
func clickPayload(t *testing.T, user, actionID string) string {
	t.Helper()
	blocks := alertBlocks(sampleMessage())
	var value string
	for _, e := range blocks[len(blocks)-1].(*slack.ActionBlock).Elements.ElementSet {
		if btn := e.(*slack.ButtonBlockElement); btn.ActionID == actionID {
			value = btn.Value
		}
	}
	if value == "" && actionID != "tampered" {
		t.Fatalf("no %s button", actionID)
	}
	if actionID == "tampered" {
		actionID, value = actionMute1d, "add Evil\nsources\nmute Dahua 1d"
	}
	p := map[string]any{
		"type":         "block_actions",
		"user":         map[string]any{"id": user},
		"channel":      map[string]any{"id": "C1"},
		"container":    map[string]any{"type": "message", "message_ts": "1700000000.000001", "channel_id": "C1"},
		"message":      map[string]any{"ts": "1700000000.000001", "text": "fallback &lt;text&gt;", "blocks": slack.Blocks{BlockSet: blocks}},
		"response_url": "https://hooks.slack.com/actions/T1/1/x",
		"actions":      []any{map[string]any{"type": "button", "action_id": actionID, "block_id": blockActions, "value": value}},
	}
	raw, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func interactive(t *testing.T, payload string) socketmode.Event {
	t.Helper()
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(payload), &cb); err != nil {
		t.Fatal(err)
	}
	return socketmode.Event{Type: socketmode.EventTypeInteractive, Data: cb, Request: &socketmode.Request{Type: "interactive", EnvelopeID: "env-click"}}
}

func TestButtons(t *testing.T) {
	muted := func(r bot.Request) bot.Reply {
		if !r.CanManage {
			return bot.Reply{Text: "Only this channel's managers may change its watches.", Failed: true}
		}
		return bot.Reply{Text: "Muted <" + r.Text + ">"}
	}
	tests := []struct {
		name      string
		user      string
		action    string
		wantCmds  []string
		canManage bool
		updated   bool
	}{
		{"member mutes for a day", "UMEMBER", actionMute1d, []string{`mute "Zhejiang Dahua" 1d`, `mute "Hikvision" 1d`}, true, true},
		{"member mutes for a week", "UMEMBER", actionMute7d, []string{`mute "Zhejiang Dahua" 7d`, `mute "Hikvision" 7d`}, true, true},
		{"member unwatches", "UMEMBER", actionUnwatch, []string{`remove "Zhejiang Dahua"`, `remove "Hikvision"`}, true, true},
		{"outsider is refused", "UOUT", actionMute1d, []string{`mute "Zhejiang Dahua" 1d`, `mute "Hikvision" 1d`}, false, false},
		{"a tampered value runs only what a button may", "UMEMBER", "tampered", []string{"mute Dahua 1d"}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSlack(t)
			f.setMembers("C1", "UMEMBER", testBotUser)
			h := &fakeHandler{reply: muted}
			b := socketBot(t, f, h, nil)
			dispatch(t, b, interactive(t, clickPayload(t, tt.user, tt.action)))
			reqs := h.requests()
			if len(reqs) != len(tt.wantCmds) {
				t.Fatalf("requests = %+v, want %q", reqs, tt.wantCmds)
			}
			for i, r := range reqs {
				if r.Text != tt.wantCmds[i] || r.CanManage != tt.canManage || r.User != tt.user || r.Channel != "slack:C1" {
					t.Errorf("request %d = %+v, want %q by %s with CanManage %v", i, r, tt.wantCmds[i], tt.user, tt.canManage)
				}
			}
			ups, eph := f.callsTo("chat.update"), f.callsTo("chat.postEphemeral")
			if tt.updated {
				if len(ups) != 1 || len(eph) != 0 {
					t.Fatalf("%d updates and %d ephemeral replies, want the alert updated", len(ups), len(eph))
				}
				u := ups[0].Form
				if u.Get("ts") != "1700000000.000001" || u.Get("text") != "fallback &lt;text&gt;" {
					t.Errorf("update = %v, want the clicked alert, its text kept", u)
				}
				var blocks slack.Blocks
				if err := json.Unmarshal([]byte(u.Get("blocks")), &blocks); err != nil {
					t.Fatal(err)
				}
				last, ok := blocks.BlockSet[len(blocks.BlockSet)-1].(*slack.ContextBlock)
				if !ok || last.BlockID != blockResult {
					t.Fatalf("last block = %#v, want the result", blocks.BlockSet[len(blocks.BlockSet)-1])
				}
				text := last.ContextElements.Elements[0].(*slack.TextBlockObject).Text
				if !strings.HasPrefix(text, "<@"+tt.user+">: Muted &lt;") {
					t.Errorf("result = %q, want who did it and the escaped reply", text)
				}
				if len(blocks.BlockSet) != len(alertBlocks(sampleMessage()))+1 {
					t.Errorf("%d blocks, want the alert's and one result", len(blocks.BlockSet))
				}
			} else {
				if len(ups) != 0 || len(eph) != 1 {
					t.Fatalf("%d updates and %d ephemeral replies, want one ephemeral reply", len(ups), len(eph))
				}
				if e := eph[0].Form; e.Get("user") != tt.user || e.Get("channel") != "C1" {
					t.Errorf("ephemeral = %v, want it to the clicker in C1", e)
				}
			}
		})
	}
}

// TestButtonResultReplaced: a second click replaces the first click's result line.
func TestButtonResultReplaced(t *testing.T) {
	blocks := withResult(alertBlocks(sampleMessage()), "first")
	blocks = withResult(blocks, "second")
	if n, want := len(blocks), len(alertBlocks(sampleMessage()))+1; n != want {
		t.Errorf("%d blocks, want %d", n, want)
	}
}

func TestHTTPButton(t *testing.T) {
	f := newFakeSlack(t)
	f.setMembers("C1", "UMEMBER")
	h := &fakeHandler{}
	now := time.Now()
	b, _ := newTestBot(t, f, h, func(o *Options) { o.Now = func() time.Time { return now } })
	runBot(t, b)
	body := url.Values{"payload": {clickPayload(t, "UMEMBER", actionMute7d)}}.Encode()
	w := httptest.NewRecorder()
	b.HTTPHandler().ServeHTTP(w, signed(PathInteractivity, testSecret, []byte(body), now))
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	reqs := h.waitRequests(t, 2)
	if reqs[0].Text != `mute "Zhejiang Dahua" 7d` || !reqs[0].CanManage {
		t.Errorf("request = %+v, want a member's mute", reqs[0])
	}
	f.waitCalls(t, "chat.update", 1)
}

func TestAppHome(t *testing.T) {
	f := newFakeSlack(t)
	f.convs[""] = []map[string]string{{"id": "C1", "name": "alpha"}, {"id": "C2", "name": "beta"}}
	f.convs["U1"] = []map[string]string{{"id": "C2", "name": "beta"}, {"id": "C3", "name": "gamma"}}
	h := &fakeHandler{reply: func(r bot.Request) bot.Reply {
		return bot.Reply{Text: "This channel watches 1 entity:\n• Hikvision <!here>"}
	}}
	b := socketBot(t, f, h, nil)
	dispatch(t, b, eventsAPI(t, `{"type":"event_callback","event_id":"EvHome","event":{"type":"app_home_opened","user":"U1","channel":"D1","tab":"home","event_ts":"1.1"}}`))
	want := []bot.Request{{Channel: "slack:C2", User: "U1", Text: "list"}}
	if got := h.requests(); len(got) != 1 || got[0] != want[0] {
		t.Errorf("requests = %+v, want %+v", got, want)
	}
	views := f.callsTo("views.publish")
	if len(views) != 1 {
		t.Fatalf("%d views published, want 1", len(views))
	}
	var view struct {
		UserID string `json:"user_id"`
		View   struct {
			Type   string       `json:"type"`
			Blocks slack.Blocks `json:"blocks"`
		} `json:"view"`
	}
	if err := json.Unmarshal(views[0].JSON, &view); err != nil {
		t.Fatal(err)
	}
	raw := string(views[0].JSON)
	if view.UserID != "U1" || view.View.Type != "home" {
		t.Errorf("view for %q of type %q, want U1's home", view.UserID, view.View.Type)
	}
	if !strings.Contains(raw, "#beta") || strings.Contains(raw, "alpha") || strings.Contains(raw, "gamma") {
		t.Errorf("home = %s, want only the shared channel beta", raw)
	}
	var texts []string
	var decoded any
	if err := json.Unmarshal(views[0].JSON, &decoded); err != nil {
		t.Fatal(err)
	}
	collectText(decoded, &texts)
	if all := strings.Join(texts, "\n"); strings.Contains(all, "<!here>") || !strings.Contains(all, `&lt;!here&gt;`) {
		t.Errorf("home texts = %q, want the reply escaped", texts)
	}

	dispatch(t, b, eventsAPI(t, `{"type":"event_callback","event_id":"EvMsgs","event":{"type":"app_home_opened","user":"U1","channel":"D1","tab":"messages","event_ts":"1.2"}}`))
	if n := len(f.callsTo("views.publish")); n != 1 {
		t.Errorf("the Messages tab published a view")
	}
}

// claimOnce is a Claimer shared by two bots, as the store is by two replicas.
type claimOnce struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (c *claimOnce) Claim(_ context.Context, key string) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen[key] {
		return false, nil
	}
	c.seen[key] = true
	return true, nil
}

func TestClaimAcrossReplicas(t *testing.T) {
	shared := &claimOnce{seen: map[string]bool{}}
	a, b := newSeenEvents(time.Hour, shared), newSeenEvents(time.Hour, shared)
	ctx := context.Background()
	// Both replicas receive the event (a retry landing on the other connection): each
	// has not seen it, but only one acts.
	if !a.first("Ev1") || !b.first("Ev1") {
		t.Fatal("first: each replica should see the event as new to it")
	}
	if !a.claim(ctx, "Ev1") || b.claim(ctx, "Ev1") {
		t.Error("claim: want exactly one replica to act")
	}
	if !newSeenEvents(time.Hour, nil).claim(ctx, "Ev1") {
		t.Error("claim without a Claimer: want the event taken")
	}
}

type listWatches map[string][]watchers.Watch

func (l listWatches) Watches(_ context.Context, channel string) ([]watchers.Watch, error) {
	return l[channel], nil
}

// The App Home offers Mute and Remove for each watch; a click runs the command in that
// channel with the clicking user's rights, and the Home is shown again with the result.
func TestAppHomeButtons(t *testing.T) {
	f := newFakeSlack(t)
	f.convs[""] = []map[string]string{{"id": "C1", "name": "alpha"}}
	f.convs["UMEMBER"] = []map[string]string{{"id": "C1", "name": "alpha"}}
	f.setMembers("C1", "UMEMBER", testBotUser)
	h := &fakeHandler{reply: func(r bot.Request) bot.Reply {
		if !r.CanManage && r.Text != "list" {
			return bot.Reply{Text: "not allowed", Failed: true}
		}
		return bot.Reply{Text: "done: " + r.Text}
	}}
	b := socketBot(t, f, h, func(o *Options) {
		o.MembersMayManage = true
		o.Watches = listWatches{"slack:C1": {{Name: "Zhejiang Dahua"}}}
	})
	dispatch(t, b, eventsAPI(t, `{"type":"event_callback","event_id":"EvHome2","event":{"type":"app_home_opened","user":"UMEMBER","channel":"D1","tab":"home","event_ts":"1.1"}}`))
	views := f.callsTo("views.publish")
	if len(views) != 1 {
		t.Fatalf("%d views published, want 1", len(views))
	}
	raw := string(views[0].JSON)
	for _, want := range []string{actionHomeMute, actionHomeRemove, `C1\nremove \"Zhejiang Dahua\"`, `C1\nmute \"Zhejiang Dahua\" 7d`} {
		if !strings.Contains(raw, want) {
			t.Errorf("home lacks %s: %s", want, raw)
		}
	}
	payload, _ := json.Marshal(map[string]any{
		"type":    "block_actions",
		"user":    map[string]any{"id": "UMEMBER"},
		"view":    map[string]any{"type": "home"},
		"actions": []any{map[string]any{"type": "button", "action_id": actionHomeRemove, "block_id": "vigil_home_C1", "value": "C1\nremove \"Zhejiang Dahua\""}},
	})
	dispatch(t, b, interactive(t, string(payload)))
	got := h.requests() // list (home), the click, list (home again)
	if len(got) != 3 {
		t.Fatalf("requests: %+v, want list, the click, list", got)
	}
	last := got[1]
	if last.Channel != "slack:C1" || last.Text != `remove "Zhejiang Dahua"` || !last.CanManage {
		t.Errorf("home click ran %+v", last)
	}
	if len(f.callsTo("views.publish")) != 2 {
		t.Fatalf("views published after the click: %d, want 2", len(f.callsTo("views.publish")))
	}
	if again := string(f.callsTo("views.publish")[1].JSON); !strings.Contains(again, "done: remove") {
		t.Errorf("home after the click lacks the result: %s", again)
	}
}
