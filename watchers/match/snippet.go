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

// snippet returns the sentence of text around the occurrence spanning tokens [first, end),
// trimmed, with every whitespace run written as one space and bytes that are not UTF-8 as
// U+FFFD; a sentence longer than maxSnippet is cut around the occurrence and marked with "…".
// The occurrence is snip[ms:me].
//
// Sentences are those of the tokenizer: they end where a match could not go on (". " after a
// word that is not an abbreviation, "! ", "? ", 。！？, a blank line), so "Co. Ltd" and
// "U.S. Commerce" do not split one.
func (z *tokenizer) snippet(text string, first, end int) (snip string, ms, me int) {
	toks := z.toks
	start, stop := int(toks[first].start), int(toks[end-1].end)
	var s, e int
	var leftOpen, rightOpen bool

	j := first
	for j > 0 && toks[j].flags&tokBreak == 0 {
		if int(toks[j-1].start) < start-maxSnippet {
			leftOpen = true
			break
		}
		j--
	}
	switch {
	case leftOpen:
		s = int(toks[j].start)
	case j == 0:
		s = 0
	default:
		// After the last whitespace or wide stop in the gap that ends the previous sentence.
		lo := int(toks[j-1].end)
		s = lo
		for i, r := range text[lo:toks[j].start] {
			if isSpace(r) || isWideStop(r) {
				s = lo + i + utf8.RuneLen(r)
			}
		}
	}

	k := end - 1
	for k+1 < len(toks) && toks[k+1].flags&tokBreak == 0 {
		if int(toks[k+1].end) > stop+maxSnippet {
			rightOpen = true
			break
		}
		k++
	}
	switch {
	case rightOpen:
		e = int(toks[k].end)
	case k+1 == len(toks):
		e = len(text)
	default:
		// Through the terminator: up to the first whitespace, or just after a wide stop.
		lo := int(toks[k].end)
		e = int(toks[k+1].start)
		for i, r := range text[lo:e] {
			if isSpace(r) {
				e = lo + i
				break
			}
			if isWideStop(r) {
				e = lo + i + utf8.RuneLen(r)
				break
			}
		}
	}
	return render(text, s, e, leftOpen, rightOpen, start, stop)
}

// render writes text[s:e], the sentence around the occurrence text[start:end]; leftOpen and
// rightOpen report that the sentence goes on beyond s and e.
func render(text string, s, e int, leftOpen, rightOpen bool, start, end int) (snip string, ms, me int) {
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

// spaceByte reports an ASCII whitespace byte.
func spaceByte(c byte) bool { return c == ' ' || '\t' <= c && c <= '\r' }

// isWideStop reports the full-width sentence terminators, which end a sentence without a
// following space.
func isWideStop(r rune) bool {
	return r == '。' || r == '！' || r == '？'
}
