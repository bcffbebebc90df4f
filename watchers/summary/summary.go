// Package summary owns the extractive summary of an alert: at most three sentences taken
// from the item itself — its lead and the sentence that names the entity — never
// generated text. It is pure.
package summary

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/vigilbot/vigil/watchers"
)

// maxLen bounds the summary so that a chat message stays readable.
const maxLen = 600

// Summarize returns at most three sentences taken from the item: for a Federal Register
// document its action ("Final rule.") and the first sentence of its abstract, for news the
// lead sentence; then the sentence or table row naming the entity (matches in the title
// add nothing the headline does not say). Never more than 600 characters, never cut
// mid-word.
func Summarize(it watchers.Item, matches []watchers.Match) string {
	var parts []string
	add := func(s string) {
		s = strings.TrimSpace(s)
		if s == "" || len(parts) == 3 {
			return
		}
		// A standfirst often has no full stop; without one it runs into the next sentence.
		if last, _ := utf8.DecodeLastRuneInString(s); !strings.ContainsRune(".!?…:;。！？\"'”’)", last) {
			s += "."
		}
		for _, p := range parts {
			if p == s || strings.Contains(p, s) {
				return
			}
		}
		parts = append(parts, s)
	}
	add(it.Fact(watchers.FactAction))
	lead := it.Abstract
	if lead == "" {
		lead = it.Body
	}
	add(FirstSentence(lead))
	for _, m := range matches {
		if m.Field != watchers.FieldTitle {
			add(m.Snippet)
		}
	}
	var b strings.Builder
	for i, p := range parts {
		// Chinese and Japanese put no space after a full stop.
		if i > 0 && !strings.HasSuffix(parts[i-1], "。") && !strings.HasSuffix(parts[i-1], "！") && !strings.HasSuffix(parts[i-1], "？") {
			b.WriteByte(' ')
		}
		b.WriteString(p)
	}
	return truncate(b.String(), maxLen)
}

// FirstSentence returns the text up to and including its first sentence end. A full stop
// after an initial or a common abbreviation ("U.S.", "Co.", "Mr.") ends no sentence.
func FirstSentence(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	for i, r := range s {
		switch r {
		case '.', '!', '?':
			next := i + 1
			if next != len(s) && s[next] != ' ' {
				continue
			}
			if r == '.' && next != len(s) && abbreviation(s[:i]) {
				continue
			}
			return s[:next]
		case '。', '！', '？':
			return s[:i+utf8.RuneLen(r)]
		}
	}
	return s
}

// abbreviations end with a full stop that ends no sentence.
var abbreviations = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "st": true, "co": true, "corp": true, "inc": true,
	"ltd": true, "no": true, "vs": true, "jan": true, "feb": true, "mar": true, "apr": true, "jun": true,
	"jul": true, "aug": true, "sep": true, "sept": true, "oct": true, "nov": true, "dec": true,
	"gov": true, "gen": true, "sen": true, "rep": true, "jr": true, "sr": true, "e.g": true, "i.e": true,
}

// abbreviation reports whether the word that ends before must be an abbreviation: an
// initial ("U.S", "J") or a common short form.
func abbreviation(before string) bool {
	word := before
	if i := strings.LastIndexAny(before, " (\"'“‘"); i >= 0 {
		word = before[i+1:]
	}
	if word == "" {
		return false
	}
	if first, _ := utf8.DecodeRuneInString(word); !unicode.IsLetter(first) {
		return false // "5." ends a sentence
	}
	if strings.Contains(word, ".") || utf8.RuneCountInString(word) == 1 {
		return true // U.S, e.g, a single initial
	}
	return abbreviations[strings.ToLower(word)]
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if sp := strings.LastIndexByte(s[:cut], ' '); sp > n/2 {
		cut = sp
	}
	return strings.TrimSpace(s[:cut]) + "…"
}
