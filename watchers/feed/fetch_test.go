package feed

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testFeed is a small valid feed; version changes its single entry.
func testFeed(version int) []byte {
	return fmt.Appendf(nil, `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Test feed</title><link>https://site.example.org/</link>
<item><guid>entry-%d</guid><title>Entry %d</title><link>https://site.example.org/%d</link>
<description>&lt;p&gt;Hikvision named in a &lt;a href="https://www.federalregister.gov/d/2019-22210"&gt;rule&lt;/a&gt;.&lt;/p&gt;</description>
<pubDate>Wed, 09 Oct 2019 08:45:00 GMT</pubDate></item>
</channel></rss>`, version, version, version)
}

// faultServer serves testFeed with validators, or the fault it is told to show.
type faultServer struct {
	*httptest.Server
	t *testing.T

	mu       sync.Mutex
	fault    string
	version  int
	requests []*http.Request // headers of every request, in order
	bomb     []byte
}

func newFaultServer(t *testing.T) *faultServer {
	t.Helper()
	s := &faultServer{t: t, version: 1}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *faultServer) setFault(f string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

func (s *faultServer) setVersion(v int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version = v
}

func (s *faultServer) seen() []*http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*http.Request(nil), s.requests...)
}

func (s *faultServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.Clone(context.Background()))
	fault, version := s.fault, s.version
	s.mu.Unlock()
	etag := fmt.Sprintf(`"v%d"`, version)
	lastModified := time.Date(2019, 10, 9, 8, 45, version, 0, time.UTC).Format(http.TimeFormat)

	switch fault {
	case "":
		if r.URL.Path != "/feed" {
			http.Redirect(w, r, "/feed", http.StatusFound)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", lastModified)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		body := testFeed(version)
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			zw.Write(body)
			zw.Close()
			return
		}
		w.Write(body)
	case "timeout":
		// Answer nothing until the client gives up.
		<-r.Context().Done()
	case "slow":
		w.Header().Set("Content-Type", "application/rss+xml")
		body := testFeed(version)
		for i := 0; ; i++ {
			w.Write(body[i%len(body) : i%len(body)+1])
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	case "500":
		http.Error(w, "database on fire", http.StatusInternalServerError)
	case "503":
		w.Header().Set("Retry-After", "120")
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	case "429":
		w.Header().Set("Retry-After", testNow.Add(90*time.Second).Format(http.TimeFormat))
		http.Error(w, "slow down", http.StatusTooManyRequests)
	case "404":
		http.NotFound(w, r)
	case "bomb":
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(s.bomb)
	case "big":
		// No Content-Length: the cap must stop the read.
		w.Header().Set("Content-Type", "application/rss+xml")
		chunk := bytes.Repeat([]byte("<!-- padding -->"), 4096)
		for range 200 {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	case "big-declared":
		w.Header().Set("Content-Length", "50000000")
		w.Write([]byte("<rss>"))
	case "loop":
		next := "/a"
		if r.URL.Path == "/a" {
			next = "/b"
		}
		http.Redirect(w, r, next, http.StatusMovedPermanently)
	case "chain":
		var n int
		fmt.Sscanf(r.URL.Path, "/r/%d", &n)
		http.Redirect(w, r, fmt.Sprintf("/r/%d", n+1), http.StatusFound)
	case "ftp":
		http.Redirect(w, r, "ftp://files.example.org/feed.xml", http.StatusFound)
	case "invalid":
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>cut off`))
	case "html":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!DOCTYPE html><html><head><title>Login</title>
<link rel="alternate" type="application/atom+xml" href="/news.atom"></head><body>Please log in</body></html>`))
	default:
		s.t.Errorf("unknown fault %q", fault)
	}
}

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// testFetcher is a Fetcher for loopback tests: short timeouts, no politeness delay.
func testFetcher(o FetcherOptions) *Fetcher {
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	if o.PerHostInterval == 0 {
		o.PerHostInterval = -1
	}
	if o.Now == nil {
		o.Now = func() time.Time { return testNow }
	}
	if o.UserAgent == "" {
		o.UserAgent = "Vigil/test (+https://example.org/vigil)"
	}
	return NewFetcher(o)
}

