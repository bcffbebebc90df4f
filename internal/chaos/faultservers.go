package chaos

import (
	"bytes"
	"compress/gzip"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Fault is one way a feed can misbehave, served on a loopback port of its own (so that
// the fetcher's per-host limits do not couple the faults). It serves a valid feed until
// it is armed, misbehaves until it is cleared, then serves a valid feed again.
type Fault struct {
	Name string
	What string // what the server does
	// Want is the last_error_kind `vigil sources` should show; "" means the source should
	// stay healthy (a fault Vigil absorbs, like a mislabelled charset).
	Want string
	// Slow faults show only after the fetch timeout (60 s in the daemon).
	Slow bool
	// LeavesLoopback: the fault needs something beyond the loopback interface (a DNS
	// query to the system's resolver).
	LeavesLoopback bool
	// Clearable: the fault can be taken away without changing the configuration.
	Clearable bool
	// As is the fault whose server this one runs, when its Name is another (BombServers).
	As string

	url      string
	armed    atomic.Bool
	cleared  atomic.Bool
	mu       sync.Mutex
	requests []time.Time
	close    func()
	onArm    func() // besides setting armed
	onClear  func() // besides setting cleared
}

// Arm starts the fault.
func (f *Fault) Arm() {
	f.armed.Store(true)
	if f.onArm != nil {
		f.onArm()
	}
}

// URL is the feed address the source is configured with.
func (f *Fault) URL() string { return f.url }

// Clear ends the fault: the server answers with a valid feed from now on.
func (f *Fault) Clear() {
	f.cleared.Store(true)
	if f.onClear != nil {
		f.onClear()
	}
}

// failing reports whether the fault is on.
func (f *Fault) failing() bool { return f.armed.Load() && !f.cleared.Load() }

// Requests returns the times of the requests the fault's server got.
func (f *Fault) Requests() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.requests...)
}

func (f *Fault) hit() {
	f.mu.Lock()
	f.requests = append(f.requests, time.Now())
	f.mu.Unlock()
}

// FaultServers starts a server for every fault. dir receives the test CA's certificate,
// which the daemon must trust (SSL_CERT_FILE) for the TLS fault to clear. Close them
// with the returned function.
func FaultServers(dir string) ([]*Fault, []string, func(), error) {
	ca, certFile, err := testCA(dir)
	if err != nil {
		return nil, nil, nil, err
	}
	env := []string{"SSL_CERT_FILE=" + certFile}
	faults := []*Fault{
		{Name: "timeout", What: "accepts the request and never answers", Want: "timeout", Slow: true, Clearable: true},
		{Name: "slow-drip", What: "200, then one byte of the body a second", Want: "timeout", Slow: true, Clearable: true},
		{Name: "5xx-storm", What: "500, 502, 503, 504 in turn (the URL carries credentials and a token)", Want: "http_status", Clearable: true},
		{Name: "rate-limited", What: "429 with Retry-After: 90", Want: "rate_limited", Clearable: true},
		{Name: "gzip-bomb", What: "Content-Encoding: gzip, 1 GiB of zeros in 1 MB", Want: "too_large", Clearable: true},
		{Name: "gzip-file-bomb", What: "a .gz body without Content-Encoding, 1 GiB inflated", Want: "too_large", Clearable: true},
		{Name: "huge-body", What: "a 100 MB body, chunked, no Content-Length", Want: "too_large", Clearable: true},
		{Name: "huge-declared", What: "a 100 MB body with its Content-Length", Want: "too_large", Clearable: true},
		{Name: "invalid-xml", What: "RSS cut off in the middle of an element", Want: "parse", Clearable: true},
		{Name: "wrong-charset", What: "windows-1251 bytes declared as UTF-8", Want: "", Clearable: true},
		{Name: "redirect-loop", What: "/feed → /a → /b → /a", Want: "redirects", Clearable: true},
		{Name: "tls", What: "an https:// URL to a plain-HTTP server", Want: "tls", Clearable: true},
		{Name: "dns", What: "a host under .invalid", Want: "dns", LeavesLoopback: true},
		{Name: "html", What: "an HTML page that links its feed", Want: "not_a_feed", Clearable: true},
		{Name: "refused", What: "a closed port", Want: "connect", Clearable: true},
		{Name: "reset", What: "the connection reset in the middle of the body", Want: "network", Clearable: true},
	}
	closeAll := func() {
		for _, f := range faults {
			if f.close != nil {
				f.close()
			}
		}
	}
	for _, f := range faults {
		if err := f.start(ca); err != nil {
			closeAll()
			return nil, nil, nil, fmt.Errorf("fault %s: %w", f.Name, err)
		}
	}
	return faults, env, closeAll, nil
}

