package feed

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/vigilbot/vigil/internal/fixtures"
	"github.com/vigilbot/vigil/watchers"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden is what a golden file records of a parse. Long texts are recorded by their start,
// length and digest: the fixtures' articles belong to their publishers and are not
// republished here.
type golden struct {
	Title string       `json:"title,omitempty"`
	Link  string       `json:"link,omitempty"`
	Items []goldenItem `json:"items,omitempty"`
	Error string       `json:"error,omitempty"`
	Kind  ErrorKind    `json:"kind,omitempty"`
}

type goldenItem struct {
	ID        string   `json:"id"`
	Title     string   `json:"title"`
	URL       string   `json:"url,omitempty"`
	Published string   `json:"published,omitempty"`
	Abstract  string   `json:"abstract,omitempty"`
	Body      string   `json:"body,omitempty"`
	Links     []string `json:"links,omitempty"`
}

func digest(s string) string {
	if s == "" {
		return ""
	}
	if utf8.RuneCountInString(s) <= 80 {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	return string([]rune(s)[:80]) + "… [" + itoa(len(s)) + " bytes, sha256 " + hex.EncodeToString(sum[:6]) + "]"
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func toGolden(res Result, err error) golden {
	if err != nil {
		return golden{Error: err.Error(), Kind: KindOf(err)}
	}
	g := golden{Title: res.Title, Link: res.Link}
	for _, it := range res.Items {
		gi := goldenItem{
			ID: it.ID, Title: it.Title, URL: it.URL,
			Abstract: digest(it.Abstract), Body: digest(it.Body), Links: it.Links,
		}
		if len(gi.Links) > 5 {
			gi.Links = append(gi.Links[:5:5], "… "+itoa(len(it.Links))+" links")
		}
		if !it.Published.IsZero() {
			gi.Published = it.Published.Format(time.RFC3339)
		}
		g.Items = append(g.Items, gi)
	}
	return g
}

// checkGolden compares got with testdata/golden/name.json, or writes it with -update.
func checkGolden(t *testing.T, name string, got golden) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(got); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if !bytes.Equal(b, want) {
		t.Errorf("parse differs from %s (run with -update to accept):\n%s", path, lineDiff(string(want), string(b)))
	}
}

// lineDiff shows the first lines where two texts differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var out []string
	for i := 0; i < max(len(w), len(g)) && len(out) < 20; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			out = append(out, "line "+itoa(i+1)+":\n  want "+wl+"\n  got  "+gl)
		}
	}
	return strings.Join(out, "\n")
}

