package slackbot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slacktest"
	"github.com/slack-go/slack/socketmode"

	"github.com/vigilbot/vigil/bot"
	"github.com/vigilbot/vigil/internal/fixtures"
	"github.com/vigilbot/vigil/watchers"
)

// The interaction payloads in testdata are written here in the shape Slack documents for
// block_actions and view_submission (docs.slack.dev/reference/interaction-payloads); no
// captured interaction payload is among the shared fixtures.

// recordingTriage is the app's side of triage: it records decisions; channel C1 has
// alert 7 and no other.
type recordingTriage struct {
	mu      sync.Mutex
	decided []watchers.Decision
}

func (r *recordingTriage) Decide(_ context.Context, channel string, d watchers.Decision) error {
	if channel != "slack:C1" || d.AlertID != 7 {
		return fmt.Errorf("alert %d in %s: %w", d.AlertID, channel, watchers.ErrNotFound)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	d.At = time.Time{}
	r.decided = append(r.decided, d)
	return nil
}

func (r *recordingTriage) Assign(context.Context, string, int64, string, string) error { return nil }

func (r *recordingTriage) OpenAlerts(context.Context, string, int) ([]watchers.AlertSummary, error) {
	return nil, nil
}

func (r *recordingTriage) decisions() []watchers.Decision {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]watchers.Decision(nil), r.decided...)
}

// triageService is the real command service on a recording triage: the rules under test
// are package bot's, as in production.
func triageService() (*bot.Service, *recordingTriage) {
	tr := &recordingTriage{}
	return bot.NewService(bot.Deps{Triage: tr}), tr
}

// interactionPayload reads a payload from testdata and changes it with edit.
func interactionPayload(t *testing.T, name string, edit func(p map[string]any)) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "interaction."+name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if edit != nil {
		edit(p)
	}
	return mustMarshal(t, p)
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// click is the block_actions payload of user clicking the button with this action id and
// value on alert 7, with its own trigger id.
func click(t *testing.T, user, actionID, value, trigger string) []byte {
	return interactionPayload(t, "block_actions", func(p map[string]any) {
		p["user"].(map[string]any)["id"] = user
		p["trigger_id"] = trigger
		a := p["actions"].([]any)[0].(map[string]any)
		a["action_id"], a["value"] = actionID, value
	})
}

// submit is the view_submission payload of user submitting the reason form of view id
// (for alert 7, not our entity).
func submit(t *testing.T, user, viewID, reason string) []byte {
	return submitForm(t, user, viewID, "", reason)
}

// submitForm is submit of a form opened with this private metadata ("" keeps the
// payload's).
func submitForm(t *testing.T, user, viewID, meta, reason string) []byte {
	return interactionPayload(t, "view_submission", func(p map[string]any) {
		p["user"].(map[string]any)["id"] = user
		v := p["view"].(map[string]any)
		v["id"] = viewID
		if meta != "" {
			v["private_metadata"] = meta
		}
		v["state"].(map[string]any)["values"].(map[string]any)["vigil_reason"].(map[string]any)["reason"].(map[string]any)["value"] = reason
	})
}

func interactiveEvent(t *testing.T, payload []byte, envelope string) socketmode.Event {
	t.Helper()
	var cb slack.InteractionCallback
	if err := json.Unmarshal(payload, &cb); err != nil {
		t.Fatal(err)
	}
	return socketmode.Event{Type: socketmode.EventTypeInteractive, Data: cb, Request: &socketmode.Request{Type: "interactive", EnvelopeID: envelope}}
}

