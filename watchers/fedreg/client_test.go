package fedreg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vigilbot/vigil/watchers"
)

func TestLimiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		real := clock{now: time.Now, sleep: sleepTimer}
		l := newLimiter(200 * time.Millisecond)
		start := time.Now()
		for range 6 {
			if err := l.wait(context.Background(), real); err != nil {
				t.Fatal(err)
			}
		}
		if got := time.Since(start); got != time.Second {
			t.Errorf("6 requests took %s, want 1s at 5/s", got)
		}

		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if err := l.wait(ctx, real); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %v, want the context's error while waiting", err)
		}
	})
}

// roundTripFunc answers requests in memory, so that a test runs on synctest's clock.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestRateLimitsConcurrent: on the real clock (synctest's), concurrent callers together keep
// to 5 requests/s overall and 1 request/s for XML.
func TestRateLimitsConcurrent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var (
			mu   sync.Mutex
			at   []time.Time
			xmls []time.Time
		)
		client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			mu.Lock()
			defer mu.Unlock()
			at = append(at, time.Now())
			body := `{"count":0}`
			switch {
			case strings.HasSuffix(r.URL.Path, ".xml"):
				xmls = append(xmls, time.Now())
				body = `<RULE><P>text</P><GPOTABLE><ROW><ENT>a</ENT><ENT>b</ENT></ROW></GPOTABLE></RULE>`
			case strings.HasPrefix(r.URL.Path, "/api/v1/documents/"):
				number := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/api/v1/documents/"), ".json")
				body = `{"full_text_xml_url":"https://www.federalregister.gov/x/` + number + `.xml"}`
			}
			return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
		})}
		s, err := New("fedreg", Options{
			BaseURL:  "https://fr.invalid/api/v1",
			Agencies: []string{"a", "b", "c", "d", "e", "f"},
			Client:   client,
		})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Go(func() {
			if _, err := s.Poll(context.Background()); err != nil {
				t.Error(err)
			}
		})
		for _, n := range []string{"2024-00001", "2024-00002", "2024-00003"} {
			wg.Go(func() {
				it := watchers.Item{ID: "fr:" + n, Step: watchers.StepPublished}
				if err := s.FetchBody(context.Background(), &it); err != nil {
					t.Error(err)
				}
				if it.Body != "text" || !slices.Equal(it.Rows, []string{"a | b"}) {
					t.Errorf("got body %q, rows %q; want text and one row", it.Body, it.Rows)
				}
			})
		}
		wg.Wait()
		if len(at) != 12 || len(xmls) != 3 {
			t.Fatalf("got %d requests, %d of XML; want 12 and 3", len(at), len(xmls))
		}
		checkGaps(t, "request", at, 200*time.Millisecond)
		checkGaps(t, "XML request", xmls, time.Second)
	})
}

// checkGaps checks that times, in any order, lie at least gap apart.
func checkGaps(t *testing.T, what string, times []time.Time, gap time.Duration) {
	t.Helper()
	times = slices.Clone(times)
	slices.SortFunc(times, time.Time.Compare)
	for i := 1; i < len(times); i++ {
		if d := times[i].Sub(times[i-1]); d < gap {
			t.Errorf("%s %d came %s after the previous one, want at least %s", what, i, d, gap)
		}
	}
}

// TestBackfill: a first poll with a since a month back finds 500 documents; reading all of
// their texts keeps to 5 requests/s and 1/s for XML, on the injected clock, without waiting
// longer than the limits ask.
func TestBackfill(t *testing.T) {
	start := time.Date(2024, 2, 1, 14, 0, 0, 0, time.UTC)
	clock := newFakeClock(start)
	api := newFakeAPI(t, clock)
	docs := bulkDocuments(t, 500, 17, date("2024-01-02"))
	withXML := 0
	for i, rec := range docs {
		number := rec["document_number"].(string)
		if i%3 == 0 {
			withXML++
			api.file(rec["full_text_xml_url"].(string), fmt.Appendf(nil,
				`<NOTICE><P>Document %s.</P><GPOTABLE><ROW><ENT>CHINA</ENT><ENT>Entity %s</ENT></ROW></GPOTABLE></NOTICE>`, number, number))
			continue
		}
		rec["full_text_xml_url"] = nil // as older documents have none
		api.file(rec["raw_text_url"].(string), fmt.Appendf(nil, "<html><body><pre>Document %s.\n</pre></body></html>", number))
	}
	api.addDocs(docs...)
	s := newTestSource(t, api.base(), onClock(Options{
		Agencies: []string{"industry-and-security-bureau"},
		Since:    date("2024-01-01"),
	}, clock))

	ctx := context.Background()
	items, err := s.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 500 {
		t.Fatalf("got %d items, want 500", len(items))
	}
	for i := range items {
		it := &items[i]
		if err := s.FetchBody(ctx, it); err != nil {
			t.Fatal(err)
		}
		number := strings.TrimPrefix(it.ID, "fr:")
		if it.Body != "Document "+number+"." {
			t.Fatalf("%s: got body %q", it.ID, it.Body)
		}
		if i%3 == 0 && !slices.Equal(it.Rows, []string{"CHINA | Entity " + number}) {
			t.Fatalf("%s: got rows %q, want its table row", it.ID, it.Rows)
		}
	}

	reqs := api.requests()
	if len(reqs) != 1+500 {
		t.Fatalf("got %d requests, want one search and one text per document", len(reqs))
	}
	var all, xmls []time.Time
	for _, r := range reqs {
		all = append(all, r.at)
		if strings.HasSuffix(r.path, ".xml") {
			xmls = append(xmls, r.at)
		}
	}
	if len(xmls) != withXML {
		t.Errorf("got %d XML requests, want %d", len(xmls), withXML)
	}
	checkGaps(t, "request", all, 200*time.Millisecond)
	checkGaps(t, "XML request", xmls, time.Second)
	// The XML limit sets the pace: one a second, the raw texts in between.
	if took := clock.Now().Sub(start); took < time.Duration(withXML-1)*time.Second || took > time.Duration(withXML)*time.Second {
		t.Errorf("the backfill took %s on the clock, want about %d s", took, withXML)
	}
}

