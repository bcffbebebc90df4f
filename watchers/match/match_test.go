package match

import (
	"fmt"
	"strings"
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

func TestMatch(t *testing.T) {
	zte := []watchers.Watch{named(7, "ZTE")}
	tests := []struct {
		name    string
		watches []watchers.Watch
		item    watchers.Item
		want    []string
	}{
		{
			name:    "case-insensitive",
			watches: zte,
			item:    watchers.Item{Body: "Zte and zte and ZTE"},
			want:    []string{`body/7/ZTE/"Zte"@0`, `body/7/ZTE/"zte"@8`, `body/7/ZTE/"ZTE"@16`},
		},
		{
			name:    "punctuation is a word boundary",
			watches: zte,
			item:    watchers.Item{Body: "ZTE-made ZTE's (ZTE) ZTE."},
			want: []string{
				`body/7/ZTE/"ZTE"@0`, `body/7/ZTE/"ZTE"@9`, `body/7/ZTE/"ZTE"@16`, `body/7/ZTE/"ZTE"@21`,
			},
		},
		{
			name:    "inside a word is not a mention",
			watches: zte,
			item:    watchers.Item{Body: "ZTEST AZTE ZTE2 ZTE\u0301 2ZTE zte_"},
			want:    []string{`body/7/ZTE/"zte"@27`},
		},
		{
			name:    "footnote sign and superscript are not digits of the word",
			watches: zte,
			item:    watchers.Item{Body: "ZTE¹ and ZTE²"},
			want:    []string{`body/7/ZTE/"ZTE"@0`, `body/7/ZTE/"ZTE"@10`},
		},
		{
			name:    "any whitespace run matches any whitespace run",
			watches: []watchers.Watch{named(2, "Hangzhou   Hikvision")},
			item: watchers.Item{
				Title:    "Hangzhou  Hikvision",
				Abstract: "HANGZHOU\nHIKVISION",
				Body:     "hangzhou\t \u00a0hikvision and HangzhouHikvision",
			},
			want: []string{
				`title/2/Hangzhou   Hikvision/"Hangzhou  Hikvision"@0`,
				`abstract/2/Hangzhou   Hikvision/"HANGZHOU\nHIKVISION"@0`,
				`body/2/Hangzhou   Hikvision/"hangzhou\t \u00a0hikvision"@0`,
			},
		},
		{
			name:    "Han terms match inside words",
			watches: []watchers.Watch{hik},
			item:    watchers.Item{Body: "杭州海康威视数字技术股份有限公司"},
			want:    []string{`body/1/海康威视/"海康威视"@6`},
		},
		{
			name:    "Latin term beside Han text",
			watches: zte,
			item:    watchers.Item{Body: "中兴ZTE公司"},
			want:    []string{`body/7/ZTE/"ZTE"@6`},
		},
		{
			name:    "boundary decided per end of the term",
			watches: []watchers.Watch{named(3, "Hik海康")},
			item:    watchers.Item{Body: "Hik海康威视 xHik海康 hik海康"},
			want:    []string{`body/3/Hik海康/"Hik海康"@0`, `body/3/Hik海康/"hik海康"@27`},
		},
		{
			name:    "katakana with prolonged sound mark",
			watches: []watchers.Watch{named(4, "ファーウェイ")},
			item:    watchers.Item{Body: "ファーウェイ製の機器"},
			want:    []string{`body/4/ファーウェイ/"ファーウェイ"@0`},
		},
		{
			name:    "Hangul with particle",
			watches: []watchers.Watch{named(5, "삼성")},
			item:    watchers.Item{Body: "삼성전자는 발표했다"},
			want:    []string{`body/5/삼성/"삼성"@0`},
		},
		{
			name:    "Thai",
			watches: []watchers.Watch{named(6, "ซีพี")},
			item:    watchers.Item{Body: "บริษัทซีพีออลล์"},
			want:    []string{`body/6/ซีพี/"ซีพี"@18`},
		},
		{
			name:    "exclusion suppresses only the occurrence inside it",
			watches: []watchers.Watch{hik},
			item:    watchers.Item{Body: "Hikvision Road depot; Hikvision said"},
			want:    []string{`body/1/Hikvision/"Hikvision"@22`},
		},
		{
			name:    "exclusion is case- and space-insensitive",
			watches: []watchers.Watch{hik},
			item:    watchers.Item{Body: "HIKVISION\n  road"},
		},
		{
			name:    "exclusion needs word boundaries too",
			watches: []watchers.Watch{hik},
			item:    watchers.Item{Body: "the Hikvision Roadshow"},
			want:    []string{`body/1/Hikvision/"Hikvision"@4`},
		},
		{
			name: "exclusion of one watch does not suppress another",
			watches: []watchers.Watch{hik, {
				ID: 9, Channel: "slack:C1", Name: "Hikvision",
			}},
			item: watchers.Item{Body: "Hikvision Road"},
			want: []string{`body/9/Hikvision/"Hikvision"@0`},
		},
		{
			name:    "longest of overlapping terms wins",
			watches: []watchers.Watch{named(2, "Hikvision", "Hangzhou Hikvision", "Hangzhou")},
			item:    watchers.Item{Body: "Hangzhou Hikvision; Hikvision; Hangzhou"},
			want: []string{
				`body/2/Hangzhou Hikvision/"Hangzhou Hikvision"@0`,
				`body/2/Hikvision/"Hikvision"@20`,
				`body/2/Hangzhou/"Hangzhou"@31`,
			},
		},
		{
			name:    "the longest wins even when it starts later",
			watches: []watchers.Watch{named(2, "Alpha Beta", "Beta Gamma Delta")},
			item:    watchers.Item{Body: "Alpha Beta Gamma Delta"},
			want:    []string{`body/2/Beta Gamma Delta/"Beta Gamma Delta"@6`},
		},
		{
			name:    "a term overlapping itself is kept once",
			watches: []watchers.Watch{named(2, "哈哈")},
			item:    watchers.Item{Body: "哈哈哈"},
			want:    []string{`body/2/哈哈/"哈哈"@0`},
		},
		{
			name: "watches are independent",
			watches: []watchers.Watch{
				{ID: 1, Channel: "slack:C1", Name: "Hikvision"},
				{ID: 2, Channel: "matrix:!r:x", Name: "Hangzhou Hikvision"},
			},
			item: watchers.Item{Body: "Hangzhou Hikvision"},
			want: []string{
				`body/2/Hangzhou Hikvision/"Hangzhou Hikvision"@0`,
				`body/1/Hikvision/"Hikvision"@9`,
			},
		},
		{
			name:    "ordered by field then offset",
			watches: []watchers.Watch{named(1, "ZTE"), named(2, "Huawei")},
			item:    watchers.Item{Body: "Huawei ZTE", Abstract: "ZTE Huawei", Title: "Huawei"},
			want: []string{
				`title/2/Huawei/"Huawei"@0`,
				`abstract/1/ZTE/"ZTE"@0`, `abstract/2/Huawei/"Huawei"@4`,
				`body/2/Huawei/"Huawei"@0`, `body/1/ZTE/"ZTE"@7`,
			},
		},
		{
			name:    "alias as the watch spells it",
			watches: []watchers.Watch{named(1, "Hangzhou Hikvision Digital Technology", "HikVision")},
			item:    watchers.Item{Title: "HIKVISION"},
			want:    []string{`title/1/HikVision/"HIKVISION"@0`},
		},
		{
			name:    "Cyrillic",
			watches: []watchers.Watch{named(1, "Газпром")},
			item:    watchers.Item{Body: "ГАЗПРОМ заявил; Газпромбанк; «газпром»"},
			want:    []string{`body/1/Газпром/"ГАЗПРОМ"@0`, `body/1/Газпром/"газпром"@55`},
		},
		{
			name:    "Greek: final sigma folds, tonos is kept",
			watches: []watchers.Watch{named(1, "Ολυμπιακός")},
			item:    watchers.Item{Body: "Η ΟΛΥΜΠΙΑΚΌΣ και ολυμπιακόσ, όχι Ολυμπιακόσα, ούτε Ολυμπιακος"},
			want:    []string{`body/1/Ολυμπιακός/"ΟΛΥΜΠΙΑΚΌΣ"@3`, `body/1/Ολυμπιακός/"ολυμπιακόσ"@31`},
		},
		{
			name:    "diacritics are kept and count as letters",
			watches: []watchers.Watch{named(1, "Café"), named(2, "Renault"), named(3, "Škoda")},
			item:    watchers.Item{Body: "Cafe CAFÉ Renaulté ŠKODA Renault"},
			want: []string{
				`body/1/Café/"CAFÉ"@5`, `body/3/Škoda/"ŠKODA"@21`, `body/2/Renault/"Renault"@28`,
			},
		},
		{
			name:    "decomposed accent is a mark after the word",
			watches: []watchers.Watch{named(1, "Cafe")},
			item:    watchers.Item{Body: "Cafe\u0301 and Cafe"},
			want:    []string{`body/1/Cafe/"Cafe"@11`},
		},
		{
			name:    "empty and blank terms never match",
			watches: []watchers.Watch{named(1, "", " ", "\t"), {ID: 2, Exclude: []string{"x"}}},
			item:    watchers.Item{Body: "   \t x"},
		},
		{
			name:    "no watches",
			watches: nil,
			item:    watchers.Item{Body: "ZTE"},
		},
		{
			name:    "table rows and other fields are not searched",
			watches: zte,
			item:    watchers.Item{Source: "ZTE", ID: "ZTE", URL: "https://zte.example/ZTE"},
		},
		{
			name:    "punctuation at the ends of a term needs no boundary",
			watches: []watchers.Watch{named(1, ".NET")},
			item:    watchers.Item{Body: "ASP.NET and .net"},
			want:    []string{`body/1/.NET/".NET"@3`, `body/1/.NET/".net"@12`},
		},
		{
			name:    "bytes that are not UTF-8 match nothing",
			watches: []watchers.Watch{named(1, "a\xffb")},
			item:    watchers.Item{Body: "a\xffb a\ufffdb"},
		},
	}
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

func TestMatchFields(t *testing.T) {
	w := watchers.Watch{ID: 42, Channel: "slack:C0123", Name: "ZTE Corporation", Aliases: []string{"ZTE"}}
	it := watchers.Item{Title: "US adds ZTE to list"}
	got := New([]watchers.Watch{w}).Match(it)
	want := []watchers.Match{{
		WatchID: 42, Channel: "slack:C0123", Entity: "ZTE Corporation", Alias: "ZTE",
		Field: watchers.FieldTitle, Start: 8, End: 11,
		Snippet: "US adds ZTE to list", MarkStart: 8, MarkEnd: 11,
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
		{"capital sharp s is three bytes, ß is two", "große", "DIE GROẞE", 4, 11},
		{"Kelvin sign folds to k", "kit", "\u212aIT", 0, 5},
		{"long s folds to s", "ZTE's", "ZTE'ſ", 0, 6},
		{"after emoji", "ZTE", "🙂 ZTE", 5, 8},
		{"Han after Cyrillic", "海康威视", "Привет海康威视", 12, 24},
		{"whitespace run of mixed widths", "a b", "x a\u3000\u00a0 b", 2, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := New([]watchers.Watch{named(1, tt.term)}).Match(watchers.Item{Body: tt.text})
			if len(got) != 1 {
				t.Fatalf("got %d matches, want 1", len(got))
			}
			if got[0].Start != tt.start || got[0].End != tt.end {
				t.Errorf("got [%d:%d], want [%d:%d]", got[0].Start, got[0].End, tt.start, tt.end)
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
		{
			name: "sentence between full stops",
			term: "ZTE",
			text: "First sentence. ZTE sold kit! Third?",
			want: "[ZTE] sold kit!",
		},
		{
			name: "question mark",
			term: "ZTE",
			text: "Who? Not ZTE? No.",
			want: "Not [ZTE]?",
		},
		{
			name: "line",
			term: "ZTE",
			text: "line one\n  ZTE here  \r\nline three",
			want: "[ZTE] here",
		},
		{
			name: "decimal point and abbreviation without space do not split",
			term: "ZTE",
			text: "Revenue rose 3.5 percent at ZTE.Inc today. Next.",
			want: "Revenue rose 3.5 percent at [ZTE].Inc today.",
		},
		{
			name: "full stop inside the occurrence",
			term: "Huawei Technologies Co. Ltd",
			text: "Intro. Huawei Technologies Co. Ltd was added. Next.",
			want: "[Huawei Technologies Co. Ltd] was added.",
		},
		{
			name: "Chinese full stops need no space",
			term: "海康威视",
			text: "第一句。海康威视被列入。第三句",
			want: "[海康威视]被列入。",
		},
		{
			name: "whitespace collapsed",
			term: "Hangzhou Hikvision",
			text: "Say\t\tHangzhou \n Hikvision  did.",
			want: "Say\t\t[Hangzhou Hikvision] did.",
		},
		{
			name:     "long sentence is cut around the occurrence",
			term:     "ZTE",
			text:     long + "ZTE " + long,
			want:     "…" + strings.Repeat("word ", 29) + "[ZTE]" + strings.Repeat(" word", 29) + "…",
			checkLen: true,
		},
		{
			name:     "long sentence starting with the occurrence",
			term:     "ZTE",
			text:     "Intro. ZTE " + long,
			want:     "[ZTE]" + strings.Repeat(" word", 58) + "…",
			checkLen: true,
		},
		{
			name:     "long sentence ending with the occurrence",
			term:     "ZTE",
			text:     long + "ZTE. Outro.",
			want:     "…" + strings.Repeat("word ", 58) + "[ZTE].",
			checkLen: true,
		},
		{
			name:     "long text without spaces is cut on rune boundaries",
			term:     "海康威视",
			text:     strings.Repeat("中", 200) + "海康威视" + strings.Repeat("国", 200),
			want:     "…" + strings.Repeat("中", 47) + "[海康威视]" + strings.Repeat("国", 47) + "…",
			checkLen: true,
		},
		{
			name: "occurrence longer than the limit is kept whole",
			term: strings.Repeat("A ", 200) + "B",
			text: "x " + strings.Repeat("A ", 200) + "B y",
			want: "…[" + strings.Repeat("A ", 200) + "B]…",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := New([]watchers.Watch{named(1, tt.term)}).Match(watchers.Item{Body: tt.text})
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

// fold must give one representative per simple case folding orbit, so that matching is the
// Unicode simple case-insensitive comparison, whichever case the term and the text use.
func TestFoldOrbits(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		f := fold(r)
		if fold(f) != f {
			t.Fatalf("fold(fold(%U)) = %U, want %U", r, fold(f), f)
		}
		for o := unicode.SimpleFold(r); o != r; o = unicode.SimpleFold(o) {
			if got := fold(o); got != f {
				t.Fatalf("got fold(%U) = %U, want fold(%U) = %U", o, got, r, f)
			}
		}
	}
}

func TestNewCopiesWatches(t *testing.T) {
	ws := []watchers.Watch{named(1, "ZTE", "Huawei")}
	m := New(ws)
	ws[0].Name, ws[0].Aliases[0] = "Other", "Else"
	got := m.Match(watchers.Item{Body: "Huawei"})
	if len(got) != 1 || got[0].Entity != "ZTE" || got[0].Alias != "Huawei" {
		t.Errorf("got %+v, want one match of ZTE as Huawei", got)
	}
}
