package matrixbot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"runtime/debug"
	"strings"
	"time"
	"unicode"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/vigilbot/vigil/bot"
)

// commandPrefix starts a command in a room; in a direct chat it may be left out.
const commandPrefix = "!watch"

// notifyUsage explains the Matrix-only notify command; it is added to the help text.
const notifyUsage = "notify on|off — alerts in this room as normal messages that notify people (on), or as quiet notices (off, the default)"

// onMessage answers a command: an m.text from someone else, sent in a joined room while the
// bot was listening (not history from the first sync, not older than commandMaxAge), once.
func (b *Bot) onMessage(ctx context.Context, evt *event.Event) {
	defer func() {
		// A panic would end mautrix's sync loop for good: one bad command must not.
		if r := recover(); r != nil {
			b.log.Error("command handling panicked", "room", evt.RoomID.String(), "event_id", evt.ID.String(), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	if !b.fresh(ctx, evt) {
		return
	}
	content, ok := evt.Content.Parsed.(*event.MessageEventContent)
	if !ok || content.MsgType != event.MsgText || content.RelatesTo.GetReplaceID() != "" {
		return
	}
	log := b.log.With("room", evt.RoomID.String(), "user", evt.Sender.String(), "event_id", evt.ID.String())
	body := content.Body
	if content.RelatesTo.GetReplyTo() != "" && !content.RelatesTo.IsFallingBack {
		content.RemoveReplyFallback()
		body = event.TrimReplyFallbackText(content.Body)
	}
	// A prefixed command needs no lookup; bare words only count in a direct chat.
	direct := false
	text, ok := commandText(body, false)
	if ok {
		direct = b.isDirect(ctx, evt.RoomID)
	} else if b.isDirect(ctx, evt.RoomID) {
		direct = true
		if text, ok = commandText(body, true); !ok {
			return
		}
	} else {
		return
	}
	claimed, err := b.claims.claim(ctx, evt.ID, evt.Timestamp)
	if err != nil {
		log.Warn("could not keep the command as handled", "err", err)
	}
	if !claimed {
		return
	}
	req := bot.Request{
		Channel:   channelOf(evt.RoomID),
		User:      evt.Sender.String(),
		CanManage: b.canManage(ctx, evt.RoomID, evt.Sender),
		Direct:    direct,
		Text:      text,
	}
	reply := b.answer(ctx, req)
	log.Info("command answered", "failed", reply.Failed)
	b.reply(ctx, evt, content, direct, reply.Text)
}

// fresh says whether a room event may be a command to answer: someone else's, in the
// timeline of a joined room, not history from the first sync, not older than commandMaxAge.
func (b *Bot) fresh(ctx context.Context, evt *event.Event) bool {
	src := evt.Mautrix.EventSource
	if evt.Sender == b.userID || src&event.SourceJoin == 0 || src&event.SourceTimeline == 0 {
		return false
	}
	if since, _ := ctx.Value(mautrix.SyncTokenContextKey).(string); since == "" {
		// The first sync ever: what it holds was said before the bot listened.
		return false
	}
	if age := b.now().Sub(time.UnixMilli(evt.Timestamp)); age > commandMaxAge {
		b.log.Debug("ignoring an old message", "room", evt.RoomID.String(), "event_id", evt.ID.String(), "age", age.Round(time.Second))
		return false
	}
	return true
}

// commandText extracts the command from a message body: after the !watch prefix, or the
// whole text in a direct chat.
func commandText(body string, direct bool) (string, bool) {
	s := strings.TrimSpace(body)
	if len(s) >= len(commandPrefix) && strings.EqualFold(s[:len(commandPrefix)], commandPrefix) {
		rest := s[len(commandPrefix):]
		if rest == "" {
			return "help", true
		}
		if r := []rune(rest)[0]; unicode.IsSpace(r) {
			rest = strings.TrimSpace(rest)
			if rest == "" {
				return "help", true
			}
			return rest, true
		}
	}
	if direct && s != "" {
		return s, true
	}
	return "", false
}

// answer handles the Matrix-only notify command itself and passes everything else on.
func (b *Bot) answer(ctx context.Context, req bot.Request) bot.Reply {
	fields := strings.Fields(req.Text)
	if len(fields) > 0 && strings.EqualFold(fields[0], "notify") {
		return b.notify(ctx, req, fields[1:])
	}
	r := b.h.Handle(ctx, req)
	if len(fields) > 0 && strings.EqualFold(fields[0], "help") && !r.Failed {
		r.Text += "\n" + notifyUsage
	}
	return r
}

func (b *Bot) notify(ctx context.Context, req bot.Request, args []string) bot.Reply {
	if len(args) != 1 || (!strings.EqualFold(args[0], "on") && !strings.EqualFold(args[0], "off")) {
		return bot.Reply{Text: "Usage: notify on|off", Failed: true}
	}
	if !req.CanManage {
		return bot.Reply{Text: "Only this room's moderators may change how alerts are posted here.", Failed: true}
	}
	room, _ := roomOf(req.Channel)
	on := strings.EqualFold(args[0], "on")
	value := "off"
	if on {
		value = "on"
	}
	if err := b.o.State.SetChatState(ctx, roomKey(room, "notify"), value); err != nil {
		b.log.Error("save notify setting", "room", room.String(), "err", err)
		return bot.Reply{Text: "Sorry, that failed on my side; the operator can find the details in the log.", Failed: true}
	}
	if on {
		return bot.Reply{Text: "Alerts in this room will now be normal messages, which notify people."}
	}
	return bot.Reply{Text: "Alerts in this room will now be quiet notices."}
}

// notifies says whether alerts in room are sent as m.text.
func (b *Bot) notifies(ctx context.Context, room id.RoomID) bool {
	v, err := getState(ctx, b.o.State, roomKey(room, "notify"))
	if err != nil {
		b.log.Warn("read notify setting", "room", room.String(), "err", err)
	}
	return v == "on"
}

// isDirect says whether room is a direct chat: marked so in the invite, or just the bot
// and one other member.
func (b *Bot) isDirect(ctx context.Context, room id.RoomID) bool {
	if v, _ := getState(ctx, b.o.State, roomKey(room, "direct")); v == "1" {
		return true
	}
	members, err := b.states.GetRoomJoinedOrInvitedMembers(ctx, room)
	return err == nil && len(members) == 2
}

// canManage says whether user may change the room's watches: a configured admin, or a
// power level of at least the room's state_default (50 unless the room says otherwise).
func (b *Bot) canManage(ctx context.Context, room id.RoomID, user id.UserID) bool {
	if b.admins[user] {
		return true
	}
	pl, err := b.cli.StateStore.GetPowerLevels(ctx, room)
	if err != nil || pl == nil {
		var fetched event.PowerLevelsEventContent
		if err := b.cli.StateEvent(ctx, room, event.StatePowerLevels, "", &fetched); err != nil {
			b.log.Warn("read power levels", "room", room.String(), "err", err)
			return false
		}
		pl = &fetched
	}
	return pl.GetUserLevel(user) >= pl.StateDefault()
}

// reply posts the answer to a command as a notice: in the command's thread if it came from
// one, else as a reply to it (in rooms) or plainly (in a direct chat).
func (b *Bot) reply(ctx context.Context, cmd *event.Event, cmdContent *event.MessageEventContent, direct bool, text string) {
	c := textContent(event.MsgNotice, text)
	switch {
	case cmdContent.RelatesTo.GetThreadParent() != "":
		c.RelatesTo = &event.RelatesTo{
			Type:      event.RelThread,
			EventID:   cmdContent.RelatesTo.GetThreadParent(),
			InReplyTo: &event.InReplyTo{EventID: cmd.ID},
		}
	case !direct:
		c.RelatesTo = &event.RelatesTo{InReplyTo: &event.InReplyTo{EventID: cmd.ID}}
	}
	sum := sha256.Sum256([]byte(cmd.ID))
	txn := "vigil.reply." + hex.EncodeToString(sum[:12])
	if _, err := b.cli.SendMessageEvent(ctx, cmd.RoomID, event.EventMessage, c, mautrix.ReqSendEvent{TransactionID: txn}); err != nil {
		b.log.Error("send reply", "room", cmd.RoomID.String(), "event_id", cmd.ID.String(), "err", err)
	}
}
