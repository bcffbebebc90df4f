package match

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/vigilbot/vigil/watchers"
)

// hik is the running example of the configuration documentation.
var hik = watchers.Watch{
	ID:      1,
	Channel: "console:main",
	Name:    "Hangzhou Hikvision Digital Technology",
	Aliases: []string{"Hikvision", "海康威视"},
	Exclude: []string{"Hikvision Road"},
}

func named(id int64, name string, aliases ...string) watchers.Watch {
	return watchers.Watch{ID: id, Channel: "console:main", Name: name, Aliases: aliases}
}

// show renders a match as field/watch/alias/"text as written"@start, so that a want list
// reads like the text it was found in.
func show(it watchers.Item, m watchers.Match) string {
	return fmt.Sprintf("%s/%d/%s/%q@%d", m.Field, m.WatchID, m.Alias, it.Text(m.Field)[m.Start:m.End], m.Start)
}

type matchCase struct {
	name    string
	watches []watchers.Watch
	item    watchers.Item
	want    []string
}

func runMatchCases(t *testing.T, tests []matchCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New(tt.watches)
			if got, want := m.Len(), len(tt.watches); got != want {
				t.Errorf("Len() = %d, want %d", got, want)
			}
			var got []string
			for _, mt := range m.Match(tt.item) {
				got = append(got, show(tt.item, mt))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(tt.want, "\n\t"))
			}
		})
	}
}

func body(s string) watchers.Item { return watchers.Item{Body: s} }

func TestMatchNormalisation(t *testing.T) {
	runMatchCases(t, []matchCase{
		{
			name:    "case",
			watches: []watchers.Watch{named(7, "ZTE")},
			item:    body("Zte and zTE and ZTE"),
			want:    []string{`body/7/ZTE/"Zte"@0`, `body/7/ZTE/"zTE"@8`, `body/7/ZTE/"ZTE"@16`},
		},
		{
			name:    "case: a text without capitals",
			watches: []watchers.Watch{named(7, "ZTE")},
			item:    body("zte said"),
			want:    []string{`body/7/ZTE/"zte"@0`},
		},
		{
			name:    "case: a term without capitals",
			watches: []watchers.Watch{named(7, "zte")},
			item:    body("Yes, zte said"),
			want:    []string{`body/7/zte/"zte"@5`},
		},
		{
			name:    "diacritics either way",
			watches: []watchers.Watch{named(1, "Café"), named(2, "Skoda")},
			item:    body("Cafe CAFÉ Cafe\u0301 ŠKODA"),
			want: []string{
				`body/1/Café/"Cafe"@0`, `body/1/Café/"CAFÉ"@5`, `body/1/Café/"Café"@11`, `body/2/Skoda/"ŠKODA"@18`,
			},
		},
		{
			name:    "full-width",
			watches: []watchers.Watch{named(1, "ZTE Corp")},
			item:    body("報道：ＺＴＥ　ＣＯＲＰ．は"),
			want:    []string{`body/1/ZTE Corp/"ＺＴＥ\u3000ＣＯＲＰ"@9`},
		},
		{
			name:    "typographic quotes",
			watches: []watchers.Watch{named(1, "Lowe's")},
			item:    body("Lowe’s and Lowe`s and Lowes"),
			want:    []string{`body/1/Lowe's/"Lowe’s"@0`, `body/1/Lowe's/"Lowe` + "`" + `s"@13`},
		},
		{
			name:    "dashes and hyphens",
			watches: []watchers.Watch{named(1, "Al-Naser Airlines")},
			item:    body("Al–Naser Airlines, Al Naser Airlines, AlNaser Airlines"),
			want:    []string{`body/1/Al-Naser Airlines/"Al–Naser Airlines"@0`, `body/1/Al-Naser Airlines/"Al Naser Airlines"@21`},
		},
		{
			name:    "whitespace runs",
			watches: []watchers.Watch{named(2, "Hangzhou   Hikvision")},
			item: watchers.Item{
				Title:    "Hangzhou  Hikvision",
				Abstract: "HANGZHOU\nHIKVISION",
				Body:     "Hangzhou\t \u00a0hikvision and HangzhouHikvision",
			},
			want: []string{
				`title/2/Hangzhou   Hikvision/"Hangzhou  Hikvision"@0`,
				`abstract/2/Hangzhou   Hikvision/"HANGZHOU\nHIKVISION"@0`,
				`body/2/Hangzhou   Hikvision/"Hangzhou\t \u00a0hikvision"@0`,
			},
		},
		{
			name:    "punctuation between tokens",
			watches: []watchers.Watch{named(1, "Huawei Technologies Co Ltd")},
			item:    body("Huawei Technologies Co., Ltd. and Huawei-Technologies (Co.) Ltd."),
			want: []string{
				`body/1/Huawei Technologies Co Ltd/"Huawei Technologies Co., Ltd"@0`,
				`body/1/Huawei Technologies Co Ltd/"Huawei-Technologies (Co.) Ltd"@34`,
			},
		},
		{
			name:    "ampersand",
			watches: []watchers.Watch{named(1, "Beijing J&A Industry & Trade")},
			item:    body("Beijing J & A Industry and Trade"),
			want:    []string{`body/1/Beijing J&A Industry & Trade/"Beijing J & A Industry and Trade"@0`},
		},
		{
			name:    "symbols in a term must be there",
			watches: []watchers.Watch{named(1, "Face++")},
			item:    body("Face++ said; face recognition; Face+"),
			want:    []string{`body/1/Face++/"Face++"@0`},
		},
		{
			name:    "footnote marks and trademark signs",
			watches: []watchers.Watch{named(7, "ZTE")},
			item:    body("ZTE¹ and ZTE™"),
			want:    []string{`body/7/ZTE/"ZTE"@0`, `body/7/ZTE/"ZTE"@10`},
		},
		{
			name:    "soft hyphen inside a word",
			watches: []watchers.Watch{named(1, "Hikvision")},
			item:    body("Hik\u00advision"),
			want:    []string{`body/1/Hikvision/"Hik\u00advision"@0`},
		},
	})
}

