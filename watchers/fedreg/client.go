package fedreg

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Response size caps: a page of 1000 documents with abstracts is a few MB, and the longest
// full texts are tens of MB.
const (
	maxJSONBytes  = 32 << 20
	maxTextBytes  = 64 << 20
	maxErrorBytes = 4 << 10
	maxMessage    = 200 // runes of the API's error message kept in an error
)

// APIError is a non-2xx answer of the API.
type APIError struct {
	Endpoint string // the request's path, without its query
	Status   int    // HTTP status code
	Message  string // the API's own message, shortened; may be empty
	// RetryAfter is how long to wait before asking again: the Retry-After header, or for a
	// 429 or 503 without one the client's own backoff; zero when the answer said nothing.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s: HTTP %d", e.Endpoint, e.Status)
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	return b.String()
}

// Temporary reports whether the request may succeed later (rate limited or a server error).
func (e *APIError) Temporary() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// throttled reports whether the API asked the client to slow down.
func (e *APIError) throttled() bool {
	return e.Status == http.StatusTooManyRequests || e.Status == http.StatusServiceUnavailable
}

// How a 429 or 503 is honoured: the request is retried inside the same call while the wait
// it asks for is short, and every request of the Source holds off until then. A longer wait,
// or a third refusal, is returned as an *APIError with RetryAfter for the caller to
// reschedule; until that time has passed, requests fail at once with such an error instead
// of being sent.
const (
	maxAttempts  = 3
	maxRetryWait = 20 * time.Second
	firstBackoff = time.Second // for a 429 or 503 without Retry-After, doubled per attempt
)

// clock is the time the Source lives in: the real one, or a test's.
type clock struct {
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// sleepTimer waits d on a real timer, or until ctx ends.
func sleepTimer(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// limiter spaces requests at least interval apart, FIFO by arrival.
type limiter struct {
	interval time.Duration
	turn     chan struct{} // held by the one request waiting on this limit and another
	mu       sync.Mutex
	next     time.Time // earliest start of the next request
}

func newLimiter(interval time.Duration) *limiter {
	return &limiter{interval: interval, turn: make(chan struct{}, 1)}
}

// wait blocks until the caller may send a request, or ctx ends.
func (l *limiter) wait(ctx context.Context, c clock) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	now := c.now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(l.interval)
	l.mu.Unlock()
	if d := at.Sub(now); d > 0 {
		return c.sleep(ctx, d)
	}
	return nil
}

// acquire takes the turn on this limit, for a request that has another limit to wait for
// after this one: until it is sent, no other request may take a slot here, since the slot
// that follows depends on when this request really goes out.
func (l *limiter) acquire(ctx context.Context) error {
	select {
	case l.turn <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *limiter) release() { <-l.turn }

// sent records a request that went out at t, later perhaps than the slot wait gave it.
func (l *limiter) sent(t time.Time) {
	l.mu.Lock()
	if next := t.Add(l.interval); next.After(l.next) {
		l.next = next
	}
	l.mu.Unlock()
}

// resolve turns a URL the API answered with into one to request: relative references are
// resolved against the base URL, and absolute federalregister.gov links get the base URL's
// scheme and host, so a configured stand-in answers every request.
func (s *Source) resolve(raw string) (*url.URL, error) {
	u, err := s.base.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("bad link from the API: %w", err)
	}
	switch strings.ToLower(u.Hostname()) {
	case "www.federalregister.gov", "federalregister.gov":
		u.Scheme = s.base.Scheme
		u.Host = s.base.Host
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("bad link from the API: scheme %q", u.Scheme)
	}
	return u, nil
}

// endpoint is the URL under the base URL (with its path prepended), for requests the client
// builds itself.
func (s *Source) endpoint(path string, q url.Values) *url.URL {
	u := *s.base
	u.Path = s.base.Path + "/" + path
	u.RawPath = ""
	u.RawQuery = q.Encode()
	return &u
}

// getJSON requests u and decodes its JSON answer into v.
func (s *Source) getJSON(ctx context.Context, u *url.URL, v any) error {
	b, err := s.get(ctx, u, "application/json", maxJSONBytes)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("GET %s: decode: %w", u.Path, err)
	}
	return nil
}

