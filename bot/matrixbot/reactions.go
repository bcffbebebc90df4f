package matrixbot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/vigilbot/vigil/bot"
	"github.com/vigilbot/vigil/watchers"
)

// Triage by reaction: a reaction on an alert's message takes the decisions that need no
// reason (✅ true match, 🚩 escalate). Clearing an alert needs a reason, which a reaction
// cannot carry: ❌ is answered in the alert's thread with the command that clears it.
// Whoever reacts is held to the rules of the resolve command (package bot decides them);
// each reaction is taken once, as commands are (claimed by event id).

// Decider records triage decisions; *bot.Service implements it.
type Decider interface {
	Decide(ctx context.Context, req bot.Request, alertID int64, d watchers.Disposition, reason string) bot.Reply
}

var _ Decider = (*bot.Service)(nil)

// AlertFinder finds the alert whose message in a channel has an event id (recorded when
// the message was delivered); the store implements it. The error wraps
// watchers.ErrNotFound when the event is no alert's message.
type AlertFinder interface {
	AlertByRef(ctx context.Context, channel, ref string) (int64, error)
}

// clearReaction asks how to clear an alert: it decides nothing by itself.
const clearReaction watchers.Disposition = "clear"

// reactions are the keys understood, without their emoji variation selectors.
var reactions = map[string]watchers.Disposition{
	"✅": watchers.DispTrueMatch, // U+2705 white heavy check mark
	"✔": watchers.DispTrueMatch, // U+2714 heavy check mark
	"🚩": watchers.DispEscalated, // U+1F6A9 triangular flag
	"⬆": watchers.DispEscalated, // U+2B06 upwards arrow
	"❌": clearReaction,          // U+274C cross mark
	"✖": clearReaction,          // U+2716 heavy multiplication x
}

// reactionDecision reads a reaction's key.
func reactionDecision(key string) (watchers.Disposition, bool) {
	key = strings.Map(func(r rune) rune {
		if r == '\ufe0f' || r == '\ufe0e' { // emoji and text presentation selectors
			return -1
		}
		return r
	}, strings.TrimSpace(key))
	d, ok := reactions[key]
	return d, ok
}

// reactHint tells people on an alert awaiting a decision how to decide by reaction.
const reactHint = "Decide by reacting: ✅ true match · 🚩 escalate · ❌ clear it (I will ask why)."

// onReaction takes a decision from a reaction on an alert's message.
func (b *Bot) onReaction(ctx context.Context, evt *event.Event) {
	defer func() {
		if r := recover(); r != nil {
			b.log.Error("reaction handling panicked", "room", evt.RoomID.String(), "event_id", evt.ID.String(), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	if b.o.Alerts == nil || b.decider == nil || !b.fresh(ctx, evt) {
		return
	}
	content, ok := evt.Content.Parsed.(*event.ReactionEventContent)
	if !ok || content.RelatesTo.Type != event.RelAnnotation || content.RelatesTo.EventID == "" {
		return
	}
	d, ok := reactionDecision(content.RelatesTo.Key)
	if !ok {
		return // any other reaction is just a reaction
	}
	target := content.RelatesTo.EventID
	channel := channelOf(evt.RoomID)
	log := b.log.With("room", evt.RoomID.String(), "user", evt.Sender.String(), "event_id", evt.ID.String())
	alertID, err := b.o.Alerts.AlertByRef(ctx, channel, target.String())
	if errors.Is(err, watchers.ErrNotFound) {
		return // a reaction on some other message
	}
	if err != nil {
		log.Error("find the alert of a reaction", "err", err)
		return
	}
	claimed, err := b.claims.claim(ctx, evt.ID, evt.Timestamp)
	if err != nil {
		log.Warn("could not keep the reaction as handled", "err", err)
	}
	if !claimed {
		return
	}
	req := bot.Request{Channel: channel, User: evt.Sender.String(), CanManage: b.canManage(ctx, evt.RoomID, evt.Sender)}
	var answer string
	switch {
	case d == clearReaction && !req.CanManage:
		answer = bot.TriageRefusal
	case d == clearReaction:
		answer = fmt.Sprintf("To clear alert #%d, say why: %s resolve %d not_our_entity <reason> (another entity of that name), or %s resolve %d not_relevant <reason> (ours, but it does not matter).",
			alertID, commandPrefix, alertID, commandPrefix, alertID)
	default:
		r := b.decider.Decide(ctx, req, alertID, d, "")
		log.Info("decision by reaction", "alert_id", alertID, "decision", string(d), "failed", r.Failed)
		if r.Failed {
			answer = r.Text
		}
		// Otherwise the alert's message is edited to show the decision: nothing to add.
	}
	if answer != "" {
		b.replyInThread(ctx, evt, target, answer)
	}
}

// replyInThread answers a reaction in the thread of the message reacted to.
func (b *Bot) replyInThread(ctx context.Context, reaction *event.Event, root id.EventID, text string) {
	c := inThread(textContent(event.MsgNotice, text), root.String())
	sum := sha256.Sum256([]byte(reaction.ID))
	txn := "vigil.react." + hex.EncodeToString(sum[:12])
	if _, err := b.cli.SendMessageEvent(ctx, reaction.RoomID, event.EventMessage, c, mautrix.ReqSendEvent{TransactionID: txn}); err != nil {
		b.log.Error("answer a reaction", "room", reaction.RoomID.String(), "event_id", reaction.ID.String(), "err", err)
	}
}
