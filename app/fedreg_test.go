package app

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/vigilbot/vigil/internal/fixtures"
)

// fakeFederalRegister serves captured API answers on loopback: a documents search page,
// an empty public-inspection list, raw text for most documents, and a real BIS Entity List
// rule as the XML of one document whose raw text is missing.
func fakeFederalRegister(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var page map[string]any
	if err := json.Unmarshal(fixtures.Read(t, "federalregister/documents.search.2024-01.bis-subset.json"), &page); err != nil {
		t.Fatal(err)
	}
	delete(page, "next_page_url") // one page is enough here; paging has its own tests
	search, _ := json.Marshal(page)
	ruleXML := fixtures.Read(t, "federalregister/2023-03929.rule.xml")
	rawText := fixtures.Read(t, "federalregister/full-text.93-32104.txt-with-html-wrapper.txt")
	var bodies atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/api/v1/documents.json":
			w.Write(search)
		case r.URL.Path == "/api/v1/public-inspection-documents/current.json":
			fmt.Fprint(w, `{"count":0}`)
		case strings.Contains(r.URL.Path, "/full_text/text/") && strings.Contains(r.URL.Path, "2024-00422"):
			http.NotFound(w, r)
		case strings.Contains(r.URL.Path, "/full_text/xml/") && !strings.Contains(r.URL.Path, "2024-00422"):
			http.NotFound(w, r) // the others have raw text only
		case strings.Contains(r.URL.Path, "/full_text/text/"):
			bodies.Add(1)
			w.Write(rawText)
		case strings.Contains(r.URL.Path, "/full_text/xml/") && strings.Contains(r.URL.Path, "2024-00422"):
			bodies.Add(1)
			w.Write(ruleXML)
		default:
			t.Logf("fake Federal Register: no answer for %s", r.URL)
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &bodies
}

// An entity whose alias appears only in a rule's Supplement No. 4 table is alerted, with
// the table row as evidence, under the document's number as the event key.
func TestFederalRegisterBodyMatch(t *testing.T) {
	srv, bodies := fakeFederalRegister(t)
	dir := t.TempDir()
	cfg := testConfig(t, fmt.Sprintf(`
database:
  url: sqlite:%s
sources:
  - name: fedreg
    type: federalregister
    base_url: %s/api/v1
    agencies: [industry-and-security-bureau]
channels:
  - id: console:main
    watches:
      - name: Innovation and Technologies LLC
        aliases: [Intekh]
`, filepath.Join(dir, "vigil.db"), srv.URL))

	scan := func() []alertRecord { t.Helper(); return scanRecords(t, cfg, ScanOptions{All: true}) }

	got := scan()
	if len(got) != 1 {
		t.Fatalf("got %d alerts, want 1: %+v", len(got), got)
	}
	a := got[0]
	if a.EventKey != "fr:2024-00422" || a.ItemID != "fr:2024-00422" || a.Source != "fedreg" ||
		!strings.HasPrefix(a.URL, "https://www.federalregister.gov/") {
		t.Errorf("alert: got %+v", a)
	}
	var inRow bool
	for _, m := range a.Matched {
		if m.Where == "table_row" && m.Alias == "Intekh" && strings.Contains(m.Snippet, "Intekh") {
			inRow = true
		}
		if m.Where == "body" && m.Alias == "Intekh" {
			t.Errorf("Intekh matched in the body, but it is only in a table row: %+v", m)
		}
	}
	if !inRow {
		t.Errorf("no table-row evidence naming Intekh in %+v", a.Matched)
	}
	fetched := bodies.Load()
	if fetched == 0 {
		t.Fatal("no full text was fetched")
	}

	// Seen documents are neither alerted nor fetched again.
	if again := scan(); len(again) != 0 {
		t.Errorf("second scan: got %d alerts, want 0", len(again))
	}
	if n := bodies.Load(); n != fetched {
		t.Errorf("second scan fetched %d more full texts, want 0", n-fetched)
	}
}
