package chaos

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilbot/vigil/store"
	"github.com/vigilbot/vigil/watchers"
)

// TestChatFeedsStayPublic types `source add` into the terminal chat of the binary for
// loopback, private, link-local and unique-local addresses, by address and by name, and
// checks that each is refused without a request reaching the loopback server. Then it
// plants a chat-added source whose address now leads to loopback (what DNS rebinding
// after the add would do) and checks that its scheduled polls are refused too.
func TestChatFeedsStayPublic(t *testing.T) {
	t.Parallel()
	bin := vigil(t)
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write(healthyFeed("inside"))
	}))
	defer srv.Close()
	port := srv.URL[strings.LastIndexByte(srv.URL, ':')+1:]

	dir := t.TempDir()
	db := filepath.Join(dir, "vigil.db")
	cfg := filepath.Join(dir, "vigil.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("database:\n  url: sqlite://%s\nsources: []\n", db)), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errs := NewLines(), NewLines()
	d, err := StartDaemon(bin, cfg, out, errs)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Kill()
	if err := d.WaitStarted(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	targets := []string{
		"http://127.0.0.1:" + port + "/feed",          // loopback
		"http://localhost:" + port + "/feed",          // loopback, by name
		"http://[::ffff:127.0.0.1]:" + port + "/feed", // loopback, IPv4-mapped
		"http://0.0.0.0:" + port + "/feed",            // "this host"
		"http://[::1]:" + port + "/feed",              // IPv6 loopback
		"http://10.20.30.40/feed",                     // private
		"http://192.168.1.1/feed",                     // private
		"http://169.254.169.254/latest/meta-data/",    // link-local: cloud metadata
		"http://[fd12:3456:789a::1]/feed",             // IPv6 unique local
		"http://[fe80::1]/feed",                       // IPv6 link-local
		"http://100.64.0.1/feed",                      // carrier-grade NAT
		"http://[64:ff9b::7f00:1]:" + port + "/feed",  // NAT64 of 127.0.0.1
	}
	for _, u := range targets {
		before := out.Len()
		if err := d.Say("source add " + u); err != nil {
			t.Fatal(err)
		}
		var reply string
		if err := waitFor(t.Context(), 30*time.Second, func() (bool, error) {
			lines := out.Snapshot()
			if len(lines) > before {
				var b strings.Builder
				for _, l := range lines[before:] {
					b.WriteString(l.Text + "\n")
				}
				reply = b.String()
				return true, nil
			}
			return false, nil
		}); err != nil {
			t.Fatalf("source add %s: no reply", u)
		}
		if !strings.Contains(reply, "not public") {
			t.Errorf("source add %s: got %q, want a refusal naming a non-public address", u, reply)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the loopback server got %d requests from source add, want none", n)
	}
	if err := d.Stop(20 * time.Second); err != nil {
		t.Fatal(err)
	}

	// A source added by chat while its name led to a public address, now leading to
	// loopback: the daemon's polls must refuse it as the add did.
	st, err := store.Open(t.Context(), "sqlite://"+db)
	if err != nil {
		t.Fatal(err)
	}
	err = st.UpsertSource(t.Context(), watchers.Source{Name: "rebound", Type: watchers.SourceFeed, URL: srv.URL + "/feed", Schedule: "@every 1s", Origin: "chat"})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if d, err = StartDaemon(bin, cfg, out, errs); err != nil {
		t.Fatal(err)
	}
	defer d.Kill()
	if err := d.WaitStarted(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	var got SourceHealth
	if err := waitFor(t.Context(), 60*time.Second, func() (bool, error) {
		srcs, err := Sources(t.Context(), bin, cfg)
		got = srcs["rebound"]
		return err == nil && got.LastPoll != nil, err
	}); err != nil {
		t.Fatalf("the planted source was not polled: %v", err)
	}
	if got.ErrorKind != "refused_address" {
		t.Errorf("planted chat source: got last_error_kind %q (%s), want refused_address", got.ErrorKind, got.LastError)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the loopback server got %d requests from the planted source's polls, want none", n)
	}
}

// TestArticleLinksStayPublic: a feed from the configuration file may live on a private
// network, but the links inside its items are third-party content. With fetch_article, a
// link to another private host must not be fetched (it would put, say, the cloud
// metadata service's answer into an alert).
func TestArticleLinksStayPublic(t *testing.T) {
	t.Parallel()
	bin := vigil(t)
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	var inside atomic.Int64
	intranet := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inside.Add(1)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<html><body><article><h1>Instance metadata</h1><p>Hikvision AccessKeyId=AKIA-FROM-THE-INTRANET, and enough text to be the page's main article.</p></article></body></html>`))
	}))
	intranet.Listener = l
	intranet.Start()
	defer intranet.Close()

	var polls atomic.Int64
	feedSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		items := ""
		if polls.Add(1) > 1 { // after the baseline
			items = `<item><title>Hikvision news</title><link>` + intranet.URL + `/latest/meta-data/iam</link><guid>x1</guid></item>`
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprintf(w, `<rss version="2.0"><channel><title>t</title>%s</channel></rss>`, items)
	}))
	defer feedSrv.Close()

	dir := t.TempDir()
	cfg := filepath.Join(dir, "vigil.yaml")
	yaml := fmt.Sprintf(`database:
  url: sqlite://%s
sources:
  - {name: news, type: feed, url: %q, schedule: "@every 1s", fetch_article: true}
channels:
  - id: console:main
    watches:
%s`, filepath.Join(dir, "vigil.db"), feedSrv.URL+"/feed.xml", watchYAML)
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errs := NewLines(), NewLines()
	d, err := StartDaemon(bin, cfg, out, errs)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Kill()
	if err := waitFor(t.Context(), 40*time.Second, func() (bool, error) {
		return len(Alerts(out.Snapshot())) > 0, nil
	}); err != nil {
		t.Fatalf("no alert for the item: %v\n%s", err, errs)
	}
	if n := inside.Load(); n != 0 {
		t.Errorf("the intranet server behind an item's link got %d requests, want none; the alert:\n%s", n, Alerts(out.Snapshot())[0].Text())
	}
}
