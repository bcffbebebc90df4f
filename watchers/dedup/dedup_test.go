package dedup

import (
	"strings"
	"testing"

	"github.com/vigilbot/vigil/watchers"
)

func TestCanonicalURL(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"lower host and scheme", "HTTPS://Example.ORG/News/A", "https://example.org/News/A"},
		{"default https port", "https://example.org:443/a", "https://example.org/a"},
		{"default http port", "http://example.org:80/a", "http://example.org/a"},
		{"other port kept", "http://example.org:8080/a", "http://example.org:8080/a"},
		{"fragment dropped", "https://example.org/a#top", "https://example.org/a"},
		{"tracking dropped", "https://example.org/a?utm_source=x&id=7&fbclid=1&gclid=2&UTM_Medium=y", "https://example.org/a?id=7"},
		{"query sorted", "https://example.org/a?b=2&a=1", "https://example.org/a?a=1&b=2"},
		{"empty path", "https://example.org", "https://example.org/"},
		{"only tracking", "https://example.org/a?utm_source=x", "https://example.org/a"},
		{"not a url", " urn:uuid:1234 ", "urn:uuid:1234"},
		{"empty", "", ""},
		{"ipv6", "http://[::1]:80/x", "http://[::1]/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CanonicalURL(tt.in); got != tt.want {
				t.Errorf("CanonicalURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestItemID(t *testing.T) {
	if got := ItemID(" g1 ", "https://e.org/a", "t", "c"); got != "guid:g1" {
		t.Errorf("with guid: got %q", got)
	}
	if got := ItemID("", "https://E.org/a?utm_source=x", "t", "c"); got != "url:https://e.org/a" {
		t.Errorf("with link: got %q", got)
	}
	h1, h2, h3 := ItemID("", "", "t", "c"), ItemID("", "", " t", "c "), ItemID("", "", "t", "d")
	if !strings.HasPrefix(h1, "hash:") || h1 != h2 || h1 == h3 {
		t.Errorf("hashes: got %q %q %q, want equal first two, third different", h1, h2, h3)
	}
}

func TestEventKey(t *testing.T) {
	tests := []struct {
		name string
		it   watchers.Item
		want string
	}{
		{"federal register", watchers.Item{Source: "fr", ID: "fr:2019-22210", URL: "https://www.federalregister.gov/d/2019-22210"}, "fr:2019-22210"},
		{"same link from two feeds", watchers.Item{Source: "a", ID: "guid:1", URL: "https://e.org/x?utm_campaign=z"}, "url:https://e.org/x"},
		{"no link", watchers.Item{Source: "a", ID: "hash:ab"}, "item:a|hash:ab"},
		{"news citing a document", watchers.Item{Source: "a", ID: "guid:2", URL: "https://e.org/story",
			Links: []string{"https://e.org/other", "https://www.federalregister.gov/documents/2019/10/09/2019-22210/addition-of-certain-entities"}}, "fr:2019-22210"},
		{"news linking a document", watchers.Item{Source: "a", ID: "guid:3", URL: "https://federalregister.gov/d/2019-22210"}, "fr:2019-22210"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EventKey(tt.it); got != tt.want {
				t.Errorf("EventKey = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDocumentLink(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"https://www.federalregister.gov/d/2019-22210", "2019-22210", true},
		{"http://federalregister.gov/d/E9-12940/", "e9-12940", true},
		{"https://www.federalregister.gov/documents/2019/10/09/2019-22210/addition-of-certain-entities-to-the-entity-list", "2019-22210", true},
		{"https://www.federalregister.gov/documents/search?conditions%5Bterm%5D=x", "", false},
		{"https://www.federalregister.gov/d/not-a-number", "", false},
		{"https://example.org/d/2019-22210", "", false},
		{"https://www.federalregister.gov.evil.example/d/2019-22210", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := DocumentLink(tt.in)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("DocumentLink(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestDocumentNumber(t *testing.T) {
	for in, want := range map[string]string{
		"2019-22210": "2019-22210", " FR Doc. 2019\u201322210 ": "2019-22210", "[FR Doc. 2023-03929 Filed 2-24-23; 8:45 am]": "2023-03929",
		"E9-12940": "e9-12940", "nonsense": "nonsense",
	} {
		if got := DocumentNumber(in); got != want {
			t.Errorf("DocumentNumber(%q) = %q, want %q", in, got, want)
		}
	}
}
