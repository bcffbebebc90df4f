// Package match owns deciding whether, and where, an item names a watched entity: case- and
// whitespace-insensitive search of every watch's terms, word boundaries (substring search for
// scripts written without spaces), exclusion phrases, overlap resolution and evidence snippets.
//
// It is pure: no I/O, no storage, no clock. A Matcher is immutable once built and safe for
// concurrent use; rebuild it with New when the watches change.
package match

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/vigilbot/vigil/watchers"
)

// fields are the parts of an item searched, in the order their matches are reported.
var fields = [...]watchers.Field{watchers.FieldTitle, watchers.FieldAbstract, watchers.FieldBody}

// Matcher finds the occurrences of a set of watches in items.
type Matcher struct {
	watches []watch
	// Patterns indexed by their first folded rune; ASCII in an array since it is the common case.
	ascii    [utf8.RuneSelf][]pattern
	other    map[rune][]pattern
	patterns int
}

type watch struct {
	id      int64
	channel string
	name    string
	terms   []string // as the watch spells them
}

// pattern is one term or exclusion phrase of one watch, folded.
type pattern struct {
	runes []rune // folded; every whitespace run is one ' '
	watch int    // index in Matcher.watches
	term  int    // index in watch.terms; -1 for an exclusion
	// Whether the text must have a word boundary before the first rune and after the last.
	boundStart, boundEnd bool
}

// New compiles every watch's terms (Watch.Terms) and exclusion phrases. The watches are copied:
// changing them afterwards does not change the Matcher.
func New(ws []watchers.Watch) *Matcher {
	m := &Matcher{watches: make([]watch, 0, len(ws)), other: make(map[rune][]pattern)}
	for wi, w := range ws {
		terms := w.Terms()
		m.watches = append(m.watches, watch{id: w.ID, channel: w.Channel, name: w.Name, terms: terms})
		if len(terms) == 0 {
			continue // nothing can match, so its exclusions are irrelevant
		}
		seen := make(map[string]bool, len(terms)+len(w.Exclude))
		for ti, t := range terms {
			m.add(seen, wi, ti, t)
		}
		for _, x := range w.Exclude {
			m.add(seen, wi, -1, x)
		}
	}
	return m
}

// add compiles one phrase; seen holds the folded phrases already added for this watch, kept
// apart for terms and exclusions.
func (m *Matcher) add(seen map[string]bool, wi, ti int, s string) {
	rs := foldPhrase(s)
	if len(rs) == 0 {
		return
	}
	key := string(rs)
	if ti < 0 {
		key = "x" + key
	} else {
		key = "t" + key
	}
	if seen[key] {
		return
	}
	seen[key] = true
	m.patterns++
	p := pattern{
		runes:      rs,
		watch:      wi,
		term:       ti,
		boundStart: needsBoundary(rs[0]),
		boundEnd:   needsBoundary(rs[len(rs)-1]),
	}
	if rs[0] >= 0 && rs[0] < utf8.RuneSelf {
		m.ascii[rs[0]] = append(m.ascii[rs[0]], p)
	} else {
		m.other[rs[0]] = append(m.other[rs[0]], p)
	}
}

// Len returns the number of watches the Matcher was built with.
func (m *Matcher) Len() int { return len(m.watches) }

// Match returns every occurrence of a watch in the item's title, abstract and body, ordered by
// field (title, abstract, body), then by offset.
//
// A term matches under simple case folding, any whitespace run in it matching any whitespace
// run in the text. An end of the term in a script that separates words must fall on a word
// boundary of the text; an end in Han, Kana, Hangul, Thai (and the like) may fall inside a word.
// An occurrence inside an occurrence of one of its watch's exclusions does not count. Of one
// watch's overlapping occurrences in a field only the longest is kept; different watches are
// independent.
func (m *Matcher) Match(it watchers.Item) []watchers.Match {
	if m.patterns == 0 {
		return nil
	}
	var (
		out []watchers.Match
		s   scratch
	)
	for _, f := range fields {
		text := it.Text(f)
		if text == "" {
			continue
		}
		out = m.matchField(out, &s, f, text)
	}
	return out
}

// scratch holds buffers reused across the fields of one Match call.
type scratch struct {
	t     units
	terms []hit
	excls []hit
	taken []bool
}

// hit is one occurrence of a pattern, in units of the folded text.
type hit struct {
	watch, term int
	start, end  int
}