func TestTriageButtonsRendered(t *testing.T) {
	undecided := sampleMessage()
	undecided.Undecided = true
	blocks := alertBlocks(undecided)
	var triage *slack.ActionBlock
	at, mutes := -1, -1
	for i, bl := range blocks {
		if ab, ok := bl.(*slack.ActionBlock); ok {
			switch ab.BlockID {
			case "vigil_triage_7":
				triage, at = ab, i
			case blockActions:
				mutes = i
			}
		}
	}
	if triage == nil {
		t.Fatalf("no decision buttons on an alert awaiting a decision: %+v", blocks)
	}
	if at > mutes {
		t.Errorf("the decision buttons come after Mute and Unwatch; want them first")
	}
	want := []struct{ action, label string }{
		{"vigil_decide_true_match", "True match"},
		{"vigil_decide_not_our_entity", "Not our entity"},
		{"vigil_decide_not_relevant", "Not relevant"},
		{"vigil_decide_escalated", "Escalate"},
	}
	if len(triage.Elements.ElementSet) != len(want) {
		t.Fatalf("%d decision buttons, want %d", len(triage.Elements.ElementSet), len(want))
	}
	for i, e := range triage.Elements.ElementSet {
		btn := e.(*slack.ButtonBlockElement)
		if btn.ActionID != want[i].action || btn.Text.Text != want[i].label || btn.Value != "7" {
			t.Errorf("button %d = %s %q value %q, want %s %q value 7", i, btn.ActionID, btn.Text.Text, btn.Value, want[i].action, want[i].label)
		}
		id, d, ok := decision(&slack.BlockAction{ActionID: btn.ActionID, Value: btn.Value})
		if !ok || id != 7 || "vigil_decide_"+string(d) != btn.ActionID {
			t.Errorf("button %d reads back as %d %q %v", i, id, d, ok)
		}
	}
	if len(blocks) != len(alertBlocks(sampleMessage()))+1 {
		t.Errorf("%d blocks, want the decided alert's and one more", len(blocks))
	}

	for name, m := range map[string]bot.Message{
		"decided":      sampleMessage(),
		"thread reply": func() bot.Message { m := undecided; m.Kind = watchers.KindFollowup; return m }(),
		"digest":       func() bot.Message { m := undecided; m.Kind = watchers.KindDigest; return m }(),
		"no alert id":  func() bot.Message { m := undecided; m.AlertID = 0; return m }(),
	} {
		if triageBlock(m) != nil {
			t.Errorf("%s: decision buttons shown", name)
		}
	}
	// An edit of the alert awaiting a decision again (reopened) has them.
	reopened := undecided
	reopened.Kind, reopened.EditOf = watchers.KindUpdate, "1700000000.000001"
	if triageBlock(reopened) == nil {
		t.Errorf("reopened: no decision buttons")
	}
}

func TestDecisionReadsOnlyItsButtons(t *testing.T) {
	for _, a := range []slack.BlockAction{
		{ActionID: "vigil_decide_open", Value: "7"},
		{ActionID: "vigil_decide_assigned", Value: "7"},
		{ActionID: "vigil_decide_true_match", Value: "7; drop"},
		{ActionID: "vigil_decide_true_match", Value: "-7"},
		{ActionID: "vigil_decide_", Value: "7"},
	} {
		if id, d, ok := decision(&a); ok {
			t.Errorf("decision(%+v) = %d %q, want refused", a, id, d)
		}
	}
}

