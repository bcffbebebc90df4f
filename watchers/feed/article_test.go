package feed

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/vigilbot/vigil/watchers"
)

// articlePage is a news page with its clutter, in ISO-8859-1 declared only by <meta>.
func articlePage(t *testing.T) []byte {
	t.Helper()
	para := "Analysts said the decision would weigh on the company's overseas sales for years, " +
		"and that suppliers in Europe were already reviewing their contracts. "
	page := `<!DOCTYPE html><html><head><meta charset="iso-8859-1"><title>Entity List grows</title></head>
<body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/map">Dahua Road traffic map</a></li></ul></nav>
<div class="sidebar"><p>Subscribe to our newsletter!</p></div>
<article>
<h1>Entity List grows by 28</h1>
<p>The Commerce Department added Hangzhou Hikvision Digital Technology to the Entity List,
citing its role in surveillance in Xinjiang. The <a href="https://www.federalregister.gov/documents/2019/10/09/2019-22210/addition-of-certain-entities-to-the-entity-list">final rule</a>
was published on 9 October; the caf&eacute; owner quoted below was unmoved.</p>
<p>` + strings.Repeat(para, 4) + `</p>
<p>Read <a href="/2019/10/background.html">our background piece</a> for more. Caf` + "\xe9" + ` cr` + "\xe8" + `me.</p>
</article>
<footer><p>Copyright Example News</p></footer>
</body></html>`
	return []byte(page)
}

func TestFetchBody(t *testing.T) {
	var hits atomic.Int32
	page := articlePage(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Path {
		case "/story":
			w.Header().Set("Content-Type", "text/html")
			w.Write(page)
		case "/story.pdf":
			w.Header().Set("Content-Type", "application/pdf")
			w.Write([]byte("%PDF-1.4"))
		case "/empty":
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html><body></body></html>"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	f := testFetcher(FetcherOptions{})
	ctx := context.Background()

	src := mustSource(t, f, srv.URL+"/feed", SourceOptions{AllowPrivate: true, FetchArticle: true})
	it := watchers.Item{ID: "guid:1", URL: srv.URL + "/story", Body: "feed text", Links: []string{"https://example.org/from-feed"}}
	if err := src.FetchBody(ctx, &it); err != nil {
		t.Fatalf("FetchBody: %v", err)
	}
	for _, want := range []string{"Hangzhou Hikvision Digital Technology", "café owner", "Café crème", "overseas sales"} {
		if !strings.Contains(it.Body, want) {
			t.Errorf("body lacks %q:\n%s", want, it.Body)
		}
	}
	for _, clutter := range []string{"Dahua Road", "Subscribe", "Copyright"} {
		if strings.Contains(it.Body, clutter) {
			t.Errorf("body keeps the page's clutter %q:\n%s", clutter, it.Body)
		}
	}
	wantLinks := []string{
		"https://example.org/from-feed",
		"https://www.federalregister.gov/documents/2019/10/09/2019-22210/addition-of-certain-entities-to-the-entity-list",
		srv.URL + "/2019/10/background.html",
	}
	if strings.Join(it.Links, " ") != strings.Join(wantLinks, " ") {
		t.Errorf("links: got %q, want %q", it.Links, wantLinks)
	}

	failures := []struct {
		path string
		want ErrorKind
	}{
		{"/story.pdf", KindNotHTML},
		{"/missing", KindHTTPStatus},
		{"/empty", KindParse},
	}
	for _, tt := range failures {
		it := watchers.Item{URL: srv.URL + tt.path, Body: "feed text"}
		err := src.FetchBody(ctx, &it)
		if KindOf(err) != tt.want {
			t.Errorf("%s: got %v (kind %q), want %s", tt.path, err, KindOf(err), tt.want)
		}
		if it.Body != "feed text" {
			t.Errorf("%s: a failed fetch changed the body to %q", tt.path, it.Body)
		}
	}

	// Not opted in, or no link: nothing is fetched.
	before := hits.Load()
	plain := mustSource(t, f, srv.URL+"/feed", SourceOptions{AllowPrivate: true})
	if err := plain.FetchBody(ctx, &watchers.Item{URL: srv.URL + "/story"}); err != nil {
		t.Errorf("FetchBody without FetchArticle: %v", err)
	}
	if err := src.FetchBody(ctx, &watchers.Item{}); err != nil {
		t.Errorf("FetchBody without a link: %v", err)
	}
	if hits.Load() != before {
		t.Errorf("FetchBody fetched a page it should not have")
	}

	// The source's address policy applies to its articles.
	strict := mustSource(t, f, "https://feeds.example.org/feed", SourceOptions{FetchArticle: true})
	if err := strict.FetchBody(ctx, &watchers.Item{URL: srv.URL + "/story"}); KindOf(err) != KindRefusedAddress {
		t.Errorf("article on loopback for a public-only source: got %v, want refused_address", err)
	}
	if hits.Load() != before {
		t.Errorf("the refused article was fetched")
	}
}
