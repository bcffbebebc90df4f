package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/vigilbot/vigil/internal/fixtures"
)

// vigil runs the command line in-process and returns its exit code, stdout and stderr.
func vigil(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// feed serves a real captured feed, with items the test adds in front of its entries.
type feed struct {
	mu    sync.Mutex
	base  string
	extra string
}

func (f *feed) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	io.WriteString(w, strings.Replace(f.base, "<item>", f.extra+"<item>", 1))
}

func (f *feed) add(guid, title, description string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.extra = fmt.Sprintf("<item><title>%s</title><link>https://news.example/%s</link><guid>%s</guid><description>%s</description></item>", title, guid, guid, description) + f.extra
}

func writeConfig(t *testing.T, feedURL string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "vigil.yaml")
	cfg := fmt.Sprintf(`database:
  url: sqlite://%s
sources:
  - name: guardian
    type: feed
    url: %s
channels:
  - id: console:main
    watches:
      - name: Carles Puigdemont
        aliases: [Puigdemont]
      - name: Larry Nassar
        aliases: [Nassar]
        exclude: ["Nassar Street"]
`, filepath.Join(dir, "vigil.db"), feedURL)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

type alertLine struct {
	Channel   string   `json:"channel"`
	EventKey  string   `json:"event_key"`
	Kind      string   `json:"kind"`
	Entities  []string `json:"entities"`
	ItemID    string   `json:"item_id"`
	Source    string   `json:"source"`
	Title     string   `json:"title"`
	URL       string   `json:"url"`
	Published *string  `json:"published"`
	Summary   string   `json:"summary"`
	Matched   []struct {
		Entity, Alias, Where, Snippet string
	} `json:"matched"`
}

func parseLines(t *testing.T, out string) []alertLine {
	t.Helper()
	var lines []alertLine
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var a alertLine
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("output line is not JSON: %v\n%s", err, sc.Text())
		}
		lines = append(lines, a)
	}
	return lines
}

