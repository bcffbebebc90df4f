package slackbot

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/vigilbot/vigil/bot"
	"github.com/vigilbot/vigil/watchers"
)

// Triage in Slack: an alert awaiting a decision carries one button per decision. True match
// and Escalate decide at once; the two that clear an alert open a short form asking why,
// and the decision is recorded when the form is submitted. Whoever clicks is held to the
// rules of the resolve command (package bot decides them), and a click or submission that
// Slack delivers twice, to this replica or another, is recorded once.

// Decider records triage decisions; *bot.Service implements it.
type Decider interface {
	Decide(ctx context.Context, req bot.Request, alertID int64, d watchers.Disposition, reason string) bot.Reply
}

var _ Decider = (*bot.Service)(nil)

const (
	// actionDecide + a disposition is a decision button's action id; its value is the
	// alert's id, and the block holding the buttons is blockTriage + the alert's id.
	actionDecide = "vigil_decide_"
	blockTriage  = "vigil_triage_"

	// The reason form.
	callbackReason = "vigil_reason"
	blockReason    = "vigil_reason"
	actionReason   = "reason"
	maxReasonInput = 500 // characters: a sentence or two, as an auditor wants to read it
	maxViewTitle   = 24
)

// decisions are the buttons, in the order shown.
var decisions = []struct {
	state watchers.Disposition
	label string
}{
	{watchers.DispTrueMatch, "True match"},
	{watchers.DispNotOurEntity, "Not our entity"},
	{watchers.DispNotRelevant, "Not relevant"},
	{watchers.DispEscalated, "Escalate"},
}

// triageBlock holds the decision buttons of an alert that awaits a decision: its own
// message (new, or an edit of it), never a thread reply or a digest.
func triageBlock(m bot.Message) slack.Block {
	if !m.Undecided || m.AlertID <= 0 || (m.Kind != watchers.KindNew && m.Kind != watchers.KindUpdate) {
		return nil
	}
	id := strconv.FormatInt(m.AlertID, 10)
	elems := make([]slack.BlockElement, 0, len(decisions))
	for _, d := range decisions {
		btn := slack.NewButtonBlockElement(actionDecide+string(d.state), id, plain(d.label))
		if d.state == watchers.DispTrueMatch {
			btn = btn.WithStyle(slack.StylePrimary)
		}
		elems = append(elems, btn)
	}
	return slack.NewActionBlock(blockTriage+id, elems...)
}

// decision reads a decision button: the alert and the decision it carries.
func decision(a *slack.BlockAction) (int64, watchers.Disposition, bool) {
	d := watchers.Disposition(strings.TrimPrefix(a.ActionID, actionDecide))
	id, err := strconv.ParseInt(a.Value, 10, 64)
	if err != nil || id <= 0 {
		return 0, "", false
	}
	for _, c := range decisions {
		if c.state == d {
			return id, d, true
		}
	}
	return 0, "", false
}

// interactionChannel is the channel of a click on a message.
func interactionChannel(cb slack.InteractionCallback) string {
	if cb.Channel.ID != "" {
		return cb.Channel.ID
	}
	return cb.Container.ChannelID
}

// triageRequest is the request of user deciding in channel, with the user's rights there.
func (b *Bot) triageRequest(ctx context.Context, channel, user string) bot.Request {
	dm := strings.HasPrefix(channel, "D") && b.isOwnDM(ctx, channel, user)
	return bot.Request{Channel: Platform + ":" + channel, User: user, CanManage: b.canManage(ctx, channel, user, dm)}
}

// onDecideButton records True match or Escalate at once, and opens the reason form for
// the decisions that clear an alert. The alert's message shows the decision when the app
// edits it; the clicker alone is told the result now.
func (b *Bot) onDecideButton(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction) {
	channel, user := interactionChannel(cb), cb.User.ID
	alertID, d, ok := decision(a)
	if !ok || channel == "" || user == "" {
		b.log.Warn("slack: a decision button carried something unexpected", "channel", Platform+":"+channel, "user", user, "action", a.ActionID)
		return
	}
	if b.decider == nil {
		b.tell(ctx, channel, user, "Triage is not available here.")
		return
	}
	req := b.triageRequest(ctx, channel, user)
	if d.Clears() && req.CanManage {
		_, err := b.api.OpenViewContext(ctx, cb.TriggerID, reasonForm(channel, alertID, d))
		if err == nil {
			return
		}
		b.log.Warn("slack: opening the reason form failed", "channel", req.Channel, "user", user, "alert_id", alertID, "err", b.scrub(err))
		b.tell(ctx, channel, user, fmt.Sprintf("I could not open the form. Type %s resolve %d %s <reason> instead.", b.command, alertID, d))
		return
	}
	b.tell(ctx, channel, user, b.decider.Decide(ctx, req, alertID, d, "").Text)
}

