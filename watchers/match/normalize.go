package match

import (
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalisation turns a text into tokens. Watch terms and item texts go through the same
// code, so that a term matches a text exactly when their token sequences are equal:
//
//   - each rune is mapped through NFKD (compatibility forms: full-width letters and digits,
//     ligatures, the Kelvin sign), its Latin, Greek, Cyrillic, Arabic and Hebrew diacritics
//     are dropped, and it is case folded (ß to ss, ø to o, æ to ae, ı and İ to i). This is
//     NFKC for matching's purposes: composing again would only rebuild the dropped accents,
//     and the marks that stay (Kana voicing, Indic and Thai vowel signs) stay decomposed on
//     both sides alike. Hangul syllables are kept whole;
//   - a token is a run of letters and digits of a script that separates words, or a single
//     letter of a script written without spaces (Han, Kana, Hangul, Thai, …) with the marks
//     that follow it, or a single symbol (+, $, ©, …; & counts as the word "and");
//   - whitespace, punctuation (all quotes, dashes and hyphens among it) and footnote numbers
//     only separate tokens, so "Co., Ltd." and "Co Ltd" give the same tokens;
//   - single letters joined by full stops form one token: "S.A." is "sa", "L.L.C." is "llc";
//   - the end of a sentence (". " after a word that is not an abbreviation, "! ", "? ", 。)
//     and a blank line are breaks that a text's match never spans; terms have none.
//
// Token offsets point into the original text, so evidence is shown as it was written. Beyond
// token equality, company suffixes have variants (variants.go) and a few rules of case keep
// common words from matching listed names (accept in match.go).

// Rune classes.
const (
	cSpace    uint8 = iota // whitespace
	cNewline               // a line break, also whitespace
	cPunct                 // punctuation, controls, superscript and other numbers
	cStop                  // . ! ?: a sentence ends here when whitespace follows
	cWideStop              // 。！？: a sentence ends here
	cWord                  // letter or digit of a script that separates words
	cCont                  // letter of a script written without spaces: a token of its own
	cMark                  // a combining mark that is kept: it extends the token before it
	cSym                   // a symbol: a token of its own
	cDrop                  // nothing: format characters and dropped diacritics
	cInvalid               // a byte that is not UTF-8
)

// A rune's entry packs its class, whether it is a letter (for initialisms), its case, and its
// folded form: either one rune, or an index into multi.
const (
	entryClassMask = 0xf
	entryLetter    = 1 << 4
	entryMulti     = 1 << 5
	entryUpper     = 1 << 6
	entryLower     = 1 << 7
	entryShift     = 8
)

type runeTables struct {
	bmp   []uint32 // entries of U+0000 … U+FFFF
	multi []string // folded forms longer than one rune
}

var tables = sync.OnceValue(buildTables)

func buildTables() *runeTables {
	t := &runeTables{bmp: make([]uint32, 0x10000)}
	index := map[string]uint32{}
	for r := rune(0); r < 0x10000; r++ {
		cls, letter, out := classify(r)
		e := uint32(cls) | caseBits(r)
		if letter {
			e |= entryLetter
		}
		switch utf8.RuneCountInString(out) {
		case 0:
		case 1:
			o, _ := utf8.DecodeRuneInString(out)
			e |= uint32(o) << entryShift
		default:
			i, ok := index[out]
			if !ok {
				i = uint32(len(t.multi))
				index[out] = i
				t.multi = append(t.multi, out)
			}
			e |= entryMulti | i<<entryShift
		}
		t.bmp[r] = e
	}
	return t
}

func caseBits(r rune) uint32 {
	var e uint32
	if unicode.IsUpper(r) || unicode.IsTitle(r) {
		e |= entryUpper
	}
	if unicode.IsLower(r) {
		e |= entryLower
	}
	return e
}

// appendRune returns the entry of r (its class and flags) and dst with the folded form of r
// appended, for the classes that have one.
func (t *runeTables) appendRune(dst []byte, r rune) (e uint32, out []byte) {
	if r >= 0x10000 {
		return supplementary(dst, r)
	}
	e = t.bmp[r]
	switch {
	case e&entryMulti != 0:
		dst = append(dst, t.multi[e>>entryShift]...)
	case e>>entryShift != 0:
		dst = utf8.AppendRune(dst, rune(e>>entryShift))
	}
	return e, dst
}

// supplementary classifies a rune outside the Basic Multilingual Plane. Those are rare in
// news text, so they are not tabled; the common ones (Han extensions, emoji) avoid the
// general path.
func supplementary(dst []byte, r rune) (uint32, []byte) {
	switch {
	case unicode.Is(unicode.Han, r) && (r < 0x2F800 || r > 0x2FA1F):
		return uint32(cCont) | entryLetter, utf8.AppendRune(dst, r)
	case unicode.Is(unicode.So, r):
		return uint32(cSym), utf8.AppendRune(dst, r)
	}
	cls, letter, out := classify(r)
	e := uint32(cls) | caseBits(r)
	if letter {
		e |= entryLetter
	}
	return e, append(dst, out...)
}

// classify decides the class and folded form of one rune. It is the slow path that fills the
// tables; its folded forms are fixed points (classifying them again gives them back).
func classify(r rune) (cls uint8, letter bool, out string) {
	cls, letter, out = classifyOnce(r)
	if cls == cStop {
		return cls, false, out
	}
	if cls != cWord && cls != cCont && cls != cMark && cls != cSym {
		return cls, letter, ""
	}
	// Folding may give runes that fold further (rarely); iterate to a fixed point.
	for range 3 {
		next := make([]rune, 0, len(out))
		for _, x := range out {
			if x == r {
				next = append(next, x)
				continue
			}
			c, _, o := classifyOnce(x)
			if c == cDrop {
				continue
			}
			next = append(next, []rune(o)...)
		}
		if string(next) == out {
			break
		}
		out = string(next)
	}
	if out == "" {
		return cDrop, false, ""
	}
	return cls, letter, out
}

func classifyOnce(r rune) (cls uint8, letter bool, out string) {
	if r < utf8.RuneSelf {
		a := asciiTab[r]
		switch {
		case r == '&':
			return cSym, false, "and"
		case a.class == cWord || a.class == cSym || a.class == cStop:
			return a.class, a.letter, string(rune(a.fold))
		}
		return a.class, false, ""
	}
	switch {
	case r == 0x85 || r == 0x2028 || r == 0x2029:
		return cNewline, false, ""
	case unicode.IsSpace(r):
		return cSpace, false, ""
	case r == 0x3002 || r == 0xFF61 || r == 0xFF01 || r == 0xFF1F || r == 0xFF0E:
		return cWideStop, false, ""
	case r == 0x0640: // Arabic tatweel: a stretch of the line, not a letter
		return cDrop, false, ""
	case 0x02B9 <= r && r <= 0x02FF: // modifier apostrophes, tone letters
		return cPunct, false, ""
	case r == 0x2212 || r == 0x2043: // minus sign and hyphen bullet, written as dashes
		return cPunct, false, ""
	case 0xAC00 <= r && r <= 0xD7A3: // Hangul syllables stay whole: NFKD would split them
		return cCont, true, string(r)
	case r == 'й' || r == 'Й' || r == 'ў' || r == 'Ў': // letters of their own, not и/у + breve
		return cWord, true, string(unicode.ToLower(r))
	case r == 'ー' || r == 'ｰ': // prolonged sound marks are Common script but written in Kana words
		return cCont, true, "ー"
	case unicode.Is(unicode.No, r): // superscripts (footnote marks), fractions, circled numbers
		return cPunct, false, ""
	case unicode.Is(unicode.Cf, r):
		return cDrop, false, ""
	case unicode.Is(unicode.Cc, r):
		return cPunct, false, ""
	case unicode.IsPunct(r) || unicode.Is(unicode.Sk, r):
		if d := []rune(norm.NFKD.String(string(r))); len(d) == 1 && d[0] < utf8.RuneSelf {
			if a := asciiTab[d[0]]; a.class == cStop || a.class == cSym {
				return classifyOnce(d[0])
			}
		}
		return cPunct, false, ""
	case unicode.Is(unicode.Sm, r) || unicode.Is(unicode.Sc, r) || unicode.Is(unicode.So, r):
		d := []rune(norm.NFKD.String(string(r)))
		if len(d) != 1 {
			return cSym, false, string(r)
		}
		if d[0] == r {
			return cSym, false, string(r)
		}
		if c, l, o := classifyOnce(d[0]); c == cWord || c == cCont || c == cSym {
			return c, l, o // full-width signs, circled letters
		}
		return cSym, false, string(r)
	case !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) && !unicode.Is(unicode.Nl, r):
		// Private use and unassigned code points.
		return cSym, false, string(r)
	}

	// Letters, digits and marks.
	d := norm.NFKD.String(string(r))
	var b []rune
	first := uint8(0)
	for _, x := range d {
		if dropMark(x) {
			continue
		}
		c := baseClass(x)
		switch {
		case first == 0:
			first = c
		case c == cMark:
		case c != first:
			// A compatibility form that mixes kinds of runes (ŉ is ʼn): keep the rune.
			return baseClass(r), unicode.IsLetter(r), foldString(r)
		}
		b = append(b, []rune(foldString(x))...)
	}
	if len(b) == 0 {
		return cDrop, false, ""
	}
	if first == cPunct {
		return cPunct, false, ""
	}
	if first == cCont {
		// Each letter of a script without spaces is a token: a digraph (ໜ is ຫນ) stays whole.
		letters := 0
		for _, x := range b {
			if baseClass(x) != cMark {
				letters++
			}
		}
		if letters > 1 {
			return cCont, true, foldString(r)
		}
	}
	return first, unicode.IsLetter(r) && first != cMark, string(b)
}