// goldenFixtures are the real feeds parsed in golden tests, with the Content-Type a server
// would send them with (none: the document must speak for itself).
var goldenFixtures = []struct {
	file, contentType string
}{
	{"feeds/rss-parser/guardian.rss", "application/rss+xml"},
	{"feeds/rss-parser/heise.atom", "application/atom+xml; charset=utf-8"},
	{"feeds/rss-parser/reddit.rss", ""},
	{"feeds/rss-parser/craigslist.rss", ""},
	{"feeds/rss-parser/encoding.rss", "text/xml"},
	{"feeds/rss-parser/uolNoticias.rss", "text/xml"},
	{"feeds/rss-parser/encoding-gb2312.xml", ""},
	{"feeds/rss-parser/latin2.rss", ""},
	{"feeds/rss-parser/content-encoded.rss", ""},
	{"feeds/rss-parser/narro.rss", ""},
	{"feeds/rss-parser/pagination-links.rss", ""},
	{"feeds/rss-parser/incomplete-fields.atom", ""},
	{"feeds/rss-parser/missing-fields.atom", ""},
	{"feeds/rss-parser/unrecognized.rss", "text/html"},
	{"feeds/node-feedparser/guid-dupes.xml", ""},
	{"feeds/node-feedparser/iconv.xml", ""},
	{"feeds/node-feedparser/rss2sample-odddatetime.xml", ""},
	{"feeds/node-feedparser/rss-with-relative-urls.xml", ""},
	{"feeds/node-feedparser/relative-channel-image-url.xml", ""},
	{"feeds/node-feedparser/rss-with-item-scoped-html-base.xml", ""},
	{"feeds/node-feedparser/rss-with-relative-html-urls-no-base.xml", ""},
	{"feeds/node-feedparser/title-with-angle-brackets.xml", ""},
	{"feeds/node-feedparser/illegally-nested.xml", ""},
	{"feeds/node-feedparser/saxerror.xml", ""},
	{"feeds/node-feedparser/mediacontent-dupes.xml", ""},
	{"feeds/node-feedparser/rss-with-trailing-meta.xml", ""},
	{"feeds/node-feedparser/notafeed.html", "text/html; charset=utf-8"},
	{"feeds/node-feedparser/rss2sample.xml", ""},
	{"feeds/node-feedparser/intertwingly.atom", ""},
	{"feeds/node-feedparser/tpm.atom", ""},
	{"feeds/node-feedparser/wapowellness.xml", ""},
	{"feeds/gofeed/atom__atom10_feed_entry_link_href_invalid_space_prefix.xml", ""},
	{"feeds/gofeed/atom__atom10_feed_entry_title_html_escaped_markup.xml", ""},
	{"feeds/gofeed/atom__atom10_feed_entry_title_xhtml_inline_markup.xml", ""},
	{"feeds/gofeed/atom__relative_uri.xml", ""},
	{"feeds/gofeed/atom__relative_uri_inherit.xml", ""},
	{"feeds/gofeed/rss__issue_303_encoded_no_namespace.xml", ""},
	{"feeds/gofeed/rss__issue_305_bare_ampersand.xml", ""},
	{"feeds/gofeed/rss__issue_320_legacy_entity_prefix.xml", ""},
	{"feeds/gofeed/rss__rss_channel_item_description_mixed_cdata.xml", ""},
	{"feeds/gofeed/rss__rss_channel_item_guid_no_permalink.xml", ""},
	{"feeds/gofeed/rss__rss_channel_item_illegal_char.xml", ""},
	{"feeds/gofeed/rss__rss_channel_item_pubDate.xml", ""},
	{"feeds/gofeed/rss__rss_channel_item_title_cdata_naked_markup.xml", ""},
	{"feeds/gofeed/rss__rss_channel_item_title_escaped_markup.xml", ""},
	{"feeds/gofeed/rss__rss_channel_item_xml_base.xml", ""},
	{"feeds/gofeed/rss__version_rdf_10.xml", ""},
	{"feeds/gofeed/rss__version_rss_091_netscape.xml", ""},
	{"feeds/gofeed/rss__version_rss_missing.xml", ""},
	{"feeds/gofeed/universal__rss_feed_bom.xml", ""},
	{"feeds/gofeed/universal__rss_feed_leading_spaces.xml", ""},
	{"feeds/gofeed/universal__empty_feed.xml", ""},
	{"feeds/gofeed/universal__unknown_feed.xml", "application/xml"},
	{"feeds/gofeed/universal__json11_feed.json", "application/feed+json"},
}

// goldenFeedURL is where golden fixtures pretend to have been fetched from.
const goldenFeedURL = "https://feeds.example.org/dir/feed.xml"

func TestParseGolden(t *testing.T) {
	for _, fx := range goldenFixtures {
		name := strings.ReplaceAll(strings.TrimPrefix(fx.file, "feeds/"), "/", "__")
		t.Run(name, func(t *testing.T) {
			body := fixtures.Read(t, fx.file)
			res, err := Parse("golden", goldenFeedURL, body, fx.contentType)
			checkInvariants(t, res, err)
			checkGolden(t, name, toGolden(res, err))
		})
	}
}

// TestParseConstructed runs the golden test over feeds written for this package.
func TestParseConstructed(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "feeds", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no feeds in testdata/feeds")
	}
	for _, file := range files {
		name := "constructed__" + filepath.Base(file)
		t.Run(filepath.Base(file), func(t *testing.T) {
			body, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Parse("golden", goldenFeedURL, body, "")
			checkInvariants(t, res, err)
			checkGolden(t, name, toGolden(res, err))
		})
	}
}

// checkInvariants holds for every parse: a classified error, or items with distinct,
// non-empty identities, valid UTF-8 text and absolute http(s) links.
func checkInvariants(t testing.TB, res Result, err error) {
	t.Helper()
	if err != nil {
		var fe *Error
		if !errors.As(err, &fe) || (fe.Kind != KindNotAFeed && fe.Kind != KindParse) {
			t.Errorf("error %v: got kind %q, want not_a_feed or parse", err, KindOf(err))
		}
		if len(res.Items) != 0 {
			t.Errorf("error %v with %d items", err, len(res.Items))
		}
		return
	}
	ids := map[string]bool{}
	for _, it := range res.Items {
		if it.ID == "" || ids[it.ID] {
			t.Errorf("item %q: id %q empty or repeated", it.Title, it.ID)
		}
		ids[it.ID] = true
		for _, s := range []string{it.Title, it.Abstract, it.Body, it.URL} {
			if !utf8.ValidString(s) {
				t.Errorf("item %q: invalid UTF-8 in %q", it.ID, s)
			}
		}
		for _, l := range it.Links {
			if !isHTTPURL(l) {
				t.Errorf("item %q: link %q is not an absolute http(s) URL", it.ID, l)
			}
		}
		if !it.Published.IsZero() && it.Published.Location() != time.UTC {
			t.Errorf("item %q: published %v not in UTC", it.ID, it.Published)
		}
	}
	if !utf8.ValidString(res.Title) {
		t.Errorf("feed title %q: invalid UTF-8", res.Title)
	}
}

