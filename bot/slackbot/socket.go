package slackbot

import (
	"context"
	"encoding/json"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/vigilbot/vigil/bot"
)

// onSocketEvent handles one event of the Socket Mode connection. It runs in Run's loop,
// so it acknowledges at once and leaves the work to tasks: Slack redelivers what is not
// acknowledged within three seconds.
func (b *Bot) onSocketEvent(ctx context.Context, r *runner, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		b.ready.Store(false)
		b.log.Debug("slack: connecting")
	case socketmode.EventTypeConnected:
		b.ready.Store(true)
		b.log.Info("slack: connected with Socket Mode")
	case socketmode.EventTypeHello:
		b.log.Debug("slack: hello")
	case socketmode.EventTypeConnectionError:
		if ce, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
			b.log.Warn("slack: connection failed; retrying", "attempt", ce.Attempt, "backoff", ce.Backoff, "err", b.scrub(ce.ErrorObj))
		}
	case socketmode.EventTypeInvalidAuth:
		b.log.Error("slack: the app token was refused")
	case socketmode.EventTypeIncomingError, socketmode.EventTypeErrorWriteFailed:
		b.log.Warn("slack: connection error", "type", string(evt.Type))
	case socketmode.EventTypeErrorBadMessage:
		b.onBadMessage(ctx, evt)
	case socketmode.EventTypeEventsAPI:
		b.ack(ctx, evt.Request, nil)
		ev, ok := evt.Data.(slackevents.EventsAPIEvent)
		if !ok {
			return
		}
		if id := eventID(ev); !b.events.first(id) {
			b.log.Debug("slack: duplicate event ignored", "event_id", id)
			return
		}
		r.Go(ctx, func(ctx context.Context) { b.onEvent(ctx, ev) })
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok {
			b.ack(ctx, evt.Request, nil)
			return
		}
		req := evt.Request
		p := b.slashPending(cmd)
		r.Go(ctx, func(ctx context.Context) { p.complete(ctx, b.slashReply(ctx, cmd)) })
		r.Go(ctx, func(ctx context.Context) {
			reply, ok := p.wait(b.ackBudget)
			b.ackCommand(ctx, req, cmd, reply, ok)
		})
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok {
			b.ack(ctx, evt.Request, nil)
			return
		}
		payload, work, _ := b.interaction(cb)
		b.ack(ctx, evt.Request, payload)
		if work != nil {
			r.Go(ctx, work)
		}
	default:
		b.ack(ctx, evt.Request, nil)
	}
}

// ack acknowledges an envelope, with a payload for those that accept one.
func (b *Bot) ack(ctx context.Context, req *socketmode.Request, payload any) {
	if req == nil || req.EnvelopeID == "" {
		return
	}
	if err := b.socket.AckCtx(ctx, req.EnvelopeID, payload); err != nil && ctx.Err() == nil {
		b.log.Warn("slack: acknowledgement failed", "type", req.Type, "err", err)
	}
}

// ackCommand acknowledges a slash command with its reply when the reply is ready and fits
// in an acknowledgement; otherwise with less, the reply following through the response URL.
func (b *Bot) ackCommand(ctx context.Context, req *socketmode.Request, cmd slack.SlashCommand, reply bot.Reply, ready bool) {
	payload := ackPayload(reply, ready)
	if err := b.socket.AckCtx(ctx, req.EnvelopeID, payload); err == nil || ctx.Err() != nil {
		return
	}
	// Too large for an acknowledgement (20 KB): acknowledge bare, reply by URL.
	b.ack(ctx, req, nil)
	if ready {
		if err := b.respond(ctx, cmd.ResponseURL, payload); err != nil {
			b.log.Warn("slack: reply to a slash command failed", "channel", Platform+":"+cmd.ChannelID, "user", cmd.UserID, "err", b.scrub(err))
		}
	}
}

// onBadMessage acknowledges an envelope slack-go could not parse (an event type it does
// not know), so that Slack does not send it again and again.
func (b *Bot) onBadMessage(ctx context.Context, evt socketmode.Event) {
	bm, ok := evt.Data.(*socketmode.ErrorBadMessage)
	if !ok {
		return
	}
	var env socketmode.Request
	if json.Unmarshal(bm.Message, &env) == nil && env.EnvelopeID != "" {
		b.ack(ctx, &env, nil)
	}
	b.log.Debug("slack: message not understood", "err", bm.Cause)
}
