package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilbot/vigil/bot"
	"github.com/vigilbot/vigil/watchers/feed"
)

// Feeds added by chat: private and loopback addresses are refused, the feed is probed
// before it is saved, names are unique, and configured sources cannot be removed by chat.
func TestSourceCommands(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<rss version="2.0"><channel><title>Wire</title><item><title>a</title><guid>1</guid></item><item><title>b</title><guid>2</guid></item></channel></rss>`)
	}))
	defer srv.Close()
	cfg := testConfig(t, fmt.Sprintf(`
database:
  url: sqlite:%s
sources:
  - {name: configured, type: feed, url: "%s/feed"}
`, filepath.Join(t.TempDir(), "vigil.db"), srv.URL))
	e, err := open(ctx, Options{Config: cfg, Logger: testLogger(t), Now: time.Now, fetcher: &feed.FetcherOptions{PerHostInterval: -1}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	svc := e.service()
	say := func(text string, admin bool) bot.Reply {
		return svc.Handle(ctx, bot.Request{Channel: "console:main", User: "u", CanManage: true, Admin: admin, Text: text})
	}

	// The real probe refuses the loopback test server, as it would any private address.
	if r := say("source add "+srv.URL+"/feed", true); !r.Failed || !strings.Contains(r.Text, "Could not add it") {
		t.Errorf("adding a loopback feed: got %+v, want a refusal", r)
	}
	if r := say("source add https://news.example.org/rss", false); !r.Failed || !strings.Contains(r.Text, "Only admins") {
		t.Errorf("adding as a non-admin: got %+v", r)
	}
	if r := say("source add ftp://news.example.org/rss", true); !r.Failed || !strings.Contains(r.Text, "not an http or https address") {
		t.Errorf("adding an ftp URL: got %+v", r)
	}

	// With the probe pointed at the local server (standing in for a public feed).
	e.probe = func(ctx context.Context, u string) (feed.Result, error) {
		return e.fetcher.Probe(ctx, srv.URL+"/feed", feed.SourceOptions{AllowPrivate: true})
	}
	r := say("source add https://www.news.example.org/rss", true)
	if r.Failed || !strings.Contains(r.Text, `Added source "feed-news-example-org": the feed "Wire" with 2 items now`) {
		t.Fatalf("adding a feed: got %+v", r)
	}
	if r := say("source add HTTPS://www.News.example.org/rss?utm_source=chat#x", true); !r.Failed || !strings.Contains(r.Text, `already watched as source "feed-news-example-org"`) {
		t.Errorf("adding it again: got %+v", r)
	}
	if r := say("source add https://news.example.org/other", true); r.Failed || !strings.Contains(r.Text, `"feed-news-example-org-2"`) {
		t.Errorf("a second feed of the host: got %+v", r)
	}
	src, err := e.store.Source(ctx, "feed-news-example-org")
	if err != nil || src.Origin != originChat || src.Baselined {
		t.Errorf("stored source: got %+v, %v; want a chat source awaiting its baseline", src, err)
	}
	if r := say("source remove configured", true); !r.Failed || !strings.Contains(r.Text, "configuration file") {
		t.Errorf("removing a configured source: got %+v", r)
	}
	if r := say("source remove feed-news-example-org", true); r.Failed {
		t.Errorf("removing a chat source: got %+v", r)
	}
	if r := say("source remove feed-news-example-org", true); !r.Failed || !strings.Contains(r.Text, "there is no source") {
		t.Errorf("removing it again: got %+v", r)
	}
}

// `vigil sources` shows a feed URL's credentials and token to no one, in either output,
// nor inside the last error of a source that failed.
func TestSourcesHideFeedSecrets(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "gone", http.StatusGone)
	}))
	defer srv.Close()
	u := strings.Replace(srv.URL, "http://", "http://reader:PASSCANARY@", 1) + "/feed?token=TOKENCANARY"
	cfg := testConfig(t, fmt.Sprintf(`
database:
  url: sqlite:%s
sources:
  - {name: private, type: feed, url: %q}
`, filepath.Join(t.TempDir(), "vigil.db"), u))
	if err := Scan(context.Background(), Options{Config: cfg, Stdout: io.Discard, Logger: testLogger(t)}, ScanOptions{}); err == nil {
		t.Fatal("scan of a failing feed: no error")
	}
	for _, output := range []string{"json", "text"} {
		var out bytes.Buffer
		if err := Sources(context.Background(), Options{Config: cfg, Stdout: &out, Logger: testLogger(t)}, output); err != nil {
			t.Fatalf("sources --output %s: %v", output, err)
		}
		if !strings.Contains(out.String(), "410") && !strings.Contains(out.String(), "gone") {
			t.Errorf("sources --output %s shows no error:\n%s", output, out.String())
		}
		if strings.Contains(out.String(), "CANARY") {
			t.Errorf("sources --output %s shows a secret:\n%s", output, out.String())
		}
	}
}