// baseClass classifies a rune that NFKD leaves alone.
func baseClass(x rune) uint8 {
	switch {
	case x < utf8.RuneSelf:
		return asciiTab[x].class
	case unicode.IsMark(x):
		return cMark
	case 0x02B9 <= x && x <= 0x02FF:
		return cPunct
	case unicode.IsLetter(x) || unicode.IsDigit(x) || unicode.Is(unicode.Nl, x):
		if isContinuous(x) {
			return cCont
		}
		return cWord
	case unicode.IsSpace(x):
		return cSpace
	case unicode.IsPunct(x):
		return cPunct
	}
	return cSym
}

// dropMark reports the combining marks that are diacritics to fold away: the generic
// combining blocks (accents on Latin, Greek and Cyrillic letters), Arabic harakat and Hebrew
// points. Marks that are part of a letter (Kana voicing, Indic and Thai vowel signs) stay.
func dropMark(x rune) bool {
	switch {
	case 0x0300 <= x && x <= 0x036F, 0x1AB0 <= x && x <= 0x1AFF, 0x1DC0 <= x && x <= 0x1DFF,
		0x20D0 <= x && x <= 0x20FF, 0xFE20 <= x && x <= 0xFE2F:
		return true
	case 0x0610 <= x && x <= 0x061A, 0x064B <= x && x <= 0x065F, x == 0x0670, 0x06D6 <= x && x <= 0x06ED:
		return true
	case 0x0591 <= x && x <= 0x05C7 && unicode.IsMark(x):
		return true
	}
	return false
}

