package slackbot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/vigilbot/vigil/bot"
)

// This file is what people do in Slack, whichever way it arrives (Socket Mode or HTTP):
// events (mentions, direct messages, App Home), slash commands and button clicks.

// onEvent handles one Events API event after it was acknowledged and deduplicated.
func (b *Bot) onEvent(ctx context.Context, ev slackevents.EventsAPIEvent) {
	if !b.events.claim(ctx, eventID(ev)) {
		b.log.Debug("slack: event handled by another replica", "event_id", eventID(ev))
		return
	}
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.AppMentionEvent:
		b.onMention(ctx, e)
	case *slackevents.MessageEvent:
		b.onMessage(ctx, e)
	case *slackevents.AppHomeOpenedEvent:
		b.onHomeOpened(ctx, e)
	default:
		b.log.Debug("slack: event ignored", "type", ev.InnerEvent.Type)
	}
}

// eventID is the id Slack gives an Events API delivery (the same on its retries).
func eventID(ev slackevents.EventsAPIEvent) string {
	if cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok {
		return cb.EventID
	}
	return ""
}

// onMention answers "@vigil <command>" in a channel, in the thread of the mention.
func (b *Bot) onMention(ctx context.Context, e *slackevents.AppMentionEvent) {
	if e.BotID != "" || e.User == "" || e.User == b.botUserID() || e.Edited != nil {
		return // bots (this one included) do not command it; an edit is not a new command
	}
	text := stripCommand(plainText(stripMention(e.Text, b.botUserID())), b.command)
	req := b.request(ctx, e.Channel, e.User, text, false)
	reply := b.h.Handle(ctx, req)
	thread := e.ThreadTimeStamp
	if thread == "" {
		thread = e.TimeStamp
	}
	if err := b.post(ctx, e.Channel, reply.Text, thread); err != nil {
		b.log.Warn("slack: reply to a mention failed", "channel", req.Channel, "user", e.User, "err", b.scrub(err))
	}
}

// onMessage answers a direct message: bare commands and free-text questions. Everything
// that is not a person's new message in the bot's DM is ignored (bots, this bot's own
// posts, edits, deletions, joins: any subtype).
func (b *Bot) onMessage(ctx context.Context, e *slackevents.MessageEvent) {
	if e.ChannelType != "im" || e.SubType != "" || e.BotID != "" || e.User == "" || e.User == b.botUserID() {
		return
	}
	text := stripCommand(plainText(e.Text), b.command)
	req := b.request(ctx, e.Channel, e.User, text, true)
	reply := b.h.Handle(ctx, req)
	thread := e.ThreadTimeStamp // answer in a thread only if asked in one
	if err := b.post(ctx, e.Channel, reply.Text, thread); err != nil {
		b.log.Warn("slack: reply to a direct message failed", "channel", req.Channel, "user", e.User, "err", b.scrub(err))
	}
}

// request builds the bot.Request for a command typed in a channel. dm says the channel is
// the user's own direct conversation with the bot.
func (b *Bot) request(ctx context.Context, channel, user, text string, dm bool) bot.Request {
	if text == "" {
		text = bot.VerbHelp
	}
	return bot.Request{Channel: Platform + ":" + channel, User: user, Direct: dm, Text: text,
		CanManage: b.canManage(ctx, channel, user, dm), Admin: b.admins[user]}
}

// needsManage says whether a command may change something. Unknown verbs count as
// changes.
func needsManage(text string) bool {
	cmd, err := bot.Parse(text)
	if err != nil {
		return false // answered with a usage hint, whoever asks
	}
	switch cmd.Verb {
	case bot.VerbHelp, bot.VerbList, bot.VerbSources, bot.VerbAbout:
		return false
	}
	return true
}

// slashReply runs a slash command.
func (b *Bot) slashReply(ctx context.Context, cmd slack.SlashCommand) bot.Reply {
	if !strings.EqualFold(cmd.Command, b.command) {
		return bot.Reply{Text: fmt.Sprintf("I answer %s; %s is not mine.", b.command, cmd.Command), Failed: true}
	}
	dm := strings.HasPrefix(cmd.ChannelID, "D") && b.isOwnDM(ctx, cmd.ChannelID, cmd.UserID)
	req := b.request(ctx, cmd.ChannelID, cmd.UserID, stripCommand(plainText(cmd.Text), b.command), dm)
	reply := b.h.Handle(ctx, req)
	if !dm && b.notInChannel(ctx, cmd.ChannelID, req.Text) {
		reply.Text += "\nNote: I am not a member of this channel, so I cannot post its alerts. Invite me with /invite and my name."
	}
	return reply
}

