package fedreg

import (
	"context"
	"errors"
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

func TestFetchBodyRawText(t *testing.T) {
	recs := records(t, fixture(t, "documents.search.2024-01.bis-subset.json"))
	text := fixture(t, "full-text.93-32104.txt-with-html-wrapper.txt")
	search := fakeSearch(t, recs)
	srv := newStandIn(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/documents.json":
			search(w, r)
		case "/documents/full_text/text/2024/01/09/2024-00190.txt":
			w.Header().Set("Content-Type", "text/plain")
			w.Write(text)
		default:
			http.NotFound(w, r)
		}
	})
	s := newTestSource(t, srv.base(), Options{
		Agencies: []string{"industry-and-security-bureau"},
		Since:    date("2024-01-09"),
		Now:      fixedNow(time.Date(2024, 1, 9, 12, 0, 0, 0, time.UTC)),
	})
	items, err := s.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(items, func(it watchers.Item) bool { return it.ID == "fr:2024-00190" })
	if i < 0 {
		t.Fatalf("got no fr:2024-00190 in %d items", len(items))
	}
	it := items[i]
	if err := s.FetchBody(context.Background(), &it); err != nil {
		t.Fatal(err)
	}
	checkWrapperText(t, it.Body)
	reqs := srv.requests()
	if last := reqs[len(reqs)-1]; len(reqs) != 2 || last.URL.Path != "/documents/full_text/text/2024/01/09/2024-00190.txt" {
		t.Errorf("got %d requests, the last for %s; want the search, then the rebased raw_text_url", len(reqs), last.URL.Path)
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
	it := watchers.Item{ID: "fr:2024-00190"}
	if err := s.FetchBody(context.Background(), &it); err != nil {
		t.Fatal(err)
	}
	checkWrapperText(t, it.Body)
	if got := query(srv.requests()[0])["fields[]"]; !slices.Equal(got, bodyFields) {
		t.Errorf("got fields %q, want %q", got, bodyFields)
	}
}

func TestFetchBodyXML(t *testing.T) {
	rule := fixture(t, "2023-03929.rule.xml")
	tests := []struct {
		name   string
		record string
		raw    int // status of the raw text
	}{
		{
			name:   "only XML",
			record: `{"raw_text_url":null,"full_text_xml_url":"https://www.federalregister.gov/documents/full_text/xml/2023/02/27/2023-03929.xml","body_html_url":null}`,
		},
		{
			name:   "raw text missing",
			record: `{"raw_text_url":"https://www.federalregister.gov/documents/full_text/text/2023/02/27/2023-03929.txt","full_text_xml_url":"https://www.federalregister.gov/documents/full_text/xml/2023/02/27/2023-03929.xml"}`,
			raw:    http.StatusNotFound,
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
					http.NotFound(w, r)
				}
			})
			s := newTestSource(t, srv.base(), Options{})
			it := watchers.Item{ID: "fr:2023-03929"}
			if err := s.FetchBody(context.Background(), &it); err != nil {
				t.Fatal(err)
			}
			if !hasLine(it.Body, func(l string) bool {
				return strings.HasPrefix(l, "Innovation and Technologies LLC, a.k.a., the following two aliases: —Intekh; and —INTEKH OOO.") &&
					strings.HasSuffix(l, " | 88 FR [INSERT FR PAGE NUMBER AND 2/27/2023].")
			}) {
				t.Errorf("got no table row naming Intekh in\n%s", it.Body)
			}
		})
	}
}

func TestFetchBodyErrors(t *testing.T) {
	srv := newStandIn(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/documents/2024-00001.json":
			writeJSON(w, http.StatusOK, []byte(`{"raw_text_url":null,"full_text_xml_url":null,"body_html_url":null}`))
		case "/api/v1/documents/E9-12940.json":
			writeJSON(w, http.StatusNotFound, []byte(`{"status":404,"message":"Document not found"}`))
		default:
			http.NotFound(w, r)
		}
	})
	s := newTestSource(t, srv.base(), Options{})

	it := watchers.Item{ID: "fr:2024-00001"}
	if err := s.FetchBody(context.Background(), &it); !errors.Is(err, ErrNoFullText) {
		t.Errorf("got %v, want ErrNoFullText", err)
	}
	// Legacy numbers are normalised to lower case but asked for as the API spells them.
	it = watchers.Item{ID: "fr:e9-12940"}
	err := s.FetchBody(context.Background(), &it)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound || apiErr.Endpoint != "/api/v1/documents/E9-12940.json" {
		t.Errorf("got %v, want the API's 404 for /api/v1/documents/E9-12940.json", err)
	}
	if err := s.FetchBody(context.Background(), &watchers.Item{ID: "guid:x"}); err == nil {
		t.Error("got no error for a feed item, want one")
	}
	if err := s.FetchBody(context.Background(), nil); err == nil {
		t.Error("got no error for a nil item, want one")
	}
}