func TestScanJSONL(t *testing.T) {
	f := &feed{base: string(fixtures.Read(t, "feeds/rss-parser/guardian.rss"))}
	srv := httptest.NewServer(f)
	defer srv.Close()
	cfg := writeConfig(t, srv.URL+"/rss")

	// A dry run records nothing, so the real scan after it sees the same.
	code, out, errOut := vigil(t, "scan", "--dry-run", "--config", cfg, "--once", "--all", "--output", "jsonl")
	if code != 0 || len(parseLines(t, out)) != 2 {
		t.Fatalf("dry run: exit %d, %d alerts, want 0 and 2\n%s%s", code, len(parseLines(t, out)), out, errOut)
	}

	code, out, errOut = vigil(t, "scan", "--once", "--all", "--output", "jsonl", "--config", cfg)
	if code != 0 {
		t.Fatalf("scan: exit %d\n%s", code, errOut)
	}
	got := parseLines(t, out)
	if len(got) != 2 {
		t.Fatalf("scan --all: got %d alerts, want 2 (Puigdemont, Nassar)\n%s", len(got), out)
	}
	byEntity := map[string]alertLine{}
	for _, a := range got {
		if len(a.Entities) != 1 {
			t.Errorf("alert %q names %v, want one entity", a.Title, a.Entities)
			continue
		}
		byEntity[a.Entities[0]] = a
	}
	p := byEntity["Carles Puigdemont"]
	if p.Channel != "console:main" || p.Kind != "new" || p.Source != "guardian" ||
		p.Title != "'This is over': Puigdemont's Catalan independence doubts caught on camera" ||
		p.URL != "https://www.theguardian.com/world/2018/jan/31/this-is-over-puigdemonts-catalan-independence-doubts-caught-on-camera" ||
		p.EventKey != "url:"+p.URL || !strings.HasPrefix(p.ItemID, "guid:") || p.Published == nil || *p.Published != "2018-01-31T12:35:59Z" ||
		p.Summary == "" || len(p.Matched) == 0 || p.Matched[0].Where != "title" || p.Matched[0].Alias != "Puigdemont" {
		t.Errorf("Puigdemont alert: got %+v", p)
	}
	if _, ok := byEntity["Larry Nassar"]; !ok {
		t.Errorf("no Nassar alert in %v", got)
	}

	// The same items again: nothing new.
	if code, out, errOut := vigil(t, "scan", "--once", "--output", "jsonl", "--config", cfg, "--all"); code != 0 || out != "" {
		t.Fatalf("second scan: exit %d, output %q, want 0 and nothing\n%s", code, out, errOut)
	}

	// A new item, and one that only names an excluded phrase: one alert, printed once.
	f.add("n-1", "Nassar appeal rejected", "The court rejected Larry Nassar's appeal.")
	f.add("n-2", "Road works on Nassar Street", "Closed all week.")
	code, out, errOut = vigil(t, "scan", "--once", "--output", "jsonl", "--config", cfg)
	got = parseLines(t, out)
	if code != 0 || len(got) != 1 || got[0].Title != "Nassar appeal rejected" || got[0].Matched[0].Where != "title" {
		t.Fatalf("scan after a new item: exit %d, got %+v, want the one new alert\n%s", code, got, errOut)
	}
	if code, out, _ := vigil(t, "scan", "--once", "--output", "jsonl", "--config", cfg); code != 0 || out != "" {
		t.Fatalf("scan after that: exit %d, output %q, want nothing", code, out)
	}

	// Text output and health.
	f.add("n-3", "Puigdemont speaks", "Puigdemont spoke.")
	if code, out, _ := vigil(t, "scan", "--once", "--config", cfg); code != 0 || !strings.Contains(out, "[console:main] Carles Puigdemont named in “Puigdemont speaks” (guardian)") {
		t.Errorf("text scan: exit %d, output:\n%s", code, out)
	}
	code, out, _ = vigil(t, "sources", "--output", "json", "--config", cfg)
	var srcs []struct {
		Name      string `json:"name"`
		Healthy   bool   `json:"healthy"`
		ItemsSeen int    `json:"items_seen"`
	}
	if err := json.Unmarshal([]byte(out), &srcs); code != 0 || err != nil || len(srcs) != 1 || !srcs[0].Healthy || srcs[0].ItemsSeen < 50 {
		t.Errorf("sources: exit %d, %v, got %+v", code, err, srcs)
	}
}

func TestScanReportsFailingSource(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "<!doctype html><html><body>Not a feed</body></html>")
	}))
	defer srv.Close()
	cfg := writeConfig(t, srv.URL)
	code, _, errOut := vigil(t, "scan", "--once", "--config", cfg)
	if code != 1 || !strings.Contains(errOut, "guardian") || !strings.Contains(errOut, "not a feed") {
		t.Errorf("scan of an HTML page: exit %d, stderr %q; want 1 and the source's error", code, errOut)
	}
	code, out, _ := vigil(t, "sources", "--config", cfg)
	if code != 0 || !strings.Contains(out, "failing (1, not_a_feed)") || !strings.Contains(out, "not a feed") {
		t.Errorf("sources: exit %d, output:\n%s", code, out)
	}
}

func TestWatchCommands(t *testing.T) {
	cfg := writeConfig(t, "http://127.0.0.1:1/feed")
	steps := []struct {
		args     []string
		wantCode int
		wantOut  string
	}{
		{[]string{"watch", "add", "--channel", "console:ops", "Zhejiang Dahua Technology", "aka", "Dahua", "not", "Dahua Road", "--config", cfg}, 0, `Now watching "Zhejiang Dahua Technology"`},
		{[]string{"watch", "--config", cfg, "add", "--channel", "console:ops", "zhejiang dahua technology"}, 1, "already watches"},
		{[]string{"watch", "list", "--channel", "console:ops", "--config", cfg}, 0, `• Zhejiang Dahua Technology (aka "Dahua") (not "Dahua Road") — added by cli`},
		{[]string{"watch", "list", "--channel", "console:main", "--config", cfg}, 0, "2 entities"},
		{[]string{"watch", "remove", "--channel", "console:ops", "Zhejiang Dahua Technology", "--config", cfg}, 0, "Stopped watching"},
		{[]string{"watch", "remove", "--channel", "console:ops", "Nobody", "--config", cfg}, 1, "does not watch"},
	}
	for _, s := range steps {
		code, out, errOut := vigil(t, s.args...)
		if code != s.wantCode || !strings.Contains(out, s.wantOut) {
			t.Errorf("vigil %s: exit %d, output %q %q; want %d and %q", strings.Join(s.args, " "), code, out, errOut, s.wantCode, s.wantOut)
		}
	}
	code, _, errOut := vigil(t, "watch", "add", "--channel", "slack:C1", "X", "--config", cfg)
	if code != 1 || !strings.Contains(errOut, "slack is not configured") {
		t.Errorf("watch on an unconfigured platform: exit %d, %q", code, errOut)
	}
}

