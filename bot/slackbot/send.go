package slackbot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/vigilbot/vigil/bot"
)

var channelIDPattern = regexp.MustCompile(`^[A-Z][A-Z0-9]{2,}$`)

// Send posts an alert message to a channel ("slack:C0123ABC") and returns the message's
// ts, the reference later edits (m.EditOf) and thread replies (m.ThreadOf) name. An edit
// is a chat.update of that message, a thread reply a post with its thread_ts.
//
// Errors: a *bot.RetryAfterError when Slack rate-limits; an error wrapping
// bot.ErrPermanent when retrying cannot help (the channel is gone or archived, the bot
// is not in it, the token is revoked); any other error is worth retrying.
func (b *Bot) Send(ctx context.Context, channel string, m bot.Message) (string, error) {
	id, ok := strings.CutPrefix(channel, Platform+":")
	if !ok || !channelIDPattern.MatchString(id) {
		return "", fmt.Errorf("slack: %q is not a Slack channel: %w", channel, bot.ErrPermanent)
	}
	opts := []slack.MsgOption{
		slack.MsgOptionText(fallback(m), false),
		slack.MsgOptionBlocks(alertBlocks(m)...),
	}
	ref, err := b.deliver(ctx, id, m, opts)
	if isCode(err, "invalid_blocks", "invalid_blocks_format") {
		// A rendering Slack refuses must not lose the alert: send the plain text.
		b.log.Error("slack: Block Kit refused; sending the plain-text alert", "channel", channel, "err", b.scrub(err))
		ref, err = b.deliver(ctx, id, m, []slack.MsgOption{slack.MsgOptionText(fallback(m), false), slack.MsgOptionDisableMarkdown()})
	}
	if err != nil {
		return "", classify(b.scrub(err))
	}
	return ref, nil
}

func (b *Bot) deliver(ctx context.Context, channel string, m bot.Message, opts []slack.MsgOption) (string, error) {
	if err := b.limiter.wait(ctx, channel); err != nil {
		return "", err
	}
	opts = append(opts, slack.MsgOptionParse(false), slack.MsgOptionLinkNames(false))
	if m.EditOf != "" {
		_, ts, _, err := b.api.UpdateMessageContext(ctx, channel, m.EditOf, opts...)
		if err == nil && ts == "" {
			ts = m.EditOf
		}
		return ts, err
	}
	opts = append(opts, slack.MsgOptionDisableLinkUnfurl(), slack.MsgOptionDisableMediaUnfurl())
	if m.ThreadOf != "" {
		opts = append(opts, slack.MsgOptionTS(m.ThreadOf))
	}
	_, ts, err := b.api.PostMessageContext(ctx, channel, opts...)
	return ts, err
}

// post sends a command's reply as plain text, in a thread when thread is set.
func (b *Bot) post(ctx context.Context, channel, text, thread string) error {
	if err := b.limiter.wait(ctx, channel); err != nil {
		return err
	}
	opts := []slack.MsgOption{
		slack.MsgOptionText(fit(text, maxText*10), false),
		slack.MsgOptionDisableMarkdown(), slack.MsgOptionParse(false), slack.MsgOptionLinkNames(false),
		slack.MsgOptionDisableLinkUnfurl(), slack.MsgOptionDisableMediaUnfurl(),
	}
	if thread != "" {
		opts = append(opts, slack.MsgOptionTS(thread))
	}
	_, _, err := b.api.PostMessageContext(ctx, channel, opts...)
	return err
}

// permanentCodes are Slack errors that no retry can fix. The bot's own malformed
// messages are among them: sending them again fails again.
var permanentCodes = map[string]bool{
	"channel_not_found": true, "not_in_channel": true, "is_archived": true,
	"invalid_auth": true, "account_inactive": true, "token_revoked": true,
	"token_expired": true, "not_authed": true, "no_permission": true,
	"missing_scope": true, "restricted_action": true, "team_access_not_granted": true,
	"ekm_access_denied": true, "message_not_found": true, "cant_update_message": true,
	"edit_window_closed": true, "msg_too_long": true, "no_text": true,
	"invalid_blocks": true, "invalid_blocks_format": true, "too_many_attachments": true,
	"invalid_arguments": true, "invalid_ts": true, "thread_not_found": true,
}

// classify turns a Slack API error into the delivery errors the app acts on.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if rl, ok := errors.AsType[*slack.RateLimitedError](err); ok {
		after := rl.RetryAfter
		if after <= 0 {
			after = time.Second
		}
		return &bot.RetryAfterError{After: after, Err: err}
	}
	if sc, ok := errors.AsType[slack.StatusCodeError](err); ok && sc.Code == http.StatusTooManyRequests {
		// A 429 without a usable Retry-After: wait a minute, as Slack's SDKs do.
		return &bot.RetryAfterError{After: time.Minute, Err: err}
	}
	if isPermanent(err) {
		return fmt.Errorf("%w: %w", bot.ErrPermanent, err)
	}
	return err
}

func isPermanent(err error) bool {
	se, ok := errors.AsType[slack.SlackErrorResponse](err)
	return ok && permanentCodes[se.Err]
}

func isCode(err error, codes ...string) bool {
	se, ok := errors.AsType[slack.SlackErrorResponse](err)
	if !ok {
		return false
	}
	for _, c := range codes {
		if se.Err == c {
			return true
		}
	}
	return false
}

// limiter spaces the bot's messages in each channel: Slack allows about one per second
// per channel and answers bursts with 429s.
type limiter struct {
	every time.Duration

	mu   sync.Mutex
	next map[string]time.Time
}

func newLimiter(every time.Duration) *limiter {
	return &limiter{every: every, next: map[string]time.Time{}}
}

// wait blocks until channel may take the next message, or ctx is done.
func (l *limiter) wait(ctx context.Context, channel string) error {
	now := time.Now()
	l.mu.Lock()
	at := l.next[channel]
	if at.Before(now) {
		at = now
	}
	l.next[channel] = at.Add(l.every)
	if len(l.next) > maxCached {
		for ch, t := range l.next {
			if t.Before(now) {
				delete(l.next, ch)
			}
		}
	}
	l.mu.Unlock()
	d := at.Sub(now)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func newJSONRequest(ctx context.Context, u string, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	return req, nil
}

// stripURL drops the URL from a client error: a response URL is a credential.
func stripURL(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
