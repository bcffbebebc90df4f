// Package summary owns the extractive summary of an alert: at most three sentences taken
// from the item itself — its lead and the sentence that names the entity — never
// generated text. It is pure.
package summary

import (
	"strings"
	"unicode/utf8"

	"github.com/vigilbot/vigil/watchers"
)

// maxLen bounds the summary so that a chat message stays readable.
const maxLen = 600

// Summarize returns the item's lead sentence followed by the evidence sentences of the
// matches found outside the title (at most three sentences, no repeats).
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
	return truncate(strings.Join(parts, " "), maxLen)
}

// FirstSentence returns the text up to and including its first sentence end.
func FirstSentence(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	for i, r := range s {
		switch r {
		case '.', '!', '?':
			next := i + 1
			if next == len(s) || s[next] == ' ' {
				return s[:next]
			}
		case '。', '！', '？':
			return s[:i+utf8.RuneLen(r)]
		}
	}
	return s
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
