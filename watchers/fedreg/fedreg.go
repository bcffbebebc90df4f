// Package fedreg owns the Federal Register source: the API client (published documents by
// agency and publication-date window, their full text, the public-inspection desk), document
// number normalisation and the self-imposed rate limit.
//
// It returns Items with their text. It must not match watches, store anything or decide what
// is new: the caller's store deduplicates by item ID, and the caller asks for a body only for
// items it has not seen.
package fedreg

import (
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

// documentTypes maps the search condition values to the type names the API answers with.
var documentTypes = map[string]string{
	"RULE":     "Rule",
	"PRORULE":  "Proposed Rule",
	"NOTICE":   "Notice",
	"PRESDOCU": "Presidential Document",
}

// ErrNoFullText is returned by FetchBody when the API names no full-text link for a document.
var ErrNoFullText = errors.New("document has no full-text link")

// Options configure a Source; every zero value has a default. New rejects a bad BaseURL,
// agency slug or document type, and a negative Lookback.
type Options struct {
	BaseURL          string        // default DefaultBaseURL
	Agencies         []string      // agency slugs; one request per agency; empty: every agency
	Types            []string      // RULE, PRORULE, NOTICE, PRESDOCU; empty: every type
	Since            time.Time     // earliest publication date of the first poll; zero: Lookback before now
	Lookback         time.Duration // window re-read on every poll; default DefaultLookback
	PublicInspection bool          // also read public-inspection-documents/current.json
	Client           *http.Client  // default: a client with a 60 s timeout
	UserAgent        string
	Now              func() time.Time
	Logger           *slog.Logger
}

// Facts are the parts of a document the alert renderer shows beside the item, kept from the
// last successful Poll (they are not persisted).
type Facts struct {
	DocumentNumber   string    // as the API spells it, e.g. "2019-22210"
	Citation         string    // e.g. "89 FR 1064"; empty before publication
	Action           string    // e.g. "Final rule."
	Type             string    // "Rule", "Proposed Rule", "Notice", "Presidential Document", …
	EffectiveOn      time.Time // UTC midnight; zero when none
	CorrectionOf     string    // normalised number of the corrected document; empty when none
	Agencies         []string  // agency names
	DocketIDs        []string
	RINs             []string  // regulation identifier numbers
	PublicInspection bool      // the item is a filing on public inspection, not yet published
	FiledAt          time.Time // public inspection: when it was filed; zero when unknown
	EditorialNote    string    // public inspection: e.g. a withdrawal notice
}

// bodyRef holds the full-text links of one document, rebased onto the base URL.
type bodyRef struct {
	number string // as the API spells it
	raw    string
	xml    string
	html   string
}

// Source polls the Federal Register API. It is safe for concurrent use.
type Source struct {
	name     string
	base     *url.URL
	agencies []string
	types    []string // condition values, upper case
	since    time.Time
	lookback time.Duration
	pi       bool
	client   *http.Client
	agent    string
	now      func() time.Time
	log      *slog.Logger

	limit    *limiter // every request
	xmlLimit *limiter // full-text XML, on top of limit

	mu     sync.Mutex
	polled bool // a Poll has succeeded
	bodies map[string]bodyRef
	facts  map[string]Facts
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
		pi:       opts.PublicInspection,
		client:   opts.Client,
		agent:    opts.UserAgent,
		now:      opts.Now,
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
	if s.now == nil {
		s.now = time.Now
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

// Poll reads the documents published in the current window for every configured agency and,
// if enabled, the documents on public inspection now. Items come oldest first, one per
// document: a document found through several agencies, or both published and on public
// inspection, is returned once (the published record wins). On error no item is returned.
func (s *Source) Poll(ctx context.Context) ([]watchers.Item, error) {
	now := s.now()
	from := s.windowStart(now)
	agencies := s.agencies
	if len(agencies) == 0 {
		agencies = []string{""} // no agency condition
	}

	var items []watchers.Item
	facts := make(map[string]Facts)
	bodies := make(map[string]bodyRef)
	for _, agency := range agencies {
		docs, err := s.searchDocuments(ctx, agency, from, now)
		if err != nil {
			if agency == "" {
				return nil, fmt.Errorf("fedreg: %w", err)
			}
			return nil, fmt.Errorf("fedreg: agency %s: %w", agency, err)
		}
		for _, d := range docs {
			it, f, ref, ok := s.documentItem(d)
			if !ok {
				continue
			}
			if _, dup := facts[it.ID]; dup {
				continue
			}
			items = append(items, it)
			facts[it.ID] = f
			bodies[it.ID] = ref
		}
	}
	if s.pi {
		docs, err := s.currentInspection(ctx)
		if err != nil {
			return nil, fmt.Errorf("fedreg: public inspection: %w", err)
		}
		for _, d := range docs {
			if !s.wantInspection(d) {
				continue
			}
			it, f, ref, ok := s.inspectionItem(d, now)
			if !ok {
				continue
			}
			if _, dup := facts[it.ID]; dup {
				continue
			}
			items = append(items, it)
			facts[it.ID] = f
			bodies[it.ID] = ref
		}
	}
	slices.SortStableFunc(items, func(a, b watchers.Item) int { return a.Published.Compare(b.Published) })

	s.mu.Lock()
	s.polled = true
	s.facts = facts
	s.bodies = bodies
	s.mu.Unlock()
	s.log.Debug("federal register polled", "from", from.Format(time.DateOnly), "items", len(items))
	return items, nil
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

// Facts returns the facts of an item from the last successful Poll.
func (s *Source) Facts(id string) (Facts, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.facts[id]
	return f, ok
}

// FetchBody fills it.Body with the document's full text as plain text: the raw text when the
// API has one, else the GPO XML, else the HTML body, with table rows kept on lines of their
// own. The links come from the last Poll, or from the document's own API record.
func (s *Source) FetchBody(ctx context.Context, it *watchers.Item) error {
	if it == nil {
		return errors.New("fedreg: nil item")
	}
	number, ok := strings.CutPrefix(it.ID, idPrefix)
	if !ok || number == "" {
		return fmt.Errorf("fedreg: item %q is not a Federal Register document", it.ID)
	}
	s.mu.Lock()
	ref, known := s.bodies[it.ID]
	s.mu.Unlock()
	if !known || ref.empty() {
		// Numbers are normalised to lower case; the API spells letters in upper case.
		apiNumber := strings.ToUpper(number)
		if known && ref.number != "" {
			apiNumber = ref.number
		}
		var err error
		if ref, err = s.lookupBody(ctx, apiNumber); err != nil {
			return fmt.Errorf("fedreg: document %s: %w", number, err)
		}
	}
	body, err := s.fetchText(ctx, ref)
	if err != nil {
		return fmt.Errorf("fedreg: document %s: %w", number, err)
	}
	it.Body = body
	return nil
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
