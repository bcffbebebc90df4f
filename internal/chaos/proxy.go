package chaos

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Proxy is a loopback reverse proxy in front of a server (a Matrix homeserver) that can
// lose a reply: a request the gate holds is passed on to the server and answered there,
// but its reply waits until the gate releases it or the client goes away. A client killed
// meanwhile never learns that the server did what it asked: the case an idempotency key
// (Matrix's transaction id) is for.
type Proxy struct {
	srv    *httptest.Server
	target string
	gate   chan Gate // holds the current gate; a channel so that reads need no lock

	mu   sync.Mutex
	sent []ProxyRequest
}

// ProxyRequest is a request the proxy passed on.
type ProxyRequest struct {
	At     time.Time
	Method string
	Path   string
	Status int // the server's
}

// NewProxy starts a proxy to target (scheme://host:port).
func NewProxy(target string) *Proxy {
	p := &Proxy{target: strings.TrimSuffix(target, "/"), gate: make(chan Gate, 1)}
	p.gate <- nil
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	return p
}

// URL is the proxy's address.
func (p *Proxy) URL() string { return p.srv.URL }

// Close stops the proxy.
func (p *Proxy) Close() {
	p.srv.CloseClientConnections()
	p.srv.Close()
}

// SetGate makes g decide about every later request, once the server has answered it;
// nil holds none.
func (p *Proxy) SetGate(g Gate) {
	<-p.gate
	p.gate <- g
}

// Requests returns the requests passed on so far.
func (p *Proxy) Requests() []ProxyRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]ProxyRequest(nil), p.sent...)
}

func (p *Proxy) currentGate() Gate {
	g := <-p.gate
	p.gate <- g
	return g
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	// The server finishes a change even if the client dies meanwhile; a read (a sync's
	// long poll) ends with its client.
	ctx := r.Context()
	if r.Method != http.MethodGet {
		ctx = context.WithoutCancel(ctx)
	}
	out, err := http.NewRequestWithContext(ctx, r.Method, p.target+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out.Header = r.Header.Clone()
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(resp.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	p.mu.Lock()
	p.sent = append(p.sent, ProxyRequest{At: time.Now(), Method: r.Method, Path: r.URL.Path, Status: resp.StatusCode})
	p.mu.Unlock()
	if g := p.currentGate(); g != nil {
		if held := g(r); held != nil {
			select {
			case <-held:
			case <-r.Context().Done():
				return
			}
		}
	}
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(reply)
}