// foldString case folds one rune, with the Latin letters that have no decomposition spelt
// as their base letters.
func foldString(x rune) string {
	switch x {
	case 'ß', 'ẞ':
		return "ss"
	case 'ø', 'Ø':
		return "o"
	case 'æ', 'Æ':
		return "ae"
	case 'œ', 'Œ':
		return "oe"
	case 'ł', 'Ł':
		return "l"
	case 'đ', 'Đ', 'ð', 'Ð':
		return "d"
	case 'þ', 'Þ':
		return "th"
	case 'ħ', 'Ħ':
		return "h"
	case 'ŧ', 'Ŧ':
		return "t"
	case 'ŀ', 'Ŀ':
		return "l"
	}
	return string(fold(x))
}

// fold maps every rune of a simple case folding orbit to one representative (K, k and the
// Kelvin sign to k; Σ, σ and ς to σ), and ı to i.
func fold(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	}
	return unicode.ToLower(unicode.ToUpper(r))
}

// continuous are the scripts written without spaces between words (or, for Hangul, with
// particles attached to nouns), where a name is found as a substring.
var continuous = []*unicode.RangeTable{
	unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul,
	unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar,
}

func isContinuous(r rune) bool {
	for _, t := range continuous {
		if unicode.Is(t, r) {
			return true
		}
	}
	return false
}

