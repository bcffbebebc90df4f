package feed

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strings"

	readability "codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"

	"github.com/vigilbot/vigil/watchers"
)

// articleAccept asks for an HTML page.
const articleAccept = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"

// maxArticleNodes bounds the work of extracting an article from one page.
const maxArticleNodes = 100_000

// FetchesArticles reports whether FetchBody fetches anything: whether the source was made
// with FetchArticle. Callers skip their own work per item (a look-up of whether it is
// new) for the sources that do not.
func (s *Source) FetchesArticles() bool { return s.opts.FetchArticle }

// FetchBody, for a source with FetchArticle set, fetches the page an item links to,
// within the Fetcher's limits and the source's address policy, and sets the item's Body
// to the page's main text and adds the page's links to its Links. It does nothing for
// other sources and for items without a link. On failure the item is unchanged and the
// error is an *Error: the caller matches what the feed gave.
func (s *Source) FetchBody(ctx context.Context, it *watchers.Item) error {
	if !s.opts.FetchArticle || it == nil || it.URL == "" {
		return nil
	}
	// Item links are third-party content: a private address is allowed only for a feed
	// from the configuration file, and only on the feed's own host.
	r, err := s.f.get(ctx, s.f.client(s.opts.AllowPrivate && sameHost(it.URL, s.url)), it.URL, articleAccept, Validators{})
	if err != nil {
		return err
	}
	defer r.release()
	text, links, err := extractArticle(r.url, r.body, r.contentType)
	if err != nil {
		return err
	}
	it.Body = text
	it.Links = mergeLinks(it.Links, links)
	return nil
}

// extractArticle returns the main text of an HTML page and the links in it.
func extractArticle(pageURL string, body []byte, contentType string) (string, []string, error) {
	fail := func(kind ErrorKind, err error) (string, []string, error) {
		return "", nil, &Error{Kind: kind, URL: redactURL(pageURL), Err: err}
	}
	if !isHTML(contentType, body) {
		mt := strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0])
		return fail(KindNotHTML, fmt.Errorf("the page is not HTML (%s)", mt))
	}
	u, err := url.Parse(pageURL)
	if err != nil {
		return fail(KindBadURL, err)
	}
	doc, err := html.Parse(bytes.NewReader(htmlToUTF8(body, contentType)))
	if err != nil {
		return fail(KindParse, fmt.Errorf("unreadable page: %w", err))
	}
	p := readability.NewParser()
	p.MaxElemsToParse = maxArticleNodes
	art, err := p.ParseAndMutate(doc, u)
	if err != nil {
		return fail(KindParse, fmt.Errorf("article extraction: %w", err))
	}
	if art.Node == nil {
		return fail(KindParse, errNoArticle)
	}
	var b bytes.Buffer
	if err := art.RenderHTML(&b); err != nil {
		return fail(KindParse, fmt.Errorf("article extraction: %w", err))
	}
	text, links := htmlText(b.String(), u)
	if text == "" {
		return fail(KindParse, errNoArticle)
	}
	return text, links, nil
}

// sameHost reports whether two URLs name the same host and port.
func sameHost(a, b string) bool {
	ua, errA := url.Parse(a)
	ub, errB := url.Parse(b)
	return errA == nil && errB == nil && ua.Host != "" && strings.EqualFold(ua.Host, ub.Host)
}