// BombServers starts n more servers of the faults whose bodies reach the size cap
// (gzip-bomb, gzip-file-bomb and huge-body in turn), each on a loopback port of its own,
// so that many such bodies can be read at once. Close them with the returned function.
func BombServers(n int) ([]*Fault, func(), error) {
	kinds := []string{"gzip-bomb", "gzip-file-bomb", "huge-body"}
	var faults []*Fault
	closeAll := func() {
		for _, f := range faults {
			f.close()
		}
	}
	for i := range n {
		kind := kinds[i%len(kinds)]
		f := &Fault{Name: fmt.Sprintf("%s-%d", kind, i/len(kinds)+2), As: kind, What: "another " + kind, Want: "too_large", Clearable: true}
		if err := f.start(nil); err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("fault %s: %w", f.Name, err)
		}
		faults = append(faults, f)
	}
	return faults, closeAll, nil
}

// kind is the fault the server runs.
func (f *Fault) kind() string {
	if f.As != "" {
		return f.As
	}
	return f.Name
}

func (f *Fault) start(ca *tls.Config) error {
	if f.Name == "dns" {
		f.url = "http://feed.vigil-chaos.invalid/feed.xml"
		return nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := l.Addr().String()
	f.url = "http://" + addr + "/feed.xml"
	srv := &http.Server{Handler: http.HandlerFunc(f.serve), ReadHeaderTimeout: 10 * time.Second}
	// Armed, a fault must not hide behind a connection kept alive from the healthy polls.
	f.onArm = func() { srv.SetKeepAlivesEnabled(false) }
	switch f.Name {
	case "5xx-storm":
		f.url = "http://chaos:LEAKCANARY-feedpass@" + addr + "/feed.xml?token=LEAKCANARY-feedtoken"
	case "tls":
		f.url = "https://" + addr + "/feed.xml"
		l = &switchListener{Listener: l, tls: ca, plain: f.failing}
	case "refused":
		// While the fault is on, nothing listens on the port.
		var mu sync.Mutex
		cur := srv
		f.onArm = func() {
			mu.Lock()
			defer mu.Unlock()
			cur.Close()
		}
		f.onClear = func() {
			mu.Lock()
			defer mu.Unlock()
			cur = &http.Server{Handler: http.HandlerFunc(f.serve), ReadHeaderTimeout: 10 * time.Second}
			if l2, err := net.Listen("tcp", addr); err == nil {
				go cur.Serve(l2)
			}
		}
		go srv.Serve(l)
		f.close = func() {
			mu.Lock()
			defer mu.Unlock()
			cur.Close()
		}
		return nil
	}
	go srv.Serve(l)
	f.close = func() { srv.Close() }
	return nil
}

// healthyFeed is what a cleared fault serves.
func healthyFeed(name string) []byte {
	return renderFeed(name, []Item{{ID: name + "-000001", Added: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}}, false)
}

func (f *Fault) serve(w http.ResponseWriter, r *http.Request) {
	f.hit()
	if !f.failing() {
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Write(healthyFeed(f.Name))
		return
	}
	ctx := r.Context()
	switch f.kind() {
	case "timeout":
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Minute):
		}
	case "slow-drip":
		w.Header().Set("Content-Type", "application/rss+xml")
		w.WriteHeader(http.StatusOK)
		fl, _ := w.(http.Flusher)
		w.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>drip</title>`))
		for {
			if fl != nil {
				fl.Flush()
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			if _, err := w.Write([]byte(" ")); err != nil {
				return
			}
		}
	case "5xx-storm":
		codes := []int{500, 502, 503, 504}
		n := len(f.Requests())
		http.Error(w, "upstream trouble", codes[n%len(codes)])
	case "rate-limited":
		w.Header().Set("Retry-After", "90")
		http.Error(w, "slow down", http.StatusTooManyRequests)
	case "gzip-bomb":
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Header().Set("Content-Encoding", "gzip")
		writeBomb(w)
	case "gzip-file-bomb":
		w.Header().Set("Content-Type", "application/gzip")
		writeBomb(w)
	case "huge-body":
		w.Header().Set("Content-Type", "application/rss+xml")
		writeHuge(w, 100<<20)
	case "huge-declared":
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Header().Set("Content-Length", strconv.Itoa(100<<20))
		writeHuge(w, 100<<20)
	case "invalid-xml":
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>broken</title><item><title>Hikvision cameras <b`))
	case "wrong-charset":
		// "Новости: Hikvision" and more Cyrillic in windows-1251, declared as UTF-8.
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		cyr := []byte{0xcd, 0xee, 0xe2, 0xee, 0xf1, 0xf2, 0xe8} // Новости
		var b bytes.Buffer
		b.WriteString(`<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>`)
		b.Write(cyr)
		b.WriteString(`</title><item><title>`)
		b.Write(cyr)
		b.WriteString(`: wrong-charset-000001</title><guid>wrong-charset-000001</guid><link>http://news.chaos.test/story/wrong-charset-000001</link></item></channel></rss>`)
		w.Write(b.Bytes())
	case "redirect-loop":
		switch r.URL.Path {
		case "/a":
			http.Redirect(w, r, "/b", http.StatusFound)
		default:
			http.Redirect(w, r, "/a", http.StatusFound)
		}
	case "tls":
		// Reached only as plain HTTP: the client's TLS hello gets this as an answer.
		w.Write(healthyFeed(f.Name))
	case "html":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><html><head><title>News</title><link rel="alternate" type="application/rss+xml" href="/rss"></head><body><h1>Hikvision news</h1></body></html>`))
	case "reset":
		hj, ok := w.(http.Hijacker)
		if !ok {
			return
		}
		conn, buf, err := hj.Hijack()
		if err != nil {
			return
		}
		buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 5000\r\n\r\n<rss version=\"2.0\"><channel><title>reset")
		buf.Flush()
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetLinger(0) // RST, not FIN
		}
		conn.Close()
	}
}

// The bomb: one gzip member of 64 MiB of zeros, sent 16 times (gzip readers read
// concatenated members as one stream): 1 GiB inflated from about 1 MB.
var (
	bombOnce   sync.Once
	bombMember []byte
)

func writeBomb(w http.ResponseWriter) {
	bombOnce.Do(func() {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		zero := make([]byte, 1<<20)
		for range 64 {
			zw.Write(zero)
		}
		zw.Close()
		bombMember = b.Bytes()
	})
	for range 16 {
		if _, err := w.Write(bombMember); err != nil {
			return
		}
	}
}

// writeHuge writes n bytes of a never-ending RSS document.
func writeHuge(w http.ResponseWriter, n int) {
	chunk := []byte(strings.Repeat("<item><title>Hikvision filler</title><guid>x</guid></item>\n", 1100))
	w.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>huge</title>`))
	for sent := 0; sent < n; sent += len(chunk) {
		if _, err := w.Write(chunk[:min(len(chunk), n-sent)]); err != nil {
			return
		}
	}
}

// switchListener serves TLS, or plain HTTP while plain says so.
type switchListener struct {
	net.Listener
	tls   *tls.Config
	plain func() bool
}

func (l *switchListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil || l.plain() {
		return c, err
	}
	return tls.Server(c, l.tls), nil
}

// testCA makes a self-signed certificate for 127.0.0.1, writes it to dir/ca.pem for the
// daemon to trust, and returns the server side.
func testCA(dir string) (*tls.Config, string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "vigil chaos test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, "", err
	}
	file := dir + "/ca.pem"
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return nil, "", err
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, file, nil
}