type asciiEntry struct {
	class  uint8
	letter bool
	fold   byte
	flags  uint8 // tokUpper or tokLower
}

// asciiTab classifies and folds ASCII, the hot path of tokenising.
var asciiTab = func() (t [utf8.RuneSelf]asciiEntry) {
	for c := range byte(utf8.RuneSelf) {
		e := asciiEntry{class: cPunct}
		switch {
		case 'a' <= c && c <= 'z':
			e = asciiEntry{class: cWord, letter: true, fold: c, flags: tokLower}
		case 'A' <= c && c <= 'Z':
			e = asciiEntry{class: cWord, letter: true, fold: c + 'a' - 'A', flags: tokUpper}
		case '0' <= c && c <= '9':
			e = asciiEntry{class: cWord, fold: c}
		case c == ' ' || c == '\t' || c == '\r':
			e.class = cSpace
		case c == '\n' || c == '\v' || c == '\f':
			e.class = cNewline
		case c == '.' || c == '!' || c == '?':
			e = asciiEntry{class: cStop, fold: c}
		case c == '&' || c == '$' || c == '+' || c == '<' || c == '=' || c == '>' || c == '|' || c == '~':
			e = asciiEntry{class: cSym, fold: c}
		}
		t[c] = e
	}
	return t
}()

// Token flags.
const (
	tokBreak      = 1 << iota // a sentence or paragraph ends before the token
	tokLetter                 // a single letter: may be part of an initialism
	tokDotNext                // followed at once by "."
	tokDotJoin                // followed by exactly "." and then at once by the next token
	tokInvalid                // stands for a byte that is not UTF-8: never matches
	tokUpper                  // has an upper-case (or title-case) letter
	tokLower                  // has a lower-case letter
	tokInitialism             // single letters joined by stops, as in "S.A."
)

// token is one token of a text: its folded bytes norm[lo:hi] and its span text[start:end].
type token struct {
	lo, hi     int32
	start, end int32
	flags      uint8
}

// tokenizer holds the buffers of one tokenisation; reuse it to avoid allocation.
type tokenizer struct {
	norm  []byte
	toks  []token
	upper bool // the text has an upper-case letter
}

// gap is what lies between two tokens.
type gap struct {
	runes    int  // separator runes
	firstDot bool // the first of them is "."
	stop     bool // a . ! or ? was seen
	bang     bool // a ! or ? was seen
	stopWS   bool // whitespace followed a stop
	wide     bool // a 。！？ was seen
	newlines int
}

