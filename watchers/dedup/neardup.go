package dedup

import (
	"math/bits"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// NearDuplicateDistance is the largest Hamming distance between the fingerprints of two
// copies of one story. It is the distance with the best recall at a precision of at least
// 0.95 on testdata/neardup.jsonl; NEARDUP.md gives the figures, and how far they carry.
const NearDuplicateDistance = 16

// Fingerprint returns a 64-bit SimHash of a news story's title and lead: the same story
// rewritten by another outlet lands a few bits away from it (see NearDuplicate), an
// unrelated story about 32 bits away.
//
// The text is normalised so that outlets' spellings of one story meet: lower case,
// diacritics folded (é → e, ß → ss), full-width forms narrowed; letters and digits make
// words, anything else separates them, and "3.1" or "1,000" stay one number; wire
// datelines ("WASHINGTON (Reuters) -") and slugs ("UPDATE 2-") are cut; stop words
// (English, with a few French, Spanish and German ones), reporting verbs, wire services,
// weekdays and months are dropped; English inflections are stripped ("sanctioned" →
// "sanction"), number words become digits, demonyms their country ("Iranian" → "iran"),
// spelled-out agencies their acronym ("Office of Foreign Assets Control" → "ofac"), and
// the verbs that say what happened one canonical action each ("blacklists", "adds",
// "designates"). Han, kana and Hangul give overlapping character bigrams instead of words,
// with Han numerals before a measure word read as numbers (十二家 → 12).
//
// Each word and each pair of adjacent words in a field is a feature, hashed with FNV-1a
// 64 (so the fingerprint is the same on every platform and in every run) and weighted by
// how much it tells stories apart: names (a capitalised word inside a sentence, or an
// acronym), numbers and actions weigh most, ordinary words less, words that every
// sanctions story uses ("entity", "list", "treasury") least, a pair of words a quarter of
// its lighter word. A feature counts once, so a lead that repeats the title adds nothing.
// Only the first maxLeadTokens words of the lead count.
//
// Text without a word gives 0, which NearDuplicate never matches.
func Fingerprint(title, lead string) uint64 { return fingerprint(title, lead, 0) }

// fingerprint is Fingerprint with the feature hashes salted by seed, which the tests use
// to measure how much of the labelled set's figures is the luck of one hash function.
func fingerprint(title, lead string, seed uint64) uint64 {
	var t tokenizer
	t.read(title, lead)
	return t.simhash(seed)
}

// Distance returns the Hamming distance between two fingerprints: the number of bits in
// which they differ, from 0 to 64.
func Distance(a, b uint64) int { return bits.OnesCount64(a ^ b) }

// NearDuplicate reports whether two fingerprints are of the same story: both non-zero
// and at most NearDuplicateDistance bits apart.
func NearDuplicate(a, b uint64) bool {
	return a != 0 && b != 0 && Distance(a, b) <= NearDuplicateDistance
}

// Feature weights, measured on the labelled set (NEARDUP.md). Title and lead words weigh
// the same: weighting the title more lowered recall, since outlets rewrite headlines
// more freely than leads.
const (
	commonWeight = 2
	wordWeight   = 4
	cjkWeight    = 4 // a CJK bigram is about a word
	actionWeight = 8
	nameWeight   = 12
	numberWeight = 16
	// maxLeadTokens caps the lead at about its first two sentences, so that an outlet
	// sending three paragraphs is not pulled away from one sending a single sentence.
	maxLeadTokens = 40
)

// class says how much a token tells one story from another.
type class uint8

const (
	classCommon class = iota // a word every story of the domain uses
	classWord
	className   // a capitalised word inside a sentence, or an acronym
	classNumber // digits
	classCJK    // a CJK character bigram
	classAction // what happened: listed, removed, charged, sentenced…
)

// token is a normalised word (or CJK character bigram) at buf[start:end].
type token struct {
	start, end int
	title      bool
	class      class
}

// feature is one hashed feature and its weight.
type feature struct {
	hash   uint64
	weight int
}

// tokenizer turns a story into normalised, classified tokens. Token text lives in buf,
// so that a story costs a few allocations, not one per word.
type tokenizer struct {
	buf    []byte
	tokens []token
	title  bool
	n      int // tokens of the current field

	word      int  // start of the word being read in buf, or -1
	upper     bool // the word being read starts with an upper-case letter
	allUpper  bool // every letter of the word being read is upper-case
	startSent bool // the word being read starts a sentence
	endSent   bool // a sentence ended since the last word
	// capWords and lowerWords count the field's words of four letters or more that
	// start with an upper- and a lower-case letter: a field where nearly all do is in
	// title case, and its capitals say nothing about names.
	capWords, lowerWords int

	// cjk is the previous character of the current run of CJK characters (0 outside a
	// run) and cjkLen the length of that run.
	cjk    rune
	cjkLen int
}

var (
	// dateline matches the place (and date, and agency) that wire copy puts before a
	// lead: "WASHINGTON (Reuters) - ", "LONDON, May 9 - ", "SEOUL, (Yonhap) -- ".
	dateline = regexp.MustCompile(`^\s*\p{Lu}[\p{Lu}.' -]*\p{Lu}\.?(,\s*\p{L}{3,9}\.?\s+\d{1,2})?(\s*,?\s*\([^)]{1,40}\))?\s*(--?|—|–)\s*`)
	// wirePrefix matches the slugs wire services put before a headline.
	wirePrefix = regexp.MustCompile(`^\s*(UPDATE|REFILE|CORRECTED|EXCLUSIVE|BREAKING|WRAPUP|ANALYSIS|FACTBOX|EXPLAINER)(\s+\d+)?\s*[-:—]\s*`)
)

// read tokenizes a story.
func (t *tokenizer) read(title, lead string) {
	t.field(title, true)
	t.field(lead, false)
	t.abbreviate()
	t.propagateNames()
}

// field tokenizes one field of the story, appending to t.tokens.
func (t *tokenizer) field(s string, title bool) {
	if title {
		s = s[len(wirePrefix.FindString(s)):]
	} else {
		s = s[len(dateline.FindString(s)):]
	}
	first := len(t.tokens)
	t.title, t.n, t.word, t.cjk, t.cjkLen = title, 0, -1, 0, 0
	t.endSent, t.capWords, t.lowerWords = true, 0, 0
	for i := 0; i < len(s); {
		if !title && t.n >= maxLeadTokens {
			break
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		r = foldWidth(r)
		if isHanDigit(r) {
			if n := hanNumber(s[i-size:]); n > 0 {
				// 十二家 is 12家: the numeral is a number token, the measure word
				// starts a new run.
				t.endWord()
				t.endRun()
				start := len(t.buf)
				t.buf = strconv.AppendInt(t.buf, int64(parseHanNumber(s[i-size:i-size+n])), 10)
				t.add(start, classNumber)
				i += n - size
				continue
			}
		}
		switch {
		case unicode.Is(unicode.Mn, r):
			// A combining mark (a decomposed accent) belongs to its letter and folds away.
		case isCJK(r):
			t.endWord()
			if t.cjk != 0 {
				t.emitPair(t.cjk, r)
			}
			t.cjk = r
			t.cjkLen++
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			t.endRun()
			up := unicode.IsUpper(r)
			if t.word < 0 {
				t.word, t.upper, t.allUpper = len(t.buf), up, true
				t.startSent, t.endSent = t.endSent, false
			}
			if unicode.IsLower(r) {
				t.allUpper = false
			}
			t.buf = appendFolded(t.buf, unicode.ToLower(r))
		case (r == '.' || r == ',') && t.inNumber() && nextIsDigit(s[i:]):
			// "3.1" and "1,000" stay one token.
		default:
			t.endWord()
			t.endRun()
			if r == '.' || r == '!' || r == '?' || r == ':' || r == ';' || r == '。' {
				t.endSent = true
			}
		}
	}
	t.endWord()
	t.endRun()
	if t.lowerWords*4 <= t.capWords {
		for i := first; i < len(t.tokens); i++ {
			if t.tokens[i].class == className {
				t.tokens[i].class = classWord
			}
		}
	}
}

// hanNumber returns the length in bytes of the Han numeral of at most maxHanDigits
// characters that s starts with, if a measure word follows it (十二家, 两名), else 0: 一
// and 两 also occur inside words.
func hanNumber(s string) int {
	n := 0
	for i := 0; n < len(s) && i <= maxHanDigits; i++ {
		r, size := utf8.DecodeRuneInString(s[n:])
		if !isHanDigit(r) {
			if n > 0 && strings.ContainsRune(hanClassifiers, r) {
				return n
			}
			return 0
		}
		n += size
	}
	return 0
}

// maxHanDigits bounds the Han numerals read as numbers (一千二百三十四 is seven).
const maxHanDigits = 8

// hanClassifiers are the measure words after which a run of Han numerals is a number.
const hanClassifiers = "家名个項项条艘人架台款种種批位国國年月日"

// hanValues are the values of the Han digits and units.
var hanValues = map[rune]int{
	'〇': 0, '零': 0, '一': 1, '二': 2, '两': 2, '兩': 2, '三': 3, '四': 4, '五': 5,
	'六': 6, '七': 7, '八': 8, '九': 9, '十': 10, '百': 100, '千': 1000,
}

func isHanDigit(r rune) bool {
	_, ok := hanValues[r]
	return ok
}

// parseHanNumber returns the value of a Han numeral below ten thousand: 十二 is 12, 二十 is
// 20, 三百零五 is 305, 一二 is 12 (digit by digit, as in years).
func parseHanNumber(s string) int {
	total, cur, positional := 0, 0, true
	for _, r := range s {
		v := hanValues[r]
		if v >= 10 {
			positional = false
			total += max(cur, 1) * v
			cur = 0
			continue
		}
		if positional {
			cur = cur*10 + v
		} else {
			cur = v
		}
	}
	return total + cur
}

// inNumber reports whether the word being read ends with a digit.
func (t *tokenizer) inNumber() bool {
	return t.word >= 0 && len(t.buf) > t.word && isASCIIDigit(t.buf[len(t.buf)-1])
}

func nextIsDigit(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsDigit(foldWidth(r))
}

func isASCIIDigit(b byte) bool { return '0' <= b && b <= '9' }

// endWord ends the word being read: it is dropped if it is a stop word or a single
// letter, else normalised (synonyms, stem) and classified.
func (t *tokenizer) endWord() {
	if t.word < 0 {
		return
	}
	start := t.word
	t.word = -1
	w := t.buf[start:]
	if len(w) >= 4 && !isASCIIDigit(w[0]) {
		if t.upper {
			t.capWords++
		} else {
			t.lowerWords++
		}
	}
	if s, ok := synonyms[string(w)]; ok {
		t.buf = append(t.buf[:start], s...)
		w = t.buf[start:]
	}
	if (len(w) == 1 && !isASCIIDigit(w[0])) || stopWords[string(w)] {
		t.buf = t.buf[:start]
		return
	}
	t.buf = t.buf[:start+stem(w)]
	w = t.buf[start:]
	c := classWord
	if a, ok := actions[string(w)]; ok {
		t.buf = append(t.buf[:start], a...)
		w = t.buf[start:]
		c = classAction
	}
	switch {
	case c == classAction:
	case isASCIIDigit(w[0]):
		c = classNumber
	case commonWords[string(w)]:
		c = classCommon
	case t.allUpper && len(w) >= 2, t.upper && !t.startSent:
		c = className
	}
	t.add(start, c)
}

// endRun ends a run of CJK characters; a run of one character is a token by itself.
func (t *tokenizer) endRun() {
	if t.cjkLen == 1 {
		start := len(t.buf)
		t.buf = utf8.AppendRune(t.buf, t.cjk)
		t.add(start, classCJK)
	}
	t.cjk, t.cjkLen = 0, 0
}

func (t *tokenizer) emitPair(a, b rune) {
	start := len(t.buf)
	t.buf = utf8.AppendRune(t.buf, a)
	t.buf = utf8.AppendRune(t.buf, b)
	t.add(start, classCJK)
}

func (t *tokenizer) add(start int, c class) {
	t.tokens = append(t.tokens, token{start: start, end: len(t.buf), title: t.title, class: c})
	t.n++
}

// abbreviations are the names that outlets spell out or abbreviate at will, with the
// abbreviation each becomes; an empty one drops the name, as the stop words drop "US".
var abbreviations = func() []abbreviation {
	var out []abbreviation
	for _, a := range [...]struct{ name, abbr string }{
		{"Office of Foreign Assets Control", "ofac"},
		{"Bureau of Industry and Security", "bis"},
		{"International Traffic in Arms Regulations", "itar"},
		{"Export Administration Regulations", "ear"},
		{"European Union", "eu"},
		{"United Kingdom", "uk"},
		{"United Arab Emirates", "uae"},
		{"United States", ""},
		{"artificial intelligence", "ai"},
		{"People's Liberation Army", "pla"},
	} {
		var t tokenizer
		t.field(a.name, false)
		words := make([]string, len(t.tokens))
		for i, tok := range t.tokens {
			words[i] = string(t.buf[tok.start:tok.end])
		}
		out = append(out, abbreviation{words, a.abbr})
	}
	return out
}()

type abbreviation struct {
	words []string // the name, normalised
	abbr  string
}

// abbreviate replaces the spelled-out names of abbreviations by the abbreviation.
func (t *tokenizer) abbreviate() {
	out := t.tokens[:0]
	for i := 0; i < len(t.tokens); {
		a, ok := t.abbreviationAt(i)
		if !ok {
			out = append(out, t.tokens[i])
			i++
			continue
		}
		title := t.tokens[i].title
		i += len(a.words)
		if a.abbr == "" {
			continue
		}
		start := len(t.buf)
		t.buf = append(t.buf, a.abbr...)
		out = append(out, token{start: start, end: len(t.buf), title: title, class: className})
	}
	t.tokens = out
}

func (t *tokenizer) abbreviationAt(i int) (abbreviation, bool) {
next:
	for _, a := range abbreviations {
		if i+len(a.words) > len(t.tokens) {
			continue
		}
		for j, w := range a.words {
			tok := t.tokens[i+j]
			if tok.title != t.tokens[i].title || string(t.buf[tok.start:tok.end]) != w {
				continue next
			}
		}
		return a, true
	}
	return abbreviation{}, false
}

// propagateNames makes a word a name wherever it appears once as a name: a title in
// title case, or a sentence's first word, says nothing by its capital.
func (t *tokenizer) propagateNames() {
	var names map[string]bool
	for _, tok := range t.tokens {
		if tok.class == className {
			if names == nil {
				names = map[string]bool{}
			}
			names[string(t.buf[tok.start:tok.end])] = true
		}
	}
	for i, tok := range t.tokens {
		if tok.class == classWord && names[string(t.buf[tok.start:tok.end])] {
			t.tokens[i].class = className
		}
	}
}

func (tok token) weight() int {
	switch tok.class {
	case classCommon:
		return commonWeight
	case className:
		return nameWeight
	case classNumber:
		return numberWeight
	case classCJK:
		return cjkWeight
	case classAction:
		return actionWeight
	}
	return wordWeight
}

// simhash hashes the features of the tokens read and folds them into 64 bits.
func (t *tokenizer) simhash(seed uint64) uint64 {
	if len(t.tokens) == 0 {
		return 0
	}
	var v [64]int
	for _, f := range t.features(seed) {
		for j := range 64 {
			if f.hash>>j&1 == 1 {
				v[j] += f.weight
			} else {
				v[j] -= f.weight
			}
		}
	}
	var fp uint64
	for j, x := range v {
		if x > 0 {
			fp |= 1 << j
		}
	}
	return fp
}

// features returns the story's features, each once at its highest weight.
func (t *tokenizer) features(seed uint64) []feature {
	feats := make([]feature, 0, 2*len(t.tokens))
	for i, tok := range t.tokens {
		w := tok.weight()
		h := fnvAdd(fnvOffset, t.buf[tok.start:tok.end])
		feats = append(feats, feature{mix(h ^ seed), w})
		if i+1 < len(t.tokens) && t.tokens[i+1].title == tok.title {
			next := t.tokens[i+1]
			h = fnvAdd(fnvAdd(h, []byte{' '}), t.buf[next.start:next.end])
			feats = append(feats, feature{mix(h ^ seed), min(w, next.weight()) / 4})
		}
	}
	// A feature counts once, at its highest weight: a lead that repeats the title must
	// not outweigh the rest of the story.
	slices.SortFunc(feats, func(a, b feature) int {
		if a.hash != b.hash {
			if a.hash < b.hash {
				return -1
			}
			return 1
		}
		return b.weight - a.weight
	})
	out := feats[:0]
	for i, f := range feats {
		if i > 0 && feats[i-1].hash == f.hash {
			continue
		}
		out = append(out, f)
	}
	return out
}

// FNV-1a, 64 bits.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvAdd(h uint64, b []byte) uint64 {
	for _, c := range b {
		h ^= uint64(c)
		h *= fnvPrime
	}
	return h
}

// mix spreads every input bit over the whole word (the MurmurHash3 finaliser): FNV's high
// bits depend little on the last bytes, and SimHash needs every bit to be a fair coin.
func mix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// isCJK reports whether r belongs to a script written without spaces between words
// (Han, Hiragana, Katakana), or to Hangul, whose words carry attached particles; both
// are compared by character bigrams.
func isCJK(r rune) bool {
	return r >= 0x1100 && (unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r))
}