func TestUsageAndConfig(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string // in stdout or stderr
	}{
		{"no command", nil, 2, "no command given"},
		{"unknown command", []string{"frob"}, 2, `unknown command "frob"`},
		{"help", []string{"help"}, 0, "vigil scan --once"},
		{"version", []string{"version"}, 0, "vigil dev"},
		{"scan without once", []string{"scan"}, 2, "scan needs --once"},
		{"bad flag", []string{"scan", "--once", "--nope"}, 2, "flag provided but not defined"},
		{"bad scan output", []string{"scan", "--once", "--output", "xml"}, 2, `unknown --output "xml"`},
		{"bad sources output", []string{"sources", "--output", "yaml"}, 2, `unknown --output "yaml"`},
		{"extra argument", []string{"run", "now"}, 2, `unexpected argument "now"`},
		{"missing config", []string{"sources", "--config", filepath.Join(dir, "missing.yaml")}, 1, "missing.yaml"},
		{"watch without channel", []string{"watch", "list"}, 2, "--channel"},
		{"config without verb", []string{"config"}, 2, "check or example"},
		{"config check missing", []string{"config", "check", filepath.Join(dir, "nope.yaml")}, 1, "nope.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := vigil(t, tt.args...)
			if code != tt.wantCode || !strings.Contains(out+errOut, tt.wantOut) {
				t.Errorf("vigil %v: exit %d, output %q %q; want %d and %q", tt.args, code, out, errOut, tt.wantCode, tt.wantOut)
			}
		})
	}

	t.Run("example checks", func(t *testing.T) {
		code, example, _ := vigil(t, "config", "example")
		if code != 0 {
			t.Fatalf("config example: exit %d", code)
		}
		path := filepath.Join(dir, "example.yaml")
		if err := os.WriteFile(path, []byte(example), 0o600); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := vigil(t, "config", "check", path)
		if code != 0 || !strings.Contains(out, "Hikvision") || !strings.Contains(errOut, "configuration OK") {
			t.Errorf("config check of the example: exit %d\n%s%s", code, out, errOut)
		}
	})

	t.Run("unknown key", func(t *testing.T) {
		path := filepath.Join(dir, "typo.yaml")
		os.WriteFile(path, []byte("database:\n  url: sqlite:x.db\nsources:\n  - name: a\n    type: feed\n    url: https://e.org/f\n    shedule: \"@every 1m\"\n"), 0o600)
		code, _, errOut := vigil(t, "config", "check", "--config", path)
		if code != 1 || !strings.Contains(errOut, `typo.yaml:7: unknown key "shedule"`) {
			t.Errorf("config check of a typo: exit %d, %q", code, errOut)
		}
	})

	t.Run("secret file redacted", func(t *testing.T) {
		secret := filepath.Join(dir, "pw")
		os.WriteFile(secret, []byte("hunter2-very-secret\n"), 0o600)
		path := filepath.Join(dir, "matrix.yaml")
		os.WriteFile(path, []byte("matrix:\n  homeserver: https://m.example.org\n  user_id: \"@vigil:example.org\"\n  password_file: "+secret+"\n"), 0o600)
		code, out, errOut := vigil(t, "config", "check", path)
		if code != 0 || strings.Contains(out+errOut, "hunter2") || !strings.Contains(out, "<redacted>") {
			t.Errorf("config check with a secret file: exit %d, output %q %q", code, out, errOut)
		}
	})
}