func TestDecideButtons(t *testing.T) {
	tests := []struct {
		name     string
		user     string
		action   string
		value    string
		decided  []watchers.Decision
		told     string // the clicker's private reply; "" for none
		formOpen bool
	}{
		{"a member marks a true match", "UMEMBER", "vigil_decide_true_match", "7",
			[]watchers.Decision{{AlertID: 7, State: watchers.DispTrueMatch, By: "UMEMBER"}}, "Alert #7 is marked true match.", false},
		{"a member escalates", "UMEMBER", "vigil_decide_escalated", "7",
			[]watchers.Decision{{AlertID: 7, State: watchers.DispEscalated, By: "UMEMBER"}}, "Alert #7 is marked escalated.", false},
		{"an outsider is refused", "UOUT", "vigil_decide_true_match", "7", nil, bot.TriageRefusal, false},
		{"clearing asks for the reason", "UMEMBER", "vigil_decide_not_our_entity", "7", nil, "", true},
		{"an outsider gets no form", "UOUT", "vigil_decide_not_relevant", "7", nil, bot.TriageRefusal, false},
		{"another channel's alert", "UMEMBER", "vigil_decide_true_match", "8", nil, "This channel has no alert #8", false},
		{"a tampered decision does nothing", "UMEMBER", "vigil_decide_open", "7", nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSlack(t)
			f.setMembers("C1", "UMEMBER", testBotUser)
			svc, tr := triageService()
			b := socketBot(t, f, svc, nil)
			trigger := "trigger-" + strings.ReplaceAll(tt.name, " ", "-")
			dispatch(t, b, interactiveEvent(t, click(t, tt.user, tt.action, tt.value, trigger), "env-1"))

			if got := tr.decisions(); fmt.Sprint(got) != fmt.Sprint(tt.decided) {
				t.Errorf("decisions = %+v, want %+v", got, tt.decided)
			}
			eph := f.callsTo("chat.postEphemeral")
			switch {
			case tt.told == "" && len(eph) != 0:
				t.Errorf("told the clicker %q, want nothing", eph[0].Form.Get("text"))
			case tt.told != "" && (len(eph) != 1 || !strings.Contains(eph[0].Form.Get("text"), tt.told)):
				t.Errorf("ephemeral replies %+v, want one saying %q", eph, tt.told)
			case tt.told != "" && (eph[0].Form.Get("user") != tt.user || eph[0].Form.Get("channel") != "C1"):
				t.Errorf("ephemeral reply %v, want it to %s in C1", eph[0].Form, tt.user)
			}
			views := f.callsTo("views.open")
			if !tt.formOpen {
				if len(views) != 0 {
					t.Errorf("a form was opened: %s", views[0].JSON)
				}
				return
			}
			if len(views) != 1 {
				t.Fatalf("%d forms opened, want 1", len(views))
			}
			var req struct {
				TriggerID string `json:"trigger_id"`
				View      struct {
					Type            string `json:"type"`
					CallbackID      string `json:"callback_id"`
					PrivateMetadata string `json:"private_metadata"`
					Title           struct {
						Text string `json:"text"`
					} `json:"title"`
					Blocks []struct {
						Type     string `json:"type"`
						BlockID  string `json:"block_id"`
						Optional bool   `json:"optional"`
						Element  struct {
							Type      string `json:"type"`
							ActionID  string `json:"action_id"`
							MaxLength int    `json:"max_length"`
						} `json:"element"`
					} `json:"blocks"`
				} `json:"view"`
			}
			if err := json.Unmarshal(views[0].JSON, &req); err != nil {
				t.Fatal(err)
			}
			v := req.View
			if req.TriggerID != trigger || v.Type != "modal" || v.CallbackID != callbackReason || v.PrivateMetadata != "C1 7 not_our_entity" {
				t.Errorf("views.open %s, want the reason form for alert 7 on the click's trigger", views[0].JSON)
			}
			if n := textLen(v.Title.Text); n == 0 || n > maxViewTitle {
				t.Errorf("form title %q: %d characters, Slack allows %d", v.Title.Text, n, maxViewTitle)
			}
			in := v.Blocks[len(v.Blocks)-1]
			if in.Type != "input" || in.BlockID != blockReason || in.Optional || in.Element.Type != "plain_text_input" ||
				in.Element.ActionID != actionReason || in.Element.MaxLength != maxReasonInput {
				t.Errorf("form input %+v, want a required plain-text reason of at most %d characters", in, maxReasonInput)
			}
		})
	}
}

// TestDecideButtonOnce: Slack delivering the same click twice, to one replica or to two
// sharing the database, records one decision.
func TestDecideButtonOnce(t *testing.T) {
	f := newFakeSlack(t)
	f.setMembers("C1", "UMEMBER", testBotUser)
	svc, tr := triageService()
	shared := &claimOnce{seen: map[string]bool{}}
	a := socketBot(t, f, svc, func(o *Options) { o.Claims = shared })
	b := socketBot(t, f, svc, func(o *Options) { o.Claims = shared })
	payload := click(t, "UMEMBER", "vigil_decide_true_match", "7", "trigger-once")
	dispatch(t, a, interactiveEvent(t, payload, "env-1"))
	dispatch(t, a, interactiveEvent(t, payload, "env-1")) // a retry on the same connection
	dispatch(t, b, interactiveEvent(t, payload, "env-2")) // a retry on another replica's
	if got := tr.decisions(); len(got) != 1 {
		t.Errorf("decisions = %+v, want one", got)
	}
	// Another click (a new trigger id) is another decision.
	dispatch(t, b, interactiveEvent(t, click(t, "UMEMBER", "vigil_decide_escalated", "7", "trigger-twice"), "env-3"))
	if got := tr.decisions(); len(got) != 2 {
		t.Errorf("decisions = %+v, want two after a second click", got)
	}
}

