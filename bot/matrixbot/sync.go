package matrixbot

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// syncer is mautrix's DefaultSyncer with a filter for a bot and a backoff on failed syncs.
type syncer struct {
	*mautrix.DefaultSyncer
	b *Bot

	mu       sync.Mutex
	failures int
}

var (
	_ mautrix.ExtensibleSyncer   = (*syncer)(nil)
	_ mautrix.DispatchableSyncer = (*syncer)(nil)
)

func newSyncer(b *Bot) *syncer {
	s := &syncer{DefaultSyncer: mautrix.NewDefaultSyncer(), b: b}
	s.FilterJSON = &mautrix.Filter{
		Presence: &mautrix.FilterPart{NotTypes: []event.Type{{Type: "*"}}},
		Room: &mautrix.RoomFilter{
			Timeline:  &mautrix.FilterPart{Limit: 50},
			Ephemeral: &mautrix.FilterPart{NotTypes: []event.Type{{Type: "*"}}},
		},
	}
	return s
}

// ProcessResponse resets the failure count once a sync got through.
func (s *syncer) ProcessResponse(ctx context.Context, resp *mautrix.RespSync, since string) error {
	s.mu.Lock()
	s.failures = 0
	s.mu.Unlock()
	return s.DefaultSyncer.ProcessResponse(ctx, resp, since)
}

// OnFailedSync waits longer after each failure (up to a minute) and stops for good only
// when the access token is no longer valid.
func (s *syncer) OnFailedSync(_ *mautrix.RespSync, err error) (time.Duration, error) {
	if errors.Is(err, mautrix.MUnknownToken) {
		return 0, err
	}
	s.mu.Lock()
	s.failures++
	n := s.failures
	s.mu.Unlock()
	wait := min(time.Second<<min(n, 6), time.Minute)
	s.b.log.Warn("matrix sync failed; retrying", "attempt", n, "retry_in", wait, "err", err)
	return wait, nil
}

// onSync runs first on every sync response: it drops messages from before the bot's own
// join in a room (the homeserver sends a joined room's recent history) and handles
// invites, including those received while the bot was offline.
func (b *Bot) onSync(ctx context.Context, resp *mautrix.RespSync, _ string) bool {
	for _, room := range resp.Rooms.Join {
		room.Timeline.Events = dropBeforeJoin(room.Timeline.Events, b.userID)
	}
	for roomID, room := range resp.Rooms.Invite {
		b.handleInvite(ctx, roomID, room)
	}
	b.retryJoins(ctx)
	return true
}

// dropBeforeJoin removes the non-state events that precede user's latest join in a
// timeline. State events stay: the room state store and the crypto machine need them.
func dropBeforeJoin(events []*event.Event, user id.UserID) []*event.Event {
	join := -1
	for i, evt := range slices.Backward(events) {
		if evt.Type == event.StateMember && evt.GetStateKey() == user.String() && isNewJoin(evt) {
			join = i
			break
		}
	}
	if join < 0 {
		return events
	}
	kept := make([]*event.Event, 0, len(events))
	for i, evt := range events {
		if i >= join || evt.StateKey != nil {
			kept = append(kept, evt)
		}
	}
	return kept
}

// isNewJoin says a member event is a join and not a profile change of a member.
func isNewJoin(evt *event.Event) bool {
	if m, _ := evt.Content.Raw["membership"].(string); m != string(event.MembershipJoin) {
		return false
	}
	if evt.Unsigned.PrevContent != nil {
		if prev, _ := evt.Unsigned.PrevContent.Raw["membership"].(string); prev == string(event.MembershipJoin) {
			return false
		}
	}
	return true
}

// inviteRefusal is the reason given when the bot leaves a room it was invited to by
// someone not allowed.
const inviteRefusal = "Vigil joins rooms only on invites from the users and servers its operator allows (matrix.allowed_inviters)."

// handleInvite joins the room if the inviter is allowed and declines the invite otherwise.
func (b *Bot) handleInvite(ctx context.Context, roomID id.RoomID, room *mautrix.SyncInvitedRoom) {
	var invite *event.Event
	for _, evt := range room.BestState() {
		if evt.Type == event.StateMember && evt.GetStateKey() == b.userID.String() {
			invite = evt
		}
	}
	if invite == nil {
		return
	}
	if m, _ := invite.Content.Raw["membership"].(string); m != string(event.MembershipInvite) {
		return
	}
	inviter := invite.Sender
	log := b.log.With("room", roomID.String(), "inviter", inviter.String())
	if !b.inviterAllowed(inviter) {
		log.Warn("declining an invite from an inviter not allowed")
		if _, err := b.cli.LeaveRoom(ctx, roomID, &mautrix.ReqLeave{Reason: inviteRefusal}); err != nil {
			log.Error("decline invite", "err", err)
		}
		return
	}
	if direct, _ := invite.Content.Raw["is_direct"].(bool); direct {
		if err := b.o.State.SetChatState(ctx, roomKey(roomID, "direct"), "1"); err != nil {
			log.Warn("remember direct chat", "err", err)
		}
	}
	b.join(ctx, roomID, inviter, log)
}