// get requests u under the rate limits (the overall one and the extra ones given) and
// returns its body, honouring Retry-After as described at maxAttempts. Errors name the path
// but never the query.
func (s *Source) get(ctx context.Context, u *url.URL, accept string, max int64, extra ...*limiter) ([]byte, error) {
	for attempt := 1; ; attempt++ {
		if err := s.holdOff(ctx, u); err != nil {
			return nil, err
		}
		b, err := s.send(ctx, u, accept, max, extra)
		var apiErr *APIError
		if err == nil || !errors.As(err, &apiErr) || !apiErr.throttled() {
			return b, err
		}
		wait := apiErr.RetryAfter
		if wait <= 0 {
			wait = firstBackoff << (attempt - 1)
			apiErr.RetryAfter = wait
		}
		s.hold(apiErr.Status, wait)
		if attempt >= maxAttempts || wait > maxRetryWait {
			return nil, apiErr
		}
		s.log.Info("federal register asked to slow down; retrying",
			"endpoint", u.Path, "status", apiErr.Status, "retry_after", wait, "attempt", attempt)
	}
}

// hold makes every request of the Source wait until d from now.
func (s *Source) hold(status int, d time.Duration) {
	until := s.clock.now().Add(d)
	s.mu.Lock()
	if until.After(s.holdUntil) {
		s.holdUntil, s.holdStatus = until, status
	}
	s.mu.Unlock()
}

// holdOff waits out a hold the API asked for, or fails at once when it is long.
func (s *Source) holdOff(ctx context.Context, u *url.URL) error {
	s.mu.Lock()
	until, status := s.holdUntil, s.holdStatus
	s.mu.Unlock()
	d := until.Sub(s.clock.now())
	if d <= 0 {
		return nil
	}
	if d > maxRetryWait {
		return &APIError{Endpoint: u.Path, Status: status, Message: "not sent: holding off as the API asked", RetryAfter: d}
	}
	return s.clock.sleep(ctx, d)
}

// slot waits until a request may go out under the narrower limits given and the overall
// one, and records it as sent now. Each narrower limit is held from its wait until then;
// the overall slot is taken last, just before sending.
func (s *Source) slot(ctx context.Context, extra []*limiter) error {
	for _, l := range extra {
		if err := l.acquire(ctx); err != nil {
			return err
		}
		defer l.release()
		if err := l.wait(ctx, s.clock); err != nil {
			return err
		}
	}
	if err := s.limit.wait(ctx, s.clock); err != nil {
		return err
	}
	sent := s.clock.now()
	s.limit.sent(sent)
	for _, l := range extra {
		l.sent(sent) // the overall limit may have delayed this request past its slot
	}
	return nil
}

// send makes one request under the rate limits.
func (s *Source) send(ctx context.Context, u *url.URL, accept string, max int64, extra []*limiter) ([]byte, error) {
	if err := s.slot(ctx, extra); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u.Path, err)
	}
	req.Header.Set("User-Agent", s.agent)
	req.Header.Set("Accept", accept)
	// The list endpoints answer max-age=86400; a cache in between would hide new documents.
	req.Header.Set("Cache-Control", "no-cache")
	resp, err := s.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the whole URL
		}
		return nil, fmt.Errorf("GET %s: %w", u.Path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBytes))
		return nil, &APIError{
			Endpoint:   u.Path,
			Status:     resp.StatusCode,
			Message:    apiMessage(b),
			RetryAfter: retryAfter(resp.Header.Get("Retry-After"), s.clock.now()),
		}
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: read: %w", u.Path, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("GET %s: response larger than %d bytes", u.Path, max)
	}
	return b, nil
}

// apiMessage extracts the message of an API error body ({"status":400,"message":"…"}, or an
// "errors" object), shortened to one line.
func apiMessage(b []byte) string {
	var body struct {
		Message string          `json:"message"`
		Errors  json.RawMessage `json:"errors"`
	}
	if json.Unmarshal(b, &body) != nil {
		return "" // an HTML error page says nothing useful
	}
	msg := body.Message
	if msg == "" && len(body.Errors) > 0 && string(body.Errors) != "null" {
		msg = string(body.Errors)
	}
	msg = strings.Join(strings.Fields(msg), " ")
	if utf8.RuneCountInString(msg) > maxMessage {
		msg = string([]rune(msg)[:maxMessage]) + "…"
	}
	return msg
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if n, err := strconv.Atoi(h); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
