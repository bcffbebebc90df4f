package matrixbot

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"

	"github.com/vigilbot/vigil/bot"
	"github.com/vigilbot/vigil/watchers"
)

// alertRefs is an AlertFinder: the alerts of messages, by channel and event id.
type alertRefs struct {
	mu sync.Mutex
	m  map[string]int64
}

func (a *alertRefs) add(channel, ref string, alertID int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.m == nil {
		a.m = map[string]int64{}
	}
	a.m[channel+" "+ref] = alertID
}

func (a *alertRefs) AlertByRef(_ context.Context, channel, ref string) (int64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if id, ok := a.m[channel+" "+ref]; ok {
		return id, nil
	}
	return 0, fmt.Errorf("alert of %s: %w", ref, watchers.ErrNotFound)
}

// triageLog is the app's side of triage: it records decisions on alert 7, the one alert.
type triageLog struct {
	mu      sync.Mutex
	decided []watchers.Decision
}

func (l *triageLog) Decide(_ context.Context, channel string, d watchers.Decision) error {
	if d.AlertID != 7 {
		return fmt.Errorf("alert %d: %w", d.AlertID, watchers.ErrNotFound)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.decided = append(l.decided, d)
	return nil
}

func (l *triageLog) Assign(context.Context, string, int64, string, string) error { return nil }

func (l *triageLog) OpenAlerts(context.Context, string, int) ([]watchers.AlertSummary, error) {
	return nil, nil
}

func (l *triageLog) all() []watchers.Decision {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]watchers.Decision(nil), l.decided...)
}

// reaction is the m.reaction event of testdata, by sender with key on target, as the
// sync delivers it now.
func reaction(t *testing.T, eventID, sender, key, target string) *event.Event {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "m.reaction.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["event_id"], m["sender"], m["origin_server_ts"] = eventID, sender, time.Now().UnixMilli()
	rel := m["content"].(map[string]any)["m.relates_to"].(map[string]any)
	rel["key"], rel["event_id"] = key, target
	raw, _ = json.Marshal(m)
	var evt event.Event
	if err := json.Unmarshal(raw, &evt); err != nil {
		t.Fatal(err)
	}
	if err := evt.Content.ParseRaw(evt.Type); err != nil {
		t.Fatal(err)
	}
	evt.Mautrix.EventSource = event.SourceJoin | event.SourceTimeline
	return &evt
}

func TestReactionDecision(t *testing.T) {
	for key, want := range map[string]watchers.Disposition{
		"✅": watchers.DispTrueMatch, "✔️": watchers.DispTrueMatch, "✔": watchers.DispTrueMatch,
		"🚩": watchers.DispEscalated, "⬆️": watchers.DispEscalated,
		"❌": clearReaction, "✖️": clearReaction,
	} {
		if got, ok := reactionDecision(key); !ok || got != want {
			t.Errorf("reactionDecision(%q) = %q, %v; want %q", key, got, ok, want)
		}
	}
	for _, key := range []string{"👍", "👀", "", "✅✅", "true_match"} {
		if got, ok := reactionDecision(key); ok {
			t.Errorf("reactionDecision(%q) = %q; want no decision", key, got)
		}
	}
}