// TestRetryAfter honoured within a call: the request is asked again once the time the API
// named has passed, on the injected clock.
func TestRetryAfterHonoured(t *testing.T) {
	for _, tt := range []struct {
		name  string
		after func(now time.Time) string
		want  time.Duration
	}{
		{name: "429 seconds", after: func(time.Time) string { return "5" }, want: 5 * time.Second},
		{name: "503 HTTP date", after: func(now time.Time) string { return now.Add(3 * time.Second).Format(http.TimeFormat) }, want: 3 * time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock(time.Date(2024, 2, 1, 14, 0, 0, 0, time.UTC))
			api := newFakeAPI(t, clock)
			status := http.StatusTooManyRequests
			if strings.HasPrefix(tt.name, "503") {
				status = http.StatusServiceUnavailable
			}
			api.refuseNext(refusal{status: status, retryAfter: tt.after(clock.Now())})
			s := newTestSource(t, api.base(), onClock(Options{}, clock))
			if _, err := s.Poll(context.Background()); err != nil {
				t.Fatal(err)
			}
			reqs := api.requests()
			if len(reqs) != 2 {
				t.Fatalf("got %d requests, want the refused one and its retry", len(reqs))
			}
			if gap := reqs[1].at.Sub(reqs[0].at); gap < tt.want {
				t.Errorf("got the retry %s after the refusal, want at least %s", gap, tt.want)
			}
		})
	}
}

// TestHoldOff: a Retry-After longer than a call waits is returned, and until it has passed
// no request is sent at all, whichever call asks.
func TestHoldOff(t *testing.T) {
	clock := newFakeClock(time.Date(2024, 2, 1, 14, 0, 0, 0, time.UTC))
	api := newFakeAPI(t, clock)
	api.refuseNext(refusal{status: http.StatusTooManyRequests, retryAfter: "3600"})
	s := newTestSource(t, api.base(), onClock(Options{}, clock))
	ctx := context.Background()

	_, err := s.Poll(ctx)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusTooManyRequests || apiErr.RetryAfter != time.Hour {
		t.Fatalf("got %v, want the 429 with an hour's Retry-After", err)
	}
	clock.Advance(10 * time.Minute)
	for name, call := range map[string]func() error{
		"Poll":                 func() error { _, err := s.Poll(ctx); return err },
		"PollPublicInspection": func() error { _, err := s.PollPublicInspection(ctx); return err },
		"Search":               func() error { _, err := s.Search(ctx, "Hikvision", 5); return err },
		"FetchBody": func() error {
			return s.FetchBody(ctx, &watchers.Item{ID: "fr:2024-00001", Step: watchers.StepPublished})
		},
	} {
		err := call()
		if !errors.As(err, &apiErr) || apiErr.Status != http.StatusTooManyRequests || apiErr.RetryAfter != 50*time.Minute {
			t.Errorf("%s: got %v, want a 429 with 50 minutes left", name, err)
		}
	}
	if n := len(api.requests()); n != 1 {
		t.Errorf("got %d requests, want none after the refusal", n)
	}
	clock.Advance(50 * time.Minute)
	if _, err := s.Poll(ctx); err != nil {
		t.Errorf("after the hour: got %v, want the poll to go through", err)
	}
}

// TestRetryCancelled: waiting out a Retry-After ends with the context.
func TestRetryCancelled(t *testing.T) {
	clock := newFakeClock(time.Date(2024, 2, 1, 14, 0, 0, 0, time.UTC))
	api := newFakeAPI(t, clock)
	api.refuseNext(refusal{status: http.StatusTooManyRequests, retryAfter: "5"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := newTestSource(t, api.base(), Options{
		Now: clock.Now,
		Sleep: func(ctx context.Context, d time.Duration) error {
			cancel() // the caller gives up while the source waits
			return clock.Sleep(ctx, d)
		},
	})
	if _, err := s.Poll(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	if n := len(api.requests()); n != 1 {
		t.Errorf("got %d requests, want only the refused one", n)
	}
}

func TestAPIMessage(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"status":400,"message":"field 'x' not valid"}`, "field 'x' not valid"},
		{`{"errors":{"conditions":{"agencies":["not valid"]}}}`, `{"conditions":{"agencies":["not valid"]}}`},
		{`<html>502</html>`, ""},
		{`{"message":"` + strings.Repeat("é", 300) + `"}`, strings.Repeat("é", 200) + "…"},
	}
	for _, tt := range tests {
		if got := apiMessage([]byte(tt.body)); got != tt.want {
			t.Errorf("apiMessage(%.40q): got %q, want %q", tt.body, got, tt.want)
		}
	}
}
