package feed

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

const (
	budgetTestMax = 1 << 20   // MaxBody of the budget tests
	bigBody       = 900 << 10 // a body that fits under it, once
	smallBody     = 4 << 10
)

// budgetServer serves /big (bigBody bytes), /small (smallBody bytes) and /gated (a small
// body whose second half is written once gate is closed).
func budgetServer(t *testing.T, gate <-chan struct{}) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		size := smallBody
		switch r.URL.Path {
		case "/big":
			size = bigBody
		case "/gated":
			w.Header().Set("Content-Length", strconv.Itoa(smallBody))
			w.Write(bytes.Repeat([]byte("a"), smallBody/2))
			w.(http.Flusher).Flush()
			select {
			case <-gate:
			case <-r.Context().Done():
				return
			}
			w.Write(bytes.Repeat([]byte("b"), smallBody/2))
			return
		}
		w.Write(bytes.Repeat([]byte("x"), size))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func budgetFetcher(budget int64, timeout time.Duration) *Fetcher {
	return testFetcher(FetcherOptions{MaxBody: budgetTestMax, BodyBudget: budget, PerHostConcurrency: 64, Timeout: timeout})
}

func getBody(ctx context.Context, f *Fetcher, url string) (*response, error) {
	return f.get(ctx, f.client(true), url, feedAccept, Validators{})
}

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestBodyBudgetSerializesLargeBodies: with a budget of one body, a second large body is
// not read while the first is held, and is once it is released.
func TestBodyBudgetSerializesLargeBodies(t *testing.T) {
	srv := budgetServer(t, nil)
	f := budgetFetcher(1, 10*time.Second) // raised to MaxBody+1, the least there can be
	if got, want := f.budget.total, int64(budgetTestMax+1); got != want {
		t.Fatalf("budget %d, want it raised to %d", got, want)
	}

	a, err := getBody(t.Context(), f, srv.URL+"/big")
	if err != nil {
		t.Fatal(err)
	}
	if len(a.body) != bigBody {
		t.Fatalf("body of %d bytes, want %d", len(a.body), bigBody)
	}
	if st := f.budget.stats(); st.held != bigBody {
		t.Errorf("held %d bytes with one body read, want its %d", st.held, bigBody)
	}

	type result struct {
		r   *response
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := getBody(t.Context(), f, srv.URL+"/big")
		done <- result{r, err}
	}()
	waitFor(t, "the second body waits for the budget", func() bool { return f.budget.stats().waiting == 1 })
	select {
	case <-done:
		t.Fatal("a second large body was read while the first was held")
	default:
	}
	if st := f.budget.stats(); st.held > f.budget.total {
		t.Errorf("held %d bytes, over the budget of %d", st.held, f.budget.total)
	}

	a.release()
	b := <-done
	if b.err != nil {
		t.Fatal(b.err)
	}
	if len(b.r.body) != bigBody {
		t.Errorf("second body of %d bytes, want %d", len(b.r.body), bigBody)
	}
	b.r.release()
	st := f.budget.stats()
	if st.held != 0 {
		t.Errorf("%d bytes still held after every body was released", st.held)
	}
	if st.peak > f.budget.total || st.peak >= 2*bigBody {
		t.Errorf("peak %d bytes held: two large bodies were held at once (budget %d)", st.peak, f.budget.total)
	}
}

// TestBodyBudgetConcurrent: many large and small bodies at once stay within the budget, all
// succeed, and give everything back.
func TestBodyBudgetConcurrent(t *testing.T) {
	srv := budgetServer(t, nil)
	const budget = 5 << 19 // 2.5 MiB: two large bodies and a part of a third
	f := budgetFetcher(budget, 10*time.Second)
	var wg sync.WaitGroup
	for i := range 24 {
		path := "/small"
		if i%3 == 0 {
			path = "/big"
		}
		wg.Go(func() {
			r, err := getBody(t.Context(), f, srv.URL+path)
			if err != nil {
				t.Error(err)
				return
			}
			r.release()
		})
	}
	wg.Wait()
	st := f.budget.stats()
	if st.peak > budget {
		t.Errorf("peak %d bytes held, over the budget of %d", st.peak, budget)
	}
	if st.peak < bigBody {
		t.Errorf("peak %d bytes held, less than one large body: the bodies were not counted", st.peak)
	}
	if st.held != 0 {
		t.Errorf("%d bytes still held after every body was released", st.held)
	}
	t.Logf("peak %d of %d bytes, %d bodies read at once at most, %d grants waited", st.peak, budget, st.peakActive, st.waits)
}

