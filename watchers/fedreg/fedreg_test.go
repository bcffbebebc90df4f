package fedreg

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	var ids []string
	for _, it := range items {
		ids = append(ids, it.ID)
	}
	if want := []string{"fr:2024-31440", "fr:2024-31439", "fr:2024-31438", "fr:2024-31437"}; !slices.Equal(ids, want) {
		t.Fatalf("got ids %q, want %q", ids, want)
	}
	want := watchers.Item{
		Source:    "fedreg",
		ID:        "fr:2024-31440",
		Title:     "Combined Notice of Filings #1",
		URL:       "https://www.federalregister.gov/documents/2024/12/31/2024-31440/combined-notice-of-filings-1",
		Published: date("2024-12-31"),
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
	if got := reqs[0].Header.Get("Cache-Control"); got != "no-cache" {
		t.Errorf("got Cache-Control %q, want no-cache", got)
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
		wantErrContain []string
	}{
		{
			name:           "unknown field",
			status:         http.StatusBadRequest,
			body:           fixture(t, "error.400.unknown-field.json"),
			wantMessage:    "field 'nonexistent_example' not valid",
			wantErrContain: []string{"agency industry-and-security-bureau", "/api/v1/documents.json", "HTTP 400", "field 'nonexistent_example' not valid"},
		},
		{
			name:           "invalid cursor",
			status:         http.StatusBadRequest,
			body:           fixture(t, "error.400.invalid-search-after-cursor.json"),
			wantMessage:    "Invalid search_after_cursor token",
			wantErrContain: []string{"HTTP 400: Invalid search_after_cursor token"},
		},
		{
			name:           "rate limited",
			status:         http.StatusTooManyRequests,
			header:         map[string]string{"Retry-After": "30"},
			body:           []byte(`{"status":429,"message":"Too many requests"}`),
			wantMessage:    "Too many requests",
			wantRetry:      30 * time.Second,
			wantTemporary:  true,
			wantErrContain: []string{"HTTP 429", "retry after 30s"},
		},
		{
			name:           "html error page",
			status:         http.StatusBadGateway,
			body:           []byte("<html><body><h1>502 Bad Gateway</h1></body></html>"),
			wantTemporary:  true,
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

// fakeSearch answers documents.json like the API from a list of real records: one agency
// condition at most (more fails the test, since the API may honour only the first), the
// publication-date window and the types.
func fakeSearch(t *testing.T, records []map[string]any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		agencies := q["conditions[agencies][]"]
		if len(agencies) > 1 {
			t.Errorf("got a request for agencies %q, want at most one", agencies)
		}
		gte, lte := q.Get("conditions[publication_date][gte]"), q.Get("conditions[publication_date][lte]")
		results := []map[string]any{}
		for _, rec := range records {
			pub, _ := rec["publication_date"].(string)
			if pub < gte || (lte != "" && pub > lte) {
				continue
			}
			if len(agencies) == 1 && !hasAgency(rec, agencies[0]) {
				continue
			}
			results = append(results, rec)
		}
		body := map[string]any{"count": len(results), "description": "stand-in", "total_pages": 1}
		if len(results) > 0 {
			body["results"] = results
		}
		b, _ := json.Marshal(body)
		writeJSON(w, http.StatusOK, b)
	}
}

func hasAgency(rec map[string]any, slug string) bool {
	as, _ := rec["agencies"].([]any)
	for _, a := range as {
		if m, _ := a.(map[string]any); m["slug"] == slug {
			return true
		}
	}
	return false
}

func records(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var p struct {
		Results []map[string]any `json:"results"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	return p.Results
}

func TestPollAgenciesDeduplicated(t *testing.T) {
	recs := records(t, fixture(t, "documents.search.2024-01.bis-subset.json"))
	srv := newStandIn(t, fakeSearch(t, recs))
	s := newTestSource(t, srv.base(), Options{
		Agencies: []string{"commerce-department", "industry-and-security-bureau", "federal-maritime-commission"},
		Since:    date("2024-01-01"),
		Now:      fixedNow(time.Date(2024, 1, 20, 12, 0, 0, 0, time.UTC)),
	})
	items, err := s.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, it := range items {
		ids = append(ids, it.ID)
	}
	// Oldest first; the BIS notices, found under both Commerce and BIS, once each.
	want := []string{"fr:2023-27783", "fr:2024-00190", "fr:2024-00359", "fr:2024-00422", "fr:2024-00582"}
	if !slices.Equal(ids, want) {
		t.Fatalf("got ids %q, want %q", ids, want)
	}
	if n := len(srv.requests()); n != 3 {
		t.Errorf("got %d requests, want 3 (one per agency)", n)
	}

	got, ok := s.Facts("fr:2023-27783")
	if !ok {
		t.Fatal("got no facts for fr:2023-27783")
	}
	wantFacts := Facts{
		DocumentNumber: "2023-27783",
		Citation:       got.Citation, // checked below from the record itself
		Action:         got.Action,
		Type:           "Rule",
		EffectiveOn:    date("2024-02-01"),
		Agencies:       []string{"Federal Maritime Commission"},
		DocketIDs:      []string{"Docket No. FMC-2022-0067"},
		RINs:           []string{"3072-AC86"},
	}
	if !reflect.DeepEqual(got, wantFacts) {
		t.Errorf("got facts\n\t%+v\nwant\n\t%+v", got, wantFacts)
	}
	for _, rec := range recs {
		if rec["document_number"] == "2023-27783" && (rec["citation"] != got.Citation || rec["action"] != got.Action || got.Citation == "") {
			t.Errorf("got citation %q, action %q; want the record's %q, %q", got.Citation, got.Action, rec["citation"], rec["action"])
		}
	}

	bis, _ := s.Facts("fr:2024-00190")
	if bis.Citation != "89 FR 1064" || bis.Action != "Notice." || bis.Type != "Notice" ||
		!slices.Equal(bis.Agencies, []string{"Commerce Department", "Industry and Security Bureau"}) {
		t.Errorf("got facts %+v, want 89 FR 1064, Notice., Notice, Commerce and BIS", bis)
	}
	if _, ok := s.Facts("fr:2099-00001"); ok {
		t.Error("got facts for an unknown document, want none")
	}
	it := items[1]
	if !strings.HasPrefix(it.Abstract, "Pursuant to provisions of the Federal Advisory Committee Act") ||
		it.URL != "https://www.federalregister.gov/documents/2024/01/09/2024-00190/notice-of-reestablishment-of-the-presidents-export-council-subcommittee-on-export-administration-and" ||
		!it.Published.Equal(date("2024-01-09")) {
		t.Errorf("got item %+v, want 2024-00190's abstract, html_url and date", it)
	}
}

// TestPollSplitsWindow gives a stand-in that, like the API, stops counting at 10,000 for any
// window longer than a week: the client must split until every part fits, and miss nothing.
func TestPollSplitsWindow(t *testing.T) {
	var recs []map[string]any
	for d := date("2024-01-01"); !d.After(date("2024-01-31")); d = d.AddDate(0, 0, 1) {
		for i := range 3 {
			n := fmt.Sprintf("2024-%02d%03d", d.Day(), i)
			recs = append(recs, map[string]any{
				"document_number":  n,
				"title":            "Document " + n,
				"publication_date": d.Format(time.DateOnly),
				"type":             "Notice",
				"agencies":         []any{map[string]any{"slug": "industry-and-security-bureau", "name": "Industry and Security Bureau"}},
			})
		}
	}
	search := fakeSearch(t, recs)
	srv := newStandIn(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("page") != "" {
			t.Errorf("got a request for page %s, want a split instead", q.Get("page"))
		}
		from := date(q.Get("conditions[publication_date][gte]"))
		to := date("2024-01-31")
		if lte := q.Get("conditions[publication_date][lte]"); lte != "" {
			to = date(lte)
		}
		if to.Sub(from) >= 7*24*time.Hour {
			b, _ := json.Marshal(map[string]any{
				"count":         10000,
				"total_pages":   10,
				"next_page_url": "https://www.federalregister.gov/api/v1/documents?page=2&per_page=1000",
				"results":       recs[:2],
			})
			writeJSON(w, http.StatusOK, b)
			return
		}
		search(w, r)
	})
	s := newTestSource(t, srv.base(), Options{
		Agencies: []string{"industry-and-security-bureau"},
		Since:    date("2024-01-01"),
		Now:      fixedNow(time.Date(2024, 1, 31, 18, 0, 0, 0, time.UTC)),
	})
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
	// The windows that were read to the end tile the month without a gap or an overlap,
	// and the last stays open-ended.
	type window struct{ from, to time.Time }
	var windows []window
	split := 0
	for _, r := range srv.requests() {
		q := r.URL.Query()
		w := window{from: date(q.Get("conditions[publication_date][gte]"))}
		if lte := q.Get("conditions[publication_date][lte]"); lte != "" {
			w.to = date(lte)
		}
		end := w.to
		if end.IsZero() {
			end = date("2024-01-31")
		}
		if end.Sub(w.from) >= 7*24*time.Hour {
			split++
			continue
		}
		windows = append(windows, w)
	}
	slices.SortFunc(windows, func(a, b window) int { return a.from.Compare(b.from) })
	if split == 0 || len(windows) < 2 {
		t.Fatalf("got %d split and %d read windows, want a split", split, len(windows))
	}
	next := date("2024-01-01")
	for i, w := range windows {
		if !w.from.Equal(next) {
			t.Errorf("window %d starts %s, want %s", i, w.from.Format(time.DateOnly), next.Format(time.DateOnly))
		}
		if last := i == len(windows)-1; last != w.to.IsZero() {
			t.Errorf("window %d: got end %v, want only the last open-ended", i, w.to)
		}
		next = w.to.AddDate(0, 0, 1)
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
	zero := fixture(t, "documents.search.zero-results.json")
	srv := newStandIn(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, zero) })
	s := newTestSource(t, srv.base(), Options{Types: []string{"RULE", "notice"}})
	if _, err := s.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := query(srv.requests()[0])["conditions[type][]"]; !slices.Equal(got, []string{"RULE", "NOTICE"}) {
		t.Errorf("got types %q, want RULE and NOTICE", got)
	}
}

// inspectionDesk assembles a current.json answer from real public-inspection records: the
// list page's two results (the list shape current.json has), a withdrawn filing and a detail
// record.
func inspectionDesk(t *testing.T, extra ...map[string]any) []byte {
	t.Helper()
	recs := records(t, fixture(t, "public-inspection-documents.search.per_page-2.json"))
	for _, name := range []string{"public-inspection-document.2017-00854.withdrawn.json", "public-inspection-document.2026-19958.json"} {
		var rec map[string]any
		if err := json.Unmarshal(fixture(t, name), &rec); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	recs = append(recs, extra...)
	b, err := json.Marshal(map[string]any{"count": len(recs), "results": recs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPollPublicInspection(t *testing.T) {
	desk := inspectionDesk(t)
	zero := fixture(t, "documents.search.zero-results.json")
	srv := newStandIn(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/public-inspection-documents/current.json":
			writeJSON(w, http.StatusOK, desk)
		case "/api/v1/documents.json":
			writeJSON(w, http.StatusOK, zero)
		default:
			http.NotFound(w, r)
		}
	})
	now := time.Date(2026, 9, 29, 15, 0, 0, 0, time.UTC)
	s := newTestSource(t, srv.base(), Options{
		Agencies:         []string{"international-trade-administration", "animal-and-plant-health-inspection-service", "railroad-retirement-board"},
		PublicInspection: true,
		Now:              fixedNow(now),
	})
	items, err := s.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []watchers.Item{
		{
			// Withdrawn: no filing time and no publication date, so it is dated now (and
			// comes first, oldest first).
			Source:    "fedreg",
			ID:        "fr:2017-00854",
			Title:     "Horse Protection: Licensing of Designated Qualified Persons and Other Amendments",
			URL:       "https://www.federalregister.gov/public-inspection/2017-00854/horse-protection-licensing-of-designated-qualified-persons-and-other-amendments",
			Published: now,
			Abstract: "Public inspection. APHIS requested the withdrawal of this document after it was on public inspection. " +
				"It will remain on public inspection until the close of business on January 24. " +
				"A copy of the withdrawal request is available at the Office of the Federal Register.",
		},
		{
			Source:    "fedreg",
			ID:        "fr:2026-19930",
			Title:     "Antidumping or Countervailing Duty Investigations, Orders, or Reviews: Light-Walled Rectangular Pipe and Tube from Mexico",
			URL:       "https://www.federalregister.gov/public-inspection/2026-19930/antidumping-or-countervailing-duty-investigations-orders-or-reviews-light-walled-rectangular-pipe",
			Published: date("2026-09-30"),
			Abstract:  "Public inspection: filed 2026-09-29, to be published 2026-09-30.",
		},
		{
			Source:    "fedreg",
			ID:        "fr:2026-19958",
			Title:     "Meetings; Sunshine Act",
			URL:       "https://www.federalregister.gov/public-inspection/2026-19958/meetings-sunshine-act",
			Published: date("2026-09-30"),
			Abstract:  "Public inspection: filed 2026-09-28, to be published 2026-09-30.",
		},
	}
	if !reflect.DeepEqual(items, want) {
		t.Errorf("got items\n\t%+v\nwant\n\t%+v", items, want)
	}
	f, ok := s.Facts("fr:2026-19958")
	if !ok || !f.PublicInspection || f.Type != "Notice" || f.DocumentNumber != "2026-19958" ||
		!f.FiledAt.Equal(time.Date(2026, 9, 28, 15, 15, 0, 0, time.UTC)) {
		t.Errorf("got facts %+v, want a public-inspection notice filed 2026-09-28 15:15 UTC", f)
	}
	if f, _ := s.Facts("fr:2017-00854"); !strings.HasPrefix(f.EditorialNote, "APHIS requested the withdrawal") {
		t.Errorf("got editorial note %q, want the withdrawal note", f.EditorialNote)
	}
}

func TestPollPublicInspectionFilters(t *testing.T) {
	desk := inspectionDesk(t)
	zero := fixture(t, "documents.search.zero-results.json")
	srv := newStandIn(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/current.json") {
			writeJSON(w, http.StatusOK, desk)
			return
		}
		writeJSON(w, http.StatusOK, zero)
	})
	tests := []struct {
		name string
		opts Options
		want []string
	}{
		{name: "every agency", opts: Options{}, want: []string{"fr:2017-00854", "fr:2026-19930", "fr:2026-19936", "fr:2026-19958"}},
		{name: "no agency on the desk", opts: Options{Agencies: []string{"industry-and-security-bureau"}}, want: nil},
		{name: "rules only", opts: Options{Types: []string{"RULE"}}, want: []string{"fr:2017-00854"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.PublicInspection = true
			tt.opts.Now = fixedNow(time.Date(2026, 9, 29, 15, 0, 0, 0, time.UTC))
			s := newTestSource(t, srv.base(), tt.opts)
			items, err := s.Poll(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, it := range items {
				ids = append(ids, it.ID)
			}
			if !slices.Equal(ids, tt.want) {
				t.Errorf("got %q, want %q", ids, tt.want)
			}
		})
	}
}

// TestPollOneIdentity: a document both published and still on the public-inspection desk is
// one item, the published one, under the same ID the filing alone would have had.
func TestPollOneIdentity(t *testing.T) {
	recs := records(t, fixture(t, "documents.search.2024-01.bis-subset.json"))
	// The real list record of a filing, renumbered as the BIS notice 2024-00190.
	filing := records(t, fixture(t, "public-inspection-documents.search.per_page-2.json"))[0]
	filing["document_number"] = "2024-00190"
	filing["agencies"] = []any{map[string]any{"slug": "industry-and-security-bureau", "name": "Industry and Security Bureau"}}
	desk := inspectionDesk(t, filing)
	search := fakeSearch(t, recs)
	srv := newStandIn(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/current.json") {
			writeJSON(w, http.StatusOK, desk)
			return
		}
		search(w, r)
	})
	s := newTestSource(t, srv.base(), Options{
		Agencies:         []string{"industry-and-security-bureau"},
		Since:            date("2024-01-09"),
		PublicInspection: true,
		Now:              fixedNow(time.Date(2024, 1, 9, 12, 0, 0, 0, time.UTC)),
	})
	items, err := s.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for _, it := range items {
		if it.ID == "fr:2024-00190" {
			n++
			if strings.HasPrefix(it.Abstract, "Public inspection") {
				t.Errorf("got the filing %+v, want the published document", it)
			}
		}
	}
	if n != 1 {
		t.Errorf("got %d items for fr:2024-00190, want 1 (of %d items)", n, len(items))
	}
	if f, _ := s.Facts("fr:2024-00190"); f.PublicInspection || f.Citation != "89 FR 1064" {
		t.Errorf("got facts %+v, want the published document's", f)
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

// FuzzPage maps arbitrary list pages: no panic, and every item a Federal Register identity.
func FuzzPage(f *testing.F) {
	f.Add([]byte(`{"count":1,"results":[{"document_number":"FR Doc. 2019\u201322210","publication_date":"2019-10-09","correction_of":"https://www.federalregister.gov/api/v1/documents/2019-1.json"}]}`))
	f.Add([]byte(`{"count":0}`))
	f.Add([]byte(`{"results":[{"document_number":"","filed_at":"x","agencies":[{"slug":"a"}]}]}`))
	s, err := New("fedreg", Options{})
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, b []byte) {
		var docs page[apiDocument]
		if json.Unmarshal(b, &docs) == nil {
			for _, d := range docs.Results {
				if it, _, _, ok := s.documentItem(d); ok && (!strings.HasPrefix(it.ID, idPrefix) || it.ID == idPrefix) {
					t.Fatalf("got id %q", it.ID)
				}
			}
		}
		var desk page[apiInspection]
		if json.Unmarshal(b, &desk) == nil {
			for _, d := range desk.Results {
				s.wantInspection(d)
				if it, _, _, ok := s.inspectionItem(d, now); ok && (!strings.HasPrefix(it.ID, idPrefix) || it.ID == idPrefix || it.Published.IsZero()) {
					t.Fatalf("got item %+v", it)
				}
			}
		}
	})
}
