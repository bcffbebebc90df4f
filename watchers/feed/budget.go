package feed

import (
	"context"
	"io"
	"sync"
)

// Reservations grow by at least minGrant bytes at a time (fewer trips to the budget's lock
// for a small body; what is not read is given back when the body ends) and by at most
// maxGrant (a large read does not take much more than it needs at once).
const (
	minGrant = 64 << 10
	maxGrant = 1 << 20
)

// bodyBudget bounds the response bytes that every fetch of a Fetcher holds at once: each
// body reserves what it reads before reading it, in grants, and gives it back when its
// caller is done with the body. A body that cannot have its next grant waits.
//
// Waiting for a grant while holding one could deadlock (every fetch holding part of the
// budget, none able to finish), so grants follow the banker's rule: one is given only when,
// afterwards, the budget left plus what finished bodies hold still covers the rest of the
// largest body being read, up to the most any one body may hold (claim). That body can then
// always finish, and give back what it holds to the next. Small bodies do not wait while
// the budget is well above claim; large ones are read about one at a time when it is not.
type bodyBudget struct {
	total int64 // at least claim
	claim int64 // the most one body can hold: MaxBody+1, what readAllCapped may read

	mu       sync.Mutex
	free     int64
	doneHeld int64 // held by bodies that are read: it comes back without any further grant
	reading  map[*reservation]struct{}
	waiters  []*grantWait // FIFO; any that fits is served, not only the first
	// For tests.
	peak       int64 // most bytes held at once
	peakActive int   // most bodies being read at once
	waits      int64 // grants that had to wait
}

// grantWait is a grant waiting for the budget; ready is closed once it is given.
type grantWait struct {
	r     *reservation
	n     int64
	ready chan struct{}
	given bool
}

func newBodyBudget(total, claim int64) *bodyBudget {
	total = max(total, claim)
	return &bodyBudget{total: total, claim: claim, free: total, reading: map[*reservation]struct{}{}}
}

// reservation is the part of the budget that one body holds.
type reservation struct {
	b    *bodyBudget
	held int64 // granted
	used int64 // read
	done bool  // read to the end (or failed): it will not grow
	gone bool  // released
}

func (b *bodyBudget) reserve() *reservation {
	return &reservation{b: b}
}

// fits reports whether n more bytes may be granted to r now (b.mu held).
func (b *bodyBudget) fits(r *reservation, n int64) bool {
	if n > b.free {
		return false
	}
	largest := r.held + n
	for o := range b.reading {
		largest = max(largest, o.held)
	}
	return b.free-n+b.doneHeld >= b.claim-largest
}

// grant gives r n bytes (b.mu held).
func (b *bodyBudget) grant(r *reservation, n int64) {
	b.free -= n
	r.held += n
	b.reading[r] = struct{}{}
	b.peak = max(b.peak, b.total-b.free)
	b.peakActive = max(b.peakActive, len(b.reading))
}

// grow adds n bytes to r's reservation, waiting until the budget allows it or ctx ends.
func (r *reservation) grow(ctx context.Context, n int64) error {
	b := r.b
	b.mu.Lock()
	if len(b.waiters) == 0 && b.fits(r, n) {
		b.grant(r, n)
		b.mu.Unlock()
		return nil
	}
	w := &grantWait{r: r, n: n, ready: make(chan struct{})}
	b.waiters = append(b.waiters, w)
	b.waits++
	b.serve() // the waiters ahead may not fit while this one does
	b.mu.Unlock()

	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		b.mu.Lock()
		defer b.mu.Unlock()
		if !w.given {
			for i, o := range b.waiters {
				if o == w {
					b.waiters = append(b.waiters[:i], b.waiters[i+1:]...)
					break
				}
			}
		}
		// A grant given meanwhile stays in the reservation until it is released.
		return ctx.Err()
	}
}

// serve gives their grants to the waiters that now fit, in order (b.mu held).
func (b *bodyBudget) serve() {
	kept := b.waiters[:0]
	for _, w := range b.waiters {
		if b.fits(w.r, w.n) {
			b.grant(w.r, w.n)
			w.given = true
			close(w.ready)
			continue
		}
		kept = append(kept, w)
	}
	clear(b.waiters[len(kept):])
	b.waiters = kept
}

// finish marks the body read: it will not grow, and what it was granted beyond what it read
// goes back to the budget.
func (r *reservation) finish() {
	b := r.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if r.done || r.gone {
		return
	}
	r.done = true
	delete(b.reading, r)
	b.free += r.held - r.used
	r.held = r.used
	b.doneHeld += r.held
	b.serve()
}

// release gives back everything r holds: its body is no longer used.
func (r *reservation) release() {
	b := r.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if r.gone {
		return
	}
	r.gone = true
	if r.done {
		b.doneHeld -= r.held
	}
	delete(b.reading, r)
	b.free += r.held
	r.held = 0
	b.serve()
}

// budgetStats are a budget's counters.
type budgetStats struct {
	held, peak         int64 // bytes held now, and at most
	active, peakActive int   // bodies being read now, and at most
	waits              int64 // grants that had to wait
	waiting            int   // grants waiting now
}

func (b *bodyBudget) stats() budgetStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return budgetStats{
		held: b.total - b.free, peak: b.peak, active: len(b.reading), peakActive: b.peakActive,
		waits: b.waits, waiting: len(b.waiters),
	}
}

// budgetedReader reads from r only what its reservation covers, growing it first.
type budgetedReader struct {
	ctx context.Context
	r   io.Reader
	res *reservation
}

func (br *budgetedReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return br.r.Read(p)
	}
	res := br.res
	if res.held == res.used {
		n := min(max(int64(len(p)), minGrant), maxGrant, res.b.claim-res.held)
		if n <= 0 {
			// The whole claim is read: more than any body may be.
			return 0, &tooLargeError{max: res.b.claim - 1}
		}
		if err := res.grow(br.ctx, n); err != nil {
			return 0, err
		}
	}
	if avail := res.held - res.used; int64(len(p)) > avail {
		p = p[:avail]
	}
	n, err := br.r.Read(p)
	res.used += int64(n)
	return n, err
}