// joinTry is an invite whose join failed, to be tried again.
type joinTry struct {
	inviter id.UserID
	tries   int
	next    time.Time
}

const maxJoinTries = 5

func (b *Bot) join(ctx context.Context, roomID id.RoomID, inviter id.UserID, log *slog.Logger) {
	_, err := b.cli.JoinRoomByID(ctx, roomID)
	b.mu.Lock()
	t := b.joinRetry[roomID]
	if err == nil {
		delete(b.joinRetry, roomID)
	} else {
		if t == nil {
			t = &joinTry{inviter: inviter}
			b.joinRetry[roomID] = t
		}
		t.tries++
		t.next = b.now().Add(time.Duration(t.tries) * 10 * time.Second)
		if t.tries >= maxJoinTries || errors.Is(err, mautrix.MForbidden) || errors.Is(err, mautrix.MNotFound) {
			delete(b.joinRetry, roomID)
		}
	}
	b.mu.Unlock()
	if err != nil {
		log.Error("join room on invite", "err", err)
		return
	}
	log.Info("joined room on invite")
	b.finishUpgrade(ctx, roomID)
}

func (b *Bot) retryJoins(ctx context.Context) {
	b.mu.Lock()
	var due []id.RoomID
	for room, t := range b.joinRetry {
		if !b.now().Before(t.next) {
			due = append(due, room)
		}
	}
	b.mu.Unlock()
	for _, room := range due {
		b.mu.Lock()
		t := b.joinRetry[room]
		b.mu.Unlock()
		if t != nil {
			b.join(ctx, room, t.inviter, b.log.With("room", room.String(), "inviter", t.inviter.String()))
		}
	}
}

// inviterAllowed says whether invites from user are accepted: an entry is a user ID or a
// server name.
func (b *Bot) inviterAllowed(user id.UserID) bool {
	_, server, err := user.Parse()
	if err != nil {
		return false
	}
	for _, a := range b.inviters {
		a = strings.TrimSpace(a)
		if strings.HasPrefix(a, "@") {
			if id.UserID(a) == user {
				return true
			}
		} else if strings.EqualFold(a, server) {
			return true
		}
	}
	return false
}

// onTombstone follows a room upgrade: it joins the replacement room and moves the room's
// settings and watches there. If the new room cannot be joined yet (it is invite-only),
// the move happens when the invite arrives.
func (b *Bot) onTombstone(ctx context.Context, evt *event.Event) {
	if evt.Mautrix.EventSource&event.SourceJoin == 0 {
		return
	}
	content, ok := evt.Content.Parsed.(*event.TombstoneEventContent)
	if !ok || content.ReplacementRoom == "" || content.ReplacementRoom == evt.RoomID {
		return
	}
	old, repl := evt.RoomID, content.ReplacementRoom
	log := b.log.With("room", old.String(), "replacement_room", repl.String())
	done, err := getState(ctx, b.o.State, roomKey(old, "replaced_by"))
	if err != nil {
		log.Error("room upgrade", "err", err)
		return
	}
	if done == repl.String() {
		return
	}
	if err := b.o.State.SetChatState(ctx, roomKey(repl, "upgraded_from"), old.String()); err != nil {
		log.Error("room upgrade", "err", err)
		return
	}
	var via []string
	if s := evt.Sender.Homeserver(); s != "" {
		via = append(via, s)
	}
	if _, err := b.cli.JoinRoom(ctx, repl.String(), &mautrix.ReqJoinRoom{Via: via}); err != nil {
		log.Warn("room upgraded, but its replacement cannot be joined yet; waiting for an invite", "err", err)
		return
	}
	log.Info("room upgraded; joined its replacement")
	b.finishUpgrade(ctx, repl)
}

// finishUpgrade moves what the bot keeps for a room to its replacement, once the bot is
// in it.
func (b *Bot) finishUpgrade(ctx context.Context, repl id.RoomID) {
	v, err := getState(ctx, b.o.State, roomKey(repl, "upgraded_from"))
	if err != nil || v == "" {
		return
	}
	old := id.RoomID(v)
	log := b.log.With("room", old.String(), "replacement_room", repl.String())
	if done, _ := getState(ctx, b.o.State, roomKey(old, "replaced_by")); done == repl.String() {
		return
	}
	for _, name := range []string{"notify", "direct"} {
		if v, err := getState(ctx, b.o.State, roomKey(old, name)); err == nil && v != "" {
			if err := b.o.State.SetChatState(ctx, roomKey(repl, name), v); err != nil {
				log.Error("move room setting", "setting", name, "err", err)
			}
		}
	}
	if b.o.Mover == nil {
		log.Warn("room upgraded, but nothing moves its watches; they stay with the old room")
	} else if err := b.o.Mover.MoveChannel(ctx, channelOf(old), channelOf(repl)); err != nil {
		log.Error("move watches to the upgraded room", "err", err)
		return
	}
	if err := b.o.State.SetChatState(ctx, roomKey(old, "replaced_by"), repl.String()); err != nil {
		log.Error("room upgrade", "err", err)
		return
	}
	log.Info("moved the room's watches and settings to its replacement")
}