// tokenize splits text into tokens (see the comment at the top of this file). Breaks are
// recorded as flags; initialisms are merged.
func (z *tokenizer) tokenize(text string) {
	t := tables()
	z.norm, z.toks, z.upper = z.norm[:0], z.toks[:0], false
	var cased uint8 // tokUpper and tokLower seen in the text
	const (
		openNone = iota
		openWord
		openCont
	)
	open := openNone
	var (
		cur     token
		g       gap
		letters int // word runes in the current word token
		letter  bool
		anyDot  bool
	)
	closeTok := func() {
		if open == openNone {
			return
		}
		cur.hi = int32(len(z.norm))
		if open == openWord && letters == 1 && letter {
			cur.flags |= tokLetter
		}
		cased |= cur.flags
		z.toks = append(z.toks, cur)
		open = openNone
		g = gap{}
	}
	begin := func(i int, kind int) {
		closeTok()
		cur = token{lo: int32(len(z.norm)), start: int32(i)}
		if n := len(z.toks); n > 0 {
			prev := &z.toks[n-1]
			if g.firstDot {
				prev.flags |= tokDotNext
				if g.runes == 1 {
					prev.flags |= tokDotJoin
					anyDot = true
				}
			}
			if g.wide || g.newlines >= 2 || g.stopWS && (g.bang || !z.abbreviation(prev)) {
				cur.flags |= tokBreak
			}
		}
		g = gap{}
		open = kind
		letters, letter = 0, false
	}
	separator := func(cls uint8, c byte) {
		closeTok()
		if g.runes == 0 && cls == cStop && c == '.' {
			g.firstDot = true
		}
		g.runes++
		switch cls {
		case cStop:
			g.stop = true
			g.bang = g.bang || c != '.'
		case cWideStop:
			g.wide = true
		case cNewline:
			g.newlines++
			g.stopWS = g.stopWS || g.stop
		case cSpace:
			g.stopWS = g.stopWS || g.stop
		}
	}

	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			a := &asciiTab[c]
			switch a.class {
			case cWord:
				if open != openWord {
					begin(i, openWord)
					letter = a.letter
				}
				// The rest of an ASCII word at once: the common case.
				j := i
				for {
					z.norm = append(z.norm, a.fold)
					cur.flags |= a.flags
					if j++; j == len(text) || text[j] >= utf8.RuneSelf {
						break
					}
					if a = &asciiTab[text[j]]; a.class != cWord {
						break
					}
				}
				letters += j - i
				cur.end = int32(j)
				i = j
				continue
			case cSym:
				begin(i, openWord)
				if c == '&' {
					z.norm = append(z.norm, "and"...)
				} else {
					z.norm = append(z.norm, c)
				}
				cur.end = int32(i + 1)
				closeTok()
			default:
				separator(a.class, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		if r == utf8.RuneError && size == 1 {
			begin(i, openWord)
			cur.flags |= tokInvalid
			z.norm = append(z.norm, 0xff)
			cur.end = int32(i + 1)
			closeTok()
			i++
			continue
		}
		mark := len(z.norm)
		e, out := t.appendRune(z.norm, r)
		cls, isLetter := uint8(e&entryClassMask), e&entryLetter != 0
		caseFlags := uint8(0)
		if e&entryUpper != 0 {
			caseFlags |= tokUpper
		}
		if e&entryLower != 0 {
			caseFlags |= tokLower
		}
		switch cls {
		case cWord:
			if open != openWord {
				z.norm = out[:mark]
				begin(i, openWord)
				letter = isLetter
			}
			letters++
			z.norm = out
			cur.flags |= caseFlags
			cur.end = int32(i + size)
		case cCont:
			z.norm = out[:mark]
			begin(i, openCont)
			z.norm = out
			cur.flags |= caseFlags
			cur.end = int32(i + size)
		case cMark:
			if open == openNone {
				z.norm = out[:mark]
				begin(i, openWord)
			}
			z.norm = out
			cur.end = int32(i + size)
		case cSym:
			z.norm = out[:mark]
			begin(i, openWord)
			z.norm = out
			cur.end = int32(i + size)
			closeTok()
		case cDrop:
			if open != openNone {
				cur.end = int32(i + size)
			}
		default:
			c := byte(0)
			if len(out) > mark {
				c = out[mark]
			}
			z.norm = out[:mark]
			separator(cls, c)
		}
		i += size
	}
	closeTok()
	z.upper = cased&tokUpper != 0
	if g.firstDot && len(z.toks) > 0 {
		z.toks[len(z.toks)-1].flags |= tokDotNext
	}
	if anyDot {
		z.mergeInitialisms()
	}
	// Slack, so that a token's first 8 bytes can be read as one word.
	z.norm = append(z.norm, make([]byte, 8)...)[:len(z.norm)]
}

// abbreviation reports whether a full stop after the token may end an abbreviation rather
// than a sentence.
func (z *tokenizer) abbreviation(tk *token) bool {
	if tk.flags&tokLetter != 0 {
		return true
	}
	if tk.hi-tk.lo > 6 {
		return false
	}
	return abbreviations[string(z.norm[tk.lo:tk.hi])]
}

var abbreviations = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range []string{
		"co", "corp", "inc", "ltd", "llc", "llp", "plc", "jsc", "ojsc", "pjsc", "cjsc", "bhd",
		"sdn", "pte", "pvt", "ag", "nv", "bv", "kk", "gmbh", "spa", "sarl", "sa", "cia", "intl",
		"mfg", "bros", "assn", "dept", "gov", "govt", "no", "nos", "st", "mt", "ft", "rd", "ave",
		"blvd", "mr", "mrs", "ms", "dr", "prof", "jr", "sr", "vs", "etc", "al", "fig", "approx",
		"jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
	} {
		m[w] = true
	}
	return m
}()