// TestBodyBudgetSmallInParallel: small bodies are read side by side, not one after
// another, under a budget that is small beside large bodies (four of them) but large
// beside these: the server finishes none of them until all are being read at once.
func TestBodyBudgetSmallInParallel(t *testing.T) {
	const n = 32
	gate := make(chan struct{})
	srv := budgetServer(t, gate)
	f := budgetFetcher(4<<20, 10*time.Second)
	var wg sync.WaitGroup
	defer wg.Wait()
	released := false
	defer func() {
		if !released {
			close(gate)
		}
	}()
	for range n {
		wg.Go(func() {
			r, err := getBody(t.Context(), f, srv.URL+"/gated")
			if err != nil {
				t.Error(err)
				return
			}
			if len(r.body) != smallBody {
				t.Errorf("body of %d bytes, want %d", len(r.body), smallBody)
			}
			r.release()
		})
	}
	waitFor(t, "all the small bodies are being read at once", func() bool { return f.budget.stats().active == n })
	released = true
	close(gate)
	wg.Wait()
	if st := f.budget.stats(); st.waits != 0 || st.held != 0 {
		t.Errorf("%d grants waited, %d bytes held at the end; want 0 and 0", st.waits, st.held)
	}
}

// TestBodyBudgetWaitEnds: a fetch waiting for the budget ends with its context, and with its
// timeout, and gives back what it held.
func TestBodyBudgetWaitEnds(t *testing.T) {
	srv := budgetServer(t, nil)
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		cancel  bool
		want    ErrorKind
	}{
		{"canceled", 10 * time.Second, true, KindCanceled},
		{"timeout", 300 * time.Millisecond, false, KindTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := budgetFetcher(1, tc.timeout)
			a, err := getBody(t.Context(), f, srv.URL+"/big")
			if err != nil {
				t.Fatal(err)
			}
			defer a.release()
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			done := make(chan error, 1)
			go func() {
				r, err := getBody(ctx, f, srv.URL+"/big")
				if err == nil {
					r.release()
				}
				done <- err
			}()
			waitFor(t, "the second body waits for the budget", func() bool { return f.budget.stats().waiting == 1 })
			if tc.cancel {
				cancel()
			}
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("a fetch waiting for the budget did not end")
			}
			var fe *Error
			if !errors.As(err, &fe) || fe.Kind != tc.want {
				t.Fatalf("got %v, want a %s *Error", err, tc.want)
			}
			if st := f.budget.stats(); st.held != bigBody || st.waiting != 0 {
				t.Errorf("after the wait ended: %d bytes held, %d waiting; want only the first body's %d, none waiting", st.held, st.waiting, bigBody)
			}
		})
	}
}

// TestBodyBudgetNoDeadlock: bodies that each need most of the budget, many at once, all
// finish: a partly read body is never left waiting on others that wait on it.
func TestBodyBudgetNoDeadlock(t *testing.T) {
	b := newBodyBudget(3<<20, budgetTestMax+1)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			r := b.reserve()
			for r.used < bigBody {
				if err := r.grow(ctx, minGrant); err != nil {
					t.Errorf("deadlocked: %v", err)
					r.release()
					return
				}
				r.used = r.held
			}
			r.finish()
			r.release()
		})
	}
	wg.Wait()
	if st := b.stats(); st.held != 0 || st.peak > 3<<20 {
		t.Errorf("held %d at the end, peak %d; want 0 and at most %d", st.held, st.peak, 3<<20)
	}
}
