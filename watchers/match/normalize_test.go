package match

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// Each normalisation rule, shown as the normal form: canonical tokens separated by spaces, a
// break (where a match cannot continue) as a blank line.
func TestNormalForm(t *testing.T) {
	tests := []struct {
		rule string
		in   string
		want string
	}{
		{"case folding", "ZTE Zte zte", "zte zte zte"},
		{"case folding: Turkish dotted I", "İSTANBUL ıstanbul", "istanbul istanbul"},
		{"case folding: sharp s", "Straße STRASSE GROẞE", "strasse strasse grosse"},
		{"case folding: final sigma", "ΟΛΥΜΠΙΑΚΟΣ Ολυμπιακός", "ολυμπιακοσ ολυμπιακοσ"},
		{"case folding: Kelvin and long s", "\u212aIT Teſla", "kit tesla"},
		{"diacritics folded", "Café Škoda Renault Müller", "cafe skoda renault muller"},
		{"diacritics: decomposed input", "Cafe\u0301 Mu\u0308ller", "cafe muller"},
		{"diacritics: letters without decomposition", "Łódź Øresund Æther Œuvre Đorđe Þór", "lodz oresund aether oeuvre dorde thor"},
		{"diacritics: Cyrillic ё folds, й stays", "Ёлка Йошкар-Ола", "елка йошкар ола"},
		{"diacritics: Arabic harakat dropped", "مُحَمَّد محمد", "محمد محمد"},
		{"NFKC: full-width letters, digits and space", "ＺＴＥ　１２３", "zte 123"},
		{"NFKC: ligatures", "ﬁnance Oﬃce", "finance office"},
		{"NFKC: half-width Katakana with voicing mark", "ｶﾞ ガ カ\u3099", "カ\u3099 カ\u3099 カ\u3099"},
		{"typographic quotes", "“ZTE” ‘ZTE’ «ZTE» ZTE’s", "zte zte zte zte s"},
		{"dashes and hyphens", "a-b a‐b a‑b a–b a—b a−b a－b", "a b a b a b a b a b a b a b"},
		{"whitespace collapsed", " a \t\u00a0b\u2003\u3000c\n", "a b c"},
		{"punctuation between tokens", "Co., Ltd. (Co) [Ltd] Co/Ltd Co_Ltd", "co ltd co ltd co ltd co ltd"},
		{"soft hyphen and zero-width characters vanish", "Hik\u00advision Hik\u200bvision", "hikvision hikvision"},
		{"superscript footnote marks separate", "ZTE¹ ZTE² ZTE³", "zte zte zte"},
		{"symbols are tokens", "Face++ Hikvision™ US$5", "face + + hikvision ™ us $ 5"},
		{"ampersand is and", "AT&T Procter & Gamble J＆A", "at and t procter and gamble j and a"},
		{"company suffix: Co, Ltd", "Company Limited", "co ltd"},
		{"company suffix: Corp, Inc", "Corporation Incorporated", "corp inc"},
		{"company suffix: Private, Pte", "Private Limited Pte. Ltd. Pvt. Ltd.", "pvt ltd pvt ltd pvt ltd"},
		{"initialisms joined", "S.A. L.L.C. G.m.b.H. U.S. Steel", "sa llc gmbh us steel"},
		{"initialism needs adjacent stops", "S. A. S.A", "s a sa"},
		{"digits do not form initialisms", "3.5.1", "3 5 1"},
		{"Han: one token per character", "海康威视", "海 康 威 视"},
		{"Hangul syllables stay whole", "삼성전자", "삼 성 전 자"},
		{"Thai: vowel marks stay with their letter", "ซีพี", "ซี พี"},
		{"Latin beside Han", "中兴ZTE公司", "中 兴 zte 公 司"},
		{"break: sentence end", "He left. Then ZTE", "he left\n\nthen zte"},
		{"break: ! and ?", "Go! Now? Yes", "go\n\nnow\n\nyes"},
		{"break: closing quote after the stop", `said "yes." Then`, "said yes\n\nthen"},
		{"no break after an abbreviation", "Huawei Co. Ltd and Megvii Inc. said", "huawei co ltd and megvii inc said"},
		{"no break after an initial or initialism", "J. Smith of the U.S. Commerce", "j smith of the us commerce"},
		{"no break without whitespace", "ZTE.com 3.5", "zte com 3 5"},
		{"break: wide stops", "海康。大华！中兴？华为", "海 康\n\n大 华\n\n中 兴\n\n华 为"},
		{"break: blank line, not a single newline", "a\nb\n\nc\n \r\nd", "a b\n\nc\n\nd"},
		{"bytes that are not UTF-8", "a\xffb", "a \ufffd b"},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			if got := normalForm(tt.in); got != tt.want {
				t.Errorf("normalForm(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// Normalising is idempotent for every rune, alone and between letters.
func TestNormalFormIdempotent(t *testing.T) {
	step := rune(1)
	if testing.Short() {
		step = 7
	}
	for r := rune(0); r <= utf8.MaxRune; r += step {
		if r > 0xFFFF && r%61 != 0 {
			continue // the supplementary planes are sampled
		}
		for _, s := range []string{string(r), "a" + string(r) + "b", string(r) + string(r) + ". x"} {
			once := normalForm(s)
			if twice := normalForm(once); twice != once {
				t.Fatalf("%U: normalForm(%q) = %q, normalForm of that = %q, want it unchanged", r, s, once, twice)
			}
		}
	}
}

func TestVariants(t *testing.T) {
	tests := []struct {
		term string
		want []string // normal forms; the term's own first
	}{
		{"Rosneft JSC", []string{"rosneft jsc", "rosneft joint stock co"}},
		{"Open Joint-Stock Company Rosneft", []string{"open joint stock co rosneft", "open jsc rosneft", "ojsc rosneft"}},
		{"Acme L.L.C.", []string{"acme llc", "acme ltd liability co"}},
		{"Acme Limited Liability Company", []string{"acme ltd liability co", "acme llc"}},
		{"Barclays PLC", []string{"barclays plc", "barclays public ltd co"}},
		{"Siemens GmbH", []string{"siemens gmbh", "siemens gesellschaft mit beschrankter haftung"}},
		{"Cecoex, S.A.", []string{"cecoex sa", "cecoex sociedad anonima", "cecoex societe anonyme"}},
		{"ZTE Corporation", []string{"zte corp"}},
	}
	var z tokenizer
	for _, tt := range tests {
		t.Run(tt.term, func(t *testing.T) {
			toks, _, ok := termTokens(&z, tt.term)
			if !ok {
				t.Fatal("got no tokens")
			}
			var got []string
			for _, v := range variants(toks) {
				got = append(got, strings.Join(tokenStrings(v), " "))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestVariantsBounded(t *testing.T) {
	var toks []termToken
	for _, s := range strings.Fields(strings.Repeat("acme jsc llc plc ", 10)) {
		toks = append(toks, termToken{s: s})
	}
	if got := len(variants(toks)); got != maxVariants {
		t.Errorf("got %d variants, want at most %d", got, maxVariants)
	}
}

func tokenStrings(v []termToken) []string {
	out := make([]string, len(v))
	for i, t := range v {
		out[i] = t.s
	}
	return out
}