func mustSource(t *testing.T, f *Fetcher, url string, o SourceOptions) *Source {
	t.Helper()
	s, err := f.Source("test", url, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestFetchFaults shows every failure kind classified, and the source recovering on the
// next fetch once the fault clears.
func TestFetchFaults(t *testing.T) {
	srv := newFaultServer(t)
	var zbuf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&zbuf, gzip.BestCompression)
	zeros := make([]byte, 1<<20)
	for range 4 { // 4 MiB of zeros in about 4 KiB
		zw.Write(zeros)
	}
	zw.Close()
	srv.bomb = zbuf.Bytes()

	// The timeout faults get a short timeout; the others a long one, so that a busy
	// machine does not turn them into timeouts.
	short := testFetcher(FetcherOptions{Timeout: 2 * time.Second, MaxBody: 1 << 20})
	long := testFetcher(FetcherOptions{Timeout: 30 * time.Second, MaxBody: 1 << 20, MaxRedirects: 5})
	tests := []struct {
		fault     string
		path      string
		wantKind  ErrorKind
		temporary bool
		check     func(t *testing.T, e *Error)
	}{
		{fault: "timeout", wantKind: KindTimeout, temporary: true},
		{fault: "slow", wantKind: KindTimeout, temporary: true},
		{fault: "500", wantKind: KindHTTPStatus, temporary: true, check: func(t *testing.T, e *Error) {
			if e.Status != 500 || strings.Contains(e.Error(), "fire") {
				t.Errorf("got status %d, message %q: want 500 and no body text", e.Status, e.Error())
			}
		}},
		{fault: "503", wantKind: KindHTTPStatus, temporary: true, check: func(t *testing.T, e *Error) {
			if e.RetryAfter != 120*time.Second {
				t.Errorf("RetryAfter: got %v, want 2m (seconds form)", e.RetryAfter)
			}
		}},
		{fault: "429", wantKind: KindRateLimited, temporary: true, check: func(t *testing.T, e *Error) {
			if e.RetryAfter != 90*time.Second || e.Status != 429 {
				t.Errorf("got status %d, RetryAfter %v: want 429 and 1m30s (HTTP-date form)", e.Status, e.RetryAfter)
			}
		}},
		{fault: "404", wantKind: KindHTTPStatus, temporary: false},
		{fault: "bomb", wantKind: KindTooLarge},
		{fault: "big", wantKind: KindTooLarge},
		{fault: "big-declared", wantKind: KindTooLarge},
		{fault: "loop", wantKind: KindRedirects, check: func(t *testing.T, e *Error) {
			if !errors.Is(e, errRedirectLoop) || !strings.Contains(e.Error(), "redirect loop") {
				t.Errorf("got %v, want a redirect loop", e)
			}
		}},
		{fault: "chain", path: "/r/0", wantKind: KindRedirects, check: func(t *testing.T, e *Error) {
			if !strings.Contains(e.Error(), "more than 5 redirects") {
				t.Errorf("got %v, want too many redirects", e)
			}
		}},
		{fault: "ftp", wantKind: KindRedirects},
		{fault: "invalid", wantKind: KindParse},
		{fault: "html", wantKind: KindNotAFeed, check: func(t *testing.T, e *Error) {
			if want := srv.URL + "/news.atom"; len(e.Alternates) != 1 || e.Alternates[0] != want {
				t.Errorf("alternates: got %q, want %q", e.Alternates, want)
			}
			if !errors.Is(e, ErrNotAFeed) {
				t.Errorf("got %v, want it to wrap ErrNotAFeed", e)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.fault, func(t *testing.T) {
			path := tt.path
			if path == "" {
				path = "/feed"
			}
			f := long
			if tt.wantKind == KindTimeout {
				f = short
			}
			src := mustSource(t, f, srv.URL+path, SourceOptions{AllowPrivate: true})
			srv.setFault(tt.fault)
			start := time.Now()
			_, err := src.Fetch(context.Background(), Validators{})
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("Fetch: got %v, want an *Error of kind %s", err, tt.wantKind)
			}
			if fe.Kind != tt.wantKind || KindOf(err) != tt.wantKind {
				t.Errorf("kind: got %s (%v), want %s", fe.Kind, err, tt.wantKind)
			}
			if fe.Temporary() != tt.temporary {
				t.Errorf("Temporary: got %v, want %v", fe.Temporary(), tt.temporary)
			}
			if d := time.Since(start); tt.wantKind == KindTimeout && d > 10*time.Second {
				t.Errorf("took %v, want the timeout (2s) to bound it", d)
			}
			if !strings.HasPrefix(err.Error(), srv.URL) {
				t.Errorf("message %q: want it to start with the URL", err)
			}
			if tt.check != nil {
				tt.check(t, fe)
			}

			srv.setFault("")
			res, err := src.Fetch(context.Background(), Validators{})
			if err != nil || len(res.Items) != 1 {
				t.Fatalf("after the fault cleared: got %d items, %v; want the feed", len(res.Items), err)
			}
		})
	}
}

func TestFetchConditional(t *testing.T) {
	srv := newFaultServer(t)
	f := testFetcher(FetcherOptions{})
	src := mustSource(t, f, srv.URL+"/feed", SourceOptions{AllowPrivate: true})
	ctx := context.Background()

	res, err := src.Fetch(ctx, Validators{})
	if err != nil {
		t.Fatal(err)
	}
	wantV := Validators{ETag: `"v1"`, LastModified: "Wed, 09 Oct 2019 08:45:01 GMT"}
	if res.Validators != wantV || res.NotModified || res.Title != "Test feed" || len(res.Items) != 1 {
		t.Fatalf("first fetch: got %+v, want the feed with validators %+v", res, wantV)
	}
	it := res.Items[0]
	if it.ID != "guid:entry-1" || it.Source != "test" || len(it.Links) != 1 || it.Links[0] != "https://www.federalregister.gov/d/2019-22210" {
		t.Errorf("item: got %+v", it)
	}

	res, err = src.Fetch(ctx, res.Validators)
	if err != nil || !res.NotModified || len(res.Items) != 0 || res.Validators != wantV {
		t.Fatalf("second fetch: got %+v, %v; want 304 keeping the validators", res, err)
	}
	reqs := srv.seen()
	last := reqs[len(reqs)-1]
	if last.Header.Get("If-None-Match") != `"v1"` || last.Header.Get("If-Modified-Since") != wantV.LastModified {
		t.Errorf("conditional headers: got %q / %q", last.Header.Get("If-None-Match"), last.Header.Get("If-Modified-Since"))
	}
	if !strings.Contains(last.Header.Get("Accept-Encoding"), "gzip") {
		t.Errorf("Accept-Encoding: got %q, want gzip", last.Header.Get("Accept-Encoding"))
	}
	if last.Header.Get("User-Agent") != "Vigil/test (+https://example.org/vigil)" || !strings.Contains(last.Header.Get("Accept"), "application/rss+xml") {
		t.Errorf("User-Agent %q, Accept %q", last.Header.Get("User-Agent"), last.Header.Get("Accept"))
	}

	srv.setVersion(2)
	res, err = src.Fetch(ctx, res.Validators)
	if err != nil || res.NotModified || len(res.Items) != 1 || res.Items[0].ID != "guid:entry-2" || res.Validators.ETag != `"v2"` {
		t.Fatalf("after a change: got %+v, %v; want the new entry and validators", res, err)
	}

	// Poll is the unconditional fetch.
	items, err := src.Poll(ctx)
	if err != nil || len(items) != 1 {
		t.Fatalf("Poll: got %d items, %v", len(items), err)
	}
	if h := srv.seen()[len(srv.seen())-1].Header; h.Get("If-None-Match") != "" || h.Get("If-Modified-Since") != "" {
		t.Errorf("Poll sent validators: %v", h)
	}
}

func TestFetchRedirectFollowed(t *testing.T) {
	srv := newFaultServer(t)
	f := testFetcher(FetcherOptions{})
	res, err := f.Probe(context.Background(), srv.URL+"/old-feed?token=secret", SourceOptions{AllowPrivate: true})
	if err != nil || res.Title != "Test feed" || len(res.Items) != 1 {
		t.Fatalf("Probe through a redirect: got %+v, %v", res, err)
	}
}

func TestFetchCanceled(t *testing.T) {
	srv := newFaultServer(t)
	srv.setFault("timeout")
	f := testFetcher(FetcherOptions{Timeout: 5 * time.Second})
	src := mustSource(t, f, srv.URL+"/feed", SourceOptions{AllowPrivate: true})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := src.Fetch(ctx, Validators{})
	if KindOf(err) != KindCanceled || !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v (kind %q), want canceled wrapping context.Canceled", err, KindOf(err))
	}
}

func TestFetchNetworkKinds(t *testing.T) {
	// A port nobody listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/feed"
	l.Close()
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0)
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	resolver := fakeResolver{"gone.test": nil}

	f := testFetcher(FetcherOptions{Resolver: resolver})
	tests := []struct {
		name, url string
		want      ErrorKind
		temporary bool
	}{
		{"connection refused", closed, KindConnect, true},
		{"untrusted certificate", tlsSrv.URL + "/feed", KindTLS, false},
		{"no such host", "http://gone.test/feed", KindDNS, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.Probe(context.Background(), tt.url, SourceOptions{AllowPrivate: true})
			var fe *Error
			if !errors.As(err, &fe) || fe.Kind != tt.want {
				t.Fatalf("got %v (kind %q), want %s", err, KindOf(err), tt.want)
			}
			if fe.Temporary() != tt.temporary {
				t.Errorf("Temporary: got %v, want %v", fe.Temporary(), tt.temporary)
			}
		})
	}
}

