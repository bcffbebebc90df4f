package feed

import (
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

// fuzzSeeds are the constructed feeds in testdata/feeds, the smaller real feeds in the
// shared fixtures when they are there, and a few hand-made oddities.
func fuzzSeeds(f *testing.F) [][]byte {
	f.Helper()
	seeds := [][]byte{
		[]byte(`<rss version="2.0"><channel><title>t</title><item><guid>g</guid><title>a &amp; b</title></item><item><guid>g</guid><title>c</title></item></channel></rss>`),
		[]byte(`<?xml version="1.0" encoding="windows-1251"?><rss version="2.0"><channel><title>` + "\xcd\xee\xe2\xee\xf1\xf2\xe8" + `</title></channel></rss>`),
		[]byte(`<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://a/b/"><entry><id>1</id><link href="../c"/><content type="html">&lt;a href="d"&gt;x&lt;/a&gt;</content></entry></feed>`),
		[]byte(`{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","url":"/x","content_html":"<a href=y>z</a>"}]}`),
		[]byte("\xff\xfe<\x00r\x00s\x00s\x00>\x00"),
		[]byte(`<!doctype html><html><head><link rel=alternate type=application/rss+xml href=/f></head></html>`),
		{},
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "feeds", "*"))
	shared, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "fixtures", "feeds", "*", "*"))
	for _, name := range append(files, shared...) {
		if st, err := os.Stat(name); err != nil || st.Size() > 16<<10 {
			continue
		}
		if b, err := os.ReadFile(name); err == nil {
			seeds = append(seeds, b)
		}
	}
	return seeds
}

// FuzzParse checks that no document makes Parse panic, and that every parse either fails
// with a classified error or gives items with distinct identities, valid UTF-8 text and
// absolute links.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s, "")
		f.Add(s, "text/xml; charset=iso-8859-2")
	}
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		res, err := Parse("fuzz", "https://feeds.example.org/feed.xml", body, contentType)
		checkInvariants(t, res, err)
		if err != nil && err.Error() == "" {
			t.Errorf("empty error message")
		}
	})
}

// FuzzFeedToUTF8 checks that whatever the bytes and the declared charset, the document
// handed to the XML parser is UTF-8.
func FuzzFeedToUTF8(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s, "text/xml; charset=gb2312")
	}
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		if out := feedToUTF8(body, contentType); !utf8.Valid(out) {
			t.Errorf("feedToUTF8 gave invalid UTF-8: %q", head(out, 200))
		}
	})
}

// FuzzHTMLText checks that the text of valid UTF-8 HTML is valid UTF-8 and its links are
// absolute http(s) URLs.
func FuzzHTMLText(f *testing.F) {
	f.Add(`<p>a<a href="/x#y">b</a><base href="http://h/d/"><a href=z>c</a></p>`)
	f.Add(`Tom <tom@example.org> &amp; <pre>x
y</pre><script>z</script>`)
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		base := mustParseURL("https://example.org/dir/page")
		text, links := htmlText(s, base)
		if !utf8.ValidString(text) {
			t.Errorf("invalid UTF-8 text %q", text)
		}
		for _, l := range links {
			if !isHTTPURL(l) {
				t.Errorf("link %q is not an absolute http(s) URL", l)
			}
		}
	})
}

func mustParseURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