// notInChannel says, for a command that changes watches, whether the bot is known to
// be missing from the channel.
func (b *Bot) notInChannel(ctx context.Context, channel, text string) bool {
	me := b.botUserID()
	if me == "" || !needsManage(text) {
		return false
	}
	set, err := b.cache.get(ctx, channel, b.fetchMembers)
	if err != nil {
		return isCode(err, "channel_not_found", "not_in_channel") // a private channel it cannot see
	}
	return !set[me]
}

// responsePayload is a reply to a slash command or a button, shown to the one user.
type responsePayload struct {
	ResponseType    string `json:"response_type,omitempty"`
	Text            string `json:"text"`
	Mrkdwn          bool   `json:"mrkdwn"`
	ReplaceOriginal bool   `json:"replace_original"`
}

func ephemeral(text string) responsePayload {
	return responsePayload{ResponseType: "ephemeral", Text: fit(text, maxText*10)}
}

const workingOnIt = "Working on it…"

// pending is a command whose reply either makes the acknowledgement in time or follows
// it through the response URL.
type pending struct {
	mu     sync.Mutex
	done   chan bot.Reply
	late   bool
	follow func(ctx context.Context, r bot.Reply)
}

func newPending(follow func(ctx context.Context, r bot.Reply)) *pending {
	return &pending{done: make(chan bot.Reply, 1), follow: follow}
}

// complete delivers the reply: to the waiter if it still waits, else through follow.
func (p *pending) complete(ctx context.Context, r bot.Reply) {
	p.mu.Lock()
	late := p.late
	if !late {
		p.done <- r
	}
	p.mu.Unlock()
	if late {
		p.follow(ctx, r)
	}
}

// wait returns the reply if it comes within d; otherwise the reply will be followed up.
func (p *pending) wait(d time.Duration) (bot.Reply, bool) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case r := <-p.done:
		return r, true
	case <-timer.C:
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case r := <-p.done:
		return r, true
	default:
		p.late = true
		return bot.Reply{}, false
	}
}

// slashPending prepares a slash command's reply, following up through its response URL
// when it misses the acknowledgement.
func (b *Bot) slashPending(cmd slack.SlashCommand) *pending {
	return newPending(func(ctx context.Context, r bot.Reply) {
		if err := b.respond(ctx, cmd.ResponseURL, ephemeral(r.Text)); err != nil {
			b.log.Warn("slack: late reply to a slash command failed", "channel", Platform+":"+cmd.ChannelID, "user", cmd.UserID, "err", b.scrub(err))
		}
	})
}

// ackPayload is what acknowledges a slash command: its reply, or a note that it follows.
func ackPayload(r bot.Reply, ok bool) responsePayload {
	if !ok {
		return ephemeral(workingOnIt)
	}
	return ephemeral(r.Text)
}