// socketSession serves the frames one at a time over the fake's Socket Mode connection,
// each after the acknowledgement of the one before, and returns the acknowledgements.
func socketSession(t *testing.T, f *fakeSlack, hello []byte, frames ...[]byte) <-chan ackFrame {
	acks := make(chan ackFrame, len(frames))
	f.setSocket(func(t *testing.T, n int, w http.ResponseWriter, r *http.Request) {
		slacktest.Websocket(func(c *websocket.Conn) {
			if n > 1 || c.WriteMessage(websocket.TextMessage, hello) != nil {
				return
			}
			for _, fr := range frames {
				if err := c.WriteMessage(websocket.TextMessage, fr); err != nil {
					t.Errorf("write: %v", err)
					return
				}
				c.SetReadDeadline(time.Now().Add(5 * time.Second))
				_, msg, err := c.ReadMessage()
				if err != nil {
					t.Errorf("read ack: %v", err)
					return
				}
				var a ackFrame
				if err := json.Unmarshal(msg, &a); err != nil {
					t.Errorf("ack %s: %v", msg, err)
					return
				}
				acks <- a
			}
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			c.ReadMessage() // hold the connection until the bot closes it
		})(w, r)
	})
	return acks
}

func envelope(t *testing.T, id string, retry int, payload []byte) []byte {
	return mustMarshal(t, map[string]any{
		"envelope_id": id, "type": "interactive", "payload": json.RawMessage(payload),
		"accepts_response_payload": true, "retry_attempt": retry, "retry_reason": map[bool]string{true: "timeout"}[retry > 0],
	})
}

// TestReasonFormOverSocketMode submits the reason form over a real Socket Mode connection:
// a blank reason keeps the form open with a note and records nothing; a reason closes it
// and records the decision with it, once, even when Slack delivers the submission again;
// an outsider's submission is refused.
func TestReasonFormOverSocketMode(t *testing.T) {
	f := newFakeSlack(t)
	f.setMembers("C1", "UMEMBER", testBotUser)
	reason := "Dahua Road Trading of Lagos <!channel>, not Zhejiang Dahua"
	acks := socketSession(t, f, fixtures.Read(t, "slack/socketmode.hello.json"),
		envelope(t, "env-blank", 0, submit(t, "UMEMBER", "V1", "   ")),
		envelope(t, "env-ok", 0, submit(t, "UMEMBER", "V1", reason)),
		envelope(t, "env-ok", 1, submit(t, "UMEMBER", "V1", reason)),
		envelope(t, "env-out", 0, submit(t, "UOUT", "V2", "not ours")),
	)
	svc, tr := triageService()
	b := socketBot(t, f, svc, nil)
	runBot(t, b)

	for _, want := range []string{"env-blank", "env-ok", "env-ok", "env-out"} {
		var a ackFrame
		select {
		case a = <-acks:
		case <-time.After(10 * time.Second):
			t.Fatalf("no acknowledgement of %s", want)
		}
		if a.EnvelopeID != want {
			t.Fatalf("ack of %s, want %s", a.EnvelopeID, want)
		}
		if want != "env-blank" {
			if len(a.Payload) > 0 && string(a.Payload) != "null" {
				t.Errorf("%s acknowledged with %s, want nothing (the form closes)", want, a.Payload)
			}
			continue
		}
		var resp slack.ViewSubmissionResponse
		if err := json.Unmarshal(a.Payload, &resp); err != nil || resp.ResponseAction != slack.RAErrors || !strings.Contains(resp.Errors[blockReason], "reason is required") {
			t.Errorf("a blank reason acknowledged with %s (%v), want the form's error", a.Payload, err)
		}
	}
	eph := f.waitCalls(t, "chat.postEphemeral", 2)
	time.Sleep(50 * time.Millisecond) // a second recording of the retry would come now
	want := []watchers.Decision{{AlertID: 7, State: watchers.DispNotOurEntity, Reason: reason, By: "UMEMBER"}}
	if got := tr.decisions(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("decisions = %+v, want %+v", got, want)
	}
	if n := len(f.callsTo("chat.postEphemeral")); n != 2 {
		t.Errorf("%d private replies, want 2 (the decision, the refusal)", n)
	}
	told := map[string]string{}
	for _, e := range eph {
		told[e.Form.Get("user")] = e.Form.Get("text")
	}
	if !strings.HasPrefix(told["UMEMBER"], "Alert #7 is marked not our entity.") || told["UOUT"] != bot.TriageRefusal {
		t.Errorf("private replies %q", told)
	}
}

