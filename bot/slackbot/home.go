package slackbot

import (
	"context"
	"sort"

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
	blocks, err := b.homeBlocks(ctx, e.User)
	if err != nil {
		b.log.Warn("slack: building the App Home failed", "user", e.User, "err", b.scrub(err))
		blocks = []slack.Block{
			slack.NewHeaderBlock(plain("Vigil")),
			slack.NewSectionBlock(mrkdwn("I could not list your channels just now. Try again in a minute."), nil, nil),
		}
	}
	_, err = b.api.PublishViewContext(ctx, slack.PublishViewContextRequest{
		UserID: e.User,
		View:   slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}},
	})
	if err != nil {
		b.log.Warn("slack: publishing the App Home failed", "user", e.User, "err", b.scrub(err))
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
	}
	return blocks, nil
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
