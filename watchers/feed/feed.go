// Package feed owns the RSS, Atom and JSON Feed source: fetching feeds over HTTP
// politely and safely (conditional GET, size and time limits, per-host limits, an
// address policy against server-side request forgery), decoding their charsets, and
// turning their entries into Items with stable identities, plain text and links; and, for
// feeds that opt in, fetching each new entry's article page for its main text.
//
// It is the only importer of gofeed. It does network I/O and returns Items and classified
// errors; it never matches watches, schedules polls or touches storage: the caller keeps
// the Validators and the health of each source.
package feed

import (
	"context"
	"net/http"
	"time"

	"github.com/vigilbot/vigil/watchers"
)

// Validators are what a conditional GET sends back: the ETag and Last-Modified of the
// last full answer. Keep them per source, with the items of the answer that gave them.
type Validators struct {
	ETag         string
	LastModified string
}

func (v Validators) empty() bool { return v.ETag == "" && v.LastModified == "" }

// Result is one fetch of a feed.
type Result struct {
	// Items are the feed's entries, oldest first (by date when every entry has one, else
	// in reverse document order), each with a distinct ID.
	Items []watchers.Item
	// Validators are to be sent with the next fetch. After a 304 they are the ones sent,
	// updated by any the server repeated.
	Validators Validators
	// NotModified is set when the server answered 304: no Items, nothing changed.
	NotModified bool
	// Title is the feed's title and Link the site it belongs to (absolute), both empty
	// after a 304.
	Title string
	Link  string
}

// SourceOptions configures one feed source.
type SourceOptions struct {
	// AllowPrivate lets the source reach loopback, private and other non-public
	// addresses. Feeds from the configuration file may; feeds added in chat may not.
	AllowPrivate bool
	// FetchArticle makes FetchBody fetch each new entry's linked page and use its main
	// text as the item's Body.
	FetchArticle bool
}

// Source is one feed, fetched through a shared Fetcher.
type Source struct {
	f    *Fetcher
	name string
	url  string
	opts SourceOptions
}

// Source returns the feed source called name that reads feedURL, an absolute http(s)
// URL (a KindBadURL *Error otherwise).
func (f *Fetcher) Source(name, feedURL string, o SourceOptions) (*Source, error) {
	u, err := checkURL(feedURL)
	if err != nil {
		return nil, err
	}
	return &Source{f: f, name: name, url: u.String(), opts: o}, nil
}

// Name returns the source's name.
func (s *Source) Name() string { return s.name }

// URL returns the feed's URL.
func (s *Source) URL() string { return s.url }

// feedAccept asks for feeds first and takes anything.
const feedAccept = "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"

// Fetch fetches and parses the feed, conditionally on v (zero Validators: fetch whatever
// the server has). Every failure is an *Error.
func (s *Source) Fetch(ctx context.Context, v Validators) (Result, error) {
	r, err := s.f.get(ctx, s.f.client(s.opts.AllowPrivate), s.url, feedAccept, v)
	if err != nil {
		return Result{}, err
	}
	defer r.release()
	if r.status == http.StatusNotModified {
		nv := v
		if etag := r.header.Get("ETag"); etag != "" {
			nv.ETag = etag
		}
		if lm := r.header.Get("Last-Modified"); lm != "" {
			nv.LastModified = lm
		}
		return Result{NotModified: true, Validators: nv}, nil
	}
	res, err := Parse(s.name, r.url, r.body, r.contentType)
	if err != nil {
		return Result{}, err
	}
	res.Validators = Validators{ETag: r.header.Get("ETag"), LastModified: r.header.Get("Last-Modified")}
	return res, nil
}

// Poll fetches the feed unconditionally and returns its entries, oldest first.
func (s *Source) Poll(ctx context.Context) ([]watchers.Item, error) {
	res, err := s.Fetch(ctx, Validators{})
	return res.Items, err
}

// Probe fetches and parses a feed once, unconditionally: a check of a URL before it is
// saved as a source. Its Items belong to no source.
func (f *Fetcher) Probe(ctx context.Context, feedURL string, o SourceOptions) (Result, error) {
	s, err := f.Source("", feedURL, o)
	if err != nil {
		return Result{}, err
	}
	return s.Fetch(ctx, Validators{})
}

// Options configures a source made by New.
//
// Deprecated: use NewFetcher and Fetcher.Source, which share limits between sources.
type Options struct {
	Client    *http.Client // only its Timeout is used
	UserAgent string
	MaxBody   int64 // default DefaultMaxBody
}

// New returns the feed source called name that reads feedURL, with a Fetcher of its own
// that may reach private addresses.
//
// Deprecated: use NewFetcher and Fetcher.Source.
func New(name, feedURL string, opts Options) (*Source, error) {
	var timeout time.Duration
	if opts.Client != nil {
		timeout = opts.Client.Timeout
	}
	f := NewFetcher(FetcherOptions{UserAgent: opts.UserAgent, MaxBody: opts.MaxBody, Timeout: timeout})
	return f.Source(name, feedURL, SourceOptions{AllowPrivate: true})
}
