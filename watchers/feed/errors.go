package feed

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ErrorKind classifies a failed fetch or parse, for health reports and backoff.
type ErrorKind string

// The kinds of Error.
const (
	KindTimeout        ErrorKind = "timeout"         // no complete answer within the timeout
	KindDNS            ErrorKind = "dns"             // the host name did not resolve
	KindTLS            ErrorKind = "tls"             // handshake or certificate failure
	KindConnect        ErrorKind = "connect"         // no connection (refused, unreachable)
	KindNetwork        ErrorKind = "network"         // the connection broke during the exchange
	KindHTTPStatus     ErrorKind = "http_status"     // an HTTP status other than 2xx, 304 and 429
	KindRateLimited    ErrorKind = "rate_limited"    // HTTP 429
	KindTooLarge       ErrorKind = "too_large"       // the (decompressed) body exceeds MaxBody
	KindRedirects      ErrorKind = "redirects"       // too many redirects, a loop, or a non-HTTP target
	KindNotAFeed       ErrorKind = "not_a_feed"      // neither RSS, Atom nor JSON Feed (an HTML page, say)
	KindParse          ErrorKind = "parse"           // a feed, but unreadable
	KindNotHTML        ErrorKind = "not_html"        // fetch_article: the linked page is not HTML
	KindRefusedAddress ErrorKind = "refused_address" // a private, loopback or otherwise non-public address
	KindBadURL         ErrorKind = "bad_url"         // not an absolute http(s) URL
	KindCanceled       ErrorKind = "canceled"        // the caller's context ended; not the source's fault
)

// Error is a failed fetch or parse of a feed or article. Its message is short, names the
// URL without credentials or query, and can be shown to users; the cause is in Err.
type Error struct {
	Kind ErrorKind
	// Status is the HTTP status for KindHTTPStatus and KindRateLimited, else 0.
	Status int
	// RetryAfter is the server's Retry-After on a 429 or 503 answer (0 when absent): do
	// not ask again sooner.
	RetryAfter time.Duration
	// URL is the address that failed, without user info, query or fragment.
	URL string
	// Alternates are the feeds an HTML page advertises (KindNotAFeed), absolute URLs.
	Alternates []string
	// Err is the underlying cause, for errors.Is/As and operator logs.
	Err error
}

func (e *Error) Error() string {
	var msg string
	switch e.Kind {
	case KindTimeout:
		msg = "timed out"
	case KindDNS:
		msg = "DNS lookup failed"
		var de *net.DNSError
		if errors.As(e.Err, &de) && de.IsNotFound {
			msg += ": no such host"
		}
	case KindTLS:
		msg = "TLS failed" + causeSuffix(e.Err)
	case KindConnect:
		msg = "could not connect" + causeSuffix(e.Err)
	case KindNetwork:
		msg = "connection failed" + causeSuffix(e.Err)
	case KindHTTPStatus:
		msg = fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
	case KindRateLimited:
		msg = fmt.Sprintf("rate limited (HTTP %d)", e.Status)
	case KindTooLarge, KindRedirects, KindParse, KindNotHTML, KindBadURL:
		msg = causeText(e.Err)
	case KindNotAFeed:
		msg = causeText(e.Err)
		if len(e.Alternates) > 0 {
			msg += "; the page links to the feed " + redactURL(e.Alternates[0])
		}
	case KindRefusedAddress:
		msg = "refused: the address is not public (loopback, private, link-local or reserved)"
	case KindCanceled:
		msg = "canceled"
	default:
		msg = string(e.Kind)
	}
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(", retry after %s", e.RetryAfter)
	}
	if e.URL == "" {
		return msg
	}
	return e.URL + ": " + msg
}

func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether the same request may succeed later with nobody changing
// anything: timeouts, DNS and network trouble, rate limits and server errors. The others
// (404, not a feed, a refused address…) need someone to act. Either way a source keeps
// being polled, with backoff; this only says how worried to be.
func (e *Error) Temporary() bool {
	switch e.Kind {
	case KindTimeout, KindConnect, KindNetwork, KindRateLimited:
		return true
	case KindDNS:
		var de *net.DNSError
		return !errors.As(e.Err, &de) || !de.IsNotFound
	case KindHTTPStatus:
		return e.Status >= 500 || e.Status == http.StatusRequestTimeout || e.Status == http.StatusTooEarly ||
			e.Status == http.StatusTooManyRequests
	}
	return false
}

