package match

import (
	"slices"
	"strings"
)

// canonical maps a token to the spelling it is matched as, on both sides: a text token is
// looked up under this spelling too, and a term's token is replaced by it. These are the
// one-word company-suffix variants.
var canonical = map[string]string{
	"company":            "co",
	"corporation":        "corp",
	"limited":            "ltd",
	"incorporated":       "inc",
	"private":            "pvt", // "Pvt. Ltd." is "Private Limited"
	"pte":                "pvt", // Singapore's "Pte. Ltd." likewise
	"berhad":             "bhd",
	"sendirian":          "sdn",
	"aktiengesellschaft": "ag",
}

// suffixForms are the company suffixes written as one word or spelt out, in canonical tokens
// (after the single-word variants above). A term with either form also matches the other.
var suffixForms = [][2]string{
	{"jsc", "joint stock co"},
	{"ojsc", "open joint stock co"},
	{"pjsc", "public joint stock co"},
	{"cjsc", "closed joint stock co"},
	{"llc", "ltd liability co"},
	{"llp", "ltd liability partnership"},
	{"plc", "public ltd co"},
	{"gmbh", "gesellschaft mit beschrankter haftung"},
	{"sa", "sociedad anonima"},
	{"sa", "societe anonyme"},
	{"spa", "societa per azioni"},
	{"kk", "kabushiki kaisha"},
}

// maxVariants bounds the spellings one term expands to.
const maxVariants = 8

var suffixRules = func() [][2][]string {
	rules := make([][2][]string, len(suffixForms))
	for i, f := range suffixForms {
		rules[i] = [2][]string{strings.Fields(f[0]), strings.Fields(f[1])}
	}
	return rules
}()

// variants returns the token sequences a term's tokens match as: the tokens themselves first,
// then every spelling reached by swapping a company suffix between its short and long forms.
func variants(toks []termToken) [][]termToken {
	key := func(v []termToken) string {
		var b strings.Builder
		for _, t := range v {
			b.WriteString(t.s)
			b.WriteByte(' ')
		}
		return b.String()
	}
	out := [][]termToken{toks}
	seen := map[string]bool{key(toks): true}
	for i := 0; i < len(out) && len(out) < maxVariants; i++ {
		v := out[i]
		for _, rule := range suffixRules {
			for dir := range 2 {
				from, to := rule[dir], rule[1-dir]
				for at := 0; at+len(from) <= len(v); at++ {
					if !slices.EqualFunc(v[at:at+len(from)], from, func(t termToken, s string) bool { return t.s == s }) {
						continue
					}
					w := slices.Concat(v[:at], make([]termToken, len(to)), v[at+len(from):])
					for k, s := range to {
						w[at+k] = termToken{s: s}
					}
					if k := key(w); !seen[k] && len(out) < maxVariants {
						seen[k] = true
						out = append(out, w)
					}
				}
			}
		}
	}
	return out
}