func parseFixture(t *testing.T, file, contentType string) Result {
	t.Helper()
	res, err := Parse("f", goldenFeedURL, fixtures.Read(t, file), contentType)
	if err != nil {
		t.Fatalf("Parse(%s): %v", file, err)
	}
	return res
}

func TestParseOrderAndPlainText(t *testing.T) {
	res := parseFixture(t, "feeds/rss-parser/guardian.rss", "")
	if len(res.Items) != 55 {
		t.Fatalf("got %d items, want 55", len(res.Items))
	}
	// Oldest first, by date when every entry has one.
	for i := 1; i < len(res.Items); i++ {
		if res.Items[i].Published.Before(res.Items[i-1].Published) {
			t.Errorf("item %d (%s) is older than the one before it", i, res.Items[i].Published)
		}
	}
	var trump watchers.Item
	for _, it := range res.Items {
		if it.Title == "Trump State of the Union address promised unity but emphasized discord" {
			trump = it
		}
	}
	if strings.Contains(trump.Abstract, "<p>") || !strings.Contains(trump.Abstract, "new American moment") {
		t.Errorf("abstract should be plain text: got %q", trump.Abstract)
	}
	for _, it := range res.Items {
		if it.Source != "f" || it.Published.IsZero() || !strings.HasPrefix(it.ID, "guid:") {
			t.Errorf("item %q: got source %q, published %v, id %q", it.Title, it.Source, it.Published, it.ID)
		}
	}
	if res.Title == "" || res.Link == "" {
		t.Errorf("feed title %q, link %q: want both", res.Title, res.Link)
	}
}

func TestParseCharsets(t *testing.T) {
	iconv := fixtures.Read(t, "feeds/node-feedparser/iconv.xml")
	undeclared := xmlDecl.ReplaceAll(iconv, nil)
	tests := []struct {
		name, file  string
		body        []byte // instead of file
		contentType string
		want        string // in some item's title or abstract, or the feed's title
	}{
		{name: "GB2312 from the XML declaration", file: "feeds/rss-parser/encoding-gb2312.xml", want: "新闻国内"},
		{name: "ISO-8859-2 from the XML declaration", file: "feeds/rss-parser/latin2.rss", want: "ZAŻÓŁĆ GĘSLĄ JAŹŃ"},
		{name: "windows-1251 from the XML declaration", file: "feeds/node-feedparser/iconv.xml", want: "Новости"},
		{name: "windows-1251 from Content-Type", body: undeclared, contentType: "text/xml; charset=windows-1251", want: "Новости"},
		{name: "ISO-8859-1 declared", file: "feeds/rss-parser/encoding.rss", want: "Notícias"},
		{name: "undeclared Latin-1 falls back", file: "feeds/rss-parser/uolNoticias.rss", want: "campeã da Primeira Divisão"},
		{name: "Content-Type charset ignored for UTF-8 bytes", file: "feeds/rss-parser/heise.atom", contentType: "text/xml; charset=iso-8859-1", want: "für"},
		{
			name: "UTF-8 bytes under a false Latin-1 declaration",
			body: []byte(`<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><title>Café Zoë</title><item><title>海康威视</title><link>https://example.org/a</link></item></channel></rss>`),
			want: "海康威视",
		},
		{
			name: "Big5",
			body: encodeWith(t, "big5", `<?xml version="1.0" encoding="Big5"?><rss version="2.0"><channel><title>新聞</title><item><title>海康威視</title><link>https://example.org/a</link></item></channel></rss>`),
			want: "海康威視",
		},
		{
			name:        "Shift_JIS from Content-Type",
			body:        encodeWith(t, "shift_jis", `<rss version="2.0"><channel><title>ニュース</title><item><title>東京の記事</title><link>https://example.org/a</link></item></channel></rss>`),
			contentType: "application/rss+xml; charset=Shift_JIS",
			want:        "東京の記事",
		},
		{
			name:        "GBK JSON Feed from Content-Type",
			body:        encodeWith(t, "gbk", `{"version":"https://jsonfeed.org/version/1.1","title":"新闻","items":[{"id":"1","title":"海康威视","url":"https://example.org/1"}]}`),
			contentType: "application/feed+json; charset=gbk",
			want:        "海康威视",
		},
		{
			name: "UTF-16 with a byte order mark",
			body: encodeWith(t, "utf-16le-bom", `<?xml version="1.0" encoding="UTF-16"?><rss version="2.0"><channel><title>t</title><item><title>Dahua Technology</title><link>https://example.org/a</link></item></channel></rss>`),
			want: "Dahua Technology",
		},
		{
			name: "windows-1252 quotes undeclared",
			body: []byte("<rss version=\"2.0\"><channel><title>t</title><item><title>\x93Quoted\x94 \x96 dash</title><link>https://example.org/a</link></item></channel></rss>"),
			want: "“Quoted” – dash",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.body
			if tt.file != "" {
				body = fixtures.Read(t, tt.file)
			}
			res, err := Parse("f", goldenFeedURL, body, tt.contentType)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			checkInvariants(t, res, err)
			texts := []string{res.Title}
			for _, it := range res.Items {
				texts = append(texts, it.Title, it.Abstract)
			}
			all := strings.Join(texts, "\n")
			if !strings.Contains(all, tt.want) {
				t.Errorf("got no %q in the text:\n%s", tt.want, head([]byte(all), 600))
			}
			if strings.ContainsRune(all, utf8.RuneError) {
				t.Errorf("replacement characters in the text:\n%s", head([]byte(all), 600))
			}
		})
	}
}