// reasonForm is the modal asking why an alert is cleared. Its private metadata carries
// the channel, the alert and the decision to the submission; Slack keeps it from the user.
func reasonForm(channel string, alertID int64, d watchers.Disposition) slack.ModalViewRequest {
	what := strings.ReplaceAll(string(d), "_", " ")
	intro := fmt.Sprintf("Alert #%d will be marked *%s*. Say why: the reason is kept with the decision and shown on the alert.", alertID, what)
	if d == watchers.DispNotOurEntity {
		intro += " The alert then stays quiet until the document moves on or a new alias matches."
	}
	input := slack.NewPlainTextInputBlockElement(plain("For example: Dahua Road Trading of Lagos, not Zhejiang Dahua"), actionReason).
		WithMultiline(true).WithMaxLength(maxReasonInput)
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      callbackReason,
		Title:           plain(fit(fmt.Sprintf("Clear alert #%d", alertID), maxViewTitle)),
		Submit:          plain("Clear alert"),
		Close:           plain("Cancel"),
		PrivateMetadata: fmt.Sprintf("%s %d %s", channel, alertID, d),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(mrkdwn(intro), nil, nil),
			slack.NewInputBlock(blockReason, plain("Reason"), nil, input),
		}},
	}
}

var conversationID = regexp.MustCompile(`^[CDG][A-Z0-9]+$`)

// parseReasonForm reads a submitted reason form's metadata.
func parseReasonForm(meta string) (channel string, alertID int64, d watchers.Disposition, ok bool) {
	f := strings.Fields(meta)
	if len(f) != 3 || !conversationID.MatchString(f[0]) {
		return "", 0, "", false
	}
	id, err := strconv.ParseInt(f[1], 10, 64)
	d = watchers.Disposition(f[2])
	if err != nil || id <= 0 || !d.Clears() {
		return "", 0, "", false
	}
	return f[0], id, d, true
}

// interaction takes an interaction as it arrives, over Socket Mode or HTTP, before it is
// acknowledged. It returns what to acknowledge it with (nil for nothing; a form with a
// mistake gets its errors shown), the work to start, and the id under which it was taken
// (to forget if the work cannot start). One click or submission is taken once.
func (b *Bot) interaction(cb slack.InteractionCallback) (ack any, work task, id string) {
	switch cb.Type {
	case slack.InteractionTypeViewSubmission:
		return b.submission(cb)
	case slack.InteractionTypeBlockActions:
		// Every click has a trigger id of its own; Slack's redelivery carries the same one.
		if cb.TriggerID != "" {
			id = "action:" + cb.TriggerID
		}
		if !b.events.first(id) {
			b.log.Debug("slack: duplicate interaction ignored", "id", id)
			return nil, nil, ""
		}
		return nil, func(ctx context.Context) {
			if !b.events.claim(ctx, id) {
				b.log.Debug("slack: interaction handled by another replica", "id", id)
				return
			}
			b.onInteraction(ctx, cb)
		}, id
	}
	return nil, nil, ""
}

// submission checks a submitted reason form at once (a blank reason keeps the form open
// with a note) and returns the work that records the decision. A form is submitted once:
// its view id is the claim.
func (b *Bot) submission(cb slack.InteractionCallback) (ack any, work task, id string) {
	if cb.View.CallbackID != callbackReason {
		return nil, nil, ""
	}
	channel, alertID, d, ok := parseReasonForm(cb.View.PrivateMetadata)
	user := cb.User.ID
	if !ok || user == "" {
		b.log.Warn("slack: a reason form came back with something unexpected", "user", user)
		return nil, nil, ""
	}
	var reason string
	if st := cb.View.State; st != nil {
		reason = strings.TrimSpace(st.Values[blockReason][actionReason].Value)
	}
	switch {
	case reason == "":
		return slack.NewErrorsViewSubmissionResponse(map[string]string{blockReason: "Say why: a reason is required to clear an alert."}), nil, ""
	case len(reason) > bot.MaxReason:
		return slack.NewErrorsViewSubmissionResponse(map[string]string{blockReason: "That is too long; a sentence or two is enough."}), nil, ""
	}
	if cb.View.ID != "" {
		id = "view:" + cb.View.ID
	}
	if !b.events.first(id) {
		b.log.Debug("slack: duplicate form submission ignored", "id", id)
		return nil, nil, ""
	}
	return nil, func(ctx context.Context) {
		if !b.events.claim(ctx, id) {
			b.log.Debug("slack: form submission handled by another replica", "id", id)
			return
		}
		if b.decider == nil {
			b.tell(ctx, channel, user, "Triage is not available here.")
			return
		}
		req := b.triageRequest(ctx, channel, user)
		b.tell(ctx, channel, user, b.decider.Decide(ctx, req, alertID, d, reason).Text)
	}, id
}

// tell shows text to user alone in channel.
func (b *Bot) tell(ctx context.Context, channel, user, text string) {
	_, err := b.api.PostEphemeralContext(ctx, channel, user, slack.MsgOptionText(fit(text, maxText*10), false), slack.MsgOptionDisableMarkdown())
	if err != nil {
		b.log.Warn("slack: a reply to the user alone failed", "channel", Platform+":"+channel, "user", user, "err", b.scrub(err))
	}
}