// fakeResolver answers from a map; a name mapped to nothing does not exist.
type fakeResolver map[string][]netip.Addr

func (r fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	addrs, ok := r[host]
	if !ok || len(addrs) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return addrs, nil
}

func TestBadURLs(t *testing.T) {
	f := testFetcher(FetcherOptions{})
	for _, u := range []string{"file:///etc/passwd", "ftp://example.org/feed", "/relative/feed", "http://", "https://user:pw@/x", "javascript:alert(1)"} {
		_, err := f.Source("x", u, SourceOptions{})
		if KindOf(err) != KindBadURL {
			t.Errorf("Source(%q): got %v, want bad_url", u, err)
		}
		if err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("Source(%q): message %q shows the password", u, err)
		}
	}
}

func TestErrorMessagesHideSecrets(t *testing.T) {
	srv := newFaultServer(t)
	f := testFetcher(FetcherOptions{Timeout: 200 * time.Millisecond})
	secretURL := strings.Replace(srv.URL, "http://", "http://alice:hunter2@", 1) + "/feed?token=hunter2#frag"
	for _, fault := range []string{"timeout", "500", "html", "invalid", "loop"} {
		srv.setFault(fault)
		_, err := f.Probe(context.Background(), secretURL, SourceOptions{AllowPrivate: true})
		if err == nil {
			t.Fatalf("%s: no error", fault)
		}
		if msg := err.Error(); strings.Contains(msg, "hunter2") || strings.Contains(msg, "alice") {
			t.Errorf("%s: message %q leaks a secret", fault, msg)
		}
	}
}

