package chaos

import (
	"fmt"
	"html"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The watch every harness configures, and item titles that match it or not. The near
// misses (an excluded phrase, a longer word) must never alert.
const (
	WatchName = "Hangzhou Hikvision Digital Technology"
	watchYAML = `      - name: Hangzhou Hikvision Digital Technology
        aliases: [Hikvision, 海康威视]
        exclude: ["Hikvision Road"]
`
)

var (
	matchingTitles = []string{
		"Hikvision cameras found in county procurement, report %s",
		"海康威视 supplies surveillance systems to a new buyer %s",
		"Export regulators look again at Hangzhou Hikvision Digital Technology %s",
		"Contract award names HIKVISION as a subcontractor %s",
	}
	otherTitles = []string{
		"Weather and markets roundup %s",
		"Hikvision Road closed for repairs until Friday %s",
		"HikvisionFans forum changes its rules %s",
		"City council approves the budget %s",
	}
)

// Item is one entry of a stream feed.
type Item struct {
	ID       string // chaos-000042: in the title and the link, unique
	Matching bool
	Added    time.Time
}

// Stream is a loopback RSS feed that gains new items at a steady rate, some matching the
// watch and some not. It answers conditional requests (ETag) so that a 304 can follow a
// crash, and it reports every request it gets.
type Stream struct {
	srv    *httptest.Server
	prefix string

	mu       sync.Mutex
	items    []Item // oldest first
	requests []time.Time
	hit      chan struct{} // closed and replaced on every request
	rng      *rand.Rand
	stop     chan struct{}
	stopped  chan struct{}
	running  bool
	gate     Gate
	short    bool
}

// Gate decides, for each request as it arrives, whether to hold it: a non-nil channel
// holds the request until the channel is closed (then it is answered) or the client goes
// away.
type Gate func(r *http.Request) <-chan struct{}

// NewStream starts an empty stream feed; items are named prefix-NNNNNN.
func NewStream(prefix string, seed uint64) *Stream {
	s := &Stream{prefix: prefix, hit: make(chan struct{}), rng: rand.New(rand.NewPCG(seed, 1))}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the feed's address.
func (s *Stream) URL() string { return s.srv.URL + "/feed.xml" }

// Close stops the server.
func (s *Stream) Close() {
	s.Stop()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Start adds a new item every interval until Stop; about one in matchEvery matches.
func (s *Stream) Start(interval time.Duration, matchEvery int) {
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return
	}
	s.running = true
	s.stop, s.stopped = make(chan struct{}), make(chan struct{})
	s.mu.Unlock()
	go func() {
		defer close(s.stopped)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				s.Add(s.rng.IntN(matchEvery) == 0)
			}
		}
	}()
}

// Stop stops adding items.
func (s *Stream) Stop() {
	s.mu.Lock()
	if !s.running {
		s.mu.Unlock()
		return
	}
	s.running = false
	close(s.stop)
	s.mu.Unlock()
	<-s.stopped
}

// Add adds one item now and returns it.
func (s *Stream) Add(matching bool) Item {
	s.mu.Lock()
	defer s.mu.Unlock()
	it := Item{ID: fmt.Sprintf("%s-%06d", s.prefix, len(s.items)+1), Matching: matching, Added: time.Now()}
	s.items = append(s.items, it)
	return it
}

// Items returns every item added so far.
func (s *Stream) Items() []Item {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Item(nil), s.items...)
}

// Requests is the number of requests served so far.
func (s *Stream) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// NextRequest returns a channel closed at the next request.
func (s *Stream) NextRequest() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hit
}

// RequestsSince returns the times of the requests at or after t.
func (s *Stream) RequestsSince(t time.Time) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []time.Time
	for _, r := range s.requests {
		if !r.Before(t) {
			out = append(out, r)
		}
	}
	return out
}

// ShortLeads gives each item a two-word description. Vigil joins a story to an earlier
// near-duplicate (from any outlet, its own included), judged on the title and first
// sentence when they hold 15 words or more; the stream's items differ only in their ids,
// so a test that follows each item to its own alert must stay under that.
func (s *Stream) ShortLeads() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.short = true
}

// SetGate makes g decide about every later request; nil holds none.
func (s *Stream) SetGate(g Gate) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gate = g
}

func (s *Stream) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, time.Now())
	close(s.hit)
	s.hit = make(chan struct{})
	gate := s.gate
	s.mu.Unlock()
	if gate != nil {
		if held := gate(r); held != nil {
			select {
			case <-held:
			case <-r.Context().Done():
				return
			}
		}
	}
	s.mu.Lock()
	items := append([]Item(nil), s.items...)
	short := s.short
	s.mu.Unlock()

	etag := `"` + s.prefix + "-" + strconv.Itoa(len(items)) + `"`
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	_, _ = w.Write(renderFeed(s.prefix, items, short))
}

// renderFeed is an RSS 2.0 document of the items, newest first; short gives each item a
// two-word description.
func renderFeed(title string, items []Item, short bool) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
	b.WriteString(`<rss version="2.0"><channel><title>` + html.EscapeString(title) + `</title><link>http://news.chaos.test/</link>` + "\n")
	for i := len(items) - 1; i >= 0; i-- {
		it := items[i]
		n, _ := strconv.Atoi(it.ID[strings.LastIndexByte(it.ID, '-')+1:])
		titles := otherTitles
		if it.Matching {
			titles = matchingTitles
		}
		t := fmt.Sprintf(titles[n%len(titles)], it.ID)
		desc := "Story " + it.ID + " as the wire tells it."
		if short {
			desc = "Story " + it.ID + "."
		}
		fmt.Fprintf(&b, "<item><title>%s</title><link>http://news.chaos.test/story/%s</link><guid isPermaLink=\"false\">%s</guid><description>%s</description><pubDate>%s</pubDate></item>\n",
			html.EscapeString(t), it.ID, it.ID, html.EscapeString(desc), it.Added.UTC().Format(time.RFC1123Z))
	}
	b.WriteString("</channel></rss>\n")
	return []byte(b.String())
}
