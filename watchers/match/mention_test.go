package match

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/vigilbot/vigil/internal/fixtures"
	"github.com/vigilbot/vigil/watchers"
	"github.com/vigilbot/vigil/watchers/feed"
)

// mentions returns, for each watch, the mentions of its matches in field f, in text order.
func mentions(ms []watchers.Match, f watchers.Field) map[string][]watchers.Mention {
	out := map[string][]watchers.Mention{}
	for _, m := range ms {
		if m.Field == f {
			out[m.Entity] = append(out[m.Entity], m.Mention)
		}
	}
	return out
}

const (
	subj = watchers.MentionSubject
	pass = watchers.MentionPassing
)

// frAbstract returns the abstract of a document in the fixture of real Federal Register
// abstracts.
func frAbstract(t *testing.T, number string) (title, abstract string) {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(fixtures.Read(t, "federalregister/fr-abstracts.bis-export-controls.2020-2026.jsonl")))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r struct {
			Number   string `json:"document_number"`
			Title    string `json:"title"`
			Abstract string `json:"abstract"`
		}
		if json.Unmarshal(sc.Bytes(), &r) == nil && r.Number == number {
			return r.Title, r.Abstract
		}
	}
	t.Fatalf("no abstract of %s in the fixture", number)
	return "", ""
}

// The first sentence of a real Federal Register abstract names the document's subject;
// abbreviations ("U.S.", "Co., Ltd.", "Co. Ltd.") do not end it, while a sentence that
// ends with one does end when the next begins like a sentence ("Ltd. That rule").
func TestMentionInFederalRegisterAbstracts(t *testing.T) {
	tests := []struct {
		doc     string
		watches []watchers.Watch
		want    map[string][]watchers.Mention // in the abstract, by watch
	}{{
		// "The U.S. Government has decided to extend … to Huawei Technologies Co., Ltd.
		// (Huawei) and … on the Entity List. In order to implement this decision, …"
		doc:     "2020-03144",
		watches: []watchers.Watch{named(1, "Huawei Technologies", "Huawei"), named(2, "Entity List")},
		want:    map[string][]watchers.Mention{"Huawei Technologies": {subj, subj}, "Entity List": {subj}},
	}, {
		// Huawei is named only in the second sentence, about an earlier rule.
		doc:     "2022-07643",
		watches: []watchers.Watch{named(1, "Huawei Technologies", "Huawei"), named(2, "Bureau of Industry and Security")},
		want:    map[string][]watchers.Mention{"Huawei Technologies": {pass, pass}, "Bureau of Industry and Security": {subj}},
	}, {
		// "… for Samsung China Semiconductor Co. Ltd. and SK hynix Semiconductor (China) Ltd.
		// In addition, …": the company after "Co. Ltd. and" is still in the first sentence.
		doc:     "2023-22873",
		watches: []watchers.Watch{named(1, "SK hynix Semiconductor (China)"), named(2, "Samsung China Semiconductor")},
		want:    map[string][]watchers.Mention{"SK hynix Semiconductor (China)": {subj}, "Samsung China Semiconductor": {subj}},
	}, {
		// "… SK hynix Semiconductor (China) Ltd. That rule inadvertently omitted … SK Hynix
		// Semiconductor (China) Ltd.; …": "Ltd. That" ends the first sentence.
		doc:     "2023-23312",
		watches: []watchers.Watch{named(1, "SK hynix Semiconductor (China)"), named(2, "SK hynix Semiconductor (Wuxi)")},
		want:    map[string][]watchers.Mention{"SK hynix Semiconductor (China)": {subj, pass, pass}, "SK hynix Semiconductor (Wuxi)": {pass, pass}},
	}, {
		// Three sentences; "the U.S. Government" in the second does not join it to the first.
		doc:     "2023-03929",
		watches: []watchers.Watch{named(1, "Department of Commerce"), named(2, "U.S. Government"), named(3, "Luxembourg")},
		want:    map[string][]watchers.Mention{"Department of Commerce": {subj}, "U.S. Government": {pass}, "Luxembourg": {pass}},
	}}
	for _, tt := range tests {
		t.Run(tt.doc, func(t *testing.T) {
			title, abstract := frAbstract(t, tt.doc)
			it := watchers.Item{ID: "fr:" + tt.doc, Step: watchers.StepPublished, Title: title, Abstract: abstract}
			got := mentions(New(tt.watches).Match(it), watchers.FieldAbstract)
			for entity, want := range tt.want {
				if !slicesEqual(got[entity], want) {
					t.Errorf("%s in %q:\ngot  %v\nwant %v", entity, abstract, got[entity], want)
				}
			}
		})
	}
}

