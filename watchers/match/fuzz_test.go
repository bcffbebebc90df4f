package match

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vigilbot/vigil/watchers"
)

func FuzzMatch(f *testing.F) {
	seeds := []struct{ text, term, exclude string }{
		{"Hikvision Road depot; Hikvision said", "Hikvision", "Hikvision Road"},
		{"杭州海康威视数字技术。海康威视", "海康威视", ""},
		{"Hangzhou \n Hikvision. Next!", "hangzhou hikvision", ""},
		{"İSTANBUL DIE GROẞE ZTE's", "große", "die"},
		{"哈哈哈哈", "哈哈", "哈哈哈"},
		{"a\xffb ZTE\x80 \xe4\xb8", "zte", "\xff"},
		{"Cafe\u0301 café CAFÉ", "café", ""},
		{"Beijing Yunze Technology Co., Ltd. said", "Beijing Yunze Technology Company Limited", ""},
		{"OJSC Rosneft and S.A. and U.S. Steel.", "Open Joint Stock Company Rosneft", "L.L.C."},
		{"ｶﾞｽ ＺＴＥ　Ｃｏｒｐ. Face++", "Face++", "ZTE Corp"},
	}
	for _, s := range seeds {
		f.Add(s.text, s.term, s.exclude)
	}
	f.Fuzz(func(t *testing.T, text, term, exclude string) {
		if once := normalForm(text); normalForm(once) != once {
			t.Fatalf("normalForm(%q) = %q, whose normal form is %q, want it unchanged", text, once, normalForm(once))
		}
		w := watchers.Watch{ID: 1, Name: term, Aliases: []string{exclude + term}, Exclude: []string{exclude}}
		// The title and abstract are the same text, which checks that fields are independent;
		// the body also holds the term as a word, which must be found unless excluded.
		ins := len(text) + 1
		it := watchers.Item{Title: text, Abstract: text, Body: text + " " + term + " " + text, Rows: []string{text, term}}
		got := New([]watchers.Watch{w}).Match(it)

		var z tokenizer
		var prev watchers.Match
		found, count := false, map[watchers.Field]int{}
		for i, m := range got {
			text := it.Text(m.Field)
			count[m.Field]++
			if m.Field == watchers.FieldBody && m.Start < ins+len(term) && m.End > ins {
				found = true
			}
			bounds := map[int]bool{len(text): true}
			for i := range text {
				bounds[i] = true
			}
			if !bounds[m.Start] || !bounds[m.End] || m.Start >= m.End {
				t.Fatalf("match %d: got [%d:%d], want rune boundaries of a %d-byte text", i, m.Start, m.End, len(text))
			}
			occ := text[m.Start:m.End]
			occToks, _, _ := termTokens(&z, occ)
			aliasToks, _, _ := termTokens(&z, m.Alias)
			if !slices.ContainsFunc(variants(aliasToks), func(v []termToken) bool {
				return slices.Equal(tokenStrings(v), tokenStrings(occToks))
			}) {
				t.Errorf("match %d: got text %q (%q) for alias %q (%q), want a spelling of the alias", i, occ, tokenStrings(occToks), m.Alias, tokenStrings(aliasToks))
			}
			if !utf8.ValidString(m.Snippet) {
				t.Errorf("match %d: got snippet %q, want valid UTF-8", i, m.Snippet)
			}
			if m.MarkStart < 0 || m.MarkStart > m.MarkEnd || m.MarkEnd > len(m.Snippet) {
				t.Fatalf("match %d: got mark [%d:%d], want within the %d-byte snippet", i, m.MarkStart, m.MarkEnd, len(m.Snippet))
			}
			if got, want := collapse(m.Snippet[m.MarkStart:m.MarkEnd]), collapse(strings.ToValidUTF8(occ, "\ufffd")); got != want {
				t.Errorf("match %d: got mark %q, want %q", i, got, want)
			}
			if limit := max(maxSnippet, m.End-m.Start+2*len(ellipsis)); utf8.ValidString(text) && len(m.Snippet) > limit {
				t.Errorf("match %d: got a %d-byte snippet, want at most %d", i, len(m.Snippet), limit)
			}
			if i > 0 {
				order := slices.Index(fields[:], m.Field) - slices.Index(fields[:], prev.Field)
				if order < 0 || order == 0 && m.Start < prev.End {
					t.Errorf("match %d: got %s[%d:%d] after %s[%d:%d], want ordered and not overlapping",
						i, m.Field, m.Start, m.End, prev.Field, prev.Start, prev.End)
				}
			}
			prev = m
		}
		if count[watchers.FieldTitle] != count[watchers.FieldAbstract] {
			t.Errorf("got %d matches in the title and %d in the abstract, want the same count",
				count[watchers.FieldTitle], count[watchers.FieldAbstract])
		}
		// The inserted term must be found, unless an exclusion may cover it or a sentence ends
		// inside it.
		_, _, ok := termTokens(&z, term)
		z.tokenize(term)
		for i, tk := range z.toks {
			ok = ok && (i == 0 || tk.flags&tokBreak == 0)
		}
		if exclude == "" && ok && !found {
			t.Errorf("got no match of %q in %q, want one", term, it.Body)
		}
	})
}