// foldWidth maps full-width ASCII forms (Ａ, １) to ASCII.
func foldWidth(r rune) rune {
	if r >= 0xFF01 && r <= 0xFF5E {
		return r - 0xFF01 + '!'
	}
	return r
}

// appendFolded appends a lower-case letter or digit with its diacritics removed.
func appendFolded(b []byte, r rune) []byte {
	if r < utf8.RuneSelf {
		return append(b, byte(r))
	}
	if f, ok := foldLatin[r]; ok {
		return append(b, f...)
	}
	return utf8.AppendRune(b, r)
}

// foldLatin maps the lower-case letters of Latin-1 and Latin Extended-A (and the Romanian
// comma-below letters) to their base letters.
var foldLatin = func() map[rune]string {
	m := map[rune]string{}
	for _, p := range [...]struct{ from, to string }{
		{"àáâãäåāăą", "a"}, {"æ", "ae"}, {"çćĉċč", "c"}, {"ďđð", "d"},
		{"èéêëēĕėęě", "e"}, {"ĝğġģ", "g"}, {"ĥħ", "h"}, {"ìíîïĩīĭįı", "i"},
		{"ĳ", "ij"}, {"ĵ", "j"}, {"ķĸ", "k"}, {"ĺļľŀł", "l"}, {"ñńņňŉŋ", "n"},
		{"òóôõöøōŏő", "o"}, {"œ", "oe"}, {"ŕŗř", "r"}, {"śŝşšșſ", "s"}, {"ß", "ss"},
		{"ţťŧț", "t"}, {"þ", "th"}, {"ùúûüũūŭůűų", "u"}, {"ŵ", "w"}, {"ýÿŷ", "y"},
		{"źżž", "z"},
	} {
		for _, r := range p.from {
			m[r] = p.to
		}
	}
	return m
}()