func (m *Matcher) matchField(out []watchers.Match, s *scratch, f watchers.Field, text string) []watchers.Match {
	t := &s.t
	t.reset(text)
	s.terms, s.excls = s.terms[:0], s.excls[:0]
	n := len(t.runes)
	for i, r := range t.runes {
		var cands []pattern
		if r >= 0 && r < utf8.RuneSelf {
			cands = m.ascii[r]
		} else {
			cands = m.other[r]
		}
		for k := range cands {
			p := &cands[k]
			if p.boundStart && i > 0 && t.class[i-1] == classWord {
				continue
			}
			j := i + len(p.runes)
			if j > n || !slices.Equal(t.runes[i+1:j], p.runes[1:]) {
				continue
			}
			if p.boundEnd && j < n && t.class[j] == classWord {
				continue
			}
			h := hit{watch: p.watch, term: p.term, start: i, end: j}
			if p.term < 0 {
				s.excls = append(s.excls, h)
			} else {
				s.terms = append(s.terms, h)
			}
		}
	}
	if len(s.terms) == 0 {
		return out
	}

	byWatch := func(a, b hit) int { return a.watch - b.watch }
	slices.SortStableFunc(s.terms, byWatch) // stable: each watch's hits stay in text order
	slices.SortStableFunc(s.excls, byWatch)
	if cap(s.taken) < n {
		s.taken = make([]bool, n)
	}
	taken := s.taken[:n]

	first := len(out)
	excls := s.excls
	for hs := s.terms; len(hs) > 0; {
		wi := hs[0].watch
		k := 1
		for k < len(hs) && hs[k].watch == wi {
			k++
		}
		group := hs[:k]
		hs = hs[k:]
		for len(excls) > 0 && excls[0].watch < wi {
			excls = excls[1:]
		}
		k = 0
		for k < len(excls) && excls[k].watch == wi {
			k++
		}
		group = dropExcluded(group, excls[:k])
		group = keepLongest(group, taken)
		w := &m.watches[wi]
		for _, h := range group {
			start, end := t.off[h.start], t.off[h.end]
			snip, ms, me := snippet(text, start, end)
			out = append(out, watchers.Match{
				WatchID:   w.id,
				Channel:   w.channel,
				Entity:    w.name,
				Alias:     w.terms[h.term],
				Field:     f,
				Start:     start,
				End:       end,
				Snippet:   snip,
				MarkStart: ms,
				MarkEnd:   me,
			})
		}
	}
	// Order this field's matches by offset. The groups were appended in watch order, so the
	// stable sort leaves matches at one offset in the order New got their watches.
	slices.SortStableFunc(out[first:], func(a, b watchers.Match) int { return a.Start - b.Start })
	return out
}

// dropExcluded removes, in place, the hits that lie inside the span of an exclusion hit.
// Both slices are in text order (by start).
func dropExcluded(hs, xs []hit) []hit {
	if len(xs) == 0 {
		return hs
	}
	// reach[i] is the furthest end among xs[:i+1]: a hit starting at or after xs[i].start is
	// covered by some exclusion in xs[:i+1] exactly when its end is within reach[i].
	reach := make([]int, len(xs))
	far := 0
	for i, x := range xs {
		far = max(far, x.end)
		reach[i] = far
	}
	kept := hs[:0]
	for _, h := range hs {
		// i is the number of exclusions starting at or before h.
		i, _ := slices.BinarySearchFunc(xs, h.start+1, func(x hit, v int) int { return x.start - v })
		if i > 0 && reach[i-1] >= h.end {
			continue
		}
		kept = append(kept, h)
	}
	return kept
}

// keepLongest resolves overlaps among one watch's hits: the longest wins, then the earliest,
// then the term listed first. It returns the survivors in text order, reusing hs. taken must be
// all false over the hits' spans; it is left that way.
func keepLongest(hs []hit, taken []bool) []hit {
	if len(hs) < 2 {
		return hs
	}
	overlaps := false
	for i := 1; i < len(hs); i++ {
		if hs[i].start < hs[i-1].end {
			overlaps = true
			break
		}
	}
	if !overlaps {
		return hs // in text order, each hit ending before the next starts
	}
	slices.SortFunc(hs, func(a, b hit) int {
		if la, lb := a.end-a.start, b.end-b.start; la != lb {
			return lb - la
		}
		if a.start != b.start {
			return a.start - b.start
		}
		return a.term - b.term
	})
	kept := hs[:0]
	for _, h := range hs {
		if slices.Contains(taken[h.start:h.end], true) {
			continue
		}
		for i := h.start; i < h.end; i++ {
			taken[i] = true
		}
		kept = append(kept, h)
	}
	for _, h := range kept {
		clear(taken[h.start:h.end])
	}
	slices.SortFunc(kept, func(a, b hit) int { return a.start - b.start })
	return kept
}

