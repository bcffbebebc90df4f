// Package feed owns the RSS, Atom and JSON Feed source: fetching a feed over HTTP and
// turning its entries into Items with stable identities and plain text.
//
// It is the only importer of gofeed. It does network I/O and returns Items; it never
// matches watches or touches storage.
package feed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/vigilbot/vigil/watchers"
	"github.com/vigilbot/vigil/watchers/dedup"
)

// DefaultMaxBody caps how much of a response is read.
const DefaultMaxBody = 10 << 20

// Options configures a feed Source.
type Options struct {
	Client    *http.Client // default: a client with a 60 s timeout
	UserAgent string
	MaxBody   int64 // default DefaultMaxBody
}

// Source is one feed.
type Source struct {
	name, url string
	opts      Options
}

// New returns the feed source called name that reads feedURL.
func New(name, feedURL string, opts Options) (*Source, error) {
	u, err := url.Parse(feedURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("feed %s: %q is not an http(s) URL", name, feedURL)
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 60 * time.Second}
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	return &Source{name: name, url: feedURL, opts: opts}, nil
}

// Poll fetches the feed and returns its entries, oldest first.
func (s *Source) Poll(ctx context.Context) ([]watchers.Item, error) {
	body, err := s.fetch(ctx)
	if err != nil {
		return nil, err
	}
	return Parse(s.name, s.url, body)
}

func (s *Source) fetch(ctx context.Context) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", s.url, err)
	}
	if s.opts.UserAgent != "" {
		req.Header.Set("User-Agent", s.opts.UserAgent)
	}
	req.Header.Set("Accept", "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, */*;q=0.8")
	resp, err := s.opts.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", s.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("fetch %s: HTTP %s", s.url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, s.opts.MaxBody+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", s.url, err)
	}
	if int64(len(body)) > s.opts.MaxBody {
		return nil, fmt.Errorf("read %s: body larger than %d bytes", s.url, s.opts.MaxBody)
	}
	return body, nil
}

// ErrNotAFeed is returned for a document that is neither RSS, Atom nor JSON Feed.
var ErrNotAFeed = errors.New("not a feed (RSS, Atom or JSON Feed)")

// Parse turns a feed document into Items of the source called name, oldest first.
// feedURL resolves relative links.
func Parse(name, feedURL string, body []byte) ([]watchers.Item, error) {
	f, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
			return nil, fmt.Errorf("parse %s: %w", feedURL, ErrNotAFeed)
		}
		return nil, fmt.Errorf("parse %s: %w", feedURL, err)
	}
	base, _ := url.Parse(feedURL)
	items := make([]watchers.Item, 0, len(f.Items))
	// Feeds list their newest entry first; alerts read best in the order things happened.
	for i := len(f.Items) - 1; i >= 0; i-- {
		e := f.Items[i]
		if e == nil {
			continue
		}
		link := resolve(base, strings.TrimSpace(e.Link))
		title := PlainText(e.Title)
		abstract := PlainText(e.Description)
		body := PlainText(e.Content)
		if body == abstract {
			body = ""
		}
		it := watchers.Item{
			Source:   name,
			ID:       dedup.ItemID(e.GUID, link, title, abstract+"\n"+body),
			Title:    title,
			URL:      link,
			Abstract: abstract,
			Body:     body,
		}
		switch {
		case e.PublishedParsed != nil:
			it.Published = e.PublishedParsed.UTC()
		case e.UpdatedParsed != nil:
			it.Published = e.UpdatedParsed.UTC()
		}
		items = append(items, it)
	}
	return items, nil
}

func resolve(base *url.URL, link string) string {
	if link == "" || base == nil {
		return link
	}
	u, err := url.Parse(link)
	if err != nil {
		return link
	}
	return base.ResolveReference(u).String()
}
