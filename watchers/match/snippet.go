package match

import (
	"strings"
	"unicode/utf8"
)

const (
	// maxSnippet bounds a snippet's length in bytes, ellipses included, unless the occurrence
	// alone is longer.
	maxSnippet = 300
	ellipsis   = "…"
	// wordSlack is how far a cut may move inward to fall between words rather than inside one.
	wordSlack = 24
)

// snippet returns the sentence of text around the occurrence text[start:end], trimmed, with
// every whitespace run written as one space and bytes that are not UTF-8 as U+FFFD; a sentence
// longer than maxSnippet is cut around the occurrence and marked with "…". The occurrence is
// snip[ms:me].
//
// Sentences end at a newline, at 。！？, and at . ! ? followed by whitespace or the end of the
// text. A terminator inside the occurrence ("Co. Ltd") does not split it.
func snippet(text string, start, end int) (snip string, ms, me int) {
	s, leftOpen := sentenceStart(text, start, max(0, start-maxSnippet))
	e, rightOpen := sentenceEnd(text, end, min(len(text), end+maxSnippet))
	for s < start {
		r, size := utf8.DecodeRuneInString(text[s:])
		if !isSpace(r) {
			break
		}
		s += size
	}
	for e > end {
		r, size := utf8.DecodeLastRuneInString(text[:e])
		if !isSpace(r) {
			break
		}
		e -= size
	}

	ws, we := s, e
	if leftOpen || rightOpen || e-s > maxSnippet {
		budget := max(0, maxSnippet-(end-start)-2*len(ellipsis))
		before := min(start-s, budget/2)
		after := min(e-end, budget-before)
		before = min(start-s, budget-after)
		ws, we = start-before, end+after
		for ws < start && !utf8.RuneStart(text[ws]) {
			ws++
		}
		for we > end && we < len(text) && !utf8.RuneStart(text[we]) {
			we--
		}
		if ws > s && !spaceByte(text[ws-1]) {
			for i, r := range text[ws:min(ws+wordSlack, start)] {
				if isSpace(r) {
					ws += i + utf8.RuneLen(r)
					break
				}
			}
		}
		if we < e && !spaceByte(text[we]) {
			lo := max(end, we-wordSlack)
			if i := strings.LastIndexFunc(text[lo:we], isSpace); i >= 0 {
				we = lo + i
			}
		}
	}
	lead := leftOpen || ws > s
	trail := rightOpen || we < e

	var b strings.Builder
	b.Grow(we - ws + 2*len(ellipsis))
	if lead {
		b.WriteString(ellipsis)
	}
	wrote := false   // whether any text was written: leading whitespace is dropped
	pending := false // a whitespace run not yet written: trailing whitespace never is
	for i := ws; i < we; {
		if i == start {
			if pending {
				b.WriteByte(' ')
				pending = false
			}
			ms = b.Len()
		}
		if i == end {
			me = b.Len()
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		if isSpace(r) {
			pending = wrote
			continue
		}
		if pending {
			b.WriteByte(' ')
			pending = false
		}
		wrote = true
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(text[i-size : i])
		}
	}
	if we == end {
		me = b.Len()
	}
	if trail {
		b.WriteString(ellipsis)
	}
	return b.String(), ms, me
}

// sentenceStart returns where the sentence holding text[at] begins, looking back no further
// than floor; open reports that no sentence start was found before floor.
func sentenceStart(text string, at, floor int) (pos int, open bool) {
	for q := at; q > floor; {
		r, size := utf8.DecodeLastRuneInString(text[:q])
		switch {
		case isNewline(r), isWideStop(r):
			return q, false
		case r == '.' || r == '!' || r == '?':
			if next, _ := utf8.DecodeRuneInString(text[q:]); isSpace(next) {
				return q, false
			}
		}
		q -= size
	}
	return floor, floor > 0
}

// sentenceEnd returns where the sentence holding text[at-1] ends, looking no further than ceil;
// open reports that no sentence end was found before ceil.
func sentenceEnd(text string, at, ceil int) (pos int, open bool) {
	for q := at; q < ceil; {
		r, size := utf8.DecodeRuneInString(text[q:])
		switch {
		case isNewline(r):
			return q, false
		case isWideStop(r):
			return q + size, false
		case r == '.' || r == '!' || r == '?':
			if q+size == len(text) {
				return q + size, false
			}
			if next, _ := utf8.DecodeRuneInString(text[q+size:]); isSpace(next) {
				return q + size, false
			}
		}
		q += size
	}
	return ceil, ceil < len(text)
}

// spaceByte reports an ASCII whitespace byte.
func spaceByte(c byte) bool { return c == ' ' || '\t' <= c && c <= '\r' }

func isNewline(r rune) bool {
	return r == '\n' || r == '\r' || r == '\v' || r == '\f' || r == 0x85 || r == 0x2028 || r == 0x2029
}

// isWideStop reports the full-width sentence terminators, which end a sentence without a
// following space.
func isWideStop(r rune) bool {
	return r == '。' || r == '！' || r == '？'
}
