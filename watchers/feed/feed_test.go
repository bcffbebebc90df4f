package feed

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vigilbot/vigil/internal/fixtures"
)

func TestParseGuardian(t *testing.T) {
	body := fixtures.Read(t, "feeds/rss-parser/guardian.rss")
	items, err := Parse("guardian", "https://www.theguardian.com/us/rss", body)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) < 10 {
		t.Fatalf("got %d items, want the whole feed", len(items))
	}
	// Oldest first: the feed's first entry comes last.
	last := items[len(items)-1]
	if want := "Trump State of the Union address promised unity but emphasized discord"; last.Title != want {
		t.Errorf("last item title: got %q, want %q", last.Title, want)
	}
	if strings.Contains(last.Abstract, "<p>") || !strings.Contains(last.Abstract, "new American moment") {
		t.Errorf("abstract should be plain text: got %q", last.Abstract)
	}
	ids := map[string]bool{}
	for _, it := range items {
		if it.ID == "" || ids[it.ID] {
			t.Errorf("item %q: id %q empty or repeated", it.Title, it.ID)
		}
		ids[it.ID] = true
		if it.Source != "guardian" || it.Published.IsZero() {
			t.Errorf("item %q: got source %q published %v", it.Title, it.Source, it.Published)
		}
	}
}

func TestParseFixtures(t *testing.T) {
	tests := []struct {
		file      string
		wantItems int
		check     func(t *testing.T, title, link, id string)
	}{
		{"feeds/gofeed/rss__rss_channel_item_title_escaped_markup.xml", 1, func(t *testing.T, title, _, _ string) {
			if strings.ContainsAny(title, "<>") {
				t.Errorf("title keeps markup: %q", title)
			}
		}},
		{"feeds/gofeed/atom__relative_uri.xml", -1, func(t *testing.T, _, link, _ string) {
			if link != "" && !strings.HasPrefix(link, "http") {
				t.Errorf("relative link not resolved: %q", link)
			}
		}},
		{"feeds/gofeed/rss__rss_channel_item_guid_no_permalink.xml", 1, func(t *testing.T, _, _, id string) {
			if !strings.HasPrefix(id, "guid:") {
				t.Errorf("id: got %q, want the guid", id)
			}
		}},
		{"feeds/gofeed/universal__json11_feed.json", -1, nil},
		{"feeds/gofeed/rss__version_rdf_10.xml", -1, nil},
		{"feeds/rss-parser/heise.atom", -1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			items, err := Parse("f", "https://example.org/feed", fixtures.Read(t, tt.file))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if tt.wantItems >= 0 && len(items) != tt.wantItems {
				t.Errorf("got %d items, want %d", len(items), tt.wantItems)
			}
			for _, it := range items {
				if tt.check != nil {
					tt.check(t, it.Title, it.URL, it.ID)
				}
			}
		})
	}
}

func TestParseNotAFeed(t *testing.T) {
	_, err := Parse("f", "https://example.org/", []byte("<!doctype html><html><body><p>hello</p></body></html>"))
	if !errors.Is(err, ErrNotAFeed) {
		t.Fatalf("got %v, want ErrNotAFeed", err)
	}
}

func TestPoll(t *testing.T) {
	body := fixtures.Read(t, "feeds/rss-parser/guardian.rss")
	var gotUA string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/feed":
			gotUA = r.Header.Get("User-Agent")
			w.Write(body)
		case "/big":
			w.Write(make([]byte, 2048))
		default:
			http.Error(w, "gone", http.StatusGone)
		}
	}))
	defer srv.Close()
	ctx := context.Background()

	s, err := New("g", srv.URL+"/feed", Options{UserAgent: "Vigil/test"})
	if err != nil {
		t.Fatal(err)
	}
	items, err := s.Poll(ctx)
	if err != nil || len(items) == 0 {
		t.Fatalf("Poll: got %d items, %v", len(items), err)
	}
	if gotUA != "Vigil/test" {
		t.Errorf("User-Agent: got %q, want Vigil/test", gotUA)
	}

	s, _ = New("g", srv.URL+"/missing", Options{})
	if _, err := s.Poll(ctx); err == nil || !strings.Contains(err.Error(), "410") {
		t.Errorf("Poll of a 410: got %v, want an error naming the status", err)
	}
	s, _ = New("g", srv.URL+"/big", Options{MaxBody: 1024})
	if _, err := s.Poll(ctx); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("Poll of a large body: got %v, want a size error", err)
	}
	if _, err := New("g", "file:///etc/passwd", Options{}); err == nil {
		t.Errorf("New with a file URL: got nil error")
	}
}

func TestPlainText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain  text ", "plain text"},
		{"<p>One</p><p>Two &amp; three</p>", "One\nTwo & three"},
		{"a<br>b", "a\nb"},
		{"<b>Hik</b>vision", "Hikvision"},
		{"x<script>alert(1)</script>y", "xy"},
		{"Tom &lt;tom@example.org&gt;", "Tom <tom@example.org>"},
	}
	for _, tt := range tests {
		if got := PlainText(tt.in); got != tt.want {
			t.Errorf("PlainText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
