package fedreg

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vigilbot/vigil/watchers"
)

func TestLimiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(200 * time.Millisecond)
		start := time.Now()
		for range 6 {
			if err := l.wait(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if got := time.Since(start); got != time.Second {
			t.Errorf("6 requests took %s, want 1s at 5/s", got)
		}

		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if err := l.wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %v, want the context's error while waiting", err)
		}
	})
}

// roundTripFunc answers requests in memory, so that the rate test runs on synctest's clock.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestSourceRateLimits: a backfill keeps to 5 requests/s overall and 1 request/s for XML.
func TestSourceRateLimits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var (
			at   []time.Time
			xmls []time.Time
		)
		client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			at = append(at, time.Now())
			body := `{"count":0}`
			switch {
			case strings.HasSuffix(r.URL.Path, ".xml"):
				xmls = append(xmls, time.Now())
				body = `<RULE><P>text</P></RULE>`
			case strings.HasPrefix(r.URL.Path, "/api/v1/documents/"):
				body = `{"full_text_xml_url":"https://www.federalregister.gov/x/` + strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/api/v1/documents/"), ".json") + `.xml"}`
			}
			return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader([]byte(body))), Request: r}, nil
		})}
		s, err := New("fedreg", Options{
			BaseURL:  "https://fr.invalid/api/v1",
			Agencies: []string{"a", "b", "c", "d", "e", "f"},
			Client:   client,
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{"2024-00001", "2024-00002", "2024-00003"} {
			it := watchers.Item{ID: "fr:" + n}
			if err := s.FetchBody(context.Background(), &it); err != nil {
				t.Fatal(err)
			}
			if it.Body != "text" {
				t.Fatalf("got body %q, want text", it.Body)
			}
		}
		if len(at) != 12 || len(xmls) != 3 {
			t.Fatalf("got %d requests, %d of XML; want 12 and 3", len(at), len(xmls))
		}
		for i := 1; i < len(at); i++ {
			if gap := at[i].Sub(at[i-1]); gap < 200*time.Millisecond {
				t.Errorf("request %d came %s after the previous one, want at least 200ms", i, gap)
			}
		}
		for i := 1; i < len(xmls); i++ {
			if gap := xmls[i].Sub(xmls[i-1]); gap < time.Second {
				t.Errorf("XML request %d came %s after the previous one, want at least 1s", i, gap)
			}
		}
	})
}

func TestAPIMessage(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"status":400,"message":"field 'x' not valid"}`, "field 'x' not valid"},
		{`{"errors":{"conditions":{"agencies":["not valid"]}}}`, `{"conditions":{"agencies":["not valid"]}}`},
		{`<html>502</html>`, ""},
		{`{"message":"` + strings.Repeat("é", 300) + `"}`, strings.Repeat("é", 200) + "…"},
	}
	for _, tt := range tests {
		if got := apiMessage([]byte(tt.body)); got != tt.want {
			t.Errorf("apiMessage(%.40q): got %q, want %q", tt.body, got, tt.want)
		}
	}
}