func TestMatchCompanySuffixes(t *testing.T) {
	yunze := []watchers.Watch{named(1, "Beijing Yunze Technology Company Limited")}
	runMatchCases(t, []matchCase{
		{"Company Limited finds Co., Ltd.", yunze, body("adds Beijing Yunze Technology Co., Ltd. to"),
			[]string{`body/1/Beijing Yunze Technology Company Limited/"Beijing Yunze Technology Co., Ltd"@5`}},
		{"and Co. Ltd", yunze, body("Beijing Yunze Technology Co. Ltd"),
			[]string{`body/1/Beijing Yunze Technology Company Limited/"Beijing Yunze Technology Co. Ltd"@0`}},
		{"but not without the suffix", yunze, body("Beijing Yunze Technology said"), nil},
		{"Corp / Corporation", []watchers.Watch{named(1, "ZTE Corp.")}, body("ZTE Corporation"),
			[]string{`body/1/ZTE Corp./"ZTE Corporation"@0`}},
		{"Inc / Incorporated", []watchers.Watch{named(1, "Megvii Incorporated")}, body("Megvii Inc."),
			[]string{`body/1/Megvii Incorporated/"Megvii Inc"@0`}},
		{"LLC / L.L.C. / Limited Liability Company", []watchers.Watch{named(1, "Norkor Equipment LLC")},
			body("Norkor Equipment L.L.C. and Norkor Equipment Limited Liability Company"),
			[]string{
				`body/1/Norkor Equipment LLC/"Norkor Equipment L.L.C."@0`,
				`body/1/Norkor Equipment LLC/"Norkor Equipment Limited Liability Company"@28`,
			}},
		{"JSC / Joint Stock Company", []watchers.Watch{named(1, "Open Joint Stock Company Rosneft")},
			body("OJSC Rosneft, Open JSC Rosneft, Open Joint-Stock Company Rosneft"),
			[]string{
				`body/1/Open Joint Stock Company Rosneft/"OJSC Rosneft"@0`,
				`body/1/Open Joint Stock Company Rosneft/"Open JSC Rosneft"@14`,
				`body/1/Open Joint Stock Company Rosneft/"Open Joint-Stock Company Rosneft"@32`,
			}},
		{"GmbH / G.m.b.H.", []watchers.Watch{named(1, "Hesai GmbH")}, body("Hesai G.m.b.H."),
			[]string{`body/1/Hesai GmbH/"Hesai G.m.b.H."@0`}},
		{"S.A. / SA / Sociedad Anónima", []watchers.Watch{named(1, "Cecoex, S.A.")},
			body("CECOEX SA; Cecoex Sociedad Anónima"),
			[]string{`body/1/Cecoex, S.A./"CECOEX SA"@0`, `body/1/Cecoex, S.A./"Cecoex Sociedad Anónima"@11`}},
		{"Pvt. Ltd. / Private Limited", []watchers.Watch{named(1, "Synnat Pharma Pvt Ltd.")},
			body("Synnat Pharma Private Limited"),
			[]string{`body/1/Synnat Pharma Pvt Ltd./"Synnat Pharma Private Limited"@0`}},
	})
}

