package fedreg

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/vigilbot/vigil/internal/fixtures"
)

// fixture reads a real capture from ../shared/fixtures/federalregister beside the module.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	return fixtures.Read(t, "federalregister/"+name)
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

// standIn is a local stand-in of the API that records every request it answers.
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

// newTestSource builds a Source on the stand-in with the rate limits lifted.
func newTestSource(t testing.TB, base string, opts Options) *Source {
	t.Helper()
	opts.BaseURL = base
	if opts.Now == nil {
		opts.Now = fixedNow(time.Date(2024, 12, 31, 15, 0, 0, 0, time.UTC))
	}
	s, err := New("fedreg", opts)
	if err != nil {
		t.Fatal(err)
	}
	s.limit = newLimiter(0)
	s.xmlLimit = newLimiter(0)
	return s
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