// stem strips the commonest English inflections from an ASCII word in place and returns
// its new length: "sanctions", "sanctioned" and "sanctioning" all become "sanction",
// "companies" becomes "company", "shipped" becomes "ship". It is deliberately light: a
// missed stem costs a little recall, a wrong one merges different words.
func stem(w []byte) int {
	for _, c := range w {
		if c < 'a' || c > 'z' {
			return len(w)
		}
	}
	n := len(w)
	if n < 4 {
		return n
	}
	switch {
	case hasSuffix(w[:n], "ies") && n > 4:
		w[n-3] = 'y'
		n -= 2
	case hasSuffix(w[:n], "s") && !hasSuffix(w[:n], "ss") && !hasSuffix(w[:n], "us") && !hasSuffix(w[:n], "is"):
		n--
	}
	switch {
	case hasSuffix(w[:n], "ing") && n-3 >= 3:
		n -= 3
	case hasSuffix(w[:n], "ed") && n-2 >= 3:
		n -= 2
	}
	if hasSuffix(w[:n], "e") && n > 3 {
		n--
	}
	if n >= 4 && w[n-1] == w[n-2] && !isVowel(w[n-1]) && w[n-1] != 'l' && w[n-1] != 's' && w[n-1] != 'z' {
		n--
	}
	return n
}

