package feed

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html"

	"github.com/vigilbot/vigil/watchers"
	"github.com/vigilbot/vigil/watchers/dedup"
)

// Parse turns a feed document (RSS 0.9x/1.0/2.0, Atom or JSON Feed) into the Items of the
// source called name, oldest first (see Result.Items). feedURL is where the document was read from (after
// redirects): relative links resolve against the feed's site link and then against it.
// contentType is the response's Content-Type, for its charset; it may be empty.
//
// A document that is not a feed gives a KindNotAFeed *Error, an unreadable feed a
// KindParse one. Parse sets no Validators.
func Parse(name, feedURL string, body []byte, contentType string) (Result, error) {
	fail := func(kind ErrorKind, err error) (Result, error) {
		return Result{}, &Error{Kind: kind, URL: redactURL(feedURL), Err: err}
	}
	body = feedToUTF8(body, contentType)
	if len(bytes.TrimSpace(body)) == 0 {
		return fail(KindNotAFeed, fmt.Errorf("%w: the document is empty", ErrNotAFeed))
	}
	f, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
			e := &Error{Kind: KindNotAFeed, URL: redactURL(feedURL), Err: ErrNotAFeed}
			if looksLikeHTML(body) {
				e.Err = fmt.Errorf("%w: an HTML page", ErrNotAFeed)
				e.Alternates = alternateFeeds(body, feedURL)
			}
			return Result{}, e
		}
		return fail(KindParse, fmt.Errorf("invalid feed: %w", err))
	}

	feedBase, _ := url.Parse(feedURL)
	if feedBase != nil && !feedBase.IsAbs() {
		feedBase = nil
	}
	res := Result{Title: PlainText(f.Title), Link: absURL(feedBase, f.Link)}
	// Item links resolve against the site, not the feed: a feed served from a feed host
	// (FeedBurner, say) links to the site's pages.
	siteBase := feedBase
	if res.Link != "" {
		siteBase, _ = url.Parse(res.Link)
	}

	entries := make([]entry, 0, len(f.Items))
	// Feeds list their newest entry first; alerts read best in the order things happened.
	for i := len(f.Items) - 1; i >= 0; i-- {
		if f.Items[i] != nil {
			entries = append(entries, newEntry(name, f.Items[i], siteBase))
		}
	}
	// Some feeds list their oldest entry first, or no order at all: when every entry is
	// dated, the dates decide.
	if !slices.ContainsFunc(entries, func(e entry) bool { return e.item.Published.IsZero() }) {
		slices.SortStableFunc(entries, func(a, b entry) int { return a.item.Published.Compare(b.item.Published) })
	}
	res.Items = assignIDs(entries)
	return res, nil
}

// entry is a feed entry on its way to becoming an Item: everything but its identity.
type entry struct {
	item watchers.Item
	guid string
}

func newEntry(source string, e *gofeed.Item, siteBase *url.URL) entry {
	link := absURL(siteBase, e.Link)
	guid := strings.TrimSpace(e.GUID)
	if link == "" && isHTTPURL(guid) {
		// An RSS guid is a permalink unless it says otherwise.
		link = guid
	}
	contentBase := siteBase
	if link != "" {
		contentBase, _ = url.Parse(link)
	}
	abstract, links := htmlText(e.Description, contentBase)
	body, bodyLinks := htmlText(e.Content, contentBase)
	if body == abstract {
		body = ""
	}
	links = mergeLinks(links, bodyLinks)
	if self := absLink(nil, link); self != "" {
		// A link to the entry's own page ties it to nothing.
		links = slices.DeleteFunc(links, func(l string) bool { return l == self })
	}
	it := watchers.Item{
		Source:   source,
		Title:    PlainText(e.Title),
		URL:      link,
		Abstract: abstract,
		Body:     body,
		Links:    links,
	}
	switch {
	case e.PublishedParsed != nil:
		it.Published = sane(*e.PublishedParsed)
	case e.UpdatedParsed != nil:
		it.Published = sane(*e.UpdatedParsed)
	}
	return entry{item: it, guid: guid}
}

