package fedreg

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilbot/vigil/watchers"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		source  string
		opts    Options
		wantErr string
	}{
		{name: "defaults", source: "fedreg"},
		{name: "local base", source: "fedreg", opts: Options{BaseURL: "http://127.0.0.1:8080/api/v1/"}},
		{name: "empty name", source: " ", wantErr: "empty source name"},
		{name: "bad scheme", source: "fedreg", opts: Options{BaseURL: "ftp://example.org/api/v1"}, wantErr: "scheme"},
		{name: "no host", source: "fedreg", opts: Options{BaseURL: "https:///api/v1"}, wantErr: "no host"},
		{name: "query", source: "fedreg", opts: Options{BaseURL: "https://example.org/api/v1?x=1"}, wantErr: "query"},
		{name: "unparsable", source: "fedreg", opts: Options{BaseURL: "http://[::1"}, wantErr: "base URL"},
		{name: "bad slug", source: "fedreg", opts: Options{Agencies: []string{"state department"}}, wantErr: "agency slug"},
		{name: "bad type", source: "fedreg", opts: Options{Types: []string{"rule", "MEMO"}}, wantErr: `"MEMO"`},
		{name: "negative lookback", source: "fedreg", opts: Options{Lookback: -time.Hour}, wantErr: "lookback"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.source, tt.opts)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				if s.lookback != DefaultLookback || s.client == nil || s.client.Timeout != 60*time.Second {
					t.Errorf("got lookback %s, client %v; want the defaults", s.lookback, s.client)
				}
				if strings.HasSuffix(s.base.Path, "/") {
					t.Errorf("got base path %q, want no trailing slash", s.base.Path)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestNewCleansAgenciesAndTypes(t *testing.T) {
	s, err := New("fedreg", Options{
		Agencies: []string{" Industry-and-Security-Bureau", "", "industry-and-security-bureau", "state-department"},
		Types:    []string{"notice", "RULE", "NOTICE"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"industry-and-security-bureau", "state-department"}; !slices.Equal(s.agencies, want) {
		t.Errorf("got agencies %q, want %q", s.agencies, want)
	}
	if want := []string{"NOTICE", "RULE"}; !slices.Equal(s.types, want) {
		t.Errorf("got types %q, want %q", s.types, want)
	}
}

// TestPollPaging follows next_page_url from the real first page to the real second page,
// rebased onto the stand-in.
func TestPollPaging(t *testing.T) {
	page1 := fixture(t, "documents.search.newest.page-1.json")
	page2 := withoutNext(t, fixture(t, "documents.search.newest.page-2.json"))
	srv := newStandIn(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/api/v1/documents.json":
			writeJSON(w, http.StatusOK, page1)
		case r.URL.Path == "/api/v1/documents" && r.URL.Query().Get("page") == "2":
			writeJSON(w, http.StatusOK, page2)
		default:
			http.NotFound(w, r)
		}
	})
	s := newTestSource(t, srv.base(), Options{
		Agencies:  []string{"energy-department"},
		Since:     date("2024-12-31"),
		UserAgent: "vigil-test/1",
	})

	items, err := s.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"fr:2024-31440", "fr:2024-31439", "fr:2024-31438", "fr:2024-31437"}; !slices.Equal(ids(items), want) {
		t.Fatalf("got ids %q, want %q", ids(items), want)
	}
	want := watchers.Item{
		Source:    "fedreg",
		ID:        "fr:2024-31440",
		Step:      watchers.StepPublished,
		Title:     "Combined Notice of Filings #1",
		URL:       "https://www.federalregister.gov/d/2024-31440",
		Published: date("2024-12-31"),
		Facts: []watchers.Fact{
			{Label: "Agency", Value: "Energy Department, Federal Energy Regulatory Commission"},
			{Label: "Type", Value: "Notice"},
			{Label: "Published", Value: "2024-12-31"},
			{Label: "Document", Value: "2024-31440"},
			{Label: "Link", Value: "https://www.federalregister.gov/d/2024-31440"},
		},
	}
	if !reflect.DeepEqual(items[0], want) {
		t.Errorf("got item\n\t%+v\nwant\n\t%+v", items[0], want)
	}

	reqs := srv.requests()
	if len(reqs) != 2 {
		t.Fatalf("got %d requests, want 2 (one page each; a one-day window is not split)", len(reqs))
	}
	q := query(reqs[0])
	for key, want := range map[string][]string{
		"conditions[agencies][]":             {"energy-department"},
		"conditions[publication_date][gte]":  {"2024-12-31"},
		"conditions[publication_date][lte]":  nil,
		"conditions[type][]":                 nil,
		"order":                              {"oldest"},
		"per_page":                           {"1000"},
		"fields[]":                           documentFields,
		"conditions[publication_date][year]": nil,
	} {
		if got := q[key]; !slices.Equal(got, want) {
			t.Errorf("first request %s: got %q, want %q", key, got, want)
		}
	}
	if got := reqs[0].Header.Get("User-Agent"); got != "vigil-test/1" {
		t.Errorf("got User-Agent %q, want vigil-test/1", got)
	}
	for i, r := range reqs {
		if got := r.Header.Get("Cache-Control"); got != "no-cache" {
			t.Errorf("request %d: got Cache-Control %q, want no-cache", i, got)
		}
	}
	if got := query(reqs[1]).Get("search_after_cursor"); got != "WzE3MzU2MDMyMDAwMDAsIjIwMjQtMzE0MzkiXQ" {
		t.Errorf("second request: got search_after_cursor %q, want page 1's cursor", got)
	}
}

func TestPollZeroResults(t *testing.T) {
	zero := fixture(t, "documents.search.zero-results.json")
	srv := newStandIn(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, zero)
	})
	s := newTestSource(t, srv.base(), Options{Agencies: []string{"industry-and-security-bureau", "state-department"}})
	items, err := s.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 0 {
		t.Errorf("got %d items, want none", len(items))
	}
	var agencies []string
	for _, r := range srv.requests() {
		agencies = append(agencies, strings.Join(query(r)["conditions[agencies][]"], "+"))
	}
	if want := []string{"industry-and-security-bureau", "state-department"}; !slices.Equal(agencies, want) {
		t.Errorf("got one request per agency %q, want %q", agencies, want)
	}
}