func hasSuffix(w []byte, s string) bool {
	return len(w) >= len(s) && string(w[len(w)-len(s):]) == s
}

func isVowel(c byte) bool { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' }

// stopWords are dropped before hashing: English function words, reporting verbs, wire
// services, weekdays and months, which two different stories share as readily as two
// copies of one.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range [...]string{
		"a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and",
		"any", "are", "as", "at", "be", "been", "before", "being", "below", "between", "both",
		"but", "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each",
		"few", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here",
		"hers", "him", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself",
		"just", "may", "me", "might", "more", "most", "must", "my", "no", "nor", "not", "now",
		"of", "off", "on", "once", "only", "or", "other", "others", "our", "ours", "out",
		"over", "own", "same", "she", "should", "so", "some", "such", "than", "that", "the",
		"their", "theirs", "them", "then", "there", "these", "they", "this", "those",
		"through", "to", "too", "under", "until", "up", "upon", "us", "very", "via", "was",
		"we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will",
		"with", "would", "you", "your", "yours", "incl", "including", "among", "amid",
		// reporting and wire copy
		"said", "says", "say", "saying", "told", "according", "reported", "reports",
		"announced", "update", "reuters", "ap", "afp", "bloomberg", "yonhap", "xinhua",
		"dpa", "ansa", "efe", "tass", "kyodo", "one", "percent", "pct",
		// days and months, which datelines and leads add or leave out at will
		"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
		"january", "february", "march", "april", "june", "july", "august", "september",
		"october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
		"sep", "sept", "oct", "nov", "dec",
		// French, Spanish and German function words (folded), for the European press
		"le", "la", "les", "de", "des", "du", "un", "une", "et", "en", "au", "aux", "par",
		"pour", "sur", "dans", "avec", "qui", "que", "ce", "cette", "ces", "son", "sa",
		"ses", "est", "sont", "ont", "pas", "plus", "selon", "el", "los", "las", "del",
		"con", "por", "para", "una", "unos", "se", "su", "sus", "al", "es", "lo", "como",
		"mas", "der", "die", "das", "den", "dem", "ein", "eine", "einer", "eines", "und",
		"mit", "von", "zu", "im", "auf", "fur", "ist", "sich", "nach", "bei", "aus",
		"wegen", "gegen", "wurde", "hat",
	} {
		m[w] = true
	}
	return m
}()

