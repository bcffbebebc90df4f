// Package match owns deciding whether, and where, an item names a watched entity:
// normalisation of watch terms and item text (Unicode NFKC-compatible folding, case,
// diacritics, full-width forms, quotes and dashes, punctuation between words, company-suffix
// variants), word boundaries (substring search for scripts written without spaces), one
// token automaton for every watch of every channel, exclusion phrases, overlap resolution,
// evidence snippets, and whether each occurrence names the item's subject or is a passing
// mention.
//
// It is pure: no I/O, no storage, no clock. A Matcher is immutable once built and safe for
// concurrent use; rebuild it with New when the watches change.
package match

import (
	"math/bits"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/vigilbot/vigil/watchers"
)

// fields are the parts of an item searched, in the order their matches are reported; table
// rows come last.
var fields = [...]watchers.Field{watchers.FieldTitle, watchers.FieldAbstract, watchers.FieldBody, watchers.FieldTableRow}

// Matcher finds the occurrences of a set of watches in items. It is immutable and safe for
// concurrent use.
type Matcher struct {
	watches  []watch
	auto     *automaton
	patterns int // compiled token sequences, variants included
}

type watch struct {
	id      int64
	channel string
	name    string
	terms   []string // as the watch spells them
}

// New compiles every watch's terms (Watch.Terms) and exclusion phrases into one automaton.
// The watches are copied: changing them afterwards does not change the Matcher. For 100,000
// names it takes about 0.2 s and allocates about 120 MB, of which the Matcher keeps 22 MB
// (docs/PERFORMANCE.md), so build it off the hot path and swap it in.
func New(ws []watchers.Watch) *Matcher {
	m := &Matcher{watches: make([]watch, 0, len(ws))}
	var (
		z     tokenizer
		ids   = map[string]int32{}
		arena []int32
		ps    []pattern
	)
	add := func(wi, ti int, s string) {
		toks, cased, ok := termTokens(&z, s)
		if !ok {
			return
		}
		for _, v := range variants(toks) {
			r := ref{watch: int32(wi), term: int32(ti), cased: cased && ti >= 0}
			off := int32(len(arena))
			for k, t := range v {
				id, ok := ids[t.s]
				if !ok {
					id = int32(len(ids))
					ids[t.s] = id
				}
				arena = append(arena, id)
				if t.caps && k < 32 && ti >= 0 {
					r.caps |= 1 << k
				}
			}
			ps = append(ps, pattern{off: off, n: int32(len(v)), ref: r})
		}
	}
	for wi, w := range ws {
		terms := w.Terms()
		m.watches = append(m.watches, watch{id: w.ID, channel: w.Channel, name: w.Name, terms: terms})
		if len(terms) == 0 {
			continue // nothing can match, so its exclusions are irrelevant
		}
		for ti, t := range terms {
			add(wi, ti, t)
		}
		for _, x := range w.Exclude {
			add(wi, -1, x)
		}
	}
	m.patterns = len(ps)
	if len(ps) == 0 {
		return m
	}
	table := newTokenTable(len(ids) + len(canonical))
	for t, id := range ids {
		table.insert([]byte(t), id)
	}
	for alias, c := range canonical {
		if id, ok := ids[c]; ok {
			table.insert([]byte(alias), id)
		}
	}
	m.auto = build(table, len(ids), arena, ps)
	return m
}

// Len returns the number of watches the Matcher was built with.
func (m *Matcher) Len() int { return len(m.watches) }

// Match returns every occurrence of a watch in the item's title, abstract, body and table
// rows, ordered by field (title, abstract, body, table_row), then by offset. A row's offsets
// are within Item.Text(FieldTableRow), the rows joined by "\n", and its snippet is the row.
//
// A term matches where the text's tokens equal the term's (see the normalisation rules in
// normalize.go): case, diacritics, width, punctuation and whitespace between words, and the
// spelling of company suffixes do not matter; words match whole, while Han, Kana, Hangul and
// Thai match inside longer runs. A match never spans the end of a sentence, a blank line or
// a table row. An occurrence inside an occurrence of one of its watch's exclusions does not
// count. Of one watch's overlapping occurrences in a field only the longest is kept;
// different watches are independent.
func (m *Matcher) Match(it watchers.Item) []watchers.Match {
	if m.auto == nil {
		return nil
	}
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	var out []watchers.Match
	for _, f := range fields[:3] {
		if text := it.Text(f); text != "" {
			out = m.matchText(out, s, f, text, 0, prominence(it, f))
		}
	}
	base := 0
	for _, row := range it.Rows {
		out = m.matchText(out, s, watchers.FieldTableRow, row, base, inRow)
		base += len(row) + 1
	}
	return out
}

