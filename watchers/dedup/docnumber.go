package dedup

import (
	"net/url"
	"strings"
)

// dashes maps the dashes typeset documents use ("FR Doc. 2019–22210") to a hyphen.
var dashes = strings.NewReplacer(
	"\u2010", "-", "\u2011", "-", "\u2012", "-", "\u2013", "-", "\u2014", "-", "\u2015", "-",
	"\u2212", "-", "\ufe58", "-", "\ufe63", "-", "\uff0d", "-",
)

// DocumentNumber returns the canonical form of a Federal Register document number,
// so that one document has one identity wherever its number was read: "2019-22210",
// " 2019-22210 ", "FR Doc. 2019–22210" (en dash) and "fr doc 2019-22210" all give
// "2019-22210", and "[FR Doc. 2023-03929 Filed 2-24-23; 8:45 am]" gives "2023-03929". Letters
// are lower-cased ("E9-12940" gives "e9-12940"). Anything that holds no number is returned
// trimmed and lower-cased.
func DocumentNumber(s string) string {
	fallback := strings.ToLower(strings.TrimSpace(s))
	t := strings.TrimLeft(dashes.Replace(fallback), "[( \t")
	if rest, ok := strings.CutPrefix(t, "fr doc"); ok {
		rest = strings.TrimLeft(rest, ". \t")
		if r, ok := strings.CutPrefix(rest, "no"); ok && (r == "" || strings.ContainsRune(".:# \t", rune(r[0]))) {
			rest = r
		}
		t = strings.TrimLeft(rest, ".:# \t")
	}
	fields := strings.Fields(t)
	if len(fields) == 0 {
		return fallback
	}
	tok := strings.TrimRight(fields[0], ".,;:])")
	if IsDocumentNumber(tok) {
		return tok
	}
	return fallback
}

// IsDocumentNumber reports whether s (lower case) is shaped like a document number: two to
// four hyphen-separated parts of letters and digits, the last of at least three digits, as
// in "2019-22210", "93-32104", "e9-12940" and "c1-2026-01234".
func IsDocumentNumber(s string) bool {
	if len(s) > 32 {
		return false
	}
	parts := strings.Split(s, "-")
	if len(parts) < 2 || len(parts) > 4 {
		return false
	}
	for _, p := range parts {
		if p == "" {
			return false
		}
		for i := 0; i < len(p); i++ {
			if c := p[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') {
				return false
			}
		}
	}
	last := parts[len(parts)-1]
	if len(last) < 3 {
		return false
	}
	for i := 0; i < len(last); i++ {
		if last[i] < '0' || last[i] > '9' {
			return false
		}
	}
	return true
}

// DocumentLink returns the normalised number of the Federal Register document a link
// points at — https://www.federalregister.gov/d/2019-22210 or
// https://www.federalregister.gov/documents/2019/10/09/2019-22210/addition-of-… — and
// whether it is such a link.
func DocumentLink(link string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(link))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "", false
	}
	host := strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
	if host != "federalregister.gov" {
		return "", false
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	var num string
	switch {
	case len(parts) >= 2 && parts[0] == "d":
		num = parts[1]
	case len(parts) >= 5 && parts[0] == "documents" && isDate(parts[1], parts[2], parts[3]):
		num = parts[4]
	default:
		return "", false
	}
	num = strings.ToLower(num)
	if !IsDocumentNumber(num) {
		return "", false
	}
	return num, true
}

func isDate(y, m, d string) bool {
	return len(y) == 4 && len(m) == 2 && len(d) == 2 && allDigits(y+m+d)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