func TestReactions(t *testing.T) {
	const (
		room     = "!room:example.org"
		alert    = "$alert:example.org"
		sendPath = "PUT /_matrix/client/v3/rooms/" + room + "/send/m.room.message/"
	)
	tests := []struct {
		name    string
		sender  string
		key     string
		target  string
		decided []watchers.Decision
		answer  string // in the alert's thread; "" for none
	}{
		{"a moderator's ✅ marks a true match", "@alice:example.org", "✅", alert,
			[]watchers.Decision{{AlertID: 7, State: watchers.DispTrueMatch, By: "@alice:example.org"}}, ""},
		{"a moderator's 🚩 escalates", "@alice:example.org", "🚩", alert,
			[]watchers.Decision{{AlertID: 7, State: watchers.DispEscalated, By: "@alice:example.org"}}, ""},
		{"an admin's ✔️ marks a true match", "@admin:example.org", "✔️", alert,
			[]watchers.Decision{{AlertID: 7, State: watchers.DispTrueMatch, By: "@admin:example.org"}}, ""},
		{"a member below the power level is refused", "@bob:example.org", "✅", alert, nil, bot.TriageRefusal},
		{"❌ asks for the reason", "@alice:example.org", "❌", alert, nil, "!watch resolve 7 not_our_entity <reason>"},
		{"❌ from a member below the power level", "@bob:example.org", "❌", alert, nil, bot.TriageRefusal},
		{"another reaction is just a reaction", "@alice:example.org", "👍", alert, nil, ""},
		{"a reaction on another message", "@alice:example.org", "✅", "$chatter:example.org", nil, ""},
		{"the bot's own reaction", "@bot:example.org", "✅", alert, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newFakeHS(t)
			hs.routes["GET /_matrix/client/v3/rooms/"+room+"/state/m.room.power_levels"] = answer(200,
				`{"users":{"@alice:example.org":100,"@bob:example.org":0},"users_default":0,"state_default":50}`)
			hs.routes[sendPath] = answer(200, `{"event_id":"$answer"}`)
			b := testBot(t, hs, "@bot:example.org")
			b.admins["@admin:example.org"] = true
			tr := &triageLog{}
			b.h = bot.NewService(bot.Deps{Triage: tr})
			b.decider = b.h.(Decider)
			refs := &alertRefs{}
			refs.add("matrix:"+room, alert, 7)
			refs.add("matrix:!other:example.org", "$chatter:example.org", 7) // another room's
			b.o.Alerts = refs
			b.claims = newClaims(b.o.State, "claims", time.Now)
			ctx := context.WithValue(context.Background(), mautrix.SyncTokenContextKey, "s1")

			evt := reaction(t, "$r1", tt.sender, tt.key, tt.target)
			b.onReaction(ctx, evt)
			b.onReaction(ctx, evt) // the same event again (a replayed sync)

			if got := tr.all(); fmt.Sprint(got) != fmt.Sprint(tt.decided) {
				t.Errorf("decisions = %+v, want %+v", got, tt.decided)
			}
			sends := hs.requests(sendPath)
			if tt.answer == "" {
				if len(sends) != 0 {
					t.Errorf("answered %q, want nothing", sends)
				}
				return
			}
			if len(sends) != 1 {
				t.Fatalf("%d answers, want one: %q", len(sends), sends)
			}
			body := sends[0][strings.Index(sends[0], "{"):]
			var c event.MessageEventContent
			if err := json.Unmarshal([]byte(body), &c); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(c.Body, tt.answer) || c.MsgType != event.MsgNotice {
				t.Errorf("answer %q (%s), want a notice saying %q", c.Body, c.MsgType, tt.answer)
			}
			if c.RelatesTo.GetThreadParent() != alert || c.Mentions == nil || len(c.Mentions.UserIDs) != 0 {
				t.Errorf("answer relation %+v, mentions %+v; want the alert's thread, mentioning nobody", c.RelatesTo, c.Mentions)
			}
		})
	}
}

// TestReactionHint: an alert awaiting a decision says how to decide by reacting; once
// decided (or in a thread reply) it does not.
func TestReactionHint(t *testing.T) {
	m := hostile()
	m.Undecided = true
	c := alertContent(event.MsgNotice, m)
	if !strings.Contains(c.Body, reactHint) || !strings.Contains(c.FormattedBody, "✅ true match") {
		t.Errorf("an alert awaiting a decision: body %q, want the hint", c.Body)
	}
	for name, m := range map[string]bot.Message{
		"decided":      hostile(),
		"thread reply": func() bot.Message { m := hostile(); m.Undecided, m.Kind = true, watchers.KindFollowup; return m }(),
	} {
		if c := alertContent(event.MsgNotice, m); strings.Contains(c.Body, "react") {
			t.Errorf("%s: body %q has the hint", name, c.Body)
		}
	}
}