func TestPollErrors(t *testing.T) {
	tests := []struct {
		name           string
		status         int
		header         map[string]string
		body           []byte
		wantMessage    string
		wantRetry      time.Duration
		wantTemporary  bool
		wantRequests   int
		wantErrContain []string
	}{
		{
			name:           "unknown field",
			status:         http.StatusBadRequest,
			body:           fixture(t, "error.400.unknown-field.json"),
			wantMessage:    "field 'nonexistent_example' not valid",
			wantRequests:   1,
			wantErrContain: []string{"agency industry-and-security-bureau", "/api/v1/documents.json", "HTTP 400", "field 'nonexistent_example' not valid"},
		},
		{
			name:           "invalid cursor",
			status:         http.StatusBadRequest,
			body:           fixture(t, "error.400.invalid-search-after-cursor.json"),
			wantMessage:    "Invalid search_after_cursor token",
			wantRequests:   1,
			wantErrContain: []string{"HTTP 400: Invalid search_after_cursor token"},
		},
		{
			name:           "rate limited for longer than a poll waits",
			status:         http.StatusTooManyRequests,
			header:         map[string]string{"Retry-After": "30"},
			body:           []byte(`{"status":429,"message":"Too many requests"}`),
			wantMessage:    "Too many requests",
			wantRetry:      30 * time.Second,
			wantTemporary:  true,
			wantRequests:   1,
			wantErrContain: []string{"HTTP 429", "retry after 30s"},
		},
		{
			name:           "rate limited briefly, every time",
			status:         http.StatusTooManyRequests,
			header:         map[string]string{"Retry-After": "2"},
			body:           []byte(`{"status":429,"message":"Too many requests"}`),
			wantMessage:    "Too many requests",
			wantRetry:      2 * time.Second,
			wantTemporary:  true,
			wantRequests:   maxAttempts,
			wantErrContain: []string{"HTTP 429", "retry after 2s"},
		},
		{
			name:           "unavailable without Retry-After",
			status:         http.StatusServiceUnavailable,
			body:           []byte("<html><body><h1>503 Service Unavailable</h1></body></html>"),
			wantRetry:      4 * time.Second, // the third backoff: 1s, 2s, 4s
			wantTemporary:  true,
			wantRequests:   maxAttempts,
			wantErrContain: []string{"HTTP 503", "retry after 4s"},
		},
		{
			name:           "html error page",
			status:         http.StatusBadGateway,
			body:           []byte("<html><body><h1>502 Bad Gateway</h1></body></html>"),
			wantTemporary:  true,
			wantRequests:   1,
			wantErrContain: []string{"HTTP 502"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newStandIn(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				writeJSON(w, tt.status, tt.body)
			})
			s := newTestSource(t, srv.base(), Options{Agencies: []string{"industry-and-security-bureau"}})
			items, err := s.Poll(context.Background())
			if err == nil {
				t.Fatalf("got %d items and no error, want an error", len(items))
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("got error %v, want an *APIError", err)
			}
			if apiErr.Status != tt.status || apiErr.Message != tt.wantMessage || apiErr.RetryAfter != tt.wantRetry {
				t.Errorf("got %+v, want status %d, message %q, retry after %s", apiErr, tt.status, tt.wantMessage, tt.wantRetry)
			}
			if apiErr.Temporary() != tt.wantTemporary {
				t.Errorf("got Temporary %v, want %v", apiErr.Temporary(), tt.wantTemporary)
			}
			if n := len(srv.requests()); n != tt.wantRequests {
				t.Errorf("got %d requests, want %d", n, tt.wantRequests)
			}
			for _, want := range tt.wantErrContain {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("got error %q, want it to contain %q", err, want)
				}
			}
			// The query (conditions, fields) stays out of the message.
			if strings.Contains(err.Error(), "?") || strings.Contains(err.Error(), "conditions") {
				t.Errorf("got error %q, want no query in it", err)
			}
			if items != nil {
				t.Errorf("got %d items with the error, want none", len(items))
			}
		})
	}
}