// TestTriageOverHTTP: in HTTP mode the same clicks and forms arrive signed at the
// interactivity endpoint; unsigned ones are refused, and a retry records nothing twice.
func TestTriageOverHTTP(t *testing.T) {
	f := newFakeSlack(t)
	f.setMembers("C1", "UMEMBER", testBotUser)
	svc, tr := triageService()
	now := time.Now()
	b, _ := newTestBot(t, f, svc, func(o *Options) { o.Now = func() time.Time { return now } })
	runBot(t, b)
	post := func(payload []byte, sign bool) *httptest.ResponseRecorder {
		body := []byte(url.Values{"payload": {string(payload)}}.Encode())
		req := signed(PathInteractivity, testSecret, body, now)
		if !sign {
			req = signed(PathInteractivity, "not-the-secret", body, now)
		}
		w := httptest.NewRecorder()
		b.HTTPHandler().ServeHTTP(w, req)
		return w
	}

	if w := post(click(t, "UMEMBER", "vigil_decide_true_match", "7", "trigger-forged"), false); w.Code != http.StatusUnauthorized {
		t.Errorf("a forged click: status %d, want 401", w.Code)
	}
	trueMatch := click(t, "UMEMBER", "vigil_decide_true_match", "7", "trigger-http")
	for range 2 { // Slack's retry is the same payload
		if w := post(trueMatch, true); w.Code != http.StatusOK || w.Body.Len() != 0 {
			t.Errorf("a click: status %d body %q, want a bare 200", w.Code, w.Body)
		}
	}
	f.waitCalls(t, "chat.postEphemeral", 1)

	post(click(t, "UMEMBER", "vigil_decide_not_relevant", "7", "trigger-form"), true)
	var opened struct {
		View struct {
			PrivateMetadata string `json:"private_metadata"`
		} `json:"view"`
	}
	if err := json.Unmarshal(f.waitCalls(t, "views.open", 1)[0].JSON, &opened); err != nil || opened.View.PrivateMetadata == "" {
		t.Fatalf("views.open: %v, no private metadata", err)
	}
	meta := opened.View.PrivateMetadata // Slack gives it back with the submission

	w := post(submitForm(t, "UMEMBER", "V9", meta, ""), true)
	var resp slack.ViewSubmissionResponse
	if err := json.Unmarshal(w.Body.Bytes(), &resp); w.Code != http.StatusOK || err != nil || resp.ResponseAction != slack.RAErrors {
		t.Errorf("a blank reason: status %d body %q, want the form's error", w.Code, w.Body)
	}
	form := submitForm(t, "UMEMBER", "V9", meta, "a press release, no sanctions news")
	if w := post(form, false); w.Code != http.StatusUnauthorized {
		t.Errorf("a forged submission: status %d, want 401", w.Code)
	}
	for range 2 {
		if w := post(form, true); w.Code != http.StatusOK || w.Body.Len() != 0 {
			t.Errorf("a submission: status %d body %q, want a bare 200 (the form closes)", w.Code, w.Body)
		}
	}
	f.waitCalls(t, "chat.postEphemeral", 2)
	time.Sleep(50 * time.Millisecond)
	want := []watchers.Decision{
		{AlertID: 7, State: watchers.DispTrueMatch, By: "UMEMBER"},
		{AlertID: 7, State: watchers.DispNotRelevant, Reason: "a press release, no sanctions news", By: "UMEMBER"},
	}
	if got := tr.decisions(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("decisions = %+v, want %+v", got, want)
	}
}
