package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilbot/vigil/config"
	"github.com/vigilbot/vigil/internal/fixtures"
)

// feedServer serves a real feed with extra items put in front of its entries.
type feedServer struct {
	*httptest.Server
	base  string
	mu    sync.Mutex
	extra []string
	hits  atomic.Int64
}

func newFeedServer(t *testing.T, fixture string) *feedServer {
	t.Helper()
	fs := &feedServer{base: string(fixtures.Read(t, fixture))}
	fs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fs.hits.Add(1)
		fs.mu.Lock()
		body := strings.Replace(fs.base, "<item>", strings.Join(fs.extra, "")+"<item>", 1)
		fs.mu.Unlock()
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		io.WriteString(w, body)
	}))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *feedServer) add(guid, title, link, description string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.extra = append([]string{fmt.Sprintf("<item><title>%s</title><link>%s</link><guid isPermaLink=\"false\">%s</guid><description>%s</description><pubDate>Thu, 01 Feb 2018 10:00:00 GMT</pubDate></item>\n",
		title, link, guid, description)}, fs.extra...)
}

// waitHits waits until the server has been polled n more times.
func (fs *feedServer) waitHits(t *testing.T, n int64) {
	t.Helper()
	target := fs.hits.Load() + n
	waitFor(t, fmt.Sprintf("%d feed polls", n), func() bool { return fs.hits.Load() >= target })
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testConfig(t *testing.T, yaml string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml), "test.yaml")
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// daemon is app.Run in the background with a terminal chat the test types into.
type daemon struct {
	in   *io.PipeWriter
	out  *syncBuffer
	stop context.CancelFunc
	done chan error
}

func startDaemon(t *testing.T, cfg *config.Config) *daemon {
	t.Helper()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	d := &daemon{in: pw, out: &syncBuffer{}, stop: cancel, done: make(chan error, 1)}
	go func() {
		d.done <- Run(ctx, Options{Config: cfg, Stdin: pr, Stdout: d.out, Logger: testLogger(t), SchedulerInterval: 200 * time.Millisecond})
	}()
	t.Cleanup(func() { d.shutdown(t) })
	return d
}

func (d *daemon) say(t *testing.T, line, wantReply string) {
	t.Helper()
	if _, err := io.WriteString(d.in, line+"\n"); err != nil {
		t.Fatalf("type %q: %v", line, err)
	}
	waitFor(t, "reply "+wantReply, func() bool { return strings.Contains(d.out.String(), wantReply) })
}

func (d *daemon) shutdown(t *testing.T) {
	t.Helper()
	if d.stop == nil {
		return
	}
	d.stop()
	d.stop = nil
	d.in.Close()
	select {
	case err := <-d.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func (d *daemon) alerts() int { return strings.Count(d.out.String(), "── alert #") }

// TestWholeProgram runs the daemon in-process on a temporary SQLite file against a real
// feed served locally: a watch added in the terminal chat, the first poll a baseline, a
// new matching item alerted once however often it is polled, and nothing re-alerted after
// a restart.
func TestWholeProgram(t *testing.T) {
	srv := newFeedServer(t, "feeds/rss-parser/guardian.rss")
	db := filepath.Join(t.TempDir(), "vigil.db")
	cfg := testConfig(t, fmt.Sprintf(`
database:
  url: sqlite:%s
sources:
  - name: guardian
    type: feed
    url: %s/feed
    schedule: "@every 1s"
`, db, srv.URL))

	d := startDaemon(t, cfg)
	d.say(t, "add Puigdemont not \"Puigdemont Street\"", `Now watching "Puigdemont"`)
	srv.waitHits(t, 3)
	// The fixture already names Puigdemont, but the first poll is the baseline.
	if n := d.alerts(); n != 0 {
		t.Fatalf("after the baseline: got %d alerts, want 0\n%s", n, d.out.String())
	}

	srv.add("new-1", "Puigdemont returns to Barcelona", "https://www.theguardian.com/world/new-1?utm_source=rss", "Carles Puigdemont &lt;b&gt;returned&lt;/b&gt; today. More later.")
	srv.add("new-2", "Nothing to see on Puigdemont Street", "https://www.theguardian.com/world/new-2", "A street.")
	waitFor(t, "the alert", func() bool { return d.alerts() >= 1 })
	srv.waitHits(t, 3)
	out := d.out.String()
	if n := d.alerts(); n != 1 {
		t.Fatalf("after three more polls: got %d alerts, want exactly 1\n%s", n, out)
	}
	for _, want := range []string{
		"Puigdemont named in “Puigdemont returns to Barcelona” (guardian)",
		"Carles Puigdemont returned today.",
		`Matched "Puigdemont" in title (subject): »Puigdemont« returns to Barcelona`,
		"https://www.theguardian.com/world/new-1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("alert output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Puigdemont's Catalan independence") {
		t.Errorf("an item of the baseline was alerted:\n%s", out)
	}
	d.shutdown(t)

	// Restart on the same database: nothing is alerted again, new items still are.
	d = startDaemon(t, cfg)
	srv.waitHits(t, 3)
	if n := d.alerts(); n != 0 {
		t.Fatalf("after a restart: got %d alerts, want 0\n%s", n, d.out.String())
	}
	srv.add("new-3", "Spain responds", "https://www.theguardian.com/world/new-3", "Madrid answered Puigdemont.")
	waitFor(t, "the alert after the restart", func() bool { return d.alerts() == 1 })
	d.say(t, "list", "This channel watches 1 entity")
	// A new watch shows what it would have matched among the items already seen, once.
	d.say(t, "add Nassar", "• 2004 Larry Nassar investigation dropped after doctor's PowerPoint presentation (guardian, 2018-01-31)")
	d.say(t, "mute Puigdemont 1d", `Muted "Puigdemont" until`)
	srv.add("new-4", "Puigdemont and Nassar in one story", "https://www.theguardian.com/world/new-4", "Both named.")
	waitFor(t, "the alert naming only the unmuted entity", func() bool {
		return strings.Contains(d.out.String(), "Nassar named in “Puigdemont and Nassar in one story”")
	})
}