// TestPollAgenciesDeduplicated: one request per agency, a document found under two agencies
// once, and each item with its facts in display order.
func TestPollAgenciesDeduplicated(t *testing.T) {
	recs := records(t, fixture(t, "documents.search.2024-01.bis-subset.json"))
	api := newFakeAPI(t, nil)
	api.addDocs(recs...)
	s := newTestSource(t, api.base(), onClock(Options{
		Agencies: []string{"commerce-department", "industry-and-security-bureau", "federal-maritime-commission"},
		Since:    date("2024-01-01"),
	}, newFakeClock(time.Date(2024, 1, 20, 12, 0, 0, 0, time.UTC))))
	items, err := s.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Oldest first; the BIS notices, found under both Commerce and BIS, once each.
	want := []string{"fr:2023-27783", "fr:2024-00190", "fr:2024-00359", "fr:2024-00422", "fr:2024-00582"}
	if !slices.Equal(ids(items), want) {
		t.Fatalf("got ids %q, want %q", ids(items), want)
	}
	if got := api.paths(); len(got) != 3 {
		t.Errorf("got requests %q, want 3 (one per agency)", got)
	}
	for _, it := range items {
		if it.Step != watchers.StepPublished || it.Body != "" || it.Rows != nil {
			t.Errorf("%s: got step %q, body %d bytes, %d rows; want published, no text yet", it.ID, it.Step, len(it.Body), len(it.Rows))
		}
	}

	fmc := items[0]
	wantFacts := []watchers.Fact{
		{Label: FactAgency, Value: "Federal Maritime Commission"},
		{Label: FactType, Value: "Rule"},
		{Label: FactAction, Value: "Final rule."},
		{Label: FactPublished, Value: "2024-01-02"},
		{Label: FactEffective, Value: "2024-02-01"},
		{Label: FactCitation, Value: "89 FR 6"},
		{Label: FactDocument, Value: "2023-27783"},
		{Label: FactDocket, Value: "Docket No. FMC-2022-0067"},
		{Label: FactRIN, Value: "3072-AC86"},
		{Label: FactLink, Value: "https://www.federalregister.gov/d/2023-27783"},
	}
	for _, rec := range recs {
		if rec["document_number"] == "2023-27783" {
			// The values the record itself holds, so that this test checks the mapping.
			wantFacts[2].Value, wantFacts[5].Value = rec["action"].(string), rec["citation"].(string)
		}
	}
	if !reflect.DeepEqual(fmc.Facts, wantFacts) {
		t.Errorf("got facts\n\t%+v\nwant\n\t%+v", fmc.Facts, wantFacts)
	}

	bis := items[1]
	if !strings.HasPrefix(bis.Abstract, "Pursuant to provisions of the Federal Advisory Committee Act") ||
		bis.URL != "https://www.federalregister.gov/d/2024-00190" || !bis.Published.Equal(date("2024-01-09")) {
		t.Errorf("got item %+v, want 2024-00190's abstract, /d/ link and date", bis)
	}
	for label, want := range map[string]string{
		FactCitation: "89 FR 1064", FactAction: "Notice.", FactType: "Notice",
		FactAgency: "Commerce Department, Industry and Security Bureau", FactEffective: "",
	} {
		if got := factValue(bis.Facts, label); got != want {
			t.Errorf("2024-00190 %s: got %q, want %q", label, got, want)
		}
	}
}

