package app

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/vigilbot/vigil/bot"
	"github.com/vigilbot/vigil/store"
	"github.com/vigilbot/vigil/watchers"
	"github.com/vigilbot/vigil/watchers/dedup"
	"github.com/vigilbot/vigil/watchers/feed"
)

// feedSchedule is how often a feed added by chat is polled.
const feedSchedule = "*/10 * * * *"

// AddFeed adds a news feed by chat: the address must not be private or loopback (checked
// on every address dialled, redirects included), and the feed is fetched once first so
// that a mistake is said at once. Its first poll is its baseline.
func (e *engine) AddFeed(ctx context.Context, rawURL, by string) (bot.FeedAdded, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return bot.FeedAdded{}, fmt.Errorf("%q is not an http or https address", rawURL)
	}
	if u.User != nil {
		return bot.FeedAdded{}, errors.New("addresses with a user name or password are not accepted in chat")
	}
	canonical := dedup.CanonicalURL(u.String())
	srcs, err := e.store.Sources(ctx)
	if err != nil {
		return bot.FeedAdded{}, err
	}
	taken := map[string]bool{}
	for _, s := range srcs {
		taken[s.Name] = true
		if s.Type == watchers.SourceFeed && dedup.CanonicalURL(s.URL) == canonical {
			return bot.FeedAdded{}, fmt.Errorf("that feed is already watched as source %q", s.Name)
		}
	}
	res, err := e.probe(ctx, u.String())
	if err != nil {
		var fe *feed.Error
		if errors.As(err, &fe) && len(fe.Alternates) > 0 {
			return bot.FeedAdded{}, fmt.Errorf("%v. The page names these feeds: %s", err, strings.Join(fe.Alternates, ", "))
		}
		return bot.FeedAdded{}, err
	}
	name := feedName(u, taken)
	if err := e.store.UpsertSource(ctx, watchers.Source{Name: name, Type: watchers.SourceFeed, URL: u.String(), Schedule: feedSchedule, Origin: originChat}); err != nil {
		return bot.FeedAdded{}, err
	}
	e.log.Info("feed added by chat", "source", name, "by", by)
	return bot.FeedAdded{Name: name, Title: res.Title, Items: len(res.Items)}, nil
}

// RemoveSource removes a source added by chat or CLI; configured sources stay until they
// are removed from the file.
func (e *engine) RemoveSource(ctx context.Context, name string) error {
	src, err := e.store.Source(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("there is no source %q; sources lists them", name)
	}
	if err != nil {
		return err
	}
	if src.Origin == originConfig {
		return fmt.Errorf("source %q is defined in the configuration file; remove it there", name)
	}
	return e.store.DeleteSource(ctx, name)
}

// feedName names a feed after its host: news.example.org → feed-news-example-org, with a
// number added when the name is taken.
func feedName(u *url.URL, taken map[string]bool) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimPrefix(u.Hostname(), "www.")) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	base := "feed-" + strings.Trim(b.String(), "-")
	if len(base) > 48 {
		base = base[:48]
	}
	name := base
	for i := 2; taken[name]; i++ {
		name = fmt.Sprintf("%s-%d", base, i)
	}
	return name
}