// place says how the occurrences in one text are marked (watchers.Mention).
type place int

const (
	inSubject place = iota // every occurrence names the subject: the title
	inLead                 // those in the text's first sentence name the subject
	inPassing              // every occurrence is a passing mention
	inRow                  // one table row: a listing, so the subject; the row is the evidence
)

// prominence says where in an item's field an occurrence names the item's subject:
//   - the title, always;
//   - the lead — the abstract, or the body of an item without one — in its first sentence
//     (sentences end as the tokenizer ends them: "Co. Ltd." and "U.S." end none, so a
//     doubtful full stop makes the first sentence longer, never shorter);
//   - the body of a Federal Register document without table rows everywhere: its full text
//     came as plain text (the public-inspection desk) or has no tables, and a listing in it
//     (an OFAC designation, a raw-text Entity List table) cannot be told from prose, so it
//     is never taken for a passing mention;
//   - otherwise the body holds passing mentions only.
func prominence(it watchers.Item, f watchers.Field) place {
	switch f {
	case watchers.FieldTitle:
		return inSubject
	case watchers.FieldAbstract:
		return inLead
	}
	switch {
	case it.Step != "" && len(it.Rows) == 0:
		return inSubject
	case strings.TrimSpace(it.Abstract) == "":
		return inLead
	}
	return inPassing
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// scratch holds the buffers of one Match call, reused across calls.
type scratch struct {
	z     tokenizer
	terms []hit
	excls []hit
	taken []bool
}

// hit is one occurrence of a pattern, in tokens of the text.
type hit struct {
	watch, term int32
	start, end  int32
}

// matchText appends the matches in one text: a field, or one table row at offset base of the
// field's text. The evidence is the sentence around a match, or the whole row; where says
// which occurrences name the item's subject.
func (m *Matcher) matchText(out []watchers.Match, s *scratch, f watchers.Field, text string, base int, where place) []watchers.Match {
	a := m.auto
	z := &s.z
	z.tokenize(text)
	s.terms, s.excls = s.terms[:0], s.excls[:0]
	state := int32(0)
	for i := range z.toks {
		tk := &z.toks[i]
		if tk.flags&tokInvalid != 0 {
			state = 0
			continue
		}
		id := a.tokens.lookup(z.norm, tk.lo, tk.hi)
		if id < 0 {
			state = 0
			continue
		}
		if tk.flags&tokBreak != 0 {
			state = 0
		}
		state = a.step(state, id)
		for n := a.nodes[state].out; n != 0; n = a.nodes[a.nodes[n].fail].out {
			start := int32(i) + 1 - a.depth[n]
			for _, r := range a.refs[a.outStart[n]:a.outStart[n+1]] {
				h := hit{watch: r.watch, term: r.term, start: start, end: int32(i) + 1}
				switch {
				case r.term < 0:
					s.excls = append(s.excls, h)
				case accept(z, r, h):
					s.terms = append(s.terms, h)
				}
			}
		}
	}
	if len(s.terms) == 0 {
		return out
	}

	// Hits come in order of their end; order each watch's by start.
	byWatchStart := func(a, b hit) int {
		if a.watch != b.watch {
			return int(a.watch - b.watch)
		}
		if a.start != b.start {
			return int(a.start - b.start)
		}
		return int(a.end - b.end)
	}
	slices.SortFunc(s.terms, byWatchStart)
	slices.SortFunc(s.excls, byWatchStart)
	n := len(z.toks)
	if cap(s.taken) < n {
		s.taken = make([]bool, n)
	}
	taken := s.taken[:n]

	lead := int32(n)
	if where == inLead {
		lead = int32(z.secondSentence(text))
	}
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
			start, end := int(z.toks[h.start].start), int(z.toks[h.end-1].end)
			var sn string
			var ms, me int
			if where == inRow {
				sn, ms, me = render(text, 0, len(text), false, false, start, end)
			} else {
				sn, ms, me = z.snippet(text, int(h.start), int(h.end))
			}
			mention := watchers.MentionSubject
			if where == inPassing || where == inLead && h.start >= lead {
				mention = watchers.MentionPassing
			}
			out = append(out, watchers.Match{
				WatchID:   w.id,
				Channel:   w.channel,
				Entity:    w.name,
				Alias:     w.terms[h.term],
				Field:     f,
				Start:     base + start,
				End:       base + end,
				Snippet:   sn,
				MarkStart: ms,
				MarkEnd:   me,
				Mention:   mention,
			})
		}
	}
	// Order this text's matches by offset. The groups were appended in watch order, so the
	// stable sort leaves matches at one offset in the order New got their watches.
	slices.SortStableFunc(out[first:], func(a, b watchers.Match) int { return a.Start - b.Start })
	return out
}