func TestMatchBoundaries(t *testing.T) {
	zte := []watchers.Watch{named(7, "ZTE")}
	runMatchCases(t, []matchCase{
		{"punctuation is a word boundary", zte, body("ZTE-made ZTE's (ZTE) ZTE. ZTE’s"),
			[]string{`body/7/ZTE/"ZTE"@0`, `body/7/ZTE/"ZTE"@9`, `body/7/ZTE/"ZTE"@16`, `body/7/ZTE/"ZTE"@21`, `body/7/ZTE/"ZTE"@26`}},
		{"inside a word is not a mention", zte, body("ZTEST AZTE ZTE2 2ZTE Zte_"),
			[]string{`body/7/ZTE/"Zte"@21`}},
		{"Cyrillic words", []watchers.Watch{named(1, "Газпром")}, body("ГАЗПРОМ заявил; Газпромбанк; «Газпром»"),
			[]string{`body/1/Газпром/"ГАЗПРОМ"@0`, `body/1/Газпром/"Газпром"@55`}},
		{"Greek words", []watchers.Watch{named(1, "Ολυμπιακός")}, body("Η ΟΛΥΜΠΙΑΚΟΣ και Ολυμπιακόσα"),
			[]string{`body/1/Ολυμπιακός/"ΟΛΥΜΠΙΑΚΟΣ"@3`}},
		{"Han inside a run of Han", []watchers.Watch{hik}, body("杭州海康威视数字技术股份有限公司"),
			[]string{`body/1/海康威视/"海康威视"@6`}},
		{"Latin beside Han", zte, body("中兴ZTE公司"), []string{`body/7/ZTE/"ZTE"@6`}},
		{"Katakana with prolonged sound mark", []watchers.Watch{named(4, "ファーウェイ")}, body("ファーウェイ製の機器"),
			[]string{`body/4/ファーウェイ/"ファーウェイ"@0`}},
		{"Hangul with a particle", []watchers.Watch{named(5, "삼성")}, body("삼성전자는 발표했다"),
			[]string{`body/5/삼성/"삼성"@0`}},
		{"Hangul syllables are not split", []watchers.Watch{named(5, "가")}, body("각"), nil},
		{"Thai", []watchers.Watch{named(6, "ซีพี")}, body("บริษัทซีพีออลล์"), []string{`body/6/ซีพี/"ซีพี"@18`}},
		{"a match does not span a sentence end", []watchers.Watch{named(1, "China Mobile")},
			body("exports to China. Mobile phones; China Mobile said"),
			[]string{`body/1/China Mobile/"China Mobile"@33`}},
		{"nor a blank line", []watchers.Watch{named(1, "China Mobile")}, body("China\n\nMobile; China\nMobile"),
			[]string{`body/1/China Mobile/"China\nMobile"@15`}},
		{"nor a table cell", []watchers.Watch{named(1, "China Mobile")}, watchers.Item{Rows: []string{"China | Mobile"}}, nil},
	})
}

