package feed

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults of FetcherOptions.
const (
	DefaultMaxBody            = 10 << 20
	DefaultConnectTimeout     = 10 * time.Second
	DefaultTimeout            = 60 * time.Second
	DefaultMaxRedirects       = 5
	DefaultPerHostConcurrency = 2
	DefaultPerHostInterval    = time.Second
	DefaultBodyBudget         = 64 << 20
)

// FetcherOptions configures a Fetcher. Zero values take the defaults.
type FetcherOptions struct {
	UserAgent string // sent with every request; Go's default when empty
	// MaxBody caps a response body after decompression (default 10 MiB).
	MaxBody int64
	// ConnectTimeout bounds each TCP connect and TLS handshake (default 10 s).
	ConnectTimeout time.Duration
	// Timeout bounds a whole fetch, redirects and body included (default 60 s). Waiting
	// for the host's turn (PerHostConcurrency, PerHostInterval) does not count.
	Timeout time.Duration
	// BodyBudget caps the response bytes, after decompression, that all the Fetcher's
	// fetches hold at once, from the first byte read to the end of parsing (default 64 MiB;
	// never less than MaxBody+1). A body whose next bytes do not fit waits, within the
	// fetch's Timeout and its context: small bodies go on side by side while large ones
	// take turns. See bodyBudget.
	BodyBudget int64
	// MaxRedirects is how many redirects a fetch follows (default 5).
	MaxRedirects int
	// PerHostConcurrency caps the requests in flight to one host:port (default 2).
	PerHostConcurrency int
	// PerHostInterval is the least time between the starts of two requests to one
	// host:port (default 1 s; negative: none).
	PerHostInterval time.Duration
	// Now reads the clock for Retry-After dates (default time.Now).
	Now func() time.Time
	// Resolver resolves host names (default: the system's). Tests point names at
	// addresses with it; the address policy still applies to every answer.
	Resolver Resolver
}

// Fetcher fetches feeds and article pages for every feed source: one connection pool per
// address policy, one politeness limit per host, one set of limits.
type Fetcher struct {
	opts   FetcherOptions
	hosts  *hostLimiter
	budget *bodyBudget
	// public refuses non-public addresses; any reaches everything. Two pools, so that a
	// connection opened under the lax policy is never reused under the strict one.
	public, any *http.Client
}

// NewFetcher returns a Fetcher with the given options.
func NewFetcher(o FetcherOptions) *Fetcher {
	return newFetcher(o, publicAddr)
}

// newFetcher lets tests choose what "public" means (loopback is all they may reach).
func newFetcher(o FetcherOptions, public func(netip.Addr) bool) *Fetcher {
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxRedirects <= 0 {
		o.MaxRedirects = DefaultMaxRedirects
	}
	if o.PerHostConcurrency <= 0 {
		o.PerHostConcurrency = DefaultPerHostConcurrency
	}
	if o.PerHostInterval == 0 {
		o.PerHostInterval = DefaultPerHostInterval
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.BodyBudget <= 0 {
		o.BodyBudget = DefaultBodyBudget
	}
	f := &Fetcher{
		opts: o, hosts: newHostLimiter(o.PerHostConcurrency, o.PerHostInterval),
		budget: newBodyBudget(o.BodyBudget, o.MaxBody+1),
	}
	f.public = f.newClient(public)
	f.any = f.newClient(nil)
	return f
}

func (f *Fetcher) newClient(allowed func(netip.Addr) bool) *http.Client {
	t := &http.Transport{
		// No proxy: the address policy judges the address actually dialled.
		Proxy:                 nil,
		DialContext:           dialFunc(newDialer(f.opts.ConnectTimeout, allowed), f.opts.Resolver),
		TLSHandshakeTimeout:   f.opts.ConnectTimeout,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   f.opts.PerHostConcurrency,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		// Compression stays on: the transport asks for gzip and decompresses, and the
		// body cap applies to what it decompresses.
	}
	return &http.Client{
		Transport:     &limitedTransport{next: t, hosts: f.hosts},
		CheckRedirect: f.checkRedirect,
	}
}

func (f *Fetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return errRedirectScheme
	}
	for _, v := range via {
		if v.URL.String() == req.URL.String() {
			return errRedirectLoop
		}
	}
	if len(via) > f.opts.MaxRedirects {
		return &tooManyRedirectsError{max: f.opts.MaxRedirects}
	}
	return nil
}

func (f *Fetcher) client(allowPrivate bool) *http.Client {
	if allowPrivate {
		return f.any
	}
	return f.public
}

// response is a successful answer: 2xx with its body read, or 304. Its body holds part
// of the Fetcher's budget until release is called.
type response struct {
	status      int
	header      http.Header
	body        []byte
	url         string // after redirects
	contentType string
	res         *reservation // nil for a 304
}

// release gives the body's bytes back to the Fetcher's budget; the body must not be used
// after it.
func (r *response) release() {
	if r.res != nil {
		r.res.release()
	}
	r.body = nil
}

