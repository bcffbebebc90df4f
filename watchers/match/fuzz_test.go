package match

import (
	"slices"
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
	}
	for _, s := range seeds {
		f.Add(s.text, s.term, s.exclude)
	}
	f.Fuzz(func(t *testing.T, text, term, exclude string) {
		w := watchers.Watch{ID: 1, Name: term, Aliases: []string{exclude + term}, Exclude: []string{exclude}}
		// The title and abstract are the same text, which checks that fields are independent;
		// the body also holds the term as a word, which must be found unless excluded.
		ins := len(text) + 1
		body := text + " " + term + " " + text
		it := watchers.Item{Title: text, Abstract: text, Body: body}
		got := New([]watchers.Watch{w}).Match(it)

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
			if got, want := string(foldPhrase(occ)), string(foldPhrase(m.Alias)); got != want {
				t.Errorf("match %d: got text %q for alias %q, want them equal after folding", i, occ, m.Alias)
			}
			if !utf8.ValidString(m.Snippet) {
				t.Errorf("match %d: got snippet %q, want valid UTF-8", i, m.Snippet)
			}
			if m.MarkStart < 0 || m.MarkStart > m.MarkEnd || m.MarkEnd > len(m.Snippet) {
				t.Fatalf("match %d: got mark [%d:%d], want within the %d-byte snippet", i, m.MarkStart, m.MarkEnd, len(m.Snippet))
			}
			if got, want := collapse(m.Snippet[m.MarkStart:m.MarkEnd]), collapse(occ); got != want {
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
		if exclude == "" && len(foldPhrase(term)) > 0 && utf8.ValidString(term) && !found {
			t.Errorf("got no match of %q in %q, want one", term, body)
		}
	})
}
