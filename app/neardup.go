package app

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/vigilbot/vigil/store"
	"github.com/vigilbot/vigil/watchers/dedup"
)

// nearDuplicateWindow is how long a story can be joined by copies from other outlets.
const nearDuplicateWindow = 72 * time.Hour

// nearDuplicateMinWords is the least text (title and lead) compared for near-duplicates.
const nearDuplicateMinWords = 15

func wordCount(s string) int { return len(strings.Fields(s)) }

// fingerprints caches the fingerprints of recent news stories: each poll reads only those
// recorded since its last read (by any replica), and compares in memory.
type fingerprints struct {
	mu      sync.Mutex
	lastID  int64
	entries []store.Fingerprint
}

// refresh reads the fingerprints recorded since the last read and forgets old ones.
func (f *fingerprints) refresh(ctx context.Context, st *store.Store, now time.Time) error {
	f.mu.Lock()
	last := f.lastID
	f.mu.Unlock()
	since := now.Add(-nearDuplicateWindow)
	fresh, err := st.FingerprintsSince(ctx, last, since)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	keep := f.entries[:0]
	for _, e := range f.entries {
		if !e.At.Before(since) && e.ID != 0 {
			keep = append(keep, e)
		}
	}
	f.entries = append(keep, fresh...)
	if n := len(fresh); n > 0 {
		f.lastID = max(f.lastID, fresh[n-1].ID)
	}
	return nil
}

// add keeps a fingerprint recorded in a poll still open, until the next refresh reads it
// back from the database.
func (f *fingerprints) add(fp uint64, key string, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.entries = append(f.entries, store.Fingerprint{FP: fp, EventKey: key, At: at})
}

// near returns the event of the closest recent story the fingerprint is a near-duplicate
// of.
func (f *fingerprints) near(fp uint64, now time.Time) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	since := now.Add(-nearDuplicateWindow)
	best, key := dedup.NearDuplicateDistance+1, ""
	for _, e := range f.entries {
		if e.At.Before(since) || !dedup.NearDuplicate(fp, e.FP) {
			continue
		}
		if d := dedup.Distance(fp, e.FP); d < best {
			best, key = d, e.EventKey
		}
	}
	return key, key != ""
}