func TestFetchBodyPublicInspection(t *testing.T) {
	desk := inspectionDesk(t)
	filing := "BILLING CODE 3510-DS-P\r\nDEPARTMENT OF COMMERCE   \r\nInternational Trade Administration\r\n"
	srv := newStandIn(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/public-inspection-documents/current.json":
			writeJSON(w, http.StatusOK, desk)
		case "/api/v1/documents.json":
			writeJSON(w, http.StatusOK, []byte(`{"count":0}`))
		case "/public-inspection/raw_text/202/619/930.txt":
			w.Write([]byte(filing))
		default:
			http.NotFound(w, r)
		}
	})
	s := newTestSource(t, srv.base(), Options{
		Agencies:         []string{"international-trade-administration"},
		PublicInspection: true,
		Now:              fixedNow(time.Date(2026, 9, 29, 15, 0, 0, 0, time.UTC)),
	})
	items, err := s.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 {
		t.Fatalf("got %d items, want 1", len(items))
	}
	if err := s.FetchBody(context.Background(), &items[0]); err != nil {
		t.Fatal(err)
	}
	if want := "BILLING CODE 3510-DS-P\nDEPARTMENT OF COMMERCE\nInternational Trade Administration"; items[0].Body != want {
		t.Errorf("got body %q, want %q", items[0].Body, want)
	}
}

func hasLine(text string, ok func(string) bool) bool {
	return slices.ContainsFunc(strings.Split(text, "\n"), ok)
}

func TestXMLTextRule(t *testing.T) {
	text, err := xmlText(fixture(t, "2023-03929.rule.xml"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(text, "\n")
	for _, want := range []string{
		"Additions of Entities to the Entity List",
		"Final rule.",
		"Country | Entity | License requirement | License review policy | Federal Register citation",
		"CANADA | * * * * * *",
		"145 Montee De Liesse Ste 10 St. Laurent, Quebec H4T 1T9 Canada.",
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("got no line %q", want)
		}
	}
	// A row is one line: the entity with its aliases (list items) and every other cell, and
	// footnote markers do not stick digits to the text.
	if !hasLine(text, func(l string) bool {
		return strings.HasPrefix(l, "Electronic Network Inc., a.k.a., the following six aliases: —Electronic Network; —Electronic Network Holdings;") &&
			strings.Contains(l, "—Electronic's Network & Technology Corp. | For all items subject to the EAR. (See §§ 734.9(g), 744.21(b), and 746.8(a)(3) of the EAR) | Policy of denial")
	}) {
		t.Errorf("got no one-line row for Electronic Network Inc. in\n%s", text)
	}
	if strings.Contains(text, "<") {
		t.Error("got markup left in the text")
	}
}

func TestXMLTextDailyIssue(t *testing.T) {
	text, err := xmlText(fixture(t, "FR-2024-02-12.xml"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(text, "\n")
	if len(lines) < 1000 || !slices.Contains(lines, "Monday, February 12, 2024") {
		t.Errorf("got %d lines, want a whole issue starting with its date", len(lines))
	}
	for _, l := range lines {
		if l == "" || l != strings.TrimSpace(l) || strings.Contains(l, "  ") {
			t.Fatalf("got line %q, want lines trimmed, non-empty, with whitespace folded", l)
		}
	}
}

func TestHTMLText(t *testing.T) {
	const page = `<!DOCTYPE html><html><head><title>Ignored</title><style>p{}</style></head><body>
<h1>Addition of Entities</h1>
<p>The ERC determined to add
   <em>Hangzhou Hikvision</em> &amp; others.</p>
<table><thead><tr><th>Country</th><th>Entity</th></tr></thead>
<tbody><tr><td>CHINA</td><td>Hangzhou Hikvision Digital Technology Co., Ltd.<br>a.k.a. Hikvision</td><td></td></tr></tbody></table>
<script>var x = "<p>not text</p>";</script>
<pre>line one
line two</pre>
</body></html>`
	got, err := htmlText([]byte(page))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"Addition of Entities",
		"The ERC determined to add Hangzhou Hikvision & others.",
		"Country | Entity",
		"CHINA | Hangzhou Hikvision Digital Technology Co., Ltd. a.k.a. Hikvision",
		"line one",
		"line two",
	}, "\n")
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestRawTextPlain(t *testing.T) {
	got, _ := rawText([]byte("\r\nA & B <not markup>  \r\n\r\n  indented\n\n"))
	if want := "A & B <not markup>\n\n  indented"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func FuzzXMLText(f *testing.F) {
	f.Add([]byte(`<RULE><P>a<SU>1</SU></P><GPOTABLE><ROW><ENT>x<LI>y</LI></ENT></ROW></GPOTABLE></RULE>`))
	f.Add([]byte(`<ROW><ENT><ROW>`))
	f.Add([]byte(`</ENT></ROW><P>&amp;&nbsp;`))
	f.Fuzz(func(t *testing.T, b []byte) {
		text, err := xmlText(b)
		if err != nil {
			return
		}
		for _, l := range strings.Split(text, "\n") {
			if l != strings.TrimSpace(l) {
				t.Fatalf("got untrimmed line %q", l)
			}
		}
	})
}

func FuzzHTMLText(f *testing.F) {
	f.Add([]byte(`<table><tr><td>a<td>b</tr></table><pre>x
y</pre>`))
	f.Add([]byte(`<td><tr></td></tr></td><script>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := htmlText(b); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzRawText(f *testing.F) {
	f.Add([]byte("<html><body><pre>a <a href=x>b</a> &amp; c</pre></body></html>"))
	f.Add([]byte("<html><pre>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		text, _ := rawText(b)
		if strings.Contains(text, "\r\n") {
			t.Fatalf("got CRLF in %q", text)
		}
	})
}