// bulkDocuments makes n documents in the shape of a real BIS record, numbered from
// 2024-10000 and spread over the days from first on, perDay a day.
func bulkDocuments(t testing.TB, n, perDay int, first time.Time) []map[string]any {
	t.Helper()
	var template map[string]any
	for _, rec := range records(t, fixture(t, "documents.search.2024-01.bis-subset.json")) {
		if rec["document_number"] == "2024-00422" {
			template = rec
		}
	}
	out := make([]map[string]any, 0, n)
	for i := range n {
		rec := maps.Clone(template)
		day := first.AddDate(0, 0, i/perDay)
		number := fmt.Sprintf("2024-%05d", 10000+i)
		path := day.Format("2006/01/02") + "/" + number
		rec["document_number"] = number
		rec["title"] = "Document " + number
		rec["publication_date"] = day.Format(time.DateOnly)
		rec["raw_text_url"] = "https://www.federalregister.gov/documents/full_text/text/" + path + ".txt"
		rec["full_text_xml_url"] = "https://www.federalregister.gov/documents/full_text/xml/" + path + ".xml"
		rec["body_html_url"] = "https://www.federalregister.gov/documents/full_text/html/" + path + ".html"
		out = append(out, rec)
	}
	return out
}

// TestPollSplitsWindow: a month holding more documents than the search counts (10,000) is
// split into windows that each fit, read page by page, and every document comes once.
func TestPollSplitsWindow(t *testing.T) {
	recs := bulkDocuments(t, 31*350, 350, date("2024-01-01"))
	api := newFakeAPI(t, nil)
	api.addDocs(recs...)
	s := newTestSource(t, api.base(), onClock(Options{
		Agencies: []string{"industry-and-security-bureau"},
		Since:    date("2024-01-01"),
	}, newFakeClock(time.Date(2024, 1, 31, 18, 0, 0, 0, time.UTC))))
	items, err := s.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != len(recs) {
		t.Fatalf("got %d items, want %d", len(items), len(recs))
	}
	for i, it := range items {
		if want := "fr:" + recs[i]["document_number"].(string); it.ID != want {
			t.Fatalf("item %d: got %s, want %s (every document once, oldest first)", i, it.ID, want)
		}
	}
	// The windows read to the end tile the month without a gap or an overlap, and the last
	// stays open-ended; a window is probed once, and read on only when it fits.
	type window struct{ from, to string }
	var read []window
	probes := 0
	for _, r := range api.requests() {
		if r.query.Get("page") != "" {
			continue // a further page of a window that fitted
		}
		w := window{r.query.Get("conditions[publication_date][gte]"), r.query.Get("conditions[publication_date][lte]")}
		end := cmp.Or(w.to, "2024-01-31")
		if days := date(end).Sub(date(w.from)).Hours()/24 + 1; days*350 >= searchCap {
			probes++
			continue
		}
		read = append(read, w)
	}
	if probes == 0 || len(read) < 2 {
		t.Fatalf("got %d probes and %d windows read, want a split", probes, len(read))
	}
	next := "2024-01-01"
	for i, w := range read {
		if w.from != next {
			t.Errorf("window %d starts %s, want %s", i, w.from, next)
		}
		if last := i == len(read)-1; last != (w.to == "") {
			t.Errorf("window %d: got end %q, want only the last open-ended", i, w.to)
		}
		if w.to != "" {
			next = date(w.to).AddDate(0, 0, 1).Format(time.DateOnly)
		}
	}
}

