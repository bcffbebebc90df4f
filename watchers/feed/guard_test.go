package feed

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
)

func TestPublicAddr(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"93.184.215.14", true},
		{"8.8.8.8", true},
		{"2606:4700::1111", true},
		{"127.0.0.1", false},
		{"127.255.0.9", false},
		{"::1", false},
		{"10.1.2.3", false},
		{"172.16.0.1", false},
		{"172.31.255.255", false},
		{"172.32.0.1", true},
		{"192.168.1.1", false},
		{"169.254.169.254", false}, // cloud metadata
		{"fe80::1", false},
		{"fc00::1", false},
		{"fd12:3456::1", false},
		{"0.0.0.0", false},
		{"::", false},
		{"224.0.0.1", false},
		{"ff02::1", false},
		{"100.64.0.1", false}, // carrier-grade NAT
		{"100.127.255.255", false},
		{"100.128.0.1", true},
		{"255.255.255.255", false},
		{"::ffff:127.0.0.1", false}, // IPv4-mapped loopback
		{"::ffff:8.8.8.8", true},    // IPv4-mapped public
		{"64:ff9b::a00:1", false},   // NAT64 of 10.0.0.1
		{"64:ff9b::808:808", true},  // NAT64 of 8.8.8.8
		{"2002:7f00:1::1", false},   // 6to4 of 127.0.0.1
		{"2002:808:808::1", true},   // 6to4 of 8.8.8.8
		{"fe80::1%eth0", false},     // zoned link-local
		{"192.0.2.10", false},       // documentation
		{"198.18.0.1", false},       // benchmarking
		{"2001:db8::1", false},      // documentation
		{"fec0::1", false},          // site-local
		{"100::1", false},           // discard-only
		{"192.0.0.170", false},      // IETF protocol assignments
		{"203.0.113.5", false},      // documentation
		{"198.51.100.7", false},     // documentation
		{"240.0.0.1", false},        // reserved
		{"1.1.1.1", true},
	}
	for _, tt := range tests {
		a := netip.MustParseAddr(tt.addr)
		if got := publicAddr(a); got != tt.want {
			t.Errorf("publicAddr(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

// countingServer counts the requests that reach it.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Write(testFeed(1))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// TestRefusesNonPublicAddresses uses the real policy: loopback is refused before any
// connection is made, whether it is named by address or by a DNS answer.
func TestRefusesNonPublicAddresses(t *testing.T) {
	srv, hits := countingServer(t)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	f := testFetcher(FetcherOptions{Resolver: fakeResolver{
		"feed.test":    {netip.MustParseAddr("127.0.0.1")},
		"several.test": {netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::ffff:127.0.0.1")},
	}})
	for _, u := range []string{
		srv.URL + "/feed",
		"http://feed.test:" + port + "/feed",
		"http://several.test:" + port + "/feed",
		"http://[::ffff:127.0.0.1]:" + port + "/feed",
	} {
		t.Run(u, func(t *testing.T) {
			_, err := f.Probe(context.Background(), u, SourceOptions{})
			if KindOf(err) != KindRefusedAddress {
				t.Fatalf("got %v (kind %q), want refused_address", err, KindOf(err))
			}
			if strings.Contains(err.Error(), "127.0.0.1") && !strings.Contains(u, "127.0.0.1") {
				t.Errorf("message %q names the address the name resolved to", err)
			}
			if fe := err.(*Error); fe.Temporary() {
				t.Errorf("a refused address is not temporary")
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the loopback server got %d requests, want none", n)
	}

	// The same fetcher reaches it for a source allowed private addresses, and the two
	// policies do not share connections.
	if _, err := f.Probe(context.Background(), srv.URL+"/feed", SourceOptions{AllowPrivate: true}); err != nil {
		t.Fatalf("AllowPrivate: %v", err)
	}
	if _, err := f.Probe(context.Background(), srv.URL+"/feed", SourceOptions{}); KindOf(err) != KindRefusedAddress {
		t.Errorf("after a private fetch: got %v, want refused_address (no shared connection)", err)
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("the loopback server got %d requests, want 1", n)
	}
}

// TestRefusesRedirectToNonPublic pretends that 127.0.0.1 is public so that a feed can
// redirect from it to another loopback address (127.0.0.2, by name); the redirect is
// refused at dial time and the second server is never reached.
func TestRefusesRedirectToNonPublic(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	var hidden atomic.Int32
	inside := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hidden.Add(1)
		w.Write(testFeed(1))
	}))
	inside.Listener = l
	inside.Start()
	defer inside.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())

	outside := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://intranet.test:"+port+"/feed", http.StatusFound)
	}))
	defer outside.Close()

	pretend := func(a netip.Addr) bool { return a == netip.MustParseAddr("127.0.0.1") }
	f := newFetcher(FetcherOptions{
		PerHostInterval: -1,
		Resolver:        fakeResolver{"intranet.test": {netip.MustParseAddr("127.0.0.2")}},
	}, pretend)
	_, err = f.Probe(context.Background(), outside.URL+"/feed", SourceOptions{})
	if KindOf(err) != KindRefusedAddress {
		t.Fatalf("got %v (kind %q), want refused_address", err, KindOf(err))
	}
	if n := hidden.Load(); n != 0 {
		t.Errorf("the server behind the redirect got %d requests, want none", n)
	}
}