// assignIDs gives the entries of one document, oldest first, distinct identities.
// Publishers reuse GUIDs (a constant GUID, a copied entry); two different entries must not
// merge into one item, so an entry whose identity is taken falls back to its canonical
// link, then to hashes of its content. The oldest entry keeps a contested identity: it is
// the one that held it in earlier polls, so nothing seen before comes back as new, and a
// new entry falls back to an identity of its own. An entry that repeats the holder of its
// identity exactly is dropped.
func assignIDs(entries []entry) []watchers.Item {
	given := map[string]string{} // identity → fingerprint of the entry that holds it
	items := make([]watchers.Item, 0, len(entries))
	for _, e := range entries {
		it := e.item
		content := it.Abstract + "\n" + it.Body
		canon := dedup.CanonicalURL(it.URL)
		fingerprint := strings.Join([]string{it.Title, canon, content}, "\x00")
		// The fallbacks are hashed only when the first is taken, which is rare: hashing
		// all five of every entry was 3 % of the CPU of a first cycle.
		first := dedup.ItemID(e.guid, it.URL, it.Title, content)
		fp, taken := given[first]
		if taken && fp == fingerprint {
			continue
		}
		if !taken {
			it.ID = first
		}
		fallbacks := []func() string{
			func() string { return dedup.ItemID("", it.URL, it.Title, content) },
			func() string { return dedup.ItemID("", "", it.Title, content) },
			// Same title and text under different links: the link tells them apart.
			func() string { return dedup.ItemID("", "", it.Title, canon+"\n"+content) },
			func() string { return dedup.ItemID("", "", it.Title, e.guid+"\n"+fingerprint) },
		}
		for _, c := range fallbacks {
			if it.ID != "" {
				break
			}
			if id := c(); !isGiven(given, id) {
				it.ID = id
			}
		}
		if it.ID == "" {
			continue // the same entry twice, down to its GUID
		}
		given[it.ID] = fingerprint
		items = append(items, it)
	}
	return items
}

func isGiven(given map[string]string, id string) bool {
	_, ok := given[id]
	return ok
}

// sane returns t in UTC, or zero for a date no feed entry can have (a misread two-digit
// year, a year 9999 placeholder).
func sane(t time.Time) time.Time {
	if t.Year() < 1990 || t.Year() > 2200 {
		return time.Time{}
	}
	return t.UTC()
}

// absURL resolves ref against base and returns it if it is an absolute http(s) URL;
// otherwise the trimmed ref when it cannot be resolved, or "" for other schemes.
func absURL(base *url.URL, ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	if !u.IsAbs() {
		if base == nil {
			return ref
		}
		u = base.ResolveReference(u)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return ""
	}
	return u.String()
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func mergeLinks(a, b []string) []string {
	for _, l := range b {
		if len(a) >= maxLinks {
			break
		}
		if !slices.Contains(a, l) {
			a = append(a, l)
		}
	}
	return a
}

// looksLikeHTML reports whether a document that is not a feed is an HTML page: an HTML
// doctype, or html, head or body as its first element.
func looksLikeHTML(body []byte) bool {
	z := html.NewTokenizer(bytes.NewReader(head(body, 4096)))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return false
		case html.DoctypeToken:
			return bytes.HasPrefix(bytes.ToLower(bytes.TrimSpace(z.Text())), []byte("html"))
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "html", "head", "body":
				return true
			}
			return false
		}
	}
}

// alternateFeeds returns the feeds an HTML page advertises with <link rel="alternate">.
func alternateFeeds(body []byte, pageURL string) []string {
	base, _ := url.Parse(pageURL)
	var feeds []string
	z := html.NewTokenizer(bytes.NewReader(body))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return feeds
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if string(name) == "body" {
				return feeds
			}
			if string(name) != "link" || !hasAttr {
				continue
			}
			var rel, typ, href string
			for more := true; more; {
				var k, v []byte
				k, v, more = z.TagAttr()
				switch string(k) {
				case "rel":
					rel = strings.ToLower(string(v))
				case "type":
					typ = strings.ToLower(strings.TrimSpace(string(v)))
				case "href":
					href = string(v)
				}
			}
			if !slices.Contains(strings.Fields(rel), "alternate") {
				continue
			}
			switch typ {
			case "application/rss+xml", "application/atom+xml", "application/feed+json", "application/json":
				if l := absLink(base, href); l != "" && !slices.Contains(feeds, l) && len(feeds) < 10 {
					feeds = append(feeds, l)
				}
			}
		}
	}
}
