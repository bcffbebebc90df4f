package fedreg

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vigilbot/vigil/internal/fixtures"
	"github.com/vigilbot/vigil/watchers"
)

// fixture reads a real capture from ../shared/fixtures/federalregister beside the module.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	return fixtures.Read(t, "federalregister/"+name)
}

// testdata reads a file of ours from testdata/.
func testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// record decodes one JSON record (a document or a filing).
func record(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var rec map[string]any
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

// records decodes the results of a list page.
func records(t testing.TB, b []byte) []map[string]any {
	t.Helper()
	var p struct {
		Results []map[string]any `json:"results"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	return p.Results
}

// withoutNext returns a page fixture with its next_page_url removed, to end paging there.
func withoutNext(t testing.TB, b []byte) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "next_page_url")
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// standIn is a local server with a hand-written handler that records every request it
// answers; fakeAPI is the one that behaves like the API.
type standIn struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []*http.Request
}

func newStandIn(t testing.TB, h http.HandlerFunc) *standIn {
	t.Helper()
	s := &standIn{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.reqs = append(s.reqs, r.Clone(r.Context()))
		s.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *standIn) requests() []*http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*http.Request(nil), s.reqs...)
}

// base is the stand-in's API base URL.
func (s *standIn) base() string { return s.URL + "/api/v1" }

func writeJSON(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

// fakeClock is a clock that moves only when slept on, by the time slept: waiting is
// instant, and the times it reads are those the rate limits planned. It is for one waiting
// goroutine at a time.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	slept time.Duration
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d > 0 {
		c.mu.Lock()
		c.t = c.t.Add(d)
		c.slept += d
		c.mu.Unlock()
	}
	return nil
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) Slept() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.slept
}

// newTestSource builds a Source on a stand-in, on a fake clock (at the end of 2024 unless
// opts.Now says otherwise) that the rate limits advance without waiting.
func newTestSource(t testing.TB, base string, opts Options) *Source {
	t.Helper()
	opts.BaseURL = base
	if opts.Now == nil {
		c := newFakeClock(time.Date(2024, 12, 31, 15, 0, 0, 0, time.UTC))
		opts.Now, opts.Sleep = c.Now, c.Sleep
	}
	if opts.Sleep == nil {
		opts.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	}
	s, err := New("fedreg", opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// onClock sets a fake clock at t as the options' clock.
func onClock(opts Options, c *fakeClock) Options {
	opts.Now, opts.Sleep = c.Now, c.Sleep
	return opts
}

func fixedNow(t time.Time) func() time.Time { return func() time.Time { return t } }

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// query returns a request's query, decoded.
func query(r *http.Request) url.Values { return r.URL.Query() }

func ids(items []watchers.Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.ID)
	}
	return out
}

func seenKeys(items []watchers.Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.SeenKey())
	}
	return out
}

func find(t testing.TB, items []watchers.Item, seenKey string) watchers.Item {
	t.Helper()
	for _, it := range items {
		if it.SeenKey() == seenKey {
			return it
		}
	}
	t.Fatalf("got no item %s in %q", seenKey, seenKeys(items))
	return watchers.Item{}
}
