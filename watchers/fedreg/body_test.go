package fedreg

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilbot/vigil/watchers"
)

// checkWrapperText checks the text of full-text.93-32104.txt-with-html-wrapper.txt.
func checkWrapperText(t *testing.T, body string) {
	t.Helper()
	if !strings.HasPrefix(body, "[Federal Register Volume 59, Number 1 (Monday, January 3, 1994)]\n[Unknown Section]\n") {
		t.Errorf("got body starting %q, want the text without its HTML wrapper", body[:min(len(body), 120)])
	}
	if !strings.HasSuffix(body, "[FR Doc. 93-32104\nFiled 12-29-93; 2:14 pm]\nBilling code 4710-01-M") {
		t.Errorf("got body ending %q, want the FR Doc line and billing code", body[max(0, len(body)-120):])
	}
	for _, gone := range []string{"<html", "<pre>", "</pre>", "<a href", "</a>", "<title>"} {
		if strings.Contains(body, gone) {
			t.Errorf("got %q in the body, want the wrapper gone", gone)
		}
	}
	for _, kept := range []string{
		"From the Federal Register Online via the Government Publishing Office [www.gpo.gov]\n",
		"                Presidential Determination No. 94-7 of December 18,\n                1993\n",
		"(Presidential Sig.)<Clinton1>><Clinton2>", // part of the text, not markup
	} {
		if !strings.Contains(body, kept) {
			t.Errorf("got no %q in the body, want the text's own lines kept", kept)
		}
	}
}

// bisAPI serves the real January 2024 records, with the raw-text capture as the raw text
// of 2024-00190 and no XML for it.
func bisAPI(t *testing.T) *fakeAPI {
	t.Helper()
	api := newFakeAPI(t, nil)
	recs := records(t, fixture(t, "documents.search.2024-01.bis-subset.json"))
	api.addDocs(recs...)
	api.file("https://www.federalregister.gov/documents/full_text/text/2024/01/09/2024-00190.txt", fixture(t, "full-text.93-32104.txt-with-html-wrapper.txt"))
	return api
}

func bisSource(t *testing.T, api *fakeAPI) *Source {
	return newTestSource(t, api.base(), onClock(Options{
		Agencies: []string{"industry-and-security-bureau"},
		Since:    date("2024-01-09"),
	}, newFakeClock(time.Date(2024, 1, 9, 12, 0, 0, 0, time.UTC))))
}

// TestFetchBodyRawTextFallback: the XML first; when it cannot be had, the raw text, from
// the rebased links of the last poll, as body without rows.
func TestFetchBodyRawTextFallback(t *testing.T) {
	api := bisAPI(t)
	s := bisSource(t, api)
	items, err := s.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	it := find(t, items, "fr:2024-00190@published")
	if err := s.FetchBody(context.Background(), &it); err != nil {
		t.Fatal(err)
	}
	checkWrapperText(t, it.Body)
	if it.Rows != nil {
		t.Errorf("got %d rows from raw text, want none", len(it.Rows))
	}
	want := []string{
		"/api/v1/documents.json",
		"/documents/full_text/xml/2024/01/09/2024-00190.xml",
		"/documents/full_text/text/2024/01/09/2024-00190.txt",
	}
	if got := api.paths(); !slices.Equal(got, want) {
		t.Errorf("got requests %q, want %q", got, want)
	}
}

// TestFetchBodyLookup: without a Poll, the links come from the document's API record.
func TestFetchBodyLookup(t *testing.T) {
	doc := fixture(t, "document.2024-00190.bis.from-search.json")
	text := fixture(t, "full-text.93-32104.txt-with-html-wrapper.txt")
	srv := newStandIn(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/documents/2024-00190.json":
			writeJSON(w, http.StatusOK, doc)
		case "/documents/full_text/text/2024/01/09/2024-00190.txt":
			w.Write(text)
		default:
			http.NotFound(w, r)
		}
	})
	s := newTestSource(t, srv.base(), Options{})
	it := watchers.Item{ID: "fr:2024-00190", Step: watchers.StepPublished}
	if err := s.FetchBody(context.Background(), &it); err != nil {
		t.Fatal(err)
	}
	checkWrapperText(t, it.Body)
	if got := query(srv.requests()[0])["fields[]"]; !slices.Equal(got, bodyFields) {
		t.Errorf("got fields %q, want %q", got, bodyFields)
	}
}