// Character classes of the text, for word boundaries.
const (
	classOther      = iota // space, punctuation, symbols: always a boundary
	classWord              // letter, digit or mark of a script that separates words
	classContinuous        // letter or mark of a script written without spaces (Han, Kana, …)
)

// units is a text folded for matching: one unit per rune, except that a whitespace run is one
// unit ' '. off[i] is the byte offset in the original text where unit i starts, and
// off[len(runes)] is the text's length, so offsets survive folding that changes byte lengths.
type units struct {
	runes []rune
	class []uint8
	off   []int
}

// classSpace marks whitespace in asciiUnits only; a whitespace unit has classOther.
const classSpace = 255

// asciiUnits holds each ASCII byte's folded rune and class, the hot path of units.reset.
var asciiUnits = func() (t [utf8.RuneSelf]struct {
	fold  rune
	class uint8
}) {
	for c := range rune(utf8.RuneSelf) {
		t[c].fold, t[c].class = fold(c), classOf(c)
		if isSpace(c) {
			t[c].class = classSpace
		}
	}
	return t
}()

// invalidText stands for a byte that is not UTF-8 in the text; no phrase contains it.
const invalidText rune = -1

func (u *units) reset(text string) {
	// A unit is at least one byte: size the buffers once rather than growing them.
	u.runes = slices.Grow(u.runes[:0], len(text))
	u.class = slices.Grow(u.class[:0], len(text))
	u.off = slices.Grow(u.off[:0], len(text)+1)
	space := false
	for i := 0; i < len(text); {
		if c := text[i]; c < utf8.RuneSelf {
			a := asciiUnits[c]
			if a.class == classSpace {
				if !space {
					u.runes = append(u.runes, ' ')
					u.class = append(u.class, classOther)
					u.off = append(u.off, i)
				}
				space = true
			} else {
				space = false
				u.runes = append(u.runes, a.fold)
				u.class = append(u.class, a.class)
				u.off = append(u.off, i)
			}
			i++
			continue
		}
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
			if r == utf8.RuneError && size == 1 {
				r = invalidText
			}
		}
		if isSpace(r) {
			if !space {
				u.runes = append(u.runes, ' ')
				u.class = append(u.class, classOther)
				u.off = append(u.off, i)
			}
			space = true
			i += size
			continue
		}
		space = false
		u.runes = append(u.runes, fold(r))
		u.class = append(u.class, classOf(r))
		u.off = append(u.off, i)
		i += size
	}
	u.off = append(u.off, len(text))
}

// invalidPhrase stands for a byte that is not UTF-8 in a phrase; it matches nothing.
const invalidPhrase rune = -2

// foldPhrase folds a term or exclusion, trims it and collapses its whitespace runs to one ' '.
func foldPhrase(s string) []rune {
	s = strings.TrimSpace(s)
	rs := make([]rune, 0, len(s))
	space := false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r == utf8.RuneError && size == 1 {
			r = invalidPhrase
		}
		if isSpace(r) {
			if !space {
				rs = append(rs, ' ')
			}
			space = true
			continue
		}
		space = false
		rs = append(rs, fold(r))
	}
	return rs
}

// fold maps every rune of a simple case folding orbit to one representative (K, k and the Kelvin
// sign to k; ẞ to ß; Σ, σ and ς to σ). It also maps İ and ı to i, which Turkish spellings of
// Latin names need.
func fold(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	}
	return unicode.ToLower(unicode.ToUpper(r))
}

func isSpace(r rune) bool {
	if r < utf8.RuneSelf {
		return r == ' ' || '\t' <= r && r <= '\r'
	}
	return r >= 0 && unicode.IsSpace(r)
}

func classOf(r rune) uint8 {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
			return classWord
		}
		return classOther
	}
	if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) {
		return classOther
	}
	if isContinuous(r) {
		return classContinuous
	}
	return classWord
}

// needsBoundary reports whether a phrase beginning (or ending) with the folded rune r must
// stand as a whole word at that end.
func needsBoundary(r rune) bool {
	return r >= 0 && classOf(r) == classWord
}

// continuous are the scripts written without spaces between words (or, for Hangul, with
// particles attached to nouns), where a name is found as a substring.
var continuous = []*unicode.RangeTable{
	unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul,
	unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar,
}

func isContinuous(r rune) bool {
	// The prolonged sound marks belong to the Common script but are written inside Kana words.
	if r == 'ー' || r == 'ｰ' {
		return true
	}
	for _, t := range continuous {
		if unicode.Is(t, r) {
			return true
		}
	}
	return false
}