// get fetches rawURL: GET with the given Accept header and validators, redirects
// followed, the body read within the cap and the Fetcher's budget. Any other answer than
// 2xx or 304 is an *Error. The caller must release the response.
func (f *Fetcher) get(ctx context.Context, c *http.Client, rawURL, accept string, v Validators) (*response, error) {
	u, err := checkURL(rawURL)
	if err != nil {
		return nil, err
	}
	// Wait for the host's turn before the clock starts: a busy host is not a slow one.
	key := hostKey(u)
	release, err := f.hosts.acquire(ctx, key)
	if err != nil {
		return nil, classify(ctx, rawURL, err)
	}
	defer release()
	tctx, cancel := context.WithTimeout(context.WithValue(ctx, heldHostKey{}, key), f.opts.Timeout)
	defer cancel()

	req, err := http.NewRequestWithContext(tctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, &Error{Kind: KindBadURL, URL: redactURL(rawURL), Err: err}
	}
	if f.opts.UserAgent != "" {
		req.Header.Set("User-Agent", f.opts.UserAgent)
	}
	req.Header.Set("Accept", accept)
	if v.ETag != "" {
		req.Header.Set("If-None-Match", v.ETag)
	}
	if v.LastModified != "" {
		req.Header.Set("If-Modified-Since", v.LastModified)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, classify(ctx, rawURL, err)
	}
	defer resp.Body.Close()
	final := resp.Request.URL.String()

	switch {
	case resp.StatusCode == http.StatusNotModified && !v.empty():
		return &response{status: resp.StatusCode, header: resp.Header, url: final}, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		// Read a little so that the connection can be reused.
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		e := &Error{Kind: KindHTTPStatus, Status: resp.StatusCode, URL: redactURL(final), Err: fmt.Errorf("HTTP %s", resp.Status)}
		if resp.StatusCode == http.StatusTooManyRequests {
			e.Kind = KindRateLimited
		}
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), f.opts.Now())
		}
		return nil, e
	}
	if resp.ContentLength > f.opts.MaxBody {
		return nil, &Error{Kind: KindTooLarge, URL: redactURL(final), Err: &tooLargeError{max: f.opts.MaxBody}}
	}
	res := f.budget.reserve()
	body, err := readCapped(resp.Body, f.opts.MaxBody, func(r io.Reader) io.Reader {
		return &budgetedReader{ctx: tctx, r: r, res: res}
	})
	if err != nil {
		res.release()
		return nil, classify(ctx, final, err)
	}
	res.finish()
	return &response{
		status: resp.StatusCode, header: resp.Header, body: body, url: final,
		contentType: resp.Header.Get("Content-Type"), res: res,
	}, nil
}

// readCapped reads a body of at most max bytes, through wrap (which sees the bytes as they
// are kept: after decompression). A body that is itself gzip (a .gz file, or gzip applied
// twice) is decompressed, within the same cap.
func readCapped(r io.Reader, max int64, wrap func(io.Reader) io.Reader) ([]byte, error) {
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err == nil {
			defer zr.Close()
			return readAllCapped(wrap(zr), max)
		}
	}
	return readAllCapped(wrap(br), max)
}

func readAllCapped(r io.Reader, max int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > max {
		return nil, &tooLargeError{max: max}
	}
	return body, nil
}

// checkURL accepts absolute http(s) URLs with a host.
func checkURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return nil, &Error{Kind: KindBadURL, URL: redactURL(raw), Err: errors.New("not an absolute http(s) URL")}
	}
	return u, nil
}

// retryAfter reads a Retry-After value, in seconds or as an HTTP date; 0 when absent,
// malformed or past.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s <= 0 {
			return 0
		}
		if s > int64(365*24*time.Hour/time.Second) {
			s = int64(365 * 24 * time.Hour / time.Second)
		}
		return time.Duration(s) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	if d := t.Sub(now); d > 0 {
		return d.Round(time.Second)
	}
	return 0
}

// hostKey is what politeness limits are kept per: host and port, lower-cased.
func hostKey(u *url.URL) string {
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return host + ":" + port
}

// heldHostKey marks, in a request's context, the host whose turn the fetch already holds.
type heldHostKey struct{}

// limitedTransport makes every request wait for its host's turn: a redirect to another
// host is limited like a first request to it.
type limitedTransport struct {
	next  http.RoundTripper
	hosts *hostLimiter
}

func (t *limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	key := hostKey(req.URL)
	if held, _ := req.Context().Value(heldHostKey{}).(string); held == key {
		return t.next.RoundTrip(req)
	}
	release, err := t.hosts.acquire(req.Context(), key)
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		release()
		return nil, err
	}
	resp.Body = &releasingBody{ReadCloser: resp.Body, release: release}
	return resp, nil
}

// releasingBody gives the host's turn back when the body is closed.
type releasingBody struct {
	io.ReadCloser
	once    sync.Once
	release func()
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}

// hostLimiter holds, per host, a concurrency limit and the earliest start of the next
// request.
type hostLimiter struct {
	concurrency int
	interval    time.Duration

	mu    sync.Mutex
	hosts map[string]*hostState
}

type hostState struct {
	slots chan struct{}
	next  time.Time
}

func newHostLimiter(concurrency int, interval time.Duration) *hostLimiter {
	return &hostLimiter{concurrency: concurrency, interval: max(interval, 0), hosts: map[string]*hostState{}}
}

// acquire waits until a request to host may start, and returns the function that ends it.
func (l *hostLimiter) acquire(ctx context.Context, host string) (func(), error) {
	l.mu.Lock()
	h, ok := l.hosts[host]
	if !ok {
		h = &hostState{slots: make(chan struct{}, l.concurrency)}
		l.hosts[host] = h
	}
	l.mu.Unlock()

	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	release := func() { <-h.slots }

	l.mu.Lock()
	now := time.Now()
	start := h.next
	if start.Before(now) {
		start = now
	}
	h.next = start.Add(l.interval)
	l.mu.Unlock()

	if wait := start.Sub(now); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			release()
			return nil, ctx.Err()
		}
	}
	return release, nil
}

// isHTML reports whether a Content-Type (or, without one, the body) is an HTML page.
func isHTML(contentType string, body []byte) bool {
	if contentType == "" {
		contentType = http.DetectContentType(body)
	}
	mt := strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
	return mt == "text/html" || mt == "application/xhtml+xml"
}
