package slackbot

import (
	"context"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// canManage says whether user may change the watches of channel: configured admins
// always; otherwise, if members may manage, the channel's members. dm says the channel is
// the user's own direct conversation with the bot, where the user is the member.
func (b *Bot) canManage(ctx context.Context, channel, user string, dm bool) bool {
	switch {
	case b.admins[user]:
		return true
	case !b.members:
		return false
	case dm:
		return true
	case len(channel) > 0 && channel[0] == 'D':
		return false // someone else's direct conversation: the bot is not in it
	}
	set, err := b.cache.get(ctx, channel, b.fetchMembers)
	if err != nil {
		// Fail closed: the user is told only managers may do this, the operator why.
		b.log.Warn("slack: membership check failed", "channel", Platform+":"+channel, "user", user, "err", b.scrub(err))
		return false
	}
	return set[user]
}

// maxMemberPages bounds the membership lookup of a very large channel (1000 per page).
const maxMemberPages = 50

// fetchMembers lists a channel's members (conversations.members).
func (b *Bot) fetchMembers(ctx context.Context, channel string) (map[string]bool, error) {
	set := map[string]bool{}
	cursor := ""
	for range maxMemberPages {
		ids, next, err := b.api.GetUsersInConversationContext(ctx, &slack.GetUsersInConversationParameters{ChannelID: channel, Cursor: cursor, Limit: 1000})
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			set[id] = true
		}
		if next == "" {
			break
		}
		cursor = next
	}
	return set, nil
}

// isOwnDM says whether channel is the direct conversation between the bot and user.
func (b *Bot) isOwnDM(ctx context.Context, channel, user string) bool {
	if im, ok := b.cache.dm(user); ok {
		return im == channel
	}
	ch, _, _, err := b.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}})
	if err != nil {
		b.log.Warn("slack: looking up a direct conversation failed", "user", user, "err", b.scrub(err))
		return false
	}
	b.cache.setDM(user, ch.ID)
	return ch.ID == channel
}

// memberCache remembers channel memberships briefly (people join and leave) and the
// bot's direct conversations (which do not change).
type memberCache struct {
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	entries map[string]memberEntry
	dms     map[string]string // user → the bot's DM with them
}

type memberEntry struct {
	set map[string]bool
	at  time.Time
}

// maxCached bounds either map; past it the cache starts again.
const maxCached = 10000

func newMemberCache(ttl time.Duration) *memberCache {
	return &memberCache{ttl: ttl, now: time.Now, entries: map[string]memberEntry{}, dms: map[string]string{}}
}

// get returns the members of channel, fetching them when unknown or stale.
func (c *memberCache) get(ctx context.Context, channel string, fetch func(context.Context, string) (map[string]bool, error)) (map[string]bool, error) {
	c.mu.Lock()
	e, ok := c.entries[channel]
	c.mu.Unlock()
	if ok && c.now().Sub(e.at) < c.ttl {
		return e.set, nil
	}
	set, err := fetch(ctx, channel)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCached {
		c.entries = map[string]memberEntry{}
	}
	c.entries[channel] = memberEntry{set: set, at: c.now()}
	return set, nil
}

func (c *memberCache) dm(user string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch, ok := c.dms[user]
	return ch, ok
}

func (c *memberCache) setDM(user, channel string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.dms) >= maxCached {
		c.dms = map[string]string{}
	}
	c.dms[user] = channel
}

// seenEvents remembers Events API event ids for a while: Slack delivers an event again
// when it did not see the acknowledgement in time, and one event must act once.
type seenEvents struct {
	ttl    time.Duration
	now    func() time.Time
	claims Claimer // nil: this process only

	mu   sync.Mutex
	seen map[string]time.Time
}

func newSeenEvents(ttl time.Duration, claims Claimer) *seenEvents {
	return &seenEvents{ttl: ttl, now: time.Now, claims: claims, seen: map[string]time.Time{}}
}

// claim says whether this process should act on an event that passed first: with
// claims, only one replica does. It is asked when the work starts, not when the event
// arrives, so that an event given back to Slack (busy) is not claimed. When the shared
// claim cannot be checked the event is taken: an answer twice is better than none.
func (s *seenEvents) claim(ctx context.Context, id string) bool {
	if id == "" || s.claims == nil {
		return true
	}
	ok, err := s.claims.Claim(ctx, "slack:event:"+id)
	return ok || err != nil
}

// first records id and says whether this process has not seen it.
func (s *seenEvents) first(id string) bool {
	if id == "" {
		return true
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if at, ok := s.seen[id]; ok && now.Sub(at) < s.ttl {
		return false
	}
	if len(s.seen) >= maxCached {
		for k, at := range s.seen {
			if now.Sub(at) >= s.ttl {
				delete(s.seen, k)
			}
		}
		if len(s.seen) >= maxCached {
			s.seen = map[string]time.Time{}
		}
	}
	s.seen[id] = now
	return true
}

// forget drops id, for an event that was not taken after all.
func (s *seenEvents) forget(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.seen, id)
}
