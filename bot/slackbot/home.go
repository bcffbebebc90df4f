package slackbot

import (
	"context"
	"sort"
	"strings"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/vigilbot/vigil/bot"
)

// The App Home tab shows, for each channel that both the user and the bot are in, that
// channel's watches as the list command gives them.

// maxHomeChannels bounds the Home tab (a view holds at most 100 blocks).
const maxHomeChannels = 20

func (b *Bot) onHomeOpened(ctx context.Context, e *slackevents.AppHomeOpenedEvent) {
	if e.Tab != "home" || e.User == "" {
		return
	}
	b.publishHome(ctx, e.User, "")
}

// publishHome shows the user's App Home, with the result of a button above the watches.
func (b *Bot) publishHome(ctx context.Context, user, result string) {
	blocks, err := b.homeBlocks(ctx, user)
	if err == nil && result != "" {
		blocks = append(blocks[:2:2], append([]slack.Block{slack.NewContextBlock("", mrkdwn(fit(result, maxText)))}, blocks[2:]...)...)
	}
	if err != nil {
		b.log.Warn("slack: building the App Home failed", "user", user, "err", b.scrub(err))
		blocks = []slack.Block{
			slack.NewHeaderBlock(plain("Vigil")),
			slack.NewSectionBlock(mrkdwn("I could not list your channels just now. Try again in a minute."), nil, nil),
		}
	}
	_, err = b.api.PublishViewContext(ctx, slack.PublishViewContextRequest{
		UserID: user,
		View:   slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}},
	})
	if err != nil {
		b.log.Warn("slack: publishing the App Home failed", "user", user, "err", b.scrub(err))
	}
}

func (b *Bot) homeBlocks(ctx context.Context, user string) ([]slack.Block, error) {
	mine, err := b.conversations(ctx, "")
	if err != nil {
		return nil, err
	}
	theirs, err := b.conversations(ctx, user)
	if err != nil {
		return nil, err
	}
	var shared []slack.Channel
	for _, c := range theirs {
		if _, ok := mine[c.ID]; ok {
			shared = append(shared, c)
		}
	}
	sort.Slice(shared, func(i, j int) bool { return shared[i].Name < shared[j].Name })
	blocks := []slack.Block{
		slack.NewHeaderBlock(plain("Watches in your channels")),
		slack.NewContextBlock("", mrkdwn(fit("Change them in a channel with "+b.command+" add, remove, mute or unmute, or from an alert's buttons. Here, in my Messages tab, you can keep personal watches.", maxText))),
	}
	if len(shared) == 0 {
		return append(blocks, slack.NewSectionBlock(mrkdwn("I am not in any of your channels yet. Invite me to one with /invite and my name."), nil, nil)), nil
	}
	for i, c := range shared {
		if i == maxHomeChannels {
			blocks = append(blocks, slack.NewContextBlock("", mrkdwn(fit("…and more channels; type "+b.command+" list in one of them.", maxText))))
			break
		}
		reply := b.h.Handle(ctx, bot.Request{Channel: Platform + ":" + c.ID, User: user, Text: bot.VerbList})
		name := c.Name
		if name == "" {
			name = c.ID
		}
		blocks = append(blocks,
			slack.NewDividerBlock(),
			slack.NewSectionBlock(mrkdwn("*#"+fit(name, 200)+"*\n"+fit(reply.Text, maxText-250)), nil, nil),
		)
		if act := b.homeButtons(ctx, c.ID); act != nil {
			blocks = append(blocks, act)
		}
	}
	return blocks, nil
}

// App Home buttons: each carries its channel and the command to run there.
const (
	actionHomeRemove = "vigil_home_remove"
	actionHomeMute   = "vigil_home_mute_7d"
	maxHomeWatches   = 10 // two buttons each; an actions block holds 25 elements
)

// homeButtons are Remove (with a confirmation) and Mute 7d for the channel's first watches.
func (b *Bot) homeButtons(ctx context.Context, channel string) slack.Block {
	if b.watches == nil {
		return nil
	}
	ws, err := b.watches.Watches(ctx, Platform+":"+channel)
	if err != nil || len(ws) == 0 {
		return nil
	}
	var elems []slack.BlockElement
	for i, w := range ws {
		if i == maxHomeWatches {
			break
		}
		q := quote(w.Name)
		remove := channel + "\n" + "remove " + q
		mute := channel + "\n" + "mute " + q + " 7d"
		if len(remove) > maxButtonValue || len(mute) > maxButtonValue {
			continue
		}
		elems = append(elems,
			slack.NewButtonBlockElement(actionHomeMute, mute, plain(fit("Mute "+w.Name+" 7d", 75))),
			slack.NewButtonBlockElement(actionHomeRemove, remove, plain(fit("Remove "+w.Name, 75))).
				WithStyle(slack.StyleDanger).WithConfirm(unwatchConfirm([]string{w.Name})),
		)
	}
	if len(elems) == 0 {
		return nil
	}
	return slack.NewActionBlock("vigil_home_"+channel, elems...)
}

// onHomeButton runs a Home button's command in its channel, as the user who clicked, and
// shows the Home again with the result.
func (b *Bot) onHomeButton(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction) {
	user := cb.User.ID
	channel, line, ok := strings.Cut(a.Value, "\n")
	cmd, err := bot.Parse(line)
	if !ok || user == "" || channel == "" || err != nil || !buttonVerbs[cmd.Verb] {
		b.log.Warn("slack: a Home button carried an unexpected command", "user", user, "action", a.ActionID)
		return
	}
	req := bot.Request{Channel: Platform + ":" + channel, User: user, Text: line,
		CanManage: b.canManage(ctx, channel, user, false), Admin: b.admins[user]}
	r := b.h.Handle(ctx, req)
	b.publishHome(ctx, user, resultLine(user, r.Text))
}

// maxConversationPages bounds users.conversations (200 per page).
const maxConversationPages = 10

// conversations lists the channels (public and private) that user is in, or the bot when
// user is empty.
func (b *Bot) conversations(ctx context.Context, user string) (map[string]slack.Channel, error) {
	out := map[string]slack.Channel{}
	cursor := ""
	for range maxConversationPages {
		chans, next, err := b.api.GetConversationsForUserContext(ctx, &slack.GetConversationsForUserParameters{
			UserID: user, Cursor: cursor, Limit: 200, ExcludeArchived: true,
			Types: []string{"public_channel", "private_channel"},
		})
		if err != nil {
			return nil, err
		}
		for _, c := range chans {
			out[c.ID] = c
		}
		if next == "" {
			break
		}
		cursor = next
	}
	return out, nil
}