func TestMatchExclusionsAndOverlaps(t *testing.T) {
	runMatchCases(t, []matchCase{
		{"exclusion suppresses only the occurrence inside it", []watchers.Watch{hik},
			body("Hikvision Road depot; Hikvision said"), []string{`body/1/Hikvision/"Hikvision"@22`}},
		{"exclusion is normalised too", []watchers.Watch{hik}, body("HIKVISION\n  road; Hikvision-Road"), nil},
		{"exclusion needs word boundaries too", []watchers.Watch{hik}, body("the Hikvision Roadshow"),
			[]string{`body/1/Hikvision/"Hikvision"@4`}},
		{"exclusion of one watch does not suppress another",
			[]watchers.Watch{hik, {ID: 9, Channel: "slack:C1", Name: "Hikvision"}},
			body("Hikvision Road"), []string{`body/9/Hikvision/"Hikvision"@0`}},
		{"longest of overlapping terms wins", []watchers.Watch{named(2, "Hikvision", "Hangzhou Hikvision", "Hangzhou")},
			body("Hangzhou Hikvision; Hikvision; Hangzhou"),
			[]string{`body/2/Hangzhou Hikvision/"Hangzhou Hikvision"@0`, `body/2/Hikvision/"Hikvision"@20`, `body/2/Hangzhou/"Hangzhou"@31`}},
		{"the longest wins even when it starts later", []watchers.Watch{named(2, "Alpha Beta", "Beta Gamma Delta")},
			body("Alpha Beta Gamma Delta"), []string{`body/2/Beta Gamma Delta/"Beta Gamma Delta"@6`}},
		{"a term overlapping itself is kept once", []watchers.Watch{named(2, "哈哈")}, body("哈哈哈"),
			[]string{`body/2/哈哈/"哈哈"@0`}},
		{"watches are independent",
			[]watchers.Watch{{ID: 1, Channel: "slack:C1", Name: "Hikvision"}, {ID: 2, Channel: "matrix:!r:x", Name: "Hangzhou Hikvision"}},
			body("Hangzhou Hikvision"),
			[]string{`body/2/Hangzhou Hikvision/"Hangzhou Hikvision"@0`, `body/1/Hikvision/"Hikvision"@9`}},
		{"one term spelt twice is reported as the first spelling", []watchers.Watch{named(3, "ZTE Corp", "ZTE Corporation")},
			body("ZTE CORP"), []string{`body/3/ZTE Corp/"ZTE CORP"@0`}},
	})
}