// respond posts a reply to a response URL, which must be Slack's (or, in tests, the
// configured API stand-in's): the URL comes in a request, and the bot must not be made to
// post anywhere else.
func (b *Bot) respond(ctx context.Context, responseURL string, p responsePayload) error {
	u, err := url.Parse(responseURL)
	if err != nil || !b.trustedResponseURL(u) {
		return fmt.Errorf("response URL on %q refused", hostOf(u))
	}
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	req, err := newJSONRequest(ctx, u.String(), body)
	if err != nil {
		return err
	}
	resp, err := b.http.Do(req)
	if err != nil {
		return fmt.Errorf("post to response URL: %w", stripURL(err))
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != 200 {
		return fmt.Errorf("post to response URL: %s", resp.Status)
	}
	return nil
}

func (b *Bot) trustedResponseURL(u *url.URL) bool {
	if u.Scheme == "https" && (u.Host == "hooks.slack.com" || u.Host == "hooks.slack-gov.com") {
		return true
	}
	return b.apiURL != nil && u.Scheme == b.apiURL.Scheme && u.Host == b.apiURL.Host
}

func hostOf(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.Host
}

// Button clicks.

// onInteraction handles a click after it was acknowledged.
func (b *Bot) onInteraction(ctx context.Context, cb slack.InteractionCallback) {
	if cb.Type != slack.InteractionTypeBlockActions {
		return
	}
	for _, a := range cb.ActionCallback.BlockActions {
		switch a.ActionID {
		case actionMute1d, actionMute7d, actionUnwatch:
			b.onAlertButton(ctx, cb, a)
		case actionHomeRemove, actionHomeMute:
			b.onHomeButton(ctx, cb, a)
		default:
			if strings.HasPrefix(a.ActionID, actionDecide) {
				b.onDecideButton(ctx, cb, a)
			}
		}
	}
}

// buttonVerbs are the commands a button may carry.
var buttonVerbs = map[string]bool{bot.VerbMute: true, bot.VerbUnmute: true, bot.VerbRemove: true}

// onAlertButton runs the commands a button carries as the user who clicked it, then shows
// the result: in the alert for everyone when it worked, to the user alone when not.
func (b *Bot) onAlertButton(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction) {
	channel := cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	user := cb.User.ID
	if channel == "" || user == "" {
		return
	}
	var (
		replies []string
		failed  bool
		req     = bot.Request{Channel: Platform + ":" + channel, User: user}
		checked bool
	)
	for line := range strings.SplitSeq(a.Value, "\n") {
		line = strings.TrimSpace(line)
		cmd, err := bot.Parse(line)
		if err != nil || !buttonVerbs[cmd.Verb] {
			b.log.Warn("slack: a button carried an unexpected command", "channel", req.Channel, "user", user, "action", a.ActionID)
			failed = true
			continue
		}
		if !checked {
			req.CanManage = b.canManage(ctx, channel, user, strings.HasPrefix(channel, "D") && b.isOwnDM(ctx, channel, user))
			checked = true
		}
		req.Text = line
		r := b.h.Handle(ctx, req)
		replies = append(replies, r.Text)
		failed = failed || r.Failed
	}
	if len(replies) == 0 {
		return
	}
	result := strings.Join(replies, "\n")
	ts := cb.Container.MessageTs
	if ts == "" {
		ts = cb.Message.Timestamp
	}
	if failed || ts == "" || len(cb.Message.Blocks.BlockSet) == 0 {
		if _, err := b.api.PostEphemeralContext(ctx, channel, user, slack.MsgOptionText(fit(result, maxText*10), false), slack.MsgOptionDisableMarkdown()); err != nil {
			b.log.Warn("slack: ephemeral reply to a button failed", "channel", req.Channel, "user", user, "err", b.scrub(err))
		}
		return
	}
	blocks := withResult(cb.Message.Blocks.BlockSet, resultLine(user, result))
	err := b.limiter.wait(ctx, channel)
	if err == nil {
		_, _, _, err = b.api.UpdateMessageContext(ctx, channel, ts,
			slack.MsgOptionText(cb.Message.Text, false), slack.MsgOptionBlocks(blocks...),
			slack.MsgOptionParse(false), slack.MsgOptionLinkNames(false))
	}
	if err != nil {
		b.log.Warn("slack: showing a button's result in the alert failed", "channel", req.Channel, "user", user, "err", b.scrub(err))
	}
}

var userID = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)

// resultLine says who clicked and what happened. The user's mention is the bot's own
// markup (an edit does not notify anyone); the result is escaped.
func resultLine(user, result string) string {
	who := "Someone"
	if userID.MatchString(user) {
		who = "<@" + user + ">"
	}
	return who + ": " + fit(result, maxText-len(who)-2)
}

// withResult returns the blocks with the result context block added, replacing an
// earlier result.
func withResult(blocks []slack.Block, line string) []slack.Block {
	out := make([]slack.Block, 0, len(blocks)+1)
	for _, bl := range blocks {
		if cb, ok := bl.(*slack.ContextBlock); ok && cb.BlockID == blockResult {
			continue
		}
		out = append(out, bl)
	}
	if len(out) >= maxBlocks {
		out = out[:maxBlocks-1]
	}
	return append(out, slack.NewContextBlock(blockResult, mrkdwn(line)))
}