// KindOf returns the kind of the first *Error in err's chain, or "" when there is none.
func KindOf(err error) ErrorKind {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Kind
	}
	return ""
}

// ErrNotAFeed is the cause of a KindNotAFeed error.
var ErrNotAFeed = errors.New("not a feed (RSS, Atom or JSON Feed)")

// Causes of errors whose kind alone does not say enough.
var (
	errRedirectLoop   = errors.New("redirect loop")
	errRedirectScheme = errors.New("redirect to a URL that is not http(s)")
	errNoArticle      = errors.New("no article text found on the page")
)

// tooManyRedirectsError is the cause of a KindRedirects error for a long chain.
type tooManyRedirectsError struct{ max int }

func (e *tooManyRedirectsError) Error() string {
	return fmt.Sprintf("more than %d redirects", e.max)
}

// tooLargeError is the cause of a KindTooLarge error.
type tooLargeError struct{ max int64 }

func (e *tooLargeError) Error() string {
	return "response larger than " + byteSize(e.max)
}

// refusedAddressError is the cause of a KindRefusedAddress error: the dialer was asked
// to connect to addr.
type refusedAddressError struct{ addr string }

func (e *refusedAddressError) Error() string {
	return "refused to connect to non-public address " + e.addr
}

// classify turns an error from the HTTP client into an *Error for rawURL. parent is the
// caller's context: when it has ended, the failure is not the source's.
func classify(parent context.Context, rawURL string, err error) *Error {
	fe := &Error{URL: redactURL(rawURL), Err: unwrapURLError(err)}
	var (
		prev    *Error
		refused *refusedAddressError
		many    *tooManyRedirectsError
		large   *tooLargeError
		dnsErr  *net.DNSError
		opErr   *net.OpError
		netErr  net.Error
	)
	switch {
	case errors.As(err, &prev):
		return prev
	case parent.Err() != nil:
		fe.Kind, fe.Err = KindCanceled, parent.Err()
	case errors.As(err, &refused):
		fe.Kind = KindRefusedAddress
	case errors.As(err, &many), errors.Is(err, errRedirectLoop), errors.Is(err, errRedirectScheme):
		fe.Kind = KindRedirects
	case errors.As(err, &large):
		fe.Kind = KindTooLarge
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		fe.Kind = KindTimeout
	case errors.As(err, &dnsErr):
		fe.Kind = KindDNS
	case isTLSError(err):
		fe.Kind = KindTLS
	case errors.As(err, &opErr) && opErr.Op == "dial":
		fe.Kind = KindConnect
	default:
		fe.Kind = KindNetwork
	}
	return fe
}

func isTLSError(err error) bool {
	var (
		verify   *tls.CertificateVerificationError
		record   tls.RecordHeaderError
		alert    tls.AlertError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
	)
	if errors.As(err, &verify) || errors.As(err, &record) || errors.As(err, &alert) ||
		errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &invalid) {
		return true
	}
	// The handshake's own failures ("tls: handshake failure", "tls: first record does
	// not look like a TLS handshake") are plain errors.
	// net/http replaces a plain-HTTP answer to a TLS hello with its own message.
	msg := err.Error()
	return strings.Contains(msg, "tls: ") || strings.Contains(msg, "server gave HTTP response to HTTPS client")
}

// unwrapURLError drops the *url.Error wrapper: its message repeats the whole URL, query
// and credentials included.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func causeText(err error) string {
	if err == nil {
		return "failed"
	}
	return err.Error()
}

// causeSuffix names the innermost cause of a network error briefly ("connection
// refused"), without the addresses a *net.OpError spells out.
func causeSuffix(err error) string {
	if err == nil {
		return ""
	}
	var opErr *net.OpError
	for errors.As(err, &opErr) && opErr.Err != nil {
		err = opErr.Err
	}
	var refused *refusedAddressError
	if errors.As(err, &refused) {
		return ""
	}
	return ": " + err.Error()
}

// redactURL returns scheme://host/path of a URL: no user info, no query (shown as "?…"),
// no fragment, so that tokens in feed URLs never reach a chat or a log.
func redactURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return "(invalid URL)"
	}
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	s := r.String()
	if u.RawQuery != "" || u.ForceQuery {
		s += "?…"
	}
	return s
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// RedactURL drops a URL's user information, query and fragment, for showing it to people.
func RedactURL(raw string) string { return redactURL(raw) }