func TestParseIdentities(t *testing.T) {
	res := parseFixture(t, "feeds/node-feedparser/guid-dupes.xml", "")
	if len(res.Items) == 0 || res.Items[len(res.Items)-1].ID != "guid:http://www.braingle.com/50366.html" {
		t.Errorf("an entry with its guid element repeated: got %+v", ids(res.Items))
	}

	res = parseFixture(t, "feeds/rss-parser/craigslist.rss", "")
	for _, it := range res.Items {
		if !strings.HasPrefix(it.ID, "url:") {
			t.Errorf("an entry without a guid: got id %q, want its link", it.ID)
		}
	}

	// Two different entries under one GUID stay two items; the older keeps the GUID, so
	// that what was seen under it before is not announced again. An exact repeat is one.
	body := `<rss version="2.0"><channel><title>t</title>
<item><guid>same</guid><title>Newest</title><link>https://example.org/c</link></item>
<item><guid>same</guid><title>Newer, same link</title><link>https://example.org/b</link></item>
<item><guid>same</guid><title>Middle</title><link>https://example.org/b</link></item>
<item><guid>same</guid><title>Oldest</title><link>https://example.org/a?utm_source=x</link></item>
<item><guid>same</guid><title>Oldest</title><link>https://example.org/a?utm_source=x</link></item>
<item><title>No link</title><description>one</description></item>
<item><title>No link</title><description>one</description></item>
</channel></rss>`
	r, err := Parse("f", goldenFeedURL, []byte(body), "")
	if err != nil {
		t.Fatal(err)
	}
	got := ids(r.Items)
	want := []string{
		"hash:", // "No link": one item for the exact repeat
		"guid:same",
		"url:https://example.org/b",
		"hash:",
		"url:https://example.org/c",
	}
	if len(got) != len(want) {
		t.Fatalf("got ids %q, want %d items", got, len(want))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("item %d (%s): got id %q, want %q…", i, r.Items[i].Title, got[i], want[i])
		}
	}
	if r.Items[1].Title != "Oldest" {
		t.Errorf("the GUID went to %q, want the oldest entry", r.Items[1].Title)
	}
}

// encodeWith encodes s in a legacy charset (an htmlindex label, or utf-16le-bom).
func encodeWith(t *testing.T, label, s string) []byte {
	t.Helper()
	var enc encoding.Encoding
	if label == "utf-16le-bom" {
		enc = unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)
	} else {
		var err error
		if enc, err = htmlindex.Get(label); err != nil {
			t.Fatal(err)
		}
	}
	b, _, err := transform.Bytes(enc.NewEncoder(), []byte(s))
	if err != nil {
		t.Fatalf("encode %s: %v", label, err)
	}
	return b
}

func ids(items []watchers.Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.ID)
	}
	return out
}

