package fedreg

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAPI is a stand-in of the Federal Register API on loopback, serving real records the
// way the API does:
//   - documents.json (and documents, the path of its next_page_url): the conditions the
//     client uses (one agency honoured: more fails the test; types; publication-date window;
//     term, searched in the title, the abstract and the document's full texts), order
//     oldest/newest, per_page up to 1000, pages with an absolute https://www.federalregister.gov
//     next_page_url, the silent caps (count stops at 10,000, pages at 50), fields[] (only those
//     fields, and the API's 400 for an unknown one), no "results" key when nothing matched;
//   - documents/{number}.json, public-inspection-documents/current.json and
//     public-inspection-documents/{number}.json;
//   - full texts at the paths of the records' links.
//
// It records every request with the time of the test's clock, and answers the refusals it
// is given (429, 503) before anything else.
type fakeAPI struct {
	t     testing.TB
	srv   *httptest.Server
	clock *fakeClock // nil: requests are recorded at the zero time

	mu      sync.Mutex
	docs    []map[string]any
	desk    []map[string]any          // current.json
	filings map[string]map[string]any // public-inspection-documents/{number}.json, kept after publication
	files   map[string][]byte         // full texts by path
	refuse  []refusal
	log     []apiRequest
}

type refusal struct {
	status     int
	retryAfter string
}

type apiRequest struct {
	path  string
	query url.Values
	agent string
	cache string
	at    time.Time
}

// knownFields are the fields[] values the stand-in accepts (any the records hold, too).
var knownFields = append(slices.Clone(documentFields), "json_url", "pdf_url", "start_page", "end_page", "volume")

func newFakeAPI(t testing.TB, clock *fakeClock) *fakeAPI {
	t.Helper()
	a := &fakeAPI{t: t, clock: clock, filings: map[string]map[string]any{}, files: map[string][]byte{}}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	return a
}

// base is the stand-in's API base URL.
func (a *fakeAPI) base() string { return a.srv.URL + "/api/v1" }

// addDocs adds documents to the search, which keeps them oldest first.
func (a *fakeAPI) addDocs(recs ...map[string]any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.docs = append(a.docs, recs...)
	slices.SortStableFunc(a.docs, func(x, y map[string]any) int {
		return cmp.Or(cmp.Compare(str(x, "publication_date"), str(y, "publication_date")),
			cmp.Compare(str(x, "document_number"), str(y, "document_number")))
	})
}

// str is a record's string field; "" when absent or not a string.
func str(rec map[string]any, key string) string {
	s, _ := rec[key].(string)
	return s
}

// setDesk puts filings on the public-inspection desk (replacing those there); each stays
// reachable by number afterwards.
func (a *fakeAPI) setDesk(recs ...map[string]any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.desk = recs
	for _, r := range recs {
		a.filings[str(r, "document_number")] = r
	}
}

// file serves body at the path of link (an absolute federalregister.gov link, as records
// hold them).
func (a *fakeAPI) file(link string, body []byte) {
	u, err := url.Parse(link)
	if err != nil {
		a.t.Fatal(err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.files[u.Path] = body
}

// refuseNext answers the next requests with these refusals, in order.
func (a *fakeAPI) refuseNext(rs ...refusal) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.refuse = append(a.refuse, rs...)
}

func (a *fakeAPI) requests() []apiRequest {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.log)
}

func (a *fakeAPI) paths() []string {
	var out []string
	for _, r := range a.requests() {
		out = append(out, r.path)
	}
	return out
}

func (a *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	req := apiRequest{path: r.URL.Path, query: r.URL.Query(), agent: r.Header.Get("User-Agent"), cache: r.Header.Get("Cache-Control")}
	if a.clock != nil {
		req.at = a.clock.Now()
	}
	a.log = append(a.log, req)
	var refused *refusal
	if len(a.refuse) > 0 {
		refused = &a.refuse[0]
		a.refuse = a.refuse[1:]
	}
	a.mu.Unlock()

	if refused != nil {
		if refused.retryAfter != "" {
			w.Header().Set("Retry-After", refused.retryAfter)
		}
		writeJSON(w, refused.status, fmt.Appendf(nil, `{"status":%d,"message":"%s"}`, refused.status, http.StatusText(refused.status)))
		return
	}
	if r.Method != http.MethodGet {
		http.Error(w, "method", http.StatusMethodNotAllowed)
		return
	}
	path := r.URL.Path
	switch {
	case path == "/api/v1/documents.json" || path == "/api/v1/documents":
		a.search(w, r.URL.Query())
	case strings.HasPrefix(path, "/api/v1/documents/") && strings.HasSuffix(path, ".json"):
		number := strings.TrimSuffix(strings.TrimPrefix(path, "/api/v1/documents/"), ".json")
		a.mu.Lock()
		i := slices.IndexFunc(a.docs, func(d map[string]any) bool { return str(d, "document_number") == number })
		var doc map[string]any
		if i >= 0 {
			doc = a.docs[i]
		}
		a.mu.Unlock()
		if doc == nil {
			writeJSON(w, http.StatusNotFound, []byte(`{"status":404,"message":"Record not found"}`))
			return
		}
		out, err := project(doc, r.URL.Query()["fields[]"])
		if err != nil {
			writeJSON(w, http.StatusBadRequest, fmt.Appendf(nil, `{"status":400,"message":%q}`, err.Error()))
			return
		}
		a.writeValue(w, out)
	case path == "/api/v1/public-inspection-documents/current.json":
		a.mu.Lock()
		desk := slices.Clone(a.desk)
		a.mu.Unlock()
		body := map[string]any{"count": len(desk)}
		if len(desk) > 0 {
			body["results"] = desk
		}
		a.writeValue(w, body)
	case strings.HasPrefix(path, "/api/v1/public-inspection-documents/") && strings.HasSuffix(path, ".json"):
		number := strings.TrimSuffix(strings.TrimPrefix(path, "/api/v1/public-inspection-documents/"), ".json")
		a.mu.Lock()
		f := a.filings[number]
		a.mu.Unlock()
		if f == nil {
			writeJSON(w, http.StatusNotFound, []byte(`{"status":404,"message":"Record not found"}`))
			return
		}
		a.writeValue(w, f)
	default:
		a.mu.Lock()
		b, ok := a.files[path]
		a.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		if strings.HasSuffix(path, ".xml") {
			w.Header().Set("Content-Type", "application/xml")
		} else {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		}
		w.Write(b)
	}
}