// False alarms: each of these is a way a simple substring search alerts wrongly.
func TestMatchFalseAlarmTraps(t *testing.T) {
	dahua := watchers.Watch{ID: 1, Channel: "console:main", Name: "Zhejiang Dahua Technology", Aliases: []string{"Dahua", "大华股份"},
		Exclude: []string{"Dahua Road", "Dahua Electronics Corporation"}}
	runMatchCases(t, []matchCase{
		{"Dahua Road is excluded", []watchers.Watch{dahua}, body("a depot on Dahua Road in Hangzhou"), nil},
		{"another company that shares a word is excluded", []watchers.Watch{dahua},
			body("DAHUA ELECTRONICS CORPORATION was denied export privileges"), nil},
		{"ZTEST is not ZTE", []watchers.Watch{named(7, "ZTE")}, body("the ZTEST suite and ZTE's phones"),
			[]string{`body/7/ZTE/"ZTE"@20`}},
		{"a name inside a longer unrelated word", []watchers.Watch{named(1, "China Telecom")},
			body("China Telecommunications Regulatory Authority"), nil},
		{"a short alias inside longer words", []watchers.Watch{named(1, "Megvii", "Face++")},
			body("face recognition and Surface++"), nil},
		{"a Han alias that is not in the text", []watchers.Watch{dahua}, body("大华银行"), nil},
		{"a list's alias that is a common word, written in lower case",
			[]watchers.Watch{named(1, "JENDOUBI, Faouzi", "SAID"), named(2, "AL QA'IDA", "THE BASE")},
			body("Officials said the base was closed. SAID and The Base were named."),
			[]string{`body/1/SAID/"SAID"@36`, `body/2/THE BASE/"The Base"@45`}},
		{"an initialism is not the word it spells", []watchers.Watch{named(1, "BELARUSIAN OIL TRADE HOUSE", "B.O.T.H.")},
			body("Both sides, both of them, BOTH and B.O.T.H. and B.O.T.H"),
			[]string{`body/1/B.O.T.H./"BOTH"@26`, `body/1/B.O.T.H./"B.O.T.H."@35`, `body/1/B.O.T.H./"B.O.T.H"@48`}},
		{"a sentence end between two words of a name", []watchers.Watch{named(1, "Tornado Cash")},
			body("A tornado hit the town. Cash was scarce."), nil},
	})
}

func TestMatchEdgeCases(t *testing.T) {
	runMatchCases(t, []matchCase{
		{"empty and blank terms never match", []watchers.Watch{named(1, "", " ", "\t", "..."), {ID: 2, Exclude: []string{"x"}}},
			body("   \t x ..."), nil},
		{"no watches", nil, body("ZTE"), nil},
		{"only the title, abstract, body and rows are searched", []watchers.Watch{named(7, "ZTE")},
			watchers.Item{Source: "ZTE", ID: "ZTE", URL: "https://zte.example/ZTE", Links: []string{"ZTE"},
				Facts: []watchers.Fact{{Label: "ZTE", Value: "ZTE"}}}, nil},
		{"bytes that are not UTF-8 match nothing", []watchers.Watch{named(1, "a\xffb")}, body("a\xffb a\ufffdb"), nil},
		{"a term beside bytes that are not UTF-8", []watchers.Watch{named(1, "ZTE")}, body("\xffZTE\x80"),
			[]string{`body/1/ZTE/"ZTE"@1`}},
		{"ordered by field then offset", []watchers.Watch{named(1, "ZTE"), named(2, "Huawei")},
			watchers.Item{Body: "Huawei ZTE", Abstract: "ZTE Huawei", Title: "Huawei", Rows: []string{"ZTE | Huawei"}},
			[]string{
				`title/2/Huawei/"Huawei"@0`,
				`abstract/1/ZTE/"ZTE"@0`, `abstract/2/Huawei/"Huawei"@4`,
				`body/2/Huawei/"Huawei"@0`, `body/1/ZTE/"ZTE"@7`,
				`table_row/1/ZTE/"ZTE"@0`, `table_row/2/Huawei/"Huawei"@6`,
			}},
		{"alias as the watch spells it", []watchers.Watch{named(1, "Hangzhou Hikvision Digital Technology", "HikVision")},
			watchers.Item{Title: "HIKVISION"}, []string{`title/1/HikVision/"HIKVISION"@0`}},
	})
}