func TestPerHostLimits(t *testing.T) {
	var inFlight, maxInFlight atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
		w.Write(testFeed(1))
	}))
	defer srv.Close()

	t.Run("concurrency", func(t *testing.T) {
		f := testFetcher(FetcherOptions{PerHostConcurrency: 2})
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if _, err := f.Probe(context.Background(), srv.URL+"/feed", SourceOptions{AllowPrivate: true}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if got := maxInFlight.Load(); got != 2 {
			t.Errorf("most requests in flight to one host: got %d, want 2", got)
		}
	})

	t.Run("interval", func(t *testing.T) {
		const interval = 80 * time.Millisecond
		f := testFetcher(FetcherOptions{PerHostConcurrency: 4, PerHostInterval: interval})
		start := time.Now()
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				if _, err := f.Probe(context.Background(), srv.URL+"/feed", SourceOptions{AllowPrivate: true}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if d := time.Since(start); d < 3*interval {
			t.Errorf("4 requests to one host took %v, want at least 3 intervals (%v)", d, 3*interval)
		}
	})

	t.Run("limiter", func(t *testing.T) {
		const interval = 40 * time.Millisecond
		l := newHostLimiter(3, interval)
		start := time.Now()
		for k := range 3 {
			release, err := l.acquire(context.Background(), "a:80")
			if err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d < time.Duration(k)*interval {
				t.Errorf("request %d started after %v, want at least %v", k, d, time.Duration(k)*interval)
			}
			defer release()
		}
		// Another host has its own turns; a full host makes callers wait for a slot.
		if _, err := l.acquire(context.Background(), "b:80"); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		if _, err := l.acquire(ctx, "a:80"); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("a fourth request to a host limited to 3: got %v, want to wait until the deadline", err)
		}
	})

	t.Run("waiting for a turn is not the timeout", func(t *testing.T) {
		f := testFetcher(FetcherOptions{PerHostConcurrency: 1, PerHostInterval: 1500 * time.Millisecond, Timeout: time.Second})
		for range 2 {
			if _, err := f.Probe(context.Background(), srv.URL+"/feed", SourceOptions{AllowPrivate: true}); err != nil {
				t.Errorf("a fetch that waited for its turn failed: %v", err)
			}
		}
	})
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{"0", 0},
		{"-5", 0},
		{"soon", 0},
		{now.Add(time.Hour).Format(http.TimeFormat), time.Hour},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"Sunday, 01-Mar-26 12:00:30 GMT", 30 * time.Second}, // RFC 850
		{"99999999999", 365 * 24 * time.Hour},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.in, now); got != tt.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