// With no --config and no ./vigil.yaml, Vigil runs on its embedded defaults.
func TestEmbeddedDefaults(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("VIGIL_CONFIG", "")
	code, out, errOut := vigil(t, "sources")
	if code != 0 || !strings.Contains(out, "fedreg") || !strings.Contains(out, "federalregister") {
		t.Fatalf("sources on defaults: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join("data", "vigil.db")); err != nil {
		t.Errorf("default database not created: %v", err)
	}
	code, out, _ = vigil(t, "watch", "add", "Hikvision", "--channel", "console:main")
	if code != 0 || !strings.Contains(out, "Now watching") {
		t.Errorf("watch add on defaults: exit %d, %q", code, out)
	}
}

func TestHealthcheck(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	write := func(listen string) string {
		path := filepath.Join(t.TempDir(), "vigil.yaml")
		os.WriteFile(path, []byte("sources: []\nhttp:\n  listen: "+listen+"\n"), 0o600)
		return path
	}
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	if code, _, errOut := vigil(t, "healthcheck", "--config", write(fmt.Sprintf("0.0.0.0:%d", port))); code != 0 {
		t.Errorf("healthcheck of a live server: exit %d, %q", code, errOut)
	}
	srv.Close()
	if code, _, _ := vigil(t, "healthcheck", "--config", write(fmt.Sprintf("127.0.0.1:%d", port))); code != 1 {
		t.Errorf("healthcheck of a dead server: exit %d, want 1", code)
	}
	if code, _, _ := vigil(t, "healthcheck", "--bogus"); code != 1 {
		t.Errorf("healthcheck with a bad flag: exit %d, want 1 (Docker reserves 2)", code)
	}
}

func TestWatchImport(t *testing.T) {
	csv := fixtures.Path(t, "lists/csl.sample.watchman-2025-06-25.csv")
	cfg := writeConfig(t, "http://127.0.0.1:1/feed")
	code, out, errOut := vigil(t, "watch", "import", "--channel", "console:screening", csv, "--config", cfg)
	if code != 0 || !strings.Contains(out, "added, 0 updated, 0 unchanged") {
		t.Fatalf("import: exit %d, %q %q", code, out, errOut)
	}
	var added int
	fmt.Sscanf(out[strings.Index(out, ": ")+2:], "%d added", &added)
	if added < 5 {
		t.Errorf("import added %d watches, want the sample's entries", added)
	}
	code, out, _ = vigil(t, "watch", "import", "--channel", "console:screening", csv, "--config", cfg)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("0 added, 0 updated, %d unchanged", added)) {
		t.Errorf("import again: exit %d, %q; want everything unchanged", code, out)
	}
	code, out, _ = vigil(t, "watch", "list", "--channel", "console:screening", "--config", cfg)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("%d entities", added)) || !strings.Contains(out, "added by import:csl.sample") {
		t.Errorf("list after import: exit %d\n%s", code, out)
	}
	// A truncated list is refused whole, with the line, rather than imported in part.
	code, _, errOut = vigil(t, "watch", "import", "--channel", "console:other", fixtures.Path(t, "lists/csl.partial.watchman-2023-11-30.csv"), "--config", cfg)
	if code != 1 || !strings.Contains(errOut, "line") {
		t.Errorf("import of a truncated list: exit %d, %q", code, errOut)
	}
	if code, _, errOut := vigil(t, "watch", "import", "--channel", "console:x", "--config", cfg); code != 2 || !strings.Contains(errOut, "FILE.csv") {
		t.Errorf("import without a file: exit %d, %q", code, errOut)
	}
}

