// Package fedreg owns the Federal Register source: the API client (published documents by
// agency and publication-date window, the public-inspection desk, full texts, the term
// search), document number normalisation and the self-imposed rate limits.
//
// It returns Items that carry their lifecycle step (filed for public inspection, withdrawn,
// published, corrected) under one identity per document, their facts and, on request, their
// full text with table rows apart. It must not match watches, store anything or decide what
// is new: the caller's store deduplicates by Item.SeenKey, and the caller asks for a body
// only for items it has not seen.
package fedreg

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vigilbot/vigil/watchers"
)

// DefaultBaseURL is the public Federal Register API.
const DefaultBaseURL = "https://www.federalregister.gov/api/v1"

// Defaults of Options.
const (
	DefaultLookback = 7 * 24 * time.Hour
	defaultTimeout  = 60 * time.Second
	defaultAgent    = "vigil (github.com/vigilbot/vigil)"
)

// The API's own politeness limits, as its maintainers once stated them.
const (
	requestInterval = time.Second / 5 // 5 requests/s overall
	xmlInterval     = time.Second     // 1 request/s for full-text XML
)

// Search limits: the number of documents Search returns by default and at most (the API's
// largest page).
const (
	DefaultSearchLimit = 5
	maxSearchLimit     = 1000
)

// documentTypes maps the search condition values to the type names the API answers with.
var documentTypes = map[string]string{
	"RULE":     "Rule",
	"PRORULE":  "Proposed Rule",
	"NOTICE":   "Notice",
	"PRESDOCU": "Presidential Document",
}

// ErrNoFullText is returned by FetchBody when the API names no full text it can read for a
// document (a filing whose only text is its PDF, for one).
var ErrNoFullText = errors.New("document has no full-text link")

// Options configure a Source; every zero value has a default. New rejects a bad BaseURL,
// agency slug or document type, and a negative Lookback.
type Options struct {
	BaseURL  string        // default DefaultBaseURL
	Agencies []string      // agency slugs; one request per agency; empty: every agency
	Types    []string      // RULE, PRORULE, NOTICE, PRESDOCU; empty: every type
	Since    time.Time     // earliest publication date of the first Poll; zero: Lookback before now
	Lookback time.Duration // window re-read on every Poll; default DefaultLookback
	// PublicInspection is not read by the Source: the public-inspection desk is read by
	// PollPublicInspection, which the caller schedules on its own.
	//
	// Deprecated: schedule PollPublicInspection when the source's config enables it.
	PublicInspection bool
	Client           *http.Client // default: a client with a 60 s timeout
	UserAgent        string
	// Now is the clock of the publication-date windows, the rate limits and Retry-After;
	// default time.Now.
	Now func() time.Time
	// Sleep waits d, or until ctx ends with its error; default a timer. A test with a fake
	// Now passes a Sleep that advances it, so that waiting is instant.
	Sleep  func(ctx context.Context, d time.Duration) error
	Logger *slog.Logger
}

// Source polls the Federal Register API. It is safe for concurrent use; its rate limits
// hold for all of its calls together, so a process should keep one Source per configured
// source.
type Source struct {
	name     string
	base     *url.URL
	agencies []string
	types    []string // condition values, upper case
	since    time.Time
	lookback time.Duration
	client   *http.Client
	agent    string
	clock    clock
	log      *slog.Logger

	limit    *limiter // every request
	xmlLimit *limiter // full-text XML, on top of limit

	mu         sync.Mutex
	polled     bool               // a Poll has succeeded
	docRefs    map[string]bodyRef // by SeenKey, from the last Poll
	deskRefs   map[string]bodyRef // by SeenKey, from the last PollPublicInspection
	holdUntil  time.Time          // no request before this: the API asked to slow down
	holdStatus int                // the status of that answer
}

// New returns a Source named name (the Source field of its items).
func New(name string, opts Options) (*Source, error) {
	if strings.TrimSpace(name) == "" {
		return nil, errors.New("fedreg: empty source name")
	}
	base, err := parseBaseURL(opts.BaseURL)
	if err != nil {
		return nil, err
	}
	s := &Source{
		name:     name,
		base:     base,
		since:    opts.Since,
		lookback: opts.Lookback,
		client:   opts.Client,
		agent:    opts.UserAgent,
		clock:    clock{now: opts.Now, sleep: opts.Sleep},
		log:      opts.Logger,
		limit:    newLimiter(requestInterval),
		xmlLimit: newLimiter(xmlInterval),
	}
	for _, a := range opts.Agencies {
		a = strings.ToLower(strings.TrimSpace(a))
		if a == "" || slices.Contains(s.agencies, a) {
			continue
		}
		if !validSlug(a) {
			return nil, fmt.Errorf("fedreg: invalid agency slug %q", a)
		}
		s.agencies = append(s.agencies, a)
	}
	for _, t := range opts.Types {
		t = strings.ToUpper(strings.TrimSpace(t))
		if t == "" || slices.Contains(s.types, t) {
			continue
		}
		if _, ok := documentTypes[t]; !ok {
			return nil, fmt.Errorf("fedreg: unknown document type %q (want RULE, PRORULE, NOTICE or PRESDOCU)", t)
		}
		s.types = append(s.types, t)
	}
	if s.lookback < 0 {
		return nil, fmt.Errorf("fedreg: negative lookback %s", s.lookback)
	}
	if s.lookback == 0 {
		s.lookback = DefaultLookback
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: defaultTimeout}
	}
	if s.agent == "" {
		s.agent = defaultAgent
	}
	if s.clock.now == nil {
		s.clock.now = time.Now
	}
	if s.clock.sleep == nil {
		s.clock.sleep = sleepTimer
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("source", name)
	return s, nil
}