// accept applies the rules of case that keep common words from matching names. Matching is
// case-insensitive, except that in a text with capitals
//   - an occurrence written wholly in lower case does not count for a term written with
//     capitals ("said" is not the listed alias "SAID", "the base" not "THE BASE"); and
//   - a word of the term written as an initialism ("B.O.T.H.") must be an initialism or in
//     capitals in the text, not the word "both" or "Both".
func accept(z *tokenizer, r ref, h hit) bool {
	if !z.upper {
		return true // a text without capitals (lower-cased, or in a caseless script)
	}
	toks := z.toks[h.start:h.end]
	if r.cased && !slices.ContainsFunc(toks, func(t token) bool { return t.flags&tokUpper != 0 }) {
		return false
	}
	for c := r.caps; c != 0; c &= c - 1 {
		f := toks[bits.TrailingZeros32(c)].flags
		if f&tokInitialism == 0 && (f&tokUpper == 0 || f&tokLower != 0) {
			return false
		}
	}
	return true
}

// dropExcluded removes, in place, the hits that lie inside the span of an exclusion hit.
// Both slices are ordered by start.
func dropExcluded(hs, xs []hit) []hit {
	if len(xs) == 0 {
		return hs
	}
	// reach[i] is the furthest end among xs[:i+1]: a hit starting at or after xs[i].start is
	// covered by some exclusion in xs[:i+1] exactly when its end is within reach[i].
	reach := make([]int32, len(xs))
	far := int32(0)
	for i, x := range xs {
		far = max(far, x.end)
		reach[i] = far
	}
	kept := hs[:0]
	for _, h := range hs {
		// i is the number of exclusions starting at or before h.
		i, _ := slices.BinarySearchFunc(xs, h.start+1, func(x hit, v int32) int { return int(x.start - v) })
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
			return int(lb - la)
		}
		if a.start != b.start {
			return int(a.start - b.start)
		}
		return int(a.term - b.term)
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
	slices.SortFunc(kept, func(a, b hit) int { return int(a.start - b.start) })
	return kept
}

func isSpace(r rune) bool {
	if r < utf8.RuneSelf {
		return r == ' ' || '\t' <= r && r <= '\r'
	}
	return r >= 0 && unicode.IsSpace(r)
}

// secondSentence returns the index of the token that starts the text's second sentence, or
// the number of tokens when it has one sentence. Sentences end at the tokenizer's breaks,
// and also at a full stop after an abbreviation when the next word is one that starts
// sentences: "… Semiconductor (China) Ltd. That rule …" ends one, "Co. Ltd. and SK hynix"
// and "the U.S. Government" do not. A doubtful full stop ends no sentence, so that the
// first sentence is longer rather than shorter: an occurrence is taken for a passing
// mention only when it is surely past the first sentence.
func (z *tokenizer) secondSentence(text string) int {
	toks := z.toks
	for i := 1; i < len(toks); i++ {
		if toks[i].flags&tokBreak != 0 {
			return i
		}
		prev, tk := &toks[i-1], &toks[i]
		if tk.flags&tokUpper == 0 || !sentenceStarters[string(z.norm[tk.lo:tk.hi])] {
			continue
		}
		// Only a full stop and whitespace between them: "Ltd. That", "U.S. The".
		gap := text[prev.end:tk.start]
		dot := strings.HasSuffix(text[prev.start:prev.end], ".")
		if g, ok := strings.CutPrefix(gap, "."); ok {
			gap, dot = g, true
		}
		if dot && gap != "" && strings.TrimFunc(gap, isSpace) == "" {
			return i
		}
	}
	return len(toks)
}

// sentenceStarters are words that, capitalised after a full stop, begin a sentence rather
// than continue a name: a company is rarely called "Ltd. The" or "Inc. However".
var sentenceStarters = map[string]bool{
	"the": true, "this": true, "that": true, "these": true, "those": true, "it": true, "its": true,
	"in": true, "he": true, "she": true, "they": true, "we": true, "but": true, "however": true,
	"there": true, "such": true, "according": true, "separately": true, "meanwhile": true,
}