// An Entity List rule's table row lists the entity: the subject, however often the
// preamble also names it in passing. The same document on the public-inspection desk
// comes as plain text without rows, where a listing cannot be told from prose: every
// occurrence in its body counts as the subject.
func TestMentionInEntityListRule(t *testing.T) {
	x := string(fixtures.Read(t, "federalregister/2023-03929.rule.xml"))
	title, abstract := frAbstract(t, "2023-03929")
	published := watchers.Item{ID: "fr:2023-03929", Step: watchers.StepPublished, Title: title, Abstract: abstract}
	for _, row := range xmlRow.FindAllStringSubmatch(x, -1) {
		var cells []string
		for _, ent := range xmlEnt.FindAllStringSubmatch(row[1], -1) {
			cells = append(cells, plainText(ent[1]))
		}
		published.Rows = append(published.Rows, strings.Join(cells, " | "))
	}
	published.Body = plainText(xmlRow.ReplaceAllString(x, " "))
	m := New([]watchers.Watch{named(1, "Spacety Company Limited", "Spacety"), named(2, "CPUNTO")})

	ms := m.Match(published)
	for _, entity := range []string{"Spacety Company Limited", "CPUNTO"} {
		rows, body := mentions(ms, watchers.FieldTableRow)[entity], mentions(ms, watchers.FieldBody)[entity]
		if len(rows) == 0 || len(body) == 0 {
			t.Fatalf("%s: %d row and %d body occurrences, want both", entity, len(rows), len(body))
		}
		if !all(rows, subj) || !all(body, pass) {
			t.Errorf("%s: rows %v, body %v; want rows subject, body passing", entity, rows, body)
		}
	}
	if watchers.PassingOnly(ms) {
		t.Error("the rule counts as passing only; its rows list the entities")
	}

	filed := published
	filed.Step, filed.Rows, filed.Abstract = watchers.StepPublicInspection, nil, "Filed for public inspection."
	filed.Body = plainText(x) // the rows' text inside the prose, as in the raw text
	for _, mt := range m.Match(filed) {
		if mt.Mention != subj {
			t.Errorf("filing: %s in %s at %d is %q, want subject", mt.Entity, mt.Field, mt.Start, mt.Mention)
		}
	}
}

// News from a real feed (the Guardian, as the feed parser reads it): the title and the
// lead sentence — the standfirst, which has no full stop, and the sentence it runs into —
// name the subject; later sentences mention in passing.
func TestMentionInNews(t *testing.T) {
	res, err := feed.Parse("guardian", "https://www.theguardian.com/us/rss", fixtures.Read(t, "feeds/rss-parser/guardian.rss"), "application/rss+xml")
	if err != nil {
		t.Fatal(err)
	}
	item := func(t *testing.T, title string) watchers.Item {
		t.Helper()
		for _, it := range res.Items {
			if it.Title == title {
				return it
			}
		}
		t.Fatalf("no item %q in the feed", title)
		return watchers.Item{}
	}
	tests := []struct {
		title   string
		watches []watchers.Watch
		want    map[watchers.Field]map[string][]watchers.Mention
		passing bool // every occurrence is a passing mention
	}{{
		title:   "Trump sues over property tax bill for Florida golf club",
		watches: []watchers.Watch{named(1, "Palm Beach County"), named(2, "Dorothy Jacks"), named(3, "Trump National Golf Club")},
		want: map[watchers.Field]map[string][]watchers.Mention{watchers.FieldAbstract: {
			"Palm Beach County": {subj, pass}, "Dorothy Jacks": {pass}, "Trump National Golf Club": {subj},
		}},
	}, {
		title:   "UN urged to launch global effort to end offshore tax evasion",
		watches: []watchers.Watch{named(1, "Tax Justice Network"), named(2, "Financial Secrecy Index")},
		want: map[watchers.Field]map[string][]watchers.Mention{watchers.FieldAbstract: {
			"Tax Justice Network": {subj}, "Financial Secrecy Index": {pass},
		}},
	}, {
		title:   "'He cheats like hell': Trump's pro golfing partner on playing with the president",
		watches: []watchers.Watch{named(1, "Verdens Gang")},
		want: map[watchers.Field]map[string][]watchers.Mention{watchers.FieldAbstract: {
			"Verdens Gang": {pass},
		}},
		passing: true,
	}, {
		title:   "Glee actor Mark Salling found dead aged 35",
		watches: []watchers.Watch{named(1, "Glee")},
		want: map[watchers.Field]map[string][]watchers.Mention{
			watchers.FieldTitle:    {"Glee": {subj}},
			watchers.FieldAbstract: {"Glee": {subj}},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.title, func(t *testing.T) {
			it := item(t, tt.title)
			ms := New(tt.watches).Match(it)
			for f, byEntity := range tt.want {
				got := mentions(ms, f)
				for entity, want := range byEntity {
					if !slicesEqual(got[entity], want) {
						t.Errorf("%s in %s of %q:\ngot  %v\nwant %v", entity, f, it.Text(f), got[entity], want)
					}
				}
			}
			if got := watchers.PassingOnly(ms); got != tt.passing {
				t.Errorf("PassingOnly = %v, want %v", got, tt.passing)
			}
		})
	}
}

// Where an item has no abstract its body is the lead; where it has one, the body holds
// passing mentions only.
func TestMentionLeadIsAbstractOrBody(t *testing.T) {
	m := New([]watchers.Watch{named(1, "Dahua")})
	tests := []struct {
		name string
		it   watchers.Item
		want []watchers.Mention
	}{
		{"body as lead", watchers.Item{Body: "Dahua Technology Co. Ltd. reported results. Analysts cited Dahua again."}, []watchers.Mention{subj, pass}},
		{"body after an abstract", watchers.Item{Abstract: "Camera makers report.", Body: "Dahua reported results."}, []watchers.Mention{pass}},
		{"blank line ends the lead", watchers.Item{Abstract: "Camera makers report\n\nDahua reported results"}, []watchers.Mention{pass}},
		{"standfirst runs into the lead", watchers.Item{Abstract: "Camera makers report\nDahua reported results. Then more."}, []watchers.Mention{subj}},
		{"Inc. However ends a sentence", watchers.Item{Abstract: "Shares of Acme Inc. However, Dahua fell."}, []watchers.Mention{pass}},
		{"Co. and continues", watchers.Item{Abstract: "Shares of Acme Co. and Dahua fell."}, []watchers.Mention{subj}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []watchers.Mention
			for _, mt := range m.Match(tt.it) {
				got = append(got, mt.Mention)
			}
			if !slicesEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func slicesEqual(a, b []watchers.Mention) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func all(ms []watchers.Mention, want watchers.Mention) bool {
	for _, m := range ms {
		if m != want {
			return false
		}
	}
	return true
}