// The audit export lists every candidate with what matched where and its decision chain;
// replaying the same items through the same matcher into a fresh database reproduces the
// same decisions.
func TestAuditExportAndReplay(t *testing.T) {
	f := &feed{base: string(fixtures.Read(t, "feeds/rss-parser/guardian.rss"))}
	srv := httptest.NewServer(f)
	defer srv.Close()
	export := func(cfg string) []map[string]any {
		t.Helper()
		if code, _, errOut := vigil(t, "scan", "--once", "--all", "--output", "jsonl", "--config", cfg); code != 0 {
			t.Fatalf("scan: %s", errOut)
		}
		code, out, errOut := vigil(t, "audit", "export", "--config", cfg, "--since", "2000-01-01")
		if code != 0 {
			t.Fatalf("audit export: exit %d %s", code, errOut)
		}
		var recs []map[string]any
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var r map[string]any
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatalf("bad line %q: %v", line, err)
			}
			// What differs between two runs by nature: ids, times, platform references.
			for _, k := range []string{"alert_id", "created", "messages", "decisions", "at"} {
				delete(r, k)
			}
			recs = append(recs, r)
		}
		return recs
	}
	all := export(writeConfig(t, srv.URL+"/rss"))
	var first []map[string]any
	var watchChanges []string
	for _, r := range all {
		switch r["kind"] {
		case "alert":
			first = append(first, r)
		case "watch_change":
			watchChanges = append(watchChanges, fmt.Sprintf("%v %v %v by %v", r["channel"], r["action"], r["setting"], r["by"]))
		default:
			t.Errorf("export line of kind %v: %v", r["kind"], r)
		}
	}
	if len(first) != 2 {
		t.Fatalf("export: got %d candidates, want 2", len(first))
	}
	// The configuration's watches, added when the database was first opened.
	if want := []string{"console:main add watch:Carles Puigdemont by config", "console:main add watch:Larry Nassar by config"}; !slices.Equal(watchChanges, want) {
		t.Errorf("watch changes in the export: %q, want %q", watchChanges, want)
	}
	r := first[0]
	if r["alerted"] != true || r["state"] != "open" || r["matcher"] == "" || !strings.HasPrefix(r["content_hash"].(string), "sha256:") ||
		len(r["matched"].([]any)) == 0 {
		t.Errorf("export record: %+v", r)
	}
	for _, rec := range first {
		if m := rec["mention"]; m != "subject" && m != "passing" {
			t.Errorf("export record %v: mention %v, want subject or passing", rec["event_key"], m)
		}
		for _, m := range rec["matched"].([]any) {
			if mm := m.(map[string]any)["mention"]; mm != "subject" && mm != "passing" {
				t.Errorf("export record %v: match %v has no mention", rec["event_key"], m)
			}
		}
	}
	second := export(writeConfig(t, srv.URL+"/rss"))
	first = all
	a, _ := json.Marshal(first)
	b, _ := json.Marshal(second)
	if string(a) != string(b) {
		t.Errorf("replay differs:\n%s\n%s", a, b)
	}
	cfg := writeConfig(t, srv.URL+"/rss")
	if code, _, _ := vigil(t, "scan", "--once", "--all", "--config", cfg); code != 0 {
		t.Fatal("scan")
	}
	code, out, _ := vigil(t, "audit", "export", "--output", "csv", "--channel", "console:main", "--config", cfg)
	if code != 0 || !strings.HasPrefix(out, "alert_id,channel,event_key") || !strings.Contains(strings.SplitN(out, "\n", 2)[0], ",mention") ||
		strings.Count(out, "\n") != 5 || strings.Count(out, ",watch_change,watch:") != 2 {
		t.Errorf("csv export: exit %d\n%s", code, out)
	}
	if code, _, errOut := vigil(t, "audit", "export", "--since", "yesterday"); code != 2 || !strings.Contains(errOut, "not a date") {
		t.Errorf("bad --since: exit %d %q", code, errOut)
	}
}

func TestMatrixCrossSignUsage(t *testing.T) {
	if code, _, errOut := vigil(t, "matrix", "sign"); code != 2 || !strings.Contains(errOut, "cross-sign") {
		t.Errorf("matrix sign: exit %d %q", code, errOut)
	}
	cfg := writeConfig(t, "http://127.0.0.1:1/feed")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"matrix", "cross-sign", "--config", cfg}, strings.NewReader("pw\n"), &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "matrix is not configured") || strings.Contains(stderr.String(), "pw\n") {
		t.Errorf("cross-sign without matrix: exit %d %q", code, stderr.String())
	}
}