func TestMatchRows(t *testing.T) {
	w := []watchers.Watch{named(1, "Beijing Yunze Technology Co., Ltd.", "Yunze")}
	it := watchers.Item{
		Body: "The rule adds entities. Yunze is one.",
		Rows: []string{
			"Entity | License requirement | Federal Register citation",
			"Beijing Yunze Technology Company Limited, a.k.a. Yunze, Room 1, Beijing. | For all items | 88 FR 12170",
			"",
			"Yunze",
		},
	}
	got := New(w).Match(it)
	var shown []string
	for _, m := range got {
		shown = append(shown, show(it, m))
	}
	want := []string{
		`body/1/Yunze/"Yunze"@24`,
		`table_row/1/Beijing Yunze Technology Co., Ltd./"Beijing Yunze Technology Company Limited"@57`,
		`table_row/1/Yunze/"Yunze"@106`,
		`table_row/1/Yunze/"Yunze"@161`,
	}
	if strings.Join(shown, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n\t%s\nwant\n\t%s", strings.Join(shown, "\n\t"), strings.Join(want, "\n\t"))
	}
	for _, m := range got[1:] {
		row := it.Rows[1]
		if m.Start == 161 {
			row = it.Rows[3]
		}
		if m.Snippet != row {
			t.Errorf("got snippet %q, want the row %q", m.Snippet, row)
		}
		if got, want := m.Snippet[m.MarkStart:m.MarkEnd], it.Text(watchers.FieldTableRow)[m.Start:m.End]; got != want {
			t.Errorf("got mark %q, want %q", got, want)
		}
	}
}