func TestParseLinks(t *testing.T) {
	tests := []struct {
		file      string
		wantURL   string
		wantLinks []string
	}{
		{"feeds/node-feedparser/rss-with-item-scoped-html-base.xml", "https://example.com/first/first", []string{"https://example.com/first/post"}},
		{"feeds/node-feedparser/rss-with-relative-html-urls-no-base.xml", "https://example.com/feed/posts/post-1", nil},
		{"feeds/gofeed/rss__rss_channel_item_xml_base.xml", "http://example.org/feeds/post/1", nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			res := parseFixture(t, tt.file, "")
			if len(res.Items) == 0 {
				t.Fatal("no items")
			}
			it := res.Items[len(res.Items)-1] // the first entry
			if it.URL != tt.wantURL {
				t.Errorf("url: got %q, want %q", it.URL, tt.wantURL)
			}
			if strings.Join(it.Links, " ") != strings.Join(tt.wantLinks, " ") {
				t.Errorf("links: got %q, want %q", it.Links, tt.wantLinks)
			}
		})
	}
}

func TestParseNotAFeed(t *testing.T) {
	tests := []struct {
		name, body string
		wantKind   ErrorKind
		wantAlt    string
	}{
		{"HTML page", `<!doctype html><html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml"></head><body><p>hello</p></body></html>`, KindNotAFeed, "https://feeds.example.org/feed.xml"},
		{"plain text", "hello", KindNotAFeed, ""},
		{"empty", "  \n", KindNotAFeed, ""},
		{"other XML", `<?xml version="1.0"?><note><to>x</to></note>`, KindNotAFeed, ""},
		{"truncated feed", `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>a`, KindParse, ""},
		{"broken JSON Feed", `{"version":"https://jsonfeed.org/version/1.1","items":[{"id":`, KindParse, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("f", goldenFeedURL, []byte(tt.body), "")
			var fe *Error
			if !errors.As(err, &fe) || fe.Kind != tt.wantKind {
				t.Fatalf("got %v (kind %q), want kind %q", err, KindOf(err), tt.wantKind)
			}
			if tt.wantKind == KindNotAFeed && !errors.Is(err, ErrNotAFeed) {
				t.Errorf("got %v, want it to wrap ErrNotAFeed", err)
			}
			if tt.wantAlt != "" && (len(fe.Alternates) == 0 || fe.Alternates[0] != tt.wantAlt) {
				t.Errorf("alternates: got %q, want %q", fe.Alternates, tt.wantAlt)
			}
		})
	}
}

func TestPlainText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain  text ", "plain text"},
		{"<p>One</p><p>Two &amp; three</p>", "One\nTwo & three"},
		{"a<br>b", "a\nb"},
		{"<b>Hik</b>vision", "Hikvision"},
		{"x<script>alert(1)</script>y", "xy"},
		{"x<style>p{}</style><noscript>n</noscript>y", "xy"},
		{"Tom &lt;tom@example.org&gt;", "Tom <tom@example.org>"},
		{"AT&T &amp; a < b", "AT&T & a < b"},
		{"non\u00a0breaking", "non breaking"},
		{"Plain <text> content", "Plain <text> content"},
		{"<p>Hangzhou Hikvision\nDigital Technology</p>", "Hangzhou Hikvision Digital Technology"},
		{"<pre>line one\nline two</pre>", "line one\nline two"},
		{"plain text\nkeeps its lines", "plain text\nkeeps its lines"},
		{"Tom <tom@example.org>", "Tom <tom@example.org>"},
		{"<p>Word<o:p></o:p> paste<fb-like></fb-like></p>", "Word paste"},
	}
	for _, tt := range tests {
		if got := PlainText(tt.in); got != tt.want {
			t.Errorf("PlainText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseOrder(t *testing.T) {
	const feed = `<rss version="2.0"><channel><title>t</title>
<item><guid>a</guid><title>A</title><pubDate>Mon, 07 Oct 2019 08:00:00 GMT</pubDate></item>
<item><guid>b</guid><title>B</title><pubDate>Tue, 08 Oct 2019 08:00:00 GMT</pubDate></item>
<item><guid>c</guid><title>C</title><pubDate>Wed, 09 Oct 2019 08:00:00 GMT</pubDate></item>
</channel></rss>`
	const undated = `<rss version="2.0"><channel><title>t</title>
<item><guid>c</guid><title>C</title></item>
<item><guid>b</guid><title>B</title><pubDate>Tue, 08 Oct 2019 08:00:00 GMT</pubDate></item>
<item><guid>a</guid><title>A</title></item>
</channel></rss>`
	tests := []struct{ name, body, want string }{
		{"dated, oldest listed first", feed, "ABC"},
		{"not all dated: newest listed first", undated, "ABC"},
	}
	for _, tt := range tests {
		res, err := Parse("f", goldenFeedURL, []byte(tt.body), "")
		if err != nil {
			t.Fatal(err)
		}
		var got string
		for _, it := range res.Items {
			got += it.Title
		}
		if got != tt.want {
			t.Errorf("%s: got order %s, want %s", tt.name, got, tt.want)
		}
	}
}
