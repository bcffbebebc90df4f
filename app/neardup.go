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
//
// Every new story is compared with every story of the last 72 hours, so the comparison
// is a scan of a dense array of fingerprints (a whole first cycle of thousands of feeds
// makes it hundreds of thousands long); a radius of 16 bits in 64 leaves no index
// worth its upkeep (docs/PERFORMANCE.md).
type fingerprints struct {
	mu     sync.Mutex
	lastID int64
	// stored were read back from the database, in id order (about the order they were
	// recorded); pending were recorded by polls of this process whose transactions may
	// still be open, until the next refresh reads them back (or not, if rolled back).
	stored, pending fpSet
}

// fpSet is a list of fingerprints, their times and events, as parallel slices.
type fpSet struct {
	fp  []uint64
	at  []int64 // Unix ms when recorded
	key []string
}

func (s *fpSet) add(fp uint64, at int64, key string) {
	s.fp = append(s.fp, fp)
	s.at = append(s.at, at)
	s.key = append(s.key, key)
}

func (s *fpSet) reset() {
	s.fp, s.at, s.key = s.fp[:0], s.at[:0], s.key[:0]
}

// dropBefore forgets the leading entries recorded before since. Entries are in about
// the order they were recorded: one out of order stays a little longer, and near skips
// it.
func (s *fpSet) dropBefore(since int64) {
	k := 0
	for k < len(s.at) && s.at[k] < since {
		k++
	}
	if k == 0 {
		return
	}
	if k > len(s.at)/2 {
		// Copy the rest down, so that the forgotten ones do not pin their memory.
		s.fp, s.at, s.key = append(s.fp[:0], s.fp[k:]...), append(s.at[:0], s.at[k:]...), append(s.key[:0], s.key[k:]...)
		clear(s.key[len(s.key):cap(s.key)])
		return
	}
	clear(s.key[:k])
	s.fp, s.at, s.key = s.fp[k:], s.at[k:], s.key[k:]
}

// nearest returns the index of the fingerprint recorded at or after since that is
// nearest to fp within dedup.NearDuplicateDistance and closer than best, and its
// distance; -1 if none is. Four at a time: most stories are far apart, and the four
// distances are independent instructions (twice as fast as one at a time).
func (s *fpSet) nearest(fp uint64, since int64, best int) (int, int) {
	at := -1
	if fp == 0 {
		return at, best
	}
	best = min(best, dedup.NearDuplicateDistance+1)
	fps, i := s.fp, 0
	for ; i+4 <= len(fps); i += 4 {
		q := fps[i : i+4 : i+4]
		if min(dedup.Distance(fp, q[0]), dedup.Distance(fp, q[1]), dedup.Distance(fp, q[2]), dedup.Distance(fp, q[3])) >= best {
			continue
		}
		for j, x := range q {
			if d := dedup.Distance(fp, x); d < best && x != 0 && s.at[i+j] >= since {
				best, at = d, i+j
			}
		}
	}
	for ; i < len(fps); i++ {
		if d := dedup.Distance(fp, fps[i]); d < best && fps[i] != 0 && s.at[i] >= since {
			best, at = d, i
		}
	}
	return at, best
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
	f.stored.dropBefore(since.UnixMilli())
	f.pending.reset()
	for _, e := range fresh {
		if e.ID > f.lastID { // another poll's refresh may have read them already
			f.stored.add(e.FP, e.At.UnixMilli(), e.EventKey)
			f.lastID = e.ID
		}
	}
	return nil
}

// add keeps a fingerprint recorded in a poll still open, until the next refresh reads it
// back from the database.
func (f *fingerprints) add(fp uint64, key string, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pending.add(fp, at.UnixMilli(), key)
}

// near returns the event of the closest recent story the fingerprint is a near-duplicate
// of.
func (f *fingerprints) near(fp uint64, now time.Time) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	since := now.Add(-nearDuplicateWindow).UnixMilli()
	key := ""
	i, best := f.stored.nearest(fp, since, dedup.NearDuplicateDistance+1)
	if i >= 0 {
		key = f.stored.key[i]
	}
	if j, _ := f.pending.nearest(fp, since, best); j >= 0 {
		key = f.pending.key[j]
	}
	return key, key != ""
}