func TestMatchFields(t *testing.T) {
	w := watchers.Watch{ID: 42, Channel: "slack:C0123", Name: "ZTE Corporation", Aliases: []string{"ZTE"}}
	it := watchers.Item{Title: "US adds ZTE to list"}
	got := New([]watchers.Watch{w}).Match(it)
	want := []watchers.Match{{
		WatchID: 42, Channel: "slack:C0123", Entity: "ZTE Corporation", Alias: "ZTE",
		Field: watchers.FieldTitle, Start: 8, End: 11,
		Snippet: "US adds ZTE to list", MarkStart: 8, MarkEnd: 11, Mention: watchers.MentionSubject,
	}}
	if len(got) != 1 || got[0] != want[0] {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// Folding may change a rune's byte length; offsets must still point into the original text.
func TestMatchOffsetsMultiByte(t *testing.T) {
	tests := []struct {
		name       string
		term, text string
		start, end int
	}{
		{"dotted capital I is two bytes, i is one", "istanbul", "İSTANBUL", 0, 9},
		{"after dotted capital I", "Hikvision", "İİ Hikvision", 5, 14},
		{"capital sharp s is three bytes, ss two", "grosse", "DIE GROẞE", 4, 11},
		{"Kelvin sign folds to k", "kit", "\u212aIT", 0, 5},
		{"long s folds to s", "ZTE's", "ZTE'ſ", 0, 6},
		{"after emoji", "ZTE", "🙂 ZTE", 5, 8},
		{"Han after Cyrillic", "海康威视", "Привет海康威视", 12, 24},
		{"whitespace run of mixed widths", "a b", "x a\u3000\u00a0 b", 2, 10},
		{"ligature", "office", "the oﬃce", 4, 10},
		{"initialism includes its final stop", "Acme SA", "Acme S.A. said", 0, 9},
		{"trailing combining accent belongs to the word", "cafe", "un café\u0301!", 3, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := New([]watchers.Watch{named(1, tt.term)}).Match(body(tt.text))
			if len(got) != 1 {
				t.Fatalf("got %d matches, want 1", len(got))
			}
			if got[0].Start != tt.start || got[0].End != tt.end {
				t.Errorf("got [%d:%d] %q, want [%d:%d] %q", got[0].Start, got[0].End, tt.text[got[0].Start:got[0].End],
					tt.start, tt.end, tt.text[tt.start:tt.end])
			}
		})
	}
}

func TestSnippet(t *testing.T) {
	long := strings.Repeat("word ", 100)
	tests := []struct {
		name     string
		term     string
		text     string
		want     string // the snippet with the occurrence in [brackets]
		checkLen bool
	}{
		{"sentence between full stops", "ZTE", "First sentence. ZTE sold kit! Third?", "[ZTE] sold kit!", false},
		{"question mark", "ZTE", "Who? Not ZTE? No.", "Not [ZTE]?", false},
		{"closing quote stays with its sentence", "ZTE", `He said "ZTE sold it." Then`, `He said "[ZTE] sold it."`, false},
		{"paragraph", "ZTE", "para one\n\n  ZTE here  \r\n\r\npara three", "[ZTE] here", false},
		{"a wrapped line does not end a sentence", "ZTE", "The rule adds\nZTE to the\nlist. Next.", "The rule adds [ZTE] to the list.", false},
		{"decimal point and abbreviations do not split", "ZTE", "Revenue rose 3.5 percent at the U.S. unit of ZTE Inc. today. Next.",
			"Revenue rose 3.5 percent at the U.S. unit of [ZTE] Inc. today.", false},
		{"full stop inside the occurrence", "Huawei Technologies Co. Ltd", "Intro. Huawei Technologies Co. Ltd was added. Next.",
			"[Huawei Technologies Co. Ltd] was added.", false},
		{"Chinese full stops need no space", "海康威视", "第一句。海康威视被列入。第三句", "[海康威视]被列入。", false},
		{"whitespace collapsed", "Hangzhou Hikvision", "Say\t\tHangzhou \n Hikvision  did.", "Say\t\t[Hangzhou Hikvision] did.", false},
		{"long sentence is cut around the occurrence", "ZTE", long + "ZTE " + long,
			"…" + strings.Repeat("word ", 29) + "[ZTE]" + strings.Repeat(" word", 29) + "…", true},
		{"long sentence starting with the occurrence", "ZTE", "Intro. ZTE " + long,
			"[ZTE]" + strings.Repeat(" word", 58) + "…", true},
		{"long sentence ending with the occurrence", "ZTE", long + "ZTE. Outro.",
			"…" + strings.Repeat("word ", 58) + "[ZTE].", true},
		{"long text without spaces is cut on rune boundaries", "海康威视", strings.Repeat("中", 200) + "海康威视" + strings.Repeat("国", 200),
			"…" + strings.Repeat("中", 47) + "[海康威视]" + strings.Repeat("国", 47) + "…", true},
		{"occurrence longer than the limit is kept whole", strings.Repeat("A ", 200) + "B", "x " + strings.Repeat("A ", 200) + "B y",
			"…[" + strings.Repeat("A ", 200) + "B]…", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := New([]watchers.Watch{named(1, tt.term)}).Match(body(tt.text))
			if len(got) != 1 {
				t.Fatalf("got %d matches, want 1", len(got))
			}
			m := got[0]
			// The expected snippets are written with the source's whitespace; compare collapsed.
			want := collapse(tt.want)
			marked := m.Snippet[:m.MarkStart] + "[" + m.Snippet[m.MarkStart:m.MarkEnd] + "]" + m.Snippet[m.MarkEnd:]
			if marked != want {
				t.Errorf("got snippet\n\t%q\nwant\n\t%q", marked, want)
			}
			if tt.checkLen && len(m.Snippet) > maxSnippet {
				t.Errorf("got snippet of %d bytes, want at most %d", len(m.Snippet), maxSnippet)
			}
		})
	}
}

// collapse writes every whitespace run of s as one space.
func collapse(s string) string { return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ") }

func TestNewCopiesWatches(t *testing.T) {
	ws := []watchers.Watch{named(1, "ZTE", "Huawei")}
	m := New(ws)
	ws[0].Name, ws[0].Aliases[0] = "Other", "Else"
	got := m.Match(body("Huawei"))
	if len(got) != 1 || got[0].Entity != "ZTE" || got[0].Alias != "Huawei" {
		t.Errorf("got %+v, want one match of ZTE as Huawei", got)
	}
}

// The app shares one Matcher between its workers; run with -race.
func TestMatchConcurrent(t *testing.T) {
	ws := make([]watchers.Watch, len(exampleWatches))
	for i, names := range exampleWatches {
		ws[i] = watchers.Watch{ID: int64(i + 1), Channel: "console:main", Name: names[0], Aliases: names[1:]}
	}
	m := New(ws)
	it := watchers.Item{Title: "Hikvision and 海康威视", Body: exampleText()}
	want := len(m.Match(it))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				if got := len(m.Match(it)); got != want {
					t.Errorf("got %d matches, want %d", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}
