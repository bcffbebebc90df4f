package match

import (
	"bytes"
	"html"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/vigilbot/vigil/internal/fixtures"
	"github.com/vigilbot/vigil/watchers"
	"github.com/vigilbot/vigil/watchers/screening"
)

var (
	xmlRow = regexp.MustCompile(`(?s)<ROW[^>]*>(.*?)</ROW>`)
	xmlEnt = regexp.MustCompile(`(?s)<ENT[^>]*>(.*?)</ENT>`)
	xmlTag = regexp.MustCompile(`<[^>]*>`)
)

// plainText strips the tags of a Federal Register XML fragment.
func plainText(x string) string {
	return strings.Join(strings.Fields(html.UnescapeString(xmlTag.ReplaceAllString(x, " "))), " ")
}

// The Entity List rule of 2023-02-27 (88 FR 12170) as the pipeline sees it: its table rows,
// one string per row with cells joined by " | ". Watches spelt the way users and lists spell
// them find the rows, whatever suffix spelling the rule uses.
func TestMatchEntityListRule(t *testing.T) {
	x := string(fixtures.Read(t, "federalregister/2023-03929.rule.xml"))
	var it watchers.Item
	for _, row := range xmlRow.FindAllStringSubmatch(x, -1) {
		var cells []string
		for _, ent := range xmlEnt.FindAllStringSubmatch(row[1], -1) {
			cells = append(cells, plainText(ent[1]))
		}
		it.Rows = append(it.Rows, strings.Join(cells, " | "))
	}
	it.Body = plainText(xmlRow.ReplaceAllString(x, " "))
	ws := []watchers.Watch{
		named(1, "Beijing Yunze Technology Company Limited"),
		named(2, "Spacety Company Limited", "Spacety Luxembourg SA"),
		named(3, "China HEAD Aerospace Technology Company"),
		named(4, "Electronic Network Incorporated"),
		named(5, "CPUNTO Incorporated", "CPUNTO"),
		{ID: 6, Channel: "console:main", Name: "Hangzhou Hikvision Digital Technology", Aliases: []string{"Hikvision"}},
	}
	rows := map[int64]map[int]bool{}
	for _, m := range New(ws).Match(it) {
		if m.Field != watchers.FieldTableRow {
			continue
		}
		i := strings.Count(it.Text(watchers.FieldTableRow)[:m.Start], "\n")
		if m.Snippet != strings.Join(strings.Fields(it.Rows[i]), " ") && !strings.Contains(m.Snippet, "…") {
			t.Errorf("watch %d: got snippet %q, want row %d", m.WatchID, m.Snippet, i)
		}
		if rows[m.WatchID] == nil {
			rows[m.WatchID] = map[int]bool{}
		}
		rows[m.WatchID][i] = true
	}
	want := map[int64]int{1: 1, 2: 2, 3: 3, 4: 1, 5: 1, 6: 0} // rows naming each watch
	for id, n := range want {
		if got := len(rows[id]); got != n {
			t.Errorf("watch %d: got %d rows, want %d", id, got, n)
		}
	}
}

// A whole day of the Federal Register with no export-control document, against a screening
// list of 4,000 parties and 6,000 aliases: what remains are the list's own ambiguous aliases
// (given names such as "Patricia", acronyms such as "ICI") written as names, not common
// words that happen to spell an alias.
func TestMatchScreeningListOnQuietDay(t *testing.T) {
	data := fixtures.Read(t, "lists/csl.partial.watchman-2023-11-30.csv")
	data = data[:bytes.LastIndexByte(data[:len(data)-1], '\n')+1] // its last record is cut off
	es, err := screening.ReadCSL(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	ws := make([]watchers.Watch, len(es))
	for i, e := range es {
		ws[i] = watchers.Watch{ID: int64(i + 1), Channel: "console:main", Name: e.Name, Aliases: e.Aliases}
	}
	text := plainText(string(fixtures.Read(t, "federalregister/FR-2024-02-12.xml")))
	got := New(ws).Match(watchers.Item{Body: text})
	for _, m := range got {
		occ := text[m.Start:m.End]
		if !strings.ContainsFunc(occ, unicode.IsUpper) {
			t.Errorf("got %q for %s (alias %q), want no match written in lower case", occ, m.Entity, m.Alias)
		}
		if m.Alias == "B.O.T.H." {
			t.Errorf("got %q for the initialism %q, want the word both left alone", occ, m.Alias)
		}
	}
	if len(got) > 40 {
		t.Errorf("got %d matches, want a handful", len(got))
	}
}