// synonyms maps words that outlets use interchangeably to one spelling.
var synonyms = map[string]string{
	"mln": "million", "bln": "billion", "bn": "billion",
	"iranian": "iran", "chinese": "china", "russian": "russia", "belarusian": "belarus",
	"british": "uk", "britain": "uk", "korean": "korea", "japanese": "japan",
	"indian": "india", "german": "germany", "french": "france", "dutch": "netherlands",
	"turkish": "turkey", "ukrainian": "ukraine", "taiwanese": "taiwan", "emirati": "uae",
	"two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
	"eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
	"thirteen": "13", "fourteen": "14", "fifteen": "15", "sixteen": "16",
	"seventeen": "17", "eighteen": "18", "nineteen": "19", "twenty": "20",
}

// commonWords are words that nearly every export-control or sanctions story uses: they
// weigh least, so that two stories do not look alike for sharing them.
var commonWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range [...]string{
		"sanction", "export", "control", "entity", "entities", "list", "commerce",
		"department", "treasury", "state", "justice", "bureau", "industry", "security",
		"office", "foreign", "assets", "ministry", "government", "authorities", "official",
		"agency", "company", "companies", "firm", "rule", "regulation", "license",
		"licence", "restriction", "restrict", "new", "trade", "impose", "network",
		"people", "individual", "week", "year", "million", "billion", "federal", "notice",
		"statement", "announce", "move", "action",
	} {
		b := []byte(w)
		m[string(b[:stem(b)])] = true
	}
	return m
}()

// actions maps the verbs (and nouns) that say what happened to an entity to one
// canonical action each, so that "blacklists" and "adds", or "pulls" and "revokes", are
// one feature, and "added" and "removed" two.
var actions = func() map[string]string {
	m := map[string]string{}
	for canon, words := range map[string][]string{
		"+list":     {"add", "blacklist", "designate"},
		"-list":     {"remove", "delist"},
		"-sanction": {"lift", "ease", "relax", "waive", "exempt", "exemption"},
		"+tighten":  {"tighten", "expand", "broaden", "widen", "extend"},
		"+charge":   {"charge", "indict", "indictment", "accuse"},
		"+plead":    {"plead", "admit", "guilty"},
		"+sentence": {"sentence", "jail", "imprison", "prison"},
		"+arrest":   {"arrest", "detain", "extradite"},
		"+fine":     {"fine", "penalty", "settle", "settlement"},
		"+seize":    {"seize", "seizure", "confiscate"},
		"+release":  {"release", "free"},
		"-license":  {"revoke", "pull", "cancel", "suspend"},
	} {
		for _, w := range words {
			b := []byte(w)
			m[string(b[:stem(b)])] = canon
		}
	}
	return m
}()