func parseBaseURL(raw string) (*url.URL, error) {
	if strings.TrimSpace(raw) == "" {
		raw = DefaultBaseURL
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("fedreg: base URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("fedreg: base URL %q: scheme must be http or https", raw)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("fedreg: base URL %q: no host", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("fedreg: base URL %q: must have no user, query or fragment", raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

func validSlug(s string) bool {
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return false
		}
	}
	return true
}

// Poll reads the documents published in the current window for every configured agency,
// one request per agency (and page), deduplicated. Each is an item at StepPublished, or,
// for a correction (a document with correction_of), an item at StepCorrected under the
// identity of the document it corrects. Items come oldest first, with their facts but
// without body: FetchBody reads it. On error no item is returned.
func (s *Source) Poll(ctx context.Context) ([]watchers.Item, error) {
	now := s.clock.now()
	from := s.windowStart(now)
	agencies := s.agencies
	if len(agencies) == 0 {
		agencies = []string{""} // no agency condition
	}

	var items []watchers.Item
	refs := make(map[string]bodyRef)
	for _, agency := range agencies {
		docs, err := s.searchDocuments(ctx, agency, from, now)
		if err != nil {
			if agency == "" {
				return nil, fmt.Errorf("fedreg: %w", err)
			}
			return nil, fmt.Errorf("fedreg: agency %s: %w", agency, err)
		}
		for _, d := range docs {
			it, ref, ok := s.documentItem(d)
			if !ok {
				continue
			}
			key := it.SeenKey()
			if _, dup := refs[key]; dup {
				continue
			}
			items = append(items, it)
			refs[key] = ref
		}
	}
	sortItems(items)

	s.mu.Lock()
	s.polled = true
	s.docRefs = refs
	s.mu.Unlock()
	s.log.Debug("federal register polled", "from", from.Format(time.DateOnly), "items", len(items))
	return items, nil
}

// PollPublicInspection reads the documents on public inspection now
// (public-inspection-documents/current.json), keeps those of the configured agencies and
// types, and returns them oldest filing first: each at StepPublicInspection, or at
// StepWithdrawn when the filing was withdrawn before publication, under the identity the
// published document will have. They carry facts but no body: FetchBody reads the
// filing's raw text. On error no item is returned.
func (s *Source) PollPublicInspection(ctx context.Context) ([]watchers.Item, error) {
	now := s.clock.now()
	docs, err := s.currentInspection(ctx)
	if err != nil {
		return nil, fmt.Errorf("fedreg: public inspection: %w", err)
	}
	var items []watchers.Item
	refs := make(map[string]bodyRef)
	for _, d := range docs {
		if !s.wantInspection(d) {
			continue
		}
		it, ref, ok := s.inspectionItem(d, now)
		if !ok {
			continue
		}
		key := it.SeenKey()
		if _, dup := refs[key]; dup {
			continue
		}
		items = append(items, it)
		refs[key] = ref
	}
	sortItems(items)

	s.mu.Lock()
	s.deskRefs = refs
	s.mu.Unlock()
	s.log.Debug("federal register public inspection polled", "filings", len(docs), "items", len(items))
	return items, nil
}

// Search returns the newest documents whose text contains term (the API's full-text
// search, across every agency and type, the term searched as a phrase), at most limit of
// them (DefaultSearchLimit when limit is not positive, 1000 at most). Items are mapped as
// Poll maps them, newest first, with their facts and without body.
func (s *Source) Search(ctx context.Context, term string, limit int) ([]watchers.Item, error) {
	phrase := strings.Join(strings.Fields(strings.ReplaceAll(term, `"`, " ")), " ")
	if phrase == "" {
		return nil, errors.New("fedreg: search: empty term")
	}
	if limit <= 0 {
		limit = DefaultSearchLimit
	}
	limit = min(limit, maxSearchLimit)
	q := url.Values{}
	q.Set("conditions[term]", `"`+phrase+`"`)
	q.Set("order", "newest")
	q.Set("per_page", fmt.Sprint(limit))
	for _, f := range documentFields {
		q.Add("fields[]", f)
	}
	var p page[apiDocument]
	if err := s.getJSON(ctx, s.endpoint("documents.json", q), &p); err != nil {
		return nil, fmt.Errorf("fedreg: search: %w", err)
	}
	var items []watchers.Item
	for _, d := range p.Results {
		if it, _, ok := s.documentItem(d); ok {
			items = append(items, it)
		}
		if len(items) == limit {
			break
		}
	}
	return items, nil
}

// sortItems orders items oldest first; on one date, earlier steps first.
func sortItems(items []watchers.Item) {
	slices.SortStableFunc(items, func(a, b watchers.Item) int {
		if c := a.Published.Compare(b.Published); c != 0 {
			return c
		}
		return cmp.Compare(stepOrder(a.Step), stepOrder(b.Step))
	})
}

func stepOrder(s watchers.Step) int {
	switch s {
	case watchers.StepPublicInspection:
		return 0
	case watchers.StepWithdrawn:
		return 1
	case watchers.StepPublished:
		return 2
	}
	return 3
}

// windowStart is the earliest publication date to read: Since on the first poll, otherwise
// Lookback before now, but never before Since.
func (s *Source) windowStart(now time.Time) time.Time {
	from := dateOf(now.Add(-s.lookback))
	s.mu.Lock()
	first := !s.polled
	s.mu.Unlock()
	if !s.since.IsZero() {
		since := dateOf(s.since)
		if first || since.After(from) {
			return since
		}
	}
	return from
}

func dateOf(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// parseDate reads the API's YYYY-MM-DD dates as UTC midnight; zero when absent or malformed.
func parseDate(s string) time.Time {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}
	}
	return t
}
