package feed

import (
	"bytes"
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// blockElements end a line of text: their content never runs into the next word.
var blockElements = map[string]bool{
	"p": true, "br": true, "div": true, "li": true, "tr": true, "td": true, "th": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"blockquote": true, "pre": true, "table": true, "ul": true, "ol": true, "hr": true,
	"dd": true, "dt": true, "dl": true, "section": true, "article": true, "header": true,
	"footer": true, "figure": true, "figcaption": true, "aside": true, "nav": true,
	"main": true, "address": true, "caption": true,
}

// skippedElements hold no readable text.
var skippedElements = map[string]bool{
	"script": true, "style": true, "noscript": true, "template": true, "svg": true, "math": true,
}

// maxLinks caps the links kept from one item's content.
const maxLinks = 200

// PlainText turns an HTML fragment (or plain text with entities) into plain text for
// matching: tags removed, entities decoded, scripts and styles dropped, block elements
// separated, runs of spaces collapsed.
func PlainText(s string) string {
	text, _ := htmlText(s, nil)
	return text
}

// htmlText returns the plain text of an HTML fragment and the absolute http(s) targets of
// its links, resolved against base (or the fragment's own <base href>); relative links
// are dropped when there is no base, and so are links to a place in the same page.
func htmlText(s string, base *url.URL) (string, []string) {
	if !strings.ContainsAny(s, "<&") {
		return collapse(s), nil
	}
	var (
		b     strings.Builder
		links []string
		seen  = map[string]bool{}
		skip  = 0
		pre   = 0 // inside <pre>, line breaks in the text are the text's own
	)
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return collapse(b.String()), links
		case html.TextToken:
			if skip == 0 {
				text := z.Text()
				if pre == 0 {
					// In HTML a line break in the source is a space: a name wrapped in the
					// source must stay one phrase.
					text = bytes.Map(func(r rune) rune {
						if r == '\n' || r == '\r' {
							return ' '
						}
						return r
					}, text)
				}
				b.Write(text)
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			if !markup(name) {
				if skip == 0 {
					b.Write(z.Raw())
				}
				continue
			}
			if skippedElements[tag] {
				if tt == html.StartTagToken {
					skip++
				}
				continue
			}
			if blockElements[tag] {
				b.WriteByte('\n')
			}
			if tag == "pre" && tt == html.StartTagToken {
				pre++
			}
			if !hasAttr || (tag != "a" && tag != "base") {
				continue
			}
			href := attr(z, "href")
			switch {
			case tag == "base":
				if u, err := url.Parse(href); err == nil && (base != nil || u.IsAbs()) {
					if base != nil {
						u = base.ResolveReference(u)
					}
					base = u
				}
			case len(links) < maxLinks:
				if l := absLink(base, href); l != "" && !seen[l] {
					seen[l] = true
					links = append(links, l)
				}
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			tag := string(name)
			if !markup(name) {
				if skip == 0 {
					b.Write(z.Raw())
				}
				continue
			}
			if skippedElements[tag] {
				if skip > 0 {
					skip--
				}
				continue
			}
			if blockElements[tag] {
				b.WriteByte('\n')
			}
			if tag == "pre" && pre > 0 {
				pre--
			}
		}
	}
}

// markup reports whether a tag name is HTML markup rather than text that happens to sit
// in angle brackets ("Tom <tom@example.org>", an Atom text construct's "<text>"): a known
// element, or a namespaced or custom one (Word's "o:p", "fb-like").
func markup(name []byte) bool {
	return atom.Lookup(name) != 0 || bytes.ContainsAny(name, ":-")
}

// attr returns the value of the current tag's attribute key.
func attr(z *html.Tokenizer, key string) string {
	for {
		k, v, more := z.TagAttr()
		if string(k) == key {
			return strings.TrimSpace(string(v))
		}
		if !more {
			return ""
		}
	}
}

// absLink resolves href against base and returns it when it is an http(s) URL of another
// page.
func absLink(base *url.URL, href string) string {
	href = strings.TrimSpace(href)
	if href == "" || strings.HasPrefix(href, "#") {
		return ""
	}
	u, err := url.Parse(href)
	if err != nil {
		return ""
	}
	if !u.IsAbs() {
		if base == nil {
			return ""
		}
		u = base.ResolveReference(u)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	// A fragment names a place in a page; the page is the link.
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}

// collapse trims the text and collapses runs of spaces within lines and runs of blank lines.
func collapse(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	out := lines[:0]
	for _, l := range lines {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