func (a *fakeAPI) writeValue(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		a.t.Error(err)
	}
	writeJSON(w, http.StatusOK, b)
}

// search answers documents.json.
func (a *fakeAPI) search(w http.ResponseWriter, q url.Values) {
	fail := func(msg string) {
		writeJSON(w, http.StatusBadRequest, fmt.Appendf(nil, `{"status":400,"message":%q}`, msg))
	}
	agencies := q["conditions[agencies][]"]
	if len(agencies) > 1 {
		a.t.Errorf("got a request for agencies %q, want at most one (the API may honour only the first)", agencies)
	}
	var types []string
	for _, t := range q["conditions[type][]"] {
		name, ok := documentTypes[t]
		if !ok {
			fail("invalid type " + t)
			return
		}
		types = append(types, name)
	}
	gte, lte := q.Get("conditions[publication_date][gte]"), q.Get("conditions[publication_date][lte]")
	term := strings.ToLower(strings.Trim(q.Get("conditions[term]"), `"`))
	perPage := 20
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			fail("invalid per_page")
			return
		}
		perPage = min(n, 1000)
	}
	pageNo := 1
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			fail("invalid page")
			return
		}
		pageNo = n
	}

	a.mu.Lock()
	var found []map[string]any
	for _, rec := range a.docs {
		pub := str(rec, "publication_date")
		switch {
		case gte != "" && pub < gte, lte != "" && pub > lte:
			continue
		case len(agencies) == 1 && !hasAgency(rec, agencies[0]):
			continue
		case len(types) > 0 && !slices.Contains(types, str(rec, "type")):
			continue
		case term != "" && !a.mentions(rec, term):
			continue
		}
		found = append(found, rec)
	}
	a.mu.Unlock()
	if q.Get("order") == "newest" {
		slices.Reverse(found)
	}

	count := min(len(found), searchCap)
	pages := min((count+perPage-1)/perPage, pageCap)
	if pageNo > pageCap {
		fail("page beyond the last page")
		return
	}
	body := map[string]any{"description": "stand-in", "count": count, "total_pages": pages}
	var results []any
	for _, rec := range found[min((pageNo-1)*perPage, count):min(pageNo*perPage, count)] {
		out, err := project(rec, q["fields[]"])
		if err != nil {
			fail(err.Error())
			return
		}
		results = append(results, out)
	}
	if len(results) > 0 {
		body["results"] = results
	}
	if pageNo < pages {
		next := url.Values{}
		for k, v := range q {
			next[k] = v
		}
		next.Set("page", strconv.Itoa(pageNo+1))
		next.Set("format", "json")
		body["next_page_url"] = "https://www.federalregister.gov/api/v1/documents?" + next.Encode()
	}
	a.writeValue(w, body)
}

// mentions reports whether the record's title, abstract or full texts hold term (lower case).
func (a *fakeAPI) mentions(rec map[string]any, term string) bool {
	for _, k := range []string{"title", "abstract"} {
		if s, _ := rec[k].(string); strings.Contains(strings.ToLower(s), term) {
			return true
		}
	}
	for _, k := range []string{"full_text_xml_url", "raw_text_url", "body_html_url"} {
		link, _ := rec[k].(string)
		u, err := url.Parse(link)
		if link == "" || err != nil {
			continue
		}
		if b, ok := a.files[u.Path]; ok && bytes.Contains(bytes.ToLower(b), []byte(term)) {
			return true
		}
	}
	return false
}

// project keeps the fields asked for (all when none is), as the API does.
func project(rec map[string]any, fields []string) (map[string]any, error) {
	if len(fields) == 0 {
		return rec, nil
	}
	out := make(map[string]any, len(fields))
	for _, f := range fields {
		v, ok := rec[f]
		if !ok && !slices.Contains(knownFields, f) {
			return nil, fmt.Errorf("field '%s' not valid", f)
		}
		out[f] = v
	}
	return out, nil
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