// mergeInitialisms joins runs of single letters separated by single full stops ("S.A.",
// "U.S.", "G.m.b.H.") into one token spanning them and the final stop.
func (z *tokenizer) mergeInitialisms() {
	toks := z.toks
	i := 0
	for i+1 < len(toks) && toks[i].flags&(tokLetter|tokDotJoin) != tokLetter|tokDotJoin {
		i++ // tokens before the first that may start an initialism stay where they are
	}
	out := toks[:i]
	for i < len(toks) {
		k := i
		for k+1 < len(toks) && toks[k].flags&(tokLetter|tokDotJoin) == tokLetter|tokDotJoin &&
			toks[k+1].flags&tokLetter != 0 {
			k++
		}
		if k == i {
			out = append(out, toks[i])
			i++
			continue
		}
		m := token{lo: int32(len(z.norm)), start: toks[i].start, end: toks[k].end}
		for _, tk := range toks[i : k+1] {
			z.norm = append(z.norm, z.norm[tk.lo:tk.hi]...)
		}
		m.hi = int32(len(z.norm))
		m.flags = toks[i].flags&tokBreak | tokInitialism
		for _, tk := range toks[i : k+1] {
			m.flags |= tk.flags & (tokUpper | tokLower)
		}
		if toks[k].flags&tokDotNext != 0 {
			m.end++ // the final stop belongs to the initialism
		}
		m.flags |= toks[k].flags & tokDotNext
		out = append(out, m)
		i = k + 1
	}
	z.toks = out
}

// termToken is one canonical token of a watch term.
type termToken struct {
	s string
	// caps: written as an initialism ("B.O.T.H."), so that only an initialism or a word in
	// capitals matches it, not the common word "both".
	caps bool
}

// termTokens returns the canonical tokens of a watch term or exclusion, ignoring breaks;
// whether it has an upper-case letter; and whether it can match at all (it has tokens and
// no invalid UTF-8).
func termTokens(z *tokenizer, s string) (toks []termToken, cased, ok bool) {
	z.tokenize(s)
	if len(z.toks) == 0 {
		return nil, false, false
	}
	toks = make([]termToken, len(z.toks))
	for i, tk := range z.toks {
		if tk.flags&tokInvalid != 0 {
			return nil, false, false
		}
		w := string(z.norm[tk.lo:tk.hi])
		if c, ok := canonical[w]; ok {
			w = c
		}
		toks[i] = termToken{s: w, caps: tk.flags&tokInitialism != 0}
	}
	return toks, z.upper, true
}

// normalForm renders the normalised text of s: canonical tokens separated by spaces, a break
// as a blank line, a byte that is not UTF-8 as U+FFFD. Normalising the result gives it back.
func normalForm(s string) string {
	var z tokenizer
	z.tokenize(s)
	var b []byte
	for i, tk := range z.toks {
		switch {
		case tk.flags&tokBreak != 0:
			b = append(b, "\n\n"...)
		case i > 0:
			b = append(b, ' ')
		}
		if tk.flags&tokInvalid != 0 {
			b = append(b, "\ufffd"...)
			continue
		}
		w := string(z.norm[tk.lo:tk.hi])
		if c, ok := canonical[w]; ok {
			w = c
		}
		b = append(b, w...)
	}
	return string(b)
}
