package app

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/vigilbot/vigil/internal/fixtures"
)

// Through scans against a stand-in of the API: a rule on the public-inspection desk is
// alerted (its alias only in the filing's text), and the same rule published the next day is
// the same event — an edit of the alert and a reply in its thread, not a second alert.
func TestFederalRegisterPublicInspectionThenPublished(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "watchers", "fedreg", "testdata", "lifecycle", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var filing, doc map[string]any
	if err := json.Unmarshal(read("public-inspection-document.2023-03929.json"), &filing); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(read("document.2023-03929.json"), &doc); err != nil {
		t.Fatal(err)
	}
	filingText := read("public-inspection.2023-03929.txt")
	ruleXML := fixtures.Read(t, "federalregister/2023-03929.rule.xml")
	var published atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case p == "/api/v1/public-inspection-documents/current.json":
			json.NewEncoder(w).Encode(map[string]any{"count": 1, "results": []any{filing}})
		case p == "/api/v1/documents.json":
			if !published.Load() {
				fmt.Fprint(w, `{"count":0,"description":"Documents"}`)
				return
			}
			json.NewEncoder(w).Encode(map[string]any{"count": 1, "total_pages": 1, "results": []any{doc}})
		case strings.HasPrefix(p, "/public-inspection/raw_text/"):
			w.Write(filingText)
		case strings.HasSuffix(p, "/2023-03929.xml"):
			w.Write(ruleXML)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
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
    watches: [{name: Innovation and Technologies LLC, aliases: [Intekh]}]
`, filepath.Join(t.TempDir(), "vigil.db"), srv.URL))
	scan := func() []alertRecord { t.Helper(); return scanRecords(t, cfg, ScanOptions{All: true}) }
	got := scan()
	if len(got) != 1 || got[0].Kind != "new" || got[0].EventKey != "fr:2023-03929" || !strings.Contains(got[0].Summary, "Filed for public inspection") {
		t.Fatalf("public inspection: got %+v, want one new alert from the desk", got)
	}
	published.Store(true)
	got = scan()
	if len(got) != 2 || got[0].Kind != "update" || got[1].Kind != "followup" || got[0].EventKey != "fr:2023-03929" ||
		!strings.Contains(got[1].Note, "Published in the Federal Register") {
		t.Fatalf("published: got %+v, want an update and a follow-up of the same event", got)
	}
	var row bool
	for _, m := range got[0].Matched {
		row = row || (m.Where == "table_row" && m.Alias == "Intekh")
	}
	if !row {
		t.Errorf("the published rule's evidence: %+v, want the Supplement No. 4 row", got[0].Matched)
	}
	if again := scan(); len(again) != 0 {
		t.Errorf("a third scan: got %+v, want nothing new", again)
	}
}