// TestFetchBodyXML: the real Entity List rule, whose alias Intekh is named only in the
// Supplement No. 4 table: it comes as a row, never in the body; the XML is preferred to
// the raw text, which is not asked for.
func TestFetchBodyXML(t *testing.T) {
	rule := fixture(t, "2023-03929.rule.xml")
	tests := []struct {
		name   string
		record string
	}{
		{
			name:   "only XML",
			record: `{"raw_text_url":null,"full_text_xml_url":"https://www.federalregister.gov/documents/full_text/xml/2023/02/27/2023-03929.xml","body_html_url":null}`,
		},
		{
			name:   "XML and raw text",
			record: `{"raw_text_url":"https://www.federalregister.gov/documents/full_text/text/2023/02/27/2023-03929.txt","full_text_xml_url":"https://www.federalregister.gov/documents/full_text/xml/2023/02/27/2023-03929.xml"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newStandIn(t, func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/api/v1/documents/2023-03929.json":
					writeJSON(w, http.StatusOK, []byte(tt.record))
				case "/documents/full_text/xml/2023/02/27/2023-03929.xml":
					w.Header().Set("Content-Type", "application/xml")
					w.Write(rule)
				default:
					t.Errorf("got a request for %s, want none", r.URL.Path)
					http.NotFound(w, r)
				}
			})
			s := newTestSource(t, srv.base(), Options{})
			it := watchers.Item{ID: "fr:2023-03929", Step: watchers.StepPublished}
			if err := s.FetchBody(context.Background(), &it); err != nil {
				t.Fatal(err)
			}
			checkIntekhInRows(t, it)
			if n := len(srv.requests()); n != 2 {
				t.Errorf("got %d requests, want the lookup and the XML", n)
			}
		})
	}
}

// TestFetchBodyDailyIssue: a whole daily issue in GPO XML (97 documents, 70 tables) as a
// body: every table row is a row, apart from the running text.
func TestFetchBodyDailyIssue(t *testing.T) {
	issue := fixture(t, "FR-2024-02-12.xml")
	api := newFakeAPI(t, nil)
	api.addDocs(map[string]any{
		"document_number":   "2024-02801",
		"publication_date":  "2024-02-12",
		"full_text_xml_url": "https://www.federalregister.gov/documents/full_text/xml/2024/02/12/2024-02801.xml",
	})
	api.file("https://www.federalregister.gov/documents/full_text/xml/2024/02/12/2024-02801.xml", issue)
	s := newTestSource(t, api.base(), Options{})
	it := watchers.Item{ID: "fr:2024-02801", Step: watchers.StepPublished}
	if err := s.FetchBody(context.Background(), &it); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(it.Body, "\n")
	if len(lines) < 1000 || !slices.Contains(lines, "Monday, February 12, 2024") {
		t.Errorf("got %d lines, want a whole issue with its date", len(lines))
	}
	for _, l := range lines {
		if l == "" || l != strings.TrimSpace(l) || strings.Contains(l, "  ") {
			t.Fatalf("got line %q, want lines trimmed, non-empty, with whitespace folded", l)
		}
	}
	if len(it.Rows) < 400 {
		t.Errorf("got %d rows, want the issue's table rows (492 ROW elements, a few empty)", len(it.Rows))
	}
	for _, want := range []string{
		"Inspection | 0.50 work-hour × $85 per hour = $42.50 | $0 | $42.50 | $20,485",
		"BLA | Biologics License Application.",
	} {
		if !slices.Contains(it.Rows, want) {
			t.Errorf("got no row %q", want)
		}
		if strings.Contains(it.Body, want) {
			t.Errorf("got row %q in the body too, want it only among the rows", want)
		}
	}
	for _, r := range it.Rows {
		if r == "" || r != strings.TrimSpace(r) || strings.Contains(r, "\n") || !strings.ContainsFunc(r, isAlnum) {
			t.Fatalf("got row %q, want one trimmed line with some text", r)
		}
	}
	// Column headings are the body's, where a row's evidence would be meaningless.
	if !slices.Contains(lines, "Actions | Labor cost | Parts cost | Cost per product") {
		t.Errorf("got no heading line for the On-Condition Costs table")
	}
}

func TestFetchBodyPublicInspection(t *testing.T) {
	api := newFakeAPI(t, nil)
	desk := deskRecords(t)
	noText := changed(desk[1], map[string]any{"document_number": "2026-19999", "raw_text_url": nil})
	api.setDesk(append(desk, noText)...)
	api.file("https://www.federalregister.gov/public-inspection/raw_text/202/619/930.txt",
		[]byte("BILLING CODE 3510-DS-P\r\nDEPARTMENT OF COMMERCE   \r\nInternational Trade Administration\r\n"))
	api.file("https://www.federalregister.gov/public-inspection/raw_text/201/700/854.txt", []byte("BILLING CODE 3410-34-P\n"))
	s := newTestSource(t, api.base(), onClock(Options{}, newFakeClock(time.Date(2026, 9, 29, 15, 0, 0, 0, time.UTC))))
	items, err := s.PollPublicInspection(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	it := find(t, items, "fr:2026-19930@public_inspection")
	if err := s.FetchBody(context.Background(), &it); err != nil {
		t.Fatal(err)
	}
	if want := "BILLING CODE 3510-DS-P\nDEPARTMENT OF COMMERCE\nInternational Trade Administration"; it.Body != want || it.Rows != nil {
		t.Errorf("got body %q and %d rows, want %q", it.Body, len(it.Rows), want)
	}
	withdrawn := find(t, items, "fr:2017-00854@withdrawn")
	if err := s.FetchBody(context.Background(), &withdrawn); err != nil || withdrawn.Body != "BILLING CODE 3410-34-P" {
		t.Errorf("withdrawn: got body %q, %v; want its raw text", withdrawn.Body, err)
	}
	none := find(t, items, "fr:2026-19999@public_inspection")
	if err := s.FetchBody(context.Background(), &none); !errors.Is(err, ErrNoFullText) {
		t.Errorf("a filing without raw text: got %v, want ErrNoFullText (its PDF is not read)", err)
	}
	for _, p := range api.paths() {
		if strings.Contains(p, "/documents") {
			t.Errorf("got a request for %s, want a filing's text from the desk only", p)
		}
	}
}

// changed returns a copy of rec with some fields changed.
func changed(rec, change map[string]any) map[string]any {
	out := maps.Clone(rec)
	maps.Copy(out, change)
	return out
}

func TestFetchBodyErrors(t *testing.T) {
	srv := newStandIn(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/documents/2024-00001.json":
			writeJSON(w, http.StatusOK, []byte(`{"raw_text_url":null,"full_text_xml_url":null,"body_html_url":null}`))
		case "/api/v1/documents/2024-00002.json":
			writeJSON(w, http.StatusOK, []byte(`{"raw_text_url":"https://www.federalregister.gov/t/2.txt","full_text_xml_url":"https://www.federalregister.gov/x/2.xml"}`))
		case "/x/2.xml":
			w.Header().Set("Retry-After", "600")
			writeJSON(w, http.StatusTooManyRequests, []byte(`{"status":429,"message":"slow down"}`))
		case "/t/2.txt":
			t.Error("got a request for the raw text after a 429, want none")
		default:
			writeJSON(w, http.StatusNotFound, []byte(`{"status":404,"message":"Record not found"}`))
		}
	})
	s := newTestSource(t, srv.base(), Options{})
	ctx := context.Background()

	it := watchers.Item{ID: "fr:2024-00001", Step: watchers.StepPublished}
	if err := s.FetchBody(ctx, &it); !errors.Is(err, ErrNoFullText) {
		t.Errorf("got %v, want ErrNoFullText", err)
	}
	// Legacy numbers are normalised to lower case but asked for as the API spells them.
	it = watchers.Item{ID: "fr:e9-12940", Step: watchers.StepPublished}
	err := s.FetchBody(ctx, &it)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound || apiErr.Endpoint != "/api/v1/documents/E9-12940.json" {
		t.Errorf("got %v, want the API's 404 for /api/v1/documents/E9-12940.json", err)
	}
	// A filing no longer on record.
	it = watchers.Item{ID: "fr:2026-00001", Step: watchers.StepPublicInspection}
	if err := s.FetchBody(ctx, &it); !errors.As(err, &apiErr) || apiErr.Endpoint != "/api/v1/public-inspection-documents/2026-00001.json" {
		t.Errorf("got %v, want the 404 of the filing's record", err)
	}
	// A correction is fetched by its own number, which only its facts hold.
	it = watchers.Item{ID: "fr:2023-03929", Step: watchers.StepCorrected}
	if err := s.FetchBody(ctx, &it); err == nil || !strings.Contains(err.Error(), "Document") {
		t.Errorf("got %v, want an error naming the missing Document fact", err)
	}
	// Told to slow down for longer than a call waits: stop, and do not ask for another form.
	it = watchers.Item{ID: "fr:2024-00002", Step: watchers.StepPublished}
	if err := s.FetchBody(ctx, &it); !errors.As(err, &apiErr) || apiErr.Status != http.StatusTooManyRequests || apiErr.RetryAfter != 10*time.Minute {
		t.Errorf("got %v, want the 429 with its Retry-After", err)
	}
	if err := s.FetchBody(ctx, &watchers.Item{ID: "guid:x"}); err == nil {
		t.Error("got no error for a feed item, want one")
	}
	if err := s.FetchBody(ctx, &watchers.Item{ID: "fr:../../etc", Step: watchers.StepPublished}); err == nil {
		t.Error("got no error for an ID that is no document number, want one")
	}
	if err := s.FetchBody(ctx, nil); err == nil {
		t.Error("got no error for a nil item, want one")
	}
}

func isAlnum(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 0x7f
}

func TestXMLTextRule(t *testing.T) {
	text, err := xmlText(fixture(t, "2023-03929.rule.xml"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(text.body, "\n")
	for _, want := range []string{
		"Additions of Entities to the Entity List",
		"Final rule.",
		"Supplement No. 4 to Part 744—Entity List",
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("got no body line %q", want)
		}
	}
	for _, want := range []string{
		"Country | Entity | License requirement | License review policy | Federal Register citation",
		"CANADA | * * * * * *",
	} {
		if !slices.Contains(text.rows, want) {
			t.Errorf("got no row %q", want)
		}
	}
	// A row is one line: the entity with its aliases (list items) and every other cell, and
	// footnote markers do not stick digits to the text.
	if !slices.ContainsFunc(text.rows, func(l string) bool {
		return strings.HasPrefix(l, "Electronic Network Inc., a.k.a., the following six aliases: —Electronic Network; —Electronic Network Holdings;") &&
			strings.Contains(l, "—Electronic's Network & Technology Corp. | For all items subject to the EAR. (See §§ 734.9(g), 744.21(b), and 746.8(a)(3) of the EAR) | Policy of denial")
	}) {
		t.Errorf("got no one-line row for Electronic Network Inc. in\n%s", strings.Join(text.rows, "\n"))
	}
	// An address in a row is in the row only.
	if strings.Contains(text.body, "145 Montee De Liesse") || !slices.ContainsFunc(text.rows, func(r string) bool {
		return strings.Contains(r, "145 Montee De Liesse Ste 10 St. Laurent, Quebec H4T 1T9 Canada.")
	}) {
		t.Error("got the address of an entry outside its row")
	}
	if strings.Contains(text.body, "<") || slices.ContainsFunc(text.rows, func(r string) bool { return strings.Contains(r, "<") }) {
		t.Error("got markup left in the text")
	}
}

func TestHTMLText(t *testing.T) {
	const page = `<!DOCTYPE html><html><head><title>Ignored</title><style>p{}</style></head><body>
<h1>Addition of Entities</h1>
<p>The ERC determined to add
   <em>Hangzhou Hikvision</em> &amp; others.</p>
<table><thead><tr><th>Country</th><th>Entity</th></tr></thead>
<tbody><tr><th>CHINA</th><td>Hangzhou Hikvision Digital Technology Co., Ltd.<br>a.k.a. Hikvision</td><td></td></tr></tbody></table>
<script>var x = "<p>not text</p>";</script>
<pre>line one
line two</pre>
</body></html>`
	got, err := htmlText([]byte(page))
	if err != nil {
		t.Fatal(err)
	}
	want := fullText{
		body: strings.Join([]string{
			"Addition of Entities",
			"The ERC determined to add Hangzhou Hikvision & others.",
			"Country | Entity",
			"line one",
			"line two",
		}, "\n"),
		rows: []string{"CHINA | Hangzhou Hikvision Digital Technology Co., Ltd. a.k.a. Hikvision"},
	}
	if got.body != want.body || !slices.Equal(got.rows, want.rows) {
		t.Errorf("got\n%s\n%q\nwant\n%s\n%q", got.body, got.rows, want.body, want.rows)
	}
}

func TestRawTextPlain(t *testing.T) {
	got, _ := rawText([]byte("\r\nA & B <not markup>  \r\n\r\n  indented\r\rold mac\n\n"))
	if want := "A & B <not markup>\n\n  indented\n\nold mac"; got.body != want || got.rows != nil {
		t.Errorf("got %q, %q; want %q and no rows", got.body, got.rows, want)
	}
}

// checkText checks what any extracted text must be: lines and rows trimmed, rows one line.
func checkText(t *testing.T, text fullText) {
	t.Helper()
	for _, l := range strings.Split(text.body, "\n") {
		if l != strings.TrimSpace(l) {
			t.Fatalf("got untrimmed line %q", l)
		}
	}
	for _, r := range text.rows {
		if r == "" || r != strings.TrimSpace(r) || strings.Contains(r, "\n") {
			t.Fatalf("got row %q, want one trimmed line", r)
		}
	}
}

func FuzzXMLText(f *testing.F) {
	f.Add([]byte(`<RULE><P>a<SU>1</SU></P><GPOTABLE><BOXHD><CHED>h</CHED></BOXHD><ROW><ENT>x<LI>y</LI></ENT></ROW></GPOTABLE></RULE>`))
	f.Add([]byte(`<ROW><ENT><ROW>`))
	f.Add([]byte(`</ENT></ROW><P>&amp;&nbsp;`))
	f.Fuzz(func(t *testing.T, b []byte) {
		text, err := xmlText(b)
		if err != nil {
			return
		}
		checkText(t, text)
	})
}

func FuzzHTMLText(f *testing.F) {
	f.Add([]byte(`<table><tr><td>a<td>b</tr></table><pre>x
y</pre>`))
	f.Add([]byte(`<td><tr></td></tr></td><script>`))
	f.Add([]byte(`<tr><th>h<tr><td>d<table><tr><td>in</table>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		text, err := htmlText(b)
		if err != nil {
			t.Fatal(err)
		}
		checkText(t, text)
	})
}

func FuzzRawText(f *testing.F) {
	f.Add([]byte("<html><body><pre>a <a href=x>b</a> &amp; c</pre></body></html>"))
	f.Add([]byte("<html><pre>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		text, _ := rawText(b)
		if strings.Contains(text.body, "\r") || text.rows != nil {
			t.Fatalf("got CR or rows in %q", text.body)
		}
	})
}