func TestPollWindowStart(t *testing.T) {
	now := time.Date(2024, 1, 31, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		since time.Time
		want  []string // gte of the first and the second poll
	}{
		{name: "lookback", want: []string{"2024-01-24", "2024-01-24"}},
		{name: "since backfills the first poll only", since: date("2023-12-01"), want: []string{"2023-12-01", "2024-01-24"}},
		{name: "a recent since bounds every poll", since: time.Date(2024, 1, 28, 9, 0, 0, 0, time.UTC), want: []string{"2024-01-28", "2024-01-28"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			zero := fixture(t, "documents.search.zero-results.json")
			srv := newStandIn(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, zero) })
			s := newTestSource(t, srv.base(), Options{Since: tt.since, Now: fixedNow(now)})
			for range 2 {
				if _, err := s.Poll(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			var got []string
			for _, r := range srv.requests() {
				got = append(got, query(r).Get("conditions[publication_date][gte]"))
				if a := query(r)["conditions[agencies][]"]; a != nil {
					t.Errorf("got agencies %q, want no agency condition when none is configured", a)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got gte %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPollTypes(t *testing.T) {
	api := newFakeAPI(t, nil)
	api.addDocs(records(t, fixture(t, "documents.search.2024-01.bis-subset.json"))...)
	s := newTestSource(t, api.base(), onClock(Options{Types: []string{"RULE", "notice"}, Since: date("2024-01-01")},
		newFakeClock(time.Date(2024, 1, 20, 12, 0, 0, 0, time.UTC))))
	items, err := s.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := api.requests()[0].query["conditions[type][]"]; !slices.Equal(got, []string{"RULE", "NOTICE"}) {
		t.Errorf("got types %q, want RULE and NOTICE", got)
	}
	if len(items) != 6 {
		t.Errorf("got %d items, want the 6 rules and notices", len(items))
	}
	s = newTestSource(t, api.base(), onClock(Options{Types: []string{"PRORULE"}, Since: date("2024-01-01")},
		newFakeClock(time.Date(2024, 1, 20, 12, 0, 0, 0, time.UTC))))
	if items, err := s.Poll(context.Background()); err != nil || len(items) != 0 {
		t.Errorf("got %d items, %v; want no proposed rule", len(items), err)
	}
}

// TestPollCorrection: a correction published in the window is the corrected document's
// identity at StepCorrected, with its own number and link among the facts.
func TestPollCorrection(t *testing.T) {
	api := newFakeAPI(t, nil)
	published := record(t, testdata(t, "lifecycle/document.2023-03929.json"))
	correction := record(t, testdata(t, "lifecycle/document.C1-2023-03929.json"))
	api.addDocs(published, correction)
	s := newTestSource(t, api.base(), onClock(Options{Agencies: []string{"industry-and-security-bureau"}},
		newFakeClock(time.Date(2023, 3, 6, 15, 0, 0, 0, time.UTC))))
	items, err := s.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"fr:2023-03929@published", "fr:2023-03929@corrected:c1-2023-03929"}; !slices.Equal(seenKeys(items), want) {
		t.Fatalf("got %q, want %q", seenKeys(items), want)
	}
	c := items[1]
	if c.URL != "https://www.federalregister.gov/d/C1-2023-03929" || c.Title != "Additions of Entities to the Entity List" ||
		!c.Published.Equal(date("2023-03-06")) {
		t.Errorf("got correction %+v, want its own link, title and date", c)
	}
	if want := "Correction of FR Doc. 2023-03929, published 2023-03-06 (88 FR 13999)."; c.Abstract != want {
		t.Errorf("got abstract %q, want %q", c.Abstract, want)
	}
	wantFacts := []watchers.Fact{
		{Label: FactAgency, Value: "Commerce Department, Industry and Security Bureau"},
		{Label: FactType, Value: "Rule"},
		{Label: FactPublished, Value: "2023-03-06"},
		{Label: FactCitation, Value: "88 FR 13999"},
		{Label: FactDocument, Value: "C1-2023-03929"},
		{Label: FactCorrects, Value: "2023-03929"},
		{Label: FactDocket, Value: "Docket No. 230221-0050"},
		{Label: FactRIN, Value: "0694-AJ13"},
		{Label: FactLink, Value: "https://www.federalregister.gov/d/C1-2023-03929"},
	}
	if !reflect.DeepEqual(c.Facts, wantFacts) {
		t.Errorf("got facts\n\t%+v\nwant\n\t%+v", c.Facts, wantFacts)
	}
}

func TestPollCancelled(t *testing.T) {
	srv := newStandIn(t, func(w http.ResponseWriter, r *http.Request) {
		t.Error("got a request, want none after cancellation")
	})
	s := newTestSource(t, srv.base(), Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Poll(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestResolve(t *testing.T) {
	s, err := New("fedreg", Options{BaseURL: "http://127.0.0.1:9999/api/v1"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ in, want string }{
		{
			"https://www.federalregister.gov/api/v1/documents?conditions%5Bpublication_date%5D%5Bgte%5D=2024-01-01&page=2",
			"http://127.0.0.1:9999/api/v1/documents?conditions%5Bpublication_date%5D%5Bgte%5D=2024-01-01&page=2",
		},
		{
			"https://www.federalregister.gov/documents/full_text/text/2024/01/09/2024-00190.txt",
			"http://127.0.0.1:9999/documents/full_text/text/2024/01/09/2024-00190.txt",
		},
		{
			"https://federalregister.gov/public-inspection/raw_text/202/619/930.txt",
			"http://127.0.0.1:9999/public-inspection/raw_text/202/619/930.txt",
		},
		{"/api/v1/documents?page=3", "http://127.0.0.1:9999/api/v1/documents?page=3"},
		// Other hosts are not the API's: left alone.
		{"https://www.govinfo.gov/content/pkg/FR-2024-12-31/pdf/2024-31440.pdf", "https://www.govinfo.gov/content/pkg/FR-2024-12-31/pdf/2024-31440.pdf"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			u, err := s.resolve(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if u.String() != tt.want {
				t.Errorf("got %s, want %s", u, tt.want)
			}
		})
	}
	if _, err := s.resolve("file:///etc/passwd"); err == nil {
		t.Error("got no error for a file: link, want one")
	}
}

func TestCorrectionOf(t *testing.T) {
	tests := []struct{ raw, want string }{
		{`null`, ""},
		{``, ""},
		{`"https://www.federalregister.gov/api/v1/documents/2019-22210.json"`, "2019-22210"},
		{`"https://www.federalregister.gov/api/v1/documents/2019-22210"`, "2019-22210"},
		{`"https://www.federalregister.gov/documents/2019/10/09/2019-22210/addition-of-certain-entities-fiscal-year-2020"`, "2019-22210"},
		{`"2019-22210"`, "2019-22210"},
		{`{"document_number":"2019-22210"}`, "2019-22210"},
		{`"https://www.federalregister.gov/api/v1/documents/2026-17324"`, "2026-17324"},
		{`"not a number"`, ""},
		{`42`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			if got := correctionOf(json.RawMessage(tt.raw)); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		h    string
		want time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{"-1", 0},
		{"Mon, 01 Jan 2024 12:00:30 GMT", 30 * time.Second},
		{"Mon, 01 Jan 2024 11:00:00 GMT", 0},
		{"soon", 0},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.h, now); got != tt.want {
			t.Errorf("retryAfter(%q): got %s, want %s", tt.h, got, tt.want)
		}
	}
}

// factOrder is the display order of the labels.
var factOrder = []string{
	FactAgency, FactType, FactAction, FactPublished, FactEffective, FactFiled, FactToBePublished,
	FactCitation, FactDocument, FactCorrects, FactDocket, FactRIN, FactLink,
}

// checkItem checks what every item of the source must be.
func checkItem(t *testing.T, it watchers.Item) {
	t.Helper()
	if !strings.HasPrefix(it.ID, idPrefix) || it.ID == idPrefix {
		t.Fatalf("got id %q", it.ID)
	}
	if !slices.Contains([]watchers.Step{watchers.StepPublished, watchers.StepCorrected, watchers.StepPublicInspection, watchers.StepWithdrawn}, it.Step) {
		t.Fatalf("got step %q", it.Step)
	}
	if it.URL != "" && !strings.HasPrefix(it.URL, publicLink) {
		t.Fatalf("got URL %q", it.URL)
	}
	last := -1
	for _, f := range it.Facts {
		i := slices.Index(factOrder, f.Label)
		if i <= last || f.Value == "" || f.Value != oneLine(f.Value) {
			t.Fatalf("got facts %q: want known labels, in order, once, with one-line values", it.Facts)
		}
		last = i
	}
}

// FuzzPage maps arbitrary list pages: no panic, and every item a Federal Register identity
// at a lifecycle step, with its facts in order.
func FuzzPage(f *testing.F) {
	f.Add([]byte(`{"count":1,"results":[{"document_number":"FR Doc. 2019\u201322210","publication_date":"2019-10-09","correction_of":"https://www.federalregister.gov/api/v1/documents/2019-1.json"}]}`))
	f.Add([]byte(`{"count":1,"results":[{"document_number":"C1-2026-17324","citation":" 91  FR 57516 ","correction_of":"https://www.federalregister.gov/api/v1/documents/2026-17324","agencies":[{"name":" "},{"raw_name":"X"}]}]}`))
	f.Add([]byte(`{"count":0}`))
	f.Add([]byte(`{"results":[{"document_number":"","filed_at":"x","agencies":[{"slug":"a"}]}]}`))
	f.Add([]byte(`{"results":[{"document_number":"2017-00854","publication_date":null,"editorial_note":"withdrawn","docket_numbers":["", " a "]}]}`))
	s, err := New("fedreg", Options{})
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, b []byte) {
		var docs page[apiDocument]
		if json.Unmarshal(b, &docs) == nil {
			for _, d := range docs.Results {
				if it, _, ok := s.documentItem(d); ok {
					checkItem(t, it)
					if it.Step != watchers.StepPublished && it.Step != watchers.StepCorrected {
						t.Fatalf("got step %q for a published document", it.Step)
					}
				}
			}
		}
		var desk page[apiInspection]
		if json.Unmarshal(b, &desk) == nil {
			for _, d := range desk.Results {
				s.wantInspection(d)
				if it, _, ok := s.inspectionItem(d, now); ok {
					checkItem(t, it)
					if it.Published.IsZero() || (it.Step != watchers.StepPublicInspection && it.Step != watchers.StepWithdrawn) {
						t.Fatalf("got item %+v", it)
					}
				}
			}
		}
	})
}
